"""`pack`: the cheapest set of cartons for an order, exact for small orders (CP-SAT), the
extreme-point heuristic beyond."""

from __future__ import annotations

import math
import time

from optimize.errors import FieldProblem, InvalidInput
from optimize.options import SolveOptions, resolve_options
from optimize.packing.heuristic import extreme_point_packing
from optimize.packing.instance import PackingInstance
from optimize.packing.result import PackingResult, build_result, packed_carton
from optimize.result import Status

__all__ = ["DEFAULT_OPTIONS", "EXACT_MAX_UNITS", "METHODS", "pack"]

# CP-SAT proves the optimum of 12 units in a few seconds at most on the benchmark's orders
# (BENCHMARKS.md); larger orders go to the heuristic unless the caller asks for `exact`.
EXACT_MAX_UNITS = 12
METHODS = ("auto", "exact", "heuristic")
DEFAULT_OPTIONS = SolveOptions(time_limit_s=10.0, threads=1)


def _unpackable(inst: PackingInstance) -> PackingResult | None:
    """An infeasible result naming every item that fits no carton alone, else None."""
    one_unit = {u.item: u for u in inst.units()}
    bad = [it for i, it in enumerate(inst.items)
           if not any(one_unit[i].fits(c) for c in inst.cartons)]
    if not bad:
        return None
    why = "; ".join(f"item {it.sku!r} ({' x '.join(f'{d:g}' for d in it.dims_cm)} cm"
                    f"{', upright' if it.upright else ''}, {it.weight_kg:g} kg) fits no carton "
                    "by size and weight" for it in bad)
    return PackingResult(status=Status.INFEASIBLE, objective=math.nan, bound=math.nan,
                         time_s=0.0, message=why, method="none",
                         unpackable=tuple(it.sku for it in bad))


def pack(inst: PackingInstance, method: str = "auto", *, options: SolveOptions | None = None,
         time_limit_s: float | None = None, threads: int | None = None,
         log: bool | None = None, exact_max_units: int = EXACT_MAX_UNITS) -> PackingResult:
    """Pack the order: `auto` is exact up to `exact_max_units` units, else the heuristic.

    The exact method's result is `optimal` when CP-SAT proves it; stopped by the time limit
    it is `feasible` with `time_limit_hit` (the better of its best packing and the
    heuristic's). The heuristic's is `feasible` with no bound. An item that fits no carton
    makes the result `infeasible` and is named in `message` and `unpackable`.
    """
    if method not in METHODS:
        raise InvalidInput(FieldProblem("method", f"must be one of {', '.join(METHODS)}",
                                        method))
    opts = resolve_options(options, DEFAULT_OPTIONS, time_limit_s=time_limit_s,
                           threads=threads, log=log)
    start = time.perf_counter()
    infeasible = _unpackable(inst)
    if infeasible is not None:
        return infeasible
    units = list(inst.units())
    boxes = extreme_point_packing(inst, units)
    heuristic = [packed_carton(inst, b.carton, b.placed) for b in boxes]
    if method == "heuristic" or (method == "auto" and len(units) > exact_max_units):
        return build_result(inst, heuristic, status=Status.FEASIBLE, bound=math.nan,
                            time_s=time.perf_counter() - start, method="extreme_points")

    from optimize.packing.exact import solve_exact  # OR-Tools only when the exact model runs

    out = solve_exact(inst, units, time_limit_s=opts.time_limit_s, threads=opts.threads,
                      log=opts.log, hint=boxes)
    elapsed = time.perf_counter() - start
    if out.status == "OPTIMAL":
        return build_result(inst, out.cartons, status=Status.OPTIMAL, bound=out.bound,
                            time_s=elapsed, method="exact")
    found = out.cartons
    cost = math.fsum(c.charge for c in found) if found else math.inf
    better = found if cost <= math.fsum(c.charge for c in heuristic) else heuristic
    note = ("" if better is found else "CP-SAT found no better packing than the heuristic's "
            f"in time ({out.status}); ")
    bound = min(out.bound, math.fsum(c.charge for c in better))
    return build_result(inst, better, status=Status.FEASIBLE, bound=bound, time_s=elapsed,
                        method="exact", time_limit_hit=out.time_limit_hit,
                        message=note + "not proven optimal")
