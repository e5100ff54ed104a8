"""Lateral transfers between forward nodes (scenario `lateral_transfers`): stock moved from
a node that has it to one that runs short, instead of (or beside) shipping the customer's
order from the other node.

The rules, stated here and tested in tests/test_lateral.py:

- Who lends: the nodes named in `lateral_transfers.nodes` (default every stocking node that
  serves customers) lend to each other.
- What a donor can spare of a SKU: its shelf stock above its hold-back level,
  `hold_back_share` x its order-up-to level in force (partial pooling with a hold-back
  level, as in the lateral-transshipment literature, e.g. Paterson, Kiesmueller, Teunter
  and Glazebrook 2011, "Inventory models with lateral transshipments: a review", EJOR
  208(1)); with a share of 0 it gives all it has (complete pooling).
- Emergency transfer: when a shipment is accepted short of stock and still waits for it
  (a customer who leaves at once is not waited for), the node asks the donors, nearest
  first, for its short units, each donor sending what it can spare, one shipment each. The
  units leave the donor's shelf at once (no crew time: the stated simplification), travel
  `lead_time_days` (drawn per shipment) and are received at the node like a purchase order;
  the node counts them on order as they leave, so its own review does not order them again.
- Rebalancing (`rebalance_every_days`): at the review hour of every such day, each SKU's
  stock net of backorders is shared so that every lending node holds the same days of cover
  at its mean demand (the balancing rule of complete redistribution, Joensson and Silver
  1987, Management Science 33(2)); a node above its share by at least
  `rebalance_min_units` sends the excess (never below its hold-back level) to the nodes
  below theirs, the largest shortfall first, one shipment per donor and destination.
- Freight of each shipment, `freight.cost(units, kg)`, lands in the ledger as
  `lateral_freight` on the day it leaves, charged to the receiving node.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

import numpy as np

from optimize.geo import distance_matrix_km
from sim.demand_forecast import planning_scenario
from sim.node import REVIEW_HOUR
from sim.record import PurchaseOrderLine
from sim.stock_levels import node_demand
from sim.streams import Sampler

if TYPE_CHECKING:
    from sim.model import Network
    from sim.node import NodeSim
    from sim.record import Shipment

__all__ = ["LateralDesk"]


class LateralDesk:
    """The network's lateral transfers: who lends to whom, what a donor can spare, and the
    shipments between them."""

    def __init__(self, net: Network) -> None:
        self.net = net
        lt = net.scenario.lateral_transfers
        self.settings = lt
        ids = [n.id for n in net.scenario.nodes]
        if lt.nodes is not None:
            members = [ids.index(i) for i in lt.nodes]
        else:
            members = [i for i in range(len(ids)) if net.nodes[i].stocking and net.serves[i]]
        self.members = [i for i in members if net.nodes[i].stocking]
        lat = np.array([net.scenario.nodes[i].location.lat for i in self.members])
        lon = np.array([net.scenario.nodes[i].location.lon for i in self.members])
        km = distance_matrix_km(lat, lon, lat, lon)
        # each member's donors, nearest first
        self.donors = {m: [self.members[k] for k in np.argsort(km[a], kind="stable") if k != a]
                       for a, m in enumerate(self.members)}
        self.lead_days = Sampler(net.streams["lateral.lead_time"], lt.lead_time_days)
        self.shipments = 0
        self.units = 0
        if lt.rebalance_every_days is not None:
            # the demand the planners believe, as the stock levels (no oracle)
            self.rate, _ = node_demand(planning_scenario(net.scenario), net.catalogue,
                                       net.dist_km, net.points["weight"].to_numpy(),
                                       net.view.carries)
            net.env.process(self._rebalancing())

    def spare(self, donor: int, sku: np.ndarray | int) -> np.ndarray | int:
        """Units of `sku` the donor can give now: on its shelf above its hold-back level."""
        level = self.net.levels_at(self.net.env.now)[donor, sku]
        keep = np.ceil(self.settings.hold_back_share * level).astype(np.int64)
        return np.maximum(self.net.on_hand[donor, sku] - keep, 0)

    def short(self, node: NodeSim, sh: Shipment) -> None:
        """A shipment waits at `node` for stock: ask the donors for its short units."""
        if not self.settings.emergency or node.index not in self.donors:
            return
        for j in np.flatnonzero(sh.short):
            sku, need = int(sh.sku[j]), int(sh.short[j])
            for d in self.donors[node.index]:
                give = min(need, int(self.spare(d, sku)))
                if give > 0:
                    self.send(self.net.nodes[d], node, {sku: give})
                    need -= give
                if need == 0:
                    break

    def send(self, donor: NodeSim, dest: NodeSim, units: dict[int, int]) -> None:
        """Move `units` (sku -> units) off the donor's shelf to `dest`, as one shipment."""
        now, cat = self.net.env.now, self.net.catalogue
        total = sum(units.values())
        kg = sum(float(cat.weight_kg[s]) * u for s, u in units.items())
        freight = self.settings.freight.cost(total, kg)
        po = len(self.net.record.po_lines)
        lines = []
        for s, u in units.items():
            donor.on_hand[s] -= u
            donor.lateral_out += u
            donor._stock_moved(s, -u)
            dest.on_order[s] += u
            lines.append(PurchaseOrderLine(po, s, u, now, dest.index, source=donor.index,
                                           shipped_h=now, freight=freight * u / total,
                                           lateral=True))
        self.shipments += 1
        self.units += total
        dest.expect_inbound(lines, 24.0 * self.lead_days())
        for s in units:  # a donor under continuous review sees its position fall
            if donor.on_demand is not None:
                donor.on_demand(np.array([s]))

    def _rebalancing(self):
        every_h = 24.0 * self.settings.rebalance_every_days
        yield self.net.env.timeout(REVIEW_HOUR)
        while True:
            yield self.net.env.timeout(every_h)
            self.rebalance()

    def rebalance(self) -> None:
        """Share each SKU's stock among the lending nodes to equal days of cover."""
        m = np.array(self.members)
        net = self.net
        moves: dict[tuple[int, int], dict[int, int]] = {}
        min_units = self.settings.rebalance_min_units
        for sku in np.flatnonzero(self.rate[m].sum(axis=0) > 0):
            rate = self.rate[m, sku]
            net_stock = net.on_hand[m, sku] - net.backordered[m, sku]
            target = rate * net_stock.sum() / rate.sum()
            excess = np.minimum(np.floor(net_stock - target), self.spare(m, sku)
                                ).astype(np.int64)
            shortfall = np.floor(target - net_stock).astype(np.int64)
            givers = [k for k in np.argsort(-excess, kind="stable") if excess[k] >= min_units]
            takers = [k for k in np.argsort(-shortfall, kind="stable")
                      if shortfall[k] >= min_units]
            for t in takers:
                for g in givers:
                    give = int(min(excess[g], shortfall[t]))
                    if give >= min_units:
                        moves.setdefault((int(m[g]), int(m[t])), {})[int(sku)] = give
                        excess[g] -= give
                        shortfall[t] -= give
        for (g, t), units in sorted(moves.items()):
            self.send(net.nodes[g], net.nodes[t], units)
