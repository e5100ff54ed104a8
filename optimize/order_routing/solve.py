"""Exact batch routing (MIP over shipment choices) and its LP relaxation bound."""

from __future__ import annotations

import dataclasses
import time

import numpy as np
from ortools.linear_solver.python import model_builder_helper as mbh

from optimize.order_routing.cuts import flow_cover_cuts
from optimize.order_routing.flow import max_hard_fill, units_for_shipments
from optimize.order_routing.greedy import greedy_flow
from optimize.order_routing.instance import RoutingInstance
from optimize.order_routing.model import (
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
    unmet = promise_shortfall(inst)
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


def solve(inst: RoutingInstance, time_limit_s: float = 60.0, *, backend: str = DEFAULT_BACKEND,
          strategy: str = "auto", threads: int = 1, log: bool = False) -> RoutingResult:
    """Optimal routing (currency) by MIP within about `time_limit_s` seconds.

    Returns status optimal (proven), feasible (best plan found and its gap to the bound),
    or infeasible (hard promises that cannot be met, named in the message). `backend` is an
    OR-Tools model_builder MIP solver: "highs" or "scip". `strategy` "full" branches on every
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
    if (bad := _infeasible(inst, "optimal", t0)) is not None:
        return bad
    if inst.n_lines == 0:
        return make_result(inst, np.zeros((0, inst.n_nodes), dtype=np.int64), method="optimal",
                           status=Status.OPTIMAL, bound=0.0, time_s=time.perf_counter() - t0)
    model = build_model(inst)
    if strategy == "auto":
        strategy = "full" if model.n_pairs <= FULL_MIP_PAIRS else "lp-guided"
    if strategy not in ("full", "lp-guided"):
        raise ValueError(f"strategy must be auto, full or lp-guided, got {strategy!r}")
    candidates = [greedy_flow(inst)]
    bound = np.nan
    proven = False
    if strategy == "full":
        models = [model]
    else:
        models, bound = _lp_rounds(inst, model, candidates, backend, t0, time_limit_s)
    for mip in models:
        if time.perf_counter() - t0 >= time_limit_s:
            break
        sol = _solve_mip(inst, mip, candidates[0], backend, _left(t0, time_limit_s), threads,
                         log)
        if sol.values is not None:
            # units by min-cost flow on the chosen shipments: integral, never costlier
            candidates.append(units_for_shipments(
                inst, _open_pairs(inst, mip, sol.values[: mip.n_pairs])))
        if mip is models[-1] and np.isfinite(sol.bound):
            # only the unrestricted model's dual bound bounds every plan
            bound = sol.bound if np.isnan(bound) else max(bound, sol.bound)
            proven = sol.status == mbh.SolveStatus.OPTIMAL
    feasible = [f for f in candidates if not plan_violations(inst, f)]
    if not feasible:
        return make_result(inst, np.zeros((inst.n_lines, inst.n_nodes), dtype=np.int64),
                           method="optimal", status=Status.UNKNOWN, bound=bound,
                           time_s=time.perf_counter() - t0,
                           message=f"no plan found within {time_limit_s:g} s")
    costs = [plan_cost(inst, f) for f in feasible]
    flow, cost = feasible[int(np.argmin(costs))], min(costs)
    # the LP bound proves optimality too when the plan meets it
    proven = proven or cost <= bound + _TOLERANCE * max(abs(cost), 1.0)
    if proven:
        bound = min(bound, cost) if np.isfinite(bound) else cost
    status = Status.OPTIMAL if proven else Status.FEASIBLE
    done = "proven optimal" if proven else f"gap {100 * (cost - bound) / max(cost, 1e-9):.3f} %"
    message = f"{backend} {strategy}: {done}; {model.n_pairs} candidate shipments"
    return make_result(inst, flow, method="optimal", status=status, bound=bound,
                       time_s=time.perf_counter() - t0, message=message)


def _lp_rounds(inst: RoutingInstance, model: Model, candidates: list[np.ndarray],
               backend: str, t0: float, time_limit_s: float) -> tuple[list[Model], float]:
    """LP bound (currency) lifted by rounds of flow cover cuts, and the MIPs to run next:
    the one over every shipment some round's LP uses, then the full one with the cuts.

    Appends the plan opening every shipment the last LP uses to `candidates`, a fallback
    should the MIPs find none in time.
    """
    lp = solve_model(model, integral=False, backend=backend,
                     time_limit_s=_left(t0, time_limit_s))
    if lp.status != mbh.SolveStatus.OPTIMAL:
        return [], np.nan
    bound, values = lp.bound, lp.values
    first = opened = _open_pairs(inst, model, values[: model.n_pairs])
    used, settled = first.copy(), _integral_orders(inst, model, values)
    full = model
    while time.perf_counter() - t0 < CUT_TIME_SHARE * time_limit_s:
        cuts, rhs = flow_cover_cuts(inst, model, values)
        if not len(rhs):
            break
        trial = add_rows(full, cuts, rhs)
        lp = solve_model(trial, integral=False, backend=backend,
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
    candidates.append(units_for_shipments(inst, opened))
    # orders every LP ships the same way, integrally, keep those shipments: a smaller MIP,
    # in which HiGHS found better plans sooner (measured at 10,000 orders: 166,116 against
    # 166,227 in 30 s with 8,270 of the orders fixed)
    restricted = build_model(inst, only_pairs=used)
    var_lb = restricted.var_lb.copy()
    var_lb[: restricted.n_pairs] = settled[restricted.pair_order]
    return [dataclasses.replace(restricted, var_lb=var_lb), full], bound


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
    sol = solve_model(model, integral=True, backend=backend, time_limit_s=time_limit_s,
                      hint_pairs=hint, threads=threads, log=log)
    if sol.status == mbh.SolveStatus.INFEASIBLE:
        # the max-flow check says a plan exists, so this is a backend failure
        raise RuntimeError("MIP backend reported infeasible on a feasible instance")
    return sol


def lp_bound(inst: RoutingInstance, time_limit_s: float = 60.0, *, backend: str = "glop"
             ) -> RoutingResult:
    """LP relaxation: `bound` is a lower bound on any plan's cost (currency).

    The plan returned opens every shipment the LP uses and routes units by min-cost flow, so
    it is feasible; `stock_dual[node, sku]` and `capacity_dual[node]` are the LP shadow prices
    (currency saved per extra unit), the stock values of Acimovic and Graves' look-ahead;
    `backend` "glop" (default, gives duals) or "highs" (faster on large batches, duals nan).
    """
    t0 = time.perf_counter()
    if (bad := _infeasible(inst, "lp", t0)) is not None:
        return bad
    if inst.n_lines == 0:
        return make_result(inst, np.zeros((0, inst.n_nodes), dtype=np.int64), method="lp",
                           status=Status.OPTIMAL, bound=0.0, time_s=time.perf_counter() - t0,
                           stock_dual=np.zeros(inst.stock.shape),
                           capacity_dual=np.zeros(inst.n_nodes))
    model = build_model(inst)
    sol = solve_model(model, integral=False, backend=backend, time_limit_s=time_limit_s)
    if sol.status != mbh.SolveStatus.OPTIMAL:
        raise RuntimeError(f"LP relaxation not solved: {sol.status}")
    flow = units_for_shipments(inst, _open_pairs(inst, model, sol.values[: model.n_pairs]))
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
    return make_result(inst, flow, method="lp", status=status, bound=sol.bound,
                       time_s=time.perf_counter() - t0,
                       message="LP relaxation bound; plan opens the shipments the LP uses",
                       stock_dual=stock_dual.reshape(inst.stock.shape),
                       capacity_dual=capacity_dual)
