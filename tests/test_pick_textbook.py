"""Textbook walks of the routing heuristics: hand-checkable tours, closed forms per policy,
textbook >= shortest-path walk of the same order >= optimum, and the exact expected S-shape and
return lengths on random pick lists against Monte Carlo means."""

from __future__ import annotations

import itertools
import math
import statistics
from dataclasses import replace

import numpy as np
import pytest
from hypothesis import given, settings

from optimize.errors import InvalidInput
from optimize.pick_routing import Layout, route_length_m, textbook_length_m
from optimize.pick_routing.layout import distinct_points
from tests.test_pick_routing import HEURISTICS, instances


def _by_aisle(layout, locs):
    ys: dict[int, list[float]] = {}
    for a, y in distinct_points(layout, locs):
        ys.setdefault(a, []).append(y)
    return ys


def _span_m(layout, aisles):
    """Cross-aisle walking of every policy: out to the farther ends and back to the depot."""
    xs = [a * layout.aisle_spacing_m for a in aisles]
    return 2 * (max(*xs, layout.depot_x_m) - min(*xs, layout.depot_x_m))


# ---- hand-checkable tours -------------------------------------------------------------------

@pytest.mark.parametrize("method", HEURISTICS)
@pytest.mark.parametrize("depot_x", [0.0, 6.0, 9.0, 12.0])
def test_one_aisle_is_entered_from_the_front_and_left_there(method, depot_x):
    layout = Layout(5, 20.0, 3.0, depot_x_m=depot_x)
    locs = [[3, 4.0], [3, 15.0], [3, 11.0]]
    assert textbook_length_m(layout, locs, method) == pytest.approx(
        2 * abs(9.0 - depot_x) + 2 * 15.0)


@pytest.mark.parametrize(("aisles", "expected"), [
    # 3 pick aisles, span 12 m: S-shape traverses two and returns (0 m deep) in the third;
    # midpoint and largest gap traverse the first and the last; return and combined stay in front
    ((1, 2, 4), {"s_shape": 40 + 24, "return": 24, "midpoint": 40 + 24,
                 "largest_gap": 40 + 24, "combined": 24}),
    # 2 pick aisles: S-shape traverses both (even count)
    ((1, 4), {"s_shape": 40 + 24, "return": 24, "midpoint": 40 + 24,
              "largest_gap": 40 + 24, "combined": 24}),
])
def test_picks_only_at_the_front(aisles, expected):
    layout = Layout(6, 20.0, 3.0)
    locs = [[a, 0.0] for a in aisles]
    for method, length in expected.items():
        assert textbook_length_m(layout, locs, method) == pytest.approx(length), method
        assert route_length_m(layout, locs, method) == pytest.approx(24.0)  # shortest paths


@pytest.mark.parametrize("n", [1, 2, 3, 4, 5, 6])
def test_s_shape_with_every_aisle_full(n):
    # Every aisle holds picks: n traversals if n is even; if odd, n - 1 traversals and a return
    # to the farthest pick of the last aisle. Plus the front cross aisle out and back.
    length, w = 10.0, 2.0
    layout = Layout(n, length, w)
    rng = np.random.default_rng(n)
    locs = np.array([[a, y] for a in range(n) for y in rng.uniform(0.5, 9.5, 4)])
    y_last = locs[locs[:, 0] == n - 1, 1].max()
    vertical = n * length if n % 2 == 0 else (n - 1) * length + 2 * y_last
    assert textbook_length_m(layout, locs, "s_shape") == pytest.approx(
        vertical + 2 * (n - 1) * w)


def test_s_shape_odd_and_even_counts_by_hand():
    layout = Layout(5, 20.0, 3.0)
    even = [[0, 5.0], [2, 1.0]]  # up aisle 0, down aisle 2: 40 + 2 * 6
    assert textbook_length_m(layout, even, "s_shape") == pytest.approx(40 + 12)
    odd = [[0, 5.0], [2, 1.0], [4, 7.0]]  # up 0, down 2, into 4 to y = 7 and back: 40 + 14 + 24
    assert textbook_length_m(layout, odd, "s_shape") == pytest.approx(40 + 14 + 24)
    # shortest paths between the same picks in the same order skip the empty ends of aisles
    assert route_length_m(layout, odd, "s_shape") < 40 + 14 + 24
    # depot at the right end: the sweep starts there, so the return is in aisle 0
    right = Layout(5, 20.0, 3.0, depot_x_m=12.0)
    assert textbook_length_m(right, odd, "s_shape") == pytest.approx(40 + 10 + 24)


