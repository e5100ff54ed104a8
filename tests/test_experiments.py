"""Confidence intervals against theory (M/M/1), paired differences, KPI windows, condensing."""

from __future__ import annotations

import math

import numpy as np
import pandas as pd
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from scipy import stats

from sim.api import load_scenario, run, with_changes
from sim.experiments import (
    MIN_REPLICATIONS,
    condense,
    paired_differences,
    periods,
    run_record,
    summarise,
    t_interval,
    window_kpis,
    without_spikes,
)

from .conftest import SCENARIOS


def mm1_mean_wait(rng: np.random.Generator, lam: float, mu: float, n: int, warmup: int) -> float:
    """Mean wait in queue of customers warmup..n-1 of an M/M/1 queue started empty
    (Lindley's recursion W[k+1] = max(0, W[k] + S[k] - A[k+1]))."""
    a = rng.exponential(1.0 / lam, n)
    s = rng.exponential(1.0 / mu, n)
    w = np.empty(n)
    w[0] = 0.0
    step = s[:-1] - a[1:]
    for k in range(n - 1):
        w[k + 1] = max(0.0, w[k] + step[k])
    return float(w[warmup:].mean())


def test_t_interval_matches_scipy():
    x = [3.1, 2.7, 3.3, 2.9, 3.6, 3.0]
    ci = t_interval(x, 0.95)
    lo, hi = stats.t.interval(0.95, len(x) - 1, loc=np.mean(x), scale=stats.sem(x))
    assert (ci.lo, ci.hi) == pytest.approx((lo, hi), rel=1e-12)
    assert ci.n == 6 and ci.mean == pytest.approx(np.mean(x))
    one = t_interval([4.0, math.nan])
    assert one.n == 1 and one.mean == 4.0 and math.isnan(one.half_width)


def test_intervals_cover_the_mm1_mean_wait_at_the_nominal_rate():
    lam, mu = 0.5, 1.0
    wq = lam / (mu * (mu - lam))  # M/M/1 mean wait in queue = 1.0
    rng = np.random.default_rng(20260)
    trials, reps = 300, 10
    covered = 0
    for _ in range(trials):
        ci = t_interval([mm1_mean_wait(rng, lam, mu, 1200, 200) for _ in range(reps)])
        covered += ci.lo <= wq <= ci.hi
    rate = covered / trials
    # 95 % nominal; 300 trials give a binomial sd of 1.3 points: allow about 3.5 sd.
    assert 0.905 <= rate <= 0.99, rate


def test_paired_differences_are_the_interval_of_per_replication_differences():
    rng = np.random.default_rng(3)
    noise = rng.normal(0, 5, 8)  # shared by both strategies: common random numbers
    df = pd.DataFrame({
        "mode": ["a"] * 8 + ["b"] * 8,
        "replication": list(range(8)) * 2,
        "cost": np.r_[10 + noise, 11 + noise + rng.normal(0, 0.1, 8)],
    })
    d = paired_differences(df, "mode", "a", ["cost"]).iloc[0]
    per_rep = df[df["mode"] == "b"]["cost"].to_numpy() - df[df["mode"] == "a"]["cost"].to_numpy()
    ci = t_interval(per_rep)
    assert (d["mode"], d["baseline"], d["n"]) == ("b", "a", 8)
    assert d["mean"] == pytest.approx(ci.mean) and d["lo"] == pytest.approx(ci.lo)
    # Pairing removes the shared noise: far narrower than either mode's own interval.
    s = summarise(df, ["mode"], ["cost"])
    assert d["half_width"] < 0.1 * s["half_width"].min()
    assert d["lo"] < 1.0 < d["hi"]


@settings(max_examples=40, deadline=None)
@given(st.lists(st.floats(-1e3, 1e3), min_size=2, max_size=30))
def test_interval_contains_the_mean_and_widens_with_the_level(x):
    a, b = t_interval(x, 0.9), t_interval(x, 0.99)
    assert a.lo <= a.mean <= a.hi
    assert b.half_width >= a.half_width - 1e-9


@pytest.fixture(scope="module")
def spiky():
    sc = load_scenario(SCENARIOS / "us_one_node_in_house.yaml")
    return with_changes(sc, {
        "run.horizon_days": 14, "run.warmup_days": 2, "demand.orders_per_day": 120,
        "skus.generator.count": 80,
        "demand.spikes": [{"name": "peak", "start_day": 8, "duration_days": 2,
                           "multiplier": 3.0}]})


def test_periods_split_at_the_first_spike(spiky):
    assert periods(spiky) == {"all": (2, 14), "normal": (2, 8), "spike": (8, 14)}
    assert periods(without_spikes(spiky)) == {"all": (2, 14)}


def test_window_over_the_whole_horizon_is_the_run_summary(spiky):
    r = run(spiky)
    w = window_kpis(spiky, r.tables, 2, 14)
    for k in ("orders", "cost_per_order", "two_day_pct", "unit_fill_rate_pct",
              "avg_on_hand_value"):
        assert w[k] == pytest.approx(r.summary[k], nan_ok=True), k
    rec = run_record(r)
    assert rec["normal/orders"] + rec["spike/orders"] == rec["orders"]
    assert rec["spike/orders"] / 6 > rec["normal/orders"] / 6  # the spike's days are busier
    assert rec["cost_per_order"] == r.summary["cost_per_order"]


def test_condense_drops_quiet_days_and_keeps_the_spike_weekday():
    sc = load_scenario(SCENARIOS / "us_two_node_black_friday.yaml")
    c = condense(sc, normal_days=7, recovery_days=7)
    spike, cspike = sc.demand.spikes[0], c.demand.spikes[0]
    shift = spike.start_day - cspike.start_day
    assert shift > 0 and c.run.horizon_days < sc.run.horizon_days
    weekday = (sc.run.start_weekday + spike.start_day) % 7
    assert (c.run.start_weekday + cspike.start_day) % 7 == weekday
    assert cspike.start_day - c.run.warmup_days == 7
    assert c.run.horizon_days == math.ceil(cspike.start_day + cspike.duration_days) + 7
    if sc.run.start_date is not None:  # the spike keeps its calendar date
        assert (c.run.start_date - sc.run.start_date).days == shift
    # Disruptions move with the spike.
    assert [d.start_day for d in c.disruptions] == [d.start_day - shift for d in sc.disruptions]


def test_too_few_replications_are_flagged_with_how_many_would_do():
    """Two replications far apart: not enough, and n (half / target)^2 replications asked
    for; twenty tight ones: enough. A share's bounds stay within [0, 100]."""
    wide = pd.DataFrame({"mode": "a", "cost_per_order": [10.0, 14.0],
                         "fill_rate_pct": [99.0, 60.0]})
    s = summarise(wide, ["mode"], ["cost_per_order", "fill_rate_pct"]).set_index("metric")
    cost = s.loc["cost_per_order"]
    assert not cost["enough"]
    half, target = cost["half_width"], 0.05 * 12.0
    assert cost["replications_needed"] == math.ceil(2 * (half / target) ** 2) > 2
    share = s.loc["fill_rate_pct"]
    assert share["lo"] >= 0.0 and share["hi"] == 100.0 and share["half_width"] > 100 - 79.5
    tight = pd.DataFrame({"mode": "a", "cost_per_order": 12.0 + np.linspace(-0.1, 0.1, 20)})
    t = summarise(tight, ["mode"], ["cost_per_order"]).iloc[0]
    assert t["enough"] and t["replications_needed"] == MIN_REPLICATIONS
    assert not summarise(tight.head(3), ["mode"], ["cost_per_order"]).iloc[0]["enough"]
