"""The myopic baseline retailers run: each order in turn, as cheaply as it can ship now."""

from __future__ import annotations

import time

import numpy as np

from optimize.order_routing.instance import RoutingInstance
from optimize.order_routing.plan import plan_violations
from optimize.order_routing.result import RoutingResult, make_result
from optimize.result import Status

__all__ = ["greedy", "greedy_flow"]


def greedy_flow(inst: RoutingInstance) -> np.ndarray:
    """Myopic plan `flow[line, node]`: orders in sequence, each from the cheapest single node
    that can ship it whole, else line by line from the cheapest node with stock, else unfilled.
    """
    stock = inst.stock.copy()
    capacity = inst.capacity_units.copy()
    flow = np.zeros((inst.n_lines, inst.n_nodes), dtype=np.int64)
    ship_cost, unit_cost, allowed = inst.shipment_cost, inst.line_unit_cost, inst.allowed
    start = inst.order_line_start
    for o in range(inst.n_orders):
        lines = np.arange(start[o], start[o + 1])
        skus, qty = inst.line_sku[lines], inst.line_qty[lines]
        whole = allowed[o] & (stock[:, skus] >= qty).all(axis=1) & (capacity >= qty.sum())
        if whole.any():
            cost = np.where(whole, ship_cost[o] + qty @ unit_cost[lines], np.inf)
            n = int(np.argmin(cost))
            flow[lines, n] = qty
            stock[n, skus] -= qty
            capacity[n] -= qty.sum()
            continue
        opened = np.zeros(inst.n_nodes, dtype=bool)
        for line, sku, want in zip(lines, skus, qty, strict=True):
            left = int(want)
            while left:
                can = np.minimum(stock[:, sku], capacity)
                usable = allowed[o] & (can > 0)
                if not usable.any():
                    break
                take = np.minimum(can, left)
                cost = np.where(usable, unit_cost[line] * take + ship_cost[o] * ~opened, np.inf)
                # cheapest per unit it can ship, so a node with one unit is not preferred
                n = int(np.argmin(cost / np.maximum(take, 1)))
                units = int(take[n])
                flow[line, n] += units
                stock[n, sku] -= units
                capacity[n] -= units
                opened[n] = True
                left -= units
    return flow


def greedy(inst: RoutingInstance) -> RoutingResult:
    """Run the myopic baseline; status feasible (unknown if it breaks a hard promise)."""
    t0 = time.perf_counter()
    flow = greedy_flow(inst)
    broken = plan_violations(inst, flow)
    status, message = Status.FEASIBLE, "myopic greedy, order by order"
    if broken:
        status, message = Status.UNKNOWN, "greedy broke hard promises: " + "; ".join(broken[:5])
    return make_result(inst, flow, method="greedy", status=status, bound=np.nan,
                       time_s=time.perf_counter() - t0, message=message)