def test_midpoint_and_largest_gap_by_hand():
    layout = Layout(10, 20.0, 3.0)
    locs = [[0, 5.0], [3, 18.0], [3, 2.0], [7, 10.0], [9, 1.0]]
    # aisles 0 and 9 traversed (40), front cross aisle out and back (54); aisle 3 from the back
    # to 18 and from the front to 2 (4 + 4); aisle 7: midpoint serves y = 10 from the front
    # (20), largest gap (gaps 10 and 10, the first taken) from the back (20)
    assert textbook_length_m(layout, locs, "midpoint") == pytest.approx(40 + 54 + 8 + 20)
    assert textbook_length_m(layout, locs, "largest_gap") == pytest.approx(40 + 54 + 8 + 20)
    locs[3] = [7, 13.0]  # now above the midpoint and past the largest gap: from the back, 14
    assert textbook_length_m(layout, locs, "midpoint") == pytest.approx(40 + 54 + 8 + 14)
    assert textbook_length_m(layout, locs, "largest_gap") == pytest.approx(40 + 54 + 8 + 14)
    locs[1] = [3, 8.0]  # aisle 3 at 2 and 8: midpoint both from the front (16), largest gap
    # leaves out 8..20 and serves both from the front too
    assert textbook_length_m(layout, locs, "midpoint") == pytest.approx(40 + 54 + 16 + 14)
    assert textbook_length_m(layout, locs, "largest_gap") == pytest.approx(40 + 54 + 16 + 14)


def test_midpoint_with_the_depot_inside():
    # Depot at aisle 2, picks at the front of aisles 0, 1 and 4: the sweep starts at aisle 0
    # (2 m), traverses it (2), goes along the back to aisle 4 (4) and down it (2), then back
    # along the front to aisle 1's pick (3), past the depot, and back to the depot (1).
    layout = Layout(5, 2.0, 1.0, depot_x_m=2.0)
    locs = [[0, 0.0], [1, 0.0], [4, 0.0]]
    for method in ("midpoint", "largest_gap"):
        assert textbook_length_m(layout, locs, method) == pytest.approx(14.0)
    assert textbook_length_m(layout, locs, "return") == pytest.approx(8.0)


def test_empty_list_and_errors():
    layout = Layout(3, 10.0, 2.0)
    assert textbook_length_m(layout, np.zeros((0, 2)), "s_shape") == 0.0
    with pytest.raises(InvalidInput, match="method"):
        textbook_length_m(layout, [[0, 1.0]], "optimal")
    with pytest.raises(InvalidInput, match="n_cross_aisles"):
        textbook_length_m(Layout(3, 10.0, 2.0, n_cross_aisles=3), [[0, 1.0]], "s_shape")
    with pytest.raises(InvalidInput, match=r"locations\[0\]\[0\]"):
        textbook_length_m(layout, [[5, 1.0]], "return")


# ---- closed forms per policy on random instances ---------------------------------------------

@settings(max_examples=200, deadline=None)
@given(instances(max_picks=12))
def test_closed_forms(inst):
    layout, locs = inst
    ys = _by_aisle(layout, locs)
    length = layout.aisle_length_m
    span = _span_m(layout, ys)
    got = {m: textbook_length_m(layout, locs, m) for m in HEURISTICS}

    assert got["return"] == pytest.approx(span + sum(2 * max(v) for v in ys.values()))
    if len(ys) == 1:
        (only,) = ys.values()
        for m in HEURISTICS:
            assert got[m] == pytest.approx(span + 2 * max(only)), m
        return
    middle = [sorted(ys[a]) for a in sorted(ys)[1:-1]]
    # midpoint and largest gap with the depot at either end of the block (a depot inside the
    # span can add a detour for the lower parts: see test_midpoint_with_the_depot_inside)
    ends_layouts = [replace(layout, depot_x_m=0.0), replace(layout, depot_x_m=layout.width_m)]

    def largest_gap_cost(v):
        edges = [0.0, *v, length]
        return 2 * (length - max(b - a for a, b in itertools.pairwise(edges)))

    def midpoint_cost(v):
        low = [y for y in v if y <= length / 2]
        high = [y for y in v if y > length / 2]
        return 2 * max(low, default=0.0) + 2 * (length - min(high, default=length))

    for at_end in ends_layouts:
        ends = _span_m(at_end, ys) + 2 * length  # first and last pick aisle traversed
        assert textbook_length_m(at_end, locs, "largest_gap") == pytest.approx(
            ends + sum(map(largest_gap_cost, middle)))
        assert textbook_length_m(at_end, locs, "midpoint") == pytest.approx(
            ends + sum(map(midpoint_cost, middle)))


def _best_traverse_or_return(ys_by_aisle, length):
    """Brute force over every choice of traversing or returning in each aisle, from the front
    and back to the front: the combined policy's vertical walking."""
    best = math.inf
    for traverse in itertools.product((False, True), repeat=len(ys_by_aisle)):
        front, cost = True, 0.0
        for v, t in zip(ys_by_aisle, traverse, strict=True):
            if t:
                cost, front = cost + length, not front
            else:
                cost += 2 * max(v) if front else 2 * (length - min(v))
        if front:
            best = min(best, cost)
    return best


@settings(max_examples=200, deadline=None)
@given(instances(max_picks=9))
def test_combined_is_the_best_traverse_or_return_walk(inst):
    layout, locs = inst
    ys = _by_aisle(layout, locs)
    expected = _span_m(layout, ys) + _best_traverse_or_return(list(ys.values()),
                                                              layout.aisle_length_m)
    assert textbook_length_m(layout, locs, "combined") == pytest.approx(expected)


