"""A dropship supplier at work: its own cut-off, its handling time and, when the scenario
gives one, its own stock of each SKU, replenished one for one with its lead time.

An order confirmed after the supplier's cut-off starts the next day. An order short of the
supplier's stock waits at the supplier (state `at_supplier`, `packed_h` nan) until its
missing units arrive, first come first served; its handling time starts then. Unless the
scenario's `sales.on_stockout` says otherwise: the supplier's queue is a `Waitlist`
(sim.sales), so a customer who will not wait is lost here exactly as at a stocking node (by
service or category, with or without partial shipment), and counted in lost sales. The stock
is the supplier's, not the merchant's: no holding cost, no purchase orders in the inbound
table.
"""

from __future__ import annotations

from collections import deque
from typing import TYPE_CHECKING

import numpy as np

from sim.demand import Catalogue
from sim.scenario import Node, Scenario, SupplierStock
from sim.streams import Sampler, Streams, count_moments

if TYPE_CHECKING:
    from sim.node import NodeSim
    from sim.record import Shipment

__all__ = ["SupplierDesk", "supplier_levels"]


def supplier_levels(scenario: Scenario, catalogue: Catalogue, stock: SupplierStock
                    ) -> np.ndarray:
    """The supplier's base-stock level per SKU (units): `units` each, or `days_of_cover` times
    the network's mean daily units of the SKU (orders/day x lines x units per line x its
    share of lines), rounded up."""
    if stock.units is not None:
        return np.full(catalogue.n, stock.units, np.int64)
    d = scenario.demand
    per_day = (d.orders_per_day * count_moments(d.lines_per_order)[0]
               * count_moments(d.units_per_line)[0] * catalogue.popularity)
    return np.ceil(stock.days_of_cover * per_day - 1e-9).astype(np.int64)


