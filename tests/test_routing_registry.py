"""The routing registry and settings: a policy is tested on a hand-built context (no
network), the per-policy settings load in the new nested form and the old flat one (with a
DeprecationWarning), and the registry, the settings union and the CLI's choices agree."""

from __future__ import annotations

import warnings
from typing import get_args

import numpy as np
import pytest
import yaml
from pydantic import ValidationError
from typer.testing import CliRunner

from optimize.geo import distance_matrix_km
from sim.carriers import CarrierTable
from sim.cli import app
from sim.cli.scenario_commands import RoutingPolicyName
from sim.demand import OrderBook
from sim.routing import NearestWithStock, NetworkView, RoutingContext
from sim.routing_policies import BatchOptimal, CarrierPricing, CheapestSingleNode, LookAhead
from sim.routing_registry import POLICIES, make_policy, switch_policy
from sim.scenario import (
    FLAT_ROUTING_KEYS,
    ROUTING_POLICIES,
    ROUTING_SETTINGS,
    Carriers,
    LookaheadSettings,
    RoutingSettings,
    Scenario,
)

from .conftest import SCENARIOS

BASE = yaml.safe_load((SCENARIOS / "us_two_node_black_friday.yaml").read_text())

# ---------------------------------------------------------------- a context by hand

NODE_LAT, NODE_LON = np.array([40.7, 41.9, 34.1]), np.array([-74.0, -87.6, -118.2])
POINT_LAT, POINT_LON = np.array([40.8, 34.0]), np.array([-73.9, -118.3])


def _context(on_hand: np.ndarray) -> RoutingContext:
    """Three stocking nodes (New York, Chicago, Los Angeles), two customers (next to New York
    and Los Angeles), four SKUs of 1 kg; three orders of customer 0, one of customer 1."""
    orders = OrderBook(
        created_h=np.array([1.0, 2.0, 3.0, 4.0]), ready_h=np.array([1.0, 2.0, 3.0, 4.0]),
        cancelled=np.zeros(4, bool), held=np.zeros(4, bool), point=np.array([0, 0, 0, 1]),
        service=np.zeros(4, np.int64), line_start=np.array([0, 2, 3, 5, 6]),
        line_sku=np.array([0, 1, 2, 0, 3, 1]), line_qty=np.array([1, 2, 1, 1, 1, 3]))
    dist = distance_matrix_km(NODE_LAT, NODE_LON, POINT_LAT, POINT_LON)
    view = NetworkView(on_hand=on_hand, stocked=np.ones(3, bool), up=np.ones(3, bool),
                       dist_km=dist, nearest=np.argsort(dist.T, axis=1, kind="stable"),
                       orders=orders, carries=np.ones((3, 4), bool),
                       open_shipments=np.zeros(3, np.int64),
                       backordered=np.zeros((3, 4), np.int64))
    carriers = Carriers(carriers=[{"id": "parcel", "services": [
        {"name": "ground", "transit_days": [1, 2, 3, 4, 5], "base_rate": [6, 7, 8, 9, 10],
         "per_kg_rate": [0.5, 0.6, 0.7, 0.8, 0.9]},
        {"name": "air", "transit_days": [1, 1, 1, 2, 2], "base_rate": [15, 18, 21, 24, 27],
         "per_kg_rate": [1, 1, 1, 1, 1]}]}])
    empty = np.zeros(0, np.int64)
    return RoutingContext(
        view=view, carriers=CarrierTable.from_scenario(carriers),
        sku_weight_kg=np.ones(4), sku_popularity=np.full(4, 0.25),
        node_lat=NODE_LAT, node_lon=NODE_LON, cutoff_h=np.full(3, 12.0),
        pickup_days=np.ones((3, 7), bool), start_weekday=0, promise_days=np.array([3]),
        service_share=np.array([1.0]), point_lat=POINT_LAT, point_lon=POINT_LON,
        point_weight=np.ones(2), units_per_order=2.0,
        demand_rate=lambda hours: np.full(len(hours), 2.0),
        lead_time_h=lambda confidence: np.full(3, 48.0),
        stock_due_by=lambda t_h: np.zeros((3, 4), np.int64),
        open_po_lines=lambda lead_h=None: (empty, empty, empty, np.zeros(0)))


def _parts(parts) -> list[tuple[int, list[int], list[int]]]:
    return [(p.node, p.sku.tolist(), p.qty.tolist()) for p in parts]


