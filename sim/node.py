"""One fulfilment node: its crews, stock, and the processes of its flow.

Outbound: accept a shipment -> allocate stock or backorder -> release (waves or
continuous) -> pick (tour length / speed + time per line) -> pack -> stage -> carrier
pickup -> transit -> delivery. Inbound: review -> purchase order -> supplier lead time ->
dock -> receive, QC, put away -> stock. Reverse: return transit -> dock -> inspect ->
restock or dispose. A dropship node holds no stock: its supplier processes and ships.
"""

from __future__ import annotations

from collections import deque
from collections.abc import Callable
from dataclasses import dataclass
from functools import partial
from typing import TYPE_CHECKING

import numpy as np

from sim.fulfilment_modes import rule_for
from sim.record import PickTour, PurchaseOrderLine, Shipment, TimeWeighted
from sim.scenario import Node
from sim.station import Station
from sim.streams import Sampler

if TYPE_CHECKING:
    from sim.model import Network

__all__ = ["DELIVERY_HOUR", "NodeSim"]

DELIVERY_HOUR = 14.0  # carriers deliver around mid-afternoon
RETURNS_DOCK_HOUR = 9.0  # the carrier drops returns at the dock once a day
REVIEW_HOUR = 6.0  # stock is reviewed before the day's first shift
S_TO_H = 1.0 / 3600.0


@dataclass(frozen=True)
class OutboundStage:
    """One station a shipment passes after picking: its crew's station, the shipment's state
    while there, and its time per shipment (hours)."""

    name: str
    station: Station
    state: str
    time_h: Callable[[Shipment], float]


