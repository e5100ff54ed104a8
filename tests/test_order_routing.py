"""Order routing: exact optimum vs brute force, greedy >= optimal >= LP bound, promises."""

from __future__ import annotations

import dataclasses
import itertools
import math

import numpy as np
import pytest
from hypothesis import HealthCheck, assume, given, settings
from hypothesis import strategies as st

from optimize.errors import InvalidInput
from optimize.geo import haversine_km
from optimize.order_routing import (
    CostModel,
    PromiseRules,
    RoutingInstance,
    flow_from_shipments,
    greedy,
    lp_bound,
    plan_cost,
    plan_violations,
    promise_shortfall,
    solve,
)
from optimize.order_routing.model import LP_BACKENDS, MIP_BACKENDS
from optimize.result import Status

# every test that solves runs on every backend, as tests/test_network.py does for coverage
mip_backends = pytest.mark.parametrize("backend", MIP_BACKENDS)
lp_backends = pytest.mark.parametrize("lp_backend", LP_BACKENDS)
# each MIP backend beside an LP backend, so a test over both meets every one of each
BACKEND_PAIRS = list(zip(MIP_BACKENDS, LP_BACKENDS, strict=True))

COST = CostModel(per_shipment_fixed=4.0, per_shipment_per_km=0.01, per_unit_per_km=0.002,
                 unfilled_unit_penalty=9.0)


def make(stock, capacity, orders, *, node_xy=None, cost=COST, **extra) -> RoutingInstance:
    """Instance from small lists: orders = [(lat, lon, {sku_index: qty}), ...]."""
    stock = np.asarray(stock)
    n = stock.shape[0]
    node_xy = node_xy or [(0.0, 3.0 * i) for i in range(n)]
    line_order, line_sku, line_qty = [], [], []
    for o, (_, _, lines) in enumerate(orders):
        for k, q in sorted(lines.items()):
            line_order.append(o)
            line_sku.append(k)
            line_qty.append(q)
    return RoutingInstance(
        node_ids=tuple(f"N{i}" for i in range(n)), node_lat=[p[0] for p in node_xy],
        node_lon=[p[1] for p in node_xy], capacity_units=capacity,
        sku_ids=tuple("ABCDEFGH"[: stock.shape[1]]), stock=stock,
        order_ids=tuple(f"O{o}" for o in range(len(orders))),
        order_lat=[o[0] for o in orders], order_lon=[o[1] for o in orders],
        line_order=line_order, line_sku=line_sku, line_qty=line_qty, cost=cost, **extra)


def brute_force(inst: RoutingInstance) -> float:
    """Cheapest feasible plan by trying every integral split of every line over the nodes."""
    per_line = []
    for q in inst.line_qty:
        # units from each node; the rest of the line is unfilled
        per_line.append([c for c in itertools.product(range(q + 1), repeat=inst.n_nodes)
                         if sum(c) <= q])
    best = math.inf
    for combo in itertools.product(*per_line):
        flow = np.array(combo, dtype=np.int64).reshape(inst.n_lines, inst.n_nodes)
        if not plan_violations(inst, flow):
            best = min(best, plan_cost(inst, flow))
    return best


def check_result(inst: RoutingInstance, r) -> None:
    """The reported plan is feasible, consistent and costs what it says."""
    assert plan_violations(inst, r.flow) == []
    assert r.objective == pytest.approx(plan_cost(inst, r.flow), rel=1e-9, abs=1e-9)
    rebuilt = flow_from_shipments(inst, [(s.order, s.node, s.units) for s in r.shipments])
    np.testing.assert_array_equal(rebuilt, r.flow)
    assert all(all(u > 0 for u in s.units.values()) for s in r.shipments)
    unfilled = {(u.order, u.sku): u.units for u in r.unfilled}
    for line in range(inst.n_lines):
        key = (inst.order_ids[inst.line_order[line]], inst.sku_ids[inst.line_sku[line]])
        assert unfilled.get(key, 0) == inst.line_qty[line] - r.flow[line].sum()
    nodes_per_order = {}
    for s in r.shipments:
        nodes_per_order.setdefault(s.order, set()).add(s.node)
    assert r.split_orders == sum(len(v) > 1 for v in nodes_per_order.values())


