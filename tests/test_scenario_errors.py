"""A bad scenario gets one clear line per problem, naming the field and the value; exit 2;
nothing is written."""

from __future__ import annotations

import copy
from pathlib import Path

import pytest
import yaml
from typer.testing import CliRunner

from sim.cli import app

from .conftest import SCENARIOS

BASE = yaml.safe_load((SCENARIOS / "us_two_node_black_friday.yaml").read_text())


def _with(path: str, value):
    data = copy.deepcopy(BASE)
    keys = path.replace("]", "").replace("[", ".").split(".")
    node = data
    for k in keys[:-1]:
        node = node[int(k)] if k.isdigit() else node.setdefault(k, {})
    last = keys[-1]
    if value is _DELETE:
        del node[last]
    elif last.isdigit():
        node[int(last)] = value
    else:
        node[last] = value
    return data


_DELETE = object()

CASES = {
    "negative count": (_with("nodes[1].resources.pickers.count", -3),
                       "nodes[1].resources.pickers.count", "-3"),
    "unknown key (typo)": (_with("demand.orders_per_dya", 10), "demand.orders_per_dya", "10"),
    "wrong type": (_with("demand.orders_per_day", "lots"), "demand.orders_per_day", "'lots'"),
    "missing section": (_with("carriers", _DELETE), "carriers", "Field required"),
    "out of range": (_with("nodes[0].location.lat", 123.0), "nodes[0].location.lat", "123"),
    "unknown reference": (_with("disruptions[0].node", "atlanta"), "disruptions", "atlanta"),
    "bands mismatch": (_with("carriers.carriers[0].services[0].transit_days", [1, 2]),
                       "carriers", "distance band"),
    "shift backwards": (_with("nodes[0].resources.pickers.shifts", [[14, 6]]),
                        "nodes[0].resources.pickers.shifts", "before end"),
    "bad enum": (_with("nodes[0].mode", "outsourced"), "nodes[0].mode", "'outsourced'"),
    "warm-up too long": (_with("run.warmup_days", 99), "run", "warmup_days"),
    "hold confidence of 1": (_with("routing.lookahead_hold_confidence", 1.0),
                             "routing.lookahead_hold_confidence", "1.0"),
    "unknown sku level": (_with("inventory.order_up_to", {"reno": {"NOPE": 5}}),
                          "inventory.order_up_to.reno.NOPE", "NOPE"),
    "unknown routing policy": (_with("routing", {"policy": "fastest"}), "routing.policy",
                               "'fastest'"),
    "hold confidence of 1, nested": (
        _with("routing", {"policy": "lookahead", "hold_confidence": 1.0}),
        "routing.hold_confidence", "1.0"),
    "another policy's parameter": (_with("routing", {"policy": "overflow", "interval_h": 2}),
                                   "routing.interval_h", "batch_optimal"),
}


@pytest.mark.parametrize("case", sorted(CASES))
def test_bad_scenario_names_field_and_value(case, tmp_path: Path):
    data, field, value = CASES[case]
    path = tmp_path / "bad.yaml"
    path.write_text(yaml.safe_dump(data))
    out = tmp_path / "out"
    runner = CliRunner()
    for args in (["validate", str(path)], ["run", str(path), "--out", str(out)]):
        res = runner.invoke(app, args)
        assert res.exit_code == 2, res.output
        lines = [ln for ln in res.stderr.splitlines() if field in ln]
        assert lines, res.stderr
        assert any(value in ln for ln in lines), res.stderr
        assert "Traceback" not in res.output + res.stderr
    assert not out.exists()


def test_every_problem_is_listed_at_once(tmp_path: Path):
    data = _with("nodes[1].resources.pickers.count", -3)
    data["demand"]["orders_per_day"] = -5
    path = tmp_path / "bad.yaml"
    path.write_text(yaml.safe_dump(data))
    res = CliRunner().invoke(app, ["validate", str(path)])
    assert res.exit_code == 2
    assert "nodes[1].resources.pickers.count" in res.stderr
    assert "demand.orders_per_day" in res.stderr


def test_not_yaml_and_missing_file(tmp_path: Path):
    bad = tmp_path / "x.yaml"
    bad.write_text("nodes: [unclosed\n")
    runner = CliRunner()
    assert runner.invoke(app, ["validate", str(bad)]).exit_code == 2
    res = runner.invoke(app, ["validate", str(tmp_path / "missing.yaml")])
    assert res.exit_code == 2 and "missing.yaml" in res.stderr


def test_good_scenario_validates():
    res = CliRunner().invoke(app, ["validate", str(SCENARIOS / "fr_one_node.yaml")])
    assert res.exit_code == 0, res.output
    assert "ok" in res.output


def test_with_changes_leaves_the_callers_values_alone():
    """A change given as a list of mappings is copied: a later path into it edits the
    scenario, not the caller's list."""
    from sim.api import load_scenario, with_changes

    base = load_scenario(SCENARIOS / "us_two_node_black_friday.yaml")
    spikes = [s.model_dump() for s in base.demand.spikes]
    before = [dict(s) for s in spikes]
    sc = with_changes(base, {"demand.spikes": spikes, "demand.spikes[0].multiplier": 9.0})
    assert sc.demand.spikes[0].multiplier == 9.0
    assert spikes == before
