"""The scenario schema (pydantic v2): everything a run needs, validated before anything runs.

Units are in the field names: `_days`, `_h` (hours of the day or durations in hours), `_s`
(seconds), `_m`, `_km`, `_kg`, `_m3`; money is in the scenario's `currency`.
Unknown keys are errors, so a typo never passes silently.
"""

from __future__ import annotations

import itertools
import math
import warnings
from collections.abc import Mapping
from datetime import date, timedelta
from pathlib import Path
from typing import Annotated, Literal, NamedTuple, NoReturn, Union

import numpy as np
import yaml
from pydantic import (
    BaseModel,
    ConfigDict,
    Field,
    NonNegativeFloat,
    NonNegativeInt,
    PositiveFloat,
    PositiveInt,
    SerializerFunctionWrapHandler,
    ValidationError,
    ValidatorFunctionWrapHandler,
    WrapValidator,
    field_validator,
    model_serializer,
    model_validator,
)
from pydantic_core import InitErrorDetails

__all__ = [
    "DEFAULT_ROUTING_POLICY",
    "DEFAULT_USABLE_M3",
    "FLAT_ROUTING_KEYS",
    "MODE_KINDS",
    "MODE_SETTINGS",
    "ROUTING_POLICIES",
    "ROUTING_SETTINGS",
    "SUPPLIER_REGIONS",
    "Accuracy",
    "AssortmentSplitSettings",
    "BatchLookaheadSettings",
    "BatchOptimalSettings",
    "Carrier",
    "CarrierService",
    "CartonSpec",
    "CheapestSingleNodeSettings",
    "CycleCounts",
    "Disruption",
    "Dist",
    "DropshipMode",
    "InHouseMode",
    "LocationType",
    "LookaheadSettings",
    "MailerSpec",
    "MarketplaceMode",
    "ModeSettings",
    "NearestWithStockSettings",
    "Node",
    "OverflowSettings",
    "Packaging",
    "RoutingSettings",
    "Sales",
    "ScanCheck",
    "Scenario",
    "StockPolicy",
    "StockoutRule",
    "Storage",
    "StorageOverflow",
    "SupplierRegion",
    "SupplierStock",
    "Surcharge",
    "ThreePlMode",
    "Transfer",
    "TransitDamage",
    "load_scenario",
    "read_yaml_mapping",
]

Probability = Annotated[float, Field(ge=0.0, le=1.0)]
HourOfDay = Annotated[float, Field(ge=0.0, le=24.0)]
Weekday = Annotated[int, Field(ge=0, le=6)]


class Strict(BaseModel):
    """Base for every section: unknown keys are errors; assignment is validated too; no
    float may be infinite or NaN (YAML's `.inf` and `.nan`)."""

    model_config = ConfigDict(extra="forbid", validate_assignment=True, allow_inf_nan=False)


class Dist(Strict):
    """A non-negative random quantity: `fixed`, `exponential`, `normal` (truncated at 0),
    `lognormal`, `gamma` (mean and cv), `geometric` or `poisson` (shifted so the minimum is
    `min`), or `empirical` (`values` drawn with `weights`, as observed in a client's data;
    its mean and cv follow from them), in the unit of the field that holds it."""

    dist: Literal[
        "fixed", "exponential", "normal", "lognormal", "gamma", "geometric", "poisson",
        "empirical",
    ] = "fixed"
    mean: NonNegativeFloat
    cv: NonNegativeFloat = 0.0
    min: NonNegativeFloat = 0.0
    values: list[NonNegativeFloat] | None = None  # empirical only
    weights: list[NonNegativeFloat] | None = None  # empirical only; equal when left out

    @model_validator(mode="before")
    @classmethod
    def _empirical_moments(cls, data: object) -> object:
        """An empirical distribution's mean, cv and min are its values' (given or not)."""
        if not (isinstance(data, Mapping) and data.get("dist") == "empirical"):
            return data
        values, weights = data.get("values"), data.get("weights")
        unusable = {"mean": 0.0, **data}  # the checks after name the problem
        if not isinstance(values, list) or not values:
            return unusable
        if weights is None:
            weights = [1.0] * len(values)
        try:
            v, w = [float(x) for x in values], [float(x) for x in weights]
        except (TypeError, ValueError):
            return unusable
        total = sum(w)
        if len(v) != len(w) or total <= 0 or min(w) < 0:
            return unusable
        mean = sum(a * b for a, b in zip(v, w, strict=True)) / total
        var = sum(b * (a - mean) ** 2 for a, b in zip(v, w, strict=True)) / total
        return {**data, "mean": mean, "cv": (var**0.5 / mean) if mean > 0 else 0.0,
                "min": min(v)}

    @model_validator(mode="after")
    def _discrete_mean_reaches_min(self) -> Dist:
        if self.dist in ("geometric", "poisson") and self.mean < self.min:
            raise ValueError(f"mean must be >= min ({self.min}) for a {self.dist} count")
        if self.dist == "empirical":
            if not self.values:
                raise ValueError("an empirical distribution needs a non-empty values list")
            if self.weights is not None and (len(self.weights) != len(self.values)
                                             or sum(self.weights) <= 0):
                raise ValueError(f"weights needs {len(self.values)} non-negative numbers "
                                 f"with a positive sum, one per value, got {self.weights}")
        elif self.values is not None or self.weights is not None:
            raise ValueError(f"values and weights are for dist: empirical, not {self.dist}")
        return self

    def probabilities(self) -> np.ndarray:
        """An empirical distribution's weights as probabilities (sum 1)."""
        w = np.ones(len(self.values or ())) if self.weights is None else np.array(self.weights)
        return w / w.sum()


# ---------------------------------------------------------------- run, SKUs, demand


class RunSettings(Strict):
    """Length of the run, warm-up discarded from KPIs, seed and replications."""

    horizon_days: PositiveInt = 28
    warmup_days: NonNegativeInt = 0
    seed: NonNegativeInt = 0
    replications: PositiveInt = 1
    start_weekday: Weekday = 0  # 0 = Monday
    start_date: date | None = None  # calendar date of day 0; sets start_weekday when given
    dispatch_interval_min: NonNegativeFloat = 1.0  # orders are routed in buckets this long

    @model_validator(mode="after")
    def _warmup_inside_horizon(self) -> RunSettings:
        if self.start_date is not None and self.start_weekday != self.start_date.weekday():
            self.start_weekday = self.start_date.weekday()
        if self.warmup_days >= self.horizon_days:
            raise ValueError(
                f"warmup_days ({self.warmup_days}) must be < horizon_days ({self.horizon_days})"
            )
        return self


class Category(Strict):
    """A product category: its share of SKUs, the share of its sold units returned and, if it
    differs from `returns.delay_days`, its own delay (days from delivery to drop-off)."""

    name: str
    share: PositiveFloat = 1.0
    return_rate: Probability = 0.0
    return_delay_days: Dist | None = None  # default: returns.delay_days


class SkuSpec(Strict):
    """One SKU given explicitly."""

    id: str
    popularity: PositiveFloat = 1.0  # relative share of order lines
    weight_kg: PositiveFloat = 1.0
    cube_m3: PositiveFloat = 0.005
    unit_value: NonNegativeFloat = 20.0
    category: str = "general"
    price: NonNegativeFloat | None = None  # selling price; default sales.price_markup on unit_value
    # Outer dimensions (cm) for carton packing, the third side its height; without them a
    # packing node takes a box of `cube_m3` (sim.cartons.sku_dims). Given without cube_m3,
    # the cube is their product.
    dims_cm: tuple[PositiveFloat, PositiveFloat, PositiveFloat] | None = None
    upright: bool = False  # keeps its height vertical in a carton (turns only about it)

    @model_validator(mode="after")
    def _cube_from_dims(self) -> SkuSpec:
        if self.dims_cm is not None and "cube_m3" not in self.model_fields_set:
            cube = float(np.prod(self.dims_cm)) / 1e6
            object.__setattr__(self, "cube_m3", cube)  # no re-validation loop
        return self


class SkuGenerator(Strict):
    """SKUs drawn at random: Zipf popularity with exponent `zipf_s`, lognormal attributes."""

    count: PositiveInt = 200
    zipf_s: NonNegativeFloat = 1.0
    weight_kg: Dist = Dist(dist="lognormal", mean=1.0, cv=0.8)
    cube_m3: Dist = Dist(dist="lognormal", mean=0.005, cv=0.8)
    unit_value: Dist = Dist(dist="lognormal", mean=30.0, cv=0.8)


class Skus(Strict):
    """SKUs: an explicit `items` list or a `generator`; `categories` for return rates."""

    items: Annotated[list[SkuSpec], Field(min_length=1)] | None = None
    generator: SkuGenerator | None = None
    categories: list[Category] = [Category(name="general")]

    @model_validator(mode="after")
    def _one_source(self) -> Skus:
        if (self.items is None) == (self.generator is None):
            raise ValueError("give exactly one of items or generator")
        names = {c.name for c in self.categories}
        seen: set[str] = set()
        for i, s in enumerate(self.items or []):
            if s.category not in names:
                raise ValueError(f"items[{i}].category {s.category!r} is not in categories")
            if s.id in seen:
                raise ValueError(f"items[{i}].id {s.id!r} is a duplicate SKU id")
            seen.add(s.id)
        return self


class Spike(Strict):
    """A demand spike: orders per day multiplied by `multiplier` from `start_day` on.

    `multiplier` is what happens; what the run's planners know of it beforehand is
    `announced` (a promotion on the calendar: its dates are known, and its size as the
    planner's estimate `expected_multiplier`, which an announced spike must give, e.g. last
    year's multiplier) or not (a viral post: nothing is known until its orders arrive).
    Under `demand.forecast: oracle` every spike is known at its true `multiplier` and these
    two fields are ignored."""

    name: str = "spike"
    start_day: NonNegativeFloat
    duration_days: PositiveFloat
    multiplier: PositiveFloat
    announced: bool = False
    expected_multiplier: PositiveFloat | None = None

    @model_validator(mode="after")
    def _estimate_iff_announced(self) -> Spike:
        if self.announced and self.expected_multiplier is None:
            raise ValueError(f"spike {self.name!r} is announced: give expected_multiplier, "
                             "the planner's estimate of its multiplier")
        if not self.announced and self.expected_multiplier is not None:
            raise ValueError(f"spike {self.name!r}: expected_multiplier "
                             f"{self.expected_multiplier:g} needs announced: true (an "
                             "unannounced spike is unknown until its orders arrive)")
        return self


class ServiceLevel(Strict):
    """A delivery promise customers choose, e.g. standard 5 days or expedited 2 days."""

    name: str
    share: Probability
    promise_days: PositiveInt


class Verification(Strict):
    """Order checks before release: a check time, and a share held for payment/fraud review."""

    check_time_min: NonNegativeFloat = 2.0
    hold_share: Probability = 0.02
    review_time_h: Dist = Dist(dist="exponential", mean=4.0)
    reject_share_of_held: Probability = 0.25


# Intraday profile: share of a day's orders by hour; evening-heavy, as web traffic is.
DEFAULT_INTRADAY = [
    1, 0.6, 0.4, 0.3, 0.3, 0.5, 1.2, 2.5, 3.8, 4.5, 5.0, 5.2,
    5.4, 5.3, 5.0, 4.9, 5.0, 5.4, 5.9, 6.5, 7.0, 6.8, 5.2, 3.0,
]  # fmt: skip
DEFAULT_WEEKDAY = [1.05, 1.05, 1.0, 1.0, 0.95, 0.9, 1.05]


