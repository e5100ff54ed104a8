"""Slotting: every SKU gets a valid location, classes sit nearest the depot, deterministic."""

from __future__ import annotations

import numpy as np
import pytest

from optimize.errors import InvalidInput
from optimize.pick_routing import Layout, distance_matrix_m
from optimize.slotting import abc_classes, slot, storage_locations

LAYOUT = Layout(8, 20.0, 3.0, depot_x_m=9.0)


def _depot_m(locs: np.ndarray) -> np.ndarray:
    return distance_matrix_m(LAYOUT, locs)[0, 1:]


def test_storage_locations_are_distinct_valid_and_nearest_first():
    locs = storage_locations(LAYOUT, 50)
    assert len(locs) >= 50 and len({tuple(p) for p in locs}) == len(locs)
    assert np.all((locs[:, 1] > 0) & (locs[:, 1] < 20))
    assert np.all(np.diff(_depot_m(locs)) >= 0)


def test_abc_classes_cut_at_sku_shares():
    freq = np.array([5, 1, 3, 2, 4, 0, 0, 9, 8, 7.0])
    assert abc_classes(freq, (0.2, 0.5)).tolist() == [1, 2, 2, 2, 1, 2, 2, 0, 0, 1]


@pytest.mark.parametrize("policy", ["random", "abc", "cube_per_order"])
def test_each_sku_its_own_location_and_deterministic(policy):
    rng = np.random.default_rng(0)
    freq, cube = rng.pareto(1.0, 60) + 0.01, rng.uniform(0.001, 0.1, 60)
    locs = slot(LAYOUT, freq, cube, policy, rng=3)
    assert locs.shape == (60, 2)
    assert len({tuple(p) for p in locs}) == 60
    assert set(map(tuple, locs)) == set(map(tuple, storage_locations(LAYOUT, 60)[:60]))
    np.testing.assert_array_equal(locs, slot(LAYOUT, freq, cube, policy, rng=3))


def test_abc_puts_every_a_item_nearer_than_every_c_item():
    rng = np.random.default_rng(1)
    freq = rng.pareto(1.0, 100) + 0.01
    locs = slot(LAYOUT, freq, policy="abc", rng=2, class_boundaries=(0.2, 0.5))
    classes = abc_classes(freq, (0.2, 0.5))
    d = _depot_m(locs)
    assert d[classes == 0].max() <= d[classes == 1].min()
    assert d[classes == 1].max() <= d[classes == 2].min()


def test_cube_per_order_ranks_distance_by_index():
    freq = np.array([10.0, 1.0, 5.0, 1.0])
    cube = np.array([1.0, 1.0, 1.0, 0.1])  # indices 0.1, 1, 0.2, 0.1
    d = _depot_m(slot(LAYOUT, freq, cube, "cube_per_order"))
    assert d[0] <= d[3] <= d[2] <= d[1]


def test_bad_input_names_fields():
    with pytest.raises(InvalidInput) as err:
        slot(LAYOUT, np.array([1.0, -1.0]), None, "cube_per_order", class_boundaries=(0.6, 0.3))
    assert {p.path for p in err.value.problems} == {"pick_frequency", "cube_m3",
                                                     "class_boundaries"}


def test_storage_locations_are_nearest_first_by_exact_walking_distance():
    import numpy as np

    from optimize.pick_routing import Layout, distance_matrix_m
    from optimize.slotting import storage_locations

    for layout in (Layout(12, 20, 3, 2, 0.0), Layout(9, 30, 2.5, 4, 7.5)):
        locs = storage_locations(layout, 300)
        from_depot = distance_matrix_m(layout, locs)[0, 1:]
        assert np.all(np.diff(from_depot) >= -1e-9)
