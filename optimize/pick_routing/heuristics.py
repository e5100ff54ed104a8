"""Routing heuristics warehouses run: S-shape, return, midpoint, largest gap, combined.

Each returns the visiting order of the distinct pick locations; the tour walks shortest paths
between consecutive picks. Multi-block layouts use the Roodbergen and de Koster (2001) scheme:
the picker goes up the first pick aisle to the farthest block holding picks, then serves the
blocks from the back to the front. The sweep starts at the end (left or right) nearer the depot.
"""

from __future__ import annotations

import functools
from collections.abc import Callable
from dataclasses import replace

from optimize.pick_routing.layout import Layout, Point

__all__ = ["HEURISTICS", "alternate_sides", "cheapest_sides", "combined", "largest_gap",
           "midpoint", "return_", "s_shape"]

Order = list[Point]
# Given a block's aisles (each its ys ascending), the block's [lo, hi] and whether the picker
# starts on the block's lower cross aisle: for each aisle, True if entered from the lower side.
SidePolicy = Callable[[list[list[float]], float, float, bool], list[bool]]


@functools.lru_cache(maxsize=64)
def _mirror(layout: Layout) -> Layout:
    return replace(layout, depot_x_m=layout.width_m - layout.depot_x_m)


Heuristic = Callable[[Layout, list[Point]], Order]


def _swept(order_fn: Heuristic) -> Heuristic:
    """Run `order_fn` left to right, or on the mirrored layout when the right end is nearer."""

    @functools.wraps(order_fn)
    def wrapper(layout: Layout, pts: list[Point]) -> Order:
        if not pts:
            return []
        x_left = pts[0][0] * layout.aisle_spacing_m
        x_right = pts[-1][0] * layout.aisle_spacing_m
        if layout.depot_x_m - x_left <= x_right - layout.depot_x_m:
            return order_fn(layout, pts)
        last = layout.n_aisles - 1
        flipped = sorted((last - a, y) for a, y in pts)
        return [(last - a, y) for a, y in order_fn(_mirror(layout), flipped)]

    return wrapper


def _by_block(layout: Layout, pts: list[Point]) -> dict[int, dict[int, list[float]]]:
    blocks: dict[int, dict[int, list[float]]] = {}
    for a, y in pts:  # pts are sorted, so each list of ys is ascending
        blocks.setdefault(layout.block_of(y), {}).setdefault(a, []).append(y)
    return blocks


def _block_sweep(layout: Layout, pts: list[Point], sides: SidePolicy) -> Order:
    # Up the first pick aisle (picking on the way) to the farthest block, then block by block
    # towards the front, sweeping alternately right and left; `sides` decides how each aisle
    # is entered.
    blocks = _by_block(layout, pts)
    far = max(blocks)
    a0 = pts[0][0]
    order: Order = []
    for b in range(far):
        order += [(a0, y) for y in blocks.get(b, {}).pop(a0, [])]
    h = layout.block_length_m
    rightwards, start_low = True, True
    for b in range(far, -1, -1):
        aisles = sorted(blocks.get(b, {}), reverse=not rightwards)
        if aisles:
            ys = [blocks[b][a] for a in aisles]
            for a, a_ys, low in zip(aisles, ys, sides(ys, b * h, (b + 1) * h, start_low),
                                    strict=True):
                order += [(a, y) for y in (a_ys if low else reversed(a_ys))]
            rightwards = not rightwards
        start_low = False  # the picker now stands on the next block's upper cross aisle
    return order


def alternate_sides(ys: list[list[float]], lo: float, hi: float, start_low: bool) -> list[bool]:
    """S-shape's per-aisle entry sides (True: from the lower cross aisle), alternating.

    Every aisle is traversed, so the side alternates; the last aisle of a block is entered
    from wherever the picker is (a return when it must come back).
    """
    return [start_low == (i % 2 == 0) for i in range(len(ys))]


