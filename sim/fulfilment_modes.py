"""Fulfilment modes as strategies: whether a node holds stock, how its parcels travel and
what it costs. One class per mode and one line in `MODE_RULES`; the model, the cost ledger
and the KPIs ask the node's rule instead of testing the mode's name. A rule is built on the
node's mode settings (the member of the scenario's `mode` union), and reads them from there.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from typing import ClassVar

import numpy as np
import pandas as pd

from optimize.geo import distance_matrix_km
from sim.carriers import CarrierTable, billable_kg
from sim.scenario import (
    MODE_SETTINGS,
    DropshipMode,
    InHouseMode,
    MarketplaceMode,
    Node,
    Scenario,
    ThreePlCosts,
    ThreePlMode,
)
from sim.station import temp_hours_by_day
from sim.streams import Streams, draw

__all__ = [
    "MODE_RULES",
    "MONTH_DAYS",
    "Dispatch",
    "Dropship",
    "FulfilmentMode",
    "InHouse",
    "Marketplace",
    "NodeLedger",
    "ThirdParty",
    "late_shipments",
    "pallet_positions",
    "pallet_usable_m3",
    "promised_ship_day",
    "received_by_day",
    "rule_for",
    "storage_per_day",
    "storage_positions",
    "three_pl_by_positions",
]

MONTH_DAYS = 365.0 / 12.0


@dataclass(frozen=True)
class Dispatch:
    """Shipments leaving one node at one pickup, as arrays (one entry per shipment; lines
    in `sku`/`qty` split by `bounds`)."""

    spec: Node
    scenario: Scenario
    now_h: float
    sku: np.ndarray
    qty: np.ndarray
    bounds: np.ndarray
    weight_kg: np.ndarray  # per shipment
    unit_weight_kg: np.ndarray  # per SKU
    unit_cube_m3: np.ndarray  # per SKU
    distance_km: np.ndarray  # per shipment
    days_left: np.ndarray  # promised day - ship day, per shipment
    carriers: CarrierTable
    streams: Streams
    carrier_delay_days: Callable[[np.ndarray, float], np.ndarray]
    point: np.ndarray | None = None  # customer point per shipment (rows of `points`)
    points: pd.DataFrame | None = None  # the customer points, with lat and lon


@dataclass
class NodeLedger:
    """One node's run as its cost rules read it, and the ledger rows they write (currency)."""

    scenario: Scenario
    spec: Node
    shipped: pd.DataFrame  # the node's shipped shipments, with a `day` column
    snap: pd.DataFrame  # the node's daily rows, in time order
    inbound: pd.DataFrame  # the node's purchase-order lines
    returns_by_day: pd.Series  # returned units received per day
    stations: list[str]
    rows: list[pd.DataFrame] = field(default_factory=list)

    def __post_init__(self) -> None:
        by_day = self.shipped.groupby("day")
        self.by_day = by_day
        self.ship_day = by_day.size().index.to_numpy()
        self.n_ship = by_day.size().to_numpy()
        self.snap_day = self.snap["day"].to_numpy()[:-1]  # a snapshot at 00:00 opens that day

    def add(self, day: np.ndarray, category: str, amount: float | np.ndarray) -> None:
        """Ledger rows: `amount` on each of `day` (broadcast) in `category`."""
        self.rows.append(pd.DataFrame({
            "day": np.asarray(day).astype(int), "node": self.spec.id, "category": category,
            "amount": np.broadcast_to(np.asarray(amount, float), np.shape(day))}))

    def per_month(self, category: str, amount_per_month: float) -> None:
        """A monthly fee spread over every day of the run."""
        self.add(np.arange(self.scenario.run.horizon_days), category,
                 amount_per_month / MONTH_DAYS)

    def per_snapshot_day(self, column: str) -> np.ndarray:
        """The daily table's `column` on each day the run covers (the horizon row left out)."""
        return self.snap[column].to_numpy()[:-1]


