"""The answer of every routing method: units per line and node, with the shipments it makes."""

from __future__ import annotations

import warnings
from dataclasses import dataclass
from typing import Any

import numpy as np

from optimize.order_routing.instance import RoutingInstance
from optimize.order_routing.plan import order_node_units, plan_cost
from optimize.result import SolverResult, Status

__all__ = ["RoutingResult", "Shipment", "Unfilled", "make_result"]


@dataclass(frozen=True)
class Shipment:
    """One parcel: units per SKU that `node` ships to `order`."""

    order: str
    node: str
    units: dict[str, int]


@dataclass(frozen=True)
class Unfilled:
    """Units of one order line that no node ships."""

    order: str
    sku: str
    units: int


@dataclass(frozen=True, kw_only=True, eq=False)
class RoutingResult(SolverResult):
    """A routing plan; `objective` is its cost in currency recomputed from `flow`.

    `flow[line, node]` is the integer units of each line shipped from each node and
    `unfilled_units[line]` what is left unshipped. `unmet_promise_orders` names the orders
    whose hard promise cannot be met when the status is infeasible. The LP method also sets
    `stock_dual[node, sku]` and `capacity_dual[node]`: currency a further unit of stock or
    capacity would save (the shadow prices a look-ahead policy charges for using stock).
    """

    method: str
    flow: np.ndarray
    unfilled_units: np.ndarray
    shipments: tuple[Shipment, ...]
    unfilled: tuple[Unfilled, ...]
    split_orders: int
    unmet_promise_orders: tuple[str, ...] = ()
    stock_dual: np.ndarray | None = None
    capacity_dual: np.ndarray | None = None

    def to_dict(self) -> dict[str, Any]:
        """The JSON form (the CLI's): status, objective, bound, shipments, unfilled,
        split_orders, time_s, then gap, time_limit_hit, message, method and
        unmet_promise_orders. `flow` and the duals stay out (the shipments say the same)."""
        shared = self.contract_dict()
        return {
            "status": shared["status"],
            "objective": shared["objective"],
            "bound": shared["bound"],
            "shipments": [{"order": s.order, "node": s.node, "units": s.units}
                          for s in self.shipments],
            "unfilled": [{"order": u.order, "sku": u.sku, "units": u.units} for u in self.unfilled],
            "split_orders": self.split_orders,
            "time_s": self.time_s,
            "gap": shared["gap"],
            "time_limit_hit": self.time_limit_hit,
            "message": self.message,
            "method": self.method,
            "unmet_promise_orders": list(self.unmet_promise_orders),
        }

    def to_json(self) -> dict[str, Any]:
        """Deprecated alias of `to_dict`."""
        warnings.warn("RoutingResult.to_json is deprecated; use to_dict", DeprecationWarning,
                      stacklevel=2)
        return self.to_dict()


def make_result(inst: RoutingInstance, flow: np.ndarray, *, method: str, status: Status,
                bound: float, time_s: float, message: str = "", **extra: object
                ) -> RoutingResult:
    """Wrap a plan `flow[line, node]` (integer units) into a result, costing it from scratch."""
    flow = np.asarray(flow, dtype=np.int64)
    unfilled_units = inst.line_qty - flow.sum(axis=1)
    by_pair = order_node_units(inst, flow)
    split_orders = int(np.count_nonzero((by_pair > 0).sum(axis=1) > 1))
    shipments = []
    lines, nodes = np.nonzero(flow)
    if len(lines):
        # group the nonzero (line, node) cells by (order, node), in order then node order
        orders = inst.line_order[lines]
        order_by = np.lexsort((lines, nodes, orders))
        current: tuple[int, int] | None = None
        units: dict[str, int] = {}
        for i in order_by:
            key = (int(orders[i]), int(nodes[i]))
            if key != current:
                if current is not None:
                    shipments.append(Shipment(inst.order_ids[current[0]],
                                              inst.node_ids[current[1]], units))
                current, units = key, {}
            line = lines[i]
            units[inst.sku_ids[inst.line_sku[line]]] = int(flow[line, nodes[i]])
        shipments.append(Shipment(inst.order_ids[current[0]], inst.node_ids[current[1]], units))
    unfilled = tuple(Unfilled(inst.order_ids[inst.line_order[i]], inst.sku_ids[inst.line_sku[i]],
                              int(unfilled_units[i])) for i in np.flatnonzero(unfilled_units))
    objective = plan_cost(inst, flow) if status in (Status.OPTIMAL, Status.FEASIBLE) else np.nan
    return RoutingResult(status=status, objective=objective, bound=bound, time_s=time_s,
                         message=message, method=method, flow=flow,
                         unfilled_units=unfilled_units, shipments=tuple(shipments),
                         unfilled=unfilled, split_orders=split_orders, **extra)