class Demand(Strict):
    """Orders: a non-homogeneous Poisson process with profiles, trend and spikes."""

    orders_per_day: PositiveFloat
    lines_per_order: Dist = Dist(dist="geometric", mean=1.6, min=1)
    units_per_line: Dist = Dist(dist="geometric", mean=1.3, min=1)
    intraday_profile: list[NonNegativeFloat] = DEFAULT_INTRADAY
    weekday_profile: list[NonNegativeFloat] = DEFAULT_WEEKDAY
    trend_per_year: float = Field(0.0, gt=-1.0)  # growth of the daily rate, compounded
    # Annual seasonality: 12 weights, January first, by the calendar month of each day (day
    # 0 is run.start_date); none = flat year.
    annual_profile: list[NonNegativeFloat] | None = None
    spikes: list[Spike] = []
    # what the look-ahead routing and the spike pre-build know of demand (sim.demand_forecast):
    # online, the demand seen so far and the announced spikes; oracle, the true rate
    forecast: Literal["online", "oracle"] = "online"
    # The base rate the planners believe, when it is not the truth above that the orders are
    # drawn at: the stock levels are sized on it and the online forecast starts from it (a
    # plan that turns out low or high); none = the planners know orders_per_day.
    planned_orders_per_day: PositiveFloat | None = None
    service_levels: list[ServiceLevel] = [
        ServiceLevel(name="standard", share=0.8, promise_days=5),
        ServiceLevel(name="expedited", share=0.2, promise_days=2),
    ]
    verification: Verification = Verification()
    # Replay: the orders of a client's order-lines file instead of drawn ones (see
    # sim/replay.py); the fields above still describe demand to the stock sizing.
    orders_file: Path | None = None
    columns: dict[str, str] = {}  # ours -> the file's, e.g. {created_at: OrderDate}
    tz: str | None = None  # convert offset timestamps to this zone (e.g. Europe/Paris)

    @field_validator("intraday_profile")
    @classmethod
    def _24_hours(cls, v: list[float]) -> list[float]:
        if len(v) != 24 or sum(v) <= 0:
            raise ValueError(f"needs 24 non-negative weights with a positive sum, got {len(v)}")
        return v

    @field_validator("weekday_profile")
    @classmethod
    def _7_days(cls, v: list[float]) -> list[float]:
        if len(v) != 7 or sum(v) <= 0:
            raise ValueError(f"needs 7 non-negative weights with a positive sum, got {len(v)}")
        return v

    @field_validator("annual_profile")
    @classmethod
    def _12_months(cls, v: list[float] | None) -> list[float] | None:
        if v is not None and (len(v) != 12 or sum(v) <= 0):
            raise ValueError(f"needs 12 non-negative weights with a positive sum, got {len(v)}")
        return v

    @field_validator("lines_per_order", "units_per_line")
    @classmethod
    def _at_least_one(cls, v: Dist) -> Dist:
        if v.min < 1 or v.mean < v.min or v.min != int(v.min):
            raise ValueError("a count per order needs a whole min >= 1 and mean >= min, got "
                             f"min {v.min:g}, mean {v.mean:g}")
        return v

    @field_validator("service_levels")
    @classmethod
    def _shares_sum_to_one(cls, v: list[ServiceLevel]) -> list[ServiceLevel]:
        if not v or abs(sum(s.share for s in v) - 1.0) > 1e-6:
            raise ValueError("shares must sum to 1")
        return v


class DemandPoint(Strict):
    """A customer location with a weight (orders, revenue or population)."""

    id: str
    lat: float = Field(ge=-90, le=90)
    lon: float = Field(ge=-180, le=180)
    weight: NonNegativeFloat


class Geography(Strict):
    """Where customers are: a bundled region, a CSV `id,lat,lon,weight`, or explicit points."""

    region: Literal["us", "fr"] | None = None
    points_csv: Path | None = None
    points: list[DemandPoint] | None = None

    @model_validator(mode="after")
    def _one_source(self) -> Geography:
        given = [x is not None for x in (self.region, self.points_csv, self.points)]
        if sum(given) != 1:
            raise ValueError("give exactly one of region, points_csv or points")
        if self.points is not None and not self.points:
            raise ValueError("points must not be empty")
        return self


# ---------------------------------------------------------------- nodes


class Freight(Strict):
    """What moving one shipment costs, in the scenario's currency: per shipment (a truck or
    a container: one per `capacity_kg` of it, when given), per unit and per kg."""

    cost_per_shipment: NonNegativeFloat = 0.0
    cost_per_unit: NonNegativeFloat = 0.0
    cost_per_kg: NonNegativeFloat = 0.0
    capacity_kg: PositiveFloat | None = None  # a full truck's or container's payload

    def cost(self, units: float, kg: float) -> float:
        """Freight of one shipment of `units` weighing `kg` (currency)."""
        loads = math.ceil(kg / self.capacity_kg) if self.capacity_kg and kg > 0 else 1
        return self.cost_per_shipment * loads + self.cost_per_unit * units + self.cost_per_kg * kg


# Inbound transport modes: typical door-to-door lead time and freight of each, for a
# scenario that names the mode and not its own quotes (its own values win). Market levels
# of 2025, rounded; replace them with the client's quotes. Sea: Asia to a US West Coast DC,
# 25-35 days port to port plus drayage and customs (Freightos/Flexport transit guides), one
# 40 ft container (about 26,000 kg payload) at about 3,000 USD all in (Freightos Baltic
# Index FBX01 ranged 2,000-5,000 USD/FEU in 2025). Air: 5-8 days door to door, about
# 5 USD/kg (TAC Index, Asia to North America). Road FTL: a 53 ft truck, about 2.3 USD/mile
# (DAT spot van rates) over about 1,000 miles, 20,000 kg payload, 2-4 days. Road LTL:
# 3-7 days, about 0.35 USD/kg for a few pallets (published LTL rate-per-cwt ranges).
TRANSPORT_MODES: dict[str, dict[str, object]] = {
    "sea": {"lead_time_days_mean": 35.0, "lead_time_days_sd": 7.0,
            "freight": {"cost_per_shipment": 3_000.0, "capacity_kg": 26_000.0}},
    "air": {"lead_time_days_mean": 7.0, "lead_time_days_sd": 1.5,
            "freight": {"cost_per_shipment": 150.0, "cost_per_kg": 5.0}},
    "road_ftl": {"lead_time_days_mean": 3.0, "lead_time_days_sd": 1.0,
                 "freight": {"cost_per_shipment": 2_300.0, "capacity_kg": 20_000.0}},
    "road_ltl": {"lead_time_days_mean": 5.0, "lead_time_days_sd": 1.5,
                 "freight": {"cost_per_shipment": 75.0, "cost_per_kg": 0.35}},
}


class Supplier(Strict):
    """Replenishment supplier: lead time in days (mean and standard deviation), the inbound
    leg's transport mode and its freight per purchase order (one shipment)."""

    # A named mode fills in the lead time and freight the scenario does not give
    # (TRANSPORT_MODES); without one, freight is 0 unless given.
    transport: Literal["sea", "air", "road_ftl", "road_ltl"] | None = None
    lead_time_days_mean: PositiveFloat = 7.0
    lead_time_days_sd: NonNegativeFloat = 1.5
    freight: Freight = Freight()

    @model_validator(mode="before")
    @classmethod
    def _transport_defaults(cls, data: object) -> object:
        preset = TRANSPORT_MODES.get(data.get("transport")) if isinstance(data, Mapping) \
            and isinstance(data.get("transport"), str) else None
        if preset is None:
            return data
        freight = data.get("freight", {})
        if isinstance(freight, Mapping):  # the quotes given win, field by field
            freight = {**preset["freight"], **freight}
        return {**preset, **data, "freight": freight}

    def lead_time_dist(self) -> Dist:
        """Lead time in days: gamma with this mean and standard deviation (fixed if sd = 0)."""
        if self.lead_time_days_sd == 0:
            return Dist(dist="fixed", mean=self.lead_time_days_mean)
        return Dist(dist="gamma", mean=self.lead_time_days_mean,
                    cv=self.lead_time_days_sd / self.lead_time_days_mean)


class Transfer(Freight):
    """How replenishment travels from the node a node replenishes from (sim.replenishment):
    lead time in days from leaving the source to its dock, the source's pickers' seconds per
    transfer line (case pick and load; 0 ships from the shelf at once) and freight in the
    scenario's currency per shipment, per unit and per kg."""

    lead_time_days: Dist = Dist(dist="gamma", mean=2.0, cv=0.3)
    # a continuous-review (r_Q) node's requests wait for the next multiple of this many hours
    # and leave together, one shipment (one cost_per_shipment) per window; 0: each at once
    consolidate_h: NonNegativeFloat = 1.0
    pick_s_per_line: NonNegativeFloat = 0.0


class LateralTransfers(Strict):
    """Transfers between forward nodes that hold the same SKUs (sim.lateral): an emergency
    transfer when a node runs short and another holds spare stock (the nearest first), and
    an optional periodic rebalancing to equal days of cover. A donor keeps `hold_back_share`
    of its order-up-to level (the hold-back rule of partial pooling; 0 gives all it has).
    Emergency requests on a lane within `consolidate_h` hours share one shipment."""

    nodes: list[str] | None = None  # default: every stocking node that serves customers
    emergency: bool = True
    hold_back_share: Probability = 0.5
    rebalance_every_days: PositiveInt | None = None
    rebalance_min_units: PositiveInt = 1  # a smaller move is not worth a shipment
    # Emergency requests on one lane (donor to node) within this many hours leave as one
    # shipment, as the DC's transfers (`transfer.consolidate_h`); 0 sends each at once.
    consolidate_h: NonNegativeFloat = 1.0
    # Road express between nearby nodes: about a day, a small van or LTL price per shipment.
    lead_time_days: Dist = Dist(dist="gamma", mean=1.0, cv=0.3)
    freight: Freight = Freight(cost_per_shipment=75.0, cost_per_kg=0.35)


class StockPolicy(Strict):
    """How a node reviews and replenishes stock: policy, review period, service target, and
    where it replenishes from (its supplier, or another node: `replenish_from`)."""

    # r_Q: continuous review, Q units (or the multiple of Q that lifts the position above r)
    # whenever the inventory position falls to r or below; Q is the mean demand of a review
    # period, r protects the lead time (sim.stock_levels)
    policy: Literal["order_up_to", "s_S", "r_Q"] = "order_up_to"
    review_period_days: PositiveInt = 7
    target_kind: Literal["fill_rate", "cycle_service"] = "fill_rate"
    target: Annotated[float, Field(gt=0.0, lt=1.0)] = 0.97
    supplier: Supplier = Supplier()
    # Multi-echelon (sim.replenishment): the node id this node orders from instead of its
    # supplier, and how those transfers travel; at a source, how it shares short stock among
    # the nodes it feeds, whether its position counts the stock downstream (echelon), and
    # whether customers' orders are routed to it at all.
    replenish_from: str | None = None
    transfer: Transfer = Transfer()
    rationing: Literal["fcfs", "proportional"] = "fcfs"
    position: Literal["installation", "echelon"] = "installation"
    serves_customers: bool = True


class Location(Strict):
    """A site in degrees."""

    lat: float = Field(ge=-90, le=90)
    lon: float = Field(ge=-180, le=180)


class TempBooking(Strict):
    """Temporary (agency) workers: `count` more workers on each of the crew's shifts (or only
    on shift number `shift`, 0-based) on its working days from `start_day` to before
    `end_day` (days of the run)."""

    count: PositiveInt
    start_day: NonNegativeInt
    end_day: PositiveInt
    shift: NonNegativeInt | None = None

    @model_validator(mode="after")
    def _start_before_end(self) -> TempBooking:
        if not self.start_day < self.end_day:
            raise ValueError(f"start_day ({self.start_day}) must be before end_day "
                             f"({self.end_day})")
        return self


class LearningCurve(Strict):
    """A new temp works at `start_share` of a trained worker's speed on its first day, rising
    linearly to full speed after `ramp_days` days (its job times are divided by it)."""

    start_share: Annotated[float, Field(gt=0.0, le=1.0)] = 1.0
    ramp_days: NonNegativeFloat = 0.0

    def productivity(self, days_in: float) -> float:
        """Share of full speed (0-1] on the day `days_in` days after the start (0: first)."""
        if self.ramp_days <= 0 or days_in >= self.ramp_days:
            return 1.0
        return self.start_share + (1.0 - self.start_share) * days_in / self.ramp_days


class Crew(Strict):
    """A pool of workers: `count` per shift, shifts as [start_h, end_h] on `days`; temps
    booked by date, who ramp up on `learning`; each worker absent on a day with
    probability `absent_share`."""

    count: NonNegativeInt
    shifts: list[tuple[HourOfDay, HourOfDay]] = [(0.0, 24.0)]
    days: list[Weekday] = [0, 1, 2, 3, 4, 5, 6]
    overtime_max_h: NonNegativeFloat = 0.0  # per shift, used only while work waits
    temps: list[TempBooking] = []
    # The plan is made on day 0: a temp cannot start before the agency's lead time has run.
    hiring_lead_days: NonNegativeInt = 0
    learning: LearningCurve = LearningCurve()  # of the temps (the permanent crew is trained)
    absent_share: Probability = 0.0  # absent workers do not work but are paid

    @field_validator("shifts")
    @classmethod
    def _start_before_end(cls, v: list[tuple[float, float]]) -> list[tuple[float, float]]:
        for start, end in v:
            if not start < end:
                raise ValueError(f"shift start must be before end, got [{start}, {end}]")
        return v

    @model_validator(mode="after")
    def _temps_fit(self) -> Crew:
        for i, t in enumerate(self.temps):
            if t.shift is not None and t.shift >= len(self.shifts):
                raise ValueError(f"temps[{i}].shift {t.shift} is not a shift of this crew "
                                 f"(it has {len(self.shifts)}, numbered from 0)")
            if t.start_day < self.hiring_lead_days:
                raise ValueError(f"temps[{i}].start_day {t.start_day} is inside the hiring "
                                 f"lead time (hiring_lead_days: {self.hiring_lead_days}): "
                                 "hired on day 0, a temp starts on that day at the earliest")
        return self


