"""Storage capacity at a node: locations by type, put-away into free room, and what happens
to units that find none (an overflow store at a cost, or a wait at the dock).

The rules, stated here and tested in tests/test_storage.py:

- A node's `storage.locations` are types (e.g. `shelf_bins`, `pallet_positions`), each
  `count` locations of `usable_m3` each (the volume a location holds in practice: its
  gross volume times a fill factor).
- Each SKU is stored in the smallest type (by usable_m3) its unit cube (the catalogue's
  `cube_m3`, from `dims_cm` when given: the same cube the 3PL storage fee and the cartons
  use) fits in; a location of that type holds floor(usable_m3 / unit cube) units of that
  SKU only (dedicated storage: SKUs do not share a location), so a SKU with u units takes
  ceil(u / per location) locations.
- The units counted are the SKU's units on hand plus any called back from overflow and on
  their way (their room is held). A unit frees its share of a location when it is
  allocated to an order: the stock record drops then, and its pick follows within the
  shift (the stated simplification).
- Put-away: units arriving (purchase orders and transfers after receiving, restocked
  returns, units released by a lost sale, the initial stock) go first to backorders
  waiting for the SKU (straight to the orders: no location), then into room of their type:
  the slack of the SKU's part-filled locations and free locations. First come, first
  stored: while older units of the type wait, new ones queue behind them.
- Units with no room: with `when_full: wait` they wait at the dock (not pickable) until
  room frees; with `overflow` they go to an external store (not pickable) and come back
  `transfer_days` after room frees for them (the room is held meanwhile). Overflow costs
  `cost_per_m3_day` for each m3-day from arrival there until back in a location, and
  `handling_per_unit` each way (in and back): ledger category `overflow_storage`.
- A purchase-order line is put away (`putaway_h`, dock-to-stock) when its receivers finish;
  the time its units then wait for a location, or spend in overflow, is in the storage
  table (off-shelf unit-days), not in dock-to-stock.
- The put-away crew looks for freed room every hour, and the queue is served in arrival
  order (each lot takes what room its SKU finds).
- Units waiting or in overflow count as on order in the node's inventory position: they
  are the node's and will become pickable, so the review does not order them again.
"""

from __future__ import annotations

import math
from collections import deque
from collections.abc import Callable
from dataclasses import dataclass
from typing import TYPE_CHECKING

import numpy as np
import pandas as pd
import simpy

from optimize.errors import FieldProblem
from sim.record import TimeWeighted
from sim.scenario import Scenario, Storage, StorageOverflow

if TYPE_CHECKING:
    from sim.demand import Catalogue

__all__ = ["STORAGE_ROW", "NodeStorage", "occupancy_pct", "overflow_cost", "storage_problems",
           "storage_table", "storage_types"]

# The storage table's columns, one row per node, location type and day.
STORAGE_ROW = ("day", "node", "location_type", "locations", "used_end", "used_peak",
               "off_shelf_units_end", "off_shelf_m3_end", "off_shelf_unit_days",
               "off_shelf_m3_days", "units_in", "units_back")


def storage_types(spec: Storage, cube_m3: np.ndarray, carried: np.ndarray
                  ) -> tuple[list[str], np.ndarray, np.ndarray, list[int]]:
    """(type names smallest first, type index per SKU, units per location per SKU, SKUs that
    the node carries and no type fits): each SKU in the smallest type its unit cube fits."""
    names = sorted(spec.locations, key=lambda k: (spec.locations[k].usable_m3, k))
    usable = np.array([spec.locations[k].usable_m3 for k in names])
    cube = np.asarray(cube_m3, float)
    fits = usable[None, :] >= cube[:, None] * (1 - 1e-12)
    kind = np.where(fits.any(axis=1), fits.argmax(axis=1), len(names) - 1)
    # 1e-9: a location of exactly k unit cubes holds k units despite rounding
    per = np.maximum(np.floor(usable[kind] / cube + 1e-9), 1).astype(np.int64)
    misfits = np.flatnonzero(~fits.any(axis=1) & carried).tolist()
    return names, kind, per, misfits


def storage_problems(nodes: list, cube_m3: np.ndarray, sku_ids: np.ndarray,
                     carried: np.ndarray) -> list[FieldProblem]:
    """A problem for each node whose storage has no location type a carried SKU fits in,
    naming the field, the node and the SKU (its unit cube as the value)."""
    problems = []
    for i, node in enumerate(nodes):
        if node.storage is None:
            continue
        names, _, _, misfits = storage_types(node.storage, cube_m3, carried[i])
        for s in misfits[:5]:
            sku = str(sku_ids[s])
            problems.append(FieldProblem(
                f"nodes[{i}].storage.locations.{names[-1]}.usable_m3",
                f"node {node.id!r}: SKU {sku!r} has a unit cube of {cube_m3[s]:.4g} m3, "
                f"larger than every location type's usable_m3 (largest "
                f"{node.storage.locations[names[-1]].usable_m3:.4g} m3)",
                float(node.storage.locations[names[-1]].usable_m3)))
    return problems


