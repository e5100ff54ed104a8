"""The solver result contract: every solver returns a validated result with a status on every
path, a time-limit flag distinct from heuristic feasibility, and one JSON form, `to_dict()`."""

from __future__ import annotations

import dataclasses
import importlib
import json
import math
import warnings

import numpy as np
import pytest
from ortools.constraint_solver import pywrapcp
from ortools.linear_solver.python import model_builder_helper as mbh
from typer.testing import CliRunner

import sim.cli.safety_stock_command  # noqa: F401  (registers the command)
from optimize.errors import InvalidInput
from optimize.network import (
    coverage_curve,
    coverage_instance,
    fixed_charge_location,
    max_coverage,
    p_median,
    service_levels,
    set_cover,
)
from optimize.options import SolveOptions, resolve_options
from optimize.order_routing import (
    PromiseRules,
    greedy,
    lp_bound,
    plan_cost,
    plan_violations,
    random_instance,
)
from optimize.order_routing import solve as solve_routing
from optimize.order_routing.flow import FlowFailed
from optimize.order_routing.model import LP_BACKENDS, MIP_BACKENDS, ModelSolution
from optimize.packing import Carton, Item, PackingInstance, pack
from optimize.pick_routing import Layout, batch_orders, route, route_length_m
from optimize.result import SHARED_KEYS, InvalidResult, SolverResult, Status
from optimize.safety_stock import (
    NAMED_NETWORKS,
    order_up_to_levels,
    parse_network,
    plan_spike_prebuild,
    pool_stock_saa,
    random_acyclic_network,
    reorder_point_order_up_to,
    rq_eil,
    rq_exact,
    solve_gsm,
    solve_gsm_cpsat,
    solve_gsm_dp,
    ss_optimal_poisson,
    wagner_whitin,
)
from sim.cli.app import app
from tests.test_order_routing import make

NAN = math.nan
# the module itself: the package's `solve` attribute is the function of the same name
routing_solve = importlib.import_module("optimize.order_routing.solve")


# -- the result validates itself --------------------------------------------------------------

def _result(**changes: object) -> SolverResult:
    fields = dict(status=Status.FEASIBLE, objective=10.0, bound=8.0, time_s=0.5)
    return SolverResult(**{**fields, **changes})


@pytest.mark.parametrize(("changes", "field"), [
    ({"status": "optimal"}, "status"),  # a string, not a Status
    ({"objective": None}, "objective"),
    ({"bound": "n/a"}, "bound"),
    ({"time_s": -0.1}, "time_s"),
    ({"time_s": NAN}, "time_s"),
    ({"objective": NAN}, "objective"),  # feasible without a value
    ({"status": Status.OPTIMAL, "objective": math.inf, "bound": NAN}, "objective"),
    ({"status": Status.OPTIMAL, "objective": 10.0, "bound": 9.0}, "bound"),  # a gap of 10 %
    ({"status": Status.OPTIMAL, "bound": 10.0, "time_limit_hit": True}, "time_limit_hit"),
    ({"status": Status.INFEASIBLE, "objective": NAN, "time_limit_hit": True},
     "time_limit_hit"),
    ({"time_limit_hit": 1}, "time_limit_hit"),
    ({"message": None}, "message"),
])
def test_an_inconsistent_result_cannot_be_built(changes, field):
    with pytest.raises(InvalidResult) as err:
        _result(**changes)
    assert field in {p.path for p in err.value.problems}


def test_consistent_results_build_and_numpy_numbers_become_floats():
    r = _result(objective=np.float64(10.0), bound=np.int64(8), time_limit_hit=np.bool_(True))
    assert type(r.objective) is float and type(r.bound) is float
    assert r.time_limit_hit is True and r.gap == pytest.approx(0.2)
    assert math.isnan(_result(status=Status.UNKNOWN, objective=NAN, bound=NAN).gap)
    # within the relative tolerance an optimal bound may differ by solver rounding
    assert _result(status=Status.OPTIMAL, objective=1e6, bound=1e6 - 1.0).optimal


def test_subclass_results_validate_too():
    with pytest.raises(InvalidResult, match="time_s"):
        route(Layout(4, 10.0, 3.0), np.array([[1, 2.0]])).__class__(
            status=Status.OPTIMAL, objective=1.0, bound=1.0, time_s=-1.0)


