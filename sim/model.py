"""The network model: demand, routing, nodes, carriers, replenishment and disruptions on one
SimPy clock (hours from the start of the run)."""

from __future__ import annotations

import gc
import math
from collections.abc import Callable
from pathlib import Path

import numpy as np
import simpy

from optimize.geo import distance_matrix_km
from sim.carriers import CarrierTable
from sim.demand import build_catalogue, generate_orders
from sim.demand_forecast import planning_scenario
from sim.fulfilment_modes import rule_for, storage_positions, three_pl_by_positions
from sim.geography_source import demand_points_for
from sim.lateral import LateralDesk
from sim.node import REVIEW_HOUR, NodeSim
from sim.picking import PickPlanner
from sim.record import (
    DailySnapshot,
    HourlySample,
    PurchaseOrderLine,
    Recorder,
    RunNames,
    Shipment,
)
from sim.replay import replay_orders
from sim.replenishment import connect
from sim.returns_cost import ReturnsDesk
from sim.routing import NetworkView, RoutingContext, RoutingPolicy
from sim.routing_registry import make_policy
from sim.sales import Stockouts, sku_prices
from sim.scenario import CORE_CREWS, Scenario
from sim.stock_levels import (
    PipelineOrder,
    assortment_mask,
    lead_time_days,
    node_demand,
    shelf_levels,
    steady_state_start,
    stock_levels,
)
from sim.streams import Sampler, Streams

__all__ = ["Network"]