class Flex(Strict):
    """Cross-trained workers: while crew `to` has more than N jobs waiting (`rule:
    "queue_longer_than N"`), up to `count` idle workers of crew `from` work there, checked
    every `check_min` minutes; they go back when its queue is empty (or their own shift
    ends: at the next check)."""

    model_config = ConfigDict(populate_by_name=True)

    from_: str = Field(alias="from")
    to: str
    count: PositiveInt
    rule: Annotated[str, Field(pattern=r"^queue_longer_than \d+$")]
    check_min: PositiveFloat = 15.0

    @property
    def threshold(self) -> int:
        """N of the rule: jobs waiting at `to` above which workers move."""
        return int(self.rule.rsplit(" ", 1)[1])


CORE_CREWS = ("receivers", "pickers", "packers")
# A stage's name is the state of a shipment inside it, so it may not be a built-in one.
RESERVED_STAGE_NAMES = ("pick", "pack", "routed", "backordered", "ready", "picking", "packing",
                        "staged", "at_supplier", "in_transit", "delivered", "in_process",
                        "cancelled")


class Resources(Strict):
    """The node's crews: receivers, pickers, packers, and any crew an extra stage works with
    (named freely, e.g. `labellers: {count: 2}`)."""

    model_config = ConfigDict(extra="allow", validate_assignment=True)
    __pydantic_extra__: dict[str, Crew]

    receivers: Crew = Crew(count=2, shifts=[(6.0, 14.0)], days=[0, 1, 2, 3, 4])
    pickers: Crew = Crew(count=10, shifts=[(6.0, 14.0), (14.0, 22.0)], days=[0, 1, 2, 3, 4, 5])
    packers: Crew = Crew(count=4, shifts=[(6.0, 14.0), (14.0, 22.0)], days=[0, 1, 2, 3, 4, 5])
    flex: list[Flex] = []  # cross-trained workers moving between crews by a rule

    @model_validator(mode="after")
    def _flex_crews(self) -> Resources:
        crews = self.crews()
        for i, f in enumerate(self.flex):
            for side, name in (("from", f.from_), ("to", f.to)):
                if name not in crews:
                    raise ValueError(f"flex[{i}].{side} {name!r} is not a crew of this node "
                                     f"({', '.join(crews)})")
            if f.from_ == f.to:
                raise ValueError(f"flex[{i}]: from and to are the same crew ({f.to!r})")
        return self

    def crews(self) -> dict[str, Crew]:
        """Every crew by name: receivers, pickers, packers, then the extra ones as given."""
        return {**{k: getattr(self, k) for k in CORE_CREWS}, **(self.__pydantic_extra__ or {})}


class Stage(Strict):
    """An outbound station after packing (labelling, a scan check, a carton station): each
    shipment waits for a worker of `crew` and takes `s_per_shipment` plus `s_per_unit` per
    unit (seconds)."""

    name: Annotated[str, Field(pattern=r"^[a-z][a-z0-9_]*$")]
    crew: str
    s_per_shipment: Dist
    s_per_unit: NonNegativeFloat = 0.0


class InboundStage(Strict):
    """A station between the dock and stock (receive, QC, put-away, ...): a sampled `share`
    of purchase-order lines waits for a worker of `crew` and takes `s_per_line` plus
    `s_per_unit` per unit (seconds); the other lines pass it by."""

    name: Annotated[str, Field(pattern=r"^[a-z][a-z0-9_]*$")]
    crew: str
    s_per_line: Dist
    s_per_unit: NonNegativeFloat = 0.0
    share: Probability = 1.0  # e.g. 0.1 for a QC that samples one line in ten
    # share of the lines this stage takes that it rejects back to the supplier (a QC
    # stage): they do not reach stock, and a replacement purchase order follows
    reject_share: Probability = 0.0


# The one-job receiving's times, which inbound_stages replace.
RECEIVING_TIMES = ("receive_s_per_line", "receive_s_per_unit", "qc_share", "qc_s_per_line",
                   "putaway_s_per_line")


class ProcessTimes(Strict):
    """Times per task (seconds) at a node: inbound, packing, returns inspection."""

    receive_s_per_line: Dist = Dist(dist="gamma", mean=120.0, cv=0.3)
    receive_s_per_unit: NonNegativeFloat = 2.0
    qc_share: Probability = 0.1  # share of inbound lines sampled for quality control
    qc_s_per_line: NonNegativeFloat = 300.0
    putaway_s_per_line: Dist = Dist(dist="gamma", mean=90.0, cv=0.3)
    pack_s_per_order: Dist = Dist(dist="gamma", mean=130.0, cv=0.3)  # ~28 orders/h
    pack_s_per_extra_unit: NonNegativeFloat = 10.0
    inspect_s_per_return: Dist = Dist(dist="gamma", mean=180.0, cv=0.4)


class Layout(Strict):
    """Rectangular parallel-aisle warehouse for picking (see optimize.pick_routing)."""

    n_aisles: PositiveInt = 20
    aisle_length_m: PositiveFloat = 30.0
    aisle_spacing_m: PositiveFloat = 3.0
    n_cross_aisles: Annotated[int, Field(ge=2)] = 2
    depot_x_m: NonNegativeFloat = 0.0
    slotting: Literal["random", "abc", "cube_per_order"] = "abc"

    @model_validator(mode="after")
    def _depot_on_front_aisle(self) -> Layout:
        width = (self.n_aisles - 1) * self.aisle_spacing_m
        if self.depot_x_m > width:
            raise ValueError(f"depot_x_m must be <= (n_aisles - 1) * aisle_spacing_m = {width}")
        return self


class Picking(Strict):
    """How pick tours become pick time: route length / speed + time per line + set-up."""

    routing: str = "s_shape"
    batching: Literal["none", "fcfs", "seed", "savings"] = "none"
    cart_capacity_orders: PositiveInt = 1
    batching_window_orders: PositiveInt = 60  # seed/savings batch within windows this large
    walk_speed_m_s: PositiveFloat = 1.0
    time_per_line_s: NonNegativeFloat = 12.0
    time_per_unit_s: NonNegativeFloat = 3.0
    setup_per_tour_s: NonNegativeFloat = 30.0
    pick_time_s: Dist | None = None  # overrides the tour model (used for queueing checks)


class Release(Strict):
    """Release of allocated orders to the floor: in waves or continuously."""

    mode: Literal["waves", "continuous"] = "waves"
    wave_interval_h: PositiveFloat = 1.0


class Sla(Strict):
    """A 3PL's contracted capacity: orders it processes per day at most."""

    capacity_orders_per_day: PositiveInt = 100_000


class SupplierRegion(NamedTuple):
    """A named supplier region: where its parcels leave from, and the days a cross-border
    line haul adds to the carrier's transit."""

    lat: float
    lon: float
    city: str
    extra_transit_days: int


# source: city-centre coordinates, US Census Bureau Gazetteer (Los Angeles CA, Chicago IL,
# Newark NJ, Dallas TX) and GeoNames (Shenzhen). china_south's extra days: cross-border
# e-commerce lines (ePacket, YunExpress, Cainiao) publish 7-15 days door to door to the US;
# the carrier table's farthest band gives the last 2-5, so 7 days of line haul are added.
SUPPLIER_REGIONS: dict[str, SupplierRegion] = {
    "us_west": SupplierRegion(34.05, -118.24, "Los Angeles", 0),
    "us_midwest": SupplierRegion(41.88, -87.63, "Chicago", 0),
    "us_east": SupplierRegion(40.74, -74.17, "Newark", 0),
    "us_south": SupplierRegion(32.78, -96.80, "Dallas", 0),
    "china_south": SupplierRegion(22.54, 114.06, "Shenzhen", 7),
    "fr_southeast": SupplierRegion(45.76, 4.84, "Lyon", 0),  # source: INSEE / GeoNames
}
SupplierRegionName = Literal["us_west", "us_midwest", "us_east", "us_south", "china_south",
                             "fr_southeast"]


class SupplierStock(Strict):
    """A dropship supplier's own stock of each SKU: `units` of every SKU, or `days_of_cover`
    of the network's mean daily demand for it; each unit taken is reordered at once and back
    after `lead_time_days` (one-for-one base stock). An order short of it waits, or is lost,
    as `sales.on_stockout` says (units lost are not reordered)."""

    units: PositiveInt | None = None
    days_of_cover: PositiveFloat | None = None
    # source: supplier lead times of 2-4 weeks for domestic wholesale replenishment
    # (APQC and Gartner supply-chain benchmarks quote 14-30 days for finished goods).
    lead_time_days: Dist = Dist(dist="gamma", mean=14.0, cv=0.3)

    @model_validator(mode="after")
    def _one_level(self) -> SupplierStock:
        if (self.units is None) == (self.days_of_cover is None):
            raise ValueError("give stock.units or stock.days_of_cover (one of them)")
        return self


class DropshipSupplier(Strict):
    """A dropship node: the supplier processes and ships from its own site, given as
    `location` or as one of the named `region`s (required: never assumed)."""

    # source: dropship suppliers' handling times of 1-3 business days (Shopify and BigCommerce
    # dropshipping guides; marketplace dropship vendor policies ask for 1-2 days).
    processing_days: Dist = Dist(dist="gamma", mean=1.5, cv=0.4)
    location: Location | None = None  # the supplier's site, in degrees
    region: SupplierRegionName | None = None  # or one of SUPPLIER_REGIONS
    extra_transit_days: NonNegativeInt | None = None  # line haul; default: the region's (or 0)
    stock: SupplierStock | None = None  # the supplier's stock; None: it never runs out

    @model_validator(mode="after")
    def _one_site(self) -> DropshipSupplier:
        if self.location is not None and self.region is not None:
            raise ValueError("give location or region for the supplier's site, not both")
        return self

    def site(self) -> Location | None:
        """Where the supplier ships from (None: not given)."""
        if self.region is not None:
            r = SUPPLIER_REGIONS[self.region]
            return Location(lat=r.lat, lon=r.lon)
        return self.location

    def line_haul_days(self) -> int:
        """Days added to the carrier's transit for a cross-border line haul."""
        if self.extra_transit_days is not None:
            return self.extra_transit_days
        return SUPPLIER_REGIONS[self.region].extra_transit_days if self.region else 0


# source: Amazon fulfilment centres, public lists of FBA warehouse addresses (city level):
# Moreno Valley CA, Kent WA, Fort Worth TX, Joliet IL, Atlanta GA, Robbinsville NJ.
MARKETPLACE_SITES = (
    Location(lat=33.94, lon=-117.23), Location(lat=47.38, lon=-122.23),
    Location(lat=32.75, lon=-97.33), Location(lat=41.53, lon=-88.08),
    Location(lat=33.75, lon=-84.39), Location(lat=40.21, lon=-74.60),
)


