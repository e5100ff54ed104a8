"""Routing policies in the simulation: parts add up, the batch policy is the bucket's optimum,
the look-ahead's prices are LP shadow prices, whole runs conserve and repeat, CRN holds."""

from __future__ import annotations

import itertools
import json
from dataclasses import replace

import numpy as np
import pytest
from hypothesis import given
from hypothesis import settings as hsettings
from hypothesis import strategies as st

from optimize.order_routing import plan_cost
from sim.api import load_scenario, run, with_changes
from sim.demand import rate_per_hour
from sim.model import Network
from sim.record import PurchaseOrderLine as Line
from sim.routing import NearestWithStock
from sim.routing_policies import (
    BatchOptimal,
    CarrierPricing,
    CheapestSingleNode,
    LookAhead,
)
from sim.routing_registry import make_policy
from sim.scenario import ROUTING_SETTINGS

POLICIES = ("nearest_with_stock", "cheapest_single_node", "batch_optimal", "lookahead",
            "batch_lookahead")


@pytest.fixture(scope="module")
def tiny(scenario_dir):
    """Three of the eight US nodes, 40 SKUs, single-unit lines, four days."""
    sc = load_scenario(scenario_dir / "us_eight_node_black_friday.yaml")
    nodes = sc.model_dump(mode="python")["nodes"]
    return with_changes(sc, {
        "nodes": [nodes[0], nodes[2], nodes[3]],
        "run.horizon_days": 4, "run.warmup_days": 0,
        "demand.orders_per_day": 120, "demand.spikes": [],
        "demand.units_per_line": {"dist": "fixed", "mean": 1, "min": 1},
        "skus.generator.count": 40,
    })


@pytest.fixture(scope="module")
def net(tiny):
    """A built (not run) network of the tiny scenario."""
    return Network(tiny, replication=0)


def _policy(net: Network, name: str):
    return make_policy(ROUTING_SETTINGS[name](), net.routing_context)


def _units(parts) -> dict[int, int]:
    out: dict[int, int] = {}
    for p in parts:
        assert len(set(p.sku.tolist())) == len(p.sku), "a SKU twice in one part"
        for s, q in zip(p.sku.tolist(), p.qty.tolist(), strict=True):
            out[s] = out.get(s, 0) + q
    return out


def _as_tuples(parts) -> list[tuple]:
    return [(p.node, p.sku.tolist(), p.qty.tolist()) for p in parts]


def _order_units(net: Network, o: int) -> dict[int, int]:
    sku, qty = net.orders.lines(o)
    return dict(zip(sku.tolist(), qty.tolist(), strict=True))


@given(seed=st.integers(0, 10_000), scarcity=st.sampled_from([0, 1, 3]))
@hsettings(max_examples=15, deadline=None)
def test_parts_add_up_to_the_order(net, seed, scarcity):
    rng = np.random.default_rng(seed)
    view = net.view
    view.on_hand[:] = rng.integers(0, scarcity + 1, view.on_hand.shape)
    view.now_h = float(rng.uniform(0, 72))
    orders = np.sort(rng.choice(net.orders.n, 8, replace=False))
    for name in ("cheapest_single_node", "lookahead"):
        policy = _policy(net, name)
        for o in orders.tolist():
            assert _units(policy.route(view, o)) == _order_units(net, o)
    view.backordered[:] = rng.integers(0, 2, view.backordered.shape)
    for name in ("batch_optimal", "batch_lookahead"):
        plans = _policy(net, name).route_batch(view, orders)
        for o, parts in zip(orders.tolist(), plans, strict=True):
            assert _units(parts) == _order_units(net, o)


def test_cheapest_single_node_ships_whole_from_cheapest_or_falls_back(net):
    view = net.view
    view.now_h = 30.0
    pricing = CarrierPricing(net.routing_context)
    policy = CheapestSingleNode(pricing)
    for o in range(40):
        sku, _ = net.orders.lines(o)
        view.on_hand[:] = 5
        view.on_hand[:, sku] = 0
        assert _as_tuples(policy.route(view, o)) == _as_tuples(
            NearestWithStock().route(view, o))  # no node holds it all
        view.on_hand[:] = 5
        parts = policy.route(view, o)
        assert len(parts) == 1
        cost = pricing.order_cost(o, pricing.ship_day(view.now_h))
        assert cost[parts[0].node] == pytest.approx(cost.min())


