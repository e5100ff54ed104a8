"""Cost and feasibility of a routing plan, recomputed from its units alone (tests rely on it)."""

from __future__ import annotations

from collections.abc import Iterable, Mapping

import numpy as np

from optimize.errors import FieldProblem, InvalidInput
from optimize.order_routing.instance import RoutingInstance

__all__ = ["flow_from_shipments", "order_node_units", "plan_cost", "plan_violations"]


def order_node_units(inst: RoutingInstance, flow: np.ndarray) -> np.ndarray:
    """[order, node] units a plan ships; a shipment exists where this is positive."""
    out = np.zeros((inst.n_orders, inst.n_nodes), dtype=np.int64)
    np.add.at(out, inst.line_order, flow)
    return out


def plan_cost(inst: RoutingInstance, flow: np.ndarray) -> float:
    """Cost in currency of a plan `flow[line, node]` of units: shipments, units, unfilled."""
    shipped = order_node_units(inst, flow) > 0
    unfilled = inst.line_qty - flow.sum(axis=1)
    return float(inst.shipment_cost[shipped].sum() + (inst.line_unit_cost * flow).sum()
                 + inst.cost.unfilled_unit_penalty * unfilled.sum())


def plan_violations(inst: RoutingInstance, flow: np.ndarray) -> list[str]:
    """Every constraint a plan breaks, in words (empty when the plan is feasible)."""
    out = []
    flow = np.asarray(flow)
    if flow.shape != (inst.n_lines, inst.n_nodes):
        return [f"flow has shape {flow.shape}, expected {(inst.n_lines, inst.n_nodes)}"]
    if not np.issubdtype(flow.dtype, np.integer):
        out.append("units are not integers")
    for line, node in np.argwhere(flow < 0):
        out.append(f"{inst.line_path(line)}: negative units from {inst.node_ids[node]}")
    shipped = flow.sum(axis=1)
    for line in np.flatnonzero(shipped > inst.line_qty):
        out.append(f"{inst.line_path(line)}: ships {shipped[line]} > {inst.line_qty[line]} ordered")
    used = np.zeros_like(inst.stock)
    np.add.at(used.T, inst.line_sku, flow)
    for node, sku in np.argwhere(used > inst.stock):
        out.append(f"node {inst.node_ids[node]} ships {used[node, sku]} of SKU "
                   f"{inst.sku_ids[sku]}, stock {inst.stock[node, sku]}")
    total = flow.sum(axis=0)
    for node in np.flatnonzero(total > inst.capacity_units):
        out.append(f"node {inst.node_ids[node]} ships {total[node]} units, capacity "
                   f"{inst.capacity_units[node]}")
    by_pair = order_node_units(inst, flow)
    for order, node in np.argwhere((by_pair > 0) & ~inst.allowed):
        out.append(f"order {inst.order_ids[order]} ships from {inst.node_ids[node]}, "
                   "which misses its hard promise")
    short = np.zeros(inst.n_orders, dtype=np.int64)
    np.add.at(short, inst.line_order, inst.line_qty - shipped)
    for order in np.flatnonzero(inst.hard_order & (short > 0)):
        out.append(f"order {inst.order_ids[order]} has a hard promise but {short[order]} "
                   "units unfilled")
    return out


def flow_from_shipments(inst: RoutingInstance,
                        shipments: Iterable[tuple[str, str, Mapping[str, int]]]) -> np.ndarray:
    """Plan `flow[line, node]` from (order id, node id, {sku: units}) triples."""
    order_ix = {o: i for i, o in enumerate(inst.order_ids)}
    node_ix = {n: i for i, n in enumerate(inst.node_ids)}
    line_ix = {(int(o), inst.sku_ids[k]): i
               for i, (o, k) in enumerate(zip(inst.line_order, inst.line_sku, strict=True))}
    flow = np.zeros((inst.n_lines, inst.n_nodes), dtype=np.int64)
    problems = []
    for s, (order, node, units) in enumerate(shipments):
        if order not in order_ix or node not in node_ix:
            problems.append(FieldProblem(f"shipments[{s}]", "unknown order or node", (order, node)))
            continue
        for sku, qty in units.items():
            line = line_ix.get((order_ix[order], sku))
            if line is None:
                problems.append(FieldProblem(f"shipments[{s}].units.{sku}",
                                             "not a line of the order", sku))
            else:
                flow[line, node_ix[node]] += qty
    if problems:
        raise InvalidInput(problems)
    return flow
