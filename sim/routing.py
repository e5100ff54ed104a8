"""Order routing policies: which node ships which lines of an order.

A policy (`RoutingPolicy`) routes each order on its own (`route`) or a bucket of orders at
once (`route_batch`, collected every `dispatch_interval_h`), and counts what it did
(`stats`). It sees the network through a `NetworkView` and is built from its settings and a
`RoutingContext`, never from the network itself (`sim.routing_registry.make_policy`). The
default ships from the nearest node that has every line in stock, else splits line by line
to the nearest node with stock, else backorders at the nearest stocking node.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from functools import partial
from typing import Protocol

import numpy as np
import pandas as pd

from sim.carriers import CarrierTable
from sim.demand import Catalogue
from sim.demand_forecast import DemandForecast, forecast_for
from sim.scenario import OverflowSettings, Scenario
from sim.streams import quantile

__all__ = [
    "AssortmentSplit",
    "Nearest",
    "NearestWithStock",
    "NetworkView",
    "Overflow",
    "Part",
    "PerOrderPolicy",
    "RoutingContext",
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


@dataclass(frozen=True, eq=False)
class RoutingContext:
    """What a routing policy may use: the live view of the network, what prices a shipment
    (carriers, weights, promises, cut-offs, pickups), replenishment on order and the demand
    forecast."""

    view: NetworkView
    carriers: CarrierTable
    sku_weight_kg: np.ndarray  # [sku]
    sku_popularity: np.ndarray  # [sku] share of lines
    node_lat: np.ndarray  # [node]
    node_lon: np.ndarray  # [node]
    cutoff_h: np.ndarray  # [node] hour of day: orders confirmed before it ship that day
    pickup_days: np.ndarray  # [node, weekday] True where the carrier picks up that day
    start_weekday: int  # weekday of day 0 (0 = Monday)
    promise_days: np.ndarray  # [service level] days from order to promised delivery
    service_share: np.ndarray  # [service level] share of orders
    point_lat: np.ndarray  # [demand point]
    point_lon: np.ndarray  # [demand point]
    point_weight: np.ndarray  # [demand point] relative share of demand
    units_per_order: float  # mean units per order
    # orders per hour expected at these hours, as the forecast knows them now (`view.now_h`;
    # sim.demand_forecast: the demand seen so far, or the true rate under `forecast: oracle`)
    demand_rate: Callable[[np.ndarray], np.ndarray]
    lead_time_h: Callable[[float], np.ndarray]  # [node] supplier lead time (h) met with prob. q
    stock_due_by: Callable[[float], np.ndarray]  # [node, sku] on order, put away by t_h
    # (node, sku, units, expected put-away hour) of each open purchase-order line, given the
    # supplier lead time per node in hours (None: the supplier's mean)
    open_po_lines: Callable[[np.ndarray | None], tuple[np.ndarray, ...]]

    @classmethod
    def for_scenario(cls, scenario: Scenario, view: NetworkView, carriers: CarrierTable,
                     catalogue: Catalogue, points: pd.DataFrame,
                     stock_due_by: Callable[[float], np.ndarray],
                     open_po_lines: Callable[[np.ndarray | None], tuple[np.ndarray, ...]]
                     ) -> RoutingContext:
        """The context of a run of `scenario` on `view`, its carriers, SKUs and customers."""
        sc, d = scenario, scenario.demand
        return cls(
            view=view, carriers=carriers,
            sku_weight_kg=catalogue.weight_kg, sku_popularity=catalogue.popularity,
            node_lat=np.array([n.location.lat for n in sc.nodes]),
            node_lon=np.array([n.location.lon for n in sc.nodes]),
            cutoff_h=np.array([n.cutoff_h for n in sc.nodes]),
            pickup_days=np.array([[wd in n.pickup_days for wd in range(7)] for n in sc.nodes]),
            start_weekday=sc.run.start_weekday,
            promise_days=np.array([s.promise_days for s in d.service_levels]),
            service_share=np.array([s.share for s in d.service_levels]),
            point_lat=points["lat"].to_numpy(), point_lon=points["lon"].to_numpy(),
            point_weight=points["weight"].to_numpy().astype(float),
            units_per_order=d.units_per_line.mean * d.lines_per_order.mean,
            demand_rate=partial(_rate_now, forecast_for(sc, view.orders.created_h), view),
            lead_time_h=partial(_lead_time_h, sc),
            stock_due_by=stock_due_by, open_po_lines=open_po_lines)


def _rate_now(forecast: DemandForecast, view: NetworkView, t_h: np.ndarray) -> np.ndarray:
    """Orders per hour the forecast expects at hours `t_h`, as known at the view's now."""
    return forecast.rate(view.now_h, t_h)