def _brute_force(inst) -> float:
    """Least plan cost over every line's node (or none): exact when every line is one unit."""
    choices = range(inst.n_nodes + 1)
    best = np.inf
    for pick in itertools.product(choices, repeat=inst.n_lines):
        flow = np.zeros((inst.n_lines, inst.n_nodes), np.int64)
        for line, n in enumerate(pick):
            if n < inst.n_nodes:
                flow[line, n] = 1
        used = np.zeros_like(inst.stock)
        np.add.at(used.T, inst.line_sku, flow)
        if (used <= inst.stock).all():
            best = min(best, plan_cost(inst, flow))
    return best


@pytest.mark.parametrize("seed", [0, 1, 2])
def test_batch_policy_equals_the_exact_optimum_of_the_bucket(net, seed):
    rng = np.random.default_rng(seed)
    view = net.view
    view.now_h = 10.0 + seed
    view.on_hand[:] = rng.integers(0, 2, view.on_hand.shape)
    start = 40 * seed
    orders = np.arange(start, start + 20)
    n_lines = np.diff(net.orders.line_start)[orders]
    orders = orders[np.cumsum(n_lines) <= 7]  # 4^7 plans to enumerate
    # enough units in the network for every line (spread at random), so no order is short
    # and the parts are the optimal plan itself
    sku = net.orders.line_sku[net.orders.line_start[orders[0]]:net.orders.line_start[
        orders[-1] + 1]]
    for s in sku.tolist():
        while view.on_hand[:, s].sum() < (sku == s).sum():
            view.on_hand[rng.integers(view.on_hand.shape[0]), s] += 1
    # a penalty above any parcel: the optimum ships every unit it can
    policy = BatchOptimal(CarrierPricing(net.routing_context, unfilled_unit_penalty=100.0),
                          interval_h=1.0, time_limit_s=30.0)
    inst = policy.pricing.instance(view, orders)
    plans = policy.route_batch(view, orders)
    # the parts as a plan on the instance
    flow = np.zeros((inst.n_lines, inst.n_nodes), np.int64)
    sku_ids = [int(k) for k in inst.sku_ids]
    left = inst.stock.copy()
    for j, parts in enumerate(plans):
        lines = range(inst.order_line_start[j], inst.order_line_start[j + 1])
        for p in parts:
            for s, q in zip(p.sku.tolist(), p.qty.tolist(), strict=True):
                line = next(i for i in lines if sku_ids[inst.line_sku[i]] == s)
                k = inst.line_sku[line]
                flow[line, p.node] += q
                left[p.node, k] -= q
    assert (left >= 0).all() and (flow.sum(axis=1) == inst.line_qty).all()
    assert plan_cost(inst, flow) == pytest.approx(_brute_force(inst), rel=1e-9)


def test_lookahead_prices_are_the_forecast_lp_duals(net):
    view = net.view
    view.now_h = 5.0
    view.on_hand[:] = 1000
    policy = _policy(net, "lookahead")
    assert isinstance(policy, LookAhead)
    assert not policy.shadow_prices(view).any()  # ample stock: nothing binds
    demand = policy.forecast_units(view.now_h)
    hours = view.now_h + np.arange(24.0 * policy.horizon_days)
    mean_units = float(rate_per_hour(net.scenario, hours).sum()) * policy.units_per_order
    assert demand.sum(axis=0) == pytest.approx(mean_units * net.catalogue.popularity)
    assert demand.sum(axis=1) == pytest.approx(mean_units * policy.region_share)
    view.on_hand[:] = 0
    # only node 0 stocks enough for the forecast: its stock is worth more
    view.on_hand[0, :] = np.ceil(demand.sum(axis=0))
    view.on_hand[1, :] = 1
    prices = policy.shadow_prices(view)
    assert (prices >= 0).all()
    assert prices[1].max() > 0  # a unit at node 1 saves a longer trip from node 0
    assert not prices[2].any()  # node 2 has nothing, so no stock row binds there


