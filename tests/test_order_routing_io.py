"""Order routing JSON input (named-field errors, round trip) and the `fulfil route-orders` CLI."""

from __future__ import annotations

import copy
import json

import numpy as np
import pytest
from typer.testing import CliRunner

import sim.cli.route_orders_command  # noqa: F401  (registers the command on the app)
from optimize.errors import InvalidInput
from optimize.order_routing import (
    flow_from_shipments,
    instance_from_dict,
    instance_to_dict,
    load_instance,
    plan_cost,
    plan_violations,
    random_instance,
)
from sim.cli.app import app

GOOD = {
    "name": "two nodes",
    "nodes": [
        {"id": "EAST", "lat": 40.6, "lon": -75.5, "capacity_units": 10, "stock": {"A": 3, "B": 0}},
        {"id": "WEST", "lat": 39.5, "lon": -119.8, "capacity_units": 10, "stock": {"A": 1, "B": 4}},
    ],
    "orders": [
        {"id": "o1", "lat": 40.7, "lon": -74.0, "lines": {"A": 2, "B": 1}},
        {"id": "o2", "lat": 34.1, "lon": -118.2, "lines": {"A": 1}},
    ],
    "cost": {"per_shipment_fixed": 5.0, "per_shipment_per_km": 0.002, "per_unit_per_km": 0.0005,
             "unfilled_unit_penalty": 40.0},
}


def problems_of(data) -> dict[str, object]:
    with pytest.raises(InvalidInput) as err:
        instance_from_dict(data)
    return {p.path: p.value for p in err.value.problems}


def test_good_instance_parses():
    inst = instance_from_dict(GOOD)
    assert inst.node_ids == ("EAST", "WEST") and inst.sku_ids == ("A", "B")
    np.testing.assert_array_equal(inst.stock, [[3, 0], [1, 4]])
    np.testing.assert_array_equal(inst.line_qty, [2, 1, 1])


@pytest.mark.parametrize(("mutate", "path", "value"), [
    (lambda d: d["orders"][0]["lines"].update(Z=1), "orders[0].lines.Z", "Z"),
    (lambda d: d["nodes"][1]["stock"].update(A=-2), "nodes[1].stock.A", -2),
    (lambda d: d["nodes"][1].update(id="EAST"), "nodes[1].id", "EAST"),
    (lambda d: d["orders"][1].update(id="o1"), "orders[1].id", "o1"),
    (lambda d: d["orders"][0]["lines"].update(A=0), "orders[0].lines.A", 0),
    (lambda d: d["orders"][0]["lines"].update(A=1.5), "orders[0].lines.A", 1.5),
    (lambda d: d["nodes"][0].update(lat=95.0), "nodes[0].lat", 95.0),
    (lambda d: d["nodes"][0].update(capacity_units=-1), "nodes[0].capacity_units", -1),
    (lambda d: d["nodes"][0].pop("stock"), "nodes[0].stock", None),
    (lambda d: d["cost"].pop("per_unit_per_km"), "cost.per_unit_per_km", None),
    (lambda d: d.pop("cost"), "cost", None),
    (lambda d: d["cost"].update(per_unit_per_km=-0.1), "cost.per_unit_per_km", -0.1),
    (lambda d: d["cost"].update(per_unit_per_km="x"), "cost.per_unit_per_km", "x"),
    (lambda d: d["orders"][0].update(colour="red"), "orders[0].colour", "colour"),
    (lambda d: d["orders"][0].update(transit_days={"NORTH": 1}),
     "orders[0].transit_days.NORTH", "NORTH"),
])
def test_bad_input_names_the_field_and_value(mutate, path, value):
    data = copy.deepcopy(GOOD)
    mutate(data)
    assert problems_of(data)[path] == value


def test_every_problem_is_listed_at_once():
    data = copy.deepcopy(GOOD)
    data["nodes"][1]["stock"]["A"] = -1
    data["orders"][0]["lines"]["Z"] = 1
    data["nodes"][1]["id"] = "EAST"
    assert {"nodes[1].stock.A", "orders[0].lines.Z", "nodes[1].id"} <= set(problems_of(data))


