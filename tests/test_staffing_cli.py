"""`fulfil staff` and `fulfil run --staffing`: the plan's contract, bad input (exit 2), and
the plan's promise checked in the simulation through a demand spike."""

from __future__ import annotations

import json
import math

import pandas as pd
import pytest
import yaml
from typer.testing import CliRunner

from sim.api import load_scenario, run, with_changes
from sim.cli import app
from sim.staffing import PLAN_COLUMNS, apply_plan, cutoff_days
from tests.conftest import SCENARIOS

PROBABILITY = 0.9


def _spiky():
    # Two weeks of 800 orders a day with a 3x spike on days 9-10 the planners know of.
    return with_changes(load_scenario(SCENARIOS / "us_one_node_in_house.yaml"), {
        "run.horizon_days": 14, "run.warmup_days": 0, "demand.orders_per_day": 800,
        "demand.spikes": [{"name": "peak", "start_day": 9, "duration_days": 2,
                           "multiplier": 3.0, "announced": True, "expected_multiplier": 3.0}]})


def staff_spiky(tmp, *options: str):
    """`fulfil staff` on the spiky fortnight (with `options`): scenario, its file, the plan
    file and the JSON summary."""
    sc = _spiky()
    path = tmp / "spiky.yaml"
    path.write_text(yaml.safe_dump(sc.model_dump(mode="json")))
    out = tmp / "plan.csv"
    res = CliRunner().invoke(app, ["staff", str(path), "--weeks", "2", "--out", str(out),
                                   "--probability", str(PROBABILITY), "--json", *options])
    assert res.exit_code == 0, res.output
    return sc, path, out, json.loads(res.stdout)


def pickup_days_hit(sc, plan_csv) -> list[bool]:
    """Whether each pickup day was hit, running the plan in two replications."""
    staffed = apply_plan(sc, pd.read_csv(plan_csv))
    hits = []
    for rep in range(2):
        r = run(staffed, rep)
        days = cutoff_days(staffed, r.tables["shipments"], r.tables["orders"])
        hits += days["hit"].tolist()
    return hits


@pytest.fixture(scope="module")
def planned(tmp_path_factory):
    return staff_spiky(tmp_path_factory.mktemp("staff"))


def test_plan_contract(planned):
    _sc, _path, out, summary = planned
    plan = pd.read_csv(out)
    assert tuple(plan.columns) == PLAN_COLUMNS
    assert len(plan) == 14 * 2  # a row per day and station (pickers, packers)
    assert set(plan["crew"]) == {"pickers", "packers"}
    assert summary["status"] in ("optimal", "feasible")
    assert summary["cost"] == pytest.approx(plan["cost"].sum())
    assert summary["bound"] <= summary["cost"] + 1e-6
    assert summary["promised_cutoff_hit_pct"] == pytest.approx(100 * PROBABILITY)
    # The spike is staffed: more capacity on its days than on the same weekdays before.
    cap = plan.groupby("day")["capacity_h"].sum()
    assert cap[9] > cap[2] and cap[10] > cap[3]
    # every pickup day's work before the cut-off is covered (the model's own check)
    assert (plan["capacity_h"] >= 0).all() and (plan["temps"] >= 0).all()


def test_run_with_the_plan(planned, tmp_path):
    _sc, path, out, _ = planned
    res = CliRunner().invoke(app, ["run", str(path), "--staffing", str(out), "--no-plots",
                                   "--days", "3", "--out", str(tmp_path / "run")])
    assert res.exit_code == 0, res.output
    assert (tmp_path / "run" / "summary.json").exists()


def test_plan_keeps_its_promise_in_the_simulation(planned):
    """Each pickup day's orders (in stock, not held) all leave that day with probability at
    least the promise: the simulated share of such days over two replications is no lower
    than the promise less 1.96 binomial standard errors."""
    sc, _path, out, _ = planned
    hits = pickup_days_hit(sc, out)
    n = len(hits)
    assert n == 24  # 12 pickup days a fortnight, two replications
    margin = 1.96 * math.sqrt(PROBABILITY * (1 - PROBABILITY) / n)
    assert sum(hits) / n >= PROBABILITY - margin


def _invoke(*args: str):
    return CliRunner().invoke(app, list(args))


def test_bad_input_exits_2(planned, tmp_path):
    _sc, path, out, _ = planned
    res = _invoke("staff", str(tmp_path / "missing.yaml"))
    assert res.exit_code == 2 and "missing.yaml" in res.output
    res = _invoke("staff", str(path), "--weeks", "0")
    assert res.exit_code == 2 and "weeks" in res.output and "0" in res.output
    garbage = tmp_path / "garbage.csv"
    garbage.write_bytes(b"\x00\x01\x02")
    res = _invoke("run", str(path), "--staffing", str(garbage), "--no-plots")
    assert res.exit_code == 2 and "garbage.csv" in res.output
    plan = pd.read_csv(out)
    bad = plan.assign(crew=plan["crew"].replace("packers", "packerz"))
    bad.to_csv(tmp_path / "bad.csv", index=False)
    res = _invoke("run", str(path), "--staffing", str(tmp_path / "bad.csv"), "--no-plots")
    assert res.exit_code == 2 and "crew" in res.output and "packerz" in res.output
    neg = plan.copy()
    neg.loc[3, "temps"] = -1
    neg.to_csv(tmp_path / "neg.csv", index=False)
    res = _invoke("run", str(path), "--staffing", str(tmp_path / "neg.csv"), "--no-plots")
    assert res.exit_code == 2 and "row 5: temps" in res.output


def test_a_temp_inside_the_hiring_lead_is_an_error(planned):
    sc, _path, out, _ = planned
    plan = pd.read_csv(out)
    hiring = plan.loc[plan["temps_new"] > 0, "crew"]
    assert len(hiring), "the spike is staffed with temps"
    late = with_changes(sc, {f"nodes[0].resources.{hiring.iloc[0]}.hiring_lead_days": 13})
    with pytest.raises(ValueError, match="hiring_lead_days: 13"):
        apply_plan(late, plan)
