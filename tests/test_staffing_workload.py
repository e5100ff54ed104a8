"""The simulated staffing workload (`fulfil staff --workload simulated`): the pilot's lines
are conserved, backorder release only adds to the plan's cost, the pickers' hand-off, the
CLI option and its bad values, and the plan's promise in the simulation."""

from __future__ import annotations

import math

import numpy as np
import pandas as pd
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from typer.testing import CliRunner

from sim.api import load_scenario, run, with_changes
from sim.cli import app
from sim.staffing import (
    PLAN_COLUMNS,
    PilotWorkload,
    hourly_lines,
    pilot_workload,
    solve_staffing,
    staffing_problem,
)
from tests.conftest import SCENARIOS
from tests.test_staffing_cli import PROBABILITY, pickup_days_hit, staff_spiky


def _small(days: int = 7, orders: float = 400.0):
    # One node with a 3x spike its planners know of on days 3-4: stock runs short, so some
    # shipments wait for their purchase orders and are released later.
    return with_changes(load_scenario(SCENARIOS / "us_one_node_in_house.yaml"), {
        "run.horizon_days": days, "run.warmup_days": 0, "demand.orders_per_day": orders,
        "demand.spikes": [{"name": "peak", "start_day": 3, "duration_days": 2,
                           "multiplier": 3.0, "announced": True, "expected_multiplier": 3.0}]})


@pytest.fixture(scope="module")
def small_run():
    sc = _small(days=14)
    return sc, run(sc, 0)


def test_hourly_lines_conserve_the_lines_released_to_picking(small_run):
    sc, res = small_run
    t = res.tables
    hours = 24 * 10  # a window shorter than the run: later releases are left out
    h = hourly_lines(t["pick_tours"], t["shipments"], [sc.nodes[0].id], hours)
    assert len(h) == hours
    tours = t["pick_tours"]
    assert h["lines"].sum() == tours.loc[tours["released_h"] < hours, "lines"].sum()
    # the same count from the orders: one node, so a shipment holds its order's lines
    ships = t["shipments"]
    released = ships.loc[ships["released_h"] < hours, "order"]
    lines = t["orders"].set_index("order").loc[released, "lines"]
    assert h["lines"].sum() == lines.sum()
    # backorder releases are a part of the lines, and this spike makes some
    assert (h["backorder_lines"] >= 0).all() and (h["backorder_lines"] <= h["lines"]).all()
    assert h["backorder_lines"].sum() > 0
    short = ships.loc[(ships["filled_on_arrival"] < ships["units"])
                      & (ships["released_h"] < hours)]
    assert ((h["backorder_lines"] > 0) == h["hour"].isin(
        np.floor(short["released_h"]).astype(int))).all()


def test_a_wave_counts_in_the_hour_its_orders_were_ready():
    # the 12:00 wave carries the orders ready from 11:00: before a 12:00 cut-off; one of its
    # two shipments (3 of its 4 units) waited for stock
    tours = pd.DataFrame({"released_h": [12.0, 13.0], "node": ["a", "a"], "lines": [4, 2],
                          "units": [4, 2]})
    ships = pd.DataFrame({"released_h": [12.0, 12.0, 13.0], "node": ["a", "a", "a"],
                          "units": [3, 1, 2], "filled_on_arrival": [0, 1, 2]})
    h = hourly_lines(tours, ships, ["a"], 24, {"a": 1.0}).set_index("hour")
    assert h.loc[11, "lines"] == 4 and h.loc[12, "lines"] == 2 and h["lines"].sum() == 6
    assert h.loc[11, "backorder_lines"] == pytest.approx(3.0)
    assert h["backorder_lines"].sum() == pytest.approx(3.0)
    assert hourly_lines(tours, ships, ["a"], 24).set_index("hour").loc[12, "lines"] == 4


@pytest.fixture(scope="module")
def pilot():
    return _small(), pilot_workload(_small(), 1, replications=2)


def test_pilot_workload_has_each_hour_and_replication(pilot):
    sc, w = pilot
    assert w.days == 7 and w.replications == 2
    assert len(w.hourly) == 2 * 7 * 24
    work = w.work(sc.nodes[0].id, "packers")
    assert work.shape == (2, 7, 24)
    lines = w.hourly.sort_values(["replication", "hour"])["lines"].to_numpy()
    assert np.allclose(work.ravel(), lines * w.hours_per_line[sc.nodes[0].id, "packers"])
    assert all(v > 0 for v in w.hours_per_line.values())


def test_pilot_needs_two_replications():
    with pytest.raises(ValueError, match="pilot_replications"):
        pilot_workload(_small(), 1, replications=1)


def _cost(sc, w: PilotWorkload, handoff_h: float = 0.0) -> float:
    plan = solve_staffing(staffing_problem(sc, 1, PROBABILITY, workload=w,
                                           handoff_h=handoff_h), time_limit_s=30)
    assert plan.status == "optimal"
    return plan.objective