class Marketplace(Strict):
    """A marketplace's own fulfilment network (FBA/FBS model): the seller sends stock in
    bulk from its node (transport per pallet), pays inbound placement and prep per unit, a
    fee per unit shipped by size tier (standard: by weight tier; oversize: a base plus per
    kg), storage per cubic metre per month (higher from October to December) and returns
    processing per unit; the marketplace delivers from the nearest of its `sites` (all hold
    stock: it places inbound stock across its network) on its own promise, with its own
    crews (never in the merchant's labour line). Long-term storage (stock over 365 days
    old) is not charged: a run shorter than a year holds none. Defaults approximate Amazon
    FBA's 2025 US fees converted to kg and m3."""

    # source: Amazon FBA fulfilment fees 2025 (US, standard size, non-apparel), per unit by
    # shipping weight, converted from pounds and rounded
    fee_tiers_kg: list[PositiveFloat] = [0.25, 0.5, 1.0, 2.0, 5.0, 10.0]
    fee_per_unit: list[NonNegativeFloat] = [3.3, 3.7, 4.5, 5.9, 7.5, 9.6, 14.0]
    # source: Amazon's standard-size limit, 18 x 14 x 8 in and 20 lb (45.7 x 35.6 x 20.3 cm,
    # 9.07 kg); a unit of larger cube or weight is oversize (a cube limit: dims are not known
    # for every SKU)
    standard_max_m3: PositiveFloat = 0.033
    standard_max_kg: PositiveFloat = 9.07
    # source: Amazon bills the tiers on shipping weight, the greater of the unit's weight and
    # its dimensional weight at 139 in3/lb (5,022 cm3/kg; FBA fee pages 2024-2025, which
    # exempt small standard-size units: not modelled); null bills on actual weight
    dim_divisor_cm3_per_kg: PositiveFloat | None = 5022.0
    # source: Amazon FBA 2025 large bulky: 9.61 USD plus 0.38 USD per lb over the first
    oversize_base_per_unit: NonNegativeFloat = 9.61
    oversize_per_kg: NonNegativeFloat = 0.84
    # source: Amazon FBA monthly inventory storage fee 2025, standard size: 0.78 USD per cubic
    # foot January-September, 2.40 October-December
    storage_per_m3_month: NonNegativeFloat = 27.5  # 0.78 USD per cubic foot
    storage_peak_per_m3_month: NonNegativeFloat = 84.8  # 2.40 USD per cubic foot, Oct-Dec
    # source: Amazon FBA inbound placement service fee (from 2024): 0.21-0.68 USD per
    # standard-size unit by the number of inbound locations; the minimal split's middle
    inbound_placement_per_unit: NonNegativeFloat = 0.27
    # source: Amazon FBA prep and item-labelling services, 0.55 USD per unit (2024 rate card)
    prep_label_per_unit: NonNegativeFloat = 0.55
    # source: Amazon returns processing fee, charged per returned unit at about the unit's
    # fulfilment fee on categories above their return threshold (2024-2025); a small unit's
    returns_per_unit: NonNegativeFloat = 3.3
    # The seller's bulk shipments to the marketplace, per pallet of
    # `inventory.units_per_pallet` (initial stock included). source: LTL pallet rates of
    # 100-300 USD for 500-1,500 km (Amazon partnered-carrier LTL quotes, freight indexes)
    inbound_transport_per_pallet: NonNegativeFloat = 150.0
    # The marketplace's sites: each parcel leaves from the one nearest its customer, in
    # `transit_days_by_band` days by the carriers' distance bands; no sites: `transit_days`.
    sites: list[Location] = list(MARKETPLACE_SITES)
    # source: Amazon's network delivers most US Prime orders in 1-2 days (Amazon shipping
    # speed reports); 3 days to the farthest band
    transit_days_by_band: list[PositiveInt] = [1, 1, 2, 2, 3]
    transit_days: Dist = Dist(dist="poisson", mean=1.6, min=1)  # without sites, door to door
    promise_days: PositiveInt = 2

    @model_validator(mode="after")
    def _one_fee_per_tier(self) -> Marketplace:
        if len(self.fee_per_unit) != len(self.fee_tiers_kg) + 1:
            raise ValueError(f"fee_per_unit needs {len(self.fee_tiers_kg) + 1} values (one per "
                             f"weight tier and one above), got {len(self.fee_per_unit)}")
        return self


class InHouseMode(Strict):
    """in_house: the node's own building and crews (no settings)."""

    kind: Literal["in_house"] = "in_house"


class ThreePlMode(Sla):
    """3pl: a third-party warehouse working to its contracted capacity."""

    kind: Literal["3pl"] = "3pl"


class DropshipMode(DropshipSupplier):
    """dropship: the supplier processes and ships from its own site; no stock, no stations."""

    kind: Literal["dropship"] = "dropship"


class MarketplaceMode(Marketplace):
    """marketplace: the marketplace's own network stores and delivers (FBA/FBS)."""

    kind: Literal["marketplace"] = "marketplace"


# One settings model per fulfilment mode; sim.fulfilment_modes pairs each with its rules
# (and checks it names the same modes).
_MODE_MODELS = (InHouseMode, ThreePlMode, DropshipMode, MarketplaceMode)
MODE_SETTINGS: dict[str, type[Strict]] = {
    cls.model_fields["kind"].default: cls for cls in _MODE_MODELS}
MODE_KINDS: tuple[str, ...] = tuple(MODE_SETTINGS)
# The per-mode sibling keys of earlier releases (`mode: 3pl` beside `sla: {...}`); they
# still load into `mode` (with a DeprecationWarning) until the next release.
OLD_MODE_KEYS = {"sla": "3pl", "dropship": "dropship", "marketplace": "marketplace"}


def _mode_settings(data: object, handler: ValidatorFunctionWrapHandler) -> object:
    """Validate a node's mode: a bare kind (`3pl`) is that mode at its defaults; a mapping is
    validated by the settings model its `kind` names, error paths relative to `mode`."""
    if isinstance(data, str):
        if data not in MODE_SETTINGS:
            _fail((), data, "literal_error", {"expected": _either(MODE_KINDS)})
        data = {"kind": data}
    if isinstance(data, Mapping):
        kind = data.get("kind")
        if kind is None:
            _fail(("kind",), data, "missing", {})
        if not isinstance(kind, str) or kind not in MODE_SETTINGS:
            _fail(("kind",), kind, "literal_error", {"expected": _either(MODE_KINDS)})
        data = MODE_SETTINGS[kind].model_validate(data)
    return handler(data)


# `mode:` of a node, e.g. `3pl` or {kind: 3pl, capacity_orders_per_day: 5000}: a
# discriminated union of the per-mode settings.
ModeSettings = Annotated[
    Union[_MODE_MODELS],  # noqa: UP007 (a union of the tuple, which `|` cannot spell)
    Field(discriminator="kind"), WrapValidator(_mode_settings),
]


def _fold_old_mode_keys(data: Mapping) -> dict:
    """A node with the old sibling keys (`sla`, `dropship`, `marketplace`) folded into its
    `mode`, each with a DeprecationWarning; a key of another mode than the node's is an
    error naming it."""
    data = dict(data)
    mode = data.get("mode", "in_house")
    if isinstance(mode, BaseModel):
        mode = mode.model_dump()
    settings = dict(mode) if isinstance(mode, Mapping) else {"kind": mode}
    for old, kind in OLD_MODE_KEYS.items():
        if old not in data:
            continue
        value = data.pop(old)
        if value is None:  # what earlier releases dumped for a mode's unused key
            continue
        if settings.get("kind") not in MODE_SETTINGS:
            break  # the mode's own error says what is wrong
        if settings.get("kind") != kind:
            _fail((old,), value, "value_error", {"error": ValueError(
                f"{old} is for mode {kind}, but mode is {settings.get('kind')!r}")})
        if isinstance(value, BaseModel):
            value = value.model_dump()
        if not isinstance(value, Mapping):
            _fail((old,), value, "dict_type", {})
        both = sorted(set(value) & (set(settings) - {"kind"}))
        if both:
            _fail((old,), value, "value_error", {"error": ValueError(
                f"give mode.{both[0]} or {old}.{both[0]}, not both")})
        settings.update(value)
        new = yaml.safe_dump(settings, default_flow_style=True, sort_keys=False,
                             width=10_000).strip()
        _deprecated(f"node {data.get('id')!r}: {old} is deprecated: write mode: {new}",
                    "the old per-mode keys")
        data["mode"] = settings
    return data


def _supplier_site(data: Mapping) -> Mapping:
    """A dropship node's `location` from its mode's supplier site when the node gives none;
    an error naming the node and the field when neither does (never assumed)."""
    mode = data.get("mode")
    if isinstance(mode, BaseModel):
        mode = mode.model_dump()
    if mode == "dropship":
        mode = {"kind": "dropship"}
    if not isinstance(mode, Mapping) or mode.get("kind") != "dropship":
        return data
    if data.get("location") is not None:
        return data  # the node's own site is its supplier's (checked against the mode's)
    if mode.get("location") is None and mode.get("region") is None:
        raise ValueError(
            f"node {data.get('id')!r}: mode.location or mode.region is required for a dropship "
            "node (where the supplier ships from: {lat, lon}, or one of the regions "
            f"{', '.join(SUPPLIER_REGIONS)}); it is never taken from another node")
    try:
        site = DropshipSupplier.model_validate({k: v for k, v in mode.items()
                                                if k != "kind"}).site()
    except ValidationError:
        return data  # the mode's own validation reports it
    return {**data, "location": site}


# ---------------------------------------------------------------- cartons (issue 17)


class CartonSpec(Strict):
    """A carton type: inner dimensions (cm), the most it may weigh with its contents (kg) and
    its cost (currency per carton used)."""

    id: str
    inner_cm: tuple[PositiveFloat, PositiveFloat, PositiveFloat]
    max_kg: PositiveFloat = 30.0
    cost: NonNegativeFloat


class MailerSpec(Strict):
    """A padded mailer or polybag: takes units lying flat within `flat_cm` (length, width) up
    to `max_thickness_cm` thick and `max_kg`; packed and billed as a carton of those sides."""

    id: str
    flat_cm: tuple[PositiveFloat, PositiveFloat]
    max_thickness_cm: PositiveFloat
    max_kg: PositiveFloat = 2.0
    cost: NonNegativeFloat


class Packaging(Strict):
    """A node's carton catalogue: its packers pack each shipment into the cheapest set of
    cartons and mailers (carton cost plus the carrier charge on billable weight, sim.cartons);
    each carton is a parcel the carrier bills on its own."""

    cartons: list[CartonSpec] = Field(min_length=1)
    mailers: list[MailerSpec] = []
    s_per_extra_carton: NonNegativeFloat = 40.0  # erect, fill, tape, label each one after the first
    # CP-SAT proves the cheapest packing up to this many units (1-2 units are always proven,
    # without it); beyond, the extreme-point heuristic. Each CP-SAT call takes 10-100 ms.
    exact_max_units: NonNegativeInt = 2
    # The carrier's charge the packer expects (currency): per billable kg and per parcel (its
    # base rate); default: the mean over distance bands of the service with the lowest base
    # rate, less the node's carrier discount.
    rate_per_billable_kg: NonNegativeFloat | None = None
    rate_per_parcel: NonNegativeFloat | None = None

    @model_validator(mode="after")
    def _unique_ids(self) -> Packaging:
        ids = [c.id for c in self.cartons] + [m.id for m in self.mailers]
        dup = sorted({i for i in ids if ids.count(i) > 1})
        if dup:
            raise ValueError(f"carton and mailer ids must be unique, duplicated: {dup}")
        return self


class ScanCheck(Strict):
    """A verification station after packing: each shipment waits for a worker of `crew`
    and takes `s_per_shipment` plus `s_per_line` per line (seconds); it catches each pick
    or pack error with probability `catch_share`, and a caught shipment is picked again."""

    crew: str = "packers"
    catch_share: Probability = 0.95
    s_per_shipment: Dist = Dist(mean=10.0)
    s_per_line: NonNegativeFloat = 4.0


class CycleCounts(Strict):
    """Counts of a node's locations (one per SKU it carries) by `crew`: ABC classes by
    demand (A: the SKUs making the first `a_demand_share` of order lines, B the next up to
    `b_demand_share`, C the rest), each counted every `*_days` days; a count takes
    `s_per_location` seconds and sets the record to the shelf. `on_discrepancy`: a pick that
    finds less than the record also queues a count of that location."""

    crew: str = "receivers"
    a_demand_share: Probability = 0.8
    b_demand_share: Probability = 0.95
    a_days: PositiveInt = 30
    b_days: PositiveInt = 90
    c_days: PositiveInt = 365
    s_per_location: Dist = Dist(mean=60.0)
    on_discrepancy: bool = True

    @model_validator(mode="after")
    def _classes_in_order(self) -> CycleCounts:
        if self.b_demand_share < self.a_demand_share:
            raise ValueError(f"b_demand_share ({self.b_demand_share}) must be >= "
                             f"a_demand_share ({self.a_demand_share})")
        return self


class TransitDamage(Strict):
    """Damage in transit (sim.transit_damage): a chance per parcel that it reaches the customer
    damaged, `per_parcel` unless `by_service` ("carrier/service" -> chance) names the
    parcel's service, times the largest `fragility_by_category` factor (category -> factor,
    default 1) of the shipment's units (capped at 1). The damaged parcel's units are written
    off at the customer (not returned), a reshipment goes out at the parcel's carrier charge
    plus the section's `reship_handling_cost`, and the carrier's claim pays back
    `claim_recovery_share` of the damaged units' value. All zero (the default): no damage."""

    per_parcel: Probability = 0.0
    by_service: dict[str, Probability] = {}
    fragility_by_category: dict[str, NonNegativeFloat] = {}
    claim_recovery_share: Probability = 0.0


