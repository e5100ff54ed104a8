"""The exact model as sparse arrays, solved by an OR-Tools MIP/LP backend (model_builder).

Variables: y[p] in {0, 1} per candidate shipment p = (order, node); x[a] >= 0 units per
arc a = (line, node); u[l] >= 0 unfilled units per line. Rows: x + u = qty per line;
x <= stock per (node, SKU); x <= capacity per node; x[a] <= ub[a] * y[p(a)]. With y fixed
the rest is a network flow (integral), so only y is declared integer.
"""

from __future__ import annotations

import dataclasses
from dataclasses import dataclass

import numpy as np
import scipy.sparse as sp
from ortools.linear_solver.python import model_builder_helper as mbh
from scipy.optimize import Bounds, LinearConstraint, milp

from optimize.order_routing.instance import RoutingInstance

__all__ = ["LP_BACKENDS", "MIP_BACKENDS", "Model", "ModelSolution", "add_rows", "build_model",
           "solve_model"]

# OR-Tools model_builder engines by name: MIP ("sat" is CP-SAT, which scales the continuous
# unit variables to integers) and LP relaxation ("glop" gives row duals).
MIP_BACKENDS = ("highs", "scip", "sat")
LP_BACKENDS = ("glop", "highs", "pdlp")
# statuses that say the backend gave up (bad model or parameters), not that time ran out
_BROKEN = frozenset({mbh.SolveStatus.ABNORMAL, mbh.SolveStatus.MODEL_INVALID,
                     mbh.SolveStatus.INVALID_SOLVER_PARAMETERS,
                     mbh.SolveStatus.SOLVER_TYPE_UNAVAILABLE,
                     mbh.SolveStatus.INCOMPATIBLE_OPTIONS, mbh.SolveStatus.UNBOUNDED})


@dataclass(frozen=True)
class Model:
    """The model's arrays and the index maps back to the instance."""

    pair_order: np.ndarray
    pair_node: np.ndarray
    arc_line: np.ndarray
    arc_node: np.ndarray
    arc_pair: np.ndarray
    objective: np.ndarray
    var_lb: np.ndarray
    var_ub: np.ndarray
    row_lb: np.ndarray
    row_ub: np.ndarray
    matrix: sp.csr_matrix
    stock_rows: np.ndarray  # [node * n_skus + sku] -> row index, -1 when not binding
    capacity_rows: np.ndarray  # [node] -> row index, -1 when not binding

    @property
    def n_pairs(self) -> int:
        """Number of shipment variables y."""
        return len(self.pair_order)

    @property
    def n_arcs(self) -> int:
        """Number of unit variables x."""
        return len(self.arc_line)


