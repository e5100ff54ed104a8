"""The staffing plan by CP-SAT (the model: optimize.staffing.model)."""

from __future__ import annotations

import time

from ortools.sat.python import cp_model

from optimize.options import SolveOptions, resolve_options
from optimize.result import Status
from optimize.staffing.model import (
    CENTS,
    SCALE,
    Coefficients,
    StaffingPlan,
    StaffingProblem,
    coefficients,
    plan_rows,
)

__all__ = ["solve_staffing"]


def _station(m: cp_model.CpModel, c: Coefficients):
    """One station's variables and constraints; returns them and its cost expression."""
    n = len(c.pre)
    p = m.new_int_var(0, c.max_p, "permanent")
    x = {bk: m.new_int_var(0, c.max_t, f"temps_{bk[0]}_{bk[1]}") for bk in c.bookings}
    o1, o2 = [], []
    for d in range(n):
        cap1 = (c.max_p * c.ot1) // SCALE if c.works[d] else 0
        cap2 = (c.max_p * c.ot2) // SCALE if c.works[d] else 0
        o1.append(m.new_int_var(0, cap1, f"ot1_{d}"))
        o2.append(m.new_int_var(0, cap2, f"ot2_{d}"))
        m.add(SCALE * o1[d] <= c.ot1 * p)
        m.add(SCALE * o2[d] <= c.ot2 * p)
    total = sum(c.pre) + sum(c.post)
    carried = 0
    cost = []
    for d in range(n):
        cover = [(bk, v) for bk, v in x.items() if bk[0] <= d < bk[1]]
        if c.works[d]:
            cap1 = c.h1 * p + sum(c.ramp1[bk[0], d] * v for bk, v in cover) + SCALE * o1[d]
            cap2 = c.h2 * p + sum(c.ramp2[bk[0], d] * v for bk, v in cover) + SCALE * o2[d]
            cost.append(c.perm_cost * p + c.temp_cost * sum(v for _bk, v in cover)
                        + c.ot_cost * (o1[d] + o2[d]))
        else:
            cap1 = cap2 = 0
        # Backlog variables bound the true backlog from above (max(0, .) as two >=), so
        # a plan that keeps them within the limits keeps the true backlog within them too.
        if c.ships[d]:
            m.add(carried + c.pre[d] - cap1 <= 0)
            left = 0
        else:
            left = m.new_int_var(0, total, f"left_{d}")
            m.add(left >= carried + c.pre[d] - cap1)
        back = m.new_int_var(0, total, f"back_{d}")
        m.add(back >= left + c.post[d] - cap2)
        carried = back
    return p, x, o1, o2, sum(cost)


def solve_staffing(problem: StaffingProblem, *, options: SolveOptions | None = None,
                   time_limit_s: float | None = None, seed: int = 0) -> StaffingPlan:
    """The least-cost plan by CP-SAT: status, cost (currency), bound, gap and time."""
    opts = resolve_options(options, SolveOptions(time_limit_s=60.0), time_limit_s=time_limit_s)
    t0 = time.perf_counter()
    coeffs = [coefficients(problem, st) for st in problem.stations]
    m = cp_model.CpModel()
    parts = [_station(m, c) for c in coeffs]
    m.minimize(sum(part[4] for part in parts))
    solver = cp_model.CpSolver()
    solver.parameters.max_time_in_seconds = float(opts.time_limit_s or 0.0) or 1e9
    solver.parameters.num_workers = int(opts.threads)
    solver.parameters.random_seed = int(seed)
    solver.parameters.log_search_progress = opts.log
    code = solver.solve(m)
    elapsed = time.perf_counter() - t0
    clock = code in (cp_model.FEASIBLE, cp_model.UNKNOWN)
    message = f"CP-SAT: {solver.status_name(code)}"
    names = tuple(s.name for s in problem.stations)
    if code not in (cp_model.OPTIMAL, cp_model.FEASIBLE):
        status = Status.INFEASIBLE if code == cp_model.INFEASIBLE else Status.UNKNOWN
        if status is Status.INFEASIBLE:
            message += (" (no plan within the head-count bounds clears every cut-off: "
                        "raise max_permanent/max_temps or allow more overtime)")
        return StaffingPlan(status=status, objective=float("nan"), bound=float("nan"),
                            time_s=elapsed, message=message,
                            time_limit_hit=clock and status is Status.UNKNOWN,
                            stations=names)
    permanent = [int(solver.value(p)) for p, *_ in parts]
    bookings = [{bk: int(solver.value(v)) for bk, v in x.items() if solver.value(v)}
                for _p, x, *_ in parts]
    ot1 = [[int(solver.value(v)) for v in part[2]] for part in parts]
    ot2 = [[int(solver.value(v)) for v in part[3]] for part in parts]
    total, rows = plan_rows(problem, coeffs, permanent, bookings, ot1, ot2)
    status = Status.OPTIMAL if code == cp_model.OPTIMAL else Status.FEASIBLE
    bound = total / CENTS if status is Status.OPTIMAL else solver.best_objective_bound / CENTS
    return StaffingPlan(
        status=status, objective=total / CENTS, bound=bound, time_s=elapsed, message=message,
        time_limit_hit=clock, stations=names, permanent=tuple(permanent),
        bookings=tuple(tuple((a, b, v) for (a, b), v in sorted(bk.items()))
                       for bk in bookings),
        overtime_h=tuple(tuple(a + b for a, b in zip(o1, o2, strict=True))
                         for o1, o2 in zip(ot1, ot2, strict=True)),
        rows=rows)
