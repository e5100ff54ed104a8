"""Pick routing: distances against a graph search, the exact DP against Held-Karp and brute
force, heuristics against the optimum, hand-checkable tours, and input errors."""

from __future__ import annotations

import itertools

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from scipy.sparse import coo_matrix
from scipy.sparse.csgraph import shortest_path

from optimize.errors import InvalidInput
from optimize.pick_routing import (
    METHODS,
    Layout,
    distance_matrix_m,
    route,
    route_length_m,
    tour_length_m,
)
from optimize.pick_routing.exact import held_karp, ratliff_rosenthal
from optimize.pick_routing.layout import distinct_points

HEURISTICS = ("s_shape", "return", "midpoint", "largest_gap", "combined")


@st.composite
def instances(draw, max_cross: int = 2, max_picks: int = 7):
    """A random layout (depot on an aisle or between two) and pick locations on a 0.5 m grid."""
    n_aisles = draw(st.integers(1, 6))
    length = float(draw(st.integers(2, 30)))
    spacing = float(draw(st.integers(1, 5)))
    k = draw(st.integers(2, max_cross))
    depot = draw(st.one_of(
        st.integers(0, n_aisles - 1).map(lambda a: a * spacing),
        st.floats(0, (n_aisles - 1) * spacing, allow_nan=False)))
    layout = Layout(n_aisles, length, spacing, k, depot)
    half_steps = int(2 * length)
    picks = draw(st.lists(st.tuples(st.integers(0, n_aisles - 1), st.integers(0, half_steps)),
                          min_size=1, max_size=max_picks))
    return layout, np.array([[a, s / 2] for a, s in picks], dtype=float)


def _graph_distances(layout: Layout, pts: list[tuple[int, float]]) -> np.ndarray:
    """Independent check: Dijkstra on the explicit aisle / cross-aisle graph."""
    w = layout.aisle_spacing_m
    nodes = {(layout.depot_x_m, 0.0)} | {(a * w, y) for a, y in pts}
    nodes |= {(a * w, c) for a in range(layout.n_aisles) for c in layout.cross_aisle_y_m}
    nodes = sorted(nodes)
    index = {p: i for i, p in enumerate(nodes)}
    rows, cols, vals = [], [], []
    aisles = sorted(nodes)  # by x, then y: neighbours along an aisle
    cross = sorted(nodes, key=lambda p: (p[1], p[0]))  # by y, then x: along a cross aisle
    for line, along_aisle in ((aisles, True), (cross, False)):
        for p, q in itertools.pairwise(line):
            if (p[0] == q[0]) if along_aisle else (p[1] == q[1] in layout.cross_aisle_y_m):
                rows.append(index[p])
                cols.append(index[q])
                vals.append(abs(p[0] - q[0]) + abs(p[1] - q[1]))
    n = len(nodes)
    g = coo_matrix((vals, (rows, cols)), shape=(n, n)).tocsr()
    sp = shortest_path(g, directed=False)
    order = [index[(layout.depot_x_m, 0.0)]] + [index[(a * w, y)] for a, y in pts]
    return sp[np.ix_(order, order)]


@settings(max_examples=150, deadline=None)
@given(instances(max_cross=5))
def test_distance_matrix_equals_graph_shortest_paths(inst):
    layout, locs = inst
    pts = distinct_points(layout, locs)
    np.testing.assert_allclose(distance_matrix_m(layout, pts), _graph_distances(layout, pts),
                               atol=1e-9)


@settings(max_examples=400, deadline=None)
@given(instances())
def test_ratliff_rosenthal_equals_held_karp(inst):
    layout, locs = inst
    pts = distinct_points(layout, locs)
    order, length = ratliff_rosenthal(layout, pts)
    _, best = held_karp(distance_matrix_m(layout, pts))
    assert length == pytest.approx(best, abs=1e-9)
    assert sorted(order) == pts
    assert tour_length_m(layout, order) == pytest.approx(best, abs=1e-9)


def test_held_karp_equals_brute_force():
    rng = np.random.default_rng(3)
    for n in range(1, 7):
        p = rng.random((n + 1, 2))
        d = np.abs(p[:, None] - p[None]).sum(axis=2)
        brute = min(sum(d[a, b] for a, b in itertools.pairwise((0, *perm, 0)))
                    for perm in itertools.permutations(range(1, n + 1)))
        order, length = held_karp(d)
        assert length == pytest.approx(brute, abs=1e-12)
        assert sum(d[a, b] for a, b in itertools.pairwise([0, *order, 0])) == pytest.approx(brute)


@settings(max_examples=120, deadline=None)
@given(instances(max_cross=4))
def test_every_method_visits_all_and_reports_its_walk(inst):
    layout, locs = inst
    pts = distinct_points(layout, locs)
    best = route(layout, locs, "optimal")
    assert best.optimal
    for method in HEURISTICS:
        tour = route(layout, locs, method)
        seq = [(int(a), float(y)) for a, y in tour.sequence]
        assert sorted(seq) == pts and len(seq) == len(pts)
        assert tour.length_m == pytest.approx(tour_length_m(layout, seq), abs=1e-9)
        assert tour.length_m >= best.length_m - 1e-9
        assert not tour.optimal and tour.method == method
        assert route_length_m(layout, locs, method) == pytest.approx(tour.length_m)


