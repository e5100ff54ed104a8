"""The spike pre-build re-plans at each review from what the online forecast has learned of the
base demand (sim.prebuild, sim.demand_forecast): under the oracle the schedule is the one of
before, bit for bit; a base demand running above the plan raises the pre-build and the fill
in the spike; a review's level reads no order created after it."""

from __future__ import annotations

import hashlib

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from pydantic import ValidationError

import sim.prebuild
from sim.api import load_scenario, run, with_changes
from sim.demand_forecast import (
    SMOOTHING,
    OnlineForecast,
    OracleForecast,
    planning_scenario,
    stationary_rel_sd,
)
from sim.experiments import window_kpis
from sim.model import Network
from sim.node import REVIEW_HOUR
from sim.prebuild import level_schedule

PLANNED, TRUE = 240.0, 312.0  # the plan, and a base demand running 30 % above it
SPIKE = {"name": "promo", "start_day": 30, "duration_days": 4, "multiplier": 3.0,
         "announced": True, "expected_multiplier": 3.0}


def _spiky(scenario_dir, **changes):
    """The one-node fill-rate validation scenario (3 SKUs, Poisson single-unit orders, review
    every 2 days, fixed 4-day lead time) with a 3x promotion on days 30-34 and pre-build on."""
    # a copy of SPIKE: with_changes edits the dicts it is given in place
    return with_changes(load_scenario(scenario_dir / "validation_fill_rate_target.yaml"), {
        "run.horizon_days": 46, "run.warmup_days": 10, "demand.spikes": [dict(SPIKE)],
        "inventory.spike_prebuild": True, **changes})


@pytest.fixture(scope="module")
def above_plan(scenario_dir):
    """Orders drawn at 312 a day while the planners believe 240."""
    return _spiky(scenario_dir, **{"demand.orders_per_day": TRUE,
                                   "demand.planned_orders_per_day": PLANNED})


@pytest.fixture(scope="module")
def above_plan_net(above_plan):
    """Its network at replication 0 (orders drawn, schedule re-planned)."""
    return Network(above_plan, 0)


class StaticPlan:
    """The pre-build as it was before re-planning: the plan's base level at every review, the
    announced spikes at their estimates."""

    def __init__(self, scenario):
        self._online = OnlineForecast(scenario, np.zeros(0))
        self._planned = planning_scenario(scenario).demand.orders_per_day

    def level(self, now_h: float) -> float:
        return self._planned

    def known_spikes(self):
        return self._online.known_spikes()


def _in_force(schedule, day: float) -> np.ndarray:
    current = schedule[0][1]
    for d, levels in schedule:
        if d <= day:
            current = levels
    return current


def _digest(schedule) -> str:
    h = hashlib.sha256()
    for day, levels in schedule:
        h.update(np.float64(day).tobytes())
        h.update(np.ascontiguousarray(levels, np.int64).tobytes())
    return h.hexdigest()[:16]


def test_oracle_schedule_is_the_one_of_before(scenario_dir):
    sc = _spiky(scenario_dir, **{"demand.forecast": "oracle",
                                 "demand.spikes[0].expected_multiplier": 2.5})
    net = Network(sc, 0)
    # recorded from the code before re-planning (commit 98500f1), same scenario and seed
    assert _digest(net.level_schedule) == "3127b16633b8fb83"
    assert [d for d, _ in net.level_schedule] == [0, 24, 26, 28, 30, 32, 34]
    # the oracle reads no order: another replication's orders give the same schedule
    assert _digest(level_schedule(net, OracleForecast(sc))) == "3127b16633b8fb83"
    assert _digest(Network(sc, 1).level_schedule) == "3127b16633b8fb83"


def test_planned_rate_sizes_the_stock_and_starts_the_forecast(scenario_dir, above_plan):
    believed = Network(_spiky(scenario_dir, **{"demand.orders_per_day": PLANNED}), 0)
    net = Network(above_plan, 0)
    np.testing.assert_array_equal(net.order_up_to, believed.order_up_to)
    assert OnlineForecast(above_plan, net.orders.created_h).level(0.0) == PLANNED
    assert OracleForecast(above_plan).level(0.0) == TRUE
    assert planning_scenario(above_plan).demand.orders_per_day == PLANNED
    plain = _spiky(scenario_dir)
    assert planning_scenario(plain) is plain
    with pytest.raises(ValidationError, match="planned_orders_per_day"):
        with_changes(plain, {"demand.planned_orders_per_day": 0})