@settings(max_examples=300, deadline=None)
@given(instances(max_picks=12))
def test_textbook_is_at_least_the_shortest_path_walk_which_is_at_least_optimal(inst):
    layout, locs = inst
    best = route_length_m(layout, locs, "optimal")
    got = {}
    for m in HEURISTICS:
        got[m] = textbook_length_m(layout, locs, m)
        assert got[m] >= route_length_m(layout, locs, m) - 1e-9 >= best - 2e-9, m
    # dominance among the textbook walks: combined may traverse everything (S-shape) or return
    # everywhere; largest gap leaves out at least the gap midpoint leaves out
    assert got["combined"] <= min(got["s_shape"], got["return"]) + 1e-9
    assert got["largest_gap"] <= got["midpoint"] + 1e-9


# ---- exact expectations on random pick lists --------------------------------------------------
# Derived here (not quoted from a source), for k picks with the aisle uniform over n aisles and
# y uniform on [0, L], depot at the front of aisle 0. With r the last pick aisle, m the number of
# pick aisles and c the picks in aisle r, the S-shape walk is 2 w r + L m - [m odd] (L - 2 Y),
# Y the farthest of the c picks, E[Y | c] = L c / (c + 1). P(r = j, c, m = q + 1) =
# C(k, c) C(j, q) q! S(k - c, q) / n^k (S: Stirling numbers of the second kind). The return walk
# is 2 w r + sum over aisles of 2 Y_a, each aisle holding Binomial(k, 1/n) picks.

def _stirling2(t: int, q: int) -> int:
    row = [1] + [0] * q  # S(0, .)
    for i in range(1, t + 1):
        row = [0] + [row[j - 1] + j * row[j] if j <= i else 0 for j in range(1, q + 1)]
    return row[q]


def _expected_r(n: int, k: int) -> float:
    return sum(1 - (j / n) ** k for j in range(1, n))


def expected_s_shape_m(n: int, k: int, length: float, w: float) -> float:
    e_m = n * (1 - (1 - 1 / n) ** k)
    odd_term = 0.0  # E[[m odd] (L - 2 Y)] / L
    for j in range(n):
        for c in range(1, k + 1):
            for q in range(0, min(j, k - c) + 1, 2):  # q even <=> m = q + 1 odd
                p = (math.comb(k, c) * math.comb(j, q) * math.factorial(q)
                     * _stirling2(k - c, q) / n**k)
                odd_term += p * (1 - c) / (c + 1)
    return 2 * w * _expected_r(n, k) + length * e_m - length * odd_term


def expected_return_m(n: int, k: int, length: float, w: float) -> float:
    per_aisle = sum(math.comb(k, c) * (1 / n) ** c * (1 - 1 / n) ** (k - c) * 2 * length * c
                    / (c + 1) for c in range(1, k + 1))
    return 2 * w * _expected_r(n, k) + n * per_aisle


def test_expected_lengths_on_tiny_cases_by_hand():
    # one aisle: 2 E[max of k uniforms] = 2 L k / (k + 1) for both
    assert expected_s_shape_m(1, 3, 10.0, 2.0) == pytest.approx(15.0)
    assert expected_return_m(1, 3, 10.0, 2.0) == pytest.approx(15.0)
    # one pick in two aisles: half the time in aisle 1 (2 w away), always up to y and back
    assert expected_s_shape_m(2, 1, 10.0, 2.0) == pytest.approx(2.0 + 10.0)
    # two picks in two aisles: both in one aisle (1/2): 2 L 2/3 (+ 4 w in aisle 1, 1/4);
    # one in each (1/2): two traversals, 2 L, + 2 w
    exact = 0.5 * 2 * 10.0 * 2 / 3 + 0.25 * 4.0 + 0.5 * (20.0 + 4.0)
    assert expected_s_shape_m(2, 2, 10.0, 2.0) == pytest.approx(exact)


@pytest.mark.parametrize(("n", "k"), [(10, 10), (10, 30), (30, 10), (5, 3)])
def test_monte_carlo_means_match_the_exact_expectations(n, k):
    length, w = 30.0, 3.0
    layout = Layout(n, length, w)
    rng = np.random.default_rng(100 * n + k)
    draws = {"s_shape": [], "return": []}
    for _ in range(2000):
        locs = np.column_stack([rng.integers(0, n, k), rng.uniform(0, length, k)])
        for m, v in draws.items():
            v.append(textbook_length_m(layout, locs, m))
    for m, exact in (("s_shape", expected_s_shape_m(n, k, length, w)),
                     ("return", expected_return_m(n, k, length, w))):
        mean, sd = statistics.fmean(draws[m]), statistics.stdev(draws[m])
        assert abs(mean - exact) < 4 * sd / math.sqrt(len(draws[m])), (m, mean, exact)
