"""A run may start at the review policy's steady state (on hand and purchase orders in
transit) instead of full shelves, so its first weeks carry no start-up dip."""

from __future__ import annotations

import numpy as np
import pytest

from sim.api import run, with_changes
from sim.scenario import load_scenario
from sim.stock_levels import steady_state_start

from .conftest import SCENARIOS
from .test_sim_theory import base_stock_avg_on_hand

BASE_STOCK = load_scenario(SCENARIOS / "validation_base_stock.yaml")


def test_steady_state_start_by_hand():
    """R = 1 day, L = 3 days, review at 06:00, mu = 20/day, S = 85: the reviews of the three
    days before ordered 20 each, arriving at 0.25, 1.25 and 2.25 days; on hand at 00:00 is
    S - mu (18 h since the last review) - 60 in transit = 85 - 15 - 60 = 10."""
    mu = np.array([[20.0]])
    on_hand, pipeline = steady_state_start(BASE_STOCK, mu, np.array([[85]]), np.array([True]),
                                           6.0)
    assert on_hand.tolist() == [[10]]
    assert sorted(p.arrives_day for p in pipeline) == pytest.approx([0.25, 1.25, 2.25])
    assert sorted(p.ordered_day for p in pipeline) == pytest.approx([-2.75, -1.75, -0.75])
    assert all(p.units.tolist() == [20] for p in pipeline)


def test_a_steady_state_start_has_no_start_up_transient():
    """The first five days' time-average on hand sits at the steady state's exact value
    (15.4 units) from a steady-state start; full shelves start more than twice as high."""
    theory = base_stock_avg_on_hand(20, 3, 85)

    def first_days(start: str) -> float:
        sc = with_changes(BASE_STOCK, {"inventory.initial_stock": start,
                                       "run.horizon_days": 12, "run.warmup_days": 1})
        return float(np.mean([run(sc, replication=r).daily.sort_values("day")[
            "on_hand_units_avg"].iloc[:5].mean() for r in range(8)]))

    steady, full = first_days("steady_state"), first_days("order_up_to")
    assert abs(steady - theory) < 5.0, (steady, theory)
    assert full > 2 * theory, (full, theory)


def test_steady_state_pipeline_is_conserved_and_arrives():
    sc = with_changes(load_scenario(SCENARIOS / "us_one_node_in_house.yaml"), {
        "inventory.initial_stock": "steady_state", "run.horizon_days": 8,
        "run.warmup_days": 1})
    r = run(sc)  # conservation counts the initial purchase orders like any other
    inbound = r.inbound
    early = inbound[inbound["ordered_h"] < 0]
    assert len(early) > 0 and early["dock_h"].notna().all()
    assert (early["dock_h"] > 0).all()


# ---------------------------------------------------------------- warm-up by MSER-5


def test_mser5_finds_a_known_transient():
    """A level of 100 for 20 days, then noise around 10 for 80 days: MSER-5 cuts 20 days; a
    stationary series needs no cut."""
    from sim.warmup import mser5_days

    rng = np.random.default_rng(1)
    transient = np.r_[np.full(20, 100.0), 10.0 + rng.normal(0, 1, 80)]
    assert mser5_days(transient) == 20
    assert mser5_days(10.0 + rng.normal(0, 1, 100)) <= 10
    assert mser5_days(np.arange(7.0)) == 0  # shorter than two batches: nothing to say


def test_the_run_reports_its_warm_up_and_flags_a_short_one():
    """Full shelves drain over the first lead time: MSER-5 cuts the first days of stock and
    flags a one-day warm-up as too short; a 10-day warm-up covers the stock transient."""
    sc = with_changes(BASE_STOCK, {"run.horizon_days": 60, "run.warmup_days": 1})
    report = run(sc).summary["warmup"]
    assert report["method"] == "MSER-5 on daily series"
    assert 5 <= report["mser5_days"]["on_hand_units"] <= 10
    assert report["configured_too_short"]
    assert report["suggested_days"] == max(report["mser5_days"].values())