class Accuracy(Strict):
    """Errors and record drift at a stocking node (all zero: every pick right and the record
    exact, as without the section). Pick errors per line (a `wrong_item_share` of them the
    wrong SKU, the rest the wrong quantity), pack errors per shipment (a `wrong_label_share`
    of them a wrong address label, the rest a missing item); an error the customer finds is
    a return of the lines concerned plus a reshipment at the shipment's carrier cost plus
    `reship_handling_cost`. Record drift: events per location (SKU) and day, each taking a
    unit off the shelf but not off the record (shrinkage, damage or misplacement by their
    shares; a count finds misplaced units again). QC at receiving rejects
    `qc_reject_share` of the lines it checks back to the supplier."""

    pick_error_per_line: Probability = 0.0
    wrong_item_share: Probability = 0.5
    pack_error_per_shipment: Probability = 0.0
    wrong_label_share: Probability = 0.5
    reship_handling_cost: NonNegativeFloat = 0.0  # currency per reshipment
    scan_check: ScanCheck | None = None
    drift_per_location_day: NonNegativeFloat = 0.0
    shrinkage_share: Probability = 0.4
    damage_share: Probability = 0.3  # the rest of the drift is misplacement
    cycle_counts: CycleCounts | None = None
    qc_reject_share: Probability = 0.0  # of the lines the one-job receiving's QC checks
    transit_damage: TransitDamage | None = None  # damage in transit (None: none)

    @model_validator(mode="after")
    def _drift_shares(self) -> Accuracy:
        if self.shrinkage_share + self.damage_share > 1.0 + 1e-9:
            raise ValueError(f"shrinkage_share + damage_share must be <= 1, got "
                             f"{self.shrinkage_share} + {self.damage_share}")
        return self

    def crews(self) -> list[str]:
        """The crews this section's stations use (scan check, cycle counts)."""
        return [x.crew for x in (self.scan_check, self.cycle_counts) if x is not None]


# Default usable volume by location type name (m3). A pallet position: an EUR/ISO pallet
# footprint 1.2 x 1.0 m (ISO 6780) loaded to 1.5 m (a common rack beam pitch less clearance),
# times 0.8: the share of a location's cube filled in practice (honeycombing; Bartholdi &
# Hackman, Warehouse & Distribution Science, ch. 3). A shelf bin: a 60 x 40 x 30 cm tote
# (the VDA KLT / Euro container footprint) times the same 0.8.
DEFAULT_USABLE_M3 = {"pallet_positions": 1.2 * 1.0 * 1.5 * 0.8,
                     "shelf_bins": 0.6 * 0.4 * 0.3 * 0.8}


class LocationType(Strict):
    """One type of storage location: how many, and the volume each holds in practice (m3;
    default by name for `pallet_positions` and `shelf_bins`, see DEFAULT_USABLE_M3)."""

    count: NonNegativeInt
    usable_m3: PositiveFloat | None = None


class StorageOverflow(Strict):
    """The external store units go to when the node is full: rent per m3-day (currency;
    public warehousing at about 20 per pallet-month on 1.44 m3 is 0.46 per m3-day, short-term
    space a little dearer), handling per unit each way, and the days back once room frees."""

    cost_per_m3_day: NonNegativeFloat = 0.6
    handling_per_unit: NonNegativeFloat = 0.15
    transfer_days: NonNegativeFloat = 2.0


class Storage(Strict):
    """A node's storage locations by type and what happens when they are full (sim.storage)."""

    locations: dict[str, LocationType] = Field(min_length=1)
    when_full: Literal["overflow", "wait"] = "overflow"
    overflow: StorageOverflow = StorageOverflow()

    @model_validator(mode="after")
    def _usable(self) -> Storage:
        for name, loc in self.locations.items():
            if loc.usable_m3 is None:
                if name not in DEFAULT_USABLE_M3:
                    raise ValueError(f"locations.{name}.usable_m3 is required (a default "
                                     f"exists only for {', '.join(DEFAULT_USABLE_M3)})")
                object.__setattr__(loc, "usable_m3", DEFAULT_USABLE_M3[name])
        return self


class Node(Strict):
    """A fulfilment node: location, mode, crews, times, layout, cut-off and carrier pickup."""

    id: str
    location: Location
    mode: ModeSettings = InHouseMode()  # a kind (`3pl`) or {kind: 3pl, ...its settings}
    assortment: Literal["all", "fast_movers", "slow_movers"] = "all"  # SKUs stocked here
    resources: Resources = Resources()
    process_times: ProcessTimes = ProcessTimes()
    layout: Layout = Layout()
    picking: Picking = Picking()
    release: Release = Release()
    cutoff_h: HourOfDay = 12.0  # orders confirmed before it are promised to ship today
    pickup_h: HourOfDay = 17.0  # carrier pickup: what is staged by then ships
    pickup_days: list[Weekday] = [0, 1, 2, 3, 4]
    stock_multiplier: PositiveFloat = 1.0  # scales this node's share of stock levels
    inventory: StockPolicy | None = None  # overrides the scenario's inventory policy here
    stages: list[Stage] = []  # extra outbound stations after packing, in order
    # The inbound flow from the dock to stock as stations in order, each on its crew; when
    # none are given, one receivers' job per line does receive + QC + put-away with the
    # times in process_times.
    inbound_stages: list[InboundStage] = []
    packaging: Packaging | None = None  # a carton catalogue; None: a flat packaging fee
    accuracy: Accuracy | None = None  # pick/pack errors, record drift, counts (sim.accuracy)
    storage: Storage | None = None  # locations by type (sim.storage); None: unlimited

    @model_validator(mode="after")
    def _stores_own_stock(self) -> Node:
        if self.storage is not None and self.mode.kind == "dropship":
            raise ValueError("storage: a dropship node holds no stock (its supplier ships), so "
                             "it has no storage locations")
        return self

    @model_validator(mode="after")
    def _packs_own_parcels(self) -> Node:
        if self.packaging is not None and self.mode.kind not in ("in_house", "3pl"):
            raise ValueError(f"packaging: a {self.mode.kind} node does not pack its own parcels "
                             "(only in_house and 3pl nodes take a carton catalogue)")
        return self

    @model_validator(mode="before")
    @classmethod
    def _old_mode_keys(cls, data: object) -> object:
        """Fold the old `sla`, `dropship` and `marketplace` keys into `mode`; a dropship
        node's location is its supplier's (mode.location or mode.region)."""
        if isinstance(data, Mapping) and any(k in data for k in OLD_MODE_KEYS):
            data = _fold_old_mode_keys(data)
        if isinstance(data, Mapping):
            data = _supplier_site(data)
        return data

    @model_serializer(mode="wrap")
    def _site_once(self, handler: SerializerFunctionWrapHandler) -> dict:
        """A dropship node whose mode gives the supplier's site dumps it there only, so a
        changed mode.region or mode.location moves the node when loaded again."""
        data = handler(self)
        if self.mode.kind == "dropship" and self.mode.site() is not None:
            data.pop("location", None)
        return data

    @model_validator(mode="after")
    def _ships_from_its_supplier(self) -> Node:
        if self.mode.kind == "dropship" and self.mode.site() not in (None, self.location):
            raise ValueError(f"node {self.id!r}: location {self.location.model_dump()} is not "
                             f"the supplier's site {self.mode.site().model_dump()} (give it "
                             "once, as mode.location or mode.region)")
        return self

    @model_validator(mode="after")
    def _stage_crews(self) -> Node:
        crews = self.resources.crews()
        names = [s.name for s in self.stages]
        for i, s in enumerate(self.stages):
            if s.crew not in crews:
                raise ValueError(f"stages[{i}].crew {s.crew!r} is not a crew of this node "
                                 f"(resources: {', '.join(crews)})")
            if s.name in RESERVED_STAGE_NAMES or names.count(s.name) > 1:
                raise ValueError(f"stages[{i}].name {s.name!r} is taken (each stage name is "
                                 f"used once, and not one of {', '.join(RESERVED_STAGE_NAMES)})")
        inbound = [s.name for s in self.inbound_stages]
        for i, s in enumerate(self.inbound_stages):
            if s.crew not in crews:
                raise ValueError(f"inbound_stages[{i}].crew {s.crew!r} is not a crew of this "
                                 f"node (resources: {', '.join(crews)})")
            if s.name in inbound[:i]:
                raise ValueError(f"inbound_stages[{i}].name {s.name!r} is given twice")
        pt = self.process_times
        # compared with the defaults, not fields_set: a dumped scenario sets every field
        unused = [f for f in RECEIVING_TIMES
                  if getattr(pt, f) != ProcessTimes.model_fields[f].default]
        if self.inbound_stages and unused:
            raise ValueError(f"process_times.{unused[0]} is not used when inbound_stages are "
                             "given (each stage has its own times)")
        for field in ("stages", "inbound_stages"):
            if getattr(self, field) and self.mode.kind == "dropship":
                raise ValueError(f"{field}: a dropship node has no stations (its supplier "
                                 "processes and ships), so it takes no stages")
        used = {s.crew for s in (*self.stages, *self.inbound_stages)}
        if self.accuracy is not None:
            if self.mode.kind not in ("in_house", "3pl"):
                raise ValueError(f"accuracy: a {self.mode.kind} node has no stock or stations "
                                 "of its own (only in_house and 3pl nodes take it)")
            for name in self.accuracy.crews():
                if name not in crews:
                    raise ValueError(f"accuracy: crew {name!r} is not a crew of this node "
                                     f"(resources: {', '.join(crews)})")
            if self.accuracy.scan_check is not None and "scan_check" in names:
                raise ValueError("stages: 'scan_check' is the accuracy scan check's name")
            if self.accuracy.qc_reject_share > 0 and self.inbound_stages:
                raise ValueError("accuracy.qc_reject_share is for the one-job receiving; with "
                                 "inbound_stages, give the QC stage a reject_share")
            used |= set(self.accuracy.crews())
        for extra in self.resources.__pydantic_extra__ or {}:
            if extra not in used:
                raise ValueError(f"resources.{extra} is a crew no stage uses (the crews are "
                                 f"{', '.join(CORE_CREWS)}, plus one per stage's `crew`)")
        return self

    @model_validator(mode="after")
    def _pickup(self) -> Node:
        if self.cutoff_h > self.pickup_h:
            raise ValueError(f"cutoff_h ({self.cutoff_h}) must be <= pickup_h ({self.pickup_h})")
        if not self.pickup_days:
            raise ValueError("pickup_days must not be empty")
        return self


# ---------------------------------------------------------------- carriers


class CarrierService(Strict):
    """A carrier service: transit days and rates by distance band; a chance of delay."""

    name: str
    transit_days: list[PositiveInt]  # one per distance band
    p_delay: Probability = 0.05
    delay_days: PositiveInt = 1
    base_rate: list[NonNegativeFloat]  # per shipment, one per band
    per_kg_rate: list[NonNegativeFloat]  # per kg billed, one per band
    min_billable_kg: NonNegativeFloat = 0.5
    # Parcels from a node with cartons: billable kg = max(actual, carton cm3 / this), and
    # a fee per parcel for each surcharge rule it meets (None: actual kg, no dimensional weight).
    dim_divisor_cm3_per_kg: PositiveFloat | None = None
    surcharges: list[Surcharge] = []


class Surcharge(Strict):
    """A carrier's fee per parcel over a size or weight: `length_plus_girth` (longest side +
    2 x the other two, cm), `longest_side` (cm) or `actual_kg` above `over`."""

    name: str
    rule: Literal["length_plus_girth", "longest_side", "actual_kg"]
    over: PositiveFloat
    fee: NonNegativeFloat


class Carrier(Strict):
    """A carrier and its services."""

    id: str
    services: list[CarrierService] = Field(min_length=1)


class Carriers(Strict):
    """Distance bands (upper bounds, km; the last band is open-ended) and the carriers."""

    distance_bands_km: list[PositiveFloat] = [400.0, 965.0, 1600.0, 2250.0]
    carriers: list[Carrier] = Field(min_length=1)
    rule: Literal["cheapest_meeting_promise", "cheapest", "fastest"] = "cheapest_meeting_promise"

    @model_validator(mode="after")
    def _bands_match(self) -> Carriers:
        bands = self.distance_bands_km
        if any(b2 <= b1 for b1, b2 in itertools.pairwise(bands)):
            raise ValueError("distance_bands_km must increase")
        n = len(bands) + 1
        for c in self.carriers:
            for s in c.services:
                for name in ("transit_days", "base_rate", "per_kg_rate"):
                    if len(getattr(s, name)) != n:
                        raise ValueError(
                            f"carrier {c.id} service {s.name}: {name} needs {n} values "
                            f"(one per distance band), got {len(getattr(s, name))}"
                        )
        return self