def scenario_storage_problems(scenario: Scenario, catalogue: Catalogue) -> list[FieldProblem]:
    """storage_problems for every node of `scenario`, each with the SKUs it carries."""
    from sim.fulfilment_modes import rule_for
    from sim.stock_levels import assortment_mask

    stocked = np.array([rule_for(n).stocks for n in scenario.nodes])
    carried = assortment_mask(scenario, catalogue, stocked)
    return storage_problems(scenario.nodes, catalogue.cube_m3, catalogue.ids, carried)


@dataclass
class _Lot:
    sku: int
    units: int


class NodeStorage:
    """A node's locations in the running model: the room each SKU finds, the queue of units
    without room (waiting at the dock or in overflow), and the day rows of the storage table."""

    def __init__(self, env: simpy.Environment, spec: Storage, on_hand: np.ndarray,
                 cube_m3: np.ndarray, node: int, shelve: Callable[[int, int], None]):
        self.env, self.spec, self.on_hand, self.node = env, spec, on_hand, node
        self.shelve = shelve  # puts units from the queue into pickable stock
        n = len(on_hand)
        self.names, self.kind, self.per, _ = storage_types(spec, cube_m3, np.ones(n, bool))
        self.count = np.array([spec.locations[k].count for k in self.names])
        self.skus_of = [np.flatnonzero(self.kind == t) for t in range(len(self.names))]
        self.cube = np.asarray(cube_m3, float)
        self.reserved = np.zeros(n, np.int64)  # called back from overflow, on their way
        self.queue: list[deque[_Lot]] = [deque() for _ in self.names]
        self.off_shelf = 0  # units waiting or in overflow (on their way back included)
        t = len(self.names)
        self.units = [TimeWeighted() for _ in range(t)]
        self.m3 = [TimeWeighted() for _ in range(t)]
        self.peak = [0] * t
        self.moved_in, self.moved_back = [0] * t, [0] * t
        self.rows: list[tuple] = []
        self.day = 0
        self.delay_h = 24.0 * spec.overflow.transfer_days if spec.when_full == "overflow" else 0

    def start(self) -> None:
        """Start the hourly put-away from the queue, once the initial stock is placed."""
        self.peak = [self.used(k) for k in range(len(self.names))]
        self.env.process(self._hourly())

    def used(self, t: int) -> int:
        """Locations of type `t` in use (each SKU's ceil(units / per location))."""
        idx = self.skus_of[t]
        held = self.on_hand[idx] + self.reserved[idx]
        return int((-(-held // self.per[idx])).sum())

    def room(self, sku: int, used: int | None = None) -> int:
        """Units of `sku` that fit now: the slack of its own locations and the free ones."""
        t = int(self.kind[sku])
        per = int(self.per[sku])
        held = int(self.on_hand[sku] + self.reserved[sku])
        free = int(self.count[t]) - (self.used(t) if used is None else used)
        return max(free, 0) * per + (-(-held // per)) * per - held

    def admit(self, sku: int, units: int, queue_first: bool = True) -> int:
        """Units of `sku` (of `units` arriving) that go into a location now; the rest join
        the queue (waiting at the dock or to overflow). Behind an older lot of the same type
        everything queues (`queue_first`)."""
        t = int(self.kind[sku])
        take = 0 if (queue_first and self.queue[t]) else min(units, self.room(sku))
        rest = units - take
        if rest:
            self.queue[t].append(_Lot(sku, rest))
            self._off_shelf(t, sku, rest)
            self.moved_in[t] += rest
        return take

    def noted(self, sku: int) -> None:
        """Units of `sku` went on the shelf: keep the day's peak of locations in use."""
        t = int(self.kind[sku])
        self.peak[t] = max(self.peak[t], self.used(t))

    def _off_shelf(self, t: int, sku: int, units: int) -> None:
        now = self.env.now
        self.off_shelf += units
        self.units[t].move(now, units)
        self.m3[t].move(now, units * self.cube[sku])
        if not self.units[t].level:
            self.m3[t].level = 0.0  # no rounding residue once the last unit is back

    def _hourly(self):
        while True:
            self.serve()
            yield self.env.timeout(1.0)
            self.close(self.env.now)

    def serve(self) -> None:
        """Give freed room to the queue in arrival order: at once (wait) or after the
        transfer back from overflow, the room held meanwhile."""
        for t, lots in enumerate(self.queue):
            if not lots:
                continue
            used = self.used(t)
            kept: deque[_Lot] = deque()
            for lot in lots:
                take = min(lot.units, self.room(lot.sku, used))
                if take:
                    self.reserved[lot.sku] += take
                    used = self.used(t)
                    self.moved_back[t] += take
                    lot.units -= take
                    self._back(lot.sku, take)
                if lot.units:
                    kept.append(lot)
            self.queue[t] = kept

    def _back(self, sku: int, units: int) -> None:
        def arrive(_ev: object = None) -> None:
            self.reserved[sku] -= units
            self._off_shelf(int(self.kind[sku]), sku, -units)
            self.shelve(sku, units)
            self.noted(sku)

        if self.delay_h:
            self.env.timeout(self.delay_h).callbacks.append(arrive)
        else:
            arrive()

    def close(self, now: float, final: bool = False) -> None:
        """Write the rows of the days that ended by `now` (hours), and with `final` the day
        `now` falls in (the run's end)."""
        while 24.0 * (self.day + 1) <= now or (final and 24.0 * self.day < now):
            end = min(24.0 * (self.day + 1), now)
            for t, name in enumerate(self.names):
                units, m3 = self.units[t], self.m3[t]
                self.rows.append((
                    self.day, self.node, name, int(self.count[t]), self.used(t),
                    self.peak[t], int(units.level), float(m3.level),
                    units.area_until(end) / 24.0, m3.area_until(end) / 24.0,
                    self.moved_in[t], self.moved_back[t]))
                for level in (units, m3):  # the next day's integrals start at zero
                    level.move(end, 0.0)
                    level.area = 0.0
                self.peak[t] = self.used(t)
                self.moved_in[t] = self.moved_back[t] = 0
            self.day += 1

    def lots_units(self) -> int:
        """Units off the shelf counted on the lots and the units on their way back."""
        return sum(lot.units for q in self.queue for lot in q) + int(self.reserved.sum())


def storage_table(rows: list[tuple], node_ids: tuple[str, ...]) -> pd.DataFrame:
    """One row per node, location type and day: locations, in use at the day's end and at
    its peak, occupancy (% of locations, end and peak), units and m3 off the shelf (waiting
    or in overflow) at the end and their unit-days and m3-days over the day, units that went
    off the shelf and that came back that day."""
    df = pd.DataFrame(rows, columns=list(STORAGE_ROW))
    df["node"] = np.asarray(node_ids, dtype=object)[df["node"].to_numpy(int)]
    df["occupancy_pct"] = occupancy_pct(df["used_end"], df["locations"])
    df["peak_occupancy_pct"] = occupancy_pct(df["used_peak"], df["locations"])
    return df.sort_values(["node", "location_type", "day"], kind="stable").reset_index(drop=True)


def overflow_cost(overflow: StorageOverflow, node: str, storage: pd.DataFrame
                  ) -> pd.DataFrame:
    """Ledger rows (day, node, category `overflow_storage`, amount in currency) of a node's
    overflow: rent on its m3-days off the shelf plus handling of the units in and back."""
    mine = storage[storage["node"] == node]
    by_day = mine.groupby("day")[["off_shelf_m3_days", "units_in", "units_back"]].sum()
    amount = (overflow.cost_per_m3_day * by_day["off_shelf_m3_days"]
              + overflow.handling_per_unit * (by_day["units_in"] + by_day["units_back"]))
    return pd.DataFrame({"day": by_day.index.to_numpy(int), "node": node,
                         "category": "overflow_storage", "amount": amount.to_numpy(float)})


STORAGE_BASIS = ("days from the end of warm-up to the end of the run: occupancy = locations in "
                 "use / locations of the type (end of day, and the day's peak); a day at "
                 "capacity is one whose peak reached every location; off-shelf units wait "
                 "at the dock (wait) or sit in overflow (overflow), on their way back "
                 "included; overflow cost in the scenario's currency")


def storage_kpis(storage: pd.DataFrame, costs: pd.DataFrame, start_day: int,
                 end_day: int) -> dict:
    """Per `node.location_type` over days [start_day, end_day): mean and peak occupancy (%),
    days at capacity, units that went off the shelf, their unit-days and m3-days; per node
    the overflow cost (ledger category `overflow_storage`); and the basis."""
    w = storage[(storage["day"] >= start_day) & (storage["day"] < end_day)]
    by_type = {}
    for (node, kind), d in w.groupby(["node", "location_type"], sort=True):
        by_type[f"{node}.{kind}"] = {
            "locations": int(d["locations"].iloc[-1]),
            "mean_occupancy_pct": float(d["occupancy_pct"].mean()),
            "peak_occupancy_pct": float(d["peak_occupancy_pct"].max()),
            "days_at_capacity": int((d["used_peak"] >= d["locations"]).sum()),
            "days": len(d),
            "units_off_shelf_in": int(d["units_in"].sum()),
            "off_shelf_unit_days": float(d["off_shelf_unit_days"].sum()),
            "off_shelf_m3_days": float(d["off_shelf_m3_days"].sum()),
        }
    c = costs[(costs["category"] == "overflow_storage") & (costs["day"] >= start_day)
              & (costs["day"] < end_day)]
    return {"by_type": by_type,
            "overflow_cost": {str(k): float(v) for k, v in
                              c.groupby("node")["amount"].sum().items()},
            "basis": STORAGE_BASIS}


def occupancy_pct(used: np.ndarray, locations: np.ndarray) -> np.ndarray:
    """Share of locations in use (%), nan for a type with no locations."""
    used, locations = np.asarray(used, float), np.asarray(locations, float)
    with np.errstate(invalid="ignore", divide="ignore"):
        return np.where(locations > 0, 100.0 * used / locations, math.nan)
