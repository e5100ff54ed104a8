"""optimize.network: exact answers against brute-force enumeration, theory and geometry."""

from __future__ import annotations

import itertools
import math

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from optimize.errors import InvalidInput
from optimize.network import (
    ServiceLevel,
    TransitBands,
    coverage_curve,
    coverage_instance,
    fixed_charge_location,
    max_coverage,
    p_median,
    road_distance_matrix_km,
    service_levels,
    set_cover,
)
from optimize.result import Status

FAST = settings(max_examples=25, deadline=None)


def _instance(seed: int, n: int, m: int, radius: float, int_weights: bool = True):
    rng = np.random.default_rng(seed)
    d = rng.uniform(0, 100, size=(n, m))
    w = rng.integers(1, 1000, n).astype(float) if int_weights else rng.uniform(0, 5, n)
    return d, w, coverage_instance(d, w, service_levels(max_km=radius))


def _brute_cover(d: np.ndarray, w: np.ndarray, radius: float, k: int) -> float:
    cov = d <= radius
    return max(w[cov[:, list(s)].any(axis=1)].sum()
               for s in itertools.combinations(range(d.shape[1]), k))


@FAST
@given(seed=st.integers(0, 10_000), n=st.integers(1, 25), m=st.integers(2, 7),
       radius=st.floats(5, 60), k=st.sampled_from([1, 2]))
def test_max_coverage_equals_brute_force(seed, n, m, radius, k):
    d, w, inst = _instance(seed, n, m, radius)
    res = max_coverage(inst, k, backend="highs")
    assert res.status is Status.OPTIMAL
    assert len(res.sites) == k
    assert res.covered_weight == pytest.approx(_brute_cover(d, w, radius, k), rel=1e-12)
    assert res.objective == res.covered_weight and res.gap == 0


@pytest.mark.parametrize("backend", ["highs", "scip", "cp_sat"])
def test_backends_agree(backend):
    d, w, inst = _instance(7, 40, 8, 30.0)
    res = max_coverage(inst, 3, backend=backend)
    assert res.optimal
    assert res.covered_weight == pytest.approx(_brute_cover(d, w, 30.0, 3))


@FAST
@given(seed=st.integers(0, 10_000), radius=st.floats(5, 50))
def test_curve_never_decreases_and_reports_stays(seed, radius):
    _, _, inst = _instance(seed, 30, 7, radius, int_weights=False)
    curve = coverage_curve(inst, range(1, 8))
    covered = [r.covered_weight for r in curve.results]
    assert all(b >= a - 1e-9 for a, b in itertools.pairwise(covered))
    assert curve.optimal
    assert covered[-1] == pytest.approx(inst.covered_weight(range(7)))  # all sites open
    for r in curve.results[1:]:
        prev = set(curve.at(r.k - 1).sites)
        assert set(curve.stays(r.k)) == prev & set(r.sites)


@FAST
@given(seed=st.integers(0, 10_000), target=st.sampled_from([0.5, 0.8, 0.9, 0.95]))
def test_set_cover_meets_target_with_fewest_sites(seed, target):
    d, w, inst = _instance(seed, 20, 6, 40.0)
    res = set_cover(inst, target)
    reachable = inst.covered_weight(range(6)) / inst.total_weight
    if reachable < target:
        assert res.status is Status.INFEASIBLE
        assert "cannot be met" in res.message
        return
    assert res.optimal
    assert res.covered_share >= target - 1e-12
    k = len(res.sites)
    assert res.objective == k
    if k > 1:  # k - 1 sites cannot reach the target: brute force
        assert _brute_cover(d, w, 40.0, k - 1) < target * w.sum()
    # among k-site sets, the best coverage
    assert res.covered_weight == pytest.approx(_brute_cover(d, w, 40.0, k))


def _brute_median(c: np.ndarray, w: np.ndarray, k: int) -> float:
    return min((w * c[:, list(s)].min(axis=1)).sum()
               for s in itertools.combinations(range(c.shape[1]), k))


@FAST
@given(seed=st.integers(0, 10_000), n=st.integers(1, 15), m=st.integers(2, 6),
       k=st.integers(1, 3))