class NodeSim:
    """A node in the running model; owns its stations and writes to the network's records."""

    def __init__(self, net: Network, index: int, spec: Node):
        self.net, self.env, self.index, self.spec = net, net.env, index, spec
        self.id = spec.id
        self.mode = rule_for(spec)
        self.stocking = self.mode.stocks
        self.up = True
        sc = net.scenario
        rng = net.streams
        horizon, wd = sc.run.horizon_days, sc.run.start_weekday
        self.ready: list[Shipment] = []  # allocated, waiting for release
        self.staged: list[Shipment] = []  # packed (or supplier-processed), waiting for pickup
        self.backorders: dict[int, deque[Shipment]] = {}
        self.returns_due: list[tuple[float, Shipment]] = []
        self.open = TimeWeighted()  # open shipments, integrated over time (shipment-hours)
        self.released_today = 0
        # Stock on hand in units, value and m3, each integrated exactly over time.
        on_hand = net.on_hand[index]
        cat = net.catalogue
        self.stock_units = TimeWeighted(float(on_hand.sum()))
        self.stock_value = TimeWeighted(float(on_hand @ cat.unit_value))
        self.stock_cube = TimeWeighted(float(on_hand @ cat.cube_m3))
        self._unit_value = cat.unit_value.tolist()
        self._unit_cube = cat.cube_m3.tolist()
        if self.stocking:
            crews = spec.resources.crews()
            by_crew = {k: Station(self.env, f"{spec.id}.{k}", crews[k], horizon, wd)
                       for k in ("pickers", "packers", "receivers", *list(crews)[3:])}
            self.pickers, self.packers = by_crew["pickers"], by_crew["packers"]
            self.receivers = by_crew["receivers"]
            self.stations = [by_crew[k] for k in crews]  # receivers, pickers, packers, extras
            pt = spec.process_times
            self.pack_h = Sampler(rng[f"pack.{spec.id}"], pt.pack_s_per_order, S_TO_H)
            self.outbound = self._outbound_stages(by_crew)
            self._stage_done = [partial(self._after_stage, k) for k in range(len(self.outbound))]
            self.receive_h = Sampler(rng[f"receive.{spec.id}"], pt.receive_s_per_line, S_TO_H)
            self.putaway_h = Sampler(rng[f"putaway.{spec.id}"], pt.putaway_s_per_line, S_TO_H)
            self.inspect_h = Sampler(rng[f"inspect.{spec.id}"], pt.inspect_s_per_return, S_TO_H)
            pk = spec.picking
            self.pick_override = (Sampler(rng[f"pick.{spec.id}"], pk.pick_time_s, S_TO_H)
                                  if pk.pick_time_s is not None else None)
            self.qc_rng = rng[f"qc.{spec.id}"]
            supplier = sc.stock_policy(index).supplier
            self.lead_time_days = Sampler(rng[f"supplier.{spec.id}"], supplier.lead_time_dist())
            self.env.process(self._releases())
            self.env.process(self._returns_dock())
            self.env.process(self._reviews())
        else:
            self.stations = []
            self.supplier_days = Sampler(rng[f"dropship.{spec.id}"], spec.dropship.processing_days)
        self.env.process(self._pickups())

    # ------------------------------------------------------------ outbound
    def accept(self, sh: Shipment) -> None:
        """Take a routed shipment: allocate stock (or backorder), or hand it to the supplier."""
        self._count_open(+1)
        net = self.net
        sh.distance_km = float(net.dist_km[self.index, sh.point])
        now = self.env.now
        if not self.stocking:
            sh.allocated_h = sh.released_h = now
            sh.filled_on_arrival = sh.units
            ready = now + 24.0 * self.supplier_days()
            sh.state = "at_supplier"
            self.staged.append(sh)
            sh.packed_h = ready  # the supplier hands it over ready to ship at this time
            return
        # Scalar loops: orders have a line or two, where numpy's per-call cost dominates.
        on_hand = net.on_hand[self.index]
        filled = 0
        for j, (s, q) in enumerate(zip(sh.sku.tolist(), sh.qty.tolist(), strict=True)):
            have = int(on_hand[s])
            take = q if have >= q else max(have, 0)
            if take:
                on_hand[s] = have - take
                filled += take
                self._stock_moved(s, -take)
            if take < q:
                if sh.short is None:
                    sh.short = np.zeros(len(sh.sku), np.int64)
                sh.short[j] = q - take
                net.backordered[self.index, s] += q - take
                self.backorders.setdefault(s, deque()).append(sh)
        sh.filled_on_arrival = filled
        if sh.short is not None:
            sh.state = "backordered"
        else:
            self._allocated(sh)

    def _stock_moved(self, sku: int, units: int) -> None:
        now = self.env.now
        self.stock_units.move(now, units)
        self.stock_value.move(now, units * self._unit_value[sku])
        self.stock_cube.move(now, units * self._unit_cube[sku])

    def _allocated(self, sh: Shipment) -> None:
        sh.allocated_h = self.env.now
        sh.state = "ready"
        if self.spec.release.mode == "continuous" and self._may_release():
            self._release([sh])
        else:
            self.ready.append(sh)

    def _may_release(self) -> bool:
        sla = self.spec.sla
        return self.up and (sla is None or self.released_today < sla.capacity_orders_per_day)

    def _releases(self):
        interval = self.spec.release.wave_interval_h
        while True:
            yield self.env.timeout(interval - (self.env.now % interval) or interval)
            if self.env.now % 24.0 < interval:
                self.released_today = 0  # the 3PL's daily capacity starts afresh
            if self.ready and self._may_release():
                n = len(self.ready)
                sla = self.spec.sla
                if sla is not None:
                    n = min(n, sla.capacity_orders_per_day - self.released_today)
                wave, self.ready = self.ready[:n], self.ready[n:]
                self._release(wave)

    def _release(self, shipments: list[Shipment]) -> None:
        now = self.env.now
        self.released_today += len(shipments)
        for sh in shipments:
            sh.released_h = now
            sh.state = "picking"
        for batch in self.net.batches(self, shipments):
            self.pickers.submit(self._pick_time_h(batch), self._picked, batch,
                                sum(s.units for s in batch))

    def _pick_time_h(self, batch: list[Shipment]) -> float:
        sku = batch[0].sku if len(batch) == 1 else np.concatenate([s.sku for s in batch])
        units = sum(s.units for s in batch)
        if self.pick_override is not None:
            length_m, hours = 0.0, self.pick_override()
        else:
            pk = self.spec.picking
            length_m = self.net.tour_length_m(self, sku)
            hours = S_TO_H * (length_m / pk.walk_speed_m_s + pk.time_per_line_s * len(sku)
                              + pk.time_per_unit_s * units + pk.setup_per_tour_s)
        self.net.record.pick_tours.append(PickTour(self.env.now, self.index, len(batch),
                                                   len(sku), units, length_m, hours))
        return hours

    def _outbound_stages(self, by_crew: dict[str, Station]) -> list[OutboundStage]:
        """Packing, then the node's extra stages in order, each on its crew's station."""
        extra = self.spec.process_times.pack_s_per_extra_unit * S_TO_H
        pack_h = self.pack_h

        def pack_time_h(sh: Shipment) -> float:
            return pack_h() + extra * max(sh.units - 1, 0)

        stages = [OutboundStage("pack", by_crew["packers"], "packing", pack_time_h)]
        for s in self.spec.stages:
            sampler = Sampler(self.net.streams[f"stage.{self.id}.{s.name}"], s.s_per_shipment,
                              S_TO_H)
            per_unit_h = s.s_per_unit * S_TO_H

            def time_h(sh: Shipment, sampler=sampler, per_unit_h=per_unit_h) -> float:
                return sampler() + per_unit_h * sh.units

            stages.append(OutboundStage(s.name, by_crew[s.crew], s.name, time_h))
        return stages

    def _picked(self, batch: list[Shipment]) -> None:
        now = self.env.now
        for sh in batch:
            sh.picked_h = now
            self._to_stage(sh, 0)

    def _to_stage(self, sh: Shipment, k: int) -> None:
        stage = self.outbound[k]
        sh.state = stage.state
        stage.station.submit(stage.time_h(sh), self._stage_done[k], sh, sh.units)

    def _after_stage(self, k: int, sh: Shipment) -> None:
        if k == 0:
            sh.packed_h = self.env.now
        if k + 1 < len(self.outbound):
            self._to_stage(sh, k + 1)
            return
        sh.state = "staged"
        self.staged.append(sh)

    def outbound_states(self) -> set[str]:
        """Shipment states inside the node's stations after release (picking and beyond)."""
        return {"picking", *(s.state for s in getattr(self, "outbound", ()))}

    def _pickups(self):
        spec = self.spec
        wd0 = self.net.scenario.run.start_weekday
        day = 0
        while True:
            t = 24.0 * day + spec.pickup_h
            if t >= self.env.now and (day + wd0) % 7 in spec.pickup_days:
                yield self.env.timeout(t - self.env.now)
                if self.up and self.staged:
                    self._ship()
            day += 1
            if 24.0 * day > self.net.horizon_h:
                return

    def _ship(self) -> None:
        now = self.env.now
        if self.stocking:
            going, self.staged = self.staged, []
        else:
            going = [s for s in self.staged if s.packed_h <= now]
            self.staged = [s for s in self.staged if s.packed_h > now]
        if not going:
            return
        self._count_open(-len(going))
        self.net.ship(self, going)

    def _count_open(self, delta: int) -> None:
        self.open.move(self.env.now, delta)
        self.net.view.open_shipments[self.index] = self.open_shipments

    @property
    def open_shipments(self) -> int:
        """Shipments routed here and not yet handed to a carrier."""
        return int(self.open.level)

    # ------------------------------------------------------------ stock arriving
    def add_stock(self, sku: int, units: int) -> None:
        """Units become available: fill waiting backorders first (FIFO), the rest on hand."""
        on_hand = self.net.on_hand[self.index]
        on_hand[sku] += units
        waiting = self.backorders.get(sku)
        taken = 0
        while waiting and on_hand[sku] > 0:
            sh = waiting[0]
            j = int(np.flatnonzero(sh.sku == sku)[0])
            take = min(int(on_hand[sku]), int(sh.short[j]))
            on_hand[sku] -= take
            taken += take
            sh.short[j] -= take
            self.net.backordered[self.index, sku] -= take
            if sh.short[j] > 0:
                break
            waiting.popleft()
            if not sh.short.any():
                sh.short = None
                self._allocated(sh)
        if units != taken:
            self._stock_moved(sku, units - taken)

    def _reviews(self):
        period_h = 24.0 * self.net.scenario.stock_policy(self.index).review_period_days
        yield self.env.timeout(REVIEW_HOUR)
        while True:
            self.net.review(self)
            yield self.env.timeout(period_h)

    def receive_po(self, po_lines: list[PurchaseOrderLine]) -> None:
        """A purchase order reaches the dock: one receive-QC-putaway job per line."""
        pt = self.spec.process_times
        qc = self.qc_rng.random(len(po_lines)) < pt.qc_share
        for line, checked in zip(po_lines, qc, strict=True):
            line.dock_h = self.env.now
            units = line.units
            self.net.in_receiving[self.index] += units
            seconds = units * pt.receive_s_per_unit + checked * pt.qc_s_per_line
            duration = self.receive_h() + self.putaway_h() + seconds * S_TO_H
            self.receivers.submit(duration, self._put_away, line)

    def _put_away(self, line: PurchaseOrderLine) -> None:
        line.putaway_h = self.env.now
        sku, units = line.sku, line.units
        net = self.net
        net.in_receiving[self.index] -= units
        net.on_order[self.index, sku] -= units
        net.putaway_units[self.index] += units
        self.add_stock(sku, units)

    # ------------------------------------------------------------ returns
    def _returns_dock(self):
        yield self.env.timeout(RETURNS_DOCK_HOUR)
        while True:
            if self.returns_due and self.up:
                now = self.env.now
                due = [r for r in self.returns_due if r[0] <= now]
                if due:
                    self.returns_due = [r for r in self.returns_due if r[0] > now]
                    for _, sh in due:
                        sh.return_received_h = now
                        self.net.returns_in_inspection[self.index] += sh.returned_units
                        self.receivers.submit(self.inspect_h(), self._inspected, sh)
            yield self.env.timeout(24.0)

    def _inspected(self, sh: Shipment) -> None:
        net = self.net
        net.returns_in_inspection[self.index] -= sh.returned_units
        net.returns_inspected[self.index] += sh.returned_units
        sh.inspected_h = self.env.now
        rate = net.scenario.returns.restock_share
        # Restock each returned unit with the restock share; the rest is disposed.
        per_line = net.returned_lines.pop(sh.index)
        keep = net.streams["returns.restock"].binomial(per_line, rate)
        sh.restocked_units = int(keep.sum())
        for s, k in zip(sh.sku, keep, strict=True):
            if k:
                self.add_stock(int(s), int(k))
        net.record.close_shipment(sh)

    # ------------------------------------------------------------ disruptions
    def set_capacity(self, resource: str | None, share: float) -> None:
        """Outage (share 0 of every crew) or a capacity cut of one crew."""
        for st in self.stations:
            if resource is None or st.name.endswith("." + resource):
                st.set_factor(share)
        if resource is None:
            self.up = share > 0
            if self.up and self.ready and self.spec.release.mode == "continuous":
                wave, self.ready = self.ready, []
                self._release(wave)

