"""Exact batch routing (MIP over shipment choices) and its LP relaxation bound."""

from __future__ import annotations

import dataclasses
import time

import numpy as np
from ortools.linear_solver.python import model_builder_helper as mbh

from optimize.errors import FieldProblem, InvalidInput
from optimize.options import SolveOptions, resolve_options
from optimize.order_routing.cuts import flow_cover_cuts
from optimize.order_routing.flow import FlowFailed, max_hard_fill, units_for_shipments
from optimize.order_routing.greedy import greedy_flow
from optimize.order_routing.instance import RoutingInstance
from optimize.order_routing.model import (
    LP_BACKENDS,
    MIP_BACKENDS,
    Model,
    ModelSolution,
    add_rows,
    build_model,
    solve_model,
)
from optimize.order_routing.plan import order_node_units, plan_cost, plan_violations
from optimize.order_routing.result import RoutingResult, make_result
from optimize.result import Status

__all__ = ["DEFAULT_BACKEND", "FULL_MIP_PAIRS", "lp_bound", "promise_shortfall", "solve"]

DEFAULT_BACKEND = "highs"
# Above this many candidate shipments, "auto" solves the LP first and branches only on the
# shipments the LP uses: measured with HiGHS, 3,700 prove in about 4 s, but 10,000 (2,000
# orders over 8 nodes) reach no plan in 20 s and 59,000 none in 60 s.
FULL_MIP_PAIRS = 5_000
# A round of flow cover cuts (re-solving the LP from scratch: 9-11 s at 10,000 orders) starts
# only while this share of the time limit has not passed, so the restricted MIP keeps about
# half of it (at 10,000 orders it needs 20-30 s to find its plan). Measured there: round 1
# lifts the bound 275 and round 2 another 53 (round 3 only 10); each round's LP also uses
# other shipments, and the restricted MIP over them found 166,116 after two rounds, 166,298
# after one, against 167,264 over the first LP's shipments alone.
CUT_TIME_SHARE = 0.4
# relative bound gain under which another round of cuts is not worth its LP
_MIN_CUT_GAIN = 1e-4
# relative difference under which a plan's cost is taken to meet the bound
_TOLERANCE = 1e-7


def promise_shortfall(inst: RoutingInstance) -> dict[str, str]:
    """Orders whose hard promise no plan can meet, each with the reason (empty if none).

    Exact: with fixed costs ignored, meeting the hard promises is a max-flow problem over the
    on-time (order, node) arcs, so a shortfall there means no plan at all meets them.
    """
    if not inst.hard_order.any():
        return {}
    short = inst.line_qty - max_hard_fill(inst).sum(axis=1)
    short[~inst.hard_order[inst.line_order]] = 0
    reasons: dict[str, list[str]] = {}
    for line in np.flatnonzero(short):
        o = int(inst.line_order[line])
        days = float(inst.promise_days[o])
        if not inst.allowed[o].any():
            reasons[inst.order_ids[o]] = [f"no node delivers within its {days:g}-day promise"]
            continue
        sku = inst.sku_ids[inst.line_sku[line]]
        reasons.setdefault(inst.order_ids[o], []).append(
            f"{short[line]} of {inst.line_qty[line]} units of SKU {sku} cannot ship on time "
            f"(within {days:g} days) from the stock and capacity left")
    return {order: "; ".join(why) for order, why in reasons.items()}


def _infeasible(inst: RoutingInstance, method: str, t0: float) -> RoutingResult | None:
    """The infeasible result when hard promises cannot be met (unknown when the check itself
    fails), else None."""
    try:
        unmet = promise_shortfall(inst)
    except FlowFailed as err:
        return make_result(inst, np.zeros((inst.n_lines, inst.n_nodes), dtype=np.int64),
                           method=method, status=Status.UNKNOWN, bound=np.nan,
                           time_s=time.perf_counter() - t0,
                           message=f"hard promises not checked: {err}")
    if not unmet:
        return None
    message = "hard delivery promise cannot be met for orders: " + "; ".join(
        f"{order}: {why}" for order, why in unmet.items())
    return make_result(inst, np.zeros((inst.n_lines, inst.n_nodes), dtype=np.int64),
                       method=method, status=Status.INFEASIBLE, bound=np.nan,
                       time_s=time.perf_counter() - t0, message=message,
                       unmet_promise_orders=tuple(unmet))


def _open_pairs(inst: RoutingInstance, model: Model, y: np.ndarray) -> np.ndarray:
    opened = np.zeros((inst.n_orders, inst.n_nodes), dtype=bool)
    on = y > 1e-6
    opened[model.pair_order[on], model.pair_node[on]] = True
    return opened


def _check_strategy(strategy: str) -> None:
    if strategy not in ("auto", "full", "lp-guided"):
        raise InvalidInput(FieldProblem("strategy", "must be auto, full or lp-guided",
                                        strategy))