@pytest.fixture(scope="module")
def runs(tiny):
    """Each policy run twice on the tiny scenario (run() checks conservation)."""
    return {(name, k): run(with_changes(tiny, {"routing.policy": name}), 0)
            for name in POLICIES for k in range(2)}


@pytest.mark.parametrize("name", POLICIES)
def test_whole_run_conserves_and_repeats(runs, name):
    a, b = runs[name, 0], runs[name, 1]
    assert a.balance == b.balance
    cols = ["order", "node", "units", "shipped_h", "shipping_cost", "split"]
    assert a.shipments[cols].equals(b.shipments[cols])
    # every routed order's parts carry exactly its units (orders still in a bucket at the
    # horizon are not routed)
    routed = a.orders[a.orders["n_shipments"] > 0].set_index("order")["units"]
    shipped = a.shipments.groupby("order")["units"].sum()
    assert shipped.sort_index().equals(routed.sort_index())
    assert len(routed) >= 0.95 * int((~a.orders["cancelled"]).sum())


def test_policy_stats_come_back_on_the_run_result(runs, tmp_path):
    assert runs["nearest_with_stock", 0].policy_stats == {}
    assert set(runs["cheapest_single_node", 0].policy_stats) == {"holds"}
    batch = runs["batch_lookahead", 0].policy_stats
    assert batch["solves"] > 0 and 0 <= batch["solves_optimal"] <= batch["solves"]
    assert batch["holds"] >= batch["plan_holds"] and batch["price_updates"] > 0
    assert runs["batch_lookahead", 1].policy_stats == batch  # counts repeat with the seed
    runs["batch_lookahead", 0].write(tmp_path)
    assert json.loads((tmp_path / "summary.json").read_text())["routing"] == batch


def test_same_seed_same_orders_under_every_policy(runs):
    cols = ["order", "created_h", "units", "cancelled"]
    first = runs[POLICIES[0], 0].orders[cols]
    for name in POLICIES[1:]:
        assert runs[name, 0].orders[cols].equals(first)


def test_stock_due_by_counts_open_lines_expected_in_time(tiny):
    network = Network(tiny, replication=0)
    lead_h = 24.0 * tiny.stock_policy(0).supplier.lead_time_days_mean
    nan = float("nan")
    network.po_lines[:] = [
        Line(0, 3, 5, 0.0, 0, 1.0, 2.0),  # put away: on hand already, not due
        Line(1, 4, 7, 10.0, 0, nan, nan),  # expected at 10 h + lead time
        Line(2, 4, 2, 20.0, 1, 30.0, nan),  # at the dock, waiting for put-away: due now
    ]
    network._first_open_po = 0
    before = network.stock_due_by(10.0 + lead_h - 1.0)
    assert before[0].sum() == 0 and before[1, 4] == 2 and before.sum() == 2
    after = network.stock_due_by(10.0 + lead_h)
    assert after[0, 4] == 7 and after.sum() == 9
    assert network._first_open_po == 1  # the put-away prefix is skipped from now on
    node, sku, units, expected = network.open_po_lines(np.array([50.0, 60.0, 70.0]))
    assert node.tolist() == [0, 1] and sku.tolist() == [4, 4] and units.tolist() == [7, 2]
    assert expected.tolist() == [60.0, 0.0]  # ordered at 10 h + 50 h; docked: now


