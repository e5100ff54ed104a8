"""Replenishment: what a node orders at a review, and where from (its supplier, or another
node: multi-echelon transfers), with continuous review (r, Q) and echelon positions.

The rules of a transfer, stated here and tested in tests/test_echelon.py:

- A node whose stock policy names `replenish_from` sends its orders to that node (the
  source) instead of its supplier. Its inventory position counts them as on order at once.
- The source fills a request from its shelf when it has the stock (its stock falls then);
  what it cannot fill waits in its backlog, counted as owed in its position, and is filled
  as stock arrives: a source that also serves customers fills their backorders first
  (`NodeSim.add_stock`), then the transfer backlog.
- Requests placed at the same instant (every node reviews at the same hour) are pooled
  before the source allocates, so that rationing sees them all.
- Rationing of short stock (`rationing` at the source): `fcfs` fills the waiting requests
  in the order they came (at one instant, in node order), each in full before the next;
  `proportional` shares the units in proportion to each request's outstanding need, the
  floors first and the leftover units one each by largest remainder (ties: the earlier).
- What is allocated at one moment leaves as one shipment per destination. With
  `transfer.pick_s_per_line` > 0 it is first one job on the source's pickers (that many
  seconds per line: case pick and load), else it leaves the shelf at once (the stated
  simplification: no crew time).
- It travels `transfer.lead_time_days` (drawn per shipment) and is then received at the
  destination like a purchase order (its receivers or inbound stages), as purchase-order
  lines with `source` and `shipped_h` set.
- Freight, cost_per_shipment + cost_per_unit x units + cost_per_kg x kg, is charged to the
  receiving node on the day the shipment leaves (sim.costs, category `freight`), shared
  among its lines by units.
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from typing import TYPE_CHECKING

import numpy as np

from sim.record import PurchaseOrderLine
from sim.stock_levels import feeds
from sim.streams import Sampler

if TYPE_CHECKING:
    from sim.model import Network
    from sim.node import NodeSim

__all__ = ["Request", "TransferDesk", "TransferPick", "connect", "order_need", "ration",
           "replenish"]

S_TO_H = 1.0 / 3600.0


def ration(available: int, needs: list[int], rule: str) -> list[int]:
    """Units given to each request (in arrival order) out of `available` units: all when
    there are enough; else first come first served (`fcfs`) or in proportion to need
    (`proportional`: floors, then one unit each by largest remainder, ties to the earlier)."""
    total = sum(needs)
    if total <= available:
        return list(needs)
    if rule == "fcfs":
        out, left = [], available
        for n in needs:
            take = min(n, left)
            out.append(take)
            left -= take
        return out
    exact = [available * n / total for n in needs]
    out = [math.floor(x) for x in exact]
    order = sorted(range(len(needs)), key=lambda k: (-(exact[k] - out[k]), k))
    for k in order[:available - sum(out)]:
        out[k] += 1
    return out


def _installation(node: NodeSim, skus: np.ndarray | None) -> np.ndarray:
    if skus is None:
        return node.on_hand + node.on_order - node.backordered
    return node.on_hand[skus] + node.on_order[skus] - node.backordered[skus]


def _echelon(node: NodeSim, skus: np.ndarray | None) -> np.ndarray:
    own = _installation(node, skus)
    for dest in node.desk.dests if node.desk is not None else ():
        own = own + _echelon(dest, skus)
    return own


def position(node: NodeSim, skus: np.ndarray | None = None) -> np.ndarray:
    """A node's inventory position [sku] (or at `skus`): on hand + on order - owed (to its
    customers and, at a source, to the nodes it feeds); with an echelon position, plus the
    echelon positions of the nodes it feeds, down to the last echelon."""
    if node.net.scenario.stock_policy(node.index).position == "echelon":
        return _echelon(node, skus)
    return _installation(node, skus)


def order_need(node: NodeSim, now: float, skus: np.ndarray | None = None) -> np.ndarray:
    """Units [sku] (or at `skus`) the node's stock policy orders now: up to S below it
    (order_up_to), up to S at or below s (s_S), or the multiple of Q that lifts the position
    above r when at or below it (r_Q). A pre-build raises s and r with S."""
    net, i = node.net, node.index
    policy = net.scenario.stock_policy(i)
    pos = position(node, skus)
    target = net.levels_at(now)[i]
    base = net.order_up_to[i]
    low = net.reorder_point[i]
    if skus is not None:
        target, base, low = target[skus], base[skus], low[skus]
    if policy.policy == "order_up_to":
        return np.where(pos < target, target - pos, 0)
    # A pre-build raises s with S, so the raised level actually triggers an order.
    reorder = low + (target - base)
    if policy.policy == "s_S":
        return np.where(pos <= reorder, target - pos, 0)
    q = base - low
    batches = np.where((pos <= reorder) & (q > 0), (reorder - pos) // np.maximum(q, 1) + 1, 0)
    return batches * q


def replenish(node: NodeSim, skus: np.ndarray, units: np.ndarray, now: float) -> None:
    """Order `units` of `skus`: from the node it replenishes from, else its supplier."""
    if node.upstream is not None:
        node.upstream.request(node, skus, units, now)
        return
    lead_days = node.lead_time_days() + node._supplier_delay(now)
    freight = node.net.scenario.stock_policy(node.index).supplier.freight
    kg = float(node.net.catalogue.weight_kg[skus] @ units)
    node.place_order(skus, units, now, 24.0 * lead_days, freight.cost(float(units.sum()), kg))


def _continuous_review(node: NodeSim, sku: np.ndarray) -> None:
    """(r, Q): after the position of these SKUs fell, order where it is at or below r."""
    now = node.env.now
    sku = np.unique(sku)
    need = order_need(node, now, sku)
    ordering = need > 0
    if ordering.any():
        replenish(node, sku[ordering], need[ordering], now)


@dataclass
class Request:
    """Units a node asked its source for, still to allocate (one SKU)."""

    dest: NodeSim
    sku: int
    units: int
    ordered_h: float


class TransferPick:
    """Allocated transfer lines for one destination in the source's pickers' station."""

    __slots__ = ("dest", "lines", "units")

    def __init__(self, dest: NodeSim, lines: list[tuple[int, int, float]]):
        self.dest, self.lines = dest, lines  # (sku, units, ordered_h)
        self.units = sum(u for _, u, _ in lines)


class TransferDesk:
    """A source node's transfers to the nodes it feeds: their backlog, rationing, picking
    and dispatch, and counters of where the units are (for the conservation check)."""

    def __init__(self, source: NodeSim, dests: list[NodeSim]):
        self.source, self.dests = source, dests
        self.rule = source.net.scenario.stock_policy(source.index).rationing
        self.waiting: dict[int, list[Request]] = {}
        self._pooled: set[int] = set()  # SKUs with requests to allocate at this instant
        self.requested_units = 0
        self.allocated_units = 0  # taken off the source's shelf
        self.shipped_units = 0  # left the source
        self.lead_days = {d.index: Sampler(
            source.net.streams[f"transfer.{d.id}"],
            d.net.scenario.stock_policy(d.index).transfer.lead_time_days) for d in dests}

    def request(self, dest: NodeSim, skus: np.ndarray, units: np.ndarray, now: float) -> None:
        """A node orders `units` of `skus`; allocated once every request of this instant
        is in (see the module's rules)."""
        dest.on_order[skus] += units
        src = self.source
        for s, q in zip(skus.tolist(), units.tolist(), strict=True):
            self.waiting.setdefault(s, []).append(Request(dest, s, q, now))
            src.backordered[s] += q
            self.requested_units += q
        if not self._pooled:
            src.env.timeout(0).callbacks.append(lambda _ev: self._allocate_pooled())
        self._pooled.update(skus.tolist())
        if src.on_demand is not None:  # what it owes lowers the source's position
            src.on_demand(skus)

    def _allocate_pooled(self) -> None:
        skus, self._pooled = sorted(self._pooled), set()
        self.allocate(skus)

    def stock_arrived(self, sku: int) -> None:
        """Stock reached the source's shelf: fill the waiting transfers of this SKU."""
        if self.waiting.get(sku):
            self.allocate([sku])

    def allocate(self, skus: list[int]) -> None:
        """Share the source's stock of `skus` among the waiting requests by its rationing
        rule and send what is allocated on its way, one shipment per destination."""
        src = self.source
        out: dict[int, list[tuple[int, int, float]]] = {}
        dest_of: dict[int, NodeSim] = {}
        for s in skus:
            reqs = self.waiting.get(s)
            have = int(src.on_hand[s])
            if not reqs or have <= 0:
                continue
            shares = ration(have, [r.units for r in reqs], self.rule)
            total = sum(shares)
            for r, take in zip(reqs, shares, strict=True):
                if take:
                    r.units -= take
                    out.setdefault(r.dest.index, []).append((s, take, r.ordered_h))
                    dest_of[r.dest.index] = r.dest
            self.waiting[s] = [r for r in reqs if r.units > 0]
            src.on_hand[s] -= total
            src.backordered[s] -= total
            self.allocated_units += total
            src._stock_moved(s, -total)
        for d in sorted(out):
            pick = TransferPick(dest_of[d], out[d])
            hours = dest_of[d].net.scenario.stock_policy(d).transfer.pick_s_per_line * S_TO_H
            if hours > 0:
                src.pickers.submit(hours * len(pick.lines), self.depart, pick)
            else:
                self.depart(pick)

    def depart(self, pick: TransferPick) -> None:
        """The shipment leaves the source: freight, lead time, then the destination's dock."""
        dest, net, now = pick.dest, self.source.net, self.source.env.now
        tr = net.scenario.stock_policy(dest.index).transfer
        cat = net.catalogue
        kg = sum(float(cat.weight_kg[s]) * u for s, u, _ in pick.lines)
        freight = tr.cost(pick.units, kg)
        po = len(net.record.po_lines)
        lines = [PurchaseOrderLine(po, s, u, ordered, dest.index, source=self.source.index,
                                   shipped_h=now, freight=freight * u / pick.units)
                 for s, u, ordered in pick.lines]
        self.shipped_units += pick.units
        dest.expect_inbound(lines, 24.0 * self.lead_days[dest.index]())

    def census(self) -> dict[str, int]:
        """The source's transfer counters, and the backlog counted on its requests."""
        picking = sum(job.units for job in self.source.pickers.jobs()
                      if isinstance(job, TransferPick))
        return {"transfers_requested": self.requested_units,
                "transfers_allocated": self.allocated_units,
                "transfers_picking": picking,
                "transfers_shipped": self.shipped_units,
                "transfers_waiting": sum(r.units for q in self.waiting.values() for r in q)}


def connect(net: Network) -> None:
    """Give each node its source's transfer desk (`upstream`), each source its desk
    (`desk`), and each (r, Q) node its continuous review (`on_demand`)."""
    fed = feeds(net.scenario)
    for node, dests in zip(net.nodes, fed, strict=True):
        if dests:
            node.desk = TransferDesk(node, [net.nodes[j] for j in dests])
    for node in net.nodes:
        policy = net.scenario.stock_policy(node.index)
        if policy.replenish_from is not None:
            node.upstream = net.nodes[[n.id for n in net.nodes].index(policy.replenish_from)
                                      ].desk
        if policy.policy == "r_Q" and node.stocking:
            node.on_demand = lambda sku, n=node: _continuous_review(n, sku)