def _check_backend(backend: str, allowed: tuple[str, ...], what: str) -> None:
    if backend not in allowed:
        raise InvalidInput(FieldProblem("backend", f"{what} backend must be one of "
                                        f"{', '.join(allowed)}", backend))


def solve(inst: RoutingInstance, time_limit_s: float | None = None, *,
          backend: str | None = None, strategy: str = "auto", threads: int | None = None,
          log: bool | None = None, options: SolveOptions | None = None) -> RoutingResult:
    """Optimal routing (currency) by MIP within about `time_limit_s` seconds (default 60).

    Returns status optimal (proven), feasible (best plan found and its gap to the bound;
    `time_limit_hit` when the clock stopped the search, else the greedy plan after a backend
    failure, named in the message), unknown (no plan meets the hard promises in time) or
    infeasible (hard promises that cannot be met, named in the message); never raises on a
    failed or timed-out solve. `backend` is an OR-Tools model_builder MIP solver: "highs"
    (default), "scip" or "sat" (CP-SAT). `options` (a SolveOptions) sets time limit,
    threads, backend and log together; keywords given explicitly override it.
    `strategy` "full" branches on every
    candidate shipment; "lp-guided" solves the LP relaxation (the bound), then in rounds
    adds the flow cover cuts the LP point violates and solves again (a higher bound, and an
    LP that uses other shipments), then the MIP over the shipments some round's LP uses,
    orders every round ships alike and integrally fixed (finds the plan), then, time
    permitting, the full MIP with the cuts, whose dual bound (valid for every plan) lifts the
    LP bound: proven optimal only when the plan meets the best bound. HiGHS MIPs run through
    scipy's binding. "auto" picks "full" up to `FULL_MIP_PAIRS` candidate shipments. The
    greedy plan is always a fallback, so a feasible instance always gets a plan.
    """
    t0 = time.perf_counter()
    opts = resolve_options(options, SolveOptions(time_limit_s=60.0, backend=DEFAULT_BACKEND),
                           time_limit_s=time_limit_s, threads=threads, backend=backend, log=log)
    backend, limit = str(opts.backend), float(opts.time_limit_s or 0.0)
    _check_backend(backend, MIP_BACKENDS, "MIP")
    _check_strategy(strategy)
    if (bad := _infeasible(inst, "optimal", t0)) is not None:
        return bad
    if inst.n_lines == 0:
        return make_result(inst, np.zeros((0, inst.n_nodes), dtype=np.int64), method="optimal",
                           status=Status.OPTIMAL, bound=0.0, time_s=time.perf_counter() - t0)
    model = build_model(inst)
    if strategy == "auto":
        strategy = "full" if model.n_pairs <= FULL_MIP_PAIRS else "lp-guided"
    candidates = [greedy_flow(inst)]
    bound = np.nan
    proven = False
    clock = False  # the time limit stopped some step before it proved anything
    notes: list[str] = []
    if strategy == "full":
        models = [model]
    else:
        models, bound, clock = _lp_rounds(inst, model, candidates, backend, t0, limit, notes)
    for mip in models:
        if time.perf_counter() - t0 >= limit:
            clock = True
            break
        sol = _solve_mip(inst, mip, candidates[0], backend, _left(t0, limit), opts.threads,
                         opts.log)
        clock |= sol.time_limit_hit
        if sol.status == mbh.SolveStatus.INFEASIBLE:
            # the max-flow check says a plan exists, so this is a backend failure
            notes.append(f"{backend} reported a MIP over {mip.n_pairs} shipments infeasible")
        elif sol.values is None and not sol.time_limit_hit:
            notes.append(f"{backend} MIP failed: {sol.status.name.lower()}")
        if sol.values is not None:
            # units by min-cost flow on the chosen shipments: integral, never costlier
            _add_candidate(inst, candidates, _open_pairs(inst, mip, sol.values[: mip.n_pairs]),
                           notes)
        if mip is models[-1] and np.isfinite(sol.bound):
            # only the unrestricted model's dual bound bounds every plan
            bound = sol.bound if np.isnan(bound) else max(bound, sol.bound)
            proven = sol.status == mbh.SolveStatus.OPTIMAL
    feasible = [f for f in candidates if not plan_violations(inst, f)]
    notes.append(f"{model.n_pairs} candidate shipments")
    if not feasible:
        why = f"no plan found within {limit:g} s" if clock else "no plan found"
        return make_result(inst, np.zeros((inst.n_lines, inst.n_nodes), dtype=np.int64),
                           method="optimal", status=Status.UNKNOWN, bound=bound,
                           time_s=time.perf_counter() - t0, time_limit_hit=clock,
                           message=f"{backend} {strategy}: {why}; " + "; ".join(notes))
    costs = [plan_cost(inst, f) for f in feasible]
    flow, cost = feasible[int(np.argmin(costs))], min(costs)
    # the LP bound proves optimality too when the plan meets it
    proven = proven or cost <= bound + _TOLERANCE * max(abs(cost), 1.0)
    if proven:
        bound = min(bound, cost) if np.isfinite(bound) else cost
    status = Status.OPTIMAL if proven else Status.FEASIBLE
    if proven:
        done = "proven optimal"
    else:
        gap = ("no bound" if np.isnan(bound)
               else f"gap {100 * (cost - bound) / max(cost, 1e-9):.3f} %")
        done = f"time limit {limit:g} s, {gap}" if clock else gap
    message = f"{backend} {strategy}: {done}; " + "; ".join(notes)
    return make_result(inst, flow, method="optimal", status=status, bound=bound,
                       time_s=time.perf_counter() - t0, message=message,
                       time_limit_hit=clock and not proven)