def _hold_case(net: Network):
    """A view at 8 h where node 0 is nearest to order `o` and lacks its (one) SKU, node 1
    holds it; the lookahead with holds and stock prices off."""
    ob = net.orders
    o = next(o for o in range(ob.n) if ob.line_start[o + 1] - ob.line_start[o] == 1
             and net.nearest[ob.point[o], 0] == 0 and ob.service[o] == 0
             and ob.created_h[o] < 8.0)
    view = net.view
    view.now_h = 8.0
    view.on_hand[:] = 5
    view.backordered[:] = 0
    (sku,), (qty,) = ob.lines(o)
    view.on_hand[0, sku] = 0
    policy = _policy(net, "lookahead")
    policy.stock_value = lambda view: np.zeros(view.on_hand.shape)
    return o, int(sku), int(qty), view, policy


def test_lookahead_holds_an_order_for_replenishment_due_in_time(tiny):
    network = Network(tiny, replication=0)
    o, sku, qty, view, policy = _hold_case(network)
    pricing = policy.pricing
    nodes = np.arange(3)
    today = pricing.ship_day(view.now_h)
    promised = int(pricing.promised_day(np.array([o]))[0])
    assert promised - today[0] >= 3  # a standard promise: room to wait a day or two
    # nothing on order: node 0 cannot ship it, node 1 ships it today
    assert policy.ship_days(view, o, nodes)[:2].tolist() == [-1, today[1]]
    no_hold = policy.route(view, o)
    assert len(no_hold) == 1 and no_hold[0].node != 0
    # the units reach node 0's dock: it can ship them today, and does (its rate is lower)
    network.po_lines[:] = [Line(0, sku, qty, 0.0, 0, dock_h=7.0)]
    network._first_open_po = 0
    policy._arrivals_hour = -1
    assert policy.ship_days(view, o, nodes)[0] == today[0]
    assert [p.node for p in policy.route(view, o)] == [0]
    # ...unless they are owed to a shipment already waiting there
    view.backordered[0, sku] = 1
    assert policy.ship_days(view, o, nodes)[0] == -1
    view.backordered[0, sku] = 0
    # on order, put away (at the hold confidence) two days on: a hold two days later, priced
    # at the carrier's rate for the days then left
    lead_h = policy.hold_lead_h[0]
    network.po_lines[:] = [Line(0, sku, qty, 24.0 * 2 + 6.0 - lead_h, 0)]
    policy._arrivals_hour = -1
    day = pricing.ship_day(24.0 * 2 + 6.0)[0]
    assert policy.ship_days(view, o, nodes)[0] == day
    every = today.copy()
    every[0] = day
    cost = pricing.order_cost(o, every)
    assert cost[0] < cost[1]  # a standard promise still leaves ground service for it
    assert [p.node for p in policy.route(view, o)] == [0]
    # past the last day a service meets the promise: no hold
    late = int(pricing.latest_ship_day(o)[0]) + 1
    network.po_lines[0].ordered_h = 24.0 * late + 6.0 - lead_h
    policy._arrivals_hour = -1
    assert policy.ship_days(view, o, nodes)[0] == -1
    assert [p.node for p in policy.route(view, o)] == [p.node for p in no_hold]
    # the duals-only look-ahead never holds
    policy.hold_lead_h = None
    network.po_lines[0].ordered_h = 0.0
    network.po_lines[0].dock_h = 7.0
    assert policy.ship_days(view, o, nodes)[0] == -1


