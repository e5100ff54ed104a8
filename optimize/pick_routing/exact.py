"""Exact pick tours: Ratliff and Rosenthal's (1983) DP for one block, Held-Karp for small lists,
and OR-Tools routing (guided local search, time limit; not proven optimal) above that.

The DP sweeps the aisles left to right. A state summarises the partial tour subgraph at the
current aisle's front (a) and back (b) vertices: each one's degree class (0, odd, even > 0) and
whether a and b lie in one component or two (or that the tour has already closed). Each aisle
takes one of Ratliff and Rosenthal's six vertical configurations and each gap between aisles
0, 1 or 2 copies of the front and of the back cross-aisle segment. Rather than tabulating the
seven equivalence classes by hand, the transitions are derived once, mechanically, from the
degree and connectivity rules, which keeps them checkable. The cheapest even, connected
subgraph is then walked as an Euler circuit to give the visiting order.
"""

from __future__ import annotations

import bisect
import functools
import itertools
import math
from collections import defaultdict

import numpy as np
from ortools.constraint_solver import pywrapcp, routing_enums_pb2

from optimize.pick_routing.layout import Layout, Point

__all__ = ["HELD_KARP_MAX_PICKS", "held_karp", "ortools_search", "ortools_tour",
           "ratliff_rosenthal"]

HELD_KARP_MAX_PICKS = 15

# Degree classes and component counts of a state (da, db, comps); CLOSED: the tour is complete.
ZERO, ODD, EVEN = 0, 1, 2
CLOSED = (0, 0, 3)
START = (0, 0, 0)
# Vertical configurations: name -> (degree added at a, degree added at b, joins a and b).
CONFIGS = {
    "none": (0, 0, False),
    "traverse": (1, 1, True),
    "double": (2, 2, True),
    "top": (0, 2, False),  # down from the back to the lowest pick and back
    "bottom": (2, 0, False),  # up from the front to the highest pick and back
    "gap": (2, 2, False),  # from both ends, leaving out the largest gap between picks
}

State = tuple[int, int, int]


def _add(d: int, extra: int) -> int:
    if d == ZERO:
        return extra
    if extra == ZERO:
        return d
    return EVEN if (d == ODD) == (extra == ODD) else ODD


def _components(present: set[int], links: list[tuple[int, int]]) -> list[set[int]]:
    parent = {v: v for v in present}

    def find(v: int) -> int:
        while parent[v] != v:
            v = parent[v]
        return v

    for u, v in links:
        parent[find(u)] = find(v)
    groups: dict[int, set[int]] = defaultdict(set)
    for v in present:
        groups[find(v)].add(v)
    return list(groups.values())


def _frontier_state(da: int, db: int, comps: list[set[int]], a: int, b: int) -> State:
    if da == ZERO and db == ZERO:
        return START
    if da == ZERO or db == ZERO or any({a, b} <= c for c in comps):
        return (da, db, 1)
    return (da, db, 2)


def _horizontal(state: State, hf: int, hb: int, req_a: bool, req_b: bool) -> State | None:
    """State after hf front and hb back copies of the segments to the next aisle, or None."""
    da, db, comps = state
    if state == CLOSED:
        return CLOSED if hf == hb == 0 and not req_a and not req_b else None
    if (da == ODD) != (hf == 1) or (db == ODD) != (hb == 1):
        return None  # the old vertices leave the frontier and must have even degree
    if (req_a and da == ZERO and hf == 0) or (req_b and db == ZERO and hb == 0):
        return None  # a required vertex left unvisited
    a, b, a2, b2 = 0, 1, 2, 3
    present = {v for v, d in ((a, da + hf), (b, db + hb), (a2, hf), (b2, hb)) if d}
    links = [(a, a2)] * (hf > 0) + [(b, b2)] * (hb > 0)
    if comps == 1 and da and db:
        links.append((a, b))
    groups = _components(present, links)
    if any(not g & {a2, b2} for g in groups):
        return CLOSED if len(groups) == 1 else None  # a component cut off from the rest
    return _frontier_state(hf, hb, groups, a2, b2)


def _vertical(state: State, config: str) -> State | None:
    """State after adding an aisle's vertical configuration, or None."""
    va, vb, joins = CONFIGS[config]
    if state == CLOSED:
        return CLOSED if config == "none" else None
    da, db, comps = state
    da2, db2 = _add(da, va), _add(db, vb)
    links = [(0, 1)] if (comps == 1 and da and db) or joins else []
    present = {v for v, d in ((0, da2), (1, db2)) if d}
    return _frontier_state(da2, db2, _components(present, links), 0, 1)