def test_nearest_with_stock_on_a_hand_built_context():
    on_hand = np.full((3, 4), 5)
    on_hand[0, 1] = 0  # New York lacks SKU 1: order 0 (SKUs 0 and 1) goes whole to Chicago
    ctx = _context(on_hand)
    policy = make_policy(ROUTING_SETTINGS["nearest_with_stock"](), ctx)
    assert isinstance(policy, NearestWithStock)
    assert policy.dispatch_interval_h is None and policy.route_batch(ctx.view, [0]) is None
    assert _parts(policy.route(ctx.view, 0)) == [(1, [0, 1], [1, 2])]
    assert _parts(policy.route(ctx.view, 1)) == [(0, [2], [1])]
    assert _parts(policy.route(ctx.view, 3)) == [(2, [1], [3])]
    on_hand[1:, 1] = 0  # no node holds order 0 whole: split, SKU 1 waits at New York
    assert _parts(policy.route(ctx.view, 0)) == [(0, [0, 1], [1, 2])]
    on_hand[2, 1], on_hand[2, 0] = 2, 0  # ...unless Los Angeles has it
    assert _parts(policy.route(ctx.view, 0)) == [(0, [0], [1]), (2, [1], [2])]
    assert policy.stats() == {}


def test_optimising_policies_on_a_hand_built_context():
    on_hand = np.full((3, 4), 5)
    ctx = _context(on_hand)
    ctx.view.now_h = 5.0
    cheapest = make_policy(ROUTING_SETTINGS["cheapest_single_node"](), ctx)
    assert isinstance(cheapest, CheapestSingleNode)
    pricing = cheapest.pricing
    for o in range(4):
        parts = cheapest.route(ctx.view, o)
        cost = pricing.order_cost(o, pricing.ship_day(ctx.view.now_h))
        assert len(parts) == 1 and cost[parts[0].node] == pytest.approx(cost.min())
    assert [cheapest.route(ctx.view, o)[0].node for o in (0, 3)] == [0, 2]
    assert cheapest.stats() == {"holds": 0.0}

    settings = ROUTING_SETTINGS["batch_optimal"](interval_h=0.5, time_limit_s=5.0)
    batch = make_policy(settings, ctx)
    assert isinstance(batch, BatchOptimal) and batch.dispatch_interval_h == 0.5
    on_hand[0, 1] = 1  # New York has one of SKU 1; order 0 wants two
    plans = batch.route_batch(ctx.view, np.arange(4))
    for o, parts in enumerate(plans):
        sku, qty = ctx.view.orders.lines(o)
        got: dict[int, int] = {}
        for p in parts:
            for s, q in zip(p.sku.tolist(), p.qty.tolist(), strict=True):
                got[s] = got.get(s, 0) + q
        assert got == dict(zip(sku.tolist(), qty.tolist(), strict=True))
    assert [p.node for p in plans[3]] == [2]  # Los Angeles ships to Los Angeles
    assert batch.stats()["solves"] == 1.0 and batch.stats()["holds"] == 0.0


def test_lookahead_built_from_settings_reads_the_context():
    ctx = _context(np.full((3, 4), 1))
    policy = make_policy(LookaheadSettings(horizon_days=2.0, hold_confidence=0.8), ctx)
    assert isinstance(policy, LookAhead)
    assert policy.horizon_days == 2.0 and policy.time_limit_s == 10.0
    assert policy.hold_lead_h.tolist() == [48.0] * 3
    # 2 orders/h of 2 units over 48 h, a quarter per SKU
    assert policy.forecast_units(0.0).sum() == pytest.approx(2.0 * 2.0 * 48.0)
    assert policy.stats() == {"holds": 0.0, "price_updates": 0.0}
    assert _parts(policy.route(ctx.view, 1)) == [(0, [2], [1])]
    assert policy.stats()["price_updates"] == 1.0
    with pytest.raises(TypeError, match="LookaheadSettings"):
        make_policy(ROUTING_SETTINGS["batch_optimal"]().model_copy(
            update={"policy": "lookahead"}), ctx)
    assert CarrierPricing(ctx).order_weight_kg.tolist() == [3.0, 1.0, 2.0, 3.0]


# ---------------------------------------------------------------- settings


def _scenario(routing: dict, **sections) -> Scenario:
    return Scenario.model_validate({**BASE, "routing": routing, **sections})


