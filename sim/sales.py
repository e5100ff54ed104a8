"""Selling prices and what customers do at a stockout, in the running model.

`sku_prices` gives each SKU's selling price (its own `price`, else its unit value marked up
by `sales.price_markup`). `Stockouts` carries out `sales.on_stockout` wherever shipments
wait for stock (a `Waitlist`: a node's backorders or a dropship supplier's queue): a
shipment short of stock backorders (as always), or its short units are lost at once, or it
waits up to the customer's patience and then what is still short is cancelled; with partial
shipment the units in stock leave without the short ones (split into a shipment of their own).
Every unit not sold is written to the record (`Recorder.lose`), so the conservation check
can count it: ordered = shipped + open + lost (+ cancelled at payment, not yet routed).
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Protocol

import numpy as np

from sim.demand import Catalogue, OrderBook
from sim.record import LOST_REASONS, Shipment
from sim.scenario import Scenario, StockoutRule
from sim.streams import Sampler

if TYPE_CHECKING:
    import simpy

    from sim.model import Network
    from sim.node import NodeSim

__all__ = ["NodeWaitlist", "Stockouts", "Waitlist", "basket_values", "sku_prices"]


def basket_values(orders: OrderBook, prices: np.ndarray) -> np.ndarray:
    """Each order's basket: every unit ordered at its selling price (currency)."""
    line_value = prices[orders.line_sku] * orders.line_qty
    basket = (np.add.reduceat(line_value, orders.line_start[:-1]) if len(line_value)
              else np.zeros(orders.n))
    basket[np.diff(orders.line_start) == 0] = 0.0  # reduceat repeats a value for empty orders
    return basket


def sku_prices(scenario: Scenario, catalogue: Catalogue) -> np.ndarray:
    """Selling price per unit of each SKU (currency): the SKU's `price`, else its unit value
    x (1 + sales.price_markup)."""
    price = catalogue.unit_value * (1.0 + scenario.sales.price_markup)
    items = scenario.skus.items
    if items is not None:
        given = np.array([s.price if s.price is not None else np.nan for s in items], float)
        price = np.where(np.isnan(given), price, given)
    return np.asarray(price, float)


class Waitlist(Protocol):
    """Where shipments short of stock wait for it: a node's backorders (`NodeWaitlist`) or a
    dropship supplier's queue (sim.dropship_supplier). The stockout rules act through it."""

    env: simpy.Environment
    waiting_state: str  # the state of a shipment waiting here

    def unqueue(self, sh: Shipment, sku: int, units: int) -> None:
        """`sh` no longer waits for its `units` short of `sku`."""

    def requeue(self, sh: Shipment, rest: Shipment) -> None:
        """`rest` (just opened, all short) waits in the place of `sh` for its units."""

    def proceed(self, sh: Shipment) -> None:
        """`sh`, with all its units in hand now, goes on."""

    def leave(self, sh: Shipment) -> None:
        """`sh` (lost whole) leaves the place before it is closed."""

    def restock(self, sku: int, units: int) -> None:
        """Units allocated to a shipment lost whole go back to stock (the waiting first)."""


class NodeWaitlist:
    """A stocking node's backorders as a `Waitlist`."""

    waiting_state = "backordered"

    def __init__(self, node: NodeSim) -> None:
        self.node, self.env = node, node.env

    def unqueue(self, sh: Shipment, sku: int, units: int) -> None:
        """Off the node's backorders of `sku`."""
        self.node.backordered[sku] -= units
        self.node.backorders[sku].remove(sh)

    def requeue(self, sh: Shipment, rest: Shipment) -> None:
        """`rest` takes the backorder places `sh` was just queued in (last)."""
        node = self.node
        node._count_open(+1)
        for s in rest.sku.tolist():
            node.backorders[s][-1] = rest

    def proceed(self, sh: Shipment) -> None:
        """Allocated: to the release queue."""
        self.node._allocated(sh)

    def leave(self, sh: Shipment) -> None:
        """One open shipment fewer."""
        self.node._count_open(-1)

    def restock(self, sku: int, units: int) -> None:
        """As units arriving (backorders filled first)."""
        self.node.add_stock(sku, units)


