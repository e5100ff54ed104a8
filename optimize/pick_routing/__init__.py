"""Picker tours in parallel-aisle warehouses: exact (Ratliff-Rosenthal, Held-Karp, OR-Tools),
textbook heuristics, and order batching."""

from optimize.pick_routing.batching import BATCHING_METHODS, BatchResult, batch_orders
from optimize.pick_routing.distances import (
    distance_matrix_m,
    leg_m,
    tour_length_m,
    tour_path_m,
)
from optimize.pick_routing.layout import Layout, check_locations, check_pick_lists
from optimize.pick_routing.result import TourResult
from optimize.pick_routing.textbook import textbook_length_m, textbook_walk
from optimize.pick_routing.tour import METHODS, route, route_length_m

__all__ = [
    "BATCHING_METHODS",
    "METHODS",
    "BatchResult",
    "Layout",
    "TourResult",
    "batch_orders",
    "check_locations",
    "check_pick_lists",
    "distance_matrix_m",
    "leg_m",
    "route",
    "route_length_m",
    "textbook_length_m",
    "textbook_walk",
    "tour_length_m",
    "tour_path_m",
]
