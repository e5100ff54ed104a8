"""A dropship supplier at work: its own cut-off, its handling time and, when the scenario
gives one, its own stock of each SKU, replenished one for one with its lead time.

An order confirmed after the supplier's cut-off starts the next day. An order short of the
supplier's stock waits at the supplier (state `at_supplier`, `packed_h` nan) until its
missing units arrive, first come first served; its handling time starts then. The stock is
the supplier's, not the merchant's: no holding cost, no purchase orders in the inbound table.
"""

from __future__ import annotations

import math
from collections import deque
from typing import TYPE_CHECKING

import numpy as np
import simpy

from sim.demand import Catalogue
from sim.scenario import Node, Scenario, SupplierStock
from sim.streams import Sampler, Streams, count_moments

if TYPE_CHECKING:
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
    """A dropship node's supplier: when each shipment it takes is ready to ship (hours)."""

    def __init__(self, env: simpy.Environment, spec: Node, scenario: Scenario,
                 catalogue: Catalogue, streams: Streams):
        self.env, self.cutoff_h = env, spec.cutoff_h
        mode = spec.mode
        self.handling_days = Sampler(streams[f"dropship.{spec.id}"], mode.processing_days)
        self.on_hand: np.ndarray | None = None
        if mode.stock is not None:
            self.on_hand = supplier_levels(scenario, catalogue, mode.stock)
            self.lead_days = Sampler(streams[f"dropship_stock.{spec.id}"],
                                     mode.stock.lead_time_days)
        self.waiting: dict[int, deque[list]] = {}  # sku -> [shipment, units short] FIFO
        self.short: dict[int, int] = {}  # id(shipment) -> units still short
        self.handling: dict[int, float] = {}  # id(shipment) -> its handling days
        self.units_short = 0  # units that waited for the supplier's stock (a KPI basis)

    def _start_h(self, now: float) -> float:
        """Work on an order starts now before the cut-off, else at the next midnight."""
        return now if now % 24.0 < self.cutoff_h else 24.0 * (now // 24.0 + 1.0)

    def take(self, sh: Shipment) -> float:
        """Take a shipment: the hour it is ready to ship (nan while it waits for stock); sets
        its units filled on arrival from the supplier's stock."""
        now = self.env.now
        handling = self.handling_days()
        if self.on_hand is None:
            sh.filled_on_arrival = sh.units
            return self._start_h(now) + 24.0 * handling
        short = 0
        for s, q in zip(sh.sku.tolist(), sh.qty.tolist(), strict=True):
            have = int(self.on_hand[s])
            take = min(q, have)
            self.on_hand[s] = have - take
            if take < q:
                self.waiting.setdefault(s, deque()).append([sh, q - take])
                short += q - take
            # one for one: every unit asked for is reordered at once
            lead_h = 24.0 * self.lead_days()
            self.env.timeout(lead_h).callbacks.append(
                lambda _, s=s, q=q: self._arrive(s, q))
        sh.filled_on_arrival = sh.units - short
        if not short:
            return self._start_h(now) + 24.0 * handling
        self.units_short += short
        self.short[id(sh)] = short
        self.handling[id(sh)] = handling
        return math.nan

    def _arrive(self, sku: int, units: int) -> None:
        """Replenished units: first to the shipments waiting for them, the rest to stock."""
        queue = self.waiting.get(sku)
        while units and queue:
            entry = queue[0]
            sh, need = entry
            give = min(need, units)
            units -= give
            entry[1] -= give
            if entry[1] == 0:
                queue.popleft()
            key = id(sh)
            self.short[key] -= give
            if self.short[key] == 0:
                del self.short[key]
                sh.packed_h = self._start_h(self.env.now) + 24.0 * self.handling.pop(key)
        self.on_hand[sku] += units
