"""`route` and `route_length_m`: one pick tour by any method, as a TourResult or a length."""

from __future__ import annotations

import math
import time

import numpy as np

from optimize.errors import FieldProblem, InvalidInput
from optimize.options import SolveOptions, resolve_options
from optimize.pick_routing.distances import distance_matrix_m, tour_length_m
from optimize.pick_routing.exact import (
    HELD_KARP_MAX_PICKS,
    held_karp,
    ortools_search,
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


def _options(options: SolveOptions | None, time_limit_s: float | None) -> SolveOptions:
    opts = resolve_options(options, SolveOptions(time_limit_s=DEFAULT_TIME_LIMIT_S),
                           time_limit_s=time_limit_s)
    if opts.backend is not None:
        raise InvalidInput(FieldProblem("options.backend", "pick routing has no backend "
                                        "choice (choose by method)", opts.backend))
    return opts


def _order(layout: Layout, pts: list[Point], method: str, time_limit_s: float, log: bool = False
           ) -> tuple[list[Point], Status, str, bool]:
    """Visiting order, status, message and whether the time limit stopped the search."""
    heuristic = HEURISTICS.get(method)
    if heuristic is not None:
        return heuristic(layout, pts), Status.FEASIBLE, "", False
    if method == "optimal" and layout.n_cross_aisles == 2:
        return ratliff_rosenthal(layout, pts)[0], Status.OPTIMAL, "", False
    dist = distance_matrix_m(layout, pts)
    if method == "optimal" and len(pts) <= HELD_KARP_MAX_PICKS:
        return [pts[i - 1] for i in held_karp(dist)[0]], Status.OPTIMAL, "", False
    order, clock, note = ortools_search(dist, time_limit_s, log=log)
    message = (f"not proven optimal: OR-Tools routing, guided local search stopped after "
               f"{time_limit_s:g} s") if clock else "not proven optimal: OR-Tools routing"
    message += f"; {note}" if note else ""
    return [pts[i - 1] for i in order], Status.FEASIBLE, message, clock


def route(layout: Layout, locations: np.ndarray, method: str = "s_shape", *,
          time_limit_s: float | None = None, options: SolveOptions | None = None
          ) -> TourResult:
    """The pick tour (m) through `locations` ((n, 2) [aisle_index, y_m]) by `method`.

    `optimal` is exact: Ratliff-Rosenthal on one block, Held-Karp up to HELD_KARP_MAX_PICKS
    picks on several; above that OR-Tools routing for `time_limit_s` seconds (default 1),
    reported feasible, not proven optimal, with `time_limit_hit`. `ortools` always uses
    OR-Tools routing. `options` (a SolveOptions) may set the time limit and log instead.
    """
    _check_method(method)
    opts = _options(options, time_limit_s)
    start = time.perf_counter()
    pts = distinct_points(layout, locations)
    order, status, message, clock = ([], Status.OPTIMAL, "", False) if not pts else _order(
        layout, pts, method, float(opts.time_limit_s or 0.0), opts.log)
    length = tour_length_m(layout, order)
    return TourResult(
        status=status, objective=length,
        bound=length if status is Status.OPTIMAL else math.nan,
        time_s=time.perf_counter() - start, message=message, time_limit_hit=clock,
        sequence=np.array(order, dtype=float).reshape(-1, 2), method=method,
    )


def route_length_m(layout: Layout, locations: np.ndarray, method: str = "s_shape", *,
                   time_limit_s: float | None = None, options: SolveOptions | None = None
                   ) -> float:
    """Length (m) of the tour `route` finds; the fast path for simulations (no result object)."""
    _check_method(method)
    opts = _options(options, time_limit_s)
    pts = distinct_points(layout, locations)
    return tour_length_m(layout, _order(layout, pts, method, float(opts.time_limit_s or 0.0),
                                        opts.log)[0]) if pts else 0.0
