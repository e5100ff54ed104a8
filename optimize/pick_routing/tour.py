"""`route` and `route_length_m`: one pick tour by any method, as a TourResult or a length."""

from __future__ import annotations

import math
import time

import numpy as np

from optimize.errors import FieldProblem, InvalidInput
from optimize.pick_routing.distances import tour_length_m
from optimize.pick_routing.heuristics import HEURISTICS
from optimize.pick_routing.layout import Layout, Point, distinct_points
from optimize.pick_routing.result import TourResult
from optimize.result import Status

__all__ = ["METHODS", "route", "route_length_m"]

METHODS: tuple[str, ...] = ("optimal", "s_shape", "return", "midpoint", "largest_gap", "combined")


def _check_method(method: str) -> None:
    if method not in METHODS:
        raise InvalidInput(FieldProblem("method", f"must be one of {', '.join(METHODS)}", method))


def _order(layout: Layout, pts: list[Point], method: str) -> tuple[list[Point], Status, str]:
    heuristic = HEURISTICS.get(method)
    if heuristic is not None:
        return heuristic(layout, pts), Status.FEASIBLE, ""
    raise InvalidInput(FieldProblem("method", f"{method!r} is not available yet", method))


def route(layout: Layout, locations: np.ndarray, method: str = "s_shape") -> TourResult:
    """The pick tour (m) through `locations` ((n, 2) [aisle_index, y_m]) by `method`."""
    _check_method(method)
    start = time.perf_counter()
    pts = distinct_points(layout, locations)
    order, status, message = _order(layout, pts, method) if pts else ([], Status.OPTIMAL, "")
    length = tour_length_m(layout, order)
    return TourResult(
        status=status, objective=length,
        bound=length if status is Status.OPTIMAL else math.nan,
        time_s=time.perf_counter() - start, message=message,
        sequence=np.array(order, dtype=float).reshape(-1, 2), method=method,
    )


def route_length_m(layout: Layout, locations: np.ndarray, method: str = "s_shape") -> float:
    """Length (m) of the tour `route` finds; the fast path for simulations (no result object)."""
    _check_method(method)
    pts = distinct_points(layout, locations)
    return tour_length_m(layout, _order(layout, pts, method)[0]) if pts else 0.0