class SupplierDesk:
    """A dropship node's supplier: when each shipment it takes is ready to ship (hours); a
    `Waitlist` (sim.sales) for the shipments short of its stock."""

    waiting_state = "at_supplier"

    def __init__(self, node: NodeSim, spec: Node, scenario: Scenario, catalogue: Catalogue,
                 streams: Streams):
        self.node, self.env, self.cutoff_h = node, node.env, spec.cutoff_h
        mode = spec.mode
        self.handling_days = Sampler(streams[f"dropship.{spec.id}"], mode.processing_days)
        self.on_hand: np.ndarray | None = None
        if mode.stock is not None:
            self.on_hand = supplier_levels(scenario, catalogue, mode.stock)
            self.lead_days = Sampler(streams[f"dropship_stock.{spec.id}"],
                                     mode.stock.lead_time_days)
        # sku -> [shipment, line] FIFO; the units still short are the shipment's `short`
        self.waiting: dict[int, deque[list]] = {}
        self.handling: dict[int, float] = {}  # id(shipment) -> its handling days
        # id(shipment) -> (its SKU per line, its lines' reorders: [units], None once
        # arrived), while it waits or is being lost
        self.orders: dict[int, tuple[np.ndarray, list[list]]] = {}
        self._left: tuple[np.ndarray, list[list]] = (np.zeros(0, np.int64), [])
        self.units_short = 0  # units that waited for the supplier's stock (a KPI basis)

    def _start_h(self, now: float) -> float:
        """Work on an order starts now before the cut-off, else at the next midnight."""
        return now if now % 24.0 < self.cutoff_h else 24.0 * (now // 24.0 + 1.0)

    def take(self, sh: Shipment) -> float:
        """Take a shipment (already in the node's staging lane): the hour it is ready to ship
        (nan while it waits for stock, or lost); sets its units filled on arrival from the
        supplier's stock and, when short, applies the scenario's stockout rule."""
        now = self.env.now
        handling = self.handling_days()
        if self.on_hand is None:
            sh.filled_on_arrival = sh.units
            return self._start_h(now) + 24.0 * handling
        short = np.zeros(len(sh.sku), np.int64)
        orders = []
        for j, (s, q) in enumerate(zip(sh.sku.tolist(), sh.qty.tolist(), strict=True)):
            have = int(self.on_hand[s])
            take = min(q, have)
            self.on_hand[s] = have - take
            if take < q:
                self.waiting.setdefault(s, deque()).append([sh, j])
                short[j] = q - take
            # one for one: every unit asked for is reordered at once
            lead_h = 24.0 * self.lead_days()
            order = [q]
            orders.append(order)
            self.env.timeout(lead_h).callbacks.append(
                lambda _, s=s, order=order: self._replenished(s, order))
        missing = int(short.sum())
        sh.filled_on_arrival = sh.units - missing
        if not missing:
            return self._start_h(now) + 24.0 * handling
        self.units_short += missing
        sh.short = short
        self.handling[id(sh)] = handling
        self.orders[id(sh)] = (sh.sku, orders)
        stockouts = self.node.net.stockouts
        if stockouts is not None:  # the customer may not wait (sim.sales)
            stockouts.apply(self, sh)
        return sh.packed_h

    def _replenished(self, sku: int, order: list) -> None:
        units, order[0] = order[0], None  # arrived: too late to cut
        self._arrive(sku, units)

    @staticmethod
    def _cut(entry: tuple[np.ndarray, list[list]], sku: int, units: int) -> None:
        """`units` of `sku` that a shipment asked for will not be sold: the reorders of its
        lines (`entry`) are cut by them, so the supplier's position stays at its base stock
        (one for one on what sells). A reorder already arrived stays in the supplier's
        stock."""
        lines, orders = entry
        for j in np.flatnonzero(lines == sku).tolist():
            order = orders[j]
            if units and order[0] is not None:
                cut = min(units, order[0])
                order[0] -= cut
                units -= cut

    def _arrive(self, sku: int, units: int) -> None:
        """Replenished units: first to the shipments waiting for them, the rest to stock."""
        queue = self.waiting.get(sku)
        while units and queue:
            sh, j = queue[0]
            give = min(int(sh.short[j]), units)
            units -= give
            sh.short[j] -= give
            if sh.short[j] == 0:
                queue.popleft()
                if not sh.short.any():
                    sh.short = None
                    self.proceed(sh)
        self.on_hand[sku] += units

    # ---------------------------------------------------------------- as a Waitlist
    def unqueue(self, sh: Shipment, sku: int, units: int) -> None:
        """`sh` no longer waits for `sku`: its `units` short are lost, not reordered."""
        self.waiting[sku] = deque(e for e in self.waiting[sku] if e[0] is not sh)
        self._cut(self.orders[id(sh)], sku, units)

    def requeue(self, sh: Shipment, rest: Shipment) -> None:
        """`rest` (the short lines of `sh`, in order) waits in the places of `sh`, in the
        staging lane with `packed_h` nan, with the same handling time to come."""
        line = np.cumsum(sh.short > 0) - 1  # line of `sh` -> line of `rest`
        for s in set(rest.sku.tolist()):
            for e in self.waiting[s]:
                if e[0] is sh:
                    e[0], e[1] = rest, int(line[e[1]])
        rest.allocated_h = rest.released_h = sh.released_h
        self.handling[id(rest)] = self.handling[id(sh)]
        sku, orders = self.orders[id(sh)]
        lines = np.flatnonzero(sh.short > 0).tolist()
        self.orders[id(rest)] = (sku[lines], [orders[j] for j in lines])
        self.node.staged.append(rest)
        self.node._count_open(+1)

    def proceed(self, sh: Shipment) -> None:
        """All its units are in: its handling starts (the next day after the cut-off)."""
        self.orders.pop(id(sh), None)
        sh.packed_h = self._start_h(self.env.now) + 24.0 * self.handling.pop(id(sh))

    def leave(self, sh: Shipment) -> None:
        """Lost whole: out of the staging lane, one open shipment fewer; its reorders are
        kept aside for the units taken for it, which come back next (`restock`)."""
        self.handling.pop(id(sh), None)
        self._left = self.orders.pop(id(sh))
        self.node.staged.remove(sh)
        self.node._count_open(-1)

    def restock(self, sku: int, units: int) -> None:
        """Units taken for the shipment just lost whole go back to the supplier's stock (the
        waiting first), and their reorders are cut."""
        self._cut(self._left, sku, units)
        self._arrive(sku, units)