def _final_ok(state: State, req_a: bool, req_b: bool) -> bool:
    da, db, comps = state
    if state == CLOSED:
        return not (req_a or req_b)
    return (comps == 1 and da != ODD and db != ODD
            and not (req_a and da == ZERO) and not (req_b and db == ZERO))


_STATES = [CLOSED, *itertools.product((ZERO, ODD, EVEN), (ZERO, ODD, EVEN), (0, 1, 2))]


@functools.cache
def _h_table(req_a: bool, req_b: bool) -> dict[State, list[tuple[State, int, tuple[int, int]]]]:
    """Per state: (next state, copies of the segment, (front, back) copies), the fewest each."""
    table = {}
    for s in _STATES:
        best: dict[State, tuple[int, int]] = {}
        for hf, hb in itertools.product((0, 1, 2), repeat=2):
            s2 = _horizontal(s, hf, hb, req_a, req_b)
            if s2 is not None and (s2 not in best or hf + hb < sum(best[s2])):
                best[s2] = (hf, hb)
        table[s] = [(s2, sum(h), h) for s2, h in best.items()]
    return table


@functools.cache
def _v_table(configs: tuple[str, ...]) -> dict[State, list[tuple[State, str]]]:
    """Per state: (next state, configuration) for the configurations an aisle allows."""
    table: dict[State, list[tuple[State, str]]] = {s: [] for s in _STATES}
    for config in configs:
        for s in _STATES:
            s2 = _vertical(s, config)
            if s2 is not None:
                table[s].append((s2, config))
    return table


class _Column:
    """One aisle (or the depot's place on the front cross aisle) seen by the DP."""

    __slots__ = ("pick_a", "req_a", "req_b", "virtual", "x", "ys")

    def __init__(self, x: float, virtual: bool = False):
        self.x, self.virtual = x, virtual
        self.ys: list[float] = []  # interior picks, ascending
        self.pick_a = False  # a pick at the front end, as opposed to only the depot
        self.req_a = self.req_b = False  # the front / back vertex must be visited