def test_new_nested_and_old_flat_settings_give_the_same_policy():
    nested = {"policy": "batch_lookahead", "interval_h": 2.0, "time_limit_s": 3.0,
              "horizon_days": 4.0, "every_h": 12.0, "hold_confidence": 0.7}
    flat = {"policy": "batch_lookahead", "batch_interval_h": 2.0, "time_limit_s": 3.0,
            "lookahead_horizon_days": 4.0, "lookahead_every_h": 12.0,
            "lookahead_hold_confidence": 0.7, "overflow_open_shipments": 9}
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        new = _scenario(nested)  # the new form loads without a warning
    with pytest.warns(DeprecationWarning) as caught:
        old = _scenario(flat)
    assert old.routing == new.routing and type(new.routing).__name__ == "BatchLookaheadSettings"
    messages = [str(w.message) for w in caught]
    for key in ("batch_interval_h", "lookahead_horizon_days", "lookahead_every_h",
                "lookahead_hold_confidence"):
        assert any(f"routing.{key}" in m and f"routing.{FLAT_ROUTING_KEYS[key]}" in m
                   for m in messages), key
    # a key of another policy is dropped, with a warning naming it and its new name
    assert any("overflow_open_shipments" in m and "ignored" in m
               and "threshold_open_shipments" in m for m in messages)
    assert new.model_dump() == old.model_dump()
    assert Scenario.model_validate(new.model_dump()) == new  # the dump round-trips


def test_flat_keys_of_other_policies_load_and_fast_mover_share_moves_to_inventory():
    with pytest.warns(DeprecationWarning) as caught:
        sc = _scenario({"batch_interval_h": 1.0, "time_limit_s": 2.0,
                        "fast_mover_share": 0.3})
    assert sorted(str(w.message).split()[0] for w in caught) == [
        "routing.batch_interval_h", "routing.fast_mover_share", "routing.time_limit_s"]
    assert sc.routing == ROUTING_SETTINGS["nearest_with_stock"]()
    assert sc.inventory.fast_mover_share == 0.3
    assert _scenario({}).inventory.fast_mover_share == 0.2
    with pytest.warns(DeprecationWarning, match="threshold_open_shipments"):
        assert _scenario({"policy": "overflow", "overflow_open_shipments": 7}).routing \
            .threshold_open_shipments == 7


@pytest.mark.parametrize(("routing", "sections", "path", "needle"), [
    ({"policy": "fastest"}, {}, ("routing", "policy"), "'batch_lookahead'"),
    ({"policy": "lookahead", "hold_confidence": 1.0}, {}, ("routing", "hold_confidence"),
     "less than 1"),
    ({"lookahead_every_h": -1}, {}, ("routing", "lookahead_every_h"), "greater than 0"),
    ({"policy": "nearest_with_stock", "horizon_days": 3}, {}, ("routing", "horizon_days"),
     "lookahead, batch_lookahead"),
    ({"policy": "lookahead", "horizon_days": 3, "lookahead_horizon_days": 4}, {},
     ("routing", "lookahead_horizon_days"), "not both"),
    ({"fast_mover_share": 0.3}, {"inventory": {"fast_mover_share": 0.4}},
     ("routing", "fast_mover_share"), "not both"),
    ({"policy": "overflow", "threshold_open_shipments": 0}, {},
     ("routing", "threshold_open_shipments"), "greater than 0"),
])
def test_bad_routing_settings_name_the_field(routing, sections, path, needle):
    with pytest.raises(ValidationError) as err:
        _scenario(routing, **sections)
    (e,) = err.value.errors()
    assert e["loc"] == path and needle in e["msg"]


def test_switch_policy_keeps_the_parameters_the_policies_share():
    sc = _scenario({"policy": "batch_lookahead", "interval_h": 2.0, "time_limit_s": 5.0,
                    "horizon_days": 4.0})
    assert switch_policy(sc.routing, "lookahead") == LookaheadSettings(
        time_limit_s=5.0, horizon_days=4.0)
    assert switch_policy(sc.routing, "nearest_with_stock") == ROUTING_SETTINGS[
        "nearest_with_stock"]()


# ---------------------------------------------------------------- one list of names


def test_registry_union_and_cli_choices_agree():
    union, *_ = get_args(RoutingSettings)
    assert {m.model_fields["policy"].default: m for m in get_args(union)} == ROUTING_SETTINGS
    assert list(ROUTING_POLICIES) == list(ROUTING_SETTINGS)
    assert set(POLICIES) == set(ROUTING_POLICIES)
    assert [c.value for c in RoutingPolicyName] == list(ROUTING_POLICIES)
    for name, (cls, model) in POLICIES.items():
        assert cls.name == name and model is ROUTING_SETTINGS[name]
        assert callable(cls.from_settings) and callable(cls.stats)


def test_cli_routing_option_lists_the_policies_on_a_bad_name(tmp_path):
    res = CliRunner().invoke(app, ["run", str(SCENARIOS / "fr_one_node.yaml"), "--routing",
                                   "fastest", "--out", str(tmp_path / "out")])
    assert res.exit_code == 2
    assert all(name in res.output + res.stderr for name in ROUTING_POLICIES)
    assert not (tmp_path / "out").exists()
