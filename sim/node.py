"""One fulfilment node: its crews, stock, and the processes of its flow.

Outbound: accept a shipment -> allocate stock or backorder -> release (waves or
continuous) -> pick (tour length / speed + time per line) -> pack -> stage -> carrier
pickup -> transit -> delivery. Inbound: review -> purchase order -> supplier lead time ->
dock -> receive, QC, put away (one receivers' job, or the node's inbound stages) -> stock.
Reverse: return transit -> dock -> inspect -> restock or dispose. A dropship node holds no
stock: its supplier processes and ships.
"""

from __future__ import annotations

from collections import deque
from collections.abc import Callable
from dataclasses import dataclass
from functools import partial
from typing import TYPE_CHECKING

import numpy as np
import simpy

from optimize.errors import InvalidInput
from sim.accuracy import NodeErrors, reject_line
from sim.cartons import CartonPacker, NodeCartons
from sim.cycle_counts import ShelfRecord
from sim.dropship_supplier import SupplierDesk
from sim.fulfilment_modes import Dispatch, rule_for
from sim.record import (
    NodeCensus,
    PickTour,
    PurchaseOrderLine,
    ReturnParcel,
    Shipment,
    TimeWeighted,
)
from sim.replenishment import order_need, replenish
from sim.scenario import Dist, Node
from sim.station import Station, flex_workers
from sim.storage import NodeStorage, scenario_storage_problems
from sim.streams import Sampler

if TYPE_CHECKING:
    from sim.model import Network

__all__ = ["DELIVERY_HOUR", "NodeSim"]

DELIVERY_HOUR = 14.0  # carriers deliver around mid-afternoon
RETURNS_DOCK_HOUR = 9.0  # the carrier drops returns at the dock once a day
REVIEW_HOUR = 6.0  # stock is reviewed before the day's first shift
S_TO_H = 1.0 / 3600.0


@dataclass(frozen=True)
class FlowStage:
    """One station a job passes (a shipment after picking, a purchase-order line between the
    dock and stock): its crew's station, the shipment's state while there (outbound), its
    time per job (hours), and the stream sampling which jobs it takes (None: all)."""

    name: str
    station: Station
    state: str
    time_h: Callable[[Shipment | PurchaseOrderLine], float]
    share: float = 1.0
    sample: np.random.Generator | None = None

    def takes(self) -> bool:
        """Whether the next job passes this station (a share < 1 samples it)."""
        return self.sample is None or self.sample.random() < self.share


