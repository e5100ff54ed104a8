"""Guaranteed-service model on a tree (or forest): Graves and Willems' (2000) dynamic programme.

Nodes are labelled by peeling leaves of the undirected tree, so that each node has at most one
neighbour with a higher label, its "parent"; the sub-network N_k of k is k plus everything
reached through its lower-labelled neighbours. For outbound time S and inbound time SI of k,
    c_k(S, SI) = h_k z_k sigma_k sqrt(SI + T_k - S)
                 + sum_{i upstream child} min_{S_i <= SI} f_i(S_i)
                 + sum_{j downstream child} min_{SI_j >= S} g_j(SI_j),
over SI >= external inbound, 0 <= S <= min(SI + T_k, max outbound). Then
    f_k(S) = min_SI c_k(S, SI)   when the parent is downstream of k,
    g_k(SI) = min_S c_k(S, SI)   when the parent is upstream of k,
and the root takes the minimum over both. Letting SI exceed the predecessors' times is a
relaxation with the same optimum; the answer is tightened afterwards
(`tighten_service_times`). Each node costs one vectorised (S x SI) table, O(n D^2) in all,
with D the longest possible service time.
"""

from __future__ import annotations

import time
from collections import deque
from dataclasses import replace

import numpy as np

from optimize.errors import FieldProblem, InvalidInput
from optimize.result import Status
from optimize.safety_stock.gsm_model import GsmResult, tighten_service_times
from optimize.safety_stock.network import GsmNetwork

__all__ = ["solve_gsm_dp"]


def _peel_order(network: GsmNetwork) -> tuple[list[int], list[int]]:
    """Leaf-peeling order and each node's parent (-1 for a component's root)."""
    n = len(network.nodes)
    adj = [set(network.predecessors[k]) | set(network.successors[k]) for k in range(n)]
    degree = [len(a) for a in adj]
    done = [False] * n
    queue = deque(k for k in range(n) if degree[k] <= 1)
    order, parent = [], [-1] * n
    while queue:
        k = queue.popleft()
        if done[k]:  # queued twice: at degree 1, then again at degree 0
            continue
        done[k] = True
        order.append(k)
        for j in adj[k]:
            if not done[j]:
                parent[k] = j
                degree[j] -= 1
                if degree[j] <= 1:
                    queue.append(j)
    return order, parent


def _prefix_argmin(v: np.ndarray) -> np.ndarray:
    """idx[x] = argmin_{y <= x} v[y]."""
    best = np.minimum.accumulate(v)
    idx = np.zeros(v.size, dtype=np.int64)
    cur = 0
    for x in range(v.size):  # D is small (service times), a Python loop is fine here
        if v[x] < v[cur]:
            cur = x
        idx[x] = cur
    assert np.array_equal(v[idx], best)
    return idx


def _suffix_argmin(v: np.ndarray) -> np.ndarray:
    """idx[x] = argmin_{y >= x} v[y]."""
    rev = _prefix_argmin(v[::-1])
    return (v.size - 1 - rev)[::-1]


def solve_gsm_dp(network: GsmNetwork) -> GsmResult:
    """Optimal outbound service times (periods) on a tree network by the Graves-Willems DP.

    Raises InvalidInput when the undirected network has a cycle (use `solve_gsm_cpsat`).
    """
    start = time.perf_counter()
    if not network.is_forest:
        raise InvalidInput(FieldProblem(
            "edges", "the tree DP needs a tree (no undirected cycle); use CP-SAT",
            f"{len(network.edges)} edges on {len(network.nodes)} nodes"))
    n = len(network.nodes)
    order, parent = _peel_order(network)
    T = network.processing_time
    ext = network.external_inbound
    unit = network.unit_cost_per_sqrt_period
    D = int((network.inbound_upper + T).max()) + 1
    grid = np.arange(D)
    S_col, SI_row = grid[:, None], grid[None, :]
    sqrt_tab = np.sqrt(np.arange(2 * D + 1, dtype=float))
    is_pred = [set(p) for p in network.predecessors]

    # For each node: the function it passes up (over S or SI) and the argmin of the other time.
    f_or_g: list[np.ndarray | None] = [None] * n
    arg_other: list[np.ndarray | None] = [None] * n
    children: list[list[int]] = [[] for _ in range(n)]
    roots, total = [], 0.0
    root_choice: dict[int, tuple[int, int]] = {}
    for k in order:
        nlt = SI_row + int(T[k]) - S_col
        cap = network.nodes[k].max_outbound_cst
        ok = (nlt >= 0) & (SI_row >= ext[k])
        if cap is not None:
            ok &= S_col <= cap
        c = unit[k] * sqrt_tab[np.clip(nlt, 0, 2 * D)]
        for child in children[k]:
            fn = f_or_g[child]
            if child in is_pred[k]:  # child upstream: its S_i <= SI
                c = c + np.minimum.accumulate(fn)[None, :]
            else:  # child downstream: its SI_j >= S
                c = c + np.minimum.accumulate(fn[::-1])[::-1][:, None]
        c = np.where(ok, c, np.inf)
        p = parent[k]
        if p < 0:
            flat = int(np.argmin(c))
            root_choice[k] = (flat // D, flat % D)
            total += float(c.flat[flat])
            roots.append(k)
        elif k in is_pred[p]:  # parent downstream: pass f_k(S)
            arg_other[k] = np.argmin(c, axis=1)
            f_or_g[k] = c[grid, arg_other[k]]
            children[p].append(k)
        else:  # parent upstream: pass g_k(SI)
            arg_other[k] = np.argmin(c, axis=0)
            f_or_g[k] = c[arg_other[k], grid]
            children[p].append(k)

    S = np.zeros(n, dtype=np.int64)
    SI = np.zeros(n, dtype=np.int64)
    stack = []
    for r in roots:
        S[r], SI[r] = root_choice[r]
        stack.append(r)
    while stack:
        k = stack.pop()
        for child in children[k]:
            fn = f_or_g[child]
            if child in is_pred[k]:
                S[child] = _prefix_argmin(fn)[SI[k]]
                SI[child] = arg_other[child][S[child]]
            else:
                SI[child] = _suffix_argmin(fn)[S[k]]
                S[child] = arg_other[child][SI[child]]
            stack.append(child)
    outbound = tighten_service_times(network, S)
    result = GsmResult.from_outbound(network, outbound, status=Status.OPTIMAL, bound=total,
                                     time_s=0.0, message="Graves-Willems tree DP")
    return replace(result, time_s=time.perf_counter() - start)