class FulfilmentMode:
    """A mode's rules, on its settings. By default the node holds stock, works without a
    daily cap, promises the scenario's service levels, ships by the scenario's carriers at
    their list rates, and pays its carrier and holding cost."""

    name: ClassVar[str]
    stocks: ClassVar[bool] = True

    def __init__(self, settings: object) -> None:
        self.settings = settings

    @property
    def orders_per_day_cap(self) -> int | None:
        """Orders the node may release per day at most (None: no cap)."""
        return None

    @property
    def promise_days(self) -> int | None:
        """Delivery promise in days of the mode's own network (None: the service level's)."""
        return None

    def carrier_rate_factor(self, scenario: Scenario) -> float:
        """Share of the carriers' list rate this mode pays."""
        return 1.0

    def deliver(self, d: Dispatch) -> tuple[np.ndarray, np.ndarray, np.ndarray, np.ndarray]:
        """(carrier service row, transit days, shipping cost, fee) per shipment."""
        ct = d.carriers
        band = ct.band(d.distance_km)
        row = ct.choose(band, d.days_left, d.weight_kg)
        transit = ct.transit(row, band, d.streams["carrier.transit"])
        transit = transit + d.carrier_delay_days(row, d.now_h)
        cost = ct.rate(row, band, d.weight_kg) * self.carrier_rate_factor(d.scenario)
        return row, transit, cost, np.zeros(len(d.distance_km))

    def costs(self, book: NodeLedger) -> None:
        """Write the node's ledger rows: carrier, holding (time-average stock), then the
        mode's own."""
        book.add(book.ship_day, "carrier", book.by_day["shipping_cost"].sum().to_numpy())
        if self.stocks:
            per_year = book.scenario.costs.holding_rate_per_year
            book.add(book.snap_day, "holding",
                     book.per_snapshot_day("on_hand_value_avg") * per_year / 365.0)
        self.own_costs(book)

    def own_costs(self, book: NodeLedger) -> None:
        """The mode's own cost lines."""


class InHouse(FulfilmentMode):
    """Own building and crews: rent, equipment, paid hours (overtime at a premium),
    packaging, returns handling; the merchant's own negotiated carrier discount."""

    name = "in_house"
    settings: InHouseMode

    def carrier_rate_factor(self, scenario: Scenario) -> float:
        """List rate less the merchant's own negotiated discount."""
        return 1.0 - scenario.costs.in_house.carrier_discount

    def own_costs(self, book: NodeLedger) -> None:
        c = book.scenario.costs
        h = c.in_house
        book.per_month("rent", h.rent_per_month)
        book.per_month("equipment", h.equipment_per_month)
        snap = book.snap
        staffed = sum(np.diff(snap[f"{r}_staffed_h"].to_numpy()) for r in book.stations)
        overtime = sum(np.diff(snap[f"{r}_overtime_h"].to_numpy()) for r in book.stations)
        book.add(book.snap_day, "labour",
                 (staffed + overtime * (1 + h.overtime_premium)) * h.labour_per_hour)
        _agency_premium(book, h.agency_premium * h.labour_per_hour)
        book.add(book.ship_day, "packaging", book.n_ship * h.packaging_per_order)
        ret = book.returns_by_day
        book.add(ret.index.to_numpy(), "returns_handling",
                 ret.to_numpy() * c.return_handling_per_unit)


def _agency_premium(book: NodeLedger, per_hour: float) -> None:
    """The agency's premium over the wage on each temp's booked hours, by day (currency)."""
    run = book.scenario.run
    crews = book.spec.resources.crews()
    hours = sum((temp_hours_by_day(c, run.horizon_days, run.start_weekday)
                 for c in crews.values() if c.temps), np.zeros(run.horizon_days))
    days = np.flatnonzero(hours)
    if len(days):
        book.add(days, "labour", hours[days] * per_hour)