def test_batch_lookahead_holds_for_replenishment_due_in_time(tiny):
    network = Network(tiny, replication=0)
    o, sku, qty, view, lookahead = _hold_case(network)
    # a penalty above any parcel, so the plan itself ships (or holds) the one-unit order
    # rather than leave it to the look-ahead alone
    pricing = CarrierPricing(network.routing_context, unfilled_unit_penalty=100.0)
    batch = BatchOptimal(pricing, interval_h=1.0, time_limit_s=30.0, lookahead=lookahead)
    orders = np.array([o])
    latest = int(pricing.latest_ship_days(orders)[0, 0])
    assert latest == int(pricing.latest_ship_day(o)[0])
    lead_h = lookahead.hold_lead_h[0]

    def plan(put_away_day: int | None):
        """The batch plan for `o` when its units are put away at node 0 that day (at the
        hold confidence; None: nothing on order), and the instance's due-stock columns."""
        network.po_lines[:] = [] if put_away_day is None else [
            Line(0, sku, qty, 24.0 * put_away_day + 6.0 - lead_h, 0)]
        network._first_open_po = 0
        lookahead._arrivals_hour = -1
        inst = pricing.instance(view, orders, unit_cost=np.zeros(view.on_hand.shape))
        inst, column_node = batch.with_due_stock(view, orders, inst)
        return batch.route_batch(view, orders)[0], inst, column_node

    no_hold, inst, column_node = plan(None)
    assert column_node.tolist() == [0, 1, 2] and [p.node for p in no_hold] != [0]
    # due at node 0 two days on: one column there, holding the units, priced at the rate
    # for that day's ship, and the plan holds the order for it (one parcel, from node 0)
    assert batch.plan_holds == 0
    parts, inst, column_node = plan(2)
    assert column_node.tolist() == [0, 1, 2, 0]
    assert inst.stock[3].tolist() == [qty] and inst.allowed[0, 3]
    day = pricing.ship_day(24.0 * 2 + 6.0)[0]
    every = pricing.ship_day(pricing.orders.ready_h[o])
    every[0] = day
    assert inst.carrier_shipment_cost[0, 3] == pytest.approx(
        pricing.rates(orders, every[None, :])[0][0, 0])
    assert [p.node for p in parts] == [0] and _units(parts) == {sku: qty}
    assert batch.plan_holds == 1 and batch.holds == 1 + lookahead.holds
    # ...unless those units are owed to a shipment already waiting there
    view.backordered[0, sku] = 1
    _, inst, column_node = plan(2)
    assert column_node.tolist() == [0, 1, 2]
    view.backordered[0, sku] = 0
    # due after the last day a service meets the promise: the column is closed to it
    _, inst, column_node = plan(latest + 1)
    assert column_node.tolist() == [0, 1, 2, 0] and not inst.allowed[0, 3]
    assert [p.node for p in batch.route_batch(view, orders)[0]] == [p.node for p in no_hold]


def test_lookahead_prices_count_replenishment_due_within_the_horizon(net):
    view = net.view
    view.now_h = 5.0
    policy = _policy(net, "lookahead")
    demand = np.ceil(policy.forecast_units(view.now_h).sum(axis=0)).astype(np.int64)
    view.on_hand[:] = 0
    view.on_hand[0, :] = demand  # node 0 alone could serve the whole forecast
    view.on_hand[1, :] = 1
    scarce = policy.shadow_prices(view)
    assert scarce[1].max() > 0
    due = np.zeros_like(view.on_hand)
    due[1:, :] = demand  # every other node is about to receive the forecast's worth
    policy.stock_due = lambda t_h: due
    assert not policy.shadow_prices(view).any()  # with it counted, nothing binds


@pytest.mark.parametrize("policy", ["lookahead", "batch_lookahead"])
def test_lookahead_holds_in_a_whole_run_conserve_and_repeat(tiny, policy):
    from sim.conservation import check_conservation
    from sim.tables import build_tables

    # short stock replenished every two days: nodes run short with stock soon due
    sc = with_changes(tiny, {
        "run.horizon_days": 12, "routing.policy": policy,
        "inventory.review_period_days": 2, "inventory.target": 0.7,
        "inventory.supplier": {"lead_time_days_mean": 2.0, "lead_time_days_sd": 0.5}})
    nets = [Network(sc, replication=0) for _ in range(2)]
    for network in nets:
        network.run()
        check_conservation(network.record, build_tables(network.record))
    assert nets[0].policy.holds > 0
    assert nets[0].policy.holds == nets[1].policy.holds
    cols = ["order", "node", "shipped_h", "shipping_cost"]
    rows = [n.record.shipment_rows()[cols] for n in nets]
    assert len(rows[0]) > 0 and rows[0].tobytes() == rows[1].tobytes()
    # the duals-only policy on the same orders never holds, and ships from farther
    # (measured: 1,171 km against 835 km per shipment; 798 km for batch_lookahead)
    plain = Network(with_changes(sc, {"routing.hold_confidence": None}), 0)
    plain.run()
    assert plain.policy.holds == 0

    def mean_km(network: Network) -> float:
        return float(np.mean(network.record.shipment_rows()["distance_km"]))

    assert mean_km(nets[0]) < 0.9 * mean_km(plain)


