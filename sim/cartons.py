"""Cartons in the simulation: a node's pack station packs each shipment into the cheapest set
of cartons (optimize.packing: exact CP-SAT for small shipments, extreme points beyond), each
carton a parcel the carrier bills on its own billable weight, plus size surcharges.

Rules (documented in README "Cartons and dimensional weight"):
- SKU sides: the scenario's `dims_cm`, else a box of the SKU's cube with sides 2 : 1.5 : 1
  (SHAPE, an assumption: a shoe box's proportions).
- The packer minimises carton cost + the carrier's expected charge: a base rate per parcel
  (a second carton pays a second label) and a rate per billable kg.
- A packing is cached by the shipment's multiset of SKUs and units: baskets recur, and the
  same basket always gets the same packing (the solvers are deterministic; a CP-SAT run
  stopped by its clock is replaced by the heuristic's packing, which does not depend on time).
- A unit too big or heavy for every carton ships in its own box (SIOC): no carton cost,
  billed on its own sides.
- Pack time: the node's draw per order + pack_s_per_extra_unit per unit after the first +
  packaging.s_per_extra_carton per carton after the first.
- Billing: each carton is a parcel with its own label, so each pays the service's base rate
  and per-kg rate on max(actual kg, its min billable kg, L x W x H / the service's divisor),
  plus each surcharge it meets; the node's negotiated discount applies to the whole charge.
"""

from __future__ import annotations

import math
from dataclasses import dataclass, field

import numpy as np
import pandas as pd

from sim.carriers import CarrierTable
from sim.record import Shipment
from sim.scenario import Packaging, Scenario

__all__ = ["PARCEL_COLUMNS", "SHAPE", "CartonPacker", "NodeCartons", "Parcel", "parcel_table",
           "sku_dims"]

SHAPE = (2.0, 1.5, 1.0)  # sides of a SKU given only its cube, longest first
OWN_BOX = "own_box"
_NO_DIM_WEIGHT = 1e12  # cm3 per kg: a divisor no carton reaches (the solver needs a number)
PARCEL_COLUMNS = ("shipment", "order", "node", "shipped_h", "carton", "units", "actual_kg",
                  "billable_kg", "length_cm", "width_cm", "height_cm", "fill_share",
                  "carton_cost", "carrier_charge", "surcharges", "surcharge_fee", "method")


