"""The batch routing instance: nodes with stock and capacity, orders with lines, a cost model.

Held as numpy arrays so the simulation can build one in memory for each batch without JSON;
`optimize.order_routing.io` reads and writes the JSON form of the same thing.
"""

from __future__ import annotations

import math
from dataclasses import dataclass, field
from functools import cached_property

import numpy as np

from optimize.errors import FieldProblem, InvalidInput
from optimize.geo import distance_matrix_km

__all__ = ["CostModel", "PromiseRules", "RoutingInstance"]


@dataclass(frozen=True)
class CostModel:
    """Outbound cost, in currency.

    A shipment (order, node) costs `per_shipment_fixed + per_shipment_per_km * d`; each unit
    shipped costs `per_unit_per_km * d` (d the great-circle km from node to order); each unit
    not shipped costs `unfilled_unit_penalty`; a shipment that misses the order's delivery
    promise costs `late_shipment_penalty` on top.
    """

    per_shipment_fixed: float
    per_shipment_per_km: float
    per_unit_per_km: float
    unfilled_unit_penalty: float
    late_shipment_penalty: float = 0.0

    def problems(self, path: str = "cost") -> list[FieldProblem]:
        """Each negative or non-finite rate, as a named-field problem."""
        out = []
        for name in ("per_shipment_fixed", "per_shipment_per_km", "per_unit_per_km",
                     "unfilled_unit_penalty", "late_shipment_penalty"):
            value = getattr(self, name)
            if not (math.isfinite(value) and value >= 0):
                out.append(FieldProblem(f"{path}.{name}", "must be a finite number >= 0", value))
        return out


@dataclass(frozen=True)
class PromiseRules:
    """How delivery promises bind: `hard` makes every promised order ship in full and on time
    (else the instance is infeasible); otherwise a late shipment pays the late penalty.
    Transit days not given per order and node are `ceil(km / km_per_transit_day)`, at least 1.
    """

    hard: bool = False
    km_per_transit_day: float = 800.0

    def problems(self, path: str = "promise") -> list[FieldProblem]:
        """A non-positive transit speed, as a named-field problem."""
        if math.isfinite(self.km_per_transit_day) and self.km_per_transit_day > 0:
            return []
        return [FieldProblem(f"{path}.km_per_transit_day", "must be > 0", self.km_per_transit_day)]


def _int_array(values: object) -> np.ndarray:
    return np.ascontiguousarray(values, dtype=np.int64)


def _float_array(values: object) -> np.ndarray:
    return np.ascontiguousarray(values, dtype=float)