def _add_candidate(inst: RoutingInstance, candidates: list[np.ndarray], open_pairs: np.ndarray,
                   notes: list[str]) -> None:
    """Append the cheapest units over `open_pairs`; a failed flow solve is noted, not raised."""
    try:
        candidates.append(units_for_shipments(inst, open_pairs))
    except FlowFailed as err:
        notes.append(str(err))


def _lp_rounds(inst: RoutingInstance, model: Model, candidates: list[np.ndarray],
               backend: str, t0: float, time_limit_s: float, notes: list[str]
               ) -> tuple[list[Model], float, bool]:
    """LP bound (currency) lifted by rounds of flow cover cuts, the MIPs to run next (the
    one over every shipment some round's LP uses, then the full one with the cuts), and
    whether the time limit stopped the first LP.

    Appends the plan opening every shipment the last LP uses to `candidates`, a fallback
    should the MIPs find none in time. The LPs run on the MIP backend, except CP-SAT (no LP
    engine of its own), whose LPs run on HiGHS.
    """
    lp_backend = "highs" if backend == "sat" else backend
    lp = solve_model(model, integral=False, backend=lp_backend,
                     time_limit_s=_left(t0, time_limit_s))
    if lp.status != mbh.SolveStatus.OPTIMAL:
        if not lp.time_limit_hit:
            notes.append(f"LP relaxation not solved: {lp.status.name.lower()}")
        return [], np.nan, lp.time_limit_hit
    bound, values = lp.bound, lp.values
    first = opened = _open_pairs(inst, model, values[: model.n_pairs])
    used, settled = first.copy(), _integral_orders(inst, model, values)
    full = model
    while time.perf_counter() - t0 < CUT_TIME_SHARE * time_limit_s:
        cuts, rhs = flow_cover_cuts(inst, model, values)
        if not len(rhs):
            break
        trial = add_rows(full, cuts, rhs)
        lp = solve_model(trial, integral=False, backend=lp_backend,
                         time_limit_s=_left(t0, time_limit_s))
        if lp.status != mbh.SolveStatus.OPTIMAL:
            break
        full, values = trial, lp.values
        gain, bound = lp.bound - bound, max(bound, lp.bound)
        opened = _open_pairs(inst, model, values[: model.n_pairs])
        used |= opened
        settled &= _integral_orders(inst, model, values) & (opened == first).all(axis=1)
        if gain < _MIN_CUT_GAIN * abs(bound):
            break
    _add_candidate(inst, candidates, opened, notes)
    # orders every LP ships the same way, integrally, keep those shipments: a smaller MIP,
    # in which HiGHS found better plans sooner (measured at 10,000 orders: 166,116 against
    # 166,227 in 30 s with 8,270 of the orders fixed)
    restricted = build_model(inst, only_pairs=used)
    var_lb = restricted.var_lb.copy()
    var_lb[: restricted.n_pairs] = settled[restricted.pair_order]
    return [dataclasses.replace(restricted, var_lb=var_lb), full], bound, False


def _integral_orders(inst: RoutingInstance, model: Model, values: np.ndarray) -> np.ndarray:
    """[order] True where every shipment variable of the order is 0 or 1 in `values`."""
    y = values[: model.n_pairs]
    out = np.ones(inst.n_orders, dtype=bool)
    out[model.pair_order[(y > 1e-6) & (y < 1 - 1e-6)]] = False
    return out


def _left(t0: float, time_limit_s: float) -> float:
    return max(time_limit_s - (time.perf_counter() - t0), 0.5)


def _solve_mip(inst: RoutingInstance, model: Model, start_flow: np.ndarray, backend: str,
               time_limit_s: float, threads: int, log: bool) -> ModelSolution:
    hint = None
    if not plan_violations(inst, start_flow):
        hint = (order_node_units(inst, start_flow) > 0)[model.pair_order, model.pair_node]
    return solve_model(model, integral=True, backend=backend, time_limit_s=time_limit_s,
                       hint_pairs=hint, threads=threads, log=log)


