"""The numbers a client reads: cost per shipped order split into fulfilment and shipping,
turns per year, returns of the window's orders, the break-even sentence and why two modes
can give the same service."""

from __future__ import annotations

import math

import numpy as np
import pandas as pd
import pytest
from hypothesis import given
from hypothesis import strategies as st
from scipy import stats

from sim.api import load_scenario, run, with_changes
from sim.compare import (
    CompareSettings,
    CompareTables,
    _crossings,
    plan_compare,
    same_service_pairs,
)
from sim.experiments import window_kpis
from sim.kpis import inventory_turns_per_year
from sim.report import _assumptions, findings

from .conftest import SCENARIOS

SMALL = {"run.horizon_days": 14, "run.warmup_days": 3, "demand.orders_per_day": 300,
         "skus.generator.count": 60}


@pytest.fixture(scope="module")
def small():
    return with_changes(load_scenario(SCENARIOS / "us_one_node_in_house.yaml"), SMALL)


# ---------------------------------------------------------------- turns


def _constant_flow(value_per_day: float, stock_value: float, days: int):
    daily = pd.DataFrame({"node": "a", "day": np.arange(days + 1),
                          "on_hand_value_avg": stock_value})
    ships = pd.DataFrame({"node": ["a"] * days + ["supplier"] * days,
                          "shipped_h": np.tile(24.0 * np.arange(days) + 12.0, 2),
                          "value": value_per_day})
    return daily, ships


def test_turns_per_year_of_a_constant_flow_is_its_known_answer():
    # 100 a day out of a stock worth 500 held all along: 5 days of supply, 73 turns a year;
    # the dropship supplier's shipments (no stock of ours) are not goods sold from stock.
    daily, ships = _constant_flow(100.0, 500.0, 10)
    turns, supply = inventory_turns_per_year(daily, ships, ["a"], 2, 10)
    assert turns == pytest.approx(73.0) and supply == pytest.approx(5.0)


@given(st.floats(1.0, 1e5), st.floats(1.0, 1e7), st.integers(2, 60))
def test_turns_per_year_is_365_over_days_of_supply(per_day, stock, days):
    daily, ships = _constant_flow(per_day, stock, days)
    turns, supply = inventory_turns_per_year(daily, ships, ["a"], 1, days)
    assert turns == pytest.approx(365.0 * per_day / stock, rel=1e-9)
    assert turns * supply == pytest.approx(365.0, rel=1e-9)


def test_summary_turns_per_year_is_annual_and_matches_days_of_supply(small):
    s = run(small).summary
    assert s["inventory_turns_per_year"] * s["days_of_supply"] == pytest.approx(365.0)
    assert "inventory_turns" in s  # the old key stays


# ---------------------------------------------------------------- returns


def test_returns_counted_by_order_match_the_return_rate(small):
    """Every unit shipped is returned with its category's rate (one category at 20 %): by
    order, the share is within the binomial 99.9 % interval; by arrival in the run, far below."""
    sc = with_changes(small, {"skus.categories": [
        {"name": "all", "share": 1.0, "return_rate": 0.2}]})
    r = run(sc)
    s = r.summary
    ships = r.tables["shipments"]
    window = ships[(ships["created_h"] >= 24.0 * sc.run.warmup_days) & ships["shipped_h"].notna()]
    n = int(window["units"].sum())
    lo, hi = stats.binom.interval(0.999, n, 0.2)
    assert s["returns_of_window_orders_units"] == int(window["returned_units"].sum())
    assert lo <= s["returns_of_window_orders_units"] <= hi
    assert s["returns_of_window_orders_pct"] == pytest.approx(
        100.0 * s["returns_of_window_orders_units"] / n)
    # Returns come back ~16 days after delivery: a 14-day run receives few of them.
    assert s["returns_received_units"] < 0.5 * s["returns_of_window_orders_units"]


# ---------------------------------------------------------------- costs


def test_cost_per_order_splits_into_fulfilment_and_shipping_per_shipped_order(small):
    s = run(small).summary
    assert s["fulfilment_cost_per_order"] + s["shipping_cost_per_order"] == pytest.approx(
        s["cost_per_order"])
    assert s["cost_per_order"] * s["orders_shipped_in_window"] == pytest.approx(s["total_cost"])
    by = s["cost_per_order_by_category"]  # the carrier's bill: parcels and return labels
    assert s["shipping_cost_per_order"] == pytest.approx(by["carrier"]
                                                         + by.get("return_postage", 0.0))
    assert sum(s["cost_per_order_by_category"].values()) == pytest.approx(s["cost_per_order"])


def test_in_house_carrier_discount_scales_shipping_only(small):
    """The same flow priced at list and at 30 % off: shipping x0.7, fulfilment unchanged."""
    at_list = run(with_changes(small, {"costs.in_house.carrier_discount": 0.0})).summary
    off = run(with_changes(small, {"costs.in_house.carrier_discount": 0.3})).summary
    assert off["shipping_cost_per_order"] == pytest.approx(
        0.7 * at_list["shipping_cost_per_order"], rel=1e-9)
    assert off["fulfilment_cost_per_order"] == pytest.approx(
        at_list["fulfilment_cost_per_order"], rel=1e-12)
    assert off["unit_fill_rate_pct"] == at_list["unit_fill_rate_pct"]


