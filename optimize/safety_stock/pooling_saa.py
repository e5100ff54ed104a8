"""Stock levels for one SKU family across forward nodes that can serve each other's customers.

Two-stage sample average approximation (one period, lost sales): first choose each node's
order-up-to level S_i (units); then, in each demand scenario w, ship x_ij units from node i to
node j's customers (x_ii local, at no extra cost; i != j at the extra shipping cost c_ij per
unit) and lose u_j units at the lost-sale cost p_j. Leftover stock costs h_i per unit:

    min  sum_i h_i S_i + 1/W sum_w [ sum_ij (c_ij - h_i) x_ij^w + sum_j p_j u_j^w ]
    s.t. sum_j x_ij^w <= S_i,  sum_i x_ij^w + u_j^w = D_j^w,  x, u, S >= 0

(c_ii = 0; a pair that may not ship has no variable). Solved as one LP with OR-Tools GLOP, or
as a MIP with integer levels through SCIP. The same model with no cross shipping sizes each
node alone (its optimum is the empirical newsvendor quantile p/(p+h) of the node's own
demand); the pooling saving is the difference of the two optimal expected costs.
"""

from __future__ import annotations

import time
from dataclasses import dataclass

import numpy as np
from ortools.linear_solver import pywraplp

from optimize.result import SolverResult, Status
from optimize.safety_stock.validation import ArrayChecks

__all__ = ["PoolingResult", "normal_demand_scenarios", "pool_stock_saa"]


@dataclass(frozen=True, kw_only=True)
class PoolingResult(SolverResult):
    """Pooled and stand-alone levels (units) and expected costs (currency per period)."""

    order_up_to: np.ndarray
    alone_order_up_to: np.ndarray
    alone_cost: float
    saving: float
    saving_share: float
    expected_shipments: np.ndarray  # [from node, to node's customers], units per period
    expected_lost_sales: np.ndarray  # per node, units per period


def normal_demand_scenarios(mean, sd, correlation=0.0, n_scenarios: int = 1000,
                            seed: int = 0) -> np.ndarray:
    """(n_scenarios, n_nodes) demand draws, normal with equal pairwise correlation, cut at 0."""
    mean = np.atleast_1d(np.asarray(mean, float))
    sd = np.broadcast_to(np.asarray(sd, float), mean.shape)
    n = mean.size
    corr = np.full((n, n), float(correlation))
    np.fill_diagonal(corr, 1.0)
    cov = corr * np.outer(sd, sd)
    rng = np.random.default_rng(seed)
    draws = rng.multivariate_normal(mean, cov, size=int(n_scenarios), method="cholesky")
    return np.maximum(draws, 0.0)


def _solve(D: np.ndarray, h: np.ndarray, p: np.ndarray, c: np.ndarray,
           integer: bool) -> tuple[str, float, float, np.ndarray, np.ndarray, np.ndarray]:
    W, n = D.shape
    solver = pywraplp.Solver.CreateSolver("SCIP" if integer else "GLOP")
    S = [solver.IntVar(0, solver.infinity(), f"S{i}") if integer
         else solver.NumVar(0, solver.infinity(), f"S{i}") for i in range(n)]
    obj = solver.Objective()
    for i in range(n):
        obj.SetCoefficient(S[i], float(h[i]))
    arcs = [(i, j) for i in range(n) for j in range(n) if np.isfinite(c[i, j])]
    x = {}
    u = {}
    for w in range(W):
        supply = [solver.Constraint(-solver.infinity(), 0.0) for _ in range(n)]
        for i in range(n):
            supply[i].SetCoefficient(S[i], -1.0)
        demand = [solver.Constraint(float(D[w, j]), float(D[w, j])) for j in range(n)]
        for i, j in arcs:
            v = solver.NumVar(0, solver.infinity(), "")
            x[w, i, j] = v
            supply[i].SetCoefficient(v, 1.0)
            demand[j].SetCoefficient(v, 1.0)
            obj.SetCoefficient(v, float(c[i, j] - h[i]) / W)
        for j in range(n):
            v = solver.NumVar(0, solver.infinity(), "")
            u[w, j] = v
            demand[j].SetCoefficient(v, 1.0)
            obj.SetCoefficient(v, float(p[j]) / W)
    obj.SetMinimization()
    code = solver.Solve()
    if code not in (pywraplp.Solver.OPTIMAL, pywraplp.Solver.FEASIBLE):
        return "failed", np.nan, np.nan, np.full(n, np.nan), np.zeros((n, n)), np.zeros(n)
    ship = np.zeros((n, n))
    for (_, i, j), v in x.items():
        ship[i, j] += v.solution_value()
    lost = np.zeros(n)
    for (_, j), v in u.items():
        lost[j] += v.solution_value()
    levels = np.array([v.solution_value() for v in S])
    status = "optimal" if code == pywraplp.Solver.OPTIMAL else "feasible"
    # GLOP's optimum is exact; SCIP reports its proven bound.
    bound = obj.BestBound() if integer else obj.Value()
    return status, obj.Value(), bound, levels, ship / W, lost / W