class Stockouts:
    """The scenario's stockout rules at work on the nodes (and dropship suppliers) of one
    network."""

    def __init__(self, net: Network) -> None:
        self.net = net
        so = net.scenario.sales.on_stockout
        self.default = so
        services = [s.name for s in net.scenario.demand.service_levels]
        self.by_service = [so.by_service.get(name) for name in services]
        cats = net.catalogue.category_names
        self.by_category = [so.by_category.get(name) for name in cats]
        self.patience_days = Sampler(net.streams["stockout.patience"], so.patience_days) \
            if so.patience_days is not None else None
        self._samplers: dict[int, Sampler] = {}

    @staticmethod
    def needed(scenario: Scenario) -> bool:
        """Whether any shipment may do anything but wait whole (today's backorder)."""
        return not scenario.sales.on_stockout.is_backorder_only

    def rule(self, sh: Shipment) -> StockoutRule:
        """The rule a short shipment follows: its category's or its service's, else the
        default."""
        rule = None
        if any(self.by_service):
            rule = self.by_service[int(self.net.orders.service[sh.order])]
        elif any(self.by_category):
            first_short = int(np.argmax(sh.short > 0))
            rule = self.by_category[int(self.net.catalogue.category[sh.sku[first_short]])]
        return rule or self.default

    def short(self, node: NodeSim, sh: Shipment) -> None:
        """A shipment just accepted at `node` is short of stock (and queued as a backorder):
        apply its rule."""
        self.apply(NodeWaitlist(node), sh)

    def apply(self, place: Waitlist, sh: Shipment) -> None:
        """A shipment just queued at `place`, short of stock (`sh.short`): apply its rule."""
        rule = self.rule(sh)
        if rule.policy == "backorder" and not rule.partial:
            return  # it waits whole, as it always did
        waiting = self._split(place, sh) if rule.partial else sh
        if rule.policy == "lost":
            self.give_up(place, waiting, rule, "stockout")
        elif rule.policy == "patience":
            hours = 24.0 * self._patience(rule)()
            place.env.timeout(hours).callbacks.append(
                lambda _ev: self._patience_over(place, waiting, rule))

    def _patience(self, rule: StockoutRule) -> Sampler:
        if rule is self.default:
            return self.patience_days
        sampler = self._samplers.get(id(rule))
        if sampler is None:  # a rule of its own draws from a stream of its own
            k = len(self._samplers)
            sampler = self._samplers[id(rule)] = Sampler(
                self.net.streams[f"stockout.patience.{k}"], rule.patience_days)
        return sampler

    def _patience_over(self, place: Waitlist, sh: Shipment, rule: StockoutRule) -> None:
        if sh.short is not None and sh.state == place.waiting_state:
            self.give_up(place, sh, rule, "patience")

    def _split(self, place: Waitlist, sh: Shipment) -> Shipment:
        """The units of `sh` in stock leave now as `sh`; its short units wait in a new
        shipment of the same order (returned, queued in its place). With nothing in stock
        `sh` itself waits."""
        short = sh.short
        if int(short.sum()) == sh.units:
            return sh
        lines = short > 0
        rest = Shipment(sh.order, sh.node, sh.sku[lines], short[lines], sh.created_h,
                        sh.routed_h, sh.promised_day, sh.point)
        rest.split = sh.split = True
        rest.distance_km = sh.distance_km
        rest.short = rest.qty.copy()
        rest.state = place.waiting_state
        self.net.record.open_shipment(rest)
        place.requeue(sh, rest)
        kept = sh.qty - short
        keep = kept > 0
        sh.sku, sh.qty, sh.short = sh.sku[keep], kept[keep], None
        sh.units = int(sh.qty.sum())
        self.net.record.relined(sh)
        place.proceed(sh)
        return rest

    def give_up(self, place: Waitlist, sh: Shipment, rule: StockoutRule, reason: str) -> None:
        """The customer will not wait for the short units of `sh` (waiting at `place`):
        they are lost; with partial shipment the units allocated leave, else the whole
        shipment is lost and its allocated units go back to stock."""
        short = sh.short
        for s, q in zip(sh.sku.tolist(), short.tolist(), strict=True):
            if q:
                place.unqueue(sh, s, q)
        allocated = sh.qty - short
        record = self.net.record
        now = place.env.now
        code = LOST_REASONS.index(reason)
        sh.short = None
        if rule.partial and allocated.any():
            record.lose(sh, sh.sku, short, now, code)
            keep = allocated > 0
            sh.sku, sh.qty = sh.sku[keep], allocated[keep]
            sh.units = int(sh.qty.sum())
            record.relined(sh)
            place.proceed(sh)
            return
        record.lose(sh, sh.sku, sh.qty, now, code)
        sku = sh.sku
        sh.sku, sh.qty = sku[:0], sh.qty[:0]
        sh.units = sh.filled_on_arrival = 0
        sh.state = "lost"
        record.relined(sh)
        place.leave(sh)
        record.close_shipment(sh)
        for s, q in zip(sku.tolist(), allocated.tolist(), strict=True):
            if q:
                place.restock(s, q)
