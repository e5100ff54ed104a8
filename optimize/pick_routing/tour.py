"""`route` and `route_length_m`: one pick tour by any method, as a TourResult or a length."""

from __future__ import annotations

import math
import time

import numpy as np

from optimize.errors import FieldProblem, InvalidInput
from optimize.pick_routing.distances import distance_matrix_m, tour_length_m
from optimize.pick_routing.exact import (
    HELD_KARP_MAX_PICKS,
    held_karp,
    ortools_tour,
    ratliff_rosenthal,
)
from optimize.pick_routing.heuristics import HEURISTICS
from optimize.pick_routing.layout import Layout, Point, distinct_points
from optimize.pick_routing.result import TourResult
from optimize.result import Status

__all__ = ["METHODS", "route", "route_length_m"]

METHODS: tuple[str, ...] = (
    "optimal", "s_shape", "return", "midpoint", "largest_gap", "combined", "ortools")
DEFAULT_TIME_LIMIT_S = 1.0


def _check_method(method: str) -> None:
    if method not in METHODS:
        raise InvalidInput(FieldProblem("method", f"must be one of {', '.join(METHODS)}", method))


def _order(layout: Layout, pts: list[Point], method: str,
           time_limit_s: float) -> tuple[list[Point], Status, str]:
    heuristic = HEURISTICS.get(method)
    if heuristic is not None:
        return heuristic(layout, pts), Status.FEASIBLE, ""
    if method == "optimal" and layout.n_cross_aisles == 2:
        return ratliff_rosenthal(layout, pts)[0], Status.OPTIMAL, ""
    dist = distance_matrix_m(layout, pts)
    if method == "optimal" and len(pts) <= HELD_KARP_MAX_PICKS:
        return [pts[i - 1] for i in held_karp(dist)[0]], Status.OPTIMAL, ""
    message = (f"not proven optimal: OR-Tools routing, guided local search stopped after "
               f"{time_limit_s:g} s")
    return [pts[i - 1] for i in ortools_tour(dist, time_limit_s)], Status.FEASIBLE, message


def route(layout: Layout, locations: np.ndarray, method: str = "s_shape", *,
          time_limit_s: float = DEFAULT_TIME_LIMIT_S) -> TourResult:
    """The pick tour (m) through `locations` ((n, 2) [aisle_index, y_m]) by `method`.

    `optimal` is exact: Ratliff-Rosenthal on one block, Held-Karp up to HELD_KARP_MAX_PICKS
    picks on several; above that OR-Tools routing for `time_limit_s` seconds, reported as not
    proven optimal. `ortools` always uses OR-Tools routing.
    """
    _check_method(method)
    start = time.perf_counter()
    pts = distinct_points(layout, locations)
    order, status, message = ([], Status.OPTIMAL, "") if not pts else _order(
        layout, pts, method, time_limit_s)
    length = tour_length_m(layout, order)
    return TourResult(
        status=status, objective=length,
        bound=length if status is Status.OPTIMAL else math.nan,
        time_s=time.perf_counter() - start, message=message,
        sequence=np.array(order, dtype=float).reshape(-1, 2), method=method,
    )


def route_length_m(layout: Layout, locations: np.ndarray, method: str = "s_shape", *,
                   time_limit_s: float = DEFAULT_TIME_LIMIT_S) -> float:
    """Length (m) of the tour `route` finds; the fast path for simulations (no result object)."""
    _check_method(method)
    pts = distinct_points(layout, locations)
    return tour_length_m(layout, _order(layout, pts, method, time_limit_s)[0]) if pts else 0.0