# ---------------------------------------------------------------- inventory, returns, costs


class Inventory(StockPolicy):
    """Stock policy at every stocking node (a node may override it); levels are derived
    from the target unless given per node and SKU."""

    # order_up_to: every stocking node starts full, with nothing on order; steady_state: on
    # hand and purchase orders in transit as the review policy holds them on average, so the
    # run starts without the dip of the first lead time (sim.model); zero: empty
    initial_stock: Literal["order_up_to", "steady_state", "zero"] = "order_up_to"
    spike_prebuild: bool = False  # raise levels ahead of demand spikes (sim.prebuild)
    # target: each node sized alone for its target over its own lead time; gsm: the
    # guaranteed-service model places safety stock across the echelons (sim.echelon_sizing);
    # pooled: the lending forward nodes sized together by SAA, with lateral transfers
    sizing: Literal["target", "gsm", "pooled"] = "target"
    units_per_pallet: PositiveInt = 200
    order_up_to: dict[str, dict[str, NonNegativeInt]] | None = None  # node -> sku -> S
    reorder_point: dict[str, dict[str, NonNegativeInt]] | None = None  # node -> sku -> s
    # the SKUs a `fast_movers` assortment carries (the rest: `slow_movers`), by popularity
    fast_mover_share: Annotated[float, Field(gt=0.0, le=1.0)] = 0.2
    # Size safety stock on the forecast error over lead time and review instead of the demand
    # model's variance, as practice does: `fulfil forecast --errors-out` (sku, lead_days,
    # rmse), relative to the scenario file; SKUs not in it keep the model's variance.
    forecast_errors: Path | None = None


def _needed_by(field: str, value: object, policy: str, given: str) -> None:
    """Raise unless `value` is given exactly when the policy is `policy`."""
    if (given == policy) != (value is not None):
        raise ValueError(f"{field} is needed by policy: {policy}, and only by it "
                         f"(policy {given!r})")


def _must_sum_to_one(shares: dict[str, float], what: str) -> None:
    """Raise naming `what` unless the shares add up to 1 (to 1e-9)."""
    total = sum(shares.values())
    if abs(total - 1.0) > 1e-9:
        given = ", ".join(f"{k} {v:g}" for k, v in shares.items())
        raise ValueError(f"{what} must sum to 1, got {total:g} ({given})")


class Disposition(Strict):
    """What inspection does with returned units, as shares of them summing to 1: back to
    stock, refurbished and sold off outside the model at a discount, or disposed of
    (written off at unit value)."""

    restock: Probability
    refurbish: Probability = 0.0
    dispose: Probability

    @model_validator(mode="after")
    def _sum(self) -> Disposition:
        _must_sum_to_one({"restock": self.restock, "refurbish": self.refurbish,
                            "dispose": self.dispose}, "restock + refurbish + dispose")
        return self


class ReturnReason(Strict):
    """A return reason of a category: its share of the category's returned units and what
    inspection does with units returned for it."""

    share: Probability
    disposition: Disposition


class ReturnPostage(Strict):
    """Who pays the return label: `free` (the merchant, every parcel), `customer_paid` (the
    customer buys it: not the merchant's cost) or
    `free_over_basket` (the merchant when the order's basket at selling prices reaches
    `free_over_basket`, else the customer)."""

    policy: Literal["free", "customer_paid", "free_over_basket"] = "free"
    free_over_basket: NonNegativeFloat | None = None

    @model_validator(mode="after")
    def _threshold_iff_policy(self) -> ReturnPostage:
        _needed_by("free_over_basket (the basket threshold)", self.free_over_basket,
                   "free_over_basket", self.policy)
        return self


class Returns(Strict):
    """Returns: rate by category (in `skus.categories`), delays, inspection, what becomes of
    the units (restock, refurbish, dispose; by reason where `reasons` gives a category's),
    who pays the label, and how the customer is made whole (refund or store credit).

    Defaults, and what they rest on (give the client's own figures):
    - postage `free`: the merchant pays the label, as most online sellers offering free
      returns do; Optoro and CBRE put the cost of an online return at about 66 % of the
      price of a 50 USD item (33 USD, 2021: labour, transport, warehousing and markdown),
      of which the label is the largest cash part. The label is billed at the carrier's
      cheapest service for the customer-node distance and the parcel's billable weight, at
      the node's negotiated discount (published return-label rates are the ground rates).
    - disposition: restock_share 0.7 as before, refurbish_share 0, the rest (0.3) disposed
      of and written off at unit value; refurbishing costs 4.0 a unit and sells off at 50 %
      off the selling price (outlet and liquidation channels recover well under full
      price). Return rates by category: NRF & Appriss Retail, "2023 Consumer Returns in the
      Retail Industry", 17.6 % of online sales returned.
    - refund_share 1.0: a refund reverses the revenue of the returned units at their price;
      the shipping fee the customer paid is not refunded. `exchange_share` (0) of the units
      are exchanged: no refund, and the same SKU leaves again as a new order (routed,
      picked, packed and shipped like any, with no revenue or shipping fee of its own) when
      the return reaches the node. The rest take store credit, which reverses the revenue
      too except `store_credit_breakage`, the share of credit never redeemed (kept).
    """

    delay_days: Dist = Dist(dist="gamma", mean=12.0, cv=0.4)  # delivery to the customer's drop-off
    transit_days: PositiveFloat = 4.0
    restock_share: Probability = 0.7
    refurbish_share: Probability = 0.0  # the rest, 1 - restock - refurbish, is disposed of
    refurbish_cost_per_unit: NonNegativeFloat = 4.0
    refurbish_discount: Probability = 0.5  # off the selling price when sold off
    postage: ReturnPostage = ReturnPostage()
    refund_share: Probability = 1.0  # of returned units: refunded
    # of returned units: exchanged for the same SKU, a new order when the return reaches the
    # node; the rest (1 - refund - exchange) take store credit
    exchange_share: Probability = 0.0
    store_credit_breakage: Probability = 0.0
    # category -> reason -> {share, disposition}; a category without reasons restocks with
    # restock_share and refurbishes with refurbish_share.
    reasons: dict[str, dict[str, ReturnReason]] = {}

    @model_validator(mode="after")
    def _shares(self) -> Returns:
        if self.restock_share + self.refurbish_share > 1.0 + 1e-9:
            raise ValueError("restock_share + refurbish_share must be at most 1 (the rest is "
                             f"disposed of), got {self.restock_share:g} + "
                             f"{self.refurbish_share:g}")
        if self.refund_share + self.exchange_share > 1.0 + 1e-9:
            raise ValueError("refund_share + exchange_share must be at most 1 (the rest take "
                             f"store credit), got {self.refund_share:g} + "
                             f"{self.exchange_share:g}")
        for cat, reasons in self.reasons.items():
            if not reasons:
                raise ValueError(f"reasons.{cat} gives no reason")
            _must_sum_to_one({k: r.share for k, r in reasons.items()},
                               f"reasons.{cat} shares")
        return self

    def disposition(self, category: str) -> tuple[list[str], np.ndarray, np.ndarray]:
        """(reason names, reason shares, [reason, (restock, refurbish, dispose)] shares) of
        a category's returned units; one unnamed reason when the category gives none."""
        given = self.reasons.get(category)
        if not given:
            restock, refurbish = self.restock_share, self.refurbish_share
            return [""], np.ones(1), np.array([[restock, refurbish,
                                                max(0.0, 1.0 - restock - refurbish)]])
        return (list(given), np.array([r.share for r in given.values()]),
                np.array([[r.disposition.restock, r.disposition.refurbish,
                           r.disposition.dispose] for r in given.values()]))


# ---------------------------------------------------------------- sales: stockouts, prices


class StockoutRule(Strict):
    """What a customer does when units of a shipment are out of stock at its node: `backorder`
    (waits until they come), `lost` (leaves: the short units are not sold) or `patience`
    (waits up to `patience_days`, then cancels what is still short). `partial_shipment`:
    the units in stock leave now and only the short ones wait or are lost; else the shipment
    leaves complete or not at all (default: no for backorder and patience, yes for lost)."""

    policy: Literal["backorder", "lost", "patience"] = "backorder"
    patience_days: Dist | None = None  # patience only: how long a customer waits (days)
    partial_shipment: bool | None = None

    @model_validator(mode="after")
    def _patience_iff_days(self) -> StockoutRule:
        _needed_by("patience_days", self.patience_days, "patience", self.policy)
        return self

    @property
    def partial(self) -> bool:
        """Whether the units in stock ship without the short ones."""
        return (self.policy == "lost") if self.partial_shipment is None \
            else self.partial_shipment


class OnStockout(StockoutRule):
    """The rule of every shipment, unless `by_service` (service level name -> rule, by the
    order's service) or `by_category` (category name -> rule, by the category of the
    shipment's first short line) gives one; one of the two at most."""

    by_service: dict[str, StockoutRule] = {}
    by_category: dict[str, StockoutRule] = {}

    @model_validator(mode="after")
    def _one_key(self) -> OnStockout:
        if self.by_service and self.by_category:
            raise ValueError("give by_service or by_category, not both")
        return self

    @property
    def is_backorder_only(self) -> bool:
        """Every shipment backorders whole (today's behaviour: nothing to decide at a
        stockout)."""
        return all(r.policy == "backorder" and not r.partial
                   for r in (self, *self.by_service.values(), *self.by_category.values()))


class ShippingFee(Strict):
    """What a customer pays for delivery, per order: `flat`, nothing when the basket (its
    units at their price) reaches `free_over_basket`; a service named in `by_service` pays
    that fee instead, whatever the basket (expedited). Default: a flat fee waived over a
    basket threshold, the commonest policy of online retailers; give the client's own."""

    flat: NonNegativeFloat = 4.95
    free_over_basket: NonNegativeFloat | None = 50.0
    by_service: dict[str, NonNegativeFloat] = {}


class Sales(Strict):
    """Revenue and lost sales: what happens at a stockout, the selling price of a SKU
    without its own `price` (its unit value x (1 + `price_markup`); default 1.0, keystone
    pricing, retail's conventional doubling of cost) and the shipping fee charged."""

    on_stockout: OnStockout = OnStockout()
    price_markup: NonNegativeFloat = 1.0
    shipping_fee: ShippingFee = ShippingFee()


class InHouseCosts(Strict):
    """Own operation: fixed rent and equipment, labour per paid hour, packaging."""

    rent_per_month: NonNegativeFloat = 60_000.0
    equipment_per_month: NonNegativeFloat = 15_000.0
    labour_per_hour: NonNegativeFloat = 22.0
    overtime_premium: NonNegativeFloat = 0.5
    agency_premium: NonNegativeFloat = 0.3  # on a temp's paid hours, over labour_per_hour
    packaging_per_order: NonNegativeFloat = 0.6
    # Negotiated rates off the carrier's card, as the 3PL's: a merchant shipping thousands of
    # parcels a week negotiates its own (carrier-negotiation guides put 5,000+ parcels a
    # month at 30-50 % off list); 0 prices every parcel at list.
    carrier_discount: Probability = 0.15


