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

__all__ = [
    "AssortmentSplit",
    "NearestWithStock",
    "NetworkView",
    "Overflow",
    "Part",
    "RoutingPolicy",
]


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
    carries: np.ndarray  # [node, sku] the node's assortment (False at dropship nodes)
    open_shipments: np.ndarray  # [node] shipments accepted and not yet shipped
    now_h: float = 0.0
    # [node, sku] units owed to shipments waiting at the node (live; None: not tracked)
    backordered: np.ndarray | None = None

    def ranked(self, order: int) -> list[int]:
        """Nodes that are up, nearest to the order's customer first (all nodes if none is up)."""
        ranked = [int(n) for n in self.nearest[self.orders.point[order]] if self.up[n]]
        return ranked or [int(n) for n in self.nearest[self.orders.point[order]]]


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
        return self._route(view, order, view.ranked(order))

    @staticmethod
    def _route(view: NetworkView, order: int, ranked: list[int]) -> list[Part]:
        sku, qty = view.orders.lines(order)
        lines = list(zip(sku.tolist(), qty.tolist(), strict=True))
        for n in ranked:
            if not view.stocked[n]:
                return [Part(n, sku, qty)]
            row = view.on_hand[n]
            if all(row[s] >= q for s, q in lines):
                return [Part(n, sku, qty)]
        stocking = [n for n in ranked if view.stocked[n]] or [
            n for n in view.nearest[view.orders.point[order]] if view.stocked[n]]
        home = stocking[0]
        chosen = np.full(len(sku), home)
        for j, (s, q) in enumerate(lines):
            for n in stocking:
                if view.on_hand[n, s] >= q:
                    chosen[j] = n
                    break
        return _parts(sku, qty, chosen)


class AssortmentSplit:
    """Each line goes to the nearest node carrying its SKU (with stock if one has it, else it
    waits there); lines no stocking node carries go to the nearest dropship supplier.
    This is the hybrid "fast movers in-house, long tail dropshipped"."""

    name = "assortment_split"

    def route(self, view: NetworkView, order: int) -> list[Part]:
        """Parts of `order`, one per node its lines are assigned to."""
        sku, qty = view.orders.lines(order)
        ranked = view.ranked(order)
        suppliers = [n for n in ranked if not view.stocked[n]]
        chosen = np.empty(len(sku), np.int64)
        for j, (s, q) in enumerate(zip(sku.tolist(), qty.tolist(), strict=True)):
            carrying = [n for n in ranked if view.carries[n, s]]
            with_stock = [n for n in carrying if view.on_hand[n, s] >= q]
            if with_stock:
                chosen[j] = with_stock[0]
            elif suppliers and not carrying:
                chosen[j] = suppliers[0]
            else:
                chosen[j] = carrying[0] if carrying else ranked[0]
        return _parts(sku, qty, chosen)


class Overflow:
    """Nearest-with-stock among nodes whose backlog (open shipments) is under a threshold;
    when every node is over it, among all. With an in-house node and a 3PL twin this is
    the hybrid "overflow to a 3PL above in-house capacity"."""

    name = "overflow"

    def __init__(self, threshold_open_shipments: int):
        self.threshold = threshold_open_shipments

    def route(self, view: NetworkView, order: int) -> list[Part]:
        """Parts of `order` by nearest-with-stock over the nodes with room."""
        ranked = view.ranked(order)
        roomy = [n for n in ranked if view.open_shipments[n] < self.threshold]
        return NearestWithStock._route(view, order, roomy or ranked)


def _parts(sku: np.ndarray, qty: np.ndarray, chosen: np.ndarray) -> list[Part]:
    return [Part(int(n), sku[chosen == n], qty[chosen == n]) for n in np.unique(chosen)]
