"""Single-node levels: loss functions by brute force, fill rates by Monte Carlo, invariants."""

from __future__ import annotations

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from scipy import stats

from optimize.errors import InvalidInput
from optimize.safety_stock import (
    abc_classes,
    base_stock_fill_rate_poisson,
    efficiency_frontier,
    newsvendor_poisson,
    order_up_to_levels,
    reorder_point_order_up_to,
)
from optimize.safety_stock.distributions import demand_over


def _simulate_rs(S, R, L, mean, sd, rng, paths=3000, cycles=60, poisson=False):
    """Fill rate of (R, S) with backorders: review every R periods, lead time L periods.

    An order placed at the start of period t arrives at the start of period t + L, before that
    period's demand; a unit is short when demand exceeds the on-hand stock.
    """
    T = R * cycles + L
    d = (rng.poisson(mean, (paths, T)).astype(float) if poisson
         else rng.normal(mean, sd, (paths, T)))
    level = np.full(paths, float(S))
    position = level.copy()
    arrivals = np.zeros((paths, T + L + 1))
    short = total = 0.0
    warm = 2 * R + L
    for t in range(T):
        if t % R == 0:
            q = S - position
            arrivals[:, t + L] += q
            position += q
        level += arrivals[:, t]
        on_hand = np.maximum(level, 0.0)
        if t >= warm:
            short += np.maximum(d[:, t] - on_hand, 0.0).sum()
            total += d[:, t].sum()
        level -= d[:, t]
        position -= d[:, t]
    return 1.0 - short / total, short, total


@pytest.mark.parametrize(("R", "L", "beta"), [(1, 3, 0.95), (7, 5, 0.98), (3, 0, 0.99)])
def test_rs_fill_rate_matches_monte_carlo(R, L, beta):
    mean, sd = 100.0, 20.0
    lv = order_up_to_levels(mean, sd, L, 0.0, R, beta)
    assert lv.achieved_service == pytest.approx(beta, abs=1e-9)
    sim, _, _ = _simulate_rs(float(lv.order_up_to), R, L, mean, sd, np.random.default_rng(7))
    assert sim == pytest.approx(beta, abs=0.004)


def test_poisson_base_stock_fill_rate_exact_and_by_monte_carlo():
    lam, L = 4.0, 2
    for S in (8, 12, 16):
        k = np.arange(200)
        short = (np.maximum(k - S, 0) * (stats.poisson.pmf(k, (L + 1) * lam)
                                         - stats.poisson.pmf(k, L * lam))).sum()
        exact = base_stock_fill_rate_poisson(S, lam, L)
        assert exact == pytest.approx(1 - short / lam, abs=1e-12)
        sim, _, _ = _simulate_rs(S, 1, L, lam, 0, np.random.default_rng(S), paths=4000,
                                 cycles=150, poisson=True)
        assert sim == pytest.approx(exact, abs=0.006)


def test_poisson_levels_are_smallest_integer_meeting_target():
    lam, L = np.array([0.3, 2.0, 9.0]), 4
    lv = order_up_to_levels(lam, 0.0, L, 0.0, 1, 0.97, distribution="poisson")
    S = lv.order_up_to
    assert np.all(np.round(S) == S)
    assert np.all(base_stock_fill_rate_poisson(S, lam, L) >= 0.97)
    below = np.maximum(S - 1, np.ceil(lam * (L + 1)) - 1)
    fell = base_stock_fill_rate_poisson(below, lam, L)
    # Either one unit less misses the target, or the floor at mean demand was binding.
    assert np.all((fell < 0.97) | (np.ceil(lam * (L + 1)) == S))


def test_cycle_service_normal_is_quantile_of_lead_time_plus_review_demand():
    lv = order_up_to_levels(10.0, 3.0, 5.0, 1.0, 7, 0.95, "cycle_service")
    # Demand over a random lead time: mean 10 * 12, variance 9 * 12 + 100 * 1.
    expected = 120 + stats.norm.ppf(0.95) * np.sqrt(9 * 12 + 100)
    assert lv.order_up_to == pytest.approx(expected, abs=1e-9)
    assert lv.achieved_service == pytest.approx(0.95, abs=1e-12)


@pytest.mark.parametrize("kind", ["normal", "poisson", "negbin"])
def test_loss_functions_match_brute_force(kind):
    d = demand_over(kind, np.array([3.0]), np.array([2.5]), np.array([2.0]), np.array([0.5]), 1.0)
    k = np.arange(0, 400)
    if kind == "normal":
        x = np.linspace(-20, 60, 40001)
        pdf = stats.norm.pdf(x, d.mean[0], d.sd[0])
        for s in (2.0, 9.0, 15.0):
            brute = np.trapezoid(np.maximum(x - s, 0) * pdf, x)
            assert d.loss(np.array([s]))[0] == pytest.approx(brute, abs=1e-6)
        return
    pmf = (stats.nbinom.pmf(k, d.shape[0], d.prob[0]) if np.isfinite(d.shape[0])
           else stats.poisson.pmf(k, d.mean[0]))
    for s in (0, 4, 9, 20):
        n1 = (np.maximum(k - s, 0) * pmf).sum()
        n2 = 0.5 * (np.maximum(k - s, 0) * np.maximum(k - s - 1, 0) * pmf).sum()
        assert d.loss(np.array([s]))[0] == pytest.approx(n1, abs=1e-9)
        assert d.loss2(np.array([s]))[0] == pytest.approx(n2, abs=1e-9)