def build_model(inst: RoutingInstance, only_pairs: np.ndarray | None = None) -> Model:
    """Candidate shipments and arcs, bounds, costs and the sparse constraint matrix.

    `only_pairs[order, node]`, when given, restricts the shipments to those pairs.
    """
    n_lines, n_nodes, n_skus = inst.n_lines, inst.n_nodes, len(inst.sku_ids)
    allowed = inst.allowed if only_pairs is None else inst.allowed & only_pairs
    usable = (allowed[inst.line_order] & (inst.stock[:, inst.line_sku].T > 0)
              & (inst.capacity_units[None, :] > 0))
    arc_line, arc_node = np.nonzero(usable)
    pair_key, arc_pair = np.unique(inst.line_order[arc_line] * n_nodes + arc_node,
                                   return_inverse=True)
    pair_order, pair_node = pair_key // n_nodes, pair_key % n_nodes
    arc_sku = inst.line_sku[arc_line]
    arc_ub = np.minimum.reduce([inst.line_qty[arc_line], inst.stock[arc_node, arc_sku],
                                inst.capacity_units[arc_node]])
    n_pairs, n_arcs = len(pair_key), len(arc_line)
    x0, u0 = n_pairs, n_pairs + n_arcs
    n_vars = u0 + n_lines

    objective = np.concatenate([inst.shipment_cost[pair_order, pair_node],
                                inst.line_unit_cost[arc_line, arc_node],
                                np.full(n_lines, inst.cost.unfilled_unit_penalty)])
    var_lb = np.zeros(n_vars)
    unfilled_ub = np.where(inst.hard_order[inst.line_order], 0, inst.line_qty)
    var_ub = np.concatenate([np.ones(n_pairs), arc_ub, unfilled_ub]).astype(float)

    rows, cols, vals, lbs, ubs = [], [], [], [], []
    arcs = np.arange(n_arcs)
    # demand: every line is shipped or unfilled
    rows += [arc_line, np.arange(n_lines)]
    cols += [x0 + arcs, u0 + np.arange(n_lines)]
    vals += [np.ones(n_arcs), np.ones(n_lines)]
    lbs.append(inst.line_qty)
    ubs.append(inst.line_qty)
    next_row = n_lines

    # stock and capacity rows only where the arcs could exceed them (else they never bind)
    def add_limit_rows(key: np.ndarray, limit: np.ndarray) -> np.ndarray:
        """Rows sum(x over arcs with this key) <= limit where they can bind; row per key."""
        nonlocal next_row
        want = np.bincount(key, weights=arc_ub, minlength=len(limit))
        binding = np.flatnonzero(want > limit)
        row_of = np.full(len(limit), -1)
        row_of[binding] = next_row + np.arange(len(binding))
        on = row_of[key] >= 0
        rows.append(row_of[key][on])
        cols.append(x0 + arcs[on])
        vals.append(np.ones(int(on.sum())))
        lbs.append(np.full(len(binding), -np.inf))
        ubs.append(limit[binding])
        next_row += len(binding)
        return row_of

    stock_rows = add_limit_rows(arc_node * n_skus + arc_sku, inst.stock.ravel())
    capacity_rows = add_limit_rows(arc_node, inst.capacity_units)

    # linking: x[a] - ub[a] * y[p(a)] <= 0
    link = next_row + arcs
    rows += [link, link]
    cols += [x0 + arcs, arc_pair]
    vals += [np.ones(n_arcs), -arc_ub.astype(float)]
    lbs.append(np.full(n_arcs, -np.inf))
    ubs.append(np.zeros(n_arcs))
    next_row += n_arcs

    matrix = sp.csr_matrix((np.concatenate(vals), (np.concatenate(rows), np.concatenate(cols))),
                           shape=(next_row, n_vars))
    return Model(pair_order=pair_order, pair_node=pair_node, arc_line=arc_line,
                 arc_node=arc_node, arc_pair=arc_pair, objective=objective, var_lb=var_lb,
                 var_ub=var_ub, row_lb=np.concatenate(lbs).astype(float),
                 row_ub=np.concatenate(ubs).astype(float), matrix=matrix,
                 stock_rows=stock_rows, capacity_rows=capacity_rows)


def add_rows(model: Model, matrix: sp.csr_matrix, row_ub: np.ndarray) -> Model:
    """The model with extra rows `matrix @ v <= row_ub` (cuts) after its own."""
    return dataclasses.replace(
        model, matrix=sp.vstack([model.matrix, matrix], format="csr"),
        row_lb=np.concatenate([model.row_lb, np.full(len(row_ub), -np.inf)]),
        row_ub=np.concatenate([model.row_ub, row_ub]))


@dataclass(frozen=True)
class ModelSolution:
    """What a backend returned: status, values, objective, bound and row duals (LP only);
    `time_limit_hit` when the time limit stopped it before it proved optimality or
    infeasibility."""

    status: mbh.SolveStatus
    values: np.ndarray | None
    objective: float
    bound: float
    duals: np.ndarray | None
    time_limit_hit: bool = False


