"""Known answers from Snyder and Shen, *Fundamentals of Supply Chain Theory* (2nd ed.), ch. 3-6.

The printed values come from the book's examples; the long decimals are the same examples as
evaluated in stockpyl's doctests (LarrySnyder/stockpyl), which we reproduce to 1e-6.
"""

from __future__ import annotations

import math

import numpy as np
import pytest

from optimize.safety_stock import (
    NAMED_NETWORKS,
    economic_order_quantity,
    evaluate_service_times,
    newsvendor_normal,
    parse_network,
    rq_cost,
    rq_eil,
    rq_exact,
    solve_gsm_cpsat,
    solve_gsm_dp,
    ss_cost_poisson,
    ss_optimal_poisson,
    wagner_whitin,
)

TOL = 1e-6


def test_example_3_1_eoq():
    # Example 3.1: K = 8, h = 0.225, lambda = 1300 -> Q* = 304.05, g* = 68.41.
    q, cost = economic_order_quantity(8, 0.225, 1300)
    assert q == pytest.approx(304.0467800264368, abs=TOL)
    assert cost == pytest.approx(68.41052550594829, abs=TOL)


def test_example_3_9_wagner_whitin():
    # Example 3.9: d = (90, 120, 80, 70), K = 500, h = 2 -> order 210 in period 1 and 150 in
    # period 3, total cost 1380.
    plan = wagner_whitin([90, 120, 80, 70], 500, 2)
    assert plan.objective == pytest.approx(1380.0, abs=TOL)
    assert plan.order_quantity.tolist() == [210, 0, 150, 0]
    assert plan.order_periods == (0, 2)


def test_example_4_3_newsvendor_normal():
    # Example 4.3: h = 0.18, p = 0.70, D ~ N(50, 8^2) -> S* = 56.60, g(S*) = 2.00.
    level, cost = newsvendor_normal(0.18, 0.70, 50, 8)
    assert level == pytest.approx(56.60395592743389, abs=TOL)
    assert cost == pytest.approx(1.9976051931766445, abs=TOL)


def test_example_4_7_s_S_poisson_zheng_federgruen():
    # Example 4.7: h = 1, p = 4, K = 5, Poisson(6) demand -> (s, S) = (4, 10), g = 8.034.
    assert ss_cost_poisson(4, 10, 1, 4, 5, 6) == pytest.approx(8.034111561471642, abs=TOL)
    pol = ss_optimal_poisson(1, 4, 5, 6)
    assert (pol.reorder_point, pol.order_up_to) == (4, 10)
    assert pol.objective == pytest.approx(8.034111561471642, abs=TOL)


def test_example_4_7_s_S_is_the_brute_force_optimum():
    best = min((ss_cost_poisson(s, S, 1, 4, 5, 6), s, S)
               for s in range(-3, 12) for S in range(s + 1, 25))
    assert best[1:] == (4, 10)


def test_example_5_1_rq_exact_cost_and_optimum():
    # Example 5.1: h = 0.225, p = 7.5, K = 8, lambda = 1300, tau = 150, L = 1/12;
    # the book's optimum (r, Q) = (126.8, 328.5) costs 78.07.
    args = (0.225, 7.5, 8, 1300, 150, 1 / 12)
    assert rq_cost(126.8, 328.5, *args) == pytest.approx(78.07116250928294, abs=TOL)
    best = rq_exact(*args)
    assert best.reorder_point == pytest.approx(126.8, abs=0.1)
    assert best.order_quantity == pytest.approx(328.5, abs=0.1)
    assert best.objective <= 78.07116250928294 + 1e-12


def test_example_5_2_rq_eil_approximation():
    # Example 5.2: EIL approximation -> r = 213.97, Q = 318.59, approximate cost 95.45.
    pol = rq_eil(0.225, 7.5, 8, 1300, 150, 1 / 12)
    assert pol.reorder_point == pytest.approx(213.97044213580244, abs=TOL)
    assert pol.order_quantity == pytest.approx(318.5901810768729, abs=TOL)
    assert pol.objective == pytest.approx(95.45114022285196, abs=TOL)


@pytest.mark.parametrize("solve", [solve_gsm_dp, solve_gsm_cpsat])
def test_example_6_3_serial_gsm(solve):
    # Example 6.3: serial 3 -> 2 -> 1, optimal S = (S1, S2, S3) = (1, 0, 0), cost 2 sqrt(2).
    res = solve(parse_network(NAMED_NETWORKS["example_6_3"]))
    assert res.objective == pytest.approx(2.8284271247461903, abs=TOL)
    assert res.outbound_cst == {"1": 1, "2": 0, "3": 0}


@pytest.mark.parametrize("solve", [solve_gsm_dp, solve_gsm_cpsat])
def test_example_6_5_tree_gsm(solve):
    # Example 6.5: optimal S = (0, 0, 0, 1), cost 2 sqrt 2 + sqrt 6 + 3 = 8.2779.
    res = solve(parse_network(NAMED_NETWORKS["example_6_5"]))
    assert res.objective == pytest.approx(2 * math.sqrt(2) + math.sqrt(6) + 3.0, abs=TOL)
    assert res.objective == pytest.approx(8.277916867529369, abs=TOL)
    assert res.outbound_cst == {"1": 0, "2": 0, "3": 0, "4": 1}


def test_example_6_5_cost_of_a_suboptimal_solution():
    # Example 6.5: the solution S = (2, 0, 2, 1) costs 13.68.
    net = parse_network(NAMED_NETWORKS["example_6_5"])
    assert evaluate_service_times(net, [2, 0, 2, 1]).cost == pytest.approx(13.6814337969452,
                                                                           abs=TOL)


@pytest.mark.parametrize("solve", [solve_gsm_dp, solve_gsm_cpsat])
def test_figure_6_14_camera_gsm(solve):
    # Figure 6.14 (Graves and Willems' camera): S = (0, 3, 5, 4, 7, 0, 0, 0, 0, 2),
    # cost z_0.95 * 10 * (0.01 sqrt 2 + 0.13 sqrt 10 + 0.2 sqrt 6 + 0.08 sqrt 4 + 0.04 sqrt 3).
    res = solve(parse_network(NAMED_NETWORKS["figure_6_14"]))
    expected = 1.6448536269514722 * 10 * (0.01 * math.sqrt(2) + 0.13 * math.sqrt(10)
                                          + 0.2 * math.sqrt(6) + 0.08 * 2 + 0.04 * math.sqrt(3))
    assert res.objective == pytest.approx(expected, abs=TOL)
    assert list(res.outbound_cst.values()) == [0, 3, 5, 4, 7, 0, 0, 0, 0, 2]
    # Safety stock z sigma sqrt(NLT) at node 6 (NLT 10): the book's 1.645 * 10 * sqrt(10).
    assert res.safety_stock["6"] == pytest.approx(1.6448536269514722 * 10 * np.sqrt(10), abs=TOL)
