"""The staffing optimum by trying every plan: exact, for tiny instances only (the check on
the CP-SAT model)."""

from __future__ import annotations

import itertools
import time

from optimize.result import Status
from optimize.staffing.model import (
    CENTS,
    SCALE,
    Coefficients,
    StaffingPlan,
    StaffingProblem,
    coefficients,
    evaluate,
    plan_rows,
)

__all__ = ["solve_by_enumeration"]

MAX_PLANS = 2_000_000  # per station; beyond this the instance is not tiny


def _best(c: Coefficients):
    """The cheapest feasible plan of one station by enumeration, or None."""
    n = len(c.pre)
    size = (c.max_p + 1) * (c.max_t + 1) ** len(c.bookings)
    if size > MAX_PLANS:
        raise ValueError(f"{size} head-count combinations: too many to enumerate")
    best = None
    for p in range(c.max_p + 1):
        caps1 = [(p * c.ot1) // SCALE if c.works[d] else 0 for d in range(n)]
        caps2 = [(p * c.ot2) // SCALE if c.works[d] else 0 for d in range(n)]
        ranges = [range(k + 1) for k in (*caps1, *caps2)]
        for xs in itertools.product(range(c.max_t + 1), repeat=len(c.bookings)):
            bk = dict(zip(c.bookings, xs, strict=True))
            for ots in itertools.product(*ranges):
                ev = evaluate(c, p, bk, list(ots[:n]), list(ots[n:]))
                if ev.feasible and (best is None or ev.cost < best[0]):
                    best = (ev.cost, p, bk, list(ots[:n]), list(ots[n:]))
    return best


def solve_by_enumeration(problem: StaffingProblem) -> StaffingPlan:
    """The exact optimum by enumerating every head count, booking and overtime (stations
    are independent, so each is enumerated alone)."""
    t0 = time.perf_counter()
    coeffs = [coefficients(problem, st) for st in problem.stations]
    best = [_best(c) for c in coeffs]
    names = tuple(s.name for s in problem.stations)
    if any(b is None for b in best):
        return StaffingPlan(status=Status.INFEASIBLE, objective=float("nan"),
                            bound=float("nan"), time_s=time.perf_counter() - t0,
                            message="enumeration: no plan clears every cut-off",
                            stations=names)
    permanent = [b[1] for b in best]
    bookings = [{k: v for k, v in b[2].items() if v} for b in best]
    total, rows = plan_rows(problem, coeffs, permanent, bookings, [b[3] for b in best],
                            [b[4] for b in best])
    return StaffingPlan(
        status=Status.OPTIMAL, objective=total / CENTS, bound=total / CENTS,
        time_s=time.perf_counter() - t0, message="enumeration", stations=names,
        permanent=tuple(permanent),
        bookings=tuple(tuple((a, b_, v) for (a, b_), v in sorted(bk.items()))
                       for bk in bookings),
        overtime_h=tuple(tuple(x + y for x, y in zip(b[3], b[4], strict=True)) for b in best),
        rows=rows)