def _lead_time_h(scenario: Scenario, confidence: float) -> np.ndarray:
    """[node] the supplier lead time (hours) met with probability `confidence`."""
    return np.array([24.0 * quantile(scenario.stock_policy(i).supplier.lead_time_dist(),
                                     confidence) for i in range(len(scenario.nodes))])


class RoutingPolicy(Protocol):
    """Decides the parts of orders given the network's state: one order at a time, or every
    order of a bucket at once."""

    name: str
    # hours between dispatches: orders wait for the next multiple (None: the run's
    # `dispatch_interval_min`)
    dispatch_interval_h: float | None

    def route(self, view: NetworkView, order: int) -> list[Part]:
        """Parts of `order`; their quantities add up to the order's lines."""
        ...

    def route_batch(self, view: NetworkView, orders: np.ndarray) -> list[list[Part]] | None:
        """Parts of each of `orders`, routed together; None: route them one by one, each
        seeing the stock the ones before it took."""
        ...

    def stats(self) -> dict[str, float]:
        """What the policy counted over the run (holds, solves, ...), by name."""
        ...


class PerOrderPolicy:
    """Base of the policies that route each order on its own at the run's dispatch interval;
    its `from_settings` suits a policy without parameters (others override it)."""

    name = ""
    dispatch_interval_h: float | None = None

    @classmethod
    def from_settings(cls, settings: object, context: RoutingContext) -> PerOrderPolicy:
        """The policy for a scenario's routing settings (none used here)."""
        return cls()

    def route(self, view: NetworkView, order: int) -> list[Part]:
        """Parts of `order`; their quantities add up to the order's lines."""
        raise NotImplementedError

    def route_batch(self, view: NetworkView, orders: np.ndarray) -> None:
        """None: every order is routed on its own."""
        return None

    def stats(self) -> dict[str, float]:
        """Nothing counted."""
        return {}


class NearestWithStock(PerOrderPolicy):
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


class Nearest(PerOrderPolicy):
    """Every order to its nearest stocking node, in stock or not (a short order waits there):
    no re-routing, the baseline against which shipping from another node, or moving stock
    to the nearest one (lateral transfers, sim.lateral), is measured."""

    name = "nearest"

    def route(self, view: NetworkView, order: int) -> list[Part]:
        """The whole of `order` to the nearest node that is up and stocks (else the nearest
        that is up)."""
        sku, qty = view.orders.lines(order)
        ranked = view.ranked(order)
        home = next((n for n in ranked if view.stocked[n]), ranked[0])
        return [Part(home, sku, qty)]


class AssortmentSplit(PerOrderPolicy):
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


class Overflow(PerOrderPolicy):
    """Nearest-with-stock among nodes whose backlog (open shipments) is under a threshold;
    when every node is over it, among all. With an in-house node and a 3PL twin this is
    the hybrid "overflow to a 3PL above in-house capacity"."""

    name = "overflow"

    def __init__(self, threshold_open_shipments: int):
        self.threshold = threshold_open_shipments

    @classmethod
    def from_settings(cls, settings: OverflowSettings, context: RoutingContext) -> Overflow:
        """The policy with the scenario's threshold."""
        return cls(settings.threshold_open_shipments)

    def route(self, view: NetworkView, order: int) -> list[Part]:
        """Parts of `order` by nearest-with-stock over the nodes with room."""
        ranked = view.ranked(order)
        roomy = [n for n in ranked if view.open_shipments[n] < self.threshold]
        return NearestWithStock._route(view, order, roomy or ranked)


def _parts(sku: np.ndarray, qty: np.ndarray, chosen: np.ndarray) -> list[Part]:
    return [Part(int(n), sku[chosen == n], qty[chosen == n]) for n in np.unique(chosen)]
