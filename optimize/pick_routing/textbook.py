"""Textbook walks of the single-block routing heuristics: the route as the policy walks it.

`route` (and the `length_m` of the CLI) walks a heuristic's visiting order by shortest paths
between consecutive picks. The published simulation studies (Hall 1993; Petersen 1997;
Roodbergen and de Koster 2001) measure the walk the policy itself prescribes, aisle end to aisle
end, which can only be longer:

- S-shape: every aisle holding picks is traversed entirely, entered alternately from the front
  and the back; if their number is odd, the last one is entered from the front and left there
  (up to its farthest pick and back).
- return: every aisle holding picks is entered and left from the front.
- midpoint / largest gap: the first and the last aisle holding picks are traversed; every other
  aisle is served from the back for the picks above its midpoint (above its largest gap between
  picks, the aisle's ends counting as picks), on the way out along the back cross aisle, and
  from the front for the rest, on the way back along the front cross aisle (with the depot
  inside the span of pick aisles, that way back can pass the depot and return to it).
- combined (Roodbergen and de Koster 2001): each aisle holding picks is either traversed or
  entered and left from the side the picker is on, whichever a dynamic programme over the
  sweep finds shorter.

With one aisle holding picks every policy enters it from the front and returns. The sweep
direction and the per-aisle choices are those of `optimize.pick_routing.heuristics`, so the
textbook walk visits the picks in the heuristic's order: its length is at least the heuristic's
`length_m` (shortest paths between the same picks in the same order), which is at least the
optimum.
"""

from __future__ import annotations

import itertools

import numpy as np

from optimize.errors import FieldProblem, InvalidInput
from optimize.pick_routing.distances import tour_length_m
from optimize.pick_routing.heuristics import HEURISTICS, alternate_sides, cheapest_sides
from optimize.pick_routing.layout import Layout, Point, distinct_points

__all__ = ["textbook_length_m", "textbook_walk"]

Visit = tuple[int, list[float]]  # an aisle and the ys picked in it, in visiting order


def _check(layout: Layout, method: str) -> None:
    if method not in HEURISTICS:
        raise InvalidInput(FieldProblem(
            "method", f"must be one of {', '.join(HEURISTICS)}", method))
    if layout.n_cross_aisles != 2:
        raise InvalidInput(FieldProblem(
            "layout.n_cross_aisles", "textbook walks are defined for a single block (2)",
            layout.n_cross_aisles))


def _turn_entries(visits: list[Visit]) -> list[bool]:
    # Midpoint / largest gap: out along the back (upper parts entered from the back) to the
    # farthest aisle, which is traversed, then back along the front (lower parts).
    a0 = visits[0][0]
    turn = max(range(len(visits)), key=lambda i: abs(visits[i][0] - a0))
    return [i == 0 or i > turn for i in range(len(visits))]


def _entries(method: str, visits: list[Visit], length_m: float) -> list[bool]:
    """For each visit, True if the policy enters the aisle from the front."""
    ys = [sorted(v[1]) for v in visits]
    if method == "s_shape":
        return alternate_sides(ys, 0.0, length_m, True)
    if method == "combined":
        return cheapest_sides(ys, 0.0, length_m, True)
    if method == "return":
        return [True] * len(visits)
    return _turn_entries(visits)


def textbook_walk(layout: Layout, locations: object, method: str) -> list[Point]:
    """The textbook walk of `method` as points (aisle, y_m), depot excluded: the picks in the
    heuristic's order with the aisle ends the policy walks to inserted; consecutive points lie
    on one aisle or on one cross aisle, so shortest legs between them are the policy's walk."""
    _check(layout, method)
    pts = distinct_points(layout, locations)
    if not pts:
        return []
    visits = [(a, [y for _, y in run])
              for a, run in itertools.groupby(HEURISTICS[method](layout, pts),
                                              key=lambda p: p[0])]
    length = layout.aisle_length_m
    entries = _entries(method, visits, length)
    end = {True: 0.0, False: length}
    walk: list[Point] = []
    for i, ((a, ys), front) in enumerate(zip(visits, entries, strict=True)):
        leave_front = entries[i + 1] if i + 1 < len(visits) else True
        walk += [(a, end[front]), *((a, y) for y in ys), (a, end[leave_front])]
    return walk


def textbook_length_m(layout: Layout, locations: np.ndarray | object, method: str) -> float:
    """Length (m) of the textbook walk of heuristic `method` through `locations` ((n, 2)
    [aisle_index, y_m]) in a single-block layout, depot to depot; see the module docstring."""
    return tour_length_m(layout, textbook_walk(layout, locations, method))