def test_cost_of_a_hand_worked_plan():
    # two nodes on the equator; one order at node 1's position wanting 2 A and 1 B
    inst = make([[5, 0], [1, 5]], [10, 10], [(0.0, 3.0, {0: 2, 1: 1})])
    flow = np.array([[1, 1], [0, 1]])  # A: one from each node, B from node 1
    d01 = float(haversine_km(0.0, 0.0, 0.0, 3.0))
    want = (4.0 + 0.01 * d01) + 4.0 + 0.002 * d01 * 1
    assert plan_cost(inst, flow) == pytest.approx(want)
    half = np.array([[1, 0], [0, 0]])  # one A from node 0, the rest unfilled
    assert plan_cost(inst, half) == pytest.approx(4.0 + 0.01 * d01 + 0.002 * d01 + 2 * 9.0)


@mip_backends
def test_optimal_splits_only_when_it_pays(backend):
    # the near node lacks B: shipping B from the far node costs less than leaving it unfilled
    inst = make([[3, 0], [3, 3]], [10, 10], [(0.0, 0.0, {0: 1, 1: 1})])
    r = solve(inst, 10, backend=backend)
    assert r.status is Status.OPTIMAL
    check_result(inst, r)
    assert r.objective == pytest.approx(brute_force(inst))


@pytest.mark.parametrize(("backend", "lp_backend"), BACKEND_PAIRS)
def test_stock_contention_makes_greedy_worse_than_optimal(backend, lp_backend):
    # O0 is at node 0 and node 1 alike; greedy gives it node 0's only unit, which O1 needs
    inst = make([[1], [1]], [5, 5], [(0.0, 1.5, {0: 1}), (0.0, 0.0, {0: 1})],
                node_xy=[(0.0, 1.4), (0.0, 1.6)])
    inst = make([[1], [1]], [5, 5], [(0.0, 1.49, {0: 1}), (0.0, 0.0, {0: 1})],
                node_xy=[(0.0, 1.0), (0.0, 2.0)])
    g, r = greedy(inst), solve(inst, 10, backend=backend)
    lp = lp_bound(inst, backend=lp_backend)
    assert g.objective > r.objective + 1.0
    assert r.objective == pytest.approx(brute_force(inst))
    assert lp.bound <= r.objective + 1e-9


@mip_backends
def test_capacity_binds(backend):
    inst = make([[5], [5]], [1, 5], [(0.0, 0.0, {0: 1}), (0.0, 0.1, {0: 1})])
    r = solve(inst, 10, backend=backend)
    check_result(inst, r)
    assert r.flow[:, 0].sum() <= 1
    assert r.objective == pytest.approx(brute_force(inst))


@st.composite
def small_instances(draw, promises: bool = True):
    n = draw(st.integers(1, 3))
    k = draw(st.integers(1, 2))
    m = draw(st.integers(1, 3))
    stock = draw(st.lists(st.lists(st.integers(0, 3), min_size=k, max_size=k),
                          min_size=n, max_size=n))
    capacity = draw(st.lists(st.integers(0, 4), min_size=n, max_size=n))
    coord = st.floats(-4.0, 4.0, allow_nan=False)
    orders = []
    for _ in range(m):
        skus = draw(st.sets(st.integers(0, k - 1), min_size=1, max_size=min(k, 2)))
        lines = {s: draw(st.integers(1, 2)) for s in sorted(skus)}
        orders.append((draw(coord), draw(coord), lines))
    node_xy = [(draw(coord), draw(coord)) for _ in range(n)]
    cost = CostModel(per_shipment_fixed=draw(st.sampled_from([0.0, 2.0, 6.0])),
                     per_shipment_per_km=draw(st.sampled_from([0.0, 0.01])),
                     per_unit_per_km=draw(st.sampled_from([0.0, 0.005])),
                     unfilled_unit_penalty=draw(st.sampled_from([1.0, 5.0, 30.0])),
                     late_shipment_penalty=draw(st.sampled_from([0.0, 3.0])))
    extra = {}
    if promises and draw(st.booleans()):
        extra["promise_days"] = draw(st.lists(st.sampled_from([math.nan, 1.0, 2.0]),
                                              min_size=m, max_size=m))
        extra["promise"] = PromiseRules(km_per_transit_day=300.0)
    return make(stock, capacity, orders, node_xy=node_xy, cost=cost, **extra)