@dataclass(frozen=True, eq=False)
class RoutingInstance:
    """A batch of orders to route over nodes (all arrays; ids name the rows).

    Lines are flat arrays: line `i` asks `line_qty[i]` units of SKU `line_sku[i]` for order
    `line_order[i]` (indices into `order_ids` / `sku_ids`). `stock[n, k]` is node n's stock of
    SKU k in units; `capacity_units[n]` caps the units node n ships in the batch.

    Optional planner extensions: `promise_days[o]` (nan = no promise), `placed_hour[o]` and
    `cutoff_hour[n]` (an order placed at or after a node's cut-off ships a day later there),
    `transit_days[o, n]` (nan or None: from distance), and `unit_cost[n, k]`, an extra cost per unit
    of SKU k shipped from node n (handling, or the stock's expected future value).
    """

    node_ids: tuple[str, ...]
    node_lat: np.ndarray
    node_lon: np.ndarray
    capacity_units: np.ndarray
    sku_ids: tuple[str, ...]
    stock: np.ndarray
    order_ids: tuple[str, ...]
    order_lat: np.ndarray
    order_lon: np.ndarray
    line_order: np.ndarray
    line_sku: np.ndarray
    line_qty: np.ndarray
    cost: CostModel
    name: str = ""
    promise_days: np.ndarray | None = None
    placed_hour: np.ndarray | None = None
    cutoff_hour: np.ndarray | None = None
    transit_days: np.ndarray | None = None
    unit_cost: np.ndarray | None = None
    promise: PromiseRules = field(default_factory=PromiseRules)

    def __post_init__(self) -> None:
        conv = object.__setattr__
        conv(self, "node_ids", tuple(self.node_ids))
        conv(self, "sku_ids", tuple(self.sku_ids))
        conv(self, "order_ids", tuple(self.order_ids))
        for name in ("node_lat", "node_lon", "order_lat", "order_lon"):
            conv(self, name, _float_array(getattr(self, name)))
        for name in ("capacity_units", "stock", "line_order", "line_sku", "line_qty"):
            conv(self, name, _int_array(getattr(self, name)))
        for name in ("promise_days", "placed_hour", "cutoff_hour", "transit_days", "unit_cost"):
            if getattr(self, name) is not None:
                conv(self, name, _float_array(getattr(self, name)))
        problems = self._shape_problems()
        if not problems:
            problems = self._value_problems()
        if problems:
            raise InvalidInput(problems)

    # -- validation -------------------------------------------------------------------------

    def _shape_problems(self) -> list[FieldProblem]:
        n, m, k = self.n_nodes, self.n_orders, len(self.sku_ids)
        want = {
            "node_lat": (n,), "node_lon": (n,), "capacity_units": (n,), "stock": (n, k),
            "order_lat": (m,), "order_lon": (m,), "line_order": (self.n_lines,),
            "line_sku": (self.n_lines,), "promise_days": (m,), "placed_hour": (m,),
            "cutoff_hour": (n,), "transit_days": (m, n), "unit_cost": (n, k),
        }
        out = []
        for name, shape in want.items():
            value = getattr(self, name)
            if value is not None and value.shape != shape:
                out.append(FieldProblem(name, f"shape must be {shape}", value.shape))
        if self.line_qty.ndim != 1:
            out.append(FieldProblem("line_qty", "must be one-dimensional", self.line_qty.shape))
        if n == 0:
            out.append(FieldProblem("nodes", "at least one node is needed", []))
        return out

    def _value_problems(self) -> list[FieldProblem]:
        out = [*self.cost.problems(), *self.promise.problems()]
        out += _duplicates(self.node_ids, "nodes")
        out += _duplicates(self.order_ids, "orders")
        out += _duplicates(self.sku_ids, "skus")

        def node_path(i: int, rest: str) -> str:
            return f"nodes[{i}].{rest}"

        def order_path(i: int, rest: str) -> str:
            return f"orders[{i}].{rest}"

        out += _range_problems(self.node_lat, -90, 90, lambda i: node_path(i, "lat"))
        out += _range_problems(self.node_lon, -180, 180, lambda i: node_path(i, "lon"))
        out += _range_problems(self.order_lat, -90, 90, lambda i: order_path(i, "lat"))
        out += _range_problems(self.order_lon, -180, 180, lambda i: order_path(i, "lon"))
        out += _range_problems(self.capacity_units, 0, np.inf,
                               lambda i: node_path(i, "capacity_units"))
        for n, k in np.argwhere(self.stock < 0):
            out.append(FieldProblem(node_path(n, f"stock.{self.sku_ids[k]}"), "must be >= 0",
                                    int(self.stock[n, k])))
        bad_order = (self.line_order < 0) | (self.line_order >= self.n_orders)
        bad_sku = (self.line_sku < 0) | (self.line_sku >= len(self.sku_ids))
        for i in np.flatnonzero(bad_order):
            out.append(FieldProblem(f"line_order[{i}]", "not an order index",
                                    int(self.line_order[i])))
        for i in np.flatnonzero(bad_sku):
            out.append(FieldProblem(f"line_sku[{i}]", "not a SKU index", int(self.line_sku[i])))
        if bad_order.any() or bad_sku.any():
            return out  # the checks below name lines by their order and SKU
        for i in np.flatnonzero(self.line_qty < 1):
            out.append(FieldProblem(self.line_path(i), "units must be >= 1", int(self.line_qty[i])))
        if np.any(np.diff(self.line_order) < 0):
            out.append(FieldProblem("line_order", "lines must be grouped by order, ascending",
                                    "unsorted"))
        elif self.n_lines:
            key = self.line_order * len(self.sku_ids) + self.line_sku
            for i in np.flatnonzero(np.diff(np.sort(key)) == 0):
                j = int(np.argsort(key, kind="stable")[i + 1])
                out.append(FieldProblem(self.line_path(j), "SKU appears twice in the order",
                                        self.sku_ids[self.line_sku[j]]))
        if self.promise_days is not None:
            bad = ~np.isnan(self.promise_days) & ~(self.promise_days >= 0)
            for i in np.flatnonzero(bad):
                out.append(FieldProblem(order_path(i, "promise_days"), "must be >= 0",
                                        float(self.promise_days[i])))
        if self.placed_hour is not None:
            out += _range_problems(self.placed_hour, 0, 24, lambda i: order_path(i, "placed_hour"))
        if self.cutoff_hour is not None:
            out += _range_problems(self.cutoff_hour, 0, 24, lambda i: node_path(i, "cutoff_hour"))
        if self.transit_days is not None:
            bad = ~np.isnan(self.transit_days) & ~(self.transit_days >= 0)
            for o, n in np.argwhere(bad):
                out.append(FieldProblem(order_path(o, f"transit_days.{self.node_ids[n]}"),
                                        "must be >= 0", float(self.transit_days[o, n])))
        if self.unit_cost is not None:
            for n, k in np.argwhere(~(np.isfinite(self.unit_cost) & (self.unit_cost >= 0))):
                out.append(FieldProblem(node_path(n, f"unit_cost.{self.sku_ids[k]}"),
                                        "must be a finite number >= 0",
                                        float(self.unit_cost[n, k])))
        return out

    def line_path(self, line: int) -> str:
        """Field path of a line, as in the JSON form: `orders[3].lines.SKU`."""
        return f"orders[{self.line_order[line]}].lines.{self.sku_ids[self.line_sku[line]]}"

    # -- sizes and derived arrays (computed once, on first use) -----------------------------

    @property
    def n_nodes(self) -> int:
        """Number of nodes."""
        return len(self.node_ids)

    @property
    def n_orders(self) -> int:
        """Number of orders."""
        return len(self.order_ids)

    @property
    def n_lines(self) -> int:
        """Number of order lines."""
        return len(self.line_qty)

    @cached_property
    def distance_km(self) -> np.ndarray:
        """[order, node] great-circle distance in km."""
        return distance_matrix_km(self.order_lat, self.order_lon, self.node_lat, self.node_lon)

    @cached_property
    def late(self) -> np.ndarray:
        """[order, node] True where a shipment from that node misses the order's promise."""
        if self.promise_days is None:
            return np.zeros((self.n_orders, self.n_nodes), dtype=bool)
        transit = np.maximum(1.0, np.ceil(self.distance_km / self.promise.km_per_transit_day))
        if self.transit_days is not None:
            # nan: not given for that order and node, so it comes from the distance
            transit = np.where(np.isnan(self.transit_days), transit, self.transit_days)
        ship_day = np.zeros((self.n_orders, self.n_nodes))
        if self.placed_hour is not None and self.cutoff_hour is not None:
            ship_day = (self.placed_hour[:, None] >= self.cutoff_hour[None, :]).astype(float)
        promised = self.promise_days[:, None]
        # nan promise compares False: no promise, never late
        return ship_day + transit > promised

    @cached_property
    def hard_order(self) -> np.ndarray:
        """[order] True where the promise is a hard constraint (ship in full, on time)."""
        if self.promise_days is None or not self.promise.hard:
            return np.zeros(self.n_orders, dtype=bool)
        return ~np.isnan(self.promise_days)

    @cached_property
    def allowed(self) -> np.ndarray:
        """[order, node] True where the order may ship from the node at all."""
        return ~(self.late & self.hard_order[:, None])

    @cached_property
    def shipment_cost(self) -> np.ndarray:
        """[order, node] currency charged once per shipment (fixed + per km + late penalty)."""
        c = self.cost
        out = c.per_shipment_fixed + c.per_shipment_per_km * self.distance_km
        if c.late_shipment_penalty:
            out = out + c.late_shipment_penalty * self.late
        return out

    @cached_property
    def line_unit_cost(self) -> np.ndarray:
        """[line, node] currency per unit of the line shipped from the node."""
        out = self.cost.per_unit_per_km * self.distance_km[self.line_order]
        if self.unit_cost is not None:
            out = out + self.unit_cost[:, self.line_sku].T
        return out

    @cached_property
    def order_line_start(self) -> np.ndarray:
        """[order + 1] offsets: the lines of order o are `order_line_start[o]:[o + 1]`."""
        return np.searchsorted(self.line_order, np.arange(self.n_orders + 1))


def _duplicates(ids: tuple[str, ...], what: str) -> list[FieldProblem]:
    seen: set[str] = set()
    out = []
    for i, ident in enumerate(ids):
        if ident in seen:
            out.append(FieldProblem(f"{what}[{i}].id", "duplicate id", ident))
        seen.add(ident)
    return out


def _range_problems(values: np.ndarray, lo: float, hi: float, path) -> list[FieldProblem]:
    bad = ~((values >= lo) & (values <= hi))
    hi_text = "" if hi == np.inf else f" and <= {hi}"
    return [FieldProblem(path(i), f"must be >= {lo}{hi_text}", values[i].item())
            for i in np.flatnonzero(bad)]