class ThirdParty(FulfilmentMode):
    """A 3PL's fee schedule (sim.scenario.ThreePlCosts): account fee, storage counted at its
    daily snapshot (as 3PLs bill; pallet positions hold a SKU each), receiving per pallet
    (the initial stock on day 0), pick and pack per order and extra unit, packaging,
    returns; its monthly minimum; a credit per order it ships late; its negotiated carrier
    discount."""

    name = "3pl"
    settings: ThreePlMode
    # What the monthly minimum is measured against: the 3PL's own invoice lines.
    INVOICE = ("3pl_account", "3pl_storage", "3pl_receiving", "3pl_pick_pack", "packaging",
               "3pl_returns")

    @property
    def orders_per_day_cap(self) -> int:
        """The contracted capacity (orders per day)."""
        return self.settings.capacity_orders_per_day

    def carrier_rate_factor(self, scenario: Scenario) -> float:
        """List rate less the 3PL's negotiated discount."""
        return 1.0 - scenario.costs.three_pl.carrier_discount

    def own_costs(self, book: NodeLedger) -> None:
        t = book.scenario.costs.three_pl
        per_pallet = book.scenario.inventory.units_per_pallet
        first = len(book.rows)
        book.per_month("3pl_account", t.account_fee_per_month)
        by_positions = t.storage_basis == "pallet_positions"
        positions = book.per_snapshot_day("pallet_positions") if by_positions else None
        bins = (book.per_snapshot_day("bin_positions")
                if by_positions and t.storage_per_bin_month is not None else None)
        book.add(book.snap_day, "3pl_storage", storage_per_day(
            t, book.per_snapshot_day("on_hand_units"), book.per_snapshot_day("on_hand_cube_m3"),
            per_pallet, positions, bins))
        day, units = received_by_day(book, t.go_live_receiving)
        book.add(day, "3pl_receiving", units / per_pallet * t.receiving_per_pallet)
        extra = book.by_day["units"].sum().to_numpy() - book.n_ship
        book.add(book.ship_day, "3pl_pick_pack",
                 book.n_ship * t.pick_pack_per_order + extra * t.pick_per_extra_unit)
        book.add(book.ship_day, "packaging", book.n_ship * t.packaging_per_order)
        ret = book.returns_by_day
        book.add(ret.index.to_numpy(), "3pl_returns", ret.to_numpy() * t.returns_per_unit)
        self._minimum(book, book.rows[first:], t.minimum_per_month)
        late = book.shipped[late_shipments(book.shipped, book.spec, book.scenario)]
        credit = (t.pick_pack_per_order if t.sla_credit_per_late_order is None
                  else t.sla_credit_per_late_order)
        per_day = late.groupby("day").size()
        book.add(per_day.index.to_numpy(), "sla_credit", -per_day.to_numpy() * credit)

    def _minimum(self, book: NodeLedger, rows: list[pd.DataFrame], per_month: float) -> None:
        """The shortfall of each billing month's invoice below the minimum (pro rata by days
        for a part month), on the month's last day of the run."""
        horizon = book.scenario.run.horizon_days
        if not per_month or not rows:
            return
        mine = pd.concat(rows)
        mine = mine[mine["category"].isin(self.INVOICE)]
        billed = np.bincount(mine["day"].to_numpy(int).clip(0, horizon - 1),
                             mine["amount"].to_numpy(float), minlength=horizon)
        month = (np.arange(horizon) // MONTH_DAYS).astype(int)
        for m in np.unique(month):
            days = np.flatnonzero(month == m)
            floor = per_month * len(days) / MONTH_DAYS
            if billed[days].sum() < floor:
                book.add(days[-1:], "3pl_minimum", floor - billed[days].sum())


def storage_per_day(t: ThreePlCosts, units: np.ndarray, cube_m3: np.ndarray,
                    units_per_pallet: int, positions: np.ndarray | None = None,
                    bins: np.ndarray | None = None) -> np.ndarray:
    """A 3PL's storage charge per day (currency) on the stock at each daily snapshot: its
    pallet `positions` and `bins` (a location per SKU, `pallet_positions`), or cubic metres,
    or pallets of `units_per_pallet` units, at the monthly rates over the days of a month."""
    if t.storage_basis == "cubic_metre":
        return cube_m3 * t.storage_per_m3_month / MONTH_DAYS
    if t.storage_basis == "pallet_positions":
        if positions is None:
            raise ValueError("storage_basis pallet_positions needs the daily table's "
                             "pallet_positions column (a position per SKU)")
        monthly = np.asarray(positions, float) * t.storage_per_pallet_month
        if bins is not None and t.storage_per_bin_month is not None:
            monthly = monthly + np.asarray(bins, float) * t.storage_per_bin_month
        return monthly / MONTH_DAYS
    return np.ceil(units / units_per_pallet) * t.storage_per_pallet_month / MONTH_DAYS


def _locations(on_hand: np.ndarray, cube_m3: np.ndarray, usable_m3: float) -> np.ndarray:
    """Locations of `usable_m3` each SKU's stock takes, a location holding one SKU."""
    per_sku = np.maximum(np.asarray(on_hand, float), 0.0) * cube_m3 / usable_m3
    # rounded first so a cube of exactly k locations is k, not k + 1 by float error
    return np.ceil(np.round(per_sku, 9))


def pallet_positions(on_hand: np.ndarray, cube_m3: np.ndarray, usable_m3: float) -> np.ndarray:
    """Pallet positions a stock takes when a position holds one SKU, as 3PLs bill them: the
    sum over SKUs of ceil(the SKU's m3 on hand / a pallet's usable m3) (a SKU out of stock
    takes none). `on_hand` is units per SKU (last axis; a row per node for 2-D); per node."""
    return _locations(on_hand, cube_m3, usable_m3).sum(axis=-1).astype(np.int64)


def storage_positions(on_hand: np.ndarray, cube_m3: np.ndarray, t: ThreePlCosts
                      ) -> tuple[np.ndarray, np.ndarray | None]:
    """Pallet positions and bins (per node) a 3PL bills on a stock: each SKU in the cheaper
    of its pallets and its bins at the monthly rates (bins None when the card has none)."""
    pallets = _locations(on_hand, cube_m3, t.pallet_usable_m3)
    if t.storage_per_bin_month is None:
        return pallets.sum(axis=-1).astype(np.int64), None
    bins = _locations(on_hand, cube_m3, t.bin_usable_m3)
    in_bins = bins * t.storage_per_bin_month < pallets * t.storage_per_pallet_month
    return (np.where(in_bins, 0.0, pallets).sum(axis=-1).astype(np.int64),
            np.where(in_bins, bins, 0.0).sum(axis=-1).astype(np.int64))


def three_pl_by_positions(scenario: Scenario) -> ThreePlCosts | None:
    """The 3PL fee schedule when a node of the scenario is a 3PL billing storage by pallet
    positions (the run then counts its locations at each daily snapshot), else None."""
    t = scenario.costs.three_pl
    if t.storage_basis != "pallet_positions":
        return None
    if not any(n.mode.kind == ThirdParty.name for n in scenario.nodes):
        return None
    return t


def pallet_usable_m3(scenario: Scenario) -> float | None:
    """A pallet's usable m3 when a node of the scenario is a 3PL billing storage by pallet
    positions, else None."""
    t = three_pl_by_positions(scenario)
    return None if t is None else t.pallet_usable_m3


def promised_ship_day(created_h: np.ndarray, cutoff_h: float, pickup_days: list[int],
                      start_weekday: int) -> np.ndarray:
    """The day a fulfilment contract promises to ship each order: the day it was confirmed
    when before the cut-off on a pickup day, else the next pickup day."""
    day = np.floor(np.asarray(created_h, float) / 24.0)
    day = day + (np.asarray(created_h) - 24.0 * day >= cutoff_h)
    for _ in range(7):  # move to the next pickup day (at most a week on)
        off = ~np.isin((day + start_weekday) % 7, pickup_days)
        if not off.any():
            break
        day = day + off
    return day.astype(int)


def late_shipments(shipped: pd.DataFrame, spec: Node, scenario: Scenario) -> np.ndarray:
    """Which shipped shipments (with `created_h`, `allocated_h` and `day`) left after their
    promised day. The promise runs from when the order had its stock: a 3PL owes nothing for
    the days an order waited on the merchant's stock-out."""
    ready = np.fmax(shipped["created_h"].to_numpy(float), shipped["allocated_h"].to_numpy(float))
    promised = promised_ship_day(ready, spec.cutoff_h,
                                 spec.pickup_days, scenario.run.start_weekday)
    return shipped["day"].to_numpy() > promised


class Dropship(FulfilmentMode):
    """The supplier holds the stock, processes and ships; a fee per order and a markup on
    the goods."""

    name = "dropship"
    settings: DropshipMode
    stocks = False

    def deliver(self, d: Dispatch) -> tuple[np.ndarray, np.ndarray, np.ndarray, np.ndarray]:
        """The carriers from the supplier's site, plus its cross-border line haul (days)."""
        row, transit, cost, fee = super().deliver(d)
        return row, transit + self.settings.line_haul_days(), cost, fee

    def own_costs(self, book: NodeLedger) -> None:
        d = book.scenario.costs.dropship
        book.add(book.ship_day, "dropship_fee", book.n_ship * d.fee_per_order)
        book.add(book.ship_day, "dropship_markup",
                 book.by_day["value"].sum().to_numpy() * d.product_markup)


class Marketplace(FulfilmentMode):
    """The marketplace's own network (FBA/FBS, sim.scenario.Marketplace): its transit from
    the site nearest the customer and its fee per unit by size and weight tier instead of a
    carrier; storage on the day's average volume (peak rate Oct-Dec); per unit received
    (the initial stock on day 0 too): inbound placement, prep and labelling, and the
    seller's bulk transport per pallet; returns processing per unit. Its crews are its own:
    no labour line."""

    name = "marketplace"
    settings: MarketplaceMode

    def __init__(self, settings: object) -> None:
        super().__init__(settings)
        self._site_km: np.ndarray | None = None  # per customer point: km to the nearest site

    @property
    def promise_days(self) -> int:
        """The marketplace's own promise (days)."""
        return self.settings.promise_days

    def nearest_site_km(self, points: pd.DataFrame) -> np.ndarray:
        """Km from each customer point to the nearest of the marketplace's sites."""
        if self._site_km is None:
            sites = self.settings.sites
            self._site_km = distance_matrix_km(
                np.array([s.lat for s in sites]), np.array([s.lon for s in sites]),
                points["lat"].to_numpy(), points["lon"].to_numpy()).min(axis=0)
        return self._site_km

    def unit_fees(self, weight_kg: np.ndarray, cube_m3: np.ndarray) -> np.ndarray:
        """The fulfilment fee per unit (currency): by shipping weight's tier for a
        standard-size unit, a base plus per kg for an oversize one; shipping weight is the
        greater of the unit's kg and its dimensional weight."""
        m = self.settings
        if m.dim_divisor_cm3_per_kg is not None:
            weight_kg = billable_kg(weight_kg, cube_m3 * 1e6, m.dim_divisor_cm3_per_kg)
        fee = np.asarray(m.fee_per_unit)[np.searchsorted(m.fee_tiers_kg, weight_kg,
                                                         side="left")]
        over = (weight_kg > m.standard_max_kg) | (cube_m3 > m.standard_max_m3)
        return np.where(over, m.oversize_base_per_unit + m.oversize_per_kg * weight_kg, fee)

    def deliver(self, d: Dispatch) -> tuple[np.ndarray, np.ndarray, np.ndarray, np.ndarray]:
        """The marketplace delivers itself; the fee per unit covers shipping."""
        m = self.settings
        n = len(d.distance_km)
        if m.sites and d.points is not None:
            band = d.carriers.band(self.nearest_site_km(d.points)[d.point])
            by_band = np.asarray(m.transit_days_by_band)
            transit = by_band[np.minimum(band, len(by_band) - 1)].astype(float)
        else:
            transit = draw(d.streams[f"marketplace.{d.spec.id}"], m.transit_days, n)
        per_unit = self.unit_fees(d.unit_weight_kg[d.sku], d.unit_cube_m3[d.sku])
        fee = np.add.reduceat(per_unit * d.qty, d.bounds[:-1])
        return np.full(n, -1), transit, np.zeros(n), fee

    def own_costs(self, book: NodeLedger) -> None:
        m = self.settings
        sc = book.scenario
        book.add(book.ship_day, "marketplace_fulfilment", book.by_day["fee"].sum().to_numpy())
        rate = np.array([m.storage_peak_per_m3_month if sc.is_peak_day(int(d))
                         else m.storage_per_m3_month for d in book.snap_day])
        book.add(book.snap_day, "marketplace_storage",
                 book.per_snapshot_day("on_hand_cube_m3_avg") * rate / MONTH_DAYS)
        day, units = received_by_day(book)  # the initial stock is sent in at go-live too
        book.add(day, "marketplace_inbound", units * (
            m.inbound_placement_per_unit + m.prep_label_per_unit
            + m.inbound_transport_per_pallet / sc.inventory.units_per_pallet))
        ret = book.returns_by_day
        book.add(ret.index.to_numpy(), "marketplace_returns", ret.to_numpy() * m.returns_per_unit)


def received_by_day(book: NodeLedger, go_live: bool = True) -> tuple[np.ndarray, np.ndarray]:
    """(day, units) put away per day; with `go_live`, the initial stock on day 0 too."""
    recv = book.inbound[book.inbound["putaway_h"].notna()]
    units = recv.groupby((recv["putaway_h"] // 24).astype(int))["units"].sum()
    if go_live and len(book.snap):
        units = units.add(pd.Series({0: book.snap["on_hand_units"].iloc[0]}), fill_value=0)
    return units.index.to_numpy(), units.to_numpy(float)


MODE_RULES: dict[str, type[FulfilmentMode]] = {
    rule.name: rule for rule in (InHouse, ThirdParty, Dropship, Marketplace)}
if set(MODE_RULES) != set(MODE_SETTINGS):
    raise ImportError(f"mode rules {sorted(MODE_RULES)} and mode settings "
                      f"{sorted(MODE_SETTINGS)} must name the same modes")


def rule_for(spec: Node) -> FulfilmentMode:
    """The rules of a node's fulfilment mode, on its settings."""
    return MODE_RULES[spec.mode.kind](spec.mode)
