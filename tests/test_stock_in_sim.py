"""Stock levels from optimize.safety_stock in the simulation: a node sized for a fill-rate
target meets it, and spike-aware pre-build levels raise stock in time and pay off."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from optimize.safety_stock import order_up_to_levels, poisson_loss
from sim.api import load_scenario, run, with_changes
from sim.experiments import t_interval, window_kpis
from sim.model import Network
from sim.node import REVIEW_HOUR
from sim.prebuild import expected_spike_days, receiving_allowance_days, window_sd_days
from sim.scenario import Spike, Supplier
from sim.stock_levels import dock_to_stock_days

SCENARIOS = Path(__file__).resolve().parents[1] / "scenarios"
VALIDATION = SCENARIOS / "validation_fill_rate_target.yaml"


@pytest.fixture(scope="module")
def validation():
    return load_scenario(VALIDATION)


def _sku_demand(scenario) -> np.ndarray:
    pop = np.array([s.popularity for s in scenario.skus.items], float)
    return scenario.demand.orders_per_day * pop / pop.sum()  # single-unit orders


# ---------------------------------------------------------------- fill-rate target


def test_levels_are_the_modules_for_the_target(validation):
    """No levels in the scenario: the model sizes them with order_up_to_levels."""
    inv = validation.inventory
    mu = _sku_demand(validation)
    expected = order_up_to_levels(mu, np.sqrt(mu), inv.supplier.lead_time_days_mean, 0.0,
                                  inv.review_period_days, inv.target, inv.target_kind)
    net = Network(validation, 0)
    assert inv.order_up_to is None
    np.testing.assert_array_equal(net.order_up_to[0], np.ceil(expected.order_up_to))
    assert (expected.safety_stock > 0).all()  # a real safety stock, not the mean floor


def test_levels_protect_the_dock_to_stock_time(validation):
    """Stock on the dock fills no order: with receivers that take time, the levels protect
    the supplier lead time plus the expected dock-to-stock, half a base order's receiving."""
    sc = with_changes(validation, {
        "nodes[0].process_times.receive_s_per_line": {"dist": "fixed", "mean": 3600.0},
        "nodes[0].resources.receivers": {"count": 1, "shifts": [[8, 16]]},
    })
    inv, mu = sc.inventory, _sku_demand(sc)
    allowance = receiving_allowance_days(sc, 0, mu)
    assert allowance > 0
    assert dock_to_stock_days(sc, 0, mu) == pytest.approx(allowance / 2)
    expected = order_up_to_levels(mu, np.sqrt(mu), inv.supplier.lead_time_days_mean
                                  + allowance / 2, 0.0, inv.review_period_days, inv.target,
                                  inv.target_kind)
    got = Network(sc, 0).order_up_to[0]
    np.testing.assert_array_equal(got, np.ceil(expected.order_up_to))
    assert (got > Network(validation, 0).order_up_to[0]).all()


def test_simulated_fill_rate_interval_contains_the_target(validation):
    """Unit fill rate over replications: its 95 % t interval holds the target (and the exact
    Poisson fill rate of the integer levels, which the normal sizing slightly overshoots)."""
    inv = validation.inventory
    fill = [run(validation, r).summary["unit_fill_rate_pct"] for r in range(6)]
    ci = t_interval(fill)
    assert ci.lo <= 100.0 * inv.target <= ci.hi, ci

    mu = _sku_demand(validation)
    S = Network(validation, 0).order_up_to[0].astype(float)
    L, R = inv.supplier.lead_time_days_mean, inv.review_period_days
    short = poisson_loss(S, mu * (L + R)) - poisson_loss(S, mu * L)
    exact = 100.0 * (1.0 - short.sum() / (R * mu.sum()))
    assert ci.lo <= exact <= ci.hi, (ci, exact)
    assert ci.half_width < 1.0  # tight enough to mean something


# ---------------------------------------------------------------- pre-build schedule


def _overlap(a0: float, a1: float, b0: float, b1: float) -> float:
    return max(0.0, min(a1, b1) - max(a0, b0))


@settings(max_examples=60, deadline=None)
@given(t=st.floats(0, 60), lead=st.floats(0.5, 20), receiving=st.floats(0, 3),
       review=st.integers(1, 14), start=st.floats(0, 80), duration=st.floats(0.1, 10),
       mult=st.floats(1.0, 6.0))
def test_expected_spike_days_fixed_lead_time_is_the_overlap(t, lead, receiving, review, start,
                                                            duration, mult):
    """Fixed lead time: (m - 1) times the overlap of [t, t + L + receiving + R) and the spike,
    measured here on a fine grid."""
    got = expected_spike_days(np.array([t]), review, Supplier(lead_time_days_mean=lead,
                                                              lead_time_days_sd=0.0),
                              receiving, [Spike(start_day=start, duration_days=duration,
                                                multiplier=mult)])[0]
    grid = np.linspace(t, t + lead + receiving + review, 200_001)
    inside = (grid >= start) & (grid < start + duration)
    brute = (mult - 1.0) * inside.mean() * (lead + receiving + review)
    assert got == pytest.approx(brute, abs=1e-3 * (mult - 1.0) * (lead + receiving + review)
                                + 1e-9)
    assert window_sd_days(np.array([t]), review, Supplier(lead_time_days_mean=lead,
                                                          lead_time_days_sd=0.0),
                          receiving, [Spike(start_day=start, duration_days=duration,
                                            multiplier=mult)])[0] == 0.0