def sku_dims(scenario: Scenario, cube_m3: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """(sides in cm [sku, 3], upright flag per SKU): the scenario's dims_cm where given, else
    a box of the SKU's cube with sides in the ratio SHAPE."""
    k = np.cbrt(np.asarray(cube_m3, float) * 1e6 / math.prod(SHAPE))
    dims = k[:, None] * np.asarray(SHAPE)[None, :]
    upright = np.zeros(len(dims), bool)
    for i, s in enumerate(scenario.skus.items or ()):
        if s.dims_cm is not None:
            dims[i] = s.dims_cm
        upright[i] = s.upright
    return np.round(dims, 1), upright  # to 1 mm: the exact model scales lengths to integers


@dataclass(frozen=True)
class Parcel:
    """One carton of a packed shipment: its type (OWN_BOX for a unit shipped in its own
    box), units, actual kg, share of its inner volume filled (0-1), outer sides (cm, as the
    carrier measures them: the carton's inner sides, walls ignored) and carton cost."""

    carton: str
    units: int
    actual_kg: float
    fill_share: float
    dims_cm: tuple[float, float, float]
    cost: float


@dataclass
class CartonPacker:
    """A node's packer: its catalogue as solver cartons, the SKUs' sides and weights, the
    dimensional-weight rule it packs for, and its cache of packings by basket."""

    packaging: Packaging
    sku_ids: np.ndarray
    dims_cm: np.ndarray  # [sku, 3]
    upright: np.ndarray
    weight_kg: np.ndarray
    divisor_cm3_per_kg: float
    rate_per_billable_kg: float  # the carrier's price of a billable kg the packer expects
    rate_per_parcel: float = 0.0  # and of a parcel (its base rate): a second carton pays it
    cache: dict[tuple[bytes, bytes], tuple[tuple[Parcel, ...], str]] = field(
        default_factory=dict)
    hits: int = 0
    misses: int = 0

    def __post_init__(self) -> None:
        from optimize.packing import Carton  # the solver only where a node packs

        p = self.packaging
        self.cartons = tuple(
            [Carton(c.id, tuple(c.inner_cm), c.max_kg, c.cost) for c in p.cartons]
            + [Carton(m.id, (*m.flat_cm, m.max_thickness_cm), m.max_kg, m.cost)
               for m in p.mailers])
        # the solver sees each carton's cost plus the base rate its parcel will pay
        self.solver_cartons = tuple(Carton(c.id, c.inner_cm, c.max_kg,
                                           c.cost + self.rate_per_parcel) for c in self.cartons)

    @classmethod
    def for_node(cls, scenario: Scenario, packaging: Packaging, carriers: CarrierTable,
                 sku_ids: np.ndarray, cube_m3: np.ndarray, weight_kg: np.ndarray,
                 rate_factor: float = 1.0) -> CartonPacker:
        """The packer of a node with `packaging`: it packs for the strictest divisor of the
        carriers' services and, unless the node sets them, the mean rates over the distance
        bands of the service with the lowest base rate (the one most parcels take), times the
        node's `rate_factor` (its share of the list rate)."""
        dims, upright = sku_dims(scenario, cube_m3)
        divisor = float(np.min(carriers.dim_divisor)) if carriers.dim_divisor is not None \
            else math.inf
        usual = int(np.argmin(carriers.base_rate.mean(axis=1)))
        rate, per_parcel = packaging.rate_per_billable_kg, packaging.rate_per_parcel
        if rate is None:
            rate = float(np.mean(carriers.per_kg_rate[usual])) * rate_factor
        if per_parcel is None:
            per_parcel = float(np.mean(carriers.base_rate[usual])) * rate_factor
        return cls(packaging, np.asarray(sku_ids), dims, upright, np.asarray(weight_kg, float),
                   divisor if math.isfinite(divisor) else _NO_DIM_WEIGHT, rate, per_parcel)

    @property
    def hit_rate(self) -> float:
        """Share of packings served from the cache (0-1; nan before any)."""
        n = self.hits + self.misses
        return self.hits / n if n else math.nan

    def pack(self, sku: np.ndarray, qty: np.ndarray) -> tuple[tuple[Parcel, ...], str]:
        """The cartons of a shipment's lines (SKU indices, units) and how they were found
        (`exact`, `extreme_points`, `own_box` or `cached`)."""
        order = np.argsort(sku, kind="stable")
        key = (np.asarray(sku)[order].astype(np.int64).tobytes(),
               np.asarray(qty)[order].astype(np.int64).tobytes())
        found = self.cache.get(key)
        if found is not None:
            self.hits += 1
            return found[0], "cached"
        self.misses += 1
        found = self._solve(np.asarray(sku)[order], np.asarray(qty)[order])
        self.cache[key] = found
        return found

    def _solve(self, sku: np.ndarray, qty: np.ndarray) -> tuple[tuple[Parcel, ...], str]:
        from optimize.packing import Item, PackingInstance, Unit, pack
        from optimize.packing.quick import quick_pack

        items = [Item(str(self.sku_ids[s]), tuple(float(d) for d in self.dims_cm[s]),
                      float(self.weight_kg[s]), int(q), bool(self.upright[s]))
                 for s, q in zip(sku, qty, strict=True)]
        fits = [any(Unit(0, it.sku, it.dims_cm, it.weight_kg, it.upright).fits(c)
                    for c in self.cartons) for it in items]
        own = [Parcel(OWN_BOX, 1, it.weight_kg, 1.0, it.dims_cm, 0.0)
               for it, ok in zip(items, fits, strict=True) if not ok for _ in range(it.qty)]
        items = [it for it, ok in zip(items, fits, strict=True) if ok]
        if not items:
            return tuple(own), OWN_BOX
        inst = PackingInstance(self.solver_cartons, tuple(items), self.divisor_cm3_per_kg,
                               self.rate_per_billable_kg)
        # proves most small baskets optimal in a millisecond; beyond exact_max_units it also
        # takes the heuristic's single-carton answer without running the whole heuristic
        res = quick_pack(inst, prove_only=inst.n_units <= self.packaging.exact_max_units)
        if res is None:
            res = pack(inst, exact_max_units=self.packaging.exact_max_units, threads=1)
        if res.time_limit_hit:  # what CP-SAT finds in time depends on the machine
            res = pack(inst, "heuristic")
        cost = {c.id: c for c in self.cartons}
        parcels = tuple(Parcel(c.carton, sum(c.items.values()), c.actual_kg, c.fill_share,
                               tuple(cost[c.carton].inner_cm), cost[c.carton].cost)
                        for c in res.cartons)
        return parcels + tuple(own), res.method

    def pack_time_extra_s(self, parcels: tuple[Parcel, ...]) -> float:
        """Seconds the cartons add to the pack time: one per carton after the first."""
        return self.packaging.s_per_extra_carton * max(len(parcels) - 1, 0)


def parcel_table(rows: list[tuple], node_ids: tuple[str, ...]) -> pd.DataFrame:
    """One row per parcel shipped (PARCEL_COLUMNS): its shipment, order, node, when it left,
    carton, units, actual and billable kg, sides (cm), fill (0-1), carton cost, the carrier's
    charge after the node's discount (surcharges included), surcharges met and their fees,
    and how its packing was found."""
    df = pd.DataFrame(rows, columns=list(PARCEL_COLUMNS))
    df["node"] = np.asarray(node_ids, dtype=object)[df["node"].to_numpy(np.int64)]
    return df


class NodeCartons:
    """A packing node's cartons as the run uses them: packs a shipment at the pack station
    (remembering its cartons until pickup), weighs it for the service choice, and bills and
    records its parcels at the carrier hand-off."""

    def __init__(self, packer: CartonPacker, node: int, rate_factor: float) -> None:
        self.packer, self.node, self.rate_factor = packer, node, rate_factor
        self.packed: dict[int, tuple[tuple[Parcel, ...], str]] = {}

    def pack_s(self, sh: Shipment) -> float:
        """Pack the shipment; the seconds its extra cartons add to its pack time."""
        found = self.packed[sh.index] = self.packer.pack(sh.sku, sh.qty)
        return self.packer.pack_time_extra_s(found[0])

    def choice_kg(self, going: list[Shipment]) -> np.ndarray:
        """Billable kg per shipment under the packer's divisor, summed over its cartons (what
        the service choice weighs)."""
        div = self.packer.divisor_cm3_per_kg
        return np.array([math.fsum(max(p.actual_kg, math.prod(p.dims_cm) / div)
                                   for p in self.packed[s.index][0]) for s in going])

    def bill(self, going: list[Shipment], row: np.ndarray, band: np.ndarray,
             carriers: CarrierTable, now_h: float, rows: list[tuple]) -> np.ndarray:
        """The carrier's charge per shipment (its parcels', after the node's discount), with a
        parcel row (PARCEL_COLUMNS) appended to `rows` for each carton."""
        done = [self.packed.pop(s.index) for s in going]
        n = [len(parcels) for parcels, _ in done]
        flat = [p for parcels, _ in done for p in parcels]
        at = np.repeat(np.arange(len(going)), n)
        billable, rate, fees, met = carriers.bill_parcels(
            row[at], band[at], np.array([p.actual_kg for p in flat]),
            np.array([p.dims_cm for p in flat]).reshape(-1, 3))
        charge = (rate + fees) * self.rate_factor
        for k, p in enumerate(flat):
            s = going[at[k]]
            d = sorted(p.dims_cm, reverse=True)
            rows.append((s.index, s.order, self.node, now_h, p.carton, p.units, p.actual_kg,
                              float(billable[k]), *d, p.fill_share, p.cost, float(charge[k]),
                              int(met[k]), float(fees[k]), done[at[k]][1]))
        return np.bincount(at, weights=charge, minlength=len(going))