def test_backorder_release_never_makes_the_plan_cheaper(pilot):
    sc, w = pilot
    assert _cost(sc, w) >= _cost(sc, w.without_backorders())


@settings(max_examples=8, deadline=None)
@given(seed=st.integers(0, 2**16), share=st.floats(0.0, 1.0), reps=st.integers(2, 5))
def test_backorder_release_monotone_on_random_workloads(pilot, seed, share, reps):
    """Property: for any pilot record, taking the backorder releases out never raises the
    optimal plan's cost (the quantile across replications is monotone in each one's work)."""
    sc, w = pilot
    rng = np.random.default_rng(seed)
    n = reps * 7 * 24
    lines = rng.poisson(rng.choice([0.0, 20.0, 60.0], size=n)).astype(float)
    hourly = pd.DataFrame({"replication": np.repeat(np.arange(reps), 7 * 24),
                           "node": sc.nodes[0].id, "hour": np.tile(np.arange(7 * 24), reps),
                           "lines": lines, "backorder_lines": lines * share
                           * rng.random(n)})
    synthetic = PilotWorkload(hourly, w.hours_per_line, w.hours_per_order, 7, reps)
    assert _cost(sc, synthetic) >= _cost(sc, synthetic.without_backorders()) - 1e-6


def test_handoff_costs_the_pickers_capacity(pilot):
    sc, w = pilot
    assert _cost(sc, w, handoff_h=2.0) >= _cost(sc, w)
    with pytest.raises(ValueError, match="handoff_h"):
        staffing_problem(sc, 1, PROBABILITY, workload=w, handoff_h=30.0)
    with pytest.raises(ValueError, match="workload"):
        staffing_problem(sc, 2, PROBABILITY, workload=w)  # the pilot covers one week


@pytest.fixture(scope="module")
def simulated(tmp_path_factory):
    return staff_spiky(tmp_path_factory.mktemp("staff_sim"), "--workload", "simulated",
                       "--pilot-replications", "2")


def test_cli_simulated_workload(simulated):
    _sc, _path, out, summary = simulated
    plan = pd.read_csv(out)
    assert tuple(plan.columns) == PLAN_COLUMNS  # the same contract as the forecast plan
    assert summary["workload"] == "simulated" and summary["pilot_replications"] == 2
    assert summary["pilot_too_few_replications"] is True  # 2 < 1 / (1 - 0.9)
    assert 0 <= summary["pilot_backorder_lines_pct"] <= 100
    assert summary["cost"] == pytest.approx(plan["cost"].sum())
    cap = plan.groupby("day")["capacity_h"].sum()
    assert cap[9] > cap[2] and cap[10] > cap[3]  # the spike is staffed


def test_simulated_plan_keeps_its_promise_in_the_simulation(simulated):
    """As the forecast plan's test: the share of pickup days hit over two replications is
    no lower than the promise less 1.96 binomial standard errors."""
    sc, _path, out, _ = simulated
    hits = pickup_days_hit(sc, out)
    assert len(hits) == 24
    margin = 1.96 * math.sqrt(PROBABILITY * (1 - PROBABILITY) / len(hits))
    assert sum(hits) / len(hits) >= PROBABILITY - margin


@pytest.mark.parametrize(("args", "words"), [
    (["--workload", "magic"], ["--workload", "magic"]),
    (["--workload", "simulated", "--pilot-replications", "1"], ["pilot-replications", "1"]),
    (["--handoff-h", "-1"], ["handoff-h", "-1"]),
    (["--handoff-h", "30"], ["handoff_h", "30"]),
])
def test_bad_workload_options_exit_2(simulated, tmp_path, args, words):
    _sc, path, _out, _ = simulated
    out = tmp_path / "plan.csv"
    res = CliRunner().invoke(app, ["staff", str(path), "--weeks", "1", "--out", str(out),
                                   *args])
    assert res.exit_code == 2, res.output
    assert all(w in res.output for w in words), res.output
    assert not out.exists()  # nothing written


def test_overtime_only_where_the_simulation_gives_it(pilot):
    """The simulation keeps workers on only when the head count falls: back-to-back shifts
    (6-14, 14-22) give no overtime before a 17:00 pickup, only after 22:00; a lone shift's
    overtime runs on from its end, across the pickup."""
    sc, w = pilot
    st = staffing_problem(sc, 1, PROBABILITY, workload=w).problem.stations[0]
    assert (st.hours_before_pickup, st.hours_after_pickup) == (11.0, 5.0)
    assert (st.overtime_before_h, st.overtime_after_h) == (0.0, 2.0)
    one = with_changes(sc, {"nodes[0].resources.pickers.shifts": [[8, 16]]})
    st = staffing_problem(one, 1, PROBABILITY, workload=w).problem.stations[0]
    assert (st.hours_before_pickup, st.hours_after_pickup) == (8.0, 0.0)
    assert (st.overtime_before_h, st.overtime_after_h) == (1.0, 1.0)