class NodeSim:
    """A node in the running model. It owns its stock (its rows of the network's stock arrays
    and its inbound counters), its replenishment (review, purchase orders, receiving), its
    stations and outbound stages, its staging lane and carrier hand-off, and its census; it
    writes rows to the run's record."""

    def __init__(self, net: Network, index: int, spec: Node):
        self.net, self.env, self.index, self.spec = net, net.env, index, spec
        self.id = spec.id
        self.mode = rule_for(spec)
        self.stocking = self.mode.stocks
        self.up = True
        sc = net.scenario
        self.rate_factor = self.mode.carrier_rate_factor(sc)  # off the carriers' list rates
        rng = net.streams
        horizon, wd = sc.run.horizon_days, sc.run.start_weekday
        self.ready: list[Shipment] = []  # allocated, waiting for release
        self.staged: list[Shipment] = []  # packed (or supplier-processed), waiting for pickup
        self.backorders: dict[int, deque[Shipment]] = {}
        self.returns_due: list[tuple[float, ReturnParcel]] = []
        self.open = TimeWeighted()  # open shipments, integrated over time (shipment-hours)
        self.released_today = 0
        # The node's stock: rows of the network's [node, sku] arrays (the routing policies read
        # the stacked arrays), and its own counters of units on their way in.
        self.on_hand = on_hand = net.on_hand[index]
        self.on_order = net.on_order[index]
        self.backordered = net.backordered[index]
        self.initial_units = int(on_hand.sum())
        # Storage locations (sim.storage): the initial stock that finds no room starts in
        # the queue (at the dock or in overflow), counted as on order.
        self.storage = self._storage(net) if spec.storage is not None and self.stocking else None
        self.ordered_units = 0  # purchase orders placed
        self.in_supplier_transit = 0
        self.with_supplier: dict[int, list[PurchaseOrderLine]] = {}  # by purchase order
        self.in_receiving = 0
        self.putaway_units = 0
        self.returns_in_inspection = 0
        self.returns_inspected = 0
        # Multi-echelon and continuous review (sim.replenishment.connect): the desk of the
        # node it replenishes from, its own desk if it feeds others, its (r, Q) review.
        self.upstream = self.desk = self.on_demand = None
        self.lateral_out = 0  # units sent to other forward nodes (sim.lateral)
        # Stock on hand in units, value and m3, each integrated exactly over time.
        cat = net.catalogue
        self.stock_units = TimeWeighted(float(on_hand.sum()))
        self.stock_value = TimeWeighted(float(on_hand @ cat.unit_value))
        self.stock_cube = TimeWeighted(float(on_hand @ cat.cube_m3))
        self._unit_value = cat.unit_value.tolist()
        self._unit_cube = cat.cube_m3.tolist()
        # Pick/pack errors, the shelf against the record, QC rejects (sim.accuracy); None:
        # every pick right and the record exact.
        self.errors: NodeErrors | None = None
        self.shelf: ShelfRecord | None = None
        self._reject_lead: Sampler | None = None
        if self.stocking:
            crews = spec.resources.crews()
            # Absences draw from their own stream per crew, so they move no other numbers.
            by_crew = {k: Station(self.env, f"{spec.id}.{k}", crews[k], horizon, wd,
                                  rng[f"absence.{spec.id}.{k}"] if crews[k].absent_share
                                  else None)
                       for k in ("pickers", "packers", "receivers", *list(crews)[3:])}
            for f in spec.resources.flex:
                self.env.process(flex_workers(self.env, by_crew[f.from_], by_crew[f.to],
                                              f.count, f.threshold, f.check_min / 60.0))
            self.pickers, self.packers = by_crew["pickers"], by_crew["packers"]
            self.receivers = by_crew["receivers"]
            self.stations = [by_crew[k] for k in crews]  # receivers, pickers, packers, extras
            if spec.accuracy is not None:
                self.errors = NodeErrors(self, spec.accuracy)
                self.shelf = ShelfRecord(self, spec.accuracy)
            pt = spec.process_times
            self.pack_h = Sampler(rng[f"pack.{spec.id}"], pt.pack_s_per_order, S_TO_H)
            if spec.packaging is None:
                self.cartons = None
            else:
                self.cartons = NodeCartons(CartonPacker.for_node(
                    sc, spec.packaging, net.carriers, cat.ids, cat.cube_m3, cat.weight_kg,
                    self.rate_factor), index, self.rate_factor)
            self.outbound = self._outbound_stages(by_crew)
            self._stage_done = [partial(self._after_stage, k) for k in range(len(self.outbound))]
            self.inbound = self._inbound_stages(by_crew)
            self._inbound_reject = [(s.reject_share, rng[f"inbound.{spec.id}.{s.name}.reject"])
                                    if s.reject_share > 0 else None
                                    for s in spec.inbound_stages]
            self._inbound_done = [partial(self._after_inbound, k)
                                  for k in range(len(self.inbound))]
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
            self.supplier = SupplierDesk(self, spec, sc, cat, rng)
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
            sh.state = "at_supplier"
            self.staged.append(sh)
            sh.packed_h = self.supplier.take(sh)  # when the supplier hands it over, ready
            return
        # Scalar loops: orders have a line or two, where numpy's per-call cost dominates.
        on_hand = self.on_hand
        shelf = self.shelf
        filled = 0
        for j, (s, q) in enumerate(zip(sh.sku.tolist(), sh.qty.tolist(), strict=True)):
            if shelf is not None:
                shelf.check(s, q)  # the shelf may hold less than the record
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
                self.backordered[s] += q - take
                self.backorders.setdefault(s, deque()).append(sh)
        sh.filled_on_arrival = filled
        if self.on_demand is not None:
            self.on_demand(sh.sku)
        if sh.short is not None:
            sh.state = "backordered"
            if self.net.stockouts is not None:  # the customer may not wait (sim.sales)
                self.net.stockouts.short(self, sh)
            if self.net.lateral is not None and sh.short is not None \
                    and sh.state == "backordered":
                self.net.lateral.short(self, sh)
        else:
            self._allocated(sh)

    def _storage(self, net: Network) -> NodeStorage:
        cat = net.catalogue
        problems = scenario_storage_problems(net.scenario, cat)
        mine = [p for p in problems if p.path.startswith(f"nodes[{self.index}].")]
        if mine:
            raise InvalidInput(mine)
        store = NodeStorage(self.env, self.spec.storage, self.on_hand, cat.cube_m3, self.index,
                            self._from_queue)
        start = self.on_hand.copy()
        self.on_hand[:] = 0
        for s in np.flatnonzero(start).tolist():
            units = int(start[s])
            took = store.admit(s, units, queue_first=False)
            self.on_hand[s] = took
            self.on_order[s] += units - took
        store.start()
        return store

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
        cap = self.mode.orders_per_day_cap
        return self.up and (cap is None or self.released_today < cap)

    def _releases(self):
        interval = self.spec.release.wave_interval_h
        while True:
            yield self.env.timeout(interval - (self.env.now % interval) or interval)
            if self.env.now % 24.0 < interval:
                self.released_today = 0  # the 3PL's daily capacity starts afresh
            if self.ready and self._may_release():
                n = len(self.ready)
                cap = self.mode.orders_per_day_cap
                if cap is not None:
                    n = min(n, cap - self.released_today)
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

    def _outbound_stages(self, by_crew: dict[str, Station]) -> list[FlowStage]:
        """Packing, then the node's extra stages in order, each on its crew's station."""
        extra = self.spec.process_times.pack_s_per_extra_unit * S_TO_H
        pack_h = self.pack_h
        cartons = self.cartons

        def pack_time_h(sh: Shipment) -> float:
            hours = pack_h() + extra * max(sh.units - 1, 0)
            if cartons is not None:  # packed into cartons here: each extra one takes time
                hours += cartons.pack_s(sh) * S_TO_H
            return hours

        stages = [FlowStage("pack", by_crew["packers"], "packing", pack_time_h)]
        self.scan_k = -1
        check = self.spec.accuracy.scan_check if self.spec.accuracy is not None else None
        if check is not None:  # the scan check comes straight after packing
            self.scan_k = len(stages)
            sampler = Sampler(self.net.streams[f"accuracy.scan_time.{self.id}"],
                              check.s_per_shipment, S_TO_H)
            stages.append(FlowStage("scan_check", by_crew[check.crew], "scan_check",
                                    self.errors.scan_time(sampler, check.s_per_line * S_TO_H)))
        for s in self.spec.stages:
            time_h = self._stage_time(f"stage.{self.id}.{s.name}", s.s_per_shipment, s.s_per_unit)
            stages.append(FlowStage(s.name, by_crew[s.crew], s.name, time_h))
        return stages

    def _inbound_stages(self, by_crew: dict[str, Station]) -> list[FlowStage]:
        """The node's inbound stages in order, each on its crew's station (none: receiving
        is one receivers' job, see receive_po)."""
        streams = self.net.streams
        return [FlowStage(s.name, by_crew[s.crew], "",
                          self._stage_time(f"inbound.{self.id}.{s.name}", s.s_per_line,
                                           s.s_per_unit),
                          s.share, streams[f"inbound.{self.id}.{s.name}.share"]
                          if s.share < 1.0 else None)
                for s in self.spec.inbound_stages]

    def _stage_time(self, stream: str, per_job: Dist, s_per_unit: float
                    ) -> Callable[[Shipment | PurchaseOrderLine], float]:
        """A stage's time per job in hours: `per_job` seconds (drawn from `stream`) plus
        `s_per_unit` seconds per unit of the job."""
        sampler = Sampler(self.net.streams[stream], per_job, S_TO_H)
        per_unit_h = s_per_unit * S_TO_H

        def time_h(job: Shipment | PurchaseOrderLine) -> float:
            return sampler() + per_unit_h * job.units

        return time_h

    def _picked(self, batch: list[Shipment]) -> None:
        now = self.env.now
        for sh in batch:
            sh.picked_h = now
            if self.errors is not None:
                self.errors.picked(sh)
            self._to_stage(sh, 0)

    def _to_stage(self, sh: Shipment, k: int) -> None:
        stage = self.outbound[k]
        sh.state = stage.state
        stage.station.submit(stage.time_h(sh), self._stage_done[k], sh, sh.units)

    def _after_stage(self, k: int, sh: Shipment) -> None:
        if k == 0:
            sh.packed_h = self.env.now
            if self.errors is not None:
                self.errors.packed(sh)
        elif k == self.scan_k and self.errors.caught(sh):
            sh.state = "picking"  # found before shipping: picked again
            self.pickers.submit(self._pick_time_h([sh]), self._picked, [sh], sh.units)
            return
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
            self.staged = [s for s in self.staged if not s.packed_h <= now]  # nan: waits
        if not going:
            return
        self._count_open(-len(going))
        self._hand_over(going)

    def _hand_over(self, going: list[Shipment]) -> None:
        """Hand shipments to the mode's carriers: service, cost, transit, delivery, returns."""
        net = self.net
        now = self.env.now
        ship_day = int(now // 24.0)
        sku = np.concatenate([s.sku for s in going])
        qty = np.concatenate([s.qty for s in going])
        bounds = np.cumsum([0] + [len(s.sku) for s in going])
        cat = net.catalogue
        weight = np.add.reduceat(cat.weight_kg[sku] * qty, bounds[:-1])
        value = np.add.reduceat(cat.unit_value[sku] * qty, bounds[:-1])
        cartons = self.cartons if self.stocking else None
        distance = np.array([s.distance_km for s in going])
        row, transit, cost, fee = self.mode.deliver(Dispatch(
            spec=self.spec, scenario=net.scenario, now_h=now, sku=sku, qty=qty, bounds=bounds,
            weight_kg=weight if cartons is None else cartons.choice_kg(going),
            unit_weight_kg=cat.weight_kg, unit_cube_m3=cat.cube_m3, distance_km=distance,
            days_left=np.array([s.promised_day for s in going], float) - ship_day,
            carriers=net.carriers, streams=net.streams, carrier_delay_days=net.carrier_delay,
            point=np.array([s.point for s in going]), points=net.points))
        # A customer sends units back in the largest carton their shipment came in.
        boxes = None if cartons is None else [
            max((p.dims_cm for p in cartons.packed[s.index][0]), key=np.prod) for s in going]
        if cartons is not None:  # each carton is a parcel billed on its own
            cost = cartons.bill(going, row, net.carriers.band(distance), net.carriers, now,
                                net.record.parcels)
        delivered = (ship_day + transit) * 24.0 + DELIVERY_HOUR

        record = net.record
        record.units_shipped += int(qty.sum())
        returned = net.streams["returns.units"].binomial(qty, cat.return_rate[sku])
        errors = None
        if self.errors is not None:  # the customer finds the errors that left (no refund)
            before = returned.copy()
            self.errors.handed_over(going, returned, bounds, cost, row, delivered)
            errors = returned - before
        desk = net.returns_desk
        reversed_, exchanged = desk.handed_over(
            self.rate_factor, going, sku, bounds, returned, row, net.carriers.band(distance),
            boxes, errors)
        record.sold(going, desk.revenue(going, sku, qty, bounds), reversed_)
        per_ship = np.add.reduceat(returned, bounds[:-1])
        back_days = net.scenario.returns.transit_days
        for i, s in enumerate(going):
            s.shipped_h = now
            s.delivered_h = float(delivered[i])
            s.carrier = int(row[i])
            s.shipping_cost = float(cost[i])
            s.fee = float(fee[i])
            s.weight_kg = float(weight[i])
            s.value = float(value[i])
            s.state = "in_transit"
            if per_ship[i]:
                s.returned_units = int(per_ship[i])
                lines = returned[bounds[i]:bounds[i + 1]]
                arrival = s.delivered_h + 24.0 * (net.return_delay_days(s.sku, lines)
                                                  + back_days)
                if self.stocking:
                    self.returns_due.append((arrival, ReturnParcel(s.index, s.sku, lines)))
                else:
                    s.return_received_h = arrival  # goes back to the dropship supplier
                if exchanged is not None:
                    swap = exchanged[bounds[i]:bounds[i + 1]]
                    if swap.any():
                        net.exchange_at(arrival, s, s.sku[swap > 0], swap[swap > 0])
            record.close_shipment(s)

    def _count_open(self, delta: int) -> None:
        self.open.move(self.env.now, delta)
        self.net.view.open_shipments[self.index] = self.open_shipments

    @property
    def open_shipments(self) -> int:
        """Shipments routed here and not yet handed to a carrier."""
        return int(self.open.level)

    # ------------------------------------------------------------ stock arriving
    def add_stock(self, sku: int, units: int) -> None:
        """Units arrive: fill waiting backorders first (FIFO), the rest on hand; with storage
        locations, the rest beyond the room they find queue off the shelf (sim.storage),
        counted as on order until they are put away."""
        store = self.storage
        if store is not None:
            direct = min(units, int(self.backordered[sku])) if self.on_hand[sku] == 0 else 0
            took = direct + store.admit(sku, units - direct)
            self.on_order[sku] += units - took
            if took:
                self._shelve(sku, took)
            return
        self._shelve(sku, units)

    def _from_queue(self, sku: int, units: int) -> None:
        """Units off the shelf (waiting or back from overflow) go into their locations."""
        self.on_order[sku] -= units
        self._shelve(sku, units)

    def _shelve(self, sku: int, units: int) -> None:
        """Units become available: fill waiting backorders first (FIFO), the rest on hand."""
        on_hand = self.on_hand
        on_hand[sku] += units
        waiting = self.backorders.get(sku)
        if waiting and self.shelf is not None:
            self.shelf.check(sku, min(int(on_hand[sku]), int(self.backordered[sku])))
        taken = 0
        while waiting and on_hand[sku] > 0:
            sh = waiting[0]
            j = int(np.flatnonzero(sh.sku == sku)[0])
            take = min(int(on_hand[sku]), int(sh.short[j]))
            on_hand[sku] -= take
            taken += take
            sh.short[j] -= take
            self.backordered[sku] -= take
            if sh.short[j] > 0:
                break
            waiting.popleft()
            if not sh.short.any():
                sh.short = None
                self._allocated(sh)
        if units != taken:
            self._stock_moved(sku, units - taken)
        if self.desk is not None:
            self.desk.stock_arrived(sku)
        if self.storage is not None:
            self.storage.noted(sku)

    def _reviews(self):
        period_h = 24.0 * self.net.scenario.stock_policy(self.index).review_period_days
        yield self.env.timeout(REVIEW_HOUR)
        while True:
            self.review()
            yield self.env.timeout(period_h)

    def review(self) -> None:
        """Periodic review: order what the stock policy asks, from the supplier or the node
        this one replenishes from (sim.replenishment)."""
        now = self.env.now
        need = order_need(self, now)
        skus = np.flatnonzero(need > 0)
        if len(skus):
            replenish(self, skus, need[skus], now)

    def place_order(self, skus: np.ndarray, units: np.ndarray, ordered_h: float,
                    arrives_in_h: float, freight: float = 0.0) -> None:
        """A purchase order of `units` of each of `skus`, placed at `ordered_h` and reaching
        the dock `arrives_in_h` hours from now; its inbound `freight` (currency) is shared
        among its lines by units."""
        self.on_order[skus] += units
        total = int(units.sum())
        po = len(self.net.record.po_lines)
        self.expect_inbound([PurchaseOrderLine(po, int(s), int(q), ordered_h, self.index,
                                               freight=freight * int(q) / total if freight
                                               else 0.0)
                             for s, q in zip(skus, units, strict=True)], arrives_in_h)

    def expect_inbound(self, lines: list[PurchaseOrderLine], arrives_in_h: float) -> None:
        """One inbound shipment of purchase-order lines (numbered as the next PO, already
        counted on order) on its way: at the dock `arrives_in_h` hours from now."""
        po_lines = self.net.record.po_lines
        po = len(po_lines)
        total = sum(line.units for line in lines)
        po_lines.extend(lines)
        self.with_supplier[po] = lines
        self.ordered_units += total
        self.in_supplier_transit += total

        def arrive(_ev: simpy.Event) -> None:
            self.in_supplier_transit -= total
            self.receive_po(self.with_supplier.pop(po))

        self.env.timeout(arrives_in_h).callbacks.append(arrive)

    def _supplier_delay(self, now: float) -> float:
        return sum(d.extra_days for d in self.net.scenario.disruptions
                   if d.kind == "supplier_delay" and d.node in (None, self.id)
                   and 24.0 * d.start_day <= now < 24.0 * (d.start_day + d.duration_days))

    def receive_po(self, po_lines: list[PurchaseOrderLine]) -> None:
        """A purchase order reaches the dock: each line goes through the inbound stages, or
        (without any) is one receive-QC-putaway job for the receivers."""
        if self.inbound:
            now, names = self.env.now, [s.name for s in self.inbound]
            for line in po_lines:
                line.dock_h = now
                line.stage_h = dict.fromkeys(names, np.nan)  # in stage order
                self.in_receiving += line.units
                self._to_inbound(line, 0)
            return
        pt = self.spec.process_times
        qc = self.qc_rng.random(len(po_lines)) < pt.qc_share
        for line, checked in zip(po_lines, qc, strict=True):
            line.dock_h = self.env.now
            units = line.units
            self.in_receiving += units
            seconds = units * pt.receive_s_per_unit + checked * pt.qc_s_per_line
            duration = self.receive_h() + self.putaway_h() + seconds * S_TO_H
            rejected = self.errors is not None and self.errors.rejects(bool(checked))
            self.receivers.submit(duration, self._reject if rejected else self._put_away, line)

    def _to_inbound(self, line: PurchaseOrderLine, k: int) -> None:
        """Queue the line at the first inbound stage from number `k` on that takes it; past
        the last, it is in stock."""
        stages = self.inbound
        while k < len(stages) and not stages[k].takes():
            k += 1
        if k == len(stages):
            self._put_away(line)
            return
        stage = stages[k]
        stage.station.submit(stage.time_h(line), self._inbound_done[k], line)

    def _after_inbound(self, k: int, line: PurchaseOrderLine) -> None:
        line.stage_h[self.inbound[k].name] = self.env.now
        reject = self._inbound_reject[k]
        if reject is not None and reject[1].random() < reject[0]:
            self._reject(line)
            return
        self._to_inbound(line, k + 1)

    def _reject(self, line: PurchaseOrderLine) -> None:
        """QC sends the line back to the supplier, who sends a replacement after a lead time
        (drawn from a stream of its own)."""
        if self._reject_lead is None:
            supplier = self.net.scenario.stock_policy(self.index).supplier
            self._reject_lead = Sampler(self.net.streams[f"accuracy.supplier.{self.id}"],
                                        supplier.lead_time_dist())
        reject_line(self, line, 24.0 * self._reject_lead())

    def _put_away(self, line: PurchaseOrderLine) -> None:
        line.putaway_h = self.env.now
        sku, units = line.sku, line.units
        self.in_receiving -= units
        self.on_order[sku] -= units
        self.putaway_units += units
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
                    for _, parcel in due:
                        parcel.received_h = now
                        self.returns_in_inspection += parcel.units
                        self.receivers.submit(self.inspect_h(), self._inspected, parcel)
            yield self.env.timeout(24.0)

    def _inspected(self, parcel: ReturnParcel) -> None:
        net = self.net
        self.returns_in_inspection -= parcel.units
        self.returns_inspected += parcel.units
        keep = net.returns_desk.inspect(parcel, self.env.now)
        restocked = int(keep.sum())
        for s, k in zip(parcel.sku, keep, strict=True):
            if k:
                self.add_stock(int(s), int(k))
        net.record.return_inspected(parcel.index, parcel.received_h, self.env.now, restocked)

    def _jobs(self) -> list[object]:
        """Every job in the node's stations: pick batches flattened into their shipments,
        shipments, purchase-order lines and return parcels."""
        return [item for st in self.stations for job in st.jobs()
                for item in (job if isinstance(job, list) else [job])]

    def returns_in_receiving(self) -> list[ReturnParcel]:
        """Returns received and not yet inspected (in the receivers' queue or in service)."""
        return [job for job in self._jobs() if isinstance(job, ReturnParcel)]

    def census(self) -> NodeCensus:
        """Where this node's shipments, units and stock are now, counted from its containers."""
        store = self.storage
        if store is not None:  # the run's end: close the last day, hand the rows over
            store.close(self.env.now, final=True)
            record = self.net.record
            record.storage = [*(record.storage or []), *store.rows]
        waiting = list({id(s): s for q in self.backorders.values() for s in q}.values())
        if self.shelf is not None:
            self.shelf.close()
        jobs = self._jobs()
        outbound = self.outbound_states()
        in_stations = [j for j in jobs if isinstance(j, Shipment) and j.state in outbound]
        return NodeCensus(
            node=self.index, open_shipments=self.open_shipments, shipments_ready=len(self.ready),
            shipments_staged=len(self.staged), shipments_waiting=len(waiting),
            units_ready=sum(s.units for s in self.ready),
            units_waiting=sum(s.units for s in waiting),
            units_short=sum(int(s.short.sum()) for s in waiting),
            units_in_stations=sum(st.units_inside for st in self.stations),
            units_staged=sum(s.units for s in self.staged),
            initial_units=self.initial_units, on_hand_units=int(self.on_hand.sum()),
            backordered_units=int(self.backordered.sum()),
            stock_negative=bool((self.on_hand < 0).any() or (self.backordered < 0).any()),
            ordered_units=self.ordered_units, in_supplier_transit=self.in_supplier_transit,
            in_receiving=self.in_receiving, putaway_units=self.putaway_units,
            returns_in_inspection=self.returns_in_inspection,
            returns_inspected=self.returns_inspected,
            units_with_supplier=sum(line.units for lines in self.with_supplier.values()
                                    for line in lines),
            units_in_receiving=sum(j.units for j in jobs if isinstance(j, PurchaseOrderLine)),
            returns_on_the_way=sum(parcel.units for _, parcel in self.returns_due),
            returns_in_receiving=sum(j.units for j in jobs if isinstance(j, ReturnParcel)),
            orders_inside=frozenset(s.order for s in (*self.ready, *self.staged, *in_stations)),
            orders_waiting=frozenset(s.order for s in waiting),
            lateral_out=self.lateral_out,
            **({} if store is None else {"units_off_shelf": store.off_shelf,
                                         "units_off_shelf_counted": store.lots_units()}),
            **(self.desk.census() if self.desk is not None else {}),
        )

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

