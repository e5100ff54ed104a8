"""Order batching: group orders' pick lists into cart loads to shorten total walking.

First-come-first-served fills carts in arrival order; seed batching starts a cart from the
order with the longest tour and adds the order that lengthens the cart's tour least; savings
batching (Clarke and Wright, recomputing savings after each merge) starts with one cart per
order and merges the pair of carts whose joint tour saves most. Every method routes carts
with any routing method of `route`.
"""

from __future__ import annotations

import math
import time
from collections.abc import Sequence
from dataclasses import dataclass, field

import numpy as np

from optimize.errors import FieldProblem, InvalidInput
from optimize.pick_routing.layout import Layout, check_pick_lists
from optimize.pick_routing.tour import METHODS, route_length_m
from optimize.result import SolverResult, Status

__all__ = ["BATCHING_METHODS", "BatchResult", "batch_orders"]

BATCHING_METHODS: tuple[str, ...] = ("none", "fcfs", "seed", "savings")


@dataclass(frozen=True, kw_only=True)
class BatchResult(SolverResult):
    """Batches of order indices, each walked as one tour; `objective` is the total length (m)."""

    batches: list[list[int]] = field(default_factory=list)
    batch_lengths_m: list[float] = field(default_factory=list)
    method: str = ""
    routing: str = ""

    @property
    def total_length_m(self) -> float:
        """Total walking distance (m) over all batches."""
        return self.objective

    @property
    def length_per_order_m(self) -> float:
        """Walking distance (m) per order."""
        n = sum(len(b) for b in self.batches)
        return self.objective / n if n else 0.0


class _Tours:
    """Tour lengths of sets of orders, each set routed once."""

    def __init__(self, layout: Layout, lists: list[np.ndarray], routing: str):
        self.layout, self.lists, self.routing = layout, lists, routing
        self._cache: dict[tuple[int, ...], float] = {}

    def __call__(self, orders: Sequence[int]) -> float:
        key = tuple(sorted(orders))
        length = self._cache.get(key)
        if length is None:
            locs = np.concatenate([self.lists[i] for i in key])
            length = self._cache[key] = route_length_m(self.layout, locs, self.routing)
        return length


def _fits(size_orders: int, size_items: int, cap_orders: float, cap_items: float) -> bool:
    return size_orders <= cap_orders and size_items <= cap_items


def _fcfs(n: int, items: list[int], cap_o: float, cap_i: float, tours: _Tours) -> list[list[int]]:
    batches: list[list[int]] = []
    cur: list[int] = []
    for i in range(n):
        if cur and not _fits(len(cur) + 1, sum(items[j] for j in cur) + items[i], cap_o, cap_i):
            batches.append(cur)
            cur = []
        cur.append(i)
    return [*batches, cur] if cur else batches


def _seed(n: int, items: list[int], cap_o: float, cap_i: float, tours: _Tours) -> list[list[int]]:
    left = list(range(n))
    batches = []
    while left:
        seed = max(left, key=lambda i: (tours([i]), -i))
        cart, load = [seed], items[seed]
        left.remove(seed)
        while True:
            options = [i for i in left if _fits(len(cart) + 1, load + items[i], cap_o, cap_i)]
            if not options:
                break
            base = tours(cart)
            best = min(options, key=lambda i: (tours([*cart, i]) - base, i))
            cart.append(best)
            load += items[best]
            left.remove(best)
        batches.append(sorted(cart))
    return batches


def _savings(n: int, items: list[int], cap_o: float, cap_i: float,
             tours: _Tours) -> list[list[int]]:
    carts: dict[int, list[int]] = {i: [i] for i in range(n)}
    load = dict(enumerate(items))
    saving: dict[tuple[int, int], float] = {}

    def price(a: int, b: int) -> None:
        if _fits(len(carts[a]) + len(carts[b]), load[a] + load[b], cap_o, cap_i):
            joint = tours(carts[a] + carts[b])
            saving[(a, b)] = tours(carts[a]) + tours(carts[b]) - joint

    for a in range(n):
        for b in range(a + 1, n):
            price(a, b)
    while saving:
        (a, b), s = max(saving.items(), key=lambda kv: (kv[1], -kv[0][0], -kv[0][1]))
        if s < 0:
            break
        carts[a] = sorted(carts[a] + carts.pop(b))
        load[a] += load.pop(b)
        saving = {k: v for k, v in saving.items() if a not in k and b not in k}
        for c in carts:
            if c != a:
                price(min(a, c), max(a, c))
    return sorted(carts.values())


_BATCHERS = {"fcfs": _fcfs, "seed": _seed, "savings": _savings}


def batch_orders(layout: Layout, pick_lists: Sequence[np.ndarray], *,
                 capacity_orders: int | None = None, capacity_items: int | None = None,
                 method: str = "savings", routing: str = "s_shape") -> BatchResult:
    """Group orders (each an (n_i, 2) array of [aisle_index, y_m]) into carts of at most
    `capacity_orders` orders and `capacity_items` pick lines; total and per-order metres."""
    start = time.perf_counter()
    problems = []
    if method not in BATCHING_METHODS:
        problems.append(FieldProblem("method", f"must be one of {', '.join(BATCHING_METHODS)}",
                                     method))
    if routing not in METHODS:
        problems.append(FieldProblem("routing", f"must be one of {', '.join(METHODS)}", routing))
    for name, cap in (("capacity_orders", capacity_orders), ("capacity_items", capacity_items)):
        if cap is not None and (not isinstance(cap, int | np.integer) or cap < 1):
            problems.append(FieldProblem(name, "must be an integer >= 1 (or None)", cap))
    lists, list_problems = check_pick_lists(layout, pick_lists)
    problems += list_problems
    if problems:
        raise InvalidInput(problems)
    cap_o = math.inf if capacity_orders is None else capacity_orders
    cap_i = math.inf if capacity_items is None else capacity_items
    items = [len(pl) for pl in lists]
    tours = _Tours(layout, lists, routing)
    too_big = [i for i, k in enumerate(items) if k > cap_i]
    if too_big:
        return BatchResult(
            status=Status.INFEASIBLE, objective=math.nan, bound=math.nan,
            time_s=time.perf_counter() - start, method=method, routing=routing,
            message=(f"capacity_items = {capacity_items} is below the pick lines of order(s) "
                     f"{too_big[:10]} (an order is never split)"))
    if method == "none":
        batches = [[i] for i in range(len(lists))]
    else:
        batches = _BATCHERS[method](len(lists), items, cap_o, cap_i, tours)
    lengths = [tours(b) for b in batches]
    return BatchResult(
        status=Status.FEASIBLE, objective=float(sum(lengths)), bound=math.nan,
        time_s=time.perf_counter() - start, batches=batches, batch_lengths_m=lengths,
        method=method, routing=routing)
