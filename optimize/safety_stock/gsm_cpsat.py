"""Guaranteed-service model on any acyclic network, solved exactly with OR-Tools CP-SAT.

Integer service times; SI_k = max(external inbound, predecessors' S_i) as a max-equality;
NLT_k = SI_k + T_k - S_k; the (concave) cost h_k z_k sigma_k sqrt(NLT_k) of every possible net
lead time is tabulated and looked up with an element constraint. Table costs are scaled to
integers (relative rounding error below 1e-9 of the largest possible cost); the reported cost
is recomputed in floating point from the chosen service times. On a network that is not a
tree, the tree DP on a spanning forest gives CP-SAT a feasible starting solution.
"""

from __future__ import annotations

import time

import numpy as np
from ortools.sat.python import cp_model

from optimize.errors import FieldProblem, InvalidInput
from optimize.options import SolveOptions, resolve_options
from optimize.result import Status
from optimize.safety_stock.gsm_dp import solve_gsm_dp
from optimize.safety_stock.gsm_model import GsmResult
from optimize.safety_stock.network import GsmNetwork

__all__ = ["solve_gsm_cpsat"]

_SCALE_TOTAL = 1e12  # the largest possible total cost maps to this many integer units


def _spanning_tree_hint(network: GsmNetwork) -> list[int]:
    """Tree-DP service times on a spanning forest: feasible for the whole network, because
    extra predecessors can only raise a node's inbound time."""
    parent = list(range(len(network.nodes)))

    def root(a: int) -> int:
        while parent[a] != a:
            parent[a] = parent[parent[a]]
            a = parent[a]
        return a

    kept = []
    for u, v in network.edges:
        ru, rv = root(network.index[u]), root(network.index[v])
        if ru != rv:
            parent[ru] = rv
            kept.append((u, v))
    forest = GsmNetwork(nodes=network.nodes, edges=tuple(kept))
    return list(solve_gsm_dp(forest).outbound_cst.values())


def solve_gsm_cpsat(network: GsmNetwork, *, time_limit_s: float | None = None,
                    num_workers: int | None = None, seed: int = 0,
                    options: SolveOptions | None = None) -> GsmResult:
    """Optimal outbound service times (periods) minimising total safety-stock holding cost.

    One search worker by default: on a small shared machine it proved optimality fastest.
    `time_limit_s` defaults to 60 s; `options` (a SolveOptions) may set it, the workers
    (`threads`) and the search log; keywords given win. When the time limit stops CP-SAT the
    result is feasible (its best service times) or unknown (none yet), with
    `time_limit_hit`; it never raises on a failed solve.
    """
    start = time.perf_counter()
    opts = resolve_options(options, SolveOptions(time_limit_s=60.0), time_limit_s=time_limit_s,
                           threads=num_workers)
    if opts.backend not in (None, "cpsat"):
        raise InvalidInput(FieldProblem("options.backend", "solve_gsm_cpsat is CP-SAT "
                                        "(backend cpsat or None)", opts.backend))
    n = len(network.nodes)
    T = network.processing_time
    si_up = network.inbound_upper
    s_up = network.outbound_upper
    unit = network.unit_cost_per_sqrt_period
    nlt_up = si_up + T
    worst = float(np.sum(unit * np.sqrt(nlt_up)))
    # Below 1e-6 currency per period the whole network's cost is treated as noise.
    scale = _SCALE_TOTAL / max(worst, 1e-6)

    m = cp_model.CpModel()
    S = [m.new_int_var(0, int(s_up[k]), f"S[{k}]") for k in range(n)]
    cost_vars = []
    for k in range(n):
        ext = int(network.nodes[k].external_inbound_cst)
        preds = network.predecessors[k]
        if preds:
            si = m.new_int_var(ext, int(si_up[k]), f"SI[{k}]")
            m.add_max_equality(si, [S[i] for i in preds] + [ext])
        else:
            si = ext
        nlt = m.new_int_var(0, int(nlt_up[k]), f"NLT[{k}]")
        m.add(nlt == si + int(T[k]) - S[k])
        table = [round(float(unit[k]) * np.sqrt(t) * scale) for t in range(int(nlt_up[k]) + 1)]
        if max(table) == 0:
            continue
        c = m.new_int_var(0, max(table), f"cost[{k}]")
        m.add_element(nlt, table, c)
        cost_vars.append(c)
    m.minimize(sum(cost_vars))
    if not network.is_forest:
        for var, value in zip(S, _spanning_tree_hint(network), strict=True):
            m.add_hint(var, value)

    solver = cp_model.CpSolver()
    solver.parameters.max_time_in_seconds = float(opts.time_limit_s or 0.0)
    solver.parameters.num_workers = int(opts.threads)
    solver.parameters.random_seed = int(seed)
    solver.parameters.log_search_progress = opts.log
    code = solver.solve(m)
    elapsed = time.perf_counter() - start
    # gap limits are 0 and no other limit is set: feasible or unknown means the clock
    clock = code in (cp_model.FEASIBLE, cp_model.UNKNOWN)
    message = f"CP-SAT: {solver.status_name(code)}" + (
        f" (time limit {opts.time_limit_s:g} s)" if clock else "")
    if code not in (cp_model.OPTIMAL, cp_model.FEASIBLE):
        status = Status.INFEASIBLE if code == cp_model.INFEASIBLE else Status.UNKNOWN
        return GsmResult(status=status, objective=float("nan"), bound=float("nan"),
                         time_s=elapsed, message=message, time_limit_hit=clock,
                         outbound_cst={}, inbound_cst={}, net_lead_time={}, safety_stock={})
    outbound = [int(solver.value(v)) for v in S]
    status = Status.OPTIMAL if code == cp_model.OPTIMAL else Status.FEASIBLE
    return GsmResult.from_outbound(
        network, outbound, status=status, bound=solver.best_objective_bound / scale,
        time_s=time.perf_counter() - start, message=message, time_limit_hit=clock)