# -- SolveOptions -----------------------------------------------------------------------------

@pytest.mark.parametrize(("kwargs", "field"), [
    ({"time_limit_s": -1.0}, "time_limit_s"), ({"time_limit_s": NAN}, "time_limit_s"),
    ({"threads": 0}, "threads"), ({"threads": True}, "threads"), ({"threads": 1.5}, "threads"),
    ({"backend": ""}, "backend"), ({"log": "yes"}, "log"),
])
def test_solve_options_name_a_bad_field(kwargs, field):
    with pytest.raises(InvalidInput) as err:
        SolveOptions(**kwargs)
    assert [p.path for p in err.value.problems] == [field]


def test_keywords_override_options_override_defaults():
    defaults = SolveOptions(time_limit_s=60.0, backend="highs")
    assert resolve_options(None, defaults) == defaults
    opts = SolveOptions(threads=4, log=True)  # no time limit or backend: the defaults stay
    assert resolve_options(opts, defaults) == SolveOptions(60.0, 4, "highs", True)
    assert resolve_options(opts, defaults, time_limit_s=5.0, backend="scip", threads=2) == (
        SolveOptions(5.0, 2, "scip", True))
    with pytest.raises(dataclasses.FrozenInstanceError):
        opts.threads = 8  # type: ignore[misc]


def test_options_reach_the_solvers():
    inst = make([[3, 0], [3, 3]], [10, 10], [(0.0, 0.0, {0: 1, 1: 1})])
    r = solve_routing(inst, options=SolveOptions(time_limit_s=10.0, backend="scip"))
    assert r.status is Status.OPTIMAL and r.message.startswith("scip")
    # an explicit keyword wins over the options
    r = solve_routing(inst, backend="sat", options=SolveOptions(backend="scip"))
    assert r.message.startswith("sat")
    with pytest.raises(InvalidInput, match="backend"):
        solve_routing(inst, options=SolveOptions(backend="glop"))  # an LP engine, not a MIP
    with pytest.raises(InvalidInput, match="backend"):
        lp_bound(inst, backend="scip")
    with pytest.raises(InvalidInput, match="strategy"):
        solve_routing(inst, strategy="fastest")
    with pytest.raises(InvalidInput, match=r"options\.backend"):
        route(Layout(4, 10.0, 3.0), np.array([[1, 2.0]]), options=SolveOptions(backend="x"))
    with pytest.raises(InvalidInput, match="solver"):
        solve_gsm(parse_network(NAMED_NETWORKS["example_6_5"]), options=SolveOptions(
            backend="simplex"))
    tree = parse_network(NAMED_NETWORKS["example_6_5"])
    assert solve_gsm(tree, options=SolveOptions(backend="cpsat")).message.startswith("CP-SAT")


# -- a time limit gives the time-limit flag and a status, never a raise ------------------------

@pytest.fixture(scope="module")
def big_routing():
    """7,600 candidate shipments: HiGHS needs far more than a second to prove it."""
    return random_instance(1500, seed=1)


@pytest.mark.parametrize("backend", MIP_BACKENDS)
def test_order_routing_stopped_by_the_clock_keeps_its_best_plan(big_routing, backend):
    r = solve_routing(big_routing, 0.3, backend=backend, strategy="full")
    assert r.status is Status.FEASIBLE and r.time_limit_hit
    assert plan_violations(big_routing, r.flow) == []
    assert r.objective == pytest.approx(plan_cost(big_routing, r.flow))
    assert "time limit" in r.message


def test_order_routing_with_no_time_returns_the_greedy_plan_flagged(big_routing):
    r = solve_routing(big_routing, 0.0, strategy="full")
    g = greedy(big_routing)
    assert r.status is Status.FEASIBLE and r.time_limit_hit and math.isnan(r.bound)
    assert r.objective == pytest.approx(g.objective)
    # the greedy heuristic's own answer is feasible too, but not stopped by any clock
    assert g.status is Status.FEASIBLE and not g.time_limit_hit