def test_p_median_equals_enumeration(seed, n, m, k):
    k = min(k, m)
    rng = np.random.default_rng(seed)
    c = rng.uniform(0, 100, (n, m)).round(1)
    w = rng.integers(1, 50, n).astype(float)
    res = p_median(c, w, k)
    assert res.optimal and len(res.sites) == k
    assert res.objective == pytest.approx(_brute_median(c, w, k), rel=1e-9)
    assert res.average_cost == pytest.approx(res.objective / w.sum())
    assert set(res.assignment) <= set(res.sites)


def test_p_median_on_transit_days():
    bands = TransitBands.ground_us()
    rng = np.random.default_rng(3)
    km = rng.uniform(0, 3000, (12, 5))
    days = bands.days_for(km)
    w = rng.integers(1, 9, 12).astype(float)
    res = p_median(days, w, 2)
    assert res.objective == pytest.approx(_brute_median(days, w, 2))


def _brute_fixed_charge(c, w, f, cap, per_unit):
    # uncapacitated: each point to its nearest open site
    best = math.inf
    m = c.shape[1]
    for r in range(1, m + 1):
        for s in itertools.combinations(range(m), r):
            cost = f[list(s)].sum() + per_unit * (w * c[:, list(s)].min(axis=1)).sum()
            best = min(best, cost)
    return best


def test_fixed_charge_uncapacitated_equals_enumeration():
    rng = np.random.default_rng(11)
    c = rng.uniform(0, 100, (15, 5))
    w = rng.integers(1, 20, 15).astype(float)
    f = rng.uniform(100, 3000, 5)
    res = fixed_charge_location(c, w, f, cost_per_unit=0.5)
    assert res.optimal
    assert res.objective == pytest.approx(_brute_fixed_charge(c, w, f, None, 0.5), rel=1e-9)
    assert res.fixed_cost_total == pytest.approx(f[list(res.sites)].sum())


def test_fixed_charge_capacity_forces_a_second_site():
    # Two sites 10 km apart, all demand next to site 0, but site 0 holds only 6 of 10.
    c = np.array([[0.0, 10.0]] * 2)
    w = np.array([5.0, 5.0])
    res = fixed_charge_location(c, w, [0.0, 0.0], capacity=[6.0, np.nan])
    assert res.optimal and res.sites == (0, 1)
    assert res.transport == pytest.approx(4.0 * 10.0)  # 4 units travel 10 km
    assert res.split_weight > 0
    short = fixed_charge_location(c, w, [0.0, 0.0], capacity=[3.0, 3.0])
    assert short.status is Status.INFEASIBLE and "capacity" in short.message
    one = fixed_charge_location(c, w, [0.0, 0.0], capacity=[6.0, 6.0], max_sites=1)
    assert one.status is Status.INFEASIBLE and "capacity" in one.message


# ------------------------------------------------------------ known geometry


def test_all_points_within_reach_of_one_site():
    lat = np.array([40.0, 40.5, 39.5, 40.0])
    lon = np.array([-100.0, -100.0, -100.0, -99.5])
    d = road_distance_matrix_km(lat, lon, [40.0, 30.0], [-100.0, -80.0])
    inst = coverage_instance(d, [1, 2, 3, 4], service_levels(max_km=100))
    res = max_coverage(inst, 1, check_tie=True)
    assert res.sites == (0,) and res.covered_share == 1.0 and res.tie is False
    assert set_cover(inst, 1.0).sites == (0,)


def test_two_far_clusters_need_two_sites():
    lat = np.r_[np.full(5, 40.0), np.full(5, 34.0)]
    lon = np.r_[np.linspace(-74.2, -73.8, 5), np.linspace(-118.4, -118.0, 5)]
    sites_lat, sites_lon = [40.0, 34.0, 37.0], [-74.0, -118.2, -96.0]
    d = road_distance_matrix_km(lat, lon, sites_lat, sites_lon)
    inst = coverage_instance(d, np.ones(10), service_levels(max_km=500))
    one = max_coverage(inst, 1, check_tie=True)
    assert one.covered_share == 0.5 and one.tie is True and one.alternative is not None
    assert set(one.sites) | set(one.alternative) == {0, 1}
    two = max_coverage(inst, 2)
    assert two.sites == (0, 1) and two.covered_share == 1.0
    cover = set_cover(inst, 0.9)
    assert cover.objective == 2 and cover.sites == (0, 1)