def test_cost_per_order_of_a_shorter_window_estimates_the_same_flow(small):
    """Costs of the window's days over the orders that left in those days: the first half of a
    steady run costs about what the whole run does per order (the old denominator, orders
    created in the window and shipped by the end, charged the short window more)."""
    r = run(small)
    mid = (small.run.warmup_days + small.run.horizon_days) // 2
    half = window_kpis(small, r.tables, small.run.warmup_days, mid)
    assert half["cost_per_order"] == pytest.approx(r.summary["cost_per_order"], rel=0.08)
    assert half["inventory_turns_per_year"] > 0


# ---------------------------------------------------------------- break-even and service


def _curve(costs: dict[str, list[float]], multipliers=(0.5, 1.0, 2.0)) -> pd.DataFrame:
    rows = [{"mode": m, "multiplier": v, "orders_per_day": 3000.0 * v, "n": 1, "mean": c}
            for m, cs in costs.items() for v, c in zip(multipliers, cs, strict=True)]
    return pd.DataFrame(rows)


def _tables(curve: pd.DataFrame, runs: pd.DataFrame | None = None,
            kpis: pd.DataFrame | None = None) -> CompareTables:
    empty = pd.DataFrame()
    kpis = kpis if kpis is not None else pd.DataFrame(columns=["period", "mode", "metric",
                                                               "mean"])
    crossings = _crossings(curve) if len(curve) else pd.DataFrame(
        columns=["orders_per_day", "cheapest_below", "cheapest_above"])
    tornado = pd.DataFrame(columns=["assumption", "level", "mode", "cost_per_order"])
    return CompareTables(kpis, empty, curve, crossings, tornado,
                         runs if runs is not None else empty, "all")


def test_no_break_even_in_the_range_is_said_in_words_and_in_the_csv():
    t = _tables(_curve({"in_house": [30.0, 25.0, 22.0], "3pl": [32.0, 28.0, 27.0]}))
    assert t.crossings.empty
    note = t.break_even_note()
    assert note == ("no break-even between x0.5 and x2 (1,500 to 6,000 orders/day): "
                    "in_house is cheapest throughout")
    csv = t.crossings_table()
    assert len(csv) == 1 and math.isnan(csv["orders_per_day"].iloc[0])
    assert csv["cheapest_below"].iloc[0] == csv["cheapest_above"].iloc[0] == "in_house"
    assert csv["note"].iloc[0] == note


def test_a_crossing_is_named_with_its_volume():
    # 3pl cheaper at low volume, in-house above: gaps -5 then +3, crossing at 5/8 of the way.
    t = _tables(_curve({"in_house": [35.0, 25.0, 22.0], "3pl": [30.0, 28.0, 27.0]}))
    assert len(t.crossings) == 1
    x = 1500.0 + 1500.0 * 5.0 / 8.0
    assert t.break_even_note().startswith(f"below about {x:,.0f} orders/day 3pl is cheapest")
    assert t.crossings_table()["note"].iloc[0] == "3pl cheapest below, in_house above"


def _runs(same: bool) -> pd.DataFrame:
    rows = []
    for r in range(3):
        for mode in ("in_house", "3pl", "dropship"):
            shift = {"in_house": 0.0, "3pl": 0.0 if same else 1.0 + r, "dropship": 5.0}[mode]
            rows.append({"sweep": "compare", "status": "ok", "mode": mode, "replication": r,
                         "on_time_pct": 90.0 + r + shift, "two_day_pct": 20.0 + r,
                         "normal/unit_fill_rate_pct": 95.0 - r, "cost_per_order": 10.0 + r})
    return pd.DataFrame(rows)


def test_same_service_pairs_are_modes_equal_in_every_replication():
    assert same_service_pairs(_runs(same=True)) == [("in_house", "3pl")]
    assert same_service_pairs(_runs(same=False)) == []


def test_findings_explain_identical_service_by_common_random_numbers(small):
    plan = plan_compare(small, CompareSettings(modes=("in_house", "3pl", "dropship"),
                                               replications=3, sensitivity=False))
    kpis = pd.DataFrame([{"period": "all", "mode": m, "metric": "cost_per_order",
                          "mean": c, "lo": c - 1, "hi": c + 1, "n": 3, "enough": True,
                          "replications_needed": 3}
                         for m, c in (("in_house", 18.0), ("3pl", 19.0), ("dropship", 21.0))])
    text = " ".join(findings(plan, _tables(pd.DataFrame(), _runs(same=True), kpis)))
    assert "**in_house** and **3pl** give the same service in every replication" in text
    assert "common random numbers" in text and "SLA cap" in text
    text = " ".join(findings(plan, _tables(pd.DataFrame(), _runs(same=False), kpis)))
    assert "same service" not in text


def test_a_scenario_without_spikes_is_not_said_to_drop_days_before_a_spike(small):
    sc = with_changes(small, {"run.horizon_days": 35, "run.warmup_days": 7})
    plan = plan_compare(sc, CompareSettings(sensitivity=False))
    text = " ".join(_assumptions(plan))
    assert plan.main.run.horizon_days == 21
    assert "first spike" not in text
    assert "shortened from 35 days: no spikes" in text
    assert "whole run after warm-up days 7-21 (14 days)" in text


def test_the_3pl_example_points_to_the_in_house_one_not_to_itself():
    comment = "\n".join(line for line in (SCENARIOS / "us_one_node_3pl.yaml").read_text()
                        .splitlines() if line.startswith("#"))
    assert "us_one_node_3pl.yaml" not in comment
    assert "us_one_node_in_house.yaml" in comment
