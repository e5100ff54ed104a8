"""The run's plots: written as PNGs, and the service-by-day curve counts every order of a
day once its outcome is known (no climb to 100 % at the end from counting only deliveries)."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

from sim.api import load_scenario, run, with_changes
from sim.plots import _share_by_order_day, plot_run

from .conftest import SCENARIOS


def test_a_day_is_shown_once_its_orders_are_settled_and_late_ones_count():
    #          day 0: on time, late (undelivered, promise passed) -> 50 %
    #          day 1: on time, not delivered and promise after the end -> not shown
    flag = pd.Series([1.0, np.nan, 1.0, np.nan])
    order_day = pd.Series([0, 0, 1, 1])
    due = pd.Series([1, 1, 2, 5])
    share = _share_by_order_day(flag, order_day, due, horizon_days=3)
    assert share.to_dict() == {0: 50.0}


def test_plot_run_writes_its_pngs(tmp_path):
    sc = with_changes(load_scenario(SCENARIOS / "us_one_node_in_house.yaml"),
                      {"run.horizon_days": 6, "run.warmup_days": 1,
                       "demand.orders_per_day": 100, "skus.generator.count": 40})
    res = run(sc, replication=0)
    paths = plot_run(sc, res.tables, tmp_path)
    assert {p.name for p in paths} >= {"orders_vs_shipments.png", "on_time.png",
                                       "backlog.png", "utilisation.png", "network_map.png"}
    for p in paths:
        assert p.read_bytes()[:8] == b"\x89PNG\r\n\x1a\n", p


@pytest.mark.parametrize(("horizon", "expected"), [(4, {0: 100.0, 1: 100.0}),
                                                    (5, {0: 100.0, 1: 100.0, 2: 0.0})])
def test_an_undelivered_order_counts_as_late_once_its_due_day_has_ended(horizon, expected):
    flag = pd.Series([1.0, 1.0, np.nan])
    share = _share_by_order_day(flag, pd.Series([0, 1, 2]), pd.Series([2, 3, 4]), horizon)
    assert share.to_dict() == expected