def test_coverage_is_inclusive_at_threshold():
    # One degree of latitude along a meridian is exactly R * pi / 180 km.
    one_degree_km = 6371.0 * math.pi / 180
    d = road_distance_matrix_km([41.0], [-100.0], [40.0], [-100.0])
    inst = coverage_instance(d, [1.0], service_levels(max_km=one_degree_km))
    assert max_coverage(inst, 1).covered_share == 1.0
    inst = coverage_instance(d, [1.0], service_levels(max_km=one_degree_km - 1e-6))
    assert max_coverage(inst, 1).covered_share == 0.0


def test_circuity_shrinks_reach():
    d1 = road_distance_matrix_km([41.0], [-100.0], [40.0], [-100.0])
    d2 = road_distance_matrix_km([41.0], [-100.0], [40.0], [-100.0], circuity=1.2)
    assert d2[0, 0] == pytest.approx(1.2 * d1[0, 0])
    inst = coverage_instance(d2, [1.0], service_levels(max_km=120))
    assert max_coverage(inst, 1).covered_weight == 0.0
    with pytest.raises(InvalidInput):
        road_distance_matrix_km([0], [0], [0], [0], circuity=0.9)


# ------------------------------------------------------------ service definitions


def test_transit_bands_days_and_reach():
    bands = TransitBands.from_pairs([(400, 1), (965, 2), (1600, 3), (math.inf, 5)])
    assert bands.days_for([0, 400, 400.5, 965, 2000]).tolist() == [1, 1, 2, 2, 5]
    assert bands.reach_km(2) == 965 and bands.reach_km(0) == 0
    assert bands.upper_bounds_km == [400, 965, 1600]
    assert TransitBands.parse("400:1,965:2,1600:3,inf:5") == bands
    assert TransitBands.from_carrier([400, 965, 1600], [1, 2, 3, 5]) == bands
    closed = TransitBands.from_pairs([(100, 1)])
    assert closed.days_for([150]).tolist() == [math.inf]
    with pytest.raises(InvalidInput):
        TransitBands.from_pairs([(500, 1), (400, 2)])
    with pytest.raises(InvalidInput):
        TransitBands.parse("400-1")


def test_cutoff_splits_weight_between_two_radii():
    bands = TransitBands.ground_us()
    levels = service_levels(bands=bands, days=2, cutoff_share=0.75)
    assert levels == (ServiceLevel(965.0, 0.75), ServiceLevel(400.0, 0.25))
    # a point 600 km away: served for orders before the cut-off only
    d = np.array([[600.0], [100.0]])
    inst = coverage_instance(d, [1.0, 1.0], levels)
    assert max_coverage(inst, 1).covered_weight == pytest.approx(0.75 + 1.0)
    assert service_levels(bands=bands, days=1, cutoff_share=0.5) == (ServiceLevel(400, 0.5),)


def test_bad_input_is_named():
    d, w, inst = _instance(1, 5, 3, 30.0)
    with pytest.raises(InvalidInput) as err:
        max_coverage(inst, 4)
    assert err.value.problems[0].path == "k"
    with pytest.raises(InvalidInput) as err:
        coverage_instance(d, -w, service_levels(max_km=10))
    assert err.value.problems[0].path == "weights[0]"
    with pytest.raises(InvalidInput):
        set_cover(inst, 1.5)
    with pytest.raises(InvalidInput):
        service_levels(max_km=10, bands=TransitBands.ground_us(), days=2)
    with pytest.raises(InvalidInput):
        max_coverage(inst, 1, backend="gurobi")
    with pytest.raises(InvalidInput):
        p_median(d, w, 0)


def test_time_limit_reports_status_not_exception():
    _, _, inst = _instance(5, 200, 30, 25.0, int_weights=False)
    res = max_coverage(inst, 5, time_limit_s=0.001)
    assert res.status in (Status.OPTIMAL, Status.FEASIBLE, Status.UNKNOWN)
    if res.status is Status.FEASIBLE:
        assert res.bound >= res.objective