class Network:
    """One replication of a scenario: the order book, the nodes, the routing policy and the
    carriers on one SimPy clock, plus the disruptions and the hourly and daily monitors."""

    def __init__(self, scenario: Scenario, replication: int = 0,
                 routing: RoutingPolicy | None = None,
                 progress: Callable[[float], None] | None = None, keep_lines: bool = False,
                 spool: Path | None = None):
        """`keep_lines`: also record every shipment's lines (SKU, units), for analyses that
        need them (`Recorder.shipment_lines`); `spool`: a folder where frozen shipment rows
        go instead of memory."""
        self.scenario = sc = scenario
        self.replication = replication
        self.streams = Streams(sc.run.seed, replication)
        self.env = simpy.Environment()
        self.horizon_h = sc.horizon_h
        self.progress = progress

        self.points = demand_points_for(sc.geography)
        self.catalogue = build_catalogue(sc, self.streams)
        self.prices = sku_prices(sc, self.catalogue)  # selling price per SKU (sim.sales)
        if sc.demand.orders_file is not None:
            self.orders = replay_orders(sc, self.catalogue, self.points, self.streams)
        else:
            self.orders = generate_orders(sc, self.catalogue, self.points["weight"].to_numpy(),
                                          self.streams)
        lat = np.array([n.location.lat for n in sc.nodes])
        lon = np.array([n.location.lon for n in sc.nodes])
        self.dist_km = distance_matrix_km(lat, lon, self.points["lat"].to_numpy(),
                                          self.points["lon"].to_numpy())
        self.nearest = np.argsort(self.dist_km.T, axis=1, kind="stable")
        self.carriers = CarrierTable.from_scenario(sc.carriers)

        n_nodes, n_skus = len(sc.nodes), self.catalogue.n
        self.on_hand = np.zeros((n_nodes, n_skus), np.int64)
        self.on_order = np.zeros((n_nodes, n_skus), np.int64)
        self.backordered = np.zeros((n_nodes, n_skus), np.int64)

        stocked = np.array([rule_for(n).stocks for n in sc.nodes])
        plan = planning_scenario(sc)  # stock is sized on the demand the planners believe
        self.order_up_to, self.reorder_point = stock_levels(plan, self.catalogue, self.dist_km,
                                                            self.points["weight"].to_numpy(),
                                                            stocked)
        # Levels in force from each day on: (day, S[node, sku]); one entry unless pre-building.
        self.level_schedule: list[tuple[float, np.ndarray]] = [(0.0, self.order_up_to)]
        if sc.inventory.spike_prebuild and sc.demand.spikes:
            from sim.prebuild import level_schedule

            self.level_schedule = level_schedule(self)
        carries = assortment_mask(sc, self.catalogue, stocked)
        pipeline = []
        # an echelon level's downstream part starts on the shelves it feeds, not its own
        shelf = shelf_levels(sc, self.order_up_to)
        if sc.inventory.initial_stock == "order_up_to":
            self.on_hand[:] = shelf
        elif sc.inventory.initial_stock == "steady_state":
            mean, _ = node_demand(plan, self.catalogue, self.dist_km,
                                  self.points["weight"].to_numpy(), carries)
            self.on_hand[:], pipeline = steady_state_start(sc, mean, shelf, stocked,
                                                           REVIEW_HOUR)

        self.stockouts = Stockouts(self) if Stockouts.needed(sc) else None
        self.nodes = [NodeSim(self, i, spec) for i, spec in enumerate(sc.nodes)]
        connect(self)  # transfers between nodes, continuous review (none: nothing to do)
        # Every crew of any node, in record order: the core crews, then extra stages' crews.
        self.crews = tuple(dict.fromkeys(
            k for n in sc.nodes for k in (*CORE_CREWS, *n.resources.crews())))
        self.picking = PickPlanner(sc, self.catalogue, self.streams)
        # A node that serves no customers (it only feeds others) looks down to routing.
        self.serves = np.array([sc.stock_policy(i).serves_customers for i in range(n_nodes)])
        self.view = NetworkView(on_hand=self.on_hand, stocked=stocked,
                                up=self.serves.copy(), dist_km=self.dist_km,
                                nearest=self.nearest, orders=self.orders,
                                carries=carries,
                                open_shipments=np.zeros(n_nodes, np.int64),
                                backordered=self.backordered)
        self.record = Recorder(RunNames(
            node_ids=tuple(n.id for n in sc.nodes), stations=self.crews,
            carriers=(*self.carriers.names, "marketplace"), sku_ids=self.catalogue.ids,
            point_ids=self.points["id"].to_numpy(),
            services=tuple(s.name for s in sc.demand.service_levels),
            stocking=tuple(bool(x) for x in stocked), horizon_h=self.horizon_h,
        ), self.orders, keep_lines=keep_lines, spool=spool, prices=self.prices,
            parcels=[] if any(n.packaging for n in sc.nodes) else None,
            unit_value=self.catalogue.unit_value)
        self.returns_desk = ReturnsDesk(self)  # labels, refunds, disposition (sim.returns_cost)
        self.record.return_reasons = tuple(self.returns_desk.reason_names)
        self.record.refurbish = (sc.returns.refurbish_cost_per_unit,
                                 sc.returns.refurbish_discount)
        if sc.returns.exchange_share > 0:
            self.record.exchange_of = {}
        for po in pipeline:  # orders on their way at the start (steady state)
            self._start_in_transit(po)
        # The policies read purchase-order lines; the record holds them.
        self.po_lines = self.record.po_lines
        self._first_open_po = 0
        self.carrier_delays: list[tuple[float, float, int | None, float]] = []
        # The policy sees the network only through this context, built once it is complete.
        self.routing_context = RoutingContext.for_scenario(
            sc, self.view, self.carriers, self.catalogue, self.points, self.stock_due_by,
            self.open_po_lines)
        self.policy: RoutingPolicy = (routing if routing is not None
                                      else make_policy(sc.routing, self.routing_context))
        self.lateral = LateralDesk(self) if sc.lateral_transfers is not None else None

        self.returns_delay_days = Sampler(self.streams["returns.delay"], sc.returns.delay_days)
        # Categories with a delay of their own draw it from a stream of their own, so the
        # others' draws stay as they were.
        self._category_return_delay = {
            i: Sampler(self.streams[f"returns.delay.{c.name}"], c.return_delay_days)
            for i, c in enumerate(sc.skus.categories) if c.return_delay_days is not None}
        self.env.process(self._router())
        self.env.process(self._monitor())
        self._schedule_disruptions()

    def _start_in_transit(self, po: PipelineOrder) -> None:
        """An order on its way at the start: a purchase order from the supplier, or at a node
        fed by another a transfer that left its source when ordered (before the run, so its
        freight is not in the run's ledger, as a purchase order's is not)."""
        node = self.nodes[po.node]
        skus = np.flatnonzero(po.units)
        ordered_h, arrives_h = 24.0 * po.ordered_day, 24.0 * po.arrives_day
        if node.upstream is None:
            node.place_order(skus, po.units[skus], ordered_h, arrives_h)
            return
        node.on_order[skus] += po.units[skus]
        number = len(self.record.po_lines)
        node.expect_inbound([PurchaseOrderLine(number, int(s), int(po.units[s]), ordered_h,
                                               node.index, source=node.upstream.source.index,
                                               shipped_h=ordered_h) for s in skus], arrives_h)

    def return_delay_days(self, sku: np.ndarray, returned: np.ndarray) -> float:
        """Days from delivery to drop-off of a return parcel (its lines' SKUs and returned
        units): the delay of the category with most units in it, else returns.delay_days."""
        if not self._category_return_delay:
            return self.returns_delay_days()
        units = np.bincount(self.catalogue.category[sku], weights=returned)
        return self._category_return_delay.get(int(np.argmax(units)),
                                               self.returns_delay_days)()

    # ------------------------------------------------------------ running
    def run(self) -> None:
        """Run to the horizon with the cyclic garbage collector paused: the run makes millions of
        small objects and no reference cycles worth collecting before it ends."""
        gc.collect()
        gc.freeze()
        was_enabled = gc.isenabled()
        gc.disable()
        try:
            step = self.horizon_h / 20.0
            t = 0.0
            while t < self.horizon_h:
                t = min(t + step, self.horizon_h)
                self.env.run(until=t)
                if self.progress is not None:
                    self.progress(t / self.horizon_h)
        finally:
            if was_enabled:
                gc.enable()
            gc.unfreeze()
        for node in self.nodes:
            for st in node.stations:
                st.close()
        self._snapshot_day(self.horizon_h)
        self.record.census = [n.census() for n in self.nodes]
        self.record.close_all()
        for n in self.nodes:
            for parcel in n.returns_in_receiving():
                self.record.return_inspected(parcel.index, parcel.received_h, math.nan, 0)

    def _router(self):
        orders = self.orders
        idx = np.argsort(orders.ready_h, kind="stable")
        ready = orders.ready_h[idx]
        interval = self.policy.dispatch_interval_h
        if interval is None:
            interval = self.scenario.run.dispatch_interval_min / 60.0
        ptr, n = 0, len(idx)
        while ptr < n:
            t = ready[ptr]
            if interval > 0:
                # max(): ceil(t / interval) * interval can round below t (a time on the
                # grid, as replayed whole-second times often are), and the batch would
                # then be empty for ever.
                t = max(math.ceil(t / interval) * interval, t)
            if t >= self.horizon_h:
                return
            if t > self.env.now:
                yield self.env.timeout(t - self.env.now)
            end = int(np.searchsorted(ready, self.env.now, side="right"))
            self._route(idx[ptr:end])
            ptr = end

    def _route(self, batch: np.ndarray) -> None:
        orders, view = self.orders, self.view
        view.now_h = now = self.env.now
        live = [int(o) for o in batch if not orders.cancelled[o]]
        self.record.routed[batch] = True
        plans = self.policy.route_batch(view, np.array(live, np.int64))
        cutoff = [n.spec.cutoff_h for n in self.nodes]
        promise = [s.promise_days for s in self.scenario.demand.service_levels]
        own_promise = [n.mode.promise_days for n in self.nodes]
        for k, o in enumerate(live):
            parts = plans[k] if plans is not None else self.policy.route(view, o)
            created = float(orders.created_h[o])
            point = int(orders.point[o])
            late = (created % 24.0) >= cutoff[self.nearest[point, 0]]
            promised_day = int(created // 24.0) + promise[orders.service[o]] + int(late)
            for p in parts:
                promised = promised_day
                if own_promise[p.node] is not None:  # a marketplace keeps its own promise
                    late_there = (created % 24.0) >= cutoff[p.node]
                    promised = int(created // 24.0) + own_promise[p.node] + int(late_there)
                sh = Shipment(o, p.node, p.sku, p.qty, created, now, promised, point)
                sh.split = len(parts) > 1
                self.record.open_shipment(sh)
                self.nodes[p.node].accept(sh)

    def exchange_at(self, t_h: float, sh: Shipment, sku: np.ndarray, qty: np.ndarray) -> None:
        """At `t_h` (hours; when the return reaches its node) the customer's exchange of these
        units of `sh` becomes a new order for the same SKUs, routed at once (none after the
        horizon)."""
        if t_h < self.horizon_h:
            self.env.timeout(t_h - self.env.now).callbacks.append(
                lambda _ev: self._exchange(sh.order, sh.point, sku, qty))

    def _exchange(self, order: int, point: int, sku: np.ndarray, qty: np.ndarray) -> None:
        new = self.orders.append(self.env.now, point, int(self.orders.service[order]), sku, qty)
        self.record.routed = np.append(self.record.routed, False)
        self.record.exchange_of[new] = order
        self._route(np.array([new]))

    # ------------------------------------------------------------ disruptions of carriers
    def carrier_delay(self, row: np.ndarray, now: float) -> np.ndarray:
        """Extra transit days (per carrier service row) of the carrier delays at `now`."""
        extra = np.zeros(len(row))
        for start, end, carrier, days in self.carrier_delays:
            if start <= now < end:
                extra += days if carrier is None else days * (self.carriers.carrier[row] == carrier)
        return extra

    # ------------------------------------------------------------ picking and stock
    def batches(self, node: NodeSim, shipments: list[Shipment]) -> list[list[Shipment]]:
        """Pick jobs for a released wave, by the node's batching method."""
        return self.picking.batches(node.index, shipments)

    def tour_length_m(self, node: NodeSim, sku: np.ndarray) -> float:
        """Pick tour length (m) for these SKUs at this node, by its routing method."""
        return self.picking.tour_length_m(node.index, sku)

    def open_po_lines(self, lead_h: np.ndarray | None = None
                      ) -> tuple[np.ndarray, np.ndarray, np.ndarray, np.ndarray]:
        """(node, SKU, units, expected put-away time in hours) of each purchase-order line not
        yet put away: now for lines at the dock, else the order time plus `lead_h[node]`
        hours of lead time (default: the supplier's mean, or the transfer's from the node it
        replenishes from), never before now."""
        lines = self.po_lines
        # lines are in order time, so the put-away prefix never needs another look
        while (self._first_open_po < len(lines)
               and not math.isnan(lines[self._first_open_po].putaway_h)):
            self._first_open_po += 1
        rows = [line for line in lines[self._first_open_po:] if math.isnan(line.putaway_h)]
        if not rows:
            empty = np.zeros(0, np.int64)
            return empty, empty, empty, np.zeros(0)
        sku, units, node = (np.array([getattr(r, f) for r in rows], np.int64)
                            for f in ("sku", "units", "node"))
        ordered_h, dock_h = (np.array([getattr(r, f) for r in rows], float)
                             for f in ("ordered_h", "dock_h"))
        if lead_h is None:
            lead_h = np.array([24.0 * lead_time_days(self.scenario.stock_policy(i))[0]
                               for i in range(len(self.nodes))])
        now = self.env.now
        expected = np.where(np.isnan(dock_h), ordered_h + lead_h[node], now)
        return node, sku, units, np.maximum(expected, now)

    def stock_due_by(self, t_h: float) -> np.ndarray:
        """[node, sku] units on order expected to be put away by `t_h` (hours): lines already
        at the dock, and lines whose order time plus the supplier's mean lead time is due."""
        node, sku, units, expected = self.open_po_lines()
        due = np.zeros_like(self.on_order)
        ok = expected <= t_h
        np.add.at(due, (node[ok], sku[ok]), units[ok])
        return due

    def levels_at(self, t_h: float) -> np.ndarray:
        """Order-up-to levels S[node, sku] in force at time `t_h`."""
        current = self.level_schedule[0][1]
        for day, levels in self.level_schedule:
            if 24.0 * day <= t_h:
                current = levels
        return current

    # ------------------------------------------------------------ disruptions, monitors
    def _schedule_disruptions(self) -> None:
        ids = [n.id for n in self.scenario.nodes]
        carriers = list(self.carriers.carrier_ids)
        for d in self.scenario.disruptions:
            start, end = 24.0 * d.start_day, 24.0 * (d.start_day + d.duration_days)
            if d.kind == "carrier_delay":
                c = None if d.carrier is None else carriers.index(d.carrier)
                self.carrier_delays.append((start, end, c, d.extra_days))
            elif d.kind in ("node_outage", "capacity_cut"):
                node = self.nodes[ids.index(d.node)]
                resource = d.resource if d.kind == "capacity_cut" else None
                share = d.capacity_share if d.kind == "capacity_cut" else 0.0
                self._at(start, lambda n=node, r=resource, s=share: self._set_up(n, r, s))
                self._at(end, lambda n=node, r=resource: self._set_up(n, r, 1.0))

    def _set_up(self, node: NodeSim, resource: str | None, share: float) -> None:
        node.set_capacity(resource, share)
        self.view.up[node.index] = node.up and self.serves[node.index]

    def _at(self, t_h: float, action: Callable[[], None]) -> None:
        self.env.timeout(t_h).callbacks.append(lambda _ev: action())

    def _monitor(self):
        while True:
            now = self.env.now
            if now % 24.0 == 0.0:
                self._snapshot_day(now)
            for n in self.nodes:
                self.record.hourly.append(HourlySample(
                    now, n.index, n.open_shipments, n.open.area_until(now), len(n.ready),
                    n.pickers.waiting if n.stocking else 0,
                    n.packers.waiting if n.stocking else 0,
                    len(n.staged), int(self.backordered[n.index].sum())))
            if now + 1.0 > self.horizon_h:
                return
            yield self.env.timeout(1.0)

    def _snapshot_day(self, now: float) -> None:
        value = self.on_hand @ self.catalogue.unit_value
        cube = self.on_hand @ self.catalogue.cube_m3
        terms = three_pl_by_positions(self.scenario)
        pallets, bins = ((None, None) if terms is None else
                         storage_positions(self.on_hand, self.catalogue.cube_m3, terms))
        for n in self.nodes:
            st = {s.name.rsplit(".", 1)[1]: s for s in n.stations}
            hours = tuple(st[k].hours() if k in st else (0.0, 0.0, 0.0, 0.0)
                          for k in self.crews)
            self.record.daily.append(DailySnapshot(
                now, n.index, int(self.on_hand[n.index].sum()), float(value[n.index]),
                float(cube[n.index]), n.stock_units.area_until(now),
                n.stock_value.area_until(now), n.stock_cube.area_until(now), hours,
                *((None, None) if pallets is None else
                  (int(pallets[n.index]),
                   None if bins is None else int(bins[n.index])))))