def test_sS_poisson_fill_rate_matches_unit_demand_formula():
    # Continuous review (r, Q) with Poisson unit demand: fill rate = mean of F(y - 1) over
    # positions y uniform on r+1..r+Q.
    lam, L, Q = 5.0, 3.0, 12
    lv = reorder_point_order_up_to(lam, 0.0, L, 0.0, 0, Q, 0.95, distribution="poisson")
    r = int(lv.reorder_point)
    y = np.arange(r + 1, r + Q + 1)
    exact = stats.poisson.cdf(y - 1, lam * L).mean()
    assert lv.achieved_service == pytest.approx(exact, abs=1e-12)
    assert exact >= 0.95
    assert lv.order_up_to == r + Q


def test_newsvendor_poisson_is_brute_force_optimum():
    level, cost = newsvendor_poisson(1.0, 4.0, 6.0)
    k = np.arange(100)
    pmf = stats.poisson.pmf(k, 6.0)
    costs = [(np.maximum(s - k, 0) * 1.0 + np.maximum(k - s, 0) * 4.0) @ pmf for s in range(30)]
    assert int(level) == int(np.argmin(costs))
    assert cost == pytest.approx(min(costs), abs=1e-9)


_arrays = st.tuples(
    st.floats(0.0, 500.0), st.floats(0.0, 200.0), st.floats(0.0, 30.0), st.floats(0.0, 5.0),
    st.integers(1, 14), st.sampled_from(["normal", "poisson", "negbin"]),
)


@settings(max_examples=60, deadline=None)
@given(_arrays, st.floats(0.05, 0.995), st.sampled_from(["fill_rate", "cycle_service"]))
def test_safety_stock_never_negative_and_target_met(params, target, kind):
    mu, sd, lt, lt_sd, R, dist = params
    lv = order_up_to_levels(mu, sd, lt, lt_sd, R, target, kind, dist)
    assert lv.safety_stock >= 0
    assert lv.expected_on_hand >= -1e-9 and lv.expected_backorders >= -1e-9
    assert lv.achieved_service >= target - 1e-7
    sq = reorder_point_order_up_to(mu, sd, lt, lt_sd, R, max(mu * R, 1.0), target, kind, dist)
    assert sq.safety_stock >= 0
    assert sq.achieved_service >= target - 1e-7


@settings(max_examples=40, deadline=None)
@given(_arrays, st.lists(st.floats(0.5, 0.999), min_size=2, max_size=6))
def test_cost_and_level_monotone_in_target(params, targets):
    mu, sd, lt, lt_sd, R, dist = params
    targets = sorted(targets)
    lv = order_up_to_levels(mu, sd, lt, lt_sd, R, np.array(targets), "fill_rate", dist,
                            holding_cost=1.0)
    assert np.all(np.diff(lv.order_up_to) >= -1e-9)
    assert np.all(np.diff(lv.cost) >= -1e-7)


def test_broadcasts_over_node_by_sku_tables():
    mean = np.array([[10.0, 0.0, 3.0], [1.0, 50.0, 7.0]])
    lv = order_up_to_levels(mean, np.sqrt(mean), 4.0, 1.0, 7, 0.98)
    assert lv.order_up_to.shape == (2, 3)
    assert lv.order_up_to[0, 1] == 0.0 and lv.achieved_service[0, 1] == 1.0
    assert len(lv.to_frame()) == 6


def test_bad_input_names_field_and_index():
    with pytest.raises(InvalidInput) as err:
        order_up_to_levels(np.array([1.0, -2.0]), 1.0, 3.0, 0.0, 0, 1.5)
    paths = {p.path for p in err.value.problems}
    assert {"demand_mean[1]", "review_period", "target"} <= paths


def test_frontier_investment_grows_with_fill_rate_and_abc_split():
    fr = efficiency_frontier([10, 20, 1], [3, 5, 1], 5, 1, 7, [5, 2, 40])
    assert np.all(np.diff(fr["on_hand_value"]) > 0)
    assert np.allclose(fr["achieved_fill_rate"], fr["fill_rate"], atol=0.05)
    assert abc_classes([100, 1, 50, 5, 3]).tolist() == ["A", "C", "A", "B", "C"]


def test_demand_below_resolution_is_no_demand():
    # Found by hypothesis: a subnormal mean (5e-324) overflowed every ratio after it.
    for dist in ("normal", "poisson", "negbin"):
        lv = order_up_to_levels(5e-324, 2.0, 0.0, 0.0, 1, 0.5, "fill_rate", dist)
        assert lv.order_up_to == 0 and lv.achieved_service == 1.0
        assert lv.expected_on_hand == 0 and lv.expected_backorders == 0
        sq = reorder_point_order_up_to(5e-324, 1.0, 0.0, 0.0, 1, 1.0, 0.5, "fill_rate", dist)
        assert sq.achieved_service == 1.0
