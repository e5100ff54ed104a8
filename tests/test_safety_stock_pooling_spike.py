"""Pooling by sample average approximation, and spike pre-build."""

from __future__ import annotations

import numpy as np
import pytest

from optimize.errors import InvalidInput
from optimize.safety_stock import normal_demand_scenarios, plan_spike_prebuild, pool_stock_saa


def _newsvendor_cost(level, demand, h, p):
    return float(np.mean(h * np.maximum(level - demand, 0) + p * np.maximum(demand - level, 0)))


def test_alone_levels_are_empirical_newsvendor_quantiles():
    D = normal_demand_scenarios([100, 60, 30], [30, 20, 10], 0.2, 400, seed=1)
    res = pool_stock_saa(D, 1.0, 9.0, 2.0)
    for i in range(3):
        col = np.sort(D[:, i])
        # The SAA newsvendor optimum: any level between the 360th and 361st order statistic.
        assert col[359] - 1e-6 <= res.alone_order_up_to[i] <= col[360] + 1e-6
    alone = sum(_newsvendor_cost(res.alone_order_up_to[i], D[:, i], 1.0, 9.0) for i in range(3))
    assert res.alone_cost == pytest.approx(alone, rel=1e-7)
    assert res.objective <= res.alone_cost + 1e-9
    assert res.saving == pytest.approx(res.alone_cost - res.objective)


def test_free_transfers_pool_into_one_newsvendor_on_total_demand():
    D = normal_demand_scenarios([50, 50], [20, 20], 0.0, 300, seed=2)
    res = pool_stock_saa(D, 1.0, 4.0, 0.0)
    total = D.sum(axis=1)
    best = min(_newsvendor_cost(s, total, 1.0, 4.0) for s in np.sort(total))
    assert res.objective == pytest.approx(best, rel=1e-7)
    assert res.order_up_to.sum() == pytest.approx(np.quantile(total, 0.8, method="inverted_cdf"),
                                                  abs=1e-6)


def test_forbidden_transfers_give_no_saving_and_integer_levels_are_whole():
    D = normal_demand_scenarios([40, 30], [10, 10], 0.0, 100, seed=3)
    res = pool_stock_saa(D, 1.0, 5.0, np.inf)
    assert res.saving == pytest.approx(0.0, abs=1e-7)
    mip = pool_stock_saa(D, 1.0, 5.0, 1.0, integer_levels=True)
    assert np.allclose(mip.order_up_to, np.round(mip.order_up_to))


def test_pooling_rejects_bad_costs_with_field_names():
    with pytest.raises(InvalidInput) as err:
        pool_stock_saa(np.ones((5, 2)), -1.0, 5.0, [[0, -2], [1, 0]])
    paths = {p.path for p in err.value.problems}
    assert "holding_cost[0]" in paths and "transfer_cost[0][1]" in paths


def test_prebuild_raises_levels_a_lead_time_before_the_spike_and_protects_service():
    plan = plan_spike_prebuild(100, 30, 60, 30, 5, 3.0, 7, 0.95, n_paths=500, seed=1)
    rise = np.flatnonzero(plan.order_up_to > plan.static_order_up_to + 1e-9)
    assert rise[0] == 30 - 7  # the order placed L periods ahead is the first to see the spike
    assert plan.spike_fill_rate > 0.97 > plan.static_spike_fill_rate
    assert plan.extra_holding_cost > 0
    assert plan.objective < plan.static_total_cost


def test_prebuild_with_capacity_starts_earlier_and_respects_capacity():
    cap = 180.0
    plan = plan_spike_prebuild(100, 30, 60, 30, 5, 3.0, 7, 0.95, supply_capacity=cap,
                               n_paths=300)
    free = plan_spike_prebuild(100, 30, 60, 30, 5, 3.0, 7, 0.95, n_paths=300)
    first = lambda p: np.flatnonzero(p.order_up_to > p.static_order_up_to + 1e-9)[0]  # noqa: E731
    assert first(plan) < first(free)
    expected_orders = np.diff(plan.order_up_to) + plan.demand_mean[:-1]
    assert np.all(expected_orders <= cap + 1e-9)