def cheapest_sides(ys: list[list[float]], lo: float, hi: float, start_low: bool) -> list[bool]:
    """Combined's per-aisle entry sides (True: from the lower cross aisle), metres minimised.

    Per aisle, traverse (switch side, cost h) or return (2 * depth from the side the picker
    is on), by dynamic programme; the block must be left on its lower side.
    """
    h = hi - lo
    inf = float("inf")
    cost = {True: 0.0 if start_low else inf, False: inf if start_low else 0.0}
    back: list[dict[bool, bool]] = []
    for a_ys in ys:
        ret = {True: 2.0 * (a_ys[-1] - lo), False: 2.0 * (hi - a_ys[0])}
        new, came = {}, {}
        for end in (True, False):
            stay, switch = cost[end] + ret[end], cost[not end] + h
            new[end], came[end] = (stay, end) if stay <= switch else (switch, not end)
        back.append(came)
        cost = new
    side = cost[True] <= cost[False] + h
    entered = []
    for came in reversed(back):
        side = came[side]
        entered.append(side)
    return entered[::-1]


@_swept
def s_shape(layout: Layout, pts: list[Point]) -> Order:
    """S-shape (traversal): every aisle holding picks is traversed entirely."""
    return _block_sweep(layout, pts, alternate_sides)


@_swept
def combined(layout: Layout, pts: list[Point]) -> Order:
    """Combined: each aisle traversed or returned, whichever a dynamic programme finds shorter."""
    return _block_sweep(layout, pts, cheapest_sides)


@_swept
def return_(layout: Layout, pts: list[Point]) -> Order:
    """Return: each aisle entered from the front, picks collected on the way in."""
    return list(pts)


def _gap_sweep(layout: Layout, pts: list[Point],
               split: Callable[[list[float], float, float], int]) -> Order:
    # Midpoint / largest gap: traverse the first pick aisle to the back, then per block (back
    # to front) serve each aisle's upper part from the upper cross aisle going right, traverse
    # the block's last aisle, and serve the lower parts from the lower cross aisle coming back.
    a0 = pts[0][0]
    order: Order = [p for p in pts if p[0] == a0]
    blocks = _by_block(layout, [p for p in pts if p[0] != a0])
    h = layout.block_length_m
    for b in sorted(blocks, reverse=True):
        aisles = sorted(blocks[b])
        lo, hi = b * h, (b + 1) * h
        cuts = [split(blocks[b][a], lo, hi) for a in aisles[:-1]]
        for a, k in zip(aisles[:-1], cuts, strict=True):
            order += [(a, y) for y in reversed(blocks[b][a][k:])]
        order += [(aisles[-1], y) for y in reversed(blocks[b][aisles[-1]])]
        for a, k in zip(reversed(aisles[:-1]), reversed(cuts), strict=True):
            order += [(a, y) for y in blocks[b][a][:k]]
    return order


def _midpoint_cut(ys: list[float], lo: float, hi: float) -> int:
    mid = 0.5 * (lo + hi)
    return sum(y <= mid for y in ys)


def _largest_gap_cut(ys: list[float], lo: float, hi: float) -> int:
    edges = [lo, *ys, hi]
    gaps = [edges[i + 1] - edges[i] for i in range(len(edges) - 1)]
    return gaps.index(max(gaps))


@_swept
def midpoint(layout: Layout, pts: list[Point]) -> Order:
    """Midpoint: picks in a block's lower half from its lower cross aisle, upper from upper."""
    return _gap_sweep(layout, pts, _midpoint_cut)


@_swept
def largest_gap(layout: Layout, pts: list[Point]) -> Order:
    """Largest gap: each aisle is entered from both ends up to its largest gap between picks."""
    return _gap_sweep(layout, pts, _largest_gap_cut)


HEURISTICS: dict[str, Heuristic] = {
    "s_shape": s_shape,
    "return": return_,
    "midpoint": midpoint,
    "largest_gap": largest_gap,
    "combined": combined,
}