class ThreePlCosts(Strict):
    """A 3PL's fee schedule. Storage is billed on the stock at each daily snapshot: by pallet
    positions, a position holding one SKU (the sum over SKUs in stock of the SKU's cube over
    a pallet's usable volume, rounded up; a SKU whose bins cost less goes to bins), by cubic
    metre, or by
    `inventory.units_per_pallet` as earlier releases did. Receiving is per pallet of
    `inventory.units_per_pallet`, the initial stock too (once, on day 0: go-live). The monthly
    invoice is at least `minimum_per_month` (pro rata for a part month); each order shipped
    after the contract's promise (same day when confirmed, or its stock arrived, before the
    node's cut-off on a pickup day, else the next pickup day) earns the merchant a credit
    (`sla_credit`)."""

    # Ranges below: published 3PL rate cards (ShipBob, ShipMonk, Red Stag pricing pages,
    # 2024-2025) and the Extensiv (3PL Central) warehouse pricing surveys; approximate, to be
    # replaced by the client's quote.
    # source: receiving 5-15 USD per pallet (or 35-45 USD per hour of unloading)
    receiving_per_pallet: NonNegativeFloat = 9.0
    # source: pallet storage 10-40 USD per pallet position per month (Extensiv survey median
    # about 20 USD)
    storage_per_pallet_month: NonNegativeFloat = 22.0
    storage_basis: Literal["pallet_positions", "cubic_metre", "units_per_pallet"] = (
        "pallet_positions")
    # source: a 1.2 x 1.0 m pallet stacked to 1.5 m of goods (racking beam clearance) and
    # filled to 80 % (cartons of mixed sizes), the planning figures of warehouse-design
    # texts (Bartholdi and Hackman, Warehouse & Distribution Science): 1.44 m3 usable
    pallet_usable_m3: PositiveFloat = 1.2 * 1.0 * 1.5 * 0.8
    # source: a SKU whose stock is small goes to a bin, not a pallet, as 3PLs consolidate it
    # (a pallet position holding two cases is billed as a pallet): OrderGrid's published card
    # bills a bin of 18 x 12 x 11 in (0.039 m3) at 0.20 USD a day (6 USD a month) against 40
    # a month a pallet; Acutrack 6 USD a bin a month. Filled to 80 %: 0.031 m3 usable. Each
    # SKU is billed the cheaper of its bins and its pallets; None bills pallets only.
    storage_per_bin_month: NonNegativeFloat | None = 6.0
    bin_usable_m3: PositiveFloat = 0.0389 * 0.8
    # source: the pallet rate over a pallet's usable cube (22 / 1.44); bin and shelf storage on
    # published cards runs 0.40-0.75 USD per cubic foot a month, 14-26 USD per m3
    storage_per_m3_month: NonNegativeFloat = 15.3
    # source: pick and pack 2.50-7 USD per order with the first unit, 0.25-1 USD per extra
    # unit (ShipBob, ShipMonk public pricing; Extensiv survey)
    pick_pack_per_order: NonNegativeFloat = 3.5
    pick_per_extra_unit: NonNegativeFloat = 0.6
    # source: standard cartons and mailers 0.5-1.5 USD per order on published 3PL cards
    packaging_per_order: NonNegativeFloat = 0.8
    # source: account, WMS and management fees of 0-2,500 USD per month on 3PL quotes
    account_fee_per_month: NonNegativeFloat = 1_500.0
    # source: returns processing 2-5 USD per unit on published 3PL cards
    returns_per_unit: NonNegativeFloat = 3.0
    carrier_discount: Probability = 0.15  # negotiated rates off the carrier's card
    go_live_receiving: bool = True  # the initial stock is received and billed on day 0
    # source (checked December 2026 against published terms): monthly minimums of 0-500 USD,
    # the shortfall billed as a top-up exactly as modelled: Flexport 500 USD a month from July
    # 2025 (help centre, "Monthly Minimum Fee"); ShipBob 275 USD a month (its pricing page,
    # as summarised by a third party); Fulfyld 250 USD (terms of service, 2021); ShipHero and
    # Shipwire none. Guides put minimum fees at 225-3,000+ USD a year (invwhs.com). 500 is
    # the top of the published range; an assumption for a mid-market contract, whose
    # negotiated minimums are not published: take the client's quote.
    minimum_per_month: NonNegativeFloat = 500.0
    # Credit per order shipped after the promise; None: that order's pick and pack fee. The
    # promise is published (ShipBob: same business day when in processing before 12:00,
    # else the next; ShipCalm the same at noon), the credit is not: ShipBob publishes no
    # amount, Red Stag pays 50 USD per delivery it fails to receive within 2 days (receiving,
    # not shipping), Shipwire's service-level claims name no figure. Refunding the
    # fulfilment fee of the missed order is an assumption (the common contract remedy in
    # 3PL SLA guides), to be replaced by the client's contract.
    sla_credit_per_late_order: NonNegativeFloat | None = None


class DropshipCosts(Strict):
    """A dropship supplier's charges: a fee per order and a mark-up on product cost."""

    fee_per_order: NonNegativeFloat = 4.0
    product_markup: NonNegativeFloat = 0.10


class Costs(Strict):
    """All cost inputs, in `currency`."""

    currency: str = "USD"
    in_house: InHouseCosts = InHouseCosts()
    three_pl: ThreePlCosts = ThreePlCosts()
    dropship: DropshipCosts = DropshipCosts()
    holding_rate_per_year: NonNegativeFloat = 0.25  # of unit value
    return_handling_per_unit: NonNegativeFloat = 2.0  # in-house labour is counted separately


class Disruption(Strict):
    """Something that goes wrong for a while: an outage, a capacity cut, a delay."""

    kind: Literal["node_outage", "capacity_cut", "carrier_delay", "supplier_delay"]
    start_day: NonNegativeFloat
    duration_days: PositiveFloat
    node: str | None = None  # node_outage, capacity_cut, supplier_delay (None = all nodes)
    resource: str | None = None  # capacity_cut: a crew of the node
    capacity_share: Probability = 0.5  # capacity_cut: share of the crew still working
    carrier: str | None = None  # carrier_delay (None = every carrier)
    extra_days: NonNegativeFloat = 1.0  # carrier_delay, supplier_delay

    @model_validator(mode="after")
    def _kind_fields(self) -> Disruption:
        if self.kind in ("node_outage", "capacity_cut") and self.node is None:
            raise ValueError(f"{self.kind} needs node")
        if self.kind == "capacity_cut" and self.resource is None:
            raise ValueError("capacity_cut needs resource")
        return self


class NearestWithStockSettings(Strict):
    """nearest_with_stock: the nearest node holding the whole order, else split by nearest
    stock, else backorder at the nearest stocking node (no parameters)."""

    policy: Literal["nearest_with_stock"] = "nearest_with_stock"


class NearestSettings(Strict):
    """nearest: every order to its nearest stocking node, waiting there when short (no
    re-routing; no parameters)."""

    policy: Literal["nearest"] = "nearest"


class AssortmentSplitSettings(Strict):
    """assortment_split: each line to the nearest node carrying its SKU, the long tail to a
    dropship supplier (no parameters; the assortment is `inventory.fast_mover_share`)."""

    policy: Literal["assortment_split"] = "assortment_split"


class OverflowSettings(Strict):
    """overflow: nearest-with-stock among the nodes whose backlog is under a threshold."""

    policy: Literal["overflow"] = "overflow"
    # a node with this many open shipments (or more) gets no new orders while another has room
    threshold_open_shipments: PositiveInt = 5_000


class CheapestSingleNodeSettings(Strict):
    """cheapest_single_node: the node that ships the whole order at the lowest carrier cost
    (no parameters)."""

    policy: Literal["cheapest_single_node"] = "cheapest_single_node"


class _Solving(Strict):
    """A policy that solves optimisation problems while it routes."""

    time_limit_s: PositiveFloat = 2.0  # per solve


class _Batching(_Solving):
    """A policy that collects orders and routes each bucket by one plan."""

    interval_h: PositiveFloat = 1.0  # orders are collected this long


class _LookingAhead(_Solving):
    """A policy that prices stock by the forecast demand of the next days."""

    # days of forecast demand the stock prices look at, and how often (hours) they are
    # re-solved (measured on the eight-node network: 3 days every 6 h)
    horizon_days: PositiveFloat = 3.0
    every_h: PositiveFloat = 6.0
    # an order may wait at a node for replenishment that arrives in time for its promise with
    # this probability (null: never wait). On the eight-node network 0.9 keeps myopic's
    # on-time rate; 0.7 and 0.5 save more for -0.7 and -1.1 pp (BENCHMARKS.md)
    hold_confidence: Annotated[float, Field(gt=0.0, lt=1.0)] | None = 0.9


class BatchOptimalSettings(_Batching):
    """batch_optimal: each bucket of orders routed by the exact batch problem on live stock."""

    policy: Literal["batch_optimal"] = "batch_optimal"


class LookaheadSettings(_LookingAhead):
    """lookahead: the cheapest single node with each unit charged its stock's shadow price."""

    policy: Literal["lookahead"] = "lookahead"


class BatchLookaheadSettings(_Batching, _LookingAhead):
    """batch_lookahead: batch_optimal priced as lookahead prices, holding for stock due."""

    policy: Literal["batch_lookahead"] = "batch_lookahead"


# One settings model per routing policy; sim.routing_registry pairs each with its policy
# class (and checks it names the same policies).
_ROUTING_MODELS = (NearestWithStockSettings, NearestSettings, AssortmentSplitSettings,
                   OverflowSettings, CheapestSingleNodeSettings, BatchOptimalSettings,
                   LookaheadSettings, BatchLookaheadSettings)
ROUTING_SETTINGS: dict[str, type[Strict]] = {
    cls.model_fields["policy"].default: cls for cls in _ROUTING_MODELS}
ROUTING_POLICIES: tuple[str, ...] = tuple(ROUTING_SETTINGS)
DEFAULT_ROUTING_POLICY = "nearest_with_stock"
# The flat routing keys of earlier releases and their names in the per-policy settings; they
# still load (with a DeprecationWarning) until the next release. `fast_mover_share` moved
# to `inventory` (see Scenario).
FLAT_ROUTING_KEYS = {
    "batch_interval_h": "interval_h",
    "time_limit_s": "time_limit_s",
    "lookahead_horizon_days": "horizon_days",
    "lookahead_every_h": "every_h",
    "lookahead_hold_confidence": "hold_confidence",
    "overflow_open_shipments": "threshold_open_shipments",
}


def _fail(loc: tuple[str, ...], value: object, error_type: str, ctx: dict) -> NoReturn:
    """Raise one validation error at `loc` (relative to the field being validated)."""
    raise ValidationError.from_exception_data(
        "routing", [InitErrorDetails(type=error_type, loc=loc, input=value, ctx=ctx)])


def _check_value(value: object, model: type[BaseModel], name: str, loc: tuple[str, ...]
                 ) -> None:
    """Validate `value` as field `name` of `model` (its other fields at their defaults),
    reporting any error at `loc` instead."""
    try:
        model.model_validate({name: value})
    except ValidationError as err:
        raise ValidationError.from_exception_data("routing", [
            InitErrorDetails(type=e["type"], loc=(*loc, *e["loc"][1:]), input=e["input"],
                             ctx=e.get("ctx", {})) for e in err.errors()]) from None


def _deprecated(message: str, what: str = "the flat routing keys") -> None:
    warnings.warn(f"{message}; {what} load until the next release",
                  DeprecationWarning, stacklevel=2)


def _either(names: tuple[str, ...]) -> str:
    """`'a', 'b' or 'c'`, as pydantic spells a literal's choices."""
    *first, last = (repr(n) for n in names)
    return f"{', '.join(first)} or {last}"


def _owners(key: str) -> list[str]:
    """The routing policies that have a parameter named `key`."""
    return [name for name, model in ROUTING_SETTINGS.items() if key in model.model_fields]


def _unflatten_routing(data: Mapping) -> dict:
    """The routing section with its policy named and the old flat keys mapped to the chosen
    policy's parameters (or dropped where it has none), each with a DeprecationWarning;
    another policy's parameter is an error."""
    data = dict(data)
    policy = data.setdefault("policy", DEFAULT_ROUTING_POLICY)
    model = ROUTING_SETTINGS.get(policy) if isinstance(policy, str) else None
    if model is None:
        _fail(("policy",), policy, "literal_error", {"expected": _either(ROUTING_POLICIES)})
    for old, new in FLAT_ROUTING_KEYS.items():
        if old not in data or (old == new and new in model.model_fields):
            continue
        value = data.pop(old)
        _check_value(value, ROUTING_SETTINGS[_owners(new)[0]], new, (old,))
        if new not in model.model_fields:
            _deprecated(f"routing.{old} is deprecated and ignored: policy {policy} has no such "
                        f"parameter (it is routing.{new} of {', '.join(_owners(new))})")
        elif new in data:
            _fail((old,), value, "value_error",
                  {"error": ValueError(f"give routing.{new} or its old name, not both")})
        else:
            _deprecated(f"routing.{old} is deprecated: write routing.{new}")
            data[new] = value
    misplaced = [
        InitErrorDetails(type="value_error", loc=(key,), input=value, ctx={"error": ValueError(
            f"policy {policy} has no parameter {key} (one of {', '.join(_owners(key))})")})
        for key, value in data.items() if key not in model.model_fields and _owners(key)]
    if misplaced:
        raise ValidationError.from_exception_data("routing", misplaced)
    return data