def test_ortools_is_never_below_the_optimum_and_says_not_proven():
    rng = np.random.default_rng(5)
    layout = Layout(8, 30.0, 3.0, n_cross_aisles=4, depot_x_m=10.5)
    locs = np.column_stack([rng.integers(0, 8, 9), rng.uniform(0, 30, 9)])
    exact = route(layout, locs, "optimal")
    heur = route(layout, locs, "ortools", time_limit_s=0.2)
    assert exact.optimal and not heur.optimal and "not proven" in heur.message
    assert heur.length_m >= exact.length_m - 1e-6


def test_large_multi_block_list_falls_back_to_ortools():
    rng = np.random.default_rng(6)
    layout = Layout(10, 30.0, 3.0, n_cross_aisles=3)
    locs = np.column_stack([rng.integers(0, 10, 25), rng.uniform(0, 30, 25)])
    tour = route(layout, locs, "optimal", time_limit_s=0.2)
    assert not tour.optimal and np.isnan(tour.bound)
    assert tour.length_m <= route(layout, locs, "s_shape").length_m + 1e-9


@pytest.mark.parametrize("method", METHODS)
def test_one_aisle_is_up_and_back(method):
    layout = Layout(1, 20.0, 3.0)
    locs = np.array([[0, 4.0], [0, 13.5], [0, 7.0]])
    assert route(layout, locs, method).length_m == pytest.approx(27.0)


@pytest.mark.parametrize("method", METHODS)
def test_picks_only_at_the_front(method):
    layout = Layout(6, 20.0, 2.5, depot_x_m=0.0)
    locs = np.array([[1, 0.0], [4, 0.0], [2, 0.0]])
    assert route(layout, locs, method).length_m == pytest.approx(2 * 4 * 2.5)


def test_every_aisle_full():
    n, length, w = 6, 10.0, 2.0
    layout = Layout(n, length, w)
    locs = np.array([[a, y] for a in range(n) for y in np.linspace(0.5, 9.5, 10)])
    expected = n * length + 2 * (n - 1) * w  # traverse all, an even number of aisles
    assert route(layout, locs, "optimal").length_m == pytest.approx(expected)
    assert route(layout, locs, "s_shape").length_m == pytest.approx(expected)


def test_depot_between_aisles_single_pick():
    layout = Layout(4, 10.0, 3.0, depot_x_m=4.0)
    for method in METHODS:
        assert route(layout, [[3, 6.0]], method).length_m == pytest.approx(2 * (5.0 + 6.0))


def test_textbook_orders_on_a_small_case():
    layout = Layout(10, 20.0, 3.0)
    locs = np.array([[0, 5], [3, 18], [3, 2], [7, 10], [9, 1]])
    seq = {m: route(layout, locs, m).sequence.tolist() for m in HEURISTICS}
    assert seq["s_shape"] == [[0, 5], [3, 18], [3, 2], [7, 10], [9, 1]]
    assert seq["return"] == [[0, 5], [3, 2], [3, 18], [7, 10], [9, 1]]
    # midpoint: aisle 3's pick above y = 10 from the back, the rest from the front
    assert seq["midpoint"] == [[0, 5], [3, 18], [9, 1], [7, 10], [3, 2]]
    assert seq["largest_gap"] == [[0, 5], [3, 18], [7, 10], [9, 1], [3, 2]]


def test_empty_and_duplicate_picks():
    layout = Layout(3, 10.0, 2.0)
    assert route(layout, np.zeros((0, 2)), "optimal").length_m == 0.0
    tour = route(layout, [[1, 5.0], [1, 5.0]], "s_shape")
    assert tour.sequence.tolist() == [[1, 5.0]] and tour.length_m == pytest.approx(14.0)


def test_layout_errors_name_every_field():
    with pytest.raises(InvalidInput) as err:
        Layout(0, -1.0, 0.0, 1, 5.0)
    paths = {p.path for p in err.value.problems}
    assert paths == {"n_aisles", "aisle_length_m", "aisle_spacing_m", "n_cross_aisles"}
    with pytest.raises(InvalidInput) as err:
        Layout(3, 10.0, 2.0, depot_x_m=4.5)
    assert [p.path for p in err.value.problems] == ["depot_x_m"]
    with pytest.raises(InvalidInput) as err:
        Layout.validated({"n_aisles": 3, "aisle_length_m": 10, "spacing": 1}, prefix="layout")
    assert {p.path for p in err.value.problems} == {"layout.spacing", "layout.aisle_spacing_m"}


def test_location_errors_name_each_entry():
    layout = Layout(3, 10.0, 2.0)
    with pytest.raises(InvalidInput) as err:
        route(layout, [[0, 1.0], [3, 2.0], [1.5, 11.0], [1, -1]])
    got = {(p.path, p.value) for p in err.value.problems}
    assert got == {("locations[1][0]", 3.0), ("locations[2][0]", 1.5),
                   ("locations[2][1]", 11.0), ("locations[3][1]", -1.0)}
    with pytest.raises(InvalidInput, match="method"):
        route(layout, [[0, 1.0]], "zigzag")