def test_round_trip_keeps_every_field():
    inst = random_instance(40, 3, 20, seed=3)
    back = instance_from_dict(json.loads(json.dumps(instance_to_dict(inst))))
    for name in ("stock", "capacity_units", "line_order", "line_sku", "line_qty",
                 "order_lat", "node_lon"):
        np.testing.assert_array_equal(getattr(back, name), getattr(inst, name))
    assert back.order_ids == inst.order_ids and back.cost == inst.cost


def test_duplicate_json_key_and_bad_json(tmp_path):
    path = tmp_path / "dup.json"
    path.write_text(json.dumps(GOOD).replace('"A": 3, "B": 0', '"A": 3, "A": 0'))
    with pytest.raises(InvalidInput, match=r"nodes\[0\]\.stock\.A: key given twice"):
        load_instance(path)
    path.write_text("{not json")
    with pytest.raises(InvalidInput, match="not valid JSON"):
        load_instance(path)


# -- CLI ---------------------------------------------------------------------------------------

runner = CliRunner()


@pytest.fixture
def instance_file(tmp_path):
    path = tmp_path / "inst.json"
    path.write_text(json.dumps(GOOD))
    return path


@pytest.mark.parametrize("method", ["optimal", "greedy", "lp"])
def test_cli_json_contract(instance_file, method):
    res = runner.invoke(app, ["route-orders", str(instance_file), "--json", "--method", method,
                              "--time-limit", "10"])
    assert res.exit_code == 0, res.output
    out = json.loads(res.stdout)
    # the original keys first, in their original order; then the added ones
    assert list(out)[:7] == ["status", "objective", "bound", "shipments", "unfilled",
                             "split_orders", "time_s"]
    assert set(out) - set(list(out)[:7]) == {"gap", "time_limit_hit", "message", "method",
                                              "unmet_promise_orders"}
    assert out["method"] == method and out["time_limit_hit"] is False
    inst = load_instance(instance_file)
    flow = flow_from_shipments(inst, [(s["order"], s["node"], s["units"])
                                      for s in out["shipments"]])
    assert plan_violations(inst, flow) == []
    assert out["objective"] == pytest.approx(plan_cost(inst, flow))
    unfilled = sum(u["units"] for u in out["unfilled"])
    assert unfilled == int(inst.line_qty.sum() - flow.sum())
    if method == "optimal":
        assert out["status"] == "optimal"
        assert out["bound"] == pytest.approx(out["objective"])
        assert out["gap"] == pytest.approx(0.0, abs=1e-9)
    if method == "greedy":
        assert out["bound"] is None and out["gap"] is None


def test_cli_summary(instance_file):
    res = runner.invoke(app, ["route-orders", str(instance_file)])
    assert res.exit_code == 0
    assert "optimal" in res.stdout and "split orders" in res.stdout


def test_cli_bad_input_exits_with_the_named_field(tmp_path):
    data = copy.deepcopy(GOOD)
    data["orders"][1]["lines"]["Q"] = 2
    path = tmp_path / "bad.json"
    path.write_text(json.dumps(data))
    res = runner.invoke(app, ["route-orders", str(path), "--json"])
    assert res.exit_code == 2
    assert "orders[1].lines.Q: unknown SKU" in res.stderr


def test_cli_infeasible_hard_promise(tmp_path):
    data = copy.deepcopy(GOOD)
    data["promise"] = {"hard": True}
    data["orders"][1]["promise_days"] = 1
    data["orders"][1]["transit_days"] = {"EAST": 3, "WEST": 2}
    path = tmp_path / "late.json"
    path.write_text(json.dumps(data))
    res = runner.invoke(app, ["route-orders", str(path), "--json"])
    assert res.exit_code == 0
    assert json.loads(res.stdout)["status"] == "infeasible"
    assert "o2: no node delivers within its 1-day promise" in res.stderr
