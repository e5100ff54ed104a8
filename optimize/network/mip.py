"""One sparse MIP, solved by a backend shipped in the OR-Tools wheel (SCIP, HiGHS or CP-SAT).

Measured by benchmarks/coverage.py (maximum coverage, proven optimal at every k = 1..8):
US 1,500 towns x 60 candidates, SCIP 0.44 s, HiGHS 0.72 s, CP-SAT 1.21 s for the curve;
10,000 points x 300 candidates, SCIP 8.3 s, HiGHS 58 s. SCIP proves fastest, so it is the
default; the others stay selectable for comparison.
"""

from __future__ import annotations

import math
import time
from dataclasses import dataclass

import numpy as np
import scipy.sparse as sp
from ortools.linear_solver.python import model_builder as mb

from optimize.errors import FieldProblem, InvalidInput
from optimize.result import Status

__all__ = ["BACKENDS", "DEFAULT_BACKEND", "MipSolution", "backend_parameters", "solve_mip"]

DEFAULT_BACKEND = "scip"

# Zero gap: a planner compares coverage at k and k+1, so "optimal" must mean proven, not
# within the backends' default 0.01 % (tens of thousands of people on a US instance).
BACKENDS: dict[str, str] = {
    "highs": "mip_rel_gap=0\nmip_abs_gap=0\nlog_to_console=false\noutput_flag=false\n"
             "threads=1\nrandom_seed=0",
    "scip": "limits/gap = 0\nlimits/absgap = 0\nrandomization/randomseedshift = 0\n"
            "parallel/maxnthreads = 1",
    "cp_sat": "relative_gap_limit:0 absolute_gap_limit:0 num_workers:1 random_seed:0",
}
_SOLVER_NAME = {"highs": "highs", "scip": "scip", "cp_sat": "sat"}

_STATUS = {
    mb.SolveStatus.OPTIMAL: Status.OPTIMAL,
    mb.SolveStatus.FEASIBLE: Status.FEASIBLE,
    mb.SolveStatus.INFEASIBLE: Status.INFEASIBLE,
}


# Statuses that say the backend failed (bad model or parameters), not that time ran out.
_BROKEN = frozenset({mb.SolveStatus.ABNORMAL, mb.SolveStatus.MODEL_INVALID,
                     mb.SolveStatus.INVALID_SOLVER_PARAMETERS,
                     mb.SolveStatus.SOLVER_TYPE_UNAVAILABLE, mb.SolveStatus.INCOMPATIBLE_OPTIONS,
                     mb.SolveStatus.UNBOUNDED})
# The thread setting in each backend's parameters, replaced by `threads`.
_THREADS = {"highs": ("threads=1", "threads={}"),
            "scip": ("parallel/maxnthreads = 1", "parallel/maxnthreads = {}"),
            "cp_sat": ("num_workers:1", "num_workers:{}")}


@dataclass(frozen=True)
class MipSolution:
    """Values of every variable (nan when no solution), objective, bound and wall time;
    `time_limit_hit` when the time limit stopped the search before a proof."""

    status: Status
    values: np.ndarray
    objective: float
    bound: float
    time_s: float
    message: str
    time_limit_hit: bool = False


def backend_parameters(backend: str, threads: int = 1) -> str:
    """The backend's parameter string (zero gap, fixed seed) with `threads` search threads."""
    old, new = _THREADS[backend]
    return BACKENDS[backend].replace(old, new.format(int(threads)))


def solve_mip(*, objective: np.ndarray, a: sp.csr_matrix, row_lb: np.ndarray,
              row_ub: np.ndarray, var_ub: np.ndarray, integer: np.ndarray, maximize: bool,
              backend: str = DEFAULT_BACKEND, time_limit_s: float | None = None,
              hint: np.ndarray | None = None, threads: int = 1,
              log: bool = False) -> MipSolution:
    """Solve `opt objective @ v` s.t. `row_lb <= a @ v <= row_ub`, `0 <= v <= var_ub`, with
    `v[integer]` integral. `integer` is a boolean mask; CP-SAT makes every variable integral
    (every model here has an integral optimum in its continuous variables once the integer
    ones are fixed). Never raises on a failed or timed-out solve: the status says."""
    if backend not in BACKENDS:
        raise InvalidInput(FieldProblem("backend", f"expected one of {sorted(BACKENDS)}",
                                        backend))
    if time_limit_s is not None and not time_limit_s > 0:
        raise InvalidInput(FieldProblem("time_limit_s", "must be > 0", time_limit_s))
    n = len(objective)
    model = mb.Model()
    model.helper.fill_model_from_sparse_data(
        np.zeros(n), np.asarray(var_ub, float), np.asarray(objective, float),
        np.asarray(row_lb, float), np.asarray(row_ub, float), sp.csr_matrix(a, dtype=float))
    model.helper.set_maximize(maximize)
    mask = np.ones(n, bool) if backend == "cp_sat" else np.asarray(integer, bool)
    for j in np.nonzero(mask)[0]:
        model.helper.set_var_integrality(int(j), True)
    # HiGHS through model_builder crashes (segfault, OR-Tools 9.15) on a partial hint.
    if hint is not None and backend != "highs":
        for j in np.nonzero(mask)[0]:
            model.add_hint(model.var_from_index(int(j)), float(hint[j]))
    solver = mb.Solver(_SOLVER_NAME[backend])
    solver.set_solver_specific_parameters(backend_parameters(backend, threads))
    solver.enable_output(bool(log))
    if time_limit_s is not None:
        solver.set_time_limit_in_seconds(time_limit_s)
    start = time.perf_counter()
    raw = solver.solve(model)
    elapsed = time.perf_counter() - start
    status = _STATUS.get(raw, Status.UNKNOWN)
    if status in (Status.OPTIMAL, Status.FEASIBLE):
        values = np.array(solver.values(model.get_variables()), float)
        obj = float(solver.objective_value)
        bound = float(solver.best_objective_bound)
    else:
        values = np.full(n, math.nan)
        obj = bound = math.nan
    if status is Status.OPTIMAL:
        bound = obj  # proven; backends report the bound in their own rounding
    # no other limit is set: a search that stopped unproven without an error hit the clock
    clock = (time_limit_s is not None and status in (Status.FEASIBLE, Status.UNKNOWN)
             and raw not in _BROKEN)
    message = "" if status is Status.OPTIMAL else f"{backend}: {raw.name.lower()}"
    if clock:
        message += f" (time limit {time_limit_s:g} s)"
    return MipSolution(status, values, obj, bound, elapsed, message, clock)