def pool_stock_saa(demand_scenarios, holding_cost, lost_sale_cost, transfer_cost, *,
                   integer_levels: bool = False) -> PoolingResult:
    """Pooled order-up-to levels by SAA, and the saving over sizing each node alone.

    `demand_scenarios` (W, n) units per period; `holding_cost` and `lost_sale_cost` per node
    (currency per unit); `transfer_cost` (n, n) extra cost per unit shipped from node i to node
    j's customers, `inf` (or NaN) where not allowed; its diagonal is ignored (local is free).
    """
    start = time.perf_counter()
    D = np.asarray(demand_scenarios, float)
    checks = ArrayChecks()
    if D.ndim != 2 or D.shape[0] < 1 or D.shape[1] < 1:
        checks.add("demand_scenarios", "must be a (scenarios, nodes) array", D.shape)
        checks.raise_if_any()
    n = D.shape[1]
    h = np.broadcast_to(np.asarray(holding_cost, float), (n,))
    p = np.broadcast_to(np.asarray(lost_sale_cost, float), (n,))
    c = np.array(np.broadcast_to(np.asarray(transfer_cost, float), (n, n)))
    checks.require("demand_scenarios", D, lambda a: a >= 0, "must be >= 0 units")
    checks.require("holding_cost", h, lambda a: a > 0, "must be > 0")
    checks.require("lost_sale_cost", p, lambda a: a > 0, "must be > 0")
    off = ~np.eye(n, dtype=bool)
    checks.require("transfer_cost", np.where(np.isnan(c) | ~off, np.inf, c),
                   lambda a: a >= 0, "must be >= 0 (inf where not allowed)")
    checks.raise_if_any()
    c = np.where(np.isnan(c), np.inf, c)
    np.fill_diagonal(c, 0.0)
    alone_c = np.where(off, np.inf, 0.0)

    a_status, a_cost, _, a_levels, _, _ = _solve(D, h, p, alone_c, integer_levels)
    status, cost, bound, levels, ship, lost = _solve(D, h, p, c, integer_levels)
    ok = status != "failed" and a_status != "failed"
    saving = a_cost - cost if ok else np.nan
    return PoolingResult(
        status=(Status.OPTIMAL if status == "optimal" and a_status == "optimal"
                else Status.FEASIBLE if ok else Status.UNKNOWN),
        objective=float(cost), bound=float(bound), time_s=time.perf_counter() - start,
        message=f"SAA over {D.shape[0]} scenarios ({'SCIP MIP' if integer_levels else 'GLOP LP'})",
        order_up_to=levels, alone_order_up_to=a_levels, alone_cost=float(a_cost),
        saving=float(saving), saving_share=float(saving / a_cost) if ok and a_cost > 0 else 0.0,
        expected_shipments=ship, expected_lost_sales=lost,
    )