@mip_backends
@settings(max_examples=25, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(small_instances())
def test_optimum_equals_exhaustive_enumeration(backend, inst):
    r = solve(inst, 20, backend=backend)
    assert r.status is Status.OPTIMAL
    check_result(inst, r)
    assert r.objective == pytest.approx(brute_force(inst), rel=1e-7, abs=1e-7)


@pytest.mark.parametrize(("backend", "lp_backend"), BACKEND_PAIRS)
@settings(max_examples=30, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(small_instances())
def test_greedy_at_least_optimal_at_least_lp_bound(backend, lp_backend, inst):
    g, r = greedy(inst), solve(inst, 20, backend=backend)
    lp = lp_bound(inst, backend=lp_backend)
    for res in (g, r, lp):
        check_result(inst, res)
    tol = 1e-7 * max(1.0, r.objective)
    assert g.objective >= r.objective - tol
    assert r.objective >= lp.bound - tol
    assert r.bound <= r.objective + tol
    assert lp.objective >= r.objective - tol  # the LP's rounded plan is a plan too


@mip_backends
@settings(max_examples=15, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(small_instances(promises=False))
def test_lp_guided_strategy_never_beats_the_optimum(backend, inst):
    exact = solve(inst, 20, strategy="full", backend=backend)
    guided = solve(inst, 20, strategy="lp-guided", backend=backend)
    check_result(inst, guided)
    tol = 1e-7 * max(1.0, exact.objective)
    assert guided.objective >= exact.objective - tol
    assert guided.bound <= exact.objective + tol
    if guided.status is Status.OPTIMAL:
        assert guided.objective == pytest.approx(exact.objective, rel=1e-7, abs=1e-7)


@settings(max_examples=15, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(small_instances(promises=False))
def test_highs_mip_through_scipy_agrees_with_scip(inst):
    highs, scip = solve(inst, 20, strategy="full"), solve(inst, 20, strategy="full",
                                                             backend="scip")
    for res in (highs, scip):
        check_result(inst, res)
        assert res.status is Status.OPTIMAL
        assert res.bound <= res.objective + 1e-7 * max(1.0, res.objective)
    assert highs.objective == pytest.approx(scip.objective, rel=1e-7, abs=1e-7)


@settings(max_examples=30, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(small_instances(promises=False), st.data())
def test_stock_dual_is_a_subgradient_of_the_lp_bound(inst, data):
    # the LP value is convex in the stock: v(stock + e) >= v(stock) - dual
    lp = lp_bound(inst)
    n = data.draw(st.integers(0, inst.n_nodes - 1))
    k = data.draw(st.integers(0, len(inst.sku_ids) - 1))
    # the model tightens arc bounds by stock (min(qty, stock)); where no line of the SKU asks
    # more than the stock, one more unit leaves the model's matrix unchanged
    assume(inst.stock[n, k] >= inst.line_qty[inst.line_sku == k].max(initial=1))
    stock = inst.stock.copy()
    stock[n, k] += 1
    more = dataclasses.replace(inst, stock=stock)
    assert lp_bound(more).bound >= lp.bound - lp.stock_dual[n, k] - 1e-6
    assert (lp.stock_dual >= 0).all() and (lp.capacity_dual >= 0).all()


def test_highs_lp_gives_the_bound_but_marks_its_duals_unavailable():
    inst = make([[1, 2], [2, 0]], [9, 9], [(0.0, 2.9, {0: 1, 1: 1}), (0.5, 1.0, {0: 2})])
    glop, highs = lp_bound(inst), lp_bound(inst, backend="highs")
    assert highs.bound == pytest.approx(glop.bound, rel=1e-9)
    assert np.isfinite(glop.stock_dual).all()
    # a consumer of the duals (the look-ahead's stock prices) must not mistake them for 0
    assert np.isnan(highs.stock_dual).all() and np.isnan(highs.capacity_dual).all()


def test_greedy_ships_whole_orders_from_the_cheapest_single_node():
    inst = make([[2, 2], [2, 2]], [9, 9], [(0.0, 2.9, {0: 1, 1: 1})])
    g = greedy(inst)
    assert [(s.node, s.units) for s in g.shipments] == [("N1", {"A": 1, "B": 1})]


# -- promises and cut-offs -------------------------------------------------------------------

def test_cutoff_makes_a_node_late():
    # both nodes 1 day away; O0 placed at 15:00 misses node 0's 14:00 cut-off
    inst = make([[1], [1]], [5, 5], [(0.0, 0.0, {0: 1})], promise_days=[1.0],
                placed_hour=[15.0], cutoff_hour=[14.0, 18.0], transit_days=[[1.0, 1.0]])
    np.testing.assert_array_equal(inst.late, [[True, False]])


@mip_backends
def test_late_penalty_moves_the_order_to_an_on_time_node(backend):
    base = dict(promise_days=[1.0], transit_days=[[2.0, 1.0]])
    cheap = make([[1], [1]], [5, 5], [(0.0, 0.0, {0: 1})], **base)
    assert solve(cheap, 10, backend=backend).shipments[0].node == "N0"
    cost = CostModel(**{**COST.__dict__, "late_shipment_penalty": 50.0})
    paid = make([[1], [1]], [5, 5], [(0.0, 0.0, {0: 1})], cost=cost, **base)
    r = solve(paid, 10, backend=backend)
    assert r.shipments[0].node == "N1"
    assert r.objective == pytest.approx(brute_force(paid))


@mip_backends
def test_hard_promise_is_met_in_full_when_possible(backend):
    inst = make([[5], [5]], [5, 5], [(0.0, 0.0, {0: 2}), (0.0, 3.0, {0: 1})],
                promise_days=[1.0, math.nan], transit_days=[[3.0, 1.0], [1.0, 1.0]],
                promise=PromiseRules(hard=True))
    r = solve(inst, 10, backend=backend)
    check_result(inst, r)
    assert r.status is Status.OPTIMAL
    assert [s.node for s in r.shipments if s.order == "O0"] == ["N1"]


@pytest.mark.parametrize(("backend", "lp_backend"), BACKEND_PAIRS)
def test_infeasible_hard_promise_names_the_orders(backend, lp_backend):
    # O1 has no on-time node; O0 and O2 compete for node 1's single unit
    inst = make([[5], [1]], [5, 5],
                [(0.0, 0.0, {0: 1}), (0.0, 0.0, {0: 1}), (0.0, 0.0, {0: 1}), (0.0, 0.0, {0: 1})],
                promise_days=[1.0, 1.0, 1.0, math.nan],
                transit_days=[[2.0, 1.0], [2.0, 2.0], [2.0, 1.0], [2.0, 2.0]],
                promise=PromiseRules(hard=True))
    for r in (solve(inst, backend=backend), lp_bound(inst, backend=lp_backend)):
        assert r.status is Status.INFEASIBLE
        assert "O1" in r.unmet_promise_orders
        assert len(r.unmet_promise_orders) == 2  # O1 and one of O0 / O2
        assert set(r.unmet_promise_orders) - {"O1"} <= {"O0", "O2"}
        assert "O1: no node delivers within its 1-day promise" in r.message
        assert math.isnan(r.objective)
    assert set(promise_shortfall(inst)) == set(solve(inst).unmet_promise_orders)
    assert greedy(inst).status is Status.UNKNOWN


# -- in-memory construction errors ----------------------------------------------------------

def test_array_construction_names_bad_fields():
    with pytest.raises(InvalidInput) as err:
        make([[1, -2], [0, 0]], [5, -1], [(0.0, 0.0, {0: 0})])
    paths = {p.path for p in err.value.problems}
    assert {"nodes[0].stock.B", "nodes[1].capacity_units", "orders[0].lines.A"} <= paths
    with pytest.raises(InvalidInput, match="shape"):
        dataclasses.replace(make([[1]], [1], []), stock=np.zeros((2, 1)))


@pytest.mark.parametrize(("backend", "lp_backend"), BACKEND_PAIRS)
def test_empty_batch_is_trivially_optimal(backend, lp_backend):
    inst = make([[1]], [1], [])
    for r in (solve(inst, backend=backend), lp_bound(inst, backend=lp_backend)):
        assert r.status is Status.OPTIMAL and r.objective == 0.0 and r.shipments == ()
