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
  Requests on one lane (donor to node) within `consolidate_h` hours of its first leave
  together as one shipment at the window's end: the units are promised to the lane at once
  (no other request takes them) but stay on the donor's shelf until the van leaves, so the
  donor's own customers come first and the van takes what is still above the hold-back.
- Rebalancing (`rebalance_every_days`): at the review hour of every such day, each SKU's
  inventory position (on hand + on order - backorders: purchase orders, transfers and
  lateral loans on their way count) is shared so that every lending node holds the same
  days of cover at its mean demand (the balancing rule of complete redistribution, Joensson
  and Silver 1987, Management Science 33(2), applied to positions as in their model, so a
  node whose replenishment is about to land is not sent stock it will then hold twice). A
  node above its share by at least `rebalance_min_units` sends the excess to the nodes below
  theirs, the largest shortfall first, one shipment per donor and destination. What a node
  needs until its own inbound lands is its backorders plus its mean demand up to the
  expected put-away of its earliest open inbound line (order time + its mean lead time for a
  purchase order or transfer, dispatch + the lateral mean lead time for a loan, now once at
  the dock), or, with nothing inbound, over a review period and its lead time. A donor gives
  only from its shelf, never below its hold-back level nor below that need; a taker takes no
  more than its shelf falls short of that need (a node that can serve its customers until
  its own stock comes is sent nothing).
- Freight of each shipment, `freight.cost(units, kg)`, lands in the ledger as
  `lateral_freight` on the day it leaves, charged to the receiving node.
