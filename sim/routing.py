"""Order routing policies: which node ships which lines of an order.

A policy is any object with `route(view, order) -> list[Part]`. The default ships from the
nearest node that has every line in stock, else splits line by line to the nearest node
with stock, else backorders at the nearest stocking node. Batch policies may also define
`route_batch(view, orders) -> list[list[Part]]` and a `dispatch_interval_h`.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Protocol

import numpy as np

__all__ = ["NearestWithStock", "NetworkView", "Part", "RoutingPolicy"]


@dataclass(frozen=True, slots=True)
class Part:
    """Lines of one order sent to one node: SKU indices and quantities."""

    node: int
    sku: np.ndarray
    qty: np.ndarray


@dataclass
class NetworkView:
    """What a policy may look at: live stock, which nodes are up, distances, the orders."""

    on_hand: np.ndarray  # [node, sku] units available to allocate (live, do not modify)
    stocked: np.ndarray  # [node] False for dropship nodes (stock is the supplier's)
    up: np.ndarray  # [node] False during an outage
    dist_km: np.ndarray  # [node, demand point]
    nearest: np.ndarray  # [demand point, rank] node indices by increasing distance
    orders: object  # sim.demand.OrderBook
    now_h: float = 0.0


class RoutingPolicy(Protocol):
    """Decides the parts of one order given the network's state."""

    def route(self, view: NetworkView, order: int) -> list[Part]:
        """Parts of `order`; their quantities add up to the order's lines."""
        ...


class NearestWithStock:
    """Nearest node holding the whole order; else split by nearest stock; else backorder."""

    name = "nearest_with_stock"

    def route(self, view: NetworkView, order: int) -> list[Part]:
        """Parts of `order` by the nearest-with-stock rule."""
        sku, qty = view.orders.lines(order)
        ranked = [n for n in view.nearest[view.orders.point[order]] if view.up[n]]
        if not ranked:  # every node is down: wait at the nearest one
            ranked = list(view.nearest[view.orders.point[order]])
        lines = list(zip(sku.tolist(), qty.tolist(), strict=True))
        for n in ranked:
            if not view.stocked[n]:
                return [Part(n, sku, qty)]
            row = view.on_hand[n]
            if all(row[s] >= q for s, q in lines):
                return [Part(n, sku, qty)]
        stocking = [n for n in ranked if view.stocked[n]]
        home = stocking[0]
        chosen = np.full(len(sku), home)
        for j in range(len(sku)):
            for n in stocking:
                if view.on_hand[n, sku[j]] >= qty[j]:
                    chosen[j] = n
                    break
        return [Part(int(n), sku[chosen == n], qty[chosen == n]) for n in np.unique(chosen)]