def test_plan_parts_keeps_short_units_waiting_where_the_plan_ships_their_order(net):
    from sim.routing_policies import plan_parts

    view = net.view
    view.now_h = 5.0
    ob = net.orders
    multi = [o for o in range(ob.n) if ob.line_start[o + 1] - ob.line_start[o] >= 2][:2]
    orders = np.array(multi, np.int64)
    inst = CarrierPricing(net.routing_context).instance(view, orders)
    flow = np.zeros((inst.n_lines, inst.n_nodes), np.int64)
    first = np.arange(inst.order_line_start[0], inst.order_line_start[1])
    flow[first[0], 1] = inst.line_qty[first[0]]  # order 0: its first line ships from node 1
    # order 1: nothing shipped, so nearest-with-stock routes it on the stock left
    parts = plan_parts(view, orders, inst, flow)
    assert len(parts[0]) == 1 and parts[0][0].node == 1  # one parcel; the rest waits there
    sku, qty = ob.lines(int(orders[0]))
    assert _units(parts[0]) == dict(zip(sku.tolist(), qty.tolist(), strict=True))
    expected = NearestWithStock().route(view, int(orders[1]))
    assert [(p.node, _units([p])) for p in parts[1]] == [(p.node, _units([p])) for p in expected]


def test_plan_parts_folds_due_stock_columns_and_counts_their_units_owed(net):
    from sim.routing_policies import plan_parts

    view = net.view
    view.now_h = 5.0
    view.on_hand[:] = 3
    view.backordered[:] = 0
    ob = net.orders
    two = next(o for o in range(ob.n) if ob.line_start[o + 1] - ob.line_start[o] == 2)
    orders = np.array([two, two + 1], np.int64)
    inst = CarrierPricing(net.routing_context).instance(view, orders)
    # a column of stock due at node 1 after the three node columns
    inst = replace(inst, node_ids=(*inst.node_ids, "1+2"),
                   node_lat=np.append(inst.node_lat, inst.node_lat[1]),
                   node_lon=np.append(inst.node_lon, inst.node_lon[1]),
                   capacity_units=np.append(inst.capacity_units, inst.capacity_units[1]),
                   stock=np.vstack([inst.stock, inst.stock[1]]),
                   carrier_shipment_cost=np.hstack([inst.carrier_shipment_cost] * 2)[:, :4],
                   carrier_unit_cost=np.zeros((2, 4)),
                   carrier_per_kg=np.hstack([inst.carrier_per_kg] * 2)[:, :4])
    flow = np.zeros((inst.n_lines, 4), np.int64)
    first, second = inst.order_line_start[0], inst.order_line_start[0] + 1
    flow[first, 1] = 1  # from node 1's stock on hand
    flow[second, 3] = inst.line_qty[second]  # held for node 1's due stock
    seen = []

    class Recorder:
        def route(self, view, o):
            seen.append(view.backordered.copy())
            return NearestWithStock().route(view, o)

    parts = plan_parts(view, orders, inst, flow, np.array([0, 1, 2, 1]), fallback=Recorder())
    (sku_a, sku_b), (qty_a, qty_b) = ob.lines(two)
    assert [p.node for p in parts[0]] == [1] and _units(parts[0]) == {sku_a: qty_a,
                                                                       sku_b: qty_b}
    # the order left to the fallback sees the held units, and the first line's units beyond
    # the one shipped now, as owed at node 1
    owed = np.zeros_like(view.backordered)
    owed[1, sku_b] += qty_b
    owed[1, sku_a] += qty_a - 1
    assert len(seen) == 1 and (seen[0] == owed).all()
    assert _units(parts[1]) == _order_units(net, two + 1)