def test_expected_spike_days_random_lead_time_matches_monte_carlo():
    supplier = Supplier(lead_time_days_mean=10.0, lead_time_days_sd=2.0)
    spikes = [Spike(start_day=25, duration_days=4, multiplier=3.5),
              Spike(start_day=40, duration_days=1, multiplier=2.0)]
    t = np.array([0.25, 7.25, 14.25, 21.25, 28.25, 35.25])
    got = expected_spike_days(t, 7, supplier, 1.5, spikes)
    spread = window_sd_days(t, 7, supplier, 1.5, spikes)
    shape = (10.0 / 2.0) ** 2
    lead = np.random.default_rng(3).gamma(shape, 10.0 / shape, 400_000)
    for k, tk in enumerate(t):
        end = tk + lead + 1.5 + 7
        x = sum((s.multiplier - 1) * np.clip(np.minimum(end, s.start_day + s.duration_days)
                                             - max(tk, s.start_day), 0, None)
                for s in spikes)
        assert got[k] == pytest.approx(x.mean(), abs=0.01)
        assert spread[k] == pytest.approx((lead + x).std(), abs=0.02)
    assert spread[-1] == pytest.approx(2.0, abs=0.02)  # no spike within reach: sd of L
    assert spread[1] > 2.0 * 2.0  # the spike edge near the arrival: a late order meets it
    assert got[0] > 0  # a very late order from day 0 could still meet the spike
    assert got[2] == pytest.approx(2.5 * 4, rel=1e-2)  # 14.25 + L + 8.5 mostly covers it


def test_receiving_allowance_is_the_work_of_a_base_purchase_order(validation):
    assert receiving_allowance_days(validation, 0, np.array([120.0, 80.0, 40.0])) == 0.0
    sc = with_changes(validation, {
        "nodes[0].process_times.receive_s_per_line": {"dist": "fixed", "mean": 100.0},
        "nodes[0].process_times.putaway_s_per_line": {"dist": "fixed", "mean": 60.0},
        "nodes[0].process_times.qc_share": 0.5, "nodes[0].process_times.qc_s_per_line": 40.0,
        "nodes[0].process_times.receive_s_per_unit": 3.0,
        "nodes[0].resources.receivers": {"count": 2, "shifts": [[6, 14]], "days": [0, 1, 2, 3]},
    })
    daily = np.array([120.0, 80.0, 0.01])
    lines = 2.0 + (1.0 - np.exp(-0.01 * 2))  # review period 2 days, one unit per line
    work_h = (lines * (100 + 60 + 0.5 * 40) + 3.0 * daily.sum() * 2) / 3600.0
    assert receiving_allowance_days(sc, 0, daily) == pytest.approx(work_h / (2 * 8 * 4 / 7))


def _spiky(validation, prebuild: bool):
    return with_changes(validation, {
        "run.horizon_days": 46, "run.warmup_days": 10,
        # a promotion on the calendar, planned at its true size
        "demand.spikes": [{"name": "promo", "start_day": 30, "duration_days": 4,
                           "multiplier": 3.0, "announced": True, "expected_multiplier": 3.0}],
        "inventory.spike_prebuild": prebuild,
    })


def test_schedule_raises_levels_before_the_spike_and_returns_to_base(validation):
    sc = _spiky(validation, True)
    net = Network(sc, 0)
    base = net.order_up_to[0]
    mu = _sku_demand(sc)
    L, R = sc.inventory.supplier.lead_time_days_mean, sc.inventory.review_period_days
    raised = 0
    for day in range(0, sc.run.horizon_days, R):
        t = day + REVIEW_HOUR / 24.0
        level = net.levels_at(24.0 * t)[0]
        extra = 2.0 * mu * _overlap(t, t + L + R, 30, 34)  # receiving is instant here
        if extra.any():
            raised += 1
            assert t < 34  # only reviews that can still buy for the spike
            assert (level - base >= extra - 0.5).all(), (day, level - base, extra)
            assert (level - base).sum() >= extra.sum()
        else:
            np.testing.assert_array_equal(level, base)
    assert raised == 5  # windows of 6 days, reviews every 2 days, a 4-day spike
    assert net.level_schedule[-1][0] <= 34 and (net.level_schedule[-1][1][0] == base).all()


def test_prebuild_run_conserves_and_fills_more_in_the_spike(validation):
    """Same seed with and without pre-build: both runs pass the conservation check (run()
    raises otherwise); pre-build fills more in the spike window and holds more stock."""
    out = {}
    for prebuild in (False, True):
        sc = _spiky(validation, prebuild)
        res = run(sc, 0)
        b = res.balance
        assert b["units_created"] == (b["units_delivered"] + b["units_in_process"]
                                      + b["units_backordered"] + b["units_cancelled"])
        out[prebuild] = (window_kpis(sc, res.tables, 30, 46), res.summary)
    static, pre = out[False][0], out[True][0]
    assert pre["unit_fill_rate_pct"] > static["unit_fill_rate_pct"] + 10.0
    assert pre["unit_fill_rate_pct"] >= 90.0
    assert pre["backorder_pct"] < static["backorder_pct"]
    assert out[True][1]["avg_on_hand_value"] > out[False][1]["avg_on_hand_value"]
    # Same demand in both (common random numbers).
    assert out[True][1]["units"] == out[False][1]["units"]
