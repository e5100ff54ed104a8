"""The units problem once shipments are chosen: a min-cost network flow with integral optimum.

Network: order line -> (node, SKU) stock -> node capacity -> sink, plus line -> sink for
units left unfilled. Its constraint matrix is a network matrix, so the optimum is integral
and only the shipment on/off choices need branching in the exact model.
"""

from __future__ import annotations

import numpy as np
from ortools.graph.python import min_cost_flow

from optimize.order_routing.instance import RoutingInstance

__all__ = ["FlowFailed", "max_hard_fill", "units_for_shipments"]

# Costs are scaled to integers for the network solver; this keeps the largest path cost in
# int64 with room for the solver's potentials.
_INT_BUDGET = 2.0**52


class FlowFailed(RuntimeError):
    """The network solver returned no optimal flow (e.g. costs overflowing its integers)."""


def _solve(inst: RoutingInstance, arc_line: np.ndarray, arc_node: np.ndarray,
           arc_cost: np.ndarray, lines: np.ndarray, unfilled_cost: np.ndarray | None,
           max_flow: bool) -> np.ndarray:
    """Route `lines` over arcs (line, node); return flow[line, node] (zeros elsewhere)."""
    n_lines, n_nodes = inst.n_lines, inst.n_nodes
    flow = np.zeros((n_lines, n_nodes), dtype=np.int64)
    if len(lines) == 0:
        return flow
    # node numbering: lines, then used (node, sku) stock nodes, then node capacities, then sink
    stock_key = arc_node * len(inst.sku_ids) + inst.line_sku[arc_line]
    keys, stock_of_arc = np.unique(stock_key, return_inverse=True)
    n_stock = len(keys)
    line_pos = np.full(n_lines, -1)
    line_pos[lines] = np.arange(len(lines))
    cap_base = len(lines) + n_stock
    sink = cap_base + n_nodes
    scale = 1.0
    costs = [arc_cost] + ([unfilled_cost] if unfilled_cost is not None else [])
    biggest = max((float(np.max(c, initial=0.0)) for c in costs), default=0.0)
    total_units = float(inst.line_qty[lines].sum()) + 1
    if biggest > 0:
        scale = min(1e9, _INT_BUDGET / (biggest * total_units * 4))
    # arc blocks: line -> stock, stock -> node capacity, node -> sink, line -> sink (unfilled)
    tails = [line_pos[arc_line], len(lines) + np.arange(n_stock), cap_base + np.arange(n_nodes)]
    heads = [len(lines) + stock_of_arc, cap_base + keys // len(inst.sku_ids),
             np.full(n_nodes, sink)]
    caps = [inst.line_qty[arc_line],
            inst.stock[keys // len(inst.sku_ids), keys % len(inst.sku_ids)],
            inst.capacity_units]
    unit = [np.rint(arc_cost * scale), np.zeros(n_stock), np.zeros(n_nodes)]
    if unfilled_cost is not None:
        tails.append(np.arange(len(lines)))
        heads.append(np.full(len(lines), sink))
        caps.append(inst.line_qty[lines])
        unit.append(np.rint(unfilled_cost * scale))
    smcf = min_cost_flow.SimpleMinCostFlow()
    smcf.add_arcs_with_capacity_and_unit_cost(
        np.concatenate(tails).astype(np.int32), np.concatenate(heads).astype(np.int32),
        np.concatenate(caps).astype(np.int64), np.concatenate(unit).astype(np.int64))
    supplies = np.zeros(sink + 1, dtype=np.int64)
    supplies[: len(lines)] = inst.line_qty[lines]
    supplies[sink] = -supplies.sum()
    smcf.set_nodes_supplies(np.arange(sink + 1, dtype=np.int32), supplies)
    status = smcf.solve_max_flow_with_min_cost() if max_flow else smcf.solve()
    if status != smcf.OPTIMAL:
        raise FlowFailed(f"min-cost flow failed with status {status}")
    arc_flow = smcf.flows(np.arange(len(arc_line), dtype=np.int32))
    flow[arc_line, arc_node] = arc_flow
    return flow


def _arcs(inst: RoutingInstance, open_pairs: np.ndarray, lines: np.ndarray
          ) -> tuple[np.ndarray, np.ndarray]:
    """(line, node) arcs of `lines` through open shipments to nodes holding the SKU."""
    usable = open_pairs[inst.line_order[lines]] & (inst.stock[:, inst.line_sku[lines]].T > 0)
    usable &= inst.capacity_units[None, :] > 0
    idx, node = np.nonzero(usable)
    return lines[idx], node


def units_for_shipments(inst: RoutingInstance, open_pairs: np.ndarray) -> np.ndarray:
    """Cheapest integral units `flow[line, node]` using only the open (order, node) shipments.

    Lines of hard-promise orders get no unfilled option; the caller ensures that is feasible.
    """
    lines = np.arange(inst.n_lines)
    arc_line, arc_node = _arcs(inst, open_pairs & inst.allowed, lines)
    penalty = np.full(inst.n_lines, inst.cost.unfilled_unit_penalty)
    hard = inst.hard_order[inst.line_order]
    if hard.any():
        # a hard line is served before any soft one: unfilled costs more than any path
        biggest = float(inst.line_unit_cost.max(initial=0.0)) + inst.cost.unfilled_unit_penalty
        penalty[hard] = 4 * biggest * (inst.n_nodes + 2) + 1
    return _solve(inst, arc_line, arc_node, inst.line_unit_cost[arc_line, arc_node], lines,
                  penalty, max_flow=False)


def max_hard_fill(inst: RoutingInstance) -> np.ndarray:
    """Most units of the hard-promise lines that can ship on time: flow[line, node]."""
    lines = np.flatnonzero(inst.hard_order[inst.line_order])
    arc_line, arc_node = _arcs(inst, inst.allowed, lines)
    return _solve(inst, arc_line, arc_node, np.zeros(len(arc_line)), lines, None, max_flow=True)
