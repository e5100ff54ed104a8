"""Shortest walking distances (m) on the aisle / cross-aisle graph, and tour lengths."""

from __future__ import annotations

import itertools
from collections.abc import Sequence

import numpy as np

from optimize.pick_routing.layout import Layout, Point

__all__ = ["distance_matrix_m", "leg_m", "tour_length_m", "tour_path_m"]


def _vertical_m(layout: Layout, y1: float, y2: float) -> float:
    # Between different aisles the picker changes aisle on one cross aisle c; going via more than
    # one never helps (triangle inequality), so the vertical part is min_c |y1 - yc| + |yc - y2|.
    if layout.n_cross_aisles == 2:
        length = layout.aisle_length_m
        return min(y1 + y2, 2.0 * length - y1 - y2)
    return min(abs(y1 - c) + abs(c - y2) for c in layout.cross_aisle_y_m)


def leg_m(layout: Layout, x1_m: float, y1_m: float, x2_m: float, y2_m: float) -> float:
    """Shortest walk (m) between two points given as (x, y) in metres on the walking graph."""
    if x1_m == x2_m:
        return abs(y1_m - y2_m)
    return abs(x1_m - x2_m) + _vertical_m(layout, y1_m, y2_m)


def tour_length_m(layout: Layout, sequence: Sequence[Point] | np.ndarray) -> float:
    """Length (m) of depot -> sequence[0] -> ... -> sequence[-1] -> depot by shortest paths."""
    w = layout.aisle_spacing_m
    px, py = layout.depot_x_m, 0.0
    total = 0.0
    for a, y in sequence:
        x = a * w
        total += leg_m(layout, px, py, x, y)
        px, py = x, y
    return total + leg_m(layout, px, py, layout.depot_x_m, 0.0)


def distance_matrix_m(layout: Layout, locations: np.ndarray | Sequence[Point]) -> np.ndarray:
    """(n+1, n+1) shortest-path distances (m); index 0 is the depot, i + 1 is locations[i]."""
    loc = np.asarray(locations, dtype=float).reshape(-1, 2)
    x = np.concatenate(([layout.depot_x_m], loc[:, 0] * layout.aisle_spacing_m))
    y = np.concatenate(([0.0], loc[:, 1]))
    cross = np.asarray(layout.cross_aisle_y_m)
    via = np.abs(y[:, None, None] - cross) + np.abs(cross - y[None, :, None])
    other_aisle = np.abs(x[:, None] - x[None, :]) + via.min(axis=2)
    return np.where(x[:, None] == x[None, :], np.abs(y[:, None] - y[None, :]), other_aisle)


def tour_path_m(layout: Layout, sequence: Sequence[Point] | np.ndarray) -> np.ndarray:
    """Corner points (x_m, y_m) of the walked tour, depot to depot, for drawing it."""
    w = layout.aisle_spacing_m
    stops = [(layout.depot_x_m, 0.0), *((a * w, y) for a, y in sequence), (layout.depot_x_m, 0.0)]
    path = [stops[0]]
    for (x1, y1), (x2, y2) in itertools.pairwise(stops):
        if x1 != x2:  # change aisle on the cross aisle that gives the shortest leg
            c = min(layout.cross_aisle_y_m, key=lambda c: abs(y1 - c) + abs(c - y2))
            path += [(x1, c), (x2, c)]
        path.append((x2, y2))
    return np.array(path)