@pytest.mark.parametrize("backend", LP_BACKENDS)
def test_lp_bound_stopped_by_the_clock_returns_a_plan_without_bound(big_routing, backend):
    r = lp_bound(big_routing, 0.001, backend=backend)
    assert r.status is Status.FEASIBLE and r.time_limit_hit
    assert math.isnan(r.bound) and np.isnan(r.stock_dual).all()
    assert r.stock_dual.shape == big_routing.stock.shape
    assert plan_violations(big_routing, r.flow) == []


def test_pick_routing_search_is_flagged_and_heuristics_are_not():
    rng = np.random.default_rng(0)
    layout = Layout(12, 30.0, 3.0, n_cross_aisles=3)
    picks = np.column_stack([rng.integers(0, 12, 40), rng.uniform(0.5, 29.5, 40)])
    for method in ("ortools", "optimal"):  # 40 picks on three blocks: no exact method
        r = route(layout, picks, method, time_limit_s=0.05)
        assert r.status is Status.FEASIBLE and r.time_limit_hit and not r.optimal
        assert len(r.sequence) == 40
    s = route(layout, picks, "s_shape")
    assert s.status is Status.FEASIBLE and not s.time_limit_hit
    exact = route(Layout(12, 30.0, 3.0), picks, "optimal")
    assert exact.optimal and not exact.time_limit_hit


@pytest.mark.parametrize("backend", ["highs", "scip", "cp_sat"])
def test_network_mips_stopped_by_the_clock_are_flagged(backend):
    rng = np.random.default_rng(0)
    d = rng.uniform(0, 100, (3000, 150))
    w = rng.integers(1, 1000, 3000).astype(float)
    inst = coverage_instance(d, w, service_levels(max_km=12.0))
    r = max_coverage(inst, 10, options=SolveOptions(time_limit_s=0.02, backend=backend))
    assert r.status in (Status.FEASIBLE, Status.UNKNOWN) and r.time_limit_hit
    assert "time limit" in r.message
    curve = coverage_curve(inst, [9, 10], backend=backend, time_limit_s=0.02)
    assert curve.time_limit_hit and curve.status in (Status.FEASIBLE, Status.UNKNOWN)
    loc = p_median(d[:1500, :100], w[:1500], 8, backend=backend if backend != "cp_sat"
                   else "highs", time_limit_s=0.02)
    assert loc.status in (Status.FEASIBLE, Status.UNKNOWN) and loc.time_limit_hit


def test_network_proven_results_are_not_flagged():
    rng = np.random.default_rng(1)
    d = rng.uniform(0, 100, (40, 6))
    inst = coverage_instance(d, np.ones(40), service_levels(max_km=30.0))
    r = max_coverage(inst, 2, time_limit_s=30.0)
    assert r.optimal and not r.time_limit_hit


def test_gsm_cpsat_stopped_by_the_clock_is_flagged():
    net = random_acyclic_network(200, seed=3)
    assert not net.is_forest
    for r in (solve_gsm_cpsat(net, time_limit_s=0.001),
              solve_gsm(net, options=SolveOptions(time_limit_s=0.001))):
        assert r.status in (Status.FEASIBLE, Status.UNKNOWN) and r.time_limit_hit
        assert "time limit" in r.message
    proven = solve_gsm_cpsat(random_acyclic_network(8, seed=3), time_limit_s=30.0)
    assert proven.optimal and not proven.time_limit_hit


def test_safety_stock_cli_reports_a_timed_out_network_without_crashing(tmp_path):
    net = random_acyclic_network(200, seed=3)
    nodes = [{k: v for k, v in dataclasses.asdict(n).items() if v is not None}
             for n in net.nodes]
    path = tmp_path / "net.json"
    path.write_text(json.dumps({"nodes": nodes, "edges": [list(e) for e in net.edges]}))
    runner = CliRunner()
    for extra in ([], ["--json"]):
        res = runner.invoke(app, ["safety-stock", str(path), "--solver", "cpsat",
                                  "--time-limit", "0.001", *extra])
        # exit 1 for an unsolved network, by the command's own exit rather than an error
        assert res.exit_code == 1, res.output
        assert res.exception is None or isinstance(res.exception, SystemExit), res.exception
        assert "time limit" in res.output
    out = json.loads(res.stdout)
    assert out["time_limit_hit"] is True and out["status"] in ("feasible", "unknown")


