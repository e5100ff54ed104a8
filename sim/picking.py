"""Picking at each node: where SKUs are slotted, pick tour lengths (cached) and batching."""

from __future__ import annotations

import numpy as np

from optimize import pick_routing, slotting
from sim.demand import Catalogue
from sim.scenario import Scenario
from sim.streams import Streams

__all__ = ["PickPlanner"]

# Distinct pick lists kept per node: repeats (single fast movers) hit the cache; the long
# tail of unique carts would otherwise grow it with every order of a long run.
CACHE_LIMIT = 100_000


class PickPlanner:
    """Adapts each node's layout and picking settings to `optimize.pick_routing`."""

    def __init__(self, scenario: Scenario, catalogue: Catalogue, streams: Streams):
        self.layouts, self.locations, self.methods, self.picking = [], [], [], []
        self._cache: list[dict[tuple[int, ...], float]] = []
        for node in scenario.nodes:
            lay = node.layout
            layout = pick_routing.Layout(
                n_aisles=lay.n_aisles, aisle_length_m=lay.aisle_length_m,
                aisle_spacing_m=lay.aisle_spacing_m, n_cross_aisles=lay.n_cross_aisles,
                depot_x_m=lay.depot_x_m,
            )
            self.layouts.append(layout)
            self.locations.append(slotting.slot(
                layout, pick_frequency=catalogue.popularity, cube_m3=catalogue.cube_m3,
                policy=lay.slotting, rng=streams[f"slotting.{node.id}"],
            ))
            self.methods.append(node.picking.routing)
            self.picking.append(node.picking)
            self._cache.append({})

    def tour_length_m(self, node: int, sku: np.ndarray) -> float:
        """Length (m) of the pick tour visiting these SKUs' locations; repeated lists are cached."""
        key = tuple(sorted(set(sku.tolist())))
        cache = self._cache[node]
        length = cache.get(key)
        if length is None:
            locs = self.locations[node][list(key)]
            length = pick_routing.route_length_m(self.layouts[node], locs, self.methods[node])
            if len(cache) >= CACHE_LIMIT:
                cache.clear()
            cache[key] = length
        return length

    def batches(self, node: int, shipments: list) -> list[list]:
        """Group a released wave into pick jobs by the node's batching method."""
        pk = self.picking[node]
        cap = pk.cart_capacity_orders
        if pk.batching == "none" or cap == 1 or len(shipments) == 1:
            return [[s] for s in shipments]
        if pk.batching == "fcfs":
            return [shipments[i:i + cap] for i in range(0, len(shipments), cap)]
        # Seed and savings batching grow quadratically with the wave, so a large wave is
        # batched in consecutive windows (as a WMS batches the orders it has in view).
        jobs = []
        window = pk.batching_window_orders
        for start in range(0, len(shipments), window):
            chunk = shipments[start:start + window]
            result = pick_routing.batch_orders(
                self.layouts[node], [self.locations[node][s.sku] for s in chunk],
                capacity_orders=cap, method=pk.batching, routing=self.methods[node],
            )
            jobs += [[chunk[i] for i in g] for g in result.batches]
        return jobs
