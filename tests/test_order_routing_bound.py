"""Order routing bounds: flow cover cuts hold for every plan and lift the LP bound."""

from __future__ import annotations

import itertools

import numpy as np
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from optimize.order_routing import CostModel, RoutingInstance, plan_cost, solve
from optimize.order_routing.cuts import flow_cover_cuts
from optimize.order_routing.model import (
    LP_BACKENDS,
    MIP_BACKENDS,
    Model,
    add_rows,
    build_model,
    solve_model,
)
from optimize.result import Status
from tests.test_order_routing import check_result, make


def all_plans(inst: RoutingInstance) -> np.ndarray:
    """Every feasible plan, flow[plan, line, node]: each integral split of each line."""
    per_line = [[c for c in itertools.product(range(q + 1), repeat=inst.n_nodes) if sum(c) <= q]
                for q in inst.line_qty]
    flows = np.array(list(itertools.product(*per_line)), dtype=np.int64)
    flows = flows.reshape(len(flows), inst.n_lines, inst.n_nodes)
    used = np.zeros((len(flows), *inst.stock.shape), dtype=np.int64)
    for line, sku in enumerate(inst.line_sku):
        used[:, :, sku] += flows[:, line, :]
    ok = (used <= inst.stock).all(axis=(1, 2))
    ok &= (flows.sum(axis=1) <= inst.capacity_units).all(axis=1)
    return flows[ok]


def plan_vectors(inst: RoutingInstance, model: Model, flows: np.ndarray) -> np.ndarray:
    """The model's variables (y, x, u) for each plan, one row per plan."""
    units = np.zeros((len(flows), inst.n_orders, inst.n_nodes), dtype=np.int64)
    for line, order in enumerate(inst.line_order):
        units[:, order, :] += flows[:, line, :]
    y = (units[:, model.pair_order, model.pair_node] > 0).astype(float)
    x = flows[:, model.arc_line, model.arc_node].astype(float)
    u = (inst.line_qty - flows.sum(axis=2)).astype(float)
    # a plan using an arc the model lacks (no stock there) is infeasible, so never here
    return np.hstack([y, x, u])


@st.composite
def tight_instances(draw) -> RoutingInstance:
    """Up to 4 lines of 1-3 units over 2 nodes with little stock: covers are common."""
    k = draw(st.integers(1, 2))
    stock = draw(st.lists(st.lists(st.integers(0, 4), min_size=k, max_size=k),
                          min_size=2, max_size=2))
    capacity = draw(st.lists(st.integers(1, 6), min_size=2, max_size=2))
    coord = st.floats(-3.0, 3.0, allow_nan=False)
    orders, lines = [], 0
    while lines < 4 and (not orders or draw(st.booleans())):
        skus = draw(st.sets(st.integers(0, k - 1), min_size=1, max_size=min(k, 4 - lines)))
        orders.append((draw(coord), draw(coord), {s: draw(st.integers(1, 3)) for s in skus}))
        lines += len(skus)
    cost = CostModel(per_shipment_fixed=draw(st.sampled_from([2.0, 6.0])),
                     per_shipment_per_km=0.01, per_unit_per_km=0.002,
                     unfilled_unit_penalty=draw(st.sampled_from([5.0, 30.0])))
    node_xy = [(draw(coord), draw(coord)) for _ in range(2)]
    return make(stock, capacity, orders, node_xy=node_xy, cost=cost)


@settings(max_examples=60, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(tight_instances(), st.randoms(use_true_random=False))
def test_every_plan_satisfies_every_flow_cover_cut(inst, rnd):
    model = build_model(inst)
    vectors = plan_vectors(inst, model, all_plans(inst))
    # cuts separated at the LP optimum and at random points in the variable bounds: validity
    # must not depend on where they were found
    points = [model.var_lb + (model.var_ub - model.var_lb) * np.array(
        [rnd.random() for _ in model.var_ub]) for _ in range(3)]
    lp = solve_model(model, integral=False, backend="highs", time_limit_s=10)
    points.append(lp.values)
    for point in points:
        cuts, rhs = flow_cover_cuts(inst, model, point)
        assert cuts.shape == (len(rhs), len(model.objective))
        if len(rhs):
            assert np.all(vectors @ cuts.T.toarray() <= rhs + 1e-9)
            # found because the point violates them
            assert np.all(cuts @ point > rhs)


@pytest.mark.parametrize(("backend", "lp_backend"),
                         list(zip(MIP_BACKENDS, LP_BACKENDS, strict=True)))
@settings(max_examples=20, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(tight_instances())
def test_bounds_never_exceed_the_exhaustive_optimum(backend, lp_backend, inst):
    flows = all_plans(inst)
    best = min(plan_cost(inst, f) for f in flows)
    tol = 1e-7 * max(1.0, best)
    model = build_model(inst)
    lp = solve_model(model, integral=False, backend=lp_backend, time_limit_s=10)
    cuts, rhs = flow_cover_cuts(inst, model, lp.values)
    lifted = solve_model(add_rows(model, cuts, rhs), integral=False, backend=lp_backend,
                         time_limit_s=10)
    # pdlp is a first-order method: its optimum is exact only to about 1e-6 relative
    lp_tol = tol if lp_backend != "pdlp" else 1e-5 * max(1.0, best)
    assert lp.bound - lp_tol <= lifted.bound <= best + lp_tol
    guided = solve(inst, 20, strategy="lp-guided", backend=backend)
    check_result(inst, guided)
    assert guided.bound <= best + tol <= guided.objective + 2 * tol


def two_orders_of_two() -> RoutingInstance:
    """Two orders of 2 units near a node holding 3 units; a farther node holds 1."""
    return make([[3], [1]], [10, 10], [(0.0, 0.5, {0: 2}), (0.0, -0.5, {0: 2})],
                node_xy=[(0.0, 0.0), (0.0, 3.0)])


def test_flow_cover_lifts_the_lp_bound_where_orders_split_a_nodes_stock():
    # the LP ships one order a unit from each node, paying half a shipment at the near
    # node; a plan pays two whole shipments for that order (or leaves a unit unfilled)
    inst = two_orders_of_two()
    best = min(plan_cost(inst, f) for f in all_plans(inst))
    model = build_model(inst)
    lp = solve_model(model, integral=False, backend="highs", time_limit_s=10)
    assert lp.bound < best - 1.0
    lifted, cut_model = lp, model
    for _ in range(5):
        cuts, rhs = flow_cover_cuts(inst, model, lifted.values)
        if not len(rhs):
            break
        cut_model = add_rows(cut_model, cuts, rhs)
        lifted = solve_model(cut_model, integral=False, backend="highs", time_limit_s=10)
    assert lp.bound + 1.0 < lifted.bound <= best + 1e-9


@pytest.mark.parametrize("backend", MIP_BACKENDS)
def test_lp_guided_proves_the_split_instance_optimal(backend):
    inst = two_orders_of_two()
    r = solve(inst, 20, strategy="lp-guided", backend=backend)
    check_result(inst, r)
    assert r.status is Status.OPTIMAL
    assert r.objective == pytest.approx(min(plan_cost(inst, f) for f in all_plans(inst)))
