"""`fulfil safety-stock`: both input forms, the JSON contract, named-field errors."""

from __future__ import annotations

import json

import pandas as pd
import pytest
from typer.testing import CliRunner

import sim.cli.safety_stock_command  # noqa: F401  (registers the command)
from optimize.result import SHARED_KEYS
from optimize.safety_stock import NAMED_NETWORKS
from sim.cli.app import app

runner = CliRunner()


def test_network_json_answer_has_the_contract_fields(tmp_path):
    path = tmp_path / "net.json"
    path.write_text(json.dumps(NAMED_NETWORKS["example_6_5"]))
    res = runner.invoke(app, ["safety-stock", str(path), "--json"])
    assert res.exit_code == 0, res.output
    out = json.loads(res.stdout)
    # the original keys first, in their order; then the shared result keys and net lead times
    assert list(out)[:6] == ["status", "cost", "outbound_cst", "inbound_cst", "safety_stock",
                             "time_s"]
    assert set(out) - {"cost", "outbound_cst", "inbound_cst", "safety_stock"} == {
        *SHARED_KEYS, "net_lead_time"}
    assert out["objective"] == out["cost"] and out["gap"] == pytest.approx(0.0, abs=1e-9)
    assert out["time_limit_hit"] is False
    assert out["status"] == "optimal"
    assert out["cost"] == pytest.approx(8.277916867529369, abs=1e-9)
    assert out["outbound_cst"] == {"1": 0, "2": 0, "3": 0, "4": 1}
    assert out["inbound_cst"] == {"1": 1, "2": 0, "3": 0, "4": 0}


@pytest.mark.parametrize(("edit", "field"), [
    (lambda d: d["edges"].append(["2", "1"]), "edges"),
    (lambda d: d["edges"].append(["1", "nowhere"]), "edges[3][1]"),
    (lambda d: d["nodes"][2].update(processing_time=-1), "nodes[2].processing_time"),
    (lambda d: d["nodes"][1].update(holding_cost=-3), "nodes[1].holding_cost"),
])
def test_bad_network_exits_non_zero_naming_the_field(tmp_path, edit, field):
    data = json.loads(json.dumps(NAMED_NETWORKS["example_6_5"]))
    edit(data)
    path = tmp_path / "bad.json"
    path.write_text(json.dumps(data))
    res = runner.invoke(app, ["safety-stock", str(path), "--json"])
    assert res.exit_code == 2
    assert f"  {field}:" in res.stderr


def test_sku_csv_writes_levels_table(tmp_path):
    src = tmp_path / "skus.csv"
    src.write_text("sku,node,demand_mean,demand_sd,lead_time_mean,lead_time_sd,unit_cost\n"
                   "A,n1,10,3,5,1,20\nB,n1,0.5,0.8,10,2,5\nC,n2,100,30,3,0,2\n")
    out = tmp_path / "levels.csv"
    res = runner.invoke(app, ["safety-stock", str(src), "--target", "fill_rate=0.98",
                              "--policy", "RS", "--review-days", "7", "--out", str(out)])
    assert res.exit_code == 0, res.output
    table = pd.read_csv(out)
    assert list(table["sku"]) == ["A", "B", "C"]
    assert (table["achieved_service"] >= 0.98 - 1e-9).all()
    assert (table["safety_stock"] >= 0).all()
    assert {"order_up_to", "reorder_point", "expected_on_hand", "safety_stock_value"} <= set(
        table.columns)


def test_sku_csv_bad_rows_and_target_are_named(tmp_path):
    src = tmp_path / "skus.csv"
    src.write_text("sku,node,demand_mean,demand_sd,lead_time_mean,lead_time_sd,unit_cost\n"
                   "A,n1,10,-3,5,1,20\nB,n1,x,1,1,0,1\n")
    res = runner.invoke(app, ["safety-stock", str(src)])
    assert res.exit_code == 2
    assert "rows[0].demand_sd" in res.stderr and "rows[1].demand_mean" in res.stderr
    src.write_text("sku,node,demand_mean\nA,n1,3\n")
    res = runner.invoke(app, ["safety-stock", str(src), "--target", "fill_rate=1.5"])
    assert res.exit_code == 2 and "--target" in res.stderr