# PDLP's default termination tolerances (absolute and relative optimality gap, OR-Tools'
# PrimalDualHybridGradientParams): |primal - dual| <= eps (1 + |primal| + |dual|).
PDLP_EPS_OPTIMAL = 1e-6


def lp_bound(inst: RoutingInstance, time_limit_s: float | None = None, *,
             backend: str | None = None, options: SolveOptions | None = None
             ) -> RoutingResult:
    """LP relaxation: `bound` is a lower bound on any plan's cost (currency).

    The plan returned opens every shipment the LP uses and routes units by min-cost flow, so
    it is feasible; `stock_dual[node, sku]` and `capacity_dual[node]` are the LP shadow prices
    (currency saved per extra unit), the stock values of Acimovic and Graves' look-ahead;
    `backend` "glop" (default, gives duals), "highs" (faster on large batches, duals nan) or
    "pdlp". `time_limit_s` defaults to 60 s; `options` (a SolveOptions) may set both. When
    the LP is not solved (time limit, backend failure) it returns the greedy plan, status
    feasible (unknown if that plan breaks a hard promise), no bound and nan duals, with
    `time_limit_hit` when the clock stopped it; it never raises on a failed solve.
    """
    t0 = time.perf_counter()
    opts = resolve_options(options, SolveOptions(time_limit_s=60.0, backend="glop"),
                           time_limit_s=time_limit_s, backend=backend)
    backend = str(opts.backend)
    _check_backend(backend, LP_BACKENDS, "LP")
    if (bad := _infeasible(inst, "lp", t0)) is not None:
        return bad
    if inst.n_lines == 0:
        return make_result(inst, np.zeros((0, inst.n_nodes), dtype=np.int64), method="lp",
                           status=Status.OPTIMAL, bound=0.0, time_s=time.perf_counter() - t0,
                           stock_dual=np.zeros(inst.stock.shape),
                           capacity_dual=np.zeros(inst.n_nodes))
    model = build_model(inst)
    sol = solve_model(model, integral=False, backend=backend,
                      time_limit_s=float(opts.time_limit_s or 0.0), log=opts.log)
    flow = None
    notes: list[str] = []
    if sol.status == mbh.SolveStatus.OPTIMAL:
        try:
            flow = units_for_shipments(inst,
                                       _open_pairs(inst, model, sol.values[: model.n_pairs]))
        except FlowFailed as err:
            notes.append(str(err))
    else:
        why = "time limit" if sol.time_limit_hit else sol.status.name.lower()
        notes.append(f"{backend} LP relaxation not solved ({why})")
    if flow is None:
        # no LP answer to round: the greedy plan, without a bound or prices
        flow = greedy_flow(inst)
        broken = plan_violations(inst, flow)
        status = Status.UNKNOWN if broken else Status.FEASIBLE
        notes.append("greedy plan, no bound" + (f"; it breaks {len(broken)} hard promises"
                                                if broken else ""))
        return make_result(inst, flow, method="lp", status=status, bound=np.nan,
                           time_s=time.perf_counter() - t0, message="; ".join(notes),
                           time_limit_hit=sol.time_limit_hit,
                           stock_dual=np.full(inst.stock.shape, np.nan),
                           capacity_dual=np.full(inst.n_nodes, np.nan))
    stock_dual = np.zeros(inst.stock.size)
    rows = model.stock_rows >= 0
    # a <= row's dual is <= 0 when minimising; report the saving of one more unit, >= 0
    stock_dual[rows] = np.maximum(-sol.duals[model.stock_rows[rows]], 0.0)
    capacity_dual = np.zeros(inst.n_nodes)
    rows = model.capacity_rows >= 0
    capacity_dual[rows] = np.maximum(-sol.duals[model.capacity_rows[rows]], 0.0)
    if backend == "highs":
        # the HiGHS interface in ortools 9.15 returns no usable row duals (seen: all ones)
        stock_dual[:], capacity_dual[:] = np.nan, np.nan
    cost = plan_cost(inst, flow)
    status = Status.OPTIMAL if cost <= sol.bound * (1 + 1e-9) + 1e-9 else Status.FEASIBLE
    bound = sol.bound
    if backend == "pdlp":
        # PDLP stops within its optimality tolerance, so its objective may sit above the LP
        # optimum (seen: 3.0000038 for 3.0): widen by that tolerance so the bound stays one.
        bound -= PDLP_EPS_OPTIMAL * (1.0 + 2.0 * abs(bound))
    return make_result(inst, flow, method="lp", status=status, bound=bound,
                       time_s=time.perf_counter() - t0,
                       message="LP relaxation bound; plan opens the shipments the LP uses",
                       stock_dual=stock_dual.reshape(inst.stock.shape),
                       capacity_dual=capacity_dual)