def _columns(layout: Layout, pts: list[Point]) -> tuple[list[_Column], int]:
    w, length, depot_x = layout.aisle_spacing_m, layout.aisle_length_m, layout.depot_x_m
    # Aisles from the first to the last one holding picks or next to the depot; an extra empty
    # aisle at either end costs nothing, so the range is taken generously against rounding.
    near = int(depot_x // w)
    lo = max(0, min(pts[0][0], near - 1))
    hi = min(layout.n_aisles - 1, max(pts[-1][0], near + 2))
    cols = {a: _Column(a * w) for a in range(lo, hi + 1)}
    for a, y in pts:
        col = cols[a]
        if y <= 0.0:
            col.req_a = col.pick_a = True
        elif y >= length:
            col.req_b = True
        else:
            col.ys.append(y)
    ordered = [cols[a] for a in range(lo, hi + 1)]
    xs = [c.x for c in ordered]
    depot_col = bisect.bisect_left(xs, depot_x)
    if depot_col == len(xs) or xs[depot_col] != depot_x:
        # the depot sits between two aisles: a column without an aisle of its own
        ordered.insert(depot_col, _Column(depot_x, virtual=True))
    ordered[depot_col].req_a = True
    return ordered, depot_col


def _config_costs(col: _Column, length: float) -> dict[str, float]:
    if col.virtual:
        return {"none": 0.0}
    if not col.ys:
        return {"none": 0.0, "traverse": length, "double": 2.0 * length}
    ys = col.ys
    costs = {"traverse": length, "double": 2.0 * length, "top": 2.0 * (length - ys[0]),
             "bottom": 2.0 * ys[-1]}
    if len(ys) > 1:
        costs["gap"] = 2.0 * (length - max(b - a for a, b in itertools.pairwise(ys)))
    return costs


def ratliff_rosenthal(layout: Layout, pts: list[Point]) -> tuple[list[Point], float]:
    """Optimal single-block tour through the sorted distinct `pts`: (visiting order, length m)."""
    if layout.n_cross_aisles != 2:
        raise ValueError("the Ratliff-Rosenthal DP needs a single block (n_cross_aisles = 2)")
    length = layout.aisle_length_m
    if all(a * layout.aisle_spacing_m == layout.depot_x_m and y == 0.0 for a, y in pts):
        return list(pts), 0.0  # nothing to walk; the DP's states need at least one edge
    cols, depot_col = _columns(layout, pts)
    dp: dict[State, float] = {START: 0.0}
    trail: list[dict[State, tuple[State, object]]] = []
    inf = math.inf
    for j, col in enumerate(cols):
        if j:
            prev = cols[j - 1]
            dx = col.x - prev.x
            h_table = _h_table(prev.req_a, prev.req_b)
            new: dict[State, float] = {}
            back: dict[State, tuple[State, object]] = {}
            for s, c in dp.items():
                for s2, copies, hs in h_table[s]:
                    c2 = c + copies * dx
                    if c2 < new.get(s2, inf):
                        new[s2], back[s2] = c2, (s, hs)
            dp = new
            trail.append(back)
        costs = _config_costs(col, length)
        v_table = _v_table(tuple(costs))
        new, back = {}, {}
        for s, c in dp.items():
            for s2, config in v_table[s]:
                c2 = c + costs[config]
                if c2 < new.get(s2, inf):
                    new[s2], back[s2] = c2, (s, config)
        dp = new
        trail.append(back)
    last = cols[-1]
    best = min((c, s) for s, c in dp.items() if _final_ok(s, last.req_a, last.req_b))
    choices = []
    s = best[1]
    for back in reversed(trail):
        s, choice = back[s]
        choices.append(choice)
    choices.reverse()
    return _euler_order(layout, cols, depot_col, choices), best[0]


def _euler_order(layout: Layout, cols: list[_Column], depot_col: int,
                 choices: list[object]) -> list[Point]:
    """Visiting order of the picks along an Euler circuit of the chosen edge multiset."""
    adj: dict[object, list[tuple[object, int]]] = defaultdict(list)
    n_edges = 0

    def add(path: list[object], times: int) -> None:
        nonlocal n_edges
        for u, v in itertools.pairwise(path):
            for _ in range(times):
                adj[u].append((v, n_edges))
                adj[v].append((u, n_edges))
                n_edges += 1

    w = layout.aisle_spacing_m
    vertical = choices[0::2]
    horizontal = choices[1::2]
    for j, (col, config) in enumerate(zip(cols, vertical, strict=True)):
        a, b = ("a", j), ("b", j)
        picks: list[object] = [("p", j, y) for y in col.ys]
        if config == "traverse":
            add([a, *picks, b], 1)
        elif config == "double":
            add([a, *picks, b], 2)
        elif config == "top":
            add([b, *reversed(picks)], 2)
        elif config == "bottom":
            add([a, *picks], 2)
        elif config == "gap":
            g = max(range(len(col.ys) - 1), key=lambda i: col.ys[i + 1] - col.ys[i])
            add([a, *picks[: g + 1]], 2)
            add([b, *reversed(picks[g + 1:])], 2)
    for j, (hf, hb) in enumerate(horizontal):
        add([("a", j), ("a", j + 1)], hf)
        add([("b", j), ("b", j + 1)], hb)
    # Hierholzer's algorithm, iteratively, from the depot; each edge used once by its id.
    used = bytearray(n_edges)
    circuit, stack = [], [("a", depot_col)]
    while stack:
        v = stack[-1]
        edges = adj[v]
        while edges and used[edges[-1][1]]:
            edges.pop()
        if edges:
            u, e = edges.pop()
            used[e] = 1
            stack.append(u)
        else:
            circuit.append(stack.pop())
    order: list[Point] = []
    seen: set[Point] = set()
    for node in circuit:
        kind, j = node[0], node[1]
        col = cols[j]
        if col.virtual:
            continue
        aisle = round(col.x / w)
        if kind == "p":
            p = (aisle, node[2])
        elif kind == "a" and col.req_a and col.pick_a:
            p = (aisle, 0.0)
        elif kind == "b" and col.req_b:
            p = (aisle, layout.aisle_length_m)
        else:
            continue
        if p not in seen:
            seen.add(p)
            order.append(p)
    return order


def held_karp(dist: np.ndarray) -> tuple[list[int], float]:
    """Optimal tour over a (n+1, n+1) matrix with the depot at 0: (order of 1..n, length)."""
    n = dist.shape[0] - 1
    if n == 0:
        return [], 0.0
    full = 1 << n
    # best[mask, j]: shortest path from the depot through the set `mask`, ending at pick j.
    best = np.full((full, n), np.inf)
    pred = np.full((full, n), -1, dtype=np.int64)
    bits = 1 << np.arange(n)
    best[bits, np.arange(n)] = dist[0, 1:]
    d = dist[1:, 1:]
    masks = np.arange(full)
    size = np.bitwise_count(masks) if hasattr(np, "bitwise_count") else np.array(
        [bin(m).count("1") for m in range(full)])
    for s in range(2, n + 1):  # subsets by size, all masks of one size at once
        of_size = masks[size == s]
        for j in range(n):
            m = of_size[(of_size & bits[j]) != 0]
            cand = best[m ^ bits[j]] + d[:, j]  # inf where k is not in the subset
            k = np.argmin(cand, axis=1)
            best[m, j], pred[m, j] = cand[np.arange(len(m)), k], k
    total = best[full - 1] + dist[1:, 0]
    j = int(np.argmin(total))
    order, mask = [], full - 1
    while j >= 0:
        order.append(j + 1)
        mask, j = mask ^ (1 << j), int(pred[mask, j])
    return order[::-1], float(total.min())


def _nearest_neighbour(dist: np.ndarray) -> list[int]:
    """Order of 1..n by always walking to the nearest unvisited pick (a fallback tour)."""
    left, order, here = set(range(1, dist.shape[0])), [], 0
    while left:
        here = min(left, key=lambda j: (dist[here, j], j))
        left.remove(here)
        order.append(here)
    return order


def ortools_search(dist: np.ndarray, time_limit_s: float = 1.0, scale: float = 1000.0,
                   log: bool = False) -> tuple[list[int], bool, str]:
    """OR-Tools routing with guided local search under a time limit: (order of 1..n,
    whether the time limit stopped the search, a note when it fell back).

    Guided local search only stops at its time limit, so any search over three or more
    picks reports the limit hit. When the routing solver returns no tour it falls back to
    the nearest-neighbour tour and says so in the note, never raising.
    """
    n = dist.shape[0]
    if n <= 2:
        return list(range(1, n)), False, ""
    costs = np.rint(dist * scale).astype(np.int64).tolist()
    manager = pywrapcp.RoutingIndexManager(n, 1, 0)
    model = pywrapcp.RoutingModel(manager)
    cb = model.RegisterTransitCallback(
        lambda i, j: costs[manager.IndexToNode(i)][manager.IndexToNode(j)])
    model.SetArcCostEvaluatorOfAllVehicles(cb)
    params = pywrapcp.DefaultRoutingSearchParameters()
    params.first_solution_strategy = routing_enums_pb2.FirstSolutionStrategy.PATH_CHEAPEST_ARC
    params.local_search_metaheuristic = (
        routing_enums_pb2.LocalSearchMetaheuristic.GUIDED_LOCAL_SEARCH)
    params.time_limit.FromMilliseconds(max(1, int(time_limit_s * 1000)))
    params.log_search = bool(log)
    solution = model.SolveWithParameters(params)
    status = model.status()
    # every outcome but a proof (never, under guided local search) or a failure is the clock
    clock = status not in (routing_enums_pb2.RoutingSearchStatus.ROUTING_OPTIMAL,
                           routing_enums_pb2.RoutingSearchStatus.ROUTING_INVALID,
                           routing_enums_pb2.RoutingSearchStatus.ROUTING_INFEASIBLE,
                           routing_enums_pb2.RoutingSearchStatus.ROUTING_FAIL)
    if solution is None:
        name = routing_enums_pb2.RoutingSearchStatus.Value.Name(status).lower()
        return _nearest_neighbour(dist), clock, (f"OR-Tools routing found no tour ({name}); "
                                                 "nearest-neighbour tour instead")
    order, index = [], model.Start(0)
    while True:
        index = solution.Value(model.NextVar(index))
        if model.IsEnd(index):
            return order, clock, ""
        order.append(manager.IndexToNode(index))


def ortools_tour(dist: np.ndarray, time_limit_s: float = 1.0,
                 scale: float = 1000.0) -> list[int]:
    """A good tour (order of 1..n) by OR-Tools routing with guided local search and a time limit.

    Arc costs are `dist` rounded to 1/scale metres, since the solver works in integers.
    """
    return ortools_search(dist, time_limit_s, scale)[0]