# -- the two order-routing paths that raised, and the other failures, return a status ----------

def _small():
    return make([[3, 1], [3, 3]], [10, 10], [(0.0, 0.0, {0: 1, 1: 1}), (0.0, 2.0, {0: 2})])


def test_mip_reporting_a_feasible_instance_infeasible_returns_the_greedy_plan(monkeypatch):
    # formerly RuntimeError("MIP backend reported infeasible on a feasible instance")
    def infeasible(*args, **kwargs):
        return ModelSolution(mbh.SolveStatus.INFEASIBLE, None, NAN, NAN, None)

    monkeypatch.setattr(routing_solve, "solve_model", infeasible)
    inst = _small()
    for strategy in ("full", "lp-guided"):
        r = solve_routing(inst, 10, strategy=strategy)
        assert r.status is Status.FEASIBLE and not r.time_limit_hit
        assert r.objective == pytest.approx(greedy(inst).objective)
        assert plan_violations(inst, r.flow) == []
    assert "infeasible" in solve_routing(inst, 10, strategy="full").message


def test_lp_not_solved_returns_the_greedy_plan_without_bound(monkeypatch):
    # formerly RuntimeError("LP relaxation not solved: ...")
    def abnormal(*args, **kwargs):
        return ModelSolution(mbh.SolveStatus.ABNORMAL, None, NAN, NAN, None)

    monkeypatch.setattr(routing_solve, "solve_model", abnormal)
    inst = _small()
    r = lp_bound(inst, 10)
    assert r.status is Status.FEASIBLE and not r.time_limit_hit
    assert math.isnan(r.bound) and np.isnan(r.stock_dual).all() and np.isnan(
        r.capacity_dual).all()
    assert "not solved (abnormal)" in r.message
    assert r.objective == pytest.approx(greedy(inst).objective)


def test_a_failing_min_cost_flow_is_noted_not_raised(monkeypatch):
    def fail(*args, **kwargs):
        raise FlowFailed("min-cost flow failed with status 5")

    monkeypatch.setattr(routing_solve, "units_for_shipments", fail)
    inst = _small()
    r = solve_routing(inst, 10, strategy="full")
    assert r.status in (Status.OPTIMAL, Status.FEASIBLE) and "min-cost flow failed" in r.message
    assert plan_violations(inst, r.flow) == []
    lp = lp_bound(inst, 10)
    assert lp.status is Status.FEASIBLE and "min-cost flow failed" in lp.message
    monkeypatch.setattr(routing_solve, "max_hard_fill", fail)
    hard = make([[1]], [1], [(0.0, 0.0, {0: 1})], promise_days=[1.0],
                promise=PromiseRules(hard=True))
    unknown = solve_routing(hard, 10)
    assert unknown.status is Status.UNKNOWN and "not checked" in unknown.message


def test_pick_routing_without_a_tour_from_ortools_falls_back(monkeypatch):
    monkeypatch.setattr(pywrapcp.RoutingModel, "SolveWithParameters",
                        lambda self, params: None)
    picks = np.array([[1, 2.0], [3, 8.0], [5, 4.0], [7, 9.0]])
    layout = Layout(10, 10.0, 3.0)
    r = route(layout, picks, "ortools", time_limit_s=0.01)
    assert r.status is Status.FEASIBLE and "nearest-neighbour" in r.message
    assert sorted(map(tuple, r.sequence)) == sorted(map(tuple, picks))
    assert route_length_m(layout, picks, "ortools") == pytest.approx(r.length_m)


# -- one JSON form -----------------------------------------------------------------------------

