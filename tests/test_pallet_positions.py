"""3PL storage by pallet positions, a position per SKU (issue 17, part 4): hand-computed
cases, the per-SKU count against the pooled-cube lower bound, and the run's ledger."""

from __future__ import annotations

import math

import numpy as np
import pytest
from hypothesis import given
from hypothesis import strategies as st

from sim.api import load_scenario, run, with_changes
from sim.fulfilment_modes import (
    MONTH_DAYS,
    pallet_positions,
    pallet_usable_m3,
    storage_per_day,
    storage_positions,
)
from sim.scenario import ThreePlCosts

from .conftest import SCENARIOS


def test_positions_by_hand():
    # usable 1.44 m3: 0.5 m3 of A takes 1, 1.44 of B exactly 1, 1.45 of C 2, none of D 0,
    # 3 units of 1.0 m3 of E 3 (2.08 pallets of cube, rounded up per SKU)
    on_hand = np.array([1, 1, 1, 0, 3])
    cube = np.array([0.5, 1.44, 1.45, 2.0, 1.0])
    assert pallet_positions(on_hand, cube, 1.44) == 1 + 1 + 2 + 0 + 3
    # pooled, the same stock is ceil(6.39 / 1.44) = 5 positions: per SKU bills 7
    assert math.ceil(on_hand @ cube / 1.44) == 5
    # a row per node
    two = pallet_positions(np.array([[1, 1, 1, 0, 3], [0, 0, 0, 0, 0]]), cube, 1.44)
    assert two.tolist() == [7, 0]


def test_small_skus_go_to_bins_when_cheaper():
    # bins of 0.03 m3 at 6 a month, pallets of 1.44 m3 at 22: up to 3 bins (18) beat a
    # pallet (22); 4 bins (24) do not
    t = ThreePlCosts(bin_usable_m3=0.03, storage_per_bin_month=6.0)
    on_hand = np.array([1, 3, 4, 100, 0])
    cube = np.full(5, 0.03)
    pallets, bins = storage_positions(on_hand, cube, t)
    # 4 units take a pallet, 100 units (3 m3) three; 1 and 3 units bins
    assert (int(pallets), int(bins)) == (1 + 3, 1 + 3)
    monthly = storage_per_day(t, on_hand, on_hand * cube, 200, pallets, bins) * MONTH_DAYS
    assert float(monthly) == pytest.approx(4 * 22 + 4 * 6)
    # without a bin rate every SKU takes pallets, as before
    only = storage_positions(on_hand, cube, ThreePlCosts(storage_per_bin_month=None))
    assert int(only[0]) == 1 + 1 + 1 + 3 and only[1] is None


@given(st.lists(st.tuples(st.integers(0, 500), st.floats(1e-4, 0.5)), min_size=1,
                max_size=30))
def test_bins_never_cost_more_than_pallets_only(stock):
    units = np.array([u for u, _ in stock])
    cube = np.array([c for _, c in stock])
    t = ThreePlCosts()
    pallets, bins = storage_positions(units, cube, t)
    with_bins = int(pallets) * 22.0 + int(bins) * 6.0
    assert with_bins <= int(pallet_positions(units, cube, 1.44)) * 22.0 + 1e-9
    assert (int(pallets) + int(bins) > 0) == bool((units > 0).any())


def test_storage_is_positions_at_the_monthly_rate():
    t = ThreePlCosts()
    assert t.storage_basis == "pallet_positions" and t.pallet_usable_m3 == pytest.approx(1.44)
    per_day = storage_per_day(t, np.zeros(3), np.zeros(3), 200, np.array([0, 1, 7]))
    assert per_day.tolist() == pytest.approx([p * 22.0 / MONTH_DAYS for p in (0, 1, 7)])
    with pytest.raises(ValueError, match="pallet_positions"):
        storage_per_day(t, np.zeros(3), np.zeros(3), 200)


@given(st.lists(st.tuples(st.integers(0, 500), st.floats(1e-4, 3.0)), min_size=1,
                max_size=30),
       st.floats(0.1, 3.0))
def test_per_sku_positions_bound_the_pooled_cube(stock, usable):
    units = np.array([u for u, _ in stock])
    cube = np.array([c for _, c in stock])
    per_sku = int(pallet_positions(units, cube, usable))
    pooled = int(np.ceil(np.round(units @ cube / usable, 9)))
    assert per_sku >= pooled
    # at most one part-filled position per SKU in stock more than the pooled count
    assert per_sku <= pooled + int((units > 0).sum())
    one = int(pallet_positions(units[:1], cube[:1], usable))
    assert one == int(np.ceil(np.round(units[0] * cube[0] / usable, 9)))


THREE_PL = with_changes(load_scenario(SCENARIOS / "us_one_node_3pl.yaml"), {
    "run.horizon_days": 6, "run.warmup_days": 1, "demand.orders_per_day": 200,
    "skus.generator.count": 40})


def test_the_run_bills_positions_per_sku():
    r = run(THREE_PL)
    daily = r.daily
    assert "pallet_positions" in daily.columns
    # at go-live the stock is the initial stock: positions per SKU >= pooled cube, and the
    # day's storage line is exactly the positions at the monthly rate
    first = daily[daily["t_h"] == 0].iloc[0]
    pooled = math.ceil(round(first["on_hand_cube_m3"] / 1.44, 9))
    assert first["pallet_positions"] + first["bin_positions"] > 0
    pallets_only = run(with_changes(THREE_PL, {"costs.three_pl.storage_per_bin_month": None}))
    assert pallets_only.daily.iloc[0]["pallet_positions"] >= pooled > 0
    assert "bin_positions" not in pallets_only.daily
    storage = r.costs[r.costs["category"] == "3pl_storage"].set_index("day")["amount"]
    assert storage[0] == pytest.approx(
        (first["pallet_positions"] * 22.0 + first["bin_positions"] * 6.0) / MONTH_DAYS)
    days = daily["day"].to_numpy()[:-1]
    assert storage.loc[days].to_numpy() == pytest.approx(
        (daily["pallet_positions"].to_numpy()[:-1] * 22.0
         + daily["bin_positions"].to_numpy()[:-1] * 6.0) / MONTH_DAYS)


def test_only_a_3pl_billing_positions_counts_them():
    assert pallet_usable_m3(THREE_PL) == pytest.approx(1.44)
    m3 = with_changes(THREE_PL, {"costs.three_pl.storage_basis": "cubic_metre"})
    assert pallet_usable_m3(m3) is None
    in_house = load_scenario(SCENARIOS / "us_one_node_in_house.yaml")
    assert pallet_usable_m3(in_house) is None
    assert "pallet_positions" not in run(with_changes(m3, {"run.horizon_days": 3})).daily