def test_replanned_prebuild_follows_demand_above_the_plan(above_plan, above_plan_net):
    net = above_plan_net
    base = net.order_up_to[0]
    static = level_schedule(net, StaticPlan(above_plan))
    online = OnlineForecast(above_plan, net.orders.created_h)
    raised = 0
    for day in range(24, 34, 2):  # the reviews whose window reaches the spike
        at_h = 24.0 * day + REVIEW_HOUR
        r = online.level(at_h) / PLANNED
        # the plan's error (-0.3) has decayed as 0.7^day, and the level is within 4 of its
        # standard errors (stationary_rel_sd) of the truth
        decayed = (TRUE - PLANNED) / PLANNED * (1 - SMOOTHING) ** day
        assert abs(r - TRUE / PLANNED) < decayed + 4 * TRUE / PLANNED * stationary_rel_sd(TRUE)
        extra_static = (_in_force(static, day)[0] - base).sum()
        extra_online = (net.levels_at(at_h)[0] - base).sum()
        assert extra_static > 0
        # with a fixed lead time the extra is the spike's expected demand (the safety stock
        # barely moves), so it scales by r: measured 1.26 to 1.33 here; 3 SKUs' rounding
        assert extra_online == pytest.approx(r * extra_static, abs=3)
        raised += 1
    assert raised == 5
    np.testing.assert_array_equal(net.level_schedule[-1][1], net.order_up_to)


def test_replanned_prebuild_fills_more_in_the_spike(above_plan, monkeypatch):
    """Same seed, the static plan against re-planning: the spike window (days 30-46) fills
    more, the days before it alike, the demand the same."""
    replanned = run(above_plan, 0)
    monkeypatch.setattr(sim.prebuild, "forecast_for", lambda sc, created_h: StaticPlan(sc))
    static = run(above_plan, 0)
    assert replanned.summary["units"] == static.summary["units"]
    spike = {name: window_kpis(above_plan, res.tables, 30, 46)["unit_fill_rate_pct"]
             for name, res in (("replanned", replanned), ("static", static))}
    before = {name: window_kpis(above_plan, res.tables, 10, 24)["unit_fill_rate_pct"]
              for name, res in (("replanned", replanned), ("static", static))}
    # measured 51.1 against 35.3 (seed 0; seeds 1, 2: 49.6 vs 35.0, 50.9 vs 35.0); the base
    # levels stay the plan's, so both are short of the target outside the spike too
    assert spike["replanned"] > spike["static"] + 10.0
    assert before["replanned"] == pytest.approx(before["static"], abs=1.0)


@settings(max_examples=20, deadline=None)
@given(day=st.integers(20, 33), seed=st.integers(0, 2**16), drop=st.floats(0.0, 1.0),
       extra=st.integers(0, 3000))
def test_a_reviews_level_reads_no_later_order(above_plan, above_plan_net, day, seed, drop,
                                              extra):
    net = above_plan_net
    times = net.orders.created_h
    now_h = 24.0 * day + REVIEW_HOUR
    rng = np.random.default_rng(seed)
    keep = (times < now_h) | (rng.random(len(times)) >= drop)
    added = now_h + (24.0 * 46 - now_h) * rng.random(extra)
    changed = np.sort(np.concatenate([times[keep], added]))
    other = level_schedule(net, OnlineForecast(above_plan, changed))
    for d in range(day + 1):
        np.testing.assert_array_equal(_in_force(other, d), _in_force(net.level_schedule, d))


def test_a_reviews_level_reads_the_orders_before_it(above_plan, above_plan_net):
    """The counterpart: orders missing before a review (days 20-26) do change its level."""
    times = above_plan_net.orders.created_h
    fewer = times[(times < 24.0 * 20) | (times >= 24.0 * 26)]
    other = level_schedule(above_plan_net, OnlineForecast(above_plan, fewer))
    assert (_in_force(other, 26) < _in_force(above_plan_net.level_schedule, 26)).all()