def _every_result() -> list[SolverResult]:
    """One result of every solver result type, from its solver."""
    inst = _small()
    layout = Layout(10, 20.0, 3.0)
    lists = [np.array([[1, 2.0], [3, 8.0]]), np.array([[5, 4.0]]), np.array([[7, 9.0]])]
    rng = np.random.default_rng(2)
    d = rng.uniform(0, 100, (30, 5))
    w = rng.uniform(1, 5, 30)
    cov = coverage_instance(d, w, service_levels(max_km=40.0))
    tree = parse_network(NAMED_NETWORKS["example_6_5"])
    return [
        solve_routing(inst, 10), greedy(inst), lp_bound(inst),
        route(layout, lists[0], "optimal"), batch_orders(layout, lists, capacity_orders=2,
                                                         method="fcfs"),
        max_coverage(cov, 2), set_cover(cov, 0.5), coverage_curve(cov, [1, 2]),
        p_median(d, w, 2), fixed_charge_location(d, w, np.full(5, 10.0), capacity=np.full(5, 60)),
        solve_gsm_dp(tree), solve_gsm_cpsat(random_acyclic_network(6, seed=1)),
        order_up_to_levels(np.array([10.0, 20.0]), 3.0, 5.0, 1.0, 7, 0.95),
        reorder_point_order_up_to(10.0, 3.0, 5.0, 1.0, 7, 50.0, 0.95),
        wagner_whitin([10, 0, 20, 5], 30.0, 1.0),
        pool_stock_saa(np.abs(rng.normal(10, 3, (50, 2))), 1.0, 9.0, 2.0),
        rq_eil(1.0, 10.0, 50.0, 100.0, 10.0, 2.0), rq_exact(1.0, 10.0, 50.0, 100.0, 10.0, 2.0),
        plan_spike_prebuild(100, 30, 40, 20, 5, 3.0, 7, 0.95, n_paths=50, seed=1),
        ss_optimal_poisson(1.0, 10.0, 20.0, 5.0, 1),
        pack(PackingInstance((Carton("S", (30, 20, 10), 10, 0.45),),
                             (Item("A", (10, 10, 10), 1.0, 2),), 5000.0, 0.9)),
        _staffing_plan(),
    ]


def _staffing_plan():
    from optimize.staffing import StaffingProblem, StationLoad, solve_staffing

    station = StationLoad(name="s", pre_h=(10.0, 4.0), post_h=(2.0, 0.0), works=(True, True),
                          ships=(True, True), hours_before_pickup=8.0, hours_after_pickup=8.0)
    return solve_staffing(StaffingProblem(stations=(station,), wage=20.0))


def _all_result_types() -> set[type]:
    found, todo = set(), [SolverResult]
    while todo:
        for sub in todo.pop().__subclasses__():
            if sub.__module__.startswith("optimize.") and sub not in found:
                found.add(sub)
                todo.append(sub)
    return found


def test_every_solver_result_serialises_by_to_dict_with_the_shared_keys():
    results = _every_result()
    assert {type(r) for r in results} == _all_result_types()  # no result type left out
    for r in results:
        out = r.to_dict()
        text = json.dumps(out, allow_nan=False)  # strict JSON: no NaN or Infinity
        assert set(SHARED_KEYS) <= set(out), type(r).__name__
        back = json.loads(text)
        assert back["status"] == str(r.status) and back["time_limit_hit"] == r.time_limit_hit
        assert back["time_s"] == r.time_s and back["message"] == r.message
        for key in ("objective", "bound", "gap"):
            value = getattr(r, key)
            assert back[key] == (value if math.isfinite(value) else None), (type(r), key)


def test_json_of_a_failed_solve_is_strict_json():
    hard = make([[5], [1]], [5, 5], [(0.0, 0.0, {0: 1}), (0.0, 0.0, {0: 1})],
                promise_days=[1.0, 1.0], transit_days=[[2.0, 2.0], [2.0, 1.0]],
                promise=PromiseRules(hard=True))
    r = solve_routing(hard)
    assert r.status is Status.INFEASIBLE
    out = json.loads(json.dumps(r.to_dict(), allow_nan=False))
    assert out["objective"] is None and out["gap"] is None and out["unmet_promise_orders"]


def test_old_serialisation_names_are_deprecated_aliases():
    r = solve_routing(_small(), 10)
    g = solve_gsm_dp(parse_network(NAMED_NETWORKS["example_6_5"]))
    for res in (r, g):
        with pytest.warns(DeprecationWarning, match="to_dict"):
            old = res.to_json()
        assert old == res.to_dict()
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        lv = order_up_to_levels(10.0, 3.0, 5.0, 1.0, 7, 0.95)
        assert len(lv.to_frame()) == 1  # the DataFrame view stays, not deprecated