"""

from __future__ import annotations

import math
from typing import TYPE_CHECKING

import numpy as np

from optimize.geo import distance_matrix_km
from sim.demand_forecast import planning_scenario
from sim.node import REVIEW_HOUR
from sim.record import PurchaseOrderLine
from sim.stock_levels import lead_time_days, node_demand
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
        # units promised to a lane's van not yet left: (donor, dest) -> {sku: units}
        self.pending: dict[tuple[int, int], dict[int, int]] = {}
        self.promised = np.zeros_like(net.on_hand)  # [donor, sku], the sum over its lanes
        if lt.rebalance_every_days is not None:
            # the demand the planners believe, as the stock levels (no oracle)
            self.rate, _ = node_demand(planning_scenario(net.scenario), net.catalogue,
                                       net.dist_km, net.points["weight"].to_numpy(),
                                       net.view.carries)
            sc = net.scenario
            # mean lead times (hours) of each member's own inbound and of a loan, and the days
            # a member with nothing on its way waits for its next order: a review and a lead
            self._lead_h = [24.0 * lead_time_days(sc.stock_policy(i))[0] for i in self.members]
            self._lateral_lead_h = 24.0 * lt.lead_time_days.mean
            self._idle_days = np.array([sc.stock_policy(i).review_period_days
                                        + lead_time_days(sc.stock_policy(i))[0]
                                        for i in self.members])
            self._first_open = 0  # po lines before it are all put away
            net.env.process(self._rebalancing())

    def spare(self, donor: int, sku: np.ndarray | int) -> np.ndarray | int:
        """Units of `sku` the donor can give now: on its shelf above its hold-back level."""
        level = self.net.levels_at(self.net.env.now)[donor, sku]
        keep = np.ceil(self.settings.hold_back_share * level).astype(np.int64)
        return np.maximum(self.net.on_hand[donor, sku] - keep - self.promised[donor, sku], 0)

    def short(self, node: NodeSim, sh: Shipment) -> None:
        """A shipment waits at `node` for stock: ask the donors for its short units."""
        if not self.settings.emergency or node.index not in self.donors:
            return
        for j in np.flatnonzero(sh.short):
            sku, need = int(sh.sku[j]), int(sh.short[j])
            for d in self.donors[node.index]:
                give = min(need, int(self.spare(d, sku)))
                if give > 0:
                    self._request(d, node.index, sku, give)
                    need -= give
                if need == 0:
                    break

    def _request(self, donor: int, dest: int, sku: int, units: int) -> None:
        """Promise `units` of `sku` to the lane's next van (sent at once without a window)."""
        window = self.settings.consolidate_h
        if window <= 0:
            self.send(self.net.nodes[donor], self.net.nodes[dest], {sku: units})
            return
        lane = (donor, dest)
        if lane not in self.pending:
            self.pending[lane] = {}
            self.net.env.process(self._van(lane, window))
        batch = self.pending[lane]
        batch[sku] = batch.get(sku, 0) + units
        self.promised[donor, sku] += units

    def _van(self, lane: tuple[int, int], window: float):
        """The lane's van leaves `window` hours after its first request with what the donor
        still has above its hold-back of the units promised to it."""
        yield self.net.env.timeout(window)
        batch = self.pending.pop(lane)
        donor, dest = lane
        units = {}
        for sku, want in batch.items():
            self.promised[donor, sku] -= want
            give = min(want, int(self.spare(donor, sku)))
            if give > 0:
                units[sku] = give
        if units:
            self.send(self.net.nodes[donor], self.net.nodes[dest], units)

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

    def _inbound_due_h(self) -> np.ndarray:
        """Expected put-away time (hours) of each member's earliest open inbound line, [member,
        sku]; inf where nothing is on its way. No oracle: mean lead times from dispatch."""
        net = self.net
        lines = net.record.po_lines
        while self._first_open < len(lines) and not math.isnan(lines[self._first_open].putaway_h):
            self._first_open += 1
        row = {m: k for k, m in enumerate(self.members)}
        due = np.full((len(self.members), net.catalogue.n), np.inf)
        now = net.env.now
        for line in lines[self._first_open:]:
            k = row.get(line.node)
            if k is None or not math.isnan(line.putaway_h):
                continue
            if not math.isnan(line.dock_h):
                t = now
            elif line.lateral:
                t = line.shipped_h + self._lateral_lead_h
            else:
                t = line.ordered_h + self._lead_h[k]
            if t < due[k, line.sku]:
                due[k, line.sku] = t
        return due

    def _needs_until_inbound(self) -> np.ndarray:
        """Units [member, sku] a member needs on its shelf until its own inbound is expected:
        its backorders and its mean demand until then."""
        m, net = np.array(self.members), self.net
        due_h = self._inbound_due_h()
        wait_days = np.where(np.isfinite(due_h),
                             np.maximum(due_h - net.env.now, 0.0) / 24.0, self._idle_days[:, None])
        return net.backordered[m] + np.ceil(self.rate[m] * wait_days).astype(np.int64)

    def rebalance(self) -> None:
        """Share each SKU's inventory position among the lending nodes to equal days of cover,
        the donors giving from their shelves what they do not need before their inbound, to
        nodes that would run short before theirs."""
        m = np.array(self.members)
        net = self.net
        moves: dict[tuple[int, int], dict[int, int]] = {}
        min_units = self.settings.rebalance_min_units
        needs = self._needs_until_inbound()
        # a donor gives from its shelf above its hold-back and what it needs; a taker takes
        # no more than it would be short of before its own inbound lands
        spare = np.clip(np.minimum(self.spare(m[:, None], np.arange(net.catalogue.n)[None, :]),
                                   net.on_hand[m] - needs), 0, None)
        short = np.clip(needs - net.on_hand[m], 0, None)
        position = net.on_hand[m] + net.on_order[m] - net.backordered[m]
        for sku in np.flatnonzero(self.rate[m].sum(axis=0) > 0):
            rate = self.rate[m, sku]
            pos = position[:, sku]
            target = rate * pos.sum() / rate.sum()
            excess = np.minimum(np.floor(pos - target), spare[:, sku]).astype(np.int64)
            shortfall = np.minimum(np.floor(target - pos), short[:, sku]).astype(np.int64)
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