def _routing_settings(data: object, handler: ValidatorFunctionWrapHandler) -> object:
    """Validate a routing section by the settings model its policy names; error paths are
    relative to the section (`routing.horizon_days`, not `routing.lookahead.horizon_days`)."""
    if isinstance(data, Mapping):
        data = _unflatten_routing(data)
        data = ROUTING_SETTINGS[data["policy"]].model_validate(data)
    return handler(data)


# `routing:` in a scenario, e.g. {policy: lookahead, horizon_days: 3}: a discriminated union
# of the per-policy settings.
RoutingSettings = Annotated[
    Union[_ROUTING_MODELS],  # noqa: UP007 (a union of the tuple, which `|` cannot spell)
    Field(discriminator="policy"), WrapValidator(_routing_settings),
]


class Alternatives(Strict):
    """How `fulfil compare` builds each fulfilment mode from this scenario's network."""

    three_pl_capacity_factor: PositiveFloat = 1.5  # SLA orders/day over the node's mean load
    # Where the dropship supplier ships from: {lat, lon} or one of SUPPLIER_REGIONS; required
    # by the dropship and fast-movers hybrid alternatives (never node 0's site).
    dropship_supplier: Location | SupplierRegionName | None = None
    dropship_processing_days: Dist = DropshipSupplier.model_fields["processing_days"].default
    # source: dropship suppliers' own order cut-off, commonly 12:00-14:00 local for same-day
    # handling, and one carrier pickup late afternoon (ShipBob / Shopify dropship guides).
    dropship_cutoff_h: HourOfDay = 12.0
    dropship_pickup_h: HourOfDay = 17.0
    dropship_stock: SupplierStock | None = None  # the supplier's stock; None: never runs out
    hybrid_rule: Literal["fast_movers_in_house", "overflow_to_3pl"] = "fast_movers_in_house"
    marketplace: Marketplace = Marketplace()


# ---------------------------------------------------------------- the scenario


class Scenario(Strict):
    """A whole scenario: run settings, SKUs, demand, geography, nodes, carriers, policies."""

    name: str = "scenario"
    description: str = ""
    run: RunSettings = RunSettings()
    skus: Skus = Skus(generator=SkuGenerator())
    demand: Demand
    geography: Geography
    nodes: list[Node] = Field(min_length=1)
    carriers: Carriers
    inventory: Inventory = Inventory()
    returns: Returns = Returns()
    costs: Costs = Costs()
    disruptions: list[Disruption] = []
    routing: RoutingSettings = NearestWithStockSettings()
    alternatives: Alternatives = Alternatives()
    sales: Sales = Sales()
    lateral_transfers: LateralTransfers | None = None

    @model_validator(mode="before")
    @classmethod
    def _fast_mover_share_moved(cls, data: object) -> object:
        """Map the old `routing.fast_mover_share` to `inventory.fast_mover_share`."""
        routing = data.get("routing") if isinstance(data, Mapping) else None
        if not isinstance(routing, Mapping) or "fast_mover_share" not in routing:
            return data
        data, routing = dict(data), dict(routing)
        old = ("routing", "fast_mover_share")
        value = routing.pop("fast_mover_share")
        _check_value(value, Inventory, "fast_mover_share", old)
        inventory = data.get("inventory", {})
        inventory = dict(inventory.model_dump() if isinstance(inventory, BaseModel)
                         else inventory)
        if "fast_mover_share" in inventory:
            _fail(old, value, "value_error", {"error": ValueError(
                "give inventory.fast_mover_share or its old name, not both")})
        _deprecated("routing.fast_mover_share is deprecated: write inventory.fast_mover_share")
        inventory["fast_mover_share"] = value
        data.update(routing=routing, inventory=inventory)
        return data

    @model_validator(mode="after")
    def _references(self) -> Scenario:
        ids = [n.id for n in self.nodes]
        dup = sorted({i for i in ids if ids.count(i) > 1})
        if dup:
            raise ValueError(f"node ids must be unique, duplicated: {dup}")
        carriers = {c.id for c in self.carriers.carriers}
        for i, d in enumerate(self.disruptions):
            if d.node is not None and d.node not in ids:
                raise ValueError(f"disruptions[{i}].node {d.node!r} is not a node id {ids}")
            if d.resource is not None and d.node is not None:
                crews = list(self.nodes[ids.index(d.node)].resources.crews())
                if d.resource not in crews:
                    raise ValueError(f"disruptions[{i}].resource {d.resource!r} is not a crew "
                                     f"of node {d.node!r} {crews}")
            if d.carrier is not None and d.carrier not in carriers:
                raise ValueError(f"disruptions[{i}].carrier {d.carrier!r} is not a carrier")
        for field in ("order_up_to", "reorder_point"):
            for node in getattr(self.inventory, field) or {}:
                if node not in ids:
                    raise ValueError(f"inventory.{field} names unknown node {node!r}")
        lateral = self.lateral_transfers
        for node in (lateral.nodes or []) if lateral is not None else []:
            if node not in ids:
                raise ValueError(f"lateral_transfers.nodes names unknown node {node!r} {ids}")
        return self

    @model_validator(mode="after")
    def _pooling_transfers(self) -> Scenario:
        """`inventory.sizing: pooled` runs with the transfers pooling assumes: emergency
        lateral transfers with complete pooling (hold-back 0) unless given (sim.echelon_sizing)."""
        if self.inventory.sizing != "pooled":
            return self
        if self.lateral_transfers is None:
            self.lateral_transfers = LateralTransfers(hold_back_share=0.0)
        elif not self.lateral_transfers.emergency:
            raise ValueError("inventory.sizing: pooled assumes emergency lateral transfers, "
                             "but lateral_transfers.emergency is false")
        return self

    @model_validator(mode="after")
    def _sales_names(self) -> Scenario:
        """Stockout rules and fees name service levels and categories that exist."""
        services = [s.name for s in self.demand.service_levels]
        cats = [c.name for c in self.skus.categories]
        so, fee = self.sales.on_stockout, self.sales.shipping_fee
        for field, names, known in (("on_stockout.by_service", so.by_service, services),
                                    ("on_stockout.by_category", so.by_category, cats),
                                    ("shipping_fee.by_service", fee.by_service, services)):
            for name in names:
                if name not in known:
                    raise ValueError(f"sales.{field} names {name!r}, not one of {known}")
        for name in self.returns.reasons:
            if name not in cats:
                raise ValueError(f"returns.reasons names category {name!r}, not one of {cats}")
        services = [f"{c.id}/{s.name}" for c in self.carriers.carriers for s in c.services]
        for i, node in enumerate(self.nodes):
            damage = node.accuracy.transit_damage if node.accuracy is not None else None
            for field, names, known in (
                    ("by_service", damage.by_service if damage else {}, services),
                    ("fragility_by_category", damage.fragility_by_category if damage else {},
                     cats)):
                for name in names:
                    if name not in known:
                        raise ValueError(f"nodes[{i}].accuracy.transit_damage.{field} names "
                                         f"{name!r}, not one of {known}")
        return self

    @model_validator(mode="after")
    def _prebuild_has_a_spike_it_knows(self) -> Scenario:
        known = [s for s in self.demand.spikes
                 if s.announced or self.demand.forecast == "oracle"]
        if self.inventory.spike_prebuild and not known:
            warnings.warn(
                "inventory.spike_prebuild is on but no spike of demand.spikes is announced, so "
                "the pre-build has nothing to build for and the levels stay as they are "
                f"({len(self.demand.spikes)} spike(s), demand.forecast "
                f"{self.demand.forecast!r}): give the promotion `announced: true` with "
                "`expected_multiplier`, or set demand.forecast: oracle to build on the true "
                "spikes (an oracle)", UserWarning, stacklevel=2)
        return self

    @model_validator(mode="after")
    def _replay_calendar(self) -> Scenario:
        """A replayed file sets the horizon (its days) and start date (its first day) unless
        the scenario gives them."""
        if self.demand.orders_file is None:
            return self
        from sim.client_data.cached import file_calendar  # only for a replay scenario

        first_day, days = file_calendar(self.demand.orders_file, self.demand.columns,
                                        self.demand.tz)
        if "horizon_days" not in self.run.model_fields_set:
            self.run.horizon_days = days
        if self.run.start_date is None:
            self.run.start_date = first_day
        return self

    @model_validator(mode="after")
    def _echelons(self) -> Scenario:
        """`replenish_from` names a stocking node, other than itself, with no cycle."""
        ids = [n.id for n in self.nodes]
        for field in ("replenish_from", "serves_customers", "position"):
            if field in self.inventory.model_fields_set and getattr(self.inventory, field) != \
                    StockPolicy.model_fields[field].default:
                raise ValueError(f"inventory.{field} applies to one node: give it in that "
                                 f"node's own inventory (nodes[i].inventory.{field})")
        source = {}
        for i, n in enumerate(self.nodes):
            frm = n.inventory.replenish_from if n.inventory is not None else None
            if frm is None:
                continue
            where = f"nodes[{i}].inventory.replenish_from"
            if frm not in ids:
                raise ValueError(f"{where} {frm!r} is not a node id {ids}")
            if frm == n.id:
                raise ValueError(f"{where} {frm!r} is the node itself")
            for k, kind in ((i, n.mode.kind), (ids.index(frm), self.nodes[ids.index(frm)]
                                               .mode.kind)):
                if kind not in ("in_house", "3pl"):
                    raise ValueError(f"{where} {frm!r}: node {ids[k]!r} is a {kind} node; "
                                     "only in_house and 3pl nodes hold stock to transfer")
            source[n.id] = frm
        for start in source:
            seen, at = [start], source[start]
            while at in source:
                if at in seen:
                    raise ValueError(f"nodes[{ids.index(start)}].inventory.replenish_from "
                                     f"{source[start]!r} makes a cycle: "
                                     f"{' -> '.join([*seen, at])}")
                seen.append(at)
                at = source[at]
        if not any(self.stock_policy(i).serves_customers for i in range(len(self.nodes))):
            raise ValueError("serves_customers is false at every node: no node takes orders")
        return self

    def stock_policy(self, node: int) -> StockPolicy:
        """The stock policy in force at node number `node`."""
        return self.nodes[node].inventory or self.inventory

    def is_peak_day(self, day: int) -> bool:
        """True on days in October to December (needs run.start_date; else never)."""
        start = self.run.start_date
        return start is not None and (start + timedelta(days=day)).month >= 10

    @property
    def horizon_h(self) -> float:
        """Simulated horizon in hours."""
        return 24.0 * self.run.horizon_days


class _UniqueKeyLoader(yaml.SafeLoader):
    """The safe loader, refusing a mapping that gives the same key twice (plain YAML keeps
    the last one silently)."""

    def construct_mapping(self, node: yaml.MappingNode, deep: bool = False) -> dict:
        """The mapping of `node`; ConstructorError naming the repeated key and its line."""
        seen: dict[object, int] = {}
        for key_node, _ in node.value:
            key = self.construct_object(key_node, deep=deep)
            line = key_node.start_mark.line + 1
            if isinstance(key, list | dict):
                continue  # unhashable: the base class reports it
            if key in seen:
                raise yaml.constructor.ConstructorError(
                    None, None, f"key {key!r} is given twice (lines {seen[key]} and {line})",
                    key_node.start_mark)
            seen[key] = line
        return super().construct_mapping(node, deep=deep)


def read_yaml_mapping(path: str | Path) -> dict:
    """The top-level mapping of a YAML file (YAMLError if it is anything else, or if a
    mapping gives a key twice)."""
    path = Path(path)
    with path.open(encoding="utf-8") as fh:
        data = yaml.load(fh, Loader=_UniqueKeyLoader)
    if not isinstance(data, dict):
        raise yaml.YAMLError(f"{path}: the top level must be a mapping of sections")
    return data


def load_scenario(path: str | Path) -> Scenario:
    """Read and validate a scenario YAML file (raises pydantic ValidationError on bad input)."""
    path = Path(path)
    data = read_yaml_mapping(path)
    demand = data.get("demand")
    if isinstance(demand, dict) and isinstance(demand.get("orders_file"), str):
        # Like the points CSV, an orders file is relative to the scenario file.
        data["demand"] = {**demand, "orders_file": str(path.parent / demand["orders_file"])}
    scenario = Scenario.model_validate(data)
    errors = scenario.inventory.forecast_errors
    if errors is not None and not errors.is_absolute():
        scenario.inventory.forecast_errors = path.parent / errors
    csv = scenario.geography.points_csv
    if csv is not None and not csv.is_absolute():
        # CSV paths are relative to the scenario file, so a scenario folder can move as one.
        scenario.geography.points_csv = path.parent / scenario.geography.points_csv
    return scenario