def solve_model(model: Model, *, integral: bool, backend: str, time_limit_s: float,
                hint_pairs: np.ndarray | None = None, threads: int = 1,
                log: bool = False, params: str = "") -> ModelSolution:
    """Solve the MIP (y integral) or its LP relaxation with an OR-Tools backend by name.

    The HiGHS MIP runs through scipy's HiGHS binding: the OR-Tools 9.15 one drops the plan
    and the dual bound HiGHS holds when the time limit stops it (seen: status unknown, no
    solution, bound 0), which would waste every time-limited MIP round.
    """
    if integral and backend == "highs" and not params:
        return _solve_highs_mip(model, time_limit_s, log)
    helper = mbh.ModelBuilderHelper()
    helper.fill_model_from_sparse_data(model.var_lb, model.var_ub, model.objective,
                                       model.row_lb, model.row_ub, model.matrix)
    if integral:
        for p in range(model.n_pairs):
            helper.set_var_integrality(p, True)
        # the HiGHS interface in ortools 9.15 crashes on solution hints, so none for it
        if hint_pairs is not None and backend != "highs":
            for p in range(model.n_pairs):
                helper.add_hint(p, float(hint_pairs[p]))
    solver = mbh.ModelSolverHelper(backend)
    solver.enable_output(log)
    solver.set_time_limit_in_seconds(time_limit_s)
    if backend == "sat":
        params = f"num_workers:{max(threads, 1)}" + (f",{params}" if params else "")
    if backend == "highs" and not log:
        # HiGHS prints its banner on stdout unless told not to, whatever enable_output says.
        params = "output_flag=false\nlog_to_console=false" + (f"\n{params}" if params else "")
    if params:
        solver.set_solver_specific_parameters(params)
    solver.solve(helper)
    status = solver.status()
    # no other limit is set, so a search that stopped unproven (feasible, or without an
    # answer and without an error) was stopped by the clock
    clock = status not in (mbh.SolveStatus.OPTIMAL, mbh.SolveStatus.INFEASIBLE) and (
        status not in _BROKEN)
    if not solver.has_solution():
        return ModelSolution(status, None, np.nan, np.nan, None, clock)
    values = solver.variable_values()
    bound = solver.best_objective_bound() if integral else solver.objective_value()
    duals = None if integral else solver.dual_values()
    return ModelSolution(status, values, solver.objective_value(), bound, duals, clock)


def _solve_highs_mip(model: Model, time_limit_s: float, log: bool) -> ModelSolution:
    """The MIP by scipy.optimize.milp (HiGHS): keeps the plan and bound at the time limit."""
    integrality = np.zeros(len(model.objective), dtype=np.uint8)
    integrality[: model.n_pairs] = 1
    res = milp(model.objective, integrality=integrality,
               bounds=Bounds(model.var_lb, model.var_ub),
               constraints=LinearConstraint(model.matrix, model.row_lb, model.row_ub),
               options={"time_limit": float(time_limit_s), "disp": bool(log)})
    bound = getattr(res, "mip_dual_bound", np.nan)
    bound = float(bound) if bound is not None and np.isfinite(bound) else np.nan
    # scipy's milp status: 0 optimal, 1 iteration or time limit, 2 infeasible, 3 unbounded,
    # 4 other (numerical trouble); only the time limit is set, so 1 is the clock
    clock = res.status == 1
    if res.status == 2:
        return ModelSolution(mbh.SolveStatus.INFEASIBLE, None, np.nan, np.nan, None)
    if res.x is None:
        status = mbh.SolveStatus.UNKNOWN_STATUS if clock else mbh.SolveStatus.ABNORMAL
        return ModelSolution(status, None, np.nan, bound, None, clock)
    status = mbh.SolveStatus.OPTIMAL if res.status == 0 else mbh.SolveStatus.FEASIBLE
    if status == mbh.SolveStatus.OPTIMAL and np.isnan(bound):
        bound = float(res.fun)
    return ModelSolution(status, np.asarray(res.x), float(res.fun), bound, None, clock)
