"""Optimising order routing policies: cheapest single node, batch re-optimisation, look-ahead.

`sim.routing_registry.make_policy` builds each from its settings and the run's
`RoutingContext` (`from_settings`). All of them price a shipment with the scenario's carrier
rate card as the model will charge it: the distance band from node to customer and the
cheapest service that still meets the order's promise from the day the node would ship (the
carrier table's own choice rule), split into a base rate per shipment and a rate per kg (the
minimum billable weight is ignored).
"""

from __future__ import annotations

from dataclasses import dataclass, replace
from functools import cached_property

import numpy as np

from optimize.order_routing import CostModel, RoutingInstance, greedy, lp_bound, solve
from optimize.result import Status
from sim.routing import (
    NearestWithStock,
    NetworkView,
    Part,
    PerOrderPolicy,
    RoutingContext,
    RoutingPolicy,
)
from sim.scenario import (
    BatchLookaheadSettings,
    BatchOptimalSettings,
    CheapestSingleNodeSettings,
    LookaheadSettings,
)

__all__ = [
    "HOLDING_UNFILLED_UNIT_PENALTY",
    "TIE_BREAK_PER_KM",
    "UNFILLED_UNIT_PENALTY",
    "BatchLookAhead",
    "BatchOptimal",
    "CarrierPricing",
    "CheapestSingleNode",
    "LookAhead",
    "PricedInstance",
    "plan_parts",
]

# Currency per unit a plan leaves unshipped now (it waits at the nearest node, as the myopic
# rule lets it): about one parcel's base rate. Much higher and the optimiser splits short
# lines over several nodes to ship every unit at once (measured with 100: +0.65 pp split
# orders and +0.7 % carrier cost against the myopic rule, which backorders instead).
UNFILLED_UNIT_PENALTY = 8.0
# batch_lookahead: its plans hold orders for stock due in time, so a unit left unfilled waits
# where nothing may come; priced above a parcel's base rate, the plan holds or ships it instead
# (eight-node month, replications 0-1, against myopic: 8 gave -4.1 % carrier cost incl.
# unshipped and -0.3 pp on-time, 12 gave -4.3 % and +0.7 pp, 30 gave -3.1 % and +1.2 pp)
HOLDING_UNFILLED_UNIT_PENALTY = 12.0
# Currency per km added to each shipment: rate cards are flat within a distance band, and
# without it an optimiser picks among a band's nodes at random, draining stock that nearer
# customers need and lengthening transit (measured: +40 km and +0.6 % cost per order).
TIE_BREAK_PER_KM = 0.0005


@dataclass(frozen=True, eq=False)
class PricedInstance(RoutingInstance):
    """A routing instance priced by a carrier rate card instead of per-km rates.

    Shipment (order o, node n) costs `carrier_shipment_cost[o, n]`; each unit of SKU k costs
    `carrier_unit_cost[o, n] + carrier_per_kg[o, n] * sku_weight_kg[k]` plus `unit_cost[n, k]`
    (currency). The `cost` model's rates are unused; its unfilled-unit penalty applies.
    Where `carrier_allowed[o, n]` (default: everywhere) is False, o may not ship from n.
    """

    carrier_shipment_cost: np.ndarray | None = None  # [order, node]
    carrier_unit_cost: np.ndarray | None = None  # [order, node]
    carrier_per_kg: np.ndarray | None = None  # [order, node]
    sku_weight_kg: np.ndarray | None = None  # [sku]
    carrier_allowed: np.ndarray | None = None  # [order, node]

    def __post_init__(self) -> None:
        super().__post_init__()
        pairs = (self.n_orders, self.n_nodes)
        want = {"carrier_shipment_cost": (pairs, float), "carrier_unit_cost": (pairs, float),
                "carrier_per_kg": (pairs, float), "sku_weight_kg": ((len(self.sku_ids),), float)}
        if self.carrier_allowed is not None:
            want["carrier_allowed"] = (pairs, bool)
        for name, (shape, dtype) in want.items():
            value = np.ascontiguousarray(getattr(self, name), dtype=dtype)
            if value.shape != shape:
                raise ValueError(f"{name} must have shape {shape}, got {value.shape}")
            object.__setattr__(self, name, value)

    @cached_property
    def allowed(self) -> np.ndarray:
        """[order, node] True where the order may ship from the node at all."""
        allowed = super().allowed
        return allowed if self.carrier_allowed is None else allowed & self.carrier_allowed

    @cached_property
    def shipment_cost(self) -> np.ndarray:
        """[order, node] currency charged once per shipment."""
        return self.carrier_shipment_cost

    @cached_property
    def line_unit_cost(self) -> np.ndarray:
        """[line, node] currency per unit of the line shipped from the node."""
        out = (self.carrier_unit_cost[self.line_order]
               + self.carrier_per_kg[self.line_order] * self.sku_weight_kg[self.line_sku, None])
        if self.unit_cost is not None:
            out = out + self.unit_cost[:, self.line_sku].T
        return out


class CarrierPricing:
    """A run's carrier rates and geography (its `RoutingContext`) as routing costs, per order
    and node."""

    def __init__(self, context: RoutingContext,
                 unfilled_unit_penalty: float = UNFILLED_UNIT_PENALTY) -> None:
        view = context.view
        self.context = context
        self.unfilled_unit_penalty = unfilled_unit_penalty
        self.carriers = context.carriers
        self.orders = view.orders
        self.sku_weight_kg = context.sku_weight_kg
        self.dist_km = view.dist_km  # [node, point]
        self.band = self.carriers.band(view.dist_km)
        self.nearest_node = view.nearest[:, 0]
        self.node_lat = context.node_lat
        self.node_lon = context.node_lon
        self.point_lat = context.point_lat
        self.point_lon = context.point_lon
        self.point_weight = context.point_weight
        self.cutoff_h = context.cutoff_h
        self.promise_days = context.promise_days
        self.service_share = context.service_share
        self.pickup = context.pickup_days
        ob = self.orders
        cum = np.concatenate([[0.0], np.cumsum(self.sku_weight_kg[ob.line_sku]
                                               * ob.line_qty)])
        self.order_weight_kg = cum[ob.line_start[1:]] - cum[ob.line_start[:-1]]

    def ship_day(self, now_h: float | np.ndarray) -> np.ndarray:
        """[..., node] the day each node would ship an order routed at `now_h` (hours; a
        scalar or one per order), by its cut-off and pickup days (its backlog is ignored)."""
        now = np.asarray(now_h, float)[..., None]
        day = (now // 24.0).astype(np.int64) + (now % 24.0 >= self.cutoff_h)
        nodes = np.arange(len(self.cutoff_h))
        for _ in range(7):
            day = day + ~self.pickup[nodes, (day + self.context.start_weekday) % 7]
        return day

    def promised_day(self, orders: np.ndarray) -> np.ndarray:
        """[order] the promised delivery day, as the model sets it."""
        ob = self.orders
        created = ob.created_h[orders]
        late = created % 24.0 >= self.cutoff_h[self.nearest_node[ob.point[orders]]]
        return (created // 24.0).astype(np.int64) + self.promise_days[ob.service[orders]] + late

    def rates(self, orders: np.ndarray, ship_day: np.ndarray | None = None,
              nodes: np.ndarray | None = None) -> tuple[np.ndarray, np.ndarray]:
        """([order, node] base rate per shipment, [order, node] rate per kg), currency, from
        each of `nodes` (default: every node, in order); the service is the one that meets the
        promise from `ship_day` [order, node] (default: the day the node would ship the order
        if it were routed when it became ready, so a policy that waits to batch orders is
        priced as one that does not), and the base carries the `TIE_BREAK_PER_KM` term."""
        orders = np.asarray(orders, np.int64)
        if nodes is None:
            nodes = np.arange(len(self.cutoff_h))
        point = self.orders.point[orders]
        band = self.band[nodes][:, point].T
        if ship_day is None:
            ship_day = self.ship_day(self.orders.ready_h[orders])[:, nodes]
        days_left = self.promised_day(orders)[:, None] - ship_day
        weight = np.broadcast_to(self.order_weight_kg[orders, None], band.shape)
        base, per_kg = self._rates(band, days_left, weight)
        return base + TIE_BREAK_PER_KM * self.dist_km[nodes][:, point].T, per_kg

    def order_cost(self, order: int, ship_day: np.ndarray) -> np.ndarray:
        """[node] carrier cost (currency) of shipping the whole `order` from each node on
        `ship_day` [node] (the `TIE_BREAK_PER_KM` term included)."""
        base, per_kg = self.rates(np.array([order]), ship_day[None, :])
        return base[0] + per_kg[0] * self.order_weight_kg[order]

    def latest_ship_day(self, order: int) -> np.ndarray:
        """[node] the last day each node can ship `order` with a service that still meets its
        promise."""
        return self.latest_ship_days(np.array([order]))[0]

    def latest_ship_days(self, orders: np.ndarray) -> np.ndarray:
        """[order, node] the last day each node can ship each order with a service that still
        meets its promise."""
        band = self.band[:, self.orders.point[orders]]  # [node, order]
        fastest = self.carriers.transit_days[:, band].min(axis=0).astype(np.int64).T
        return self.promised_day(orders)[:, None] - fastest

    def _rates(self, band: np.ndarray, days_left: np.ndarray, weight_kg: np.ndarray
               ) -> tuple[np.ndarray, np.ndarray]:
        shape = band.shape
        band = band.ravel()
        days = np.broadcast_to(days_left, shape).ravel().astype(float)
        row = self.carriers.choose(band, days, np.asarray(weight_kg, float).ravel())
        return (self.carriers.base_rate[row, band].reshape(shape),
                self.carriers.per_kg_rate[row, band].reshape(shape))

    def mix_rates(self, band: np.ndarray, weight_kg: float) -> tuple[np.ndarray, np.ndarray]:
        """(base, per kg) rates for distance bands, averaged over the service levels' shares,
        each shipped the day it is ordered: for forecast demand, whose service is unknown."""
        base, per_kg = np.zeros(band.shape), np.zeros(band.shape)
        weight = np.full(band.shape, weight_kg)
        for days, share in zip(self.promise_days, self.service_share, strict=True):
            b, k = self._rates(band, np.full(band.shape, days), weight)
            base += share * b
            per_kg += share * k
        return base, per_kg

    def instance(self, view: NetworkView, orders: np.ndarray,
                 unit_cost: np.ndarray | None = None) -> PricedInstance:
        """The batch problem of `orders` on the live stock of the stocking nodes that are up;
        capacity does not bind (the simulation models the crews)."""
        ob = self.orders
        orders = np.asarray(orders, np.int64)
        counts = ob.line_start[orders + 1] - ob.line_start[orders]
        idx = np.concatenate([np.arange(ob.line_start[o], ob.line_start[o + 1])
                              for o in orders])
        used, line_sku = np.unique(ob.line_sku[idx], return_inverse=True)
        usable = usable_nodes(view)
        line_qty = ob.line_qty[idx]
        base, per_kg = self.rates(orders)
        point = ob.point[orders]
        return PricedInstance(
            node_ids=tuple(str(n) for n in range(len(usable))),
            node_lat=self.node_lat, node_lon=self.node_lon,
            capacity_units=np.where(usable, int(line_qty.sum()), 0),
            sku_ids=tuple(str(k) for k in used),
            stock=np.where(usable[:, None], view.on_hand[:, used], 0),
            order_ids=tuple(str(o) for o in orders),
            order_lat=self.point_lat[point], order_lon=self.point_lon[point],
            line_order=np.repeat(np.arange(len(orders)), counts), line_sku=line_sku,
            line_qty=line_qty, cost=CostModel(0.0, 0.0, 0.0, self.unfilled_unit_penalty),
            unit_cost=None if unit_cost is None else unit_cost[:, used],
            carrier_shipment_cost=base, carrier_unit_cost=np.zeros(base.shape),
            carrier_per_kg=per_kg, sku_weight_kg=self.sku_weight_kg[used])


def catalogue_skus(inst: RoutingInstance) -> np.ndarray:
    """[sku of `inst`] catalogue index of each SKU of a batch built by `CarrierPricing`."""
    return np.array([int(k) for k in inst.sku_ids], np.int64)


def usable_nodes(view: NetworkView) -> np.ndarray:
    """[node] stocking nodes that are up (every stocking node when none is up)."""
    usable = view.stocked & view.up
    return usable if usable.any() else view.stocked.copy()


def plan_parts(view: NetworkView, orders: np.ndarray, inst: RoutingInstance,
               flow: np.ndarray, column_node: np.ndarray | None = None,
               fallback: RoutingPolicy | None = None) -> list[list[Part]]:
    """Parts per order from a plan `flow[line, column]` of `inst` (built from `orders` in
    order), whose first columns are the network's nodes and any further column `c` stock
    due at node `column_node[c]` (units from it wait there, backordered, for it). Units the
    plan leaves unfilled wait (backordered) at the node that ships most of their order, as
    the plan priced them (a wait, not another parcel); an order the plan ships nothing of is
    routed by the `fallback` policy (default: nearest-with-stock) on the stock the rest of
    the plan leaves, with the units the plan makes wait counted as owed."""
    fallback = NearestWithStock() if fallback is None else fallback
    line_sku = catalogue_skus(inst)[inst.line_sku]
    start = inst.order_line_start
    n_nodes = view.on_hand.shape[0]
    on_hand_flow = flow[:, :n_nodes]
    left = view.on_hand.copy()
    np.subtract.at(left.T, line_sku, on_hand_flow)
    if column_node is not None:  # due stock's units wait at its node
        by_node = np.zeros((inst.n_lines, n_nodes), flow.dtype)
        np.add.at(by_node.T, column_node, flow.T)
        flow = by_node
    owed = None if view.backordered is None else view.backordered.copy()
    plan: dict[int, np.ndarray] = {}  # order's index -> [its line, node] units
    for j in range(len(orders)):
        lines = np.arange(start[j], start[j + 1])
        units = flow[lines].copy()
        if not units.any():
            continue
        main = int(np.argmax(units.sum(axis=0)))
        units[:, main] += inst.line_qty[lines] - units.sum(axis=1)
        plan[j] = units
        if owed is not None:
            waiting = units - on_hand_flow[lines]  # held for due stock, or left to wait
            line, node = np.nonzero(waiting)
            np.add.at(owed, (node, line_sku[lines[line]]), waiting[line, node])
    rest = replace(view, on_hand=left, backordered=owed)
    out = []
    for j, o in enumerate(orders.tolist()):
        if j not in plan:
            parts = fallback.route(rest, o)
            for p in parts:
                taken = np.minimum(p.qty, np.maximum(left[p.node, p.sku], 0))
                left[p.node, p.sku] -= taken
                if owed is not None:
                    owed[p.node, p.sku] += p.qty - taken
            out.append(parts)
            continue
        by_node: dict[int, dict[int, int]] = {}
        lines = np.arange(start[j], start[j + 1])
        for line, n in zip(*np.nonzero(plan[j]), strict=True):
            by_node.setdefault(int(n), {})[int(line_sku[lines[line]])] = int(plan[j][line, n])
        out.append([Part(n, np.fromiter(u, np.int64), np.fromiter(u.values(), np.int64))
                    for n, u in sorted(by_node.items())])
    return out


class CheapestSingleNode(PerOrderPolicy):
    """The stocking node (up) that ships the whole order at the lowest carrier cost, ties to
    the nearer; when no node holds the whole order, nearest-with-stock decides."""

    name = "cheapest_single_node"

    def __init__(self, pricing: CarrierPricing):
        self.pricing = pricing
        self.holds = 0  # orders left waiting at a node for replenishment (look-ahead)

    @classmethod
    def from_settings(cls, settings: CheapestSingleNodeSettings, context: RoutingContext
                      ) -> CheapestSingleNode:
        """The policy priced on the run's carriers."""
        return cls(CarrierPricing(context))

    def stats(self) -> dict[str, float]:
        """Orders held for replenishment."""
        return {"holds": float(self.holds)}

    def stock_value(self, view: NetworkView) -> np.ndarray | None:
        """[node, sku] currency charged per unit taken from stock (none here)."""
        return None

    def ship_days(self, view: NetworkView, order: int, nodes: np.ndarray,
                  today: np.ndarray | None = None) -> np.ndarray:
        """[node of `nodes`] the day each could ship the whole order: its ship day `today`
        [node] (default: `pricing.ship_day(view.now_h)`) where it holds every line now, -1
        where it does not."""
        if today is None:
            today = self.pricing.ship_day(view.now_h)
        sku, qty = view.orders.lines(order)
        whole = (view.on_hand[np.ix_(nodes, sku)] >= qty).all(axis=1)
        return np.where(whole, today[nodes], -1)

    def route(self, view: NetworkView, order: int) -> list[Part]:
        """Parts of `order`: one, from the node that ships it all at the lowest cost."""
        sku, qty = view.orders.lines(order)
        ranked = np.array([n for n in view.ranked(order) if view.stocked[n]], np.int64)
        today = self.pricing.ship_day(view.now_h)
        day = self.ship_days(view, order, ranked, today)
        able = day >= 0
        if not able.any():
            return NearestWithStock().route(view, order)
        nodes = ranked[able]
        every = today.copy()
        every[nodes] = day[able]
        cost = self.pricing.order_cost(order, every)[nodes]
        value = self.stock_value(view)
        if value is not None:
            cost = cost + value[np.ix_(nodes, sku)] @ qty
        best = int(nodes[np.argmin(cost)])
        self.holds += int(every[best] > today[best])
        return [Part(best, sku, qty)]


class LookAhead(CheapestSingleNode):
    """Acimovic and Graves (2015): the cheapest single node when each unit taken from stock
    is also charged its expected future value, the LP shadow price of that node's stock in a
    transportation problem of the forecast demand over the next `horizon_days` (customers
    grouped into regions by their nearest and second-nearest node, SKUs by catalogue
    popularity), re-solved every `resolve_every_h` hours on the live stock plus the
    replenishment `stock_due` expects within the horizon.

    With a `hold_confidence`, a node that lacks some of the order may also ship it later: it
    holds the order (backordered) when the replenishment `open_lines` lists reaches it, with
    that probability by the supplier's lead time, in time to ship on a day a service still
    meets the promise. The hold is priced by the carrier rate on that day, its units by
    their shadow prices like any other. Myopic rules ship such an order from a farther node
    at once; most of their cost above perfect foresight is that (BENCHMARKS.md).
    """

    name = "lookahead"
    # forecast demand is all to be served (Acimovic and Graves): a unit left unserved costs
    # more than any trip, so a unit's price is what it saves over the next-best node
    FORECAST_UNFILLED_PENALTY = 100.0
    # the forecast LP counts in hundredths of a unit: most regions expect well under one unit
    # of a SKU within the horizon, and rounding that to whole units put the forecast where
    # the rounding fell (a month, 10 replications: carrier saving 0.59 % rounded, 0.71 % here)
    FORECAST_RESOLUTION = 100

    def __init__(self, pricing: CarrierPricing, horizon_days: float = 3.0,
                 time_limit_s: float = 10.0, resolve_every_h: float = 24.0,
                 hold_confidence: float | None = None):
        super().__init__(pricing)
        ctx = pricing.context
        # (node, sku, units, expected put-away hour) of open purchase-order lines, given the
        # supplier lead time per node (hours)
        self.open_lines = ctx.open_po_lines
        self.hold_lead_h = None if hold_confidence is None else ctx.lead_time_h(hold_confidence)
        self._arrivals_hour = -1
        self._arrivals = np.zeros(0)
        self.horizon_days = horizon_days
        self.resolve_every_h = resolve_every_h
        # [node, sku] replenishment expected by a time (hours): stock the forecast may use
        self.stock_due = ctx.stock_due_by
        self.time_limit_s = time_limit_s
        self._period = -1
        self._value: np.ndarray | None = None
        self.price_updates = 0  # times the stock's shadow prices were re-computed
        p = pricing
        stocked = ctx.view.stocked
        # customers whose two nearest stocking nodes agree share a region
        ranks = _stocking_ranks(ctx.view.nearest, stocked)
        key = ranks[:, 0] * len(stocked) + (ranks[:, 1] if ranks.shape[1] > 1 else 0)
        _, region = np.unique(key, return_inverse=True)
        w = p.point_weight
        wsum = np.bincount(region, w)
        self.region_share = wsum / w.sum()
        self.units_per_order = ctx.units_per_order
        mean_weight = float(ctx.sku_popularity @ p.sku_weight_kg) * self.units_per_order
        base, per_kg = p.mix_rates(p.band, mean_weight)  # [node, point]

        def by_region(x: np.ndarray) -> np.ndarray:
            return np.stack([np.bincount(region, w * row) / wsum for row in x], axis=1)

        # a shipment's base rate is shared by the units of its order
        self.region_unit_cost = by_region(base / self.units_per_order)  # [region, node]
        self.region_per_kg = by_region(per_kg)
        self.region_lat = np.bincount(region, w * p.point_lat) / wsum
        self.region_lon = np.bincount(region, w * p.point_lon) / wsum

    @classmethod
    def from_settings(cls, settings: LookaheadSettings, context: RoutingContext) -> LookAhead:
        """The look-ahead with the scenario's horizon, re-solve interval and hold confidence
        (its forecast LP gets at least 10 s)."""
        return cls(CarrierPricing(context), horizon_days=settings.horizon_days,
                   time_limit_s=max(settings.time_limit_s, 10.0),
                   resolve_every_h=settings.every_h, hold_confidence=settings.hold_confidence)

    def stats(self) -> dict[str, float]:
        """Orders held for replenishment, and how often the stock prices were re-computed."""
        return {**super().stats(), "price_updates": float(self.price_updates)}

    def stock_value(self, view: NetworkView) -> np.ndarray:
        """[node, sku] the stock's shadow prices, re-computed every `resolve_every_h` hours."""
        period = int(view.now_h // self.resolve_every_h)
        if period != self._period or self._value is None:
            self._value = self.shadow_prices(view)
            self._period = period
            self.price_updates += 1
        return self._value

    def ship_days(self, view: NetworkView, order: int, nodes: np.ndarray,
                  today: np.ndarray | None = None) -> np.ndarray:
        """[node of `nodes`] the day each could ship the whole order: its ship day `today`
        where it holds every line, else the first day replenishment covers what it lacks
        (after the units it already owes) and a service still meets the promise, else -1."""
        day = super().ship_days(view, order, nodes, today)
        waiting = day < 0
        if self.hold_lead_h is None or view.backordered is None or not waiting.any():
            return day
        sku, qty = view.orders.lines(order)
        arrived = self.arrivals(view)
        today = int(view.now_h // 24.0)
        last = np.minimum(self.pricing.latest_ship_day(order)[nodes] - today, len(arrived) - 1)
        lacking = qty - (view.on_hand - view.backordered)[np.ix_(nodes, sku)]  # [node, line]
        for j in np.flatnonzero(waiting & (last >= 0)):
            covered = (arrived[:last[j] + 1, nodes[j]][:, sku] >= lacking[j]).all(axis=1)
            if covered.any():
                day[j] = today + int(np.argmax(covered))
        return day

    def arrivals(self, view: NetworkView) -> np.ndarray:
        """[days from today, node, sku] replenishment units put away in time to ship by that
        day, with the hold confidence (cumulative; re-computed every hour)."""
        hour = int(view.now_h)
        if hour != self._arrivals_hour:
            p = self.pricing
            days = int(p.promise_days.max()) + 2  # no promise lets an order wait longer
            node, sku, units, expected_h = self.open_lines(self.hold_lead_h)
            due = np.zeros((days, *view.on_hand.shape), np.int64)
            if len(node):
                ahead = (p.ship_day(expected_h)[np.arange(len(node)), node]
                         - int(view.now_h // 24.0))
                ok = ahead < days
                np.add.at(due, (ahead[ok], node[ok], sku[ok]), units[ok])
            self._arrivals = np.cumsum(due, axis=0)
            self._arrivals_hour = hour
        return self._arrivals

    def forecast_units(self, now_h: float) -> np.ndarray:
        """[region, sku] expected units ordered in the next `horizon_days` (fractional)."""
        p = self.pricing
        hours = now_h + np.arange(0.0, 24.0 * self.horizon_days)
        orders = float(p.context.demand_rate(hours).sum())
        return (orders * self.units_per_order * self.region_share[:, None]
                * p.context.sku_popularity[None, :])

    def shadow_prices(self, view: NetworkView) -> np.ndarray:
        """[node, sku] LP stock duals of the forecast transportation problem, currency/unit
        (the LP counts in 1/`FORECAST_RESOLUTION` units, which leaves prices per unit as
        they are).

        SKUs whose forecast demand fits the stock when every region takes it from its
        cheapest node have no binding stock row, so zero is their exact shadow price; only
        the others go to the LP.
        """
        p = self.pricing
        usable = usable_nodes(view)
        scale = self.FORECAST_RESOLUTION
        demand = np.rint(scale * self.forecast_units(view.now_h)).astype(np.int64)
        stock = view.on_hand
        if self.stock_due is not None:
            stock = stock + self.stock_due(view.now_h + 24.0 * self.horizon_days)
        stock = scale * np.where(usable[:, None], stock, 0)
        weight = p.sku_weight_kg
        cost = (self.region_unit_cost[:, :, None]
                + self.region_per_kg[:, :, None] * weight[None, None, :])  # [region, node, sku]
        cost[:, ~usable, :] = np.inf
        cheapest = np.argmin(cost, axis=1)  # [region, sku]
        n_nodes = len(usable)
        wanted = np.zeros((n_nodes, demand.shape[1]), np.int64)
        np.add.at(wanted, (cheapest, np.broadcast_to(np.arange(demand.shape[1]), demand.shape)),
                  demand)
        scarce = np.flatnonzero((wanted > stock).any(axis=0))
        value = np.zeros(view.on_hand.shape)
        if not len(scarce):
            return value
        sub = demand[:, scarce]
        region, col = np.nonzero(sub)  # grouped by region, ascending
        inst = PricedInstance(
            node_ids=tuple(str(n) for n in range(n_nodes)),
            node_lat=p.node_lat, node_lon=p.node_lon,
            capacity_units=np.where(usable, int(sub.sum()), 0),
            sku_ids=tuple(str(k) for k in scarce),
            stock=stock[:, scarce],
            order_ids=tuple(f"region{r}" for r in range(len(self.region_share))),
            order_lat=self.region_lat, order_lon=self.region_lon,
            line_order=region, line_sku=col, line_qty=sub[region, col],
            cost=CostModel(0.0, 0.0, 0.0, self.FORECAST_UNFILLED_PENALTY),
            carrier_shipment_cost=np.zeros(self.region_unit_cost.shape),
            carrier_unit_cost=self.region_unit_cost, carrier_per_kg=self.region_per_kg,
            sku_weight_kg=weight[scarce])
        res = lp_bound(inst, self.time_limit_s, backend="glop")
        if not np.isfinite(res.stock_dual).all():  # a backend without duals: fail, not guess
            raise RuntimeError(f"look-ahead: the forecast LP returned no stock duals "
                               f"({res.status}, {res.message})")
        value[:, scarce] = res.stock_dual
        return value


def _stocking_ranks(nearest: np.ndarray, stocked: np.ndarray) -> np.ndarray:
    """[point, rank] stocking nodes only, nearest first (all nodes if none stocks)."""
    keep = stocked[nearest] if stocked.any() else np.ones(nearest.shape, bool)
    count = int(keep[0].sum())
    return nearest[keep].reshape(len(nearest), count)


class BatchOptimal:
    """Periodic batch re-optimisation: the orders of each `interval_h` bucket are routed
    together by the exact batch problem on the live stock (within `time_limit_s`).

    With a `lookahead` (policy `batch_lookahead`), the batch is priced as that policy prices
    one order: each unit taken from stock also costs its shadow price, and replenishment due
    at a node in time (at the look-ahead's hold confidence, after the units the node already
    owes) is stock the plan may hold orders for, as a column per node and day it arrives,
    priced at the carrier rate on that day and open only to orders whose promise that day
    still meets.
    """

    name = "batch_optimal"

    def __init__(self, pricing: CarrierPricing, interval_h: float, time_limit_s: float,
                 lookahead: LookAhead | None = None):
        self.pricing = pricing
        self.dispatch_interval_h: float | None = interval_h
        self.time_limit_s = time_limit_s
        self.lookahead = lookahead
        self.plan_holds = 0  # orders a plan left waiting for replenishment
        self.solves: list[tuple[float, int, str, float]] = []  # now_h, orders, status, time_s

    @classmethod
    def from_settings(cls, settings: BatchOptimalSettings, context: RoutingContext
                      ) -> BatchOptimal:
        """The policy with the scenario's bucket interval and time limit per solve."""
        return cls(CarrierPricing(context), settings.interval_h, settings.time_limit_s)

    def stats(self) -> dict[str, float]:
        """Orders held for replenishment (by a plan, or by the look-ahead alone), bucket solves
        and how many of them were proven optimal."""
        out = {} if self.lookahead is None else self.lookahead.stats()
        status = [s[2] for s in self.solves]
        return {**out, "holds": float(self.holds), "plan_holds": float(self.plan_holds),
                "solves": float(len(status)),
                "solves_optimal": float(status.count(str(Status.OPTIMAL)))}

    def route_batch(self, view: NetworkView, orders: np.ndarray) -> list[list[Part]]:
        """Parts of each order of the bucket, from one optimal plan."""
        if not len(orders):
            return []
        if not view.stocked.any():
            return [NearestWithStock().route(view, int(o)) for o in orders]
        la = self.lookahead
        inst = self.pricing.instance(view, orders,
                                     unit_cost=None if la is None else la.stock_value(view))
        column_node = None
        if la is not None and la.hold_lead_h is not None and view.backordered is not None:
            inst, column_node = self.with_due_stock(view, orders, inst)
        res = solve(inst, self.time_limit_s)
        if res.status not in (Status.OPTIMAL, Status.FEASIBLE):
            res = greedy(inst)
        self.solves.append((view.now_h, len(orders), str(res.status), res.time_s))
        if column_node is not None:
            due_lines = res.flow[:, view.on_hand.shape[0]:].any(axis=1)
            self.plan_holds += len(np.unique(inst.line_order[due_lines]))
        # an order the plan leaves wholly unfilled goes where the look-ahead sends it alone
        return plan_parts(view, orders, inst, res.flow, column_node, fallback=la)

    @property
    def holds(self) -> int:
        """Orders left waiting for replenishment: by a plan, or by the look-ahead alone."""
        return self.plan_holds + (0 if self.lookahead is None else self.lookahead.holds)

    def with_due_stock(self, view: NetworkView, orders: np.ndarray, inst: PricedInstance
                       ) -> tuple[PricedInstance, np.ndarray]:
        """`inst` with a column per (node, day) that replenishment reaches a usable node in
        time to ship, holding the units due that day; and [column] the node of each column."""
        la, p = self.lookahead, self.pricing
        n_nodes = view.on_hand.shape[0]
        used = catalogue_skus(inst)
        owed = np.maximum(view.backordered - view.on_hand, 0)[:, used]
        # cumulative units due by each day, the earliest first going to what is owed
        due = np.maximum(la.arrivals(view)[:, :, used] - owed[None], 0)
        new = np.diff(due, axis=0, prepend=0)  # [day, node, sku] arriving that day
        new[:, ~usable_nodes(view)] = 0
        day, node = np.nonzero(new.any(axis=2))
        if not len(day):
            return inst, np.arange(n_nodes)
        ship = np.maximum(int(view.now_h // 24.0) + day,
                          p.ship_day(p.orders.ready_h[orders])[:, node])  # [order, column]
        base, per_kg = p.rates(orders, ship, node)
        unit = inst.unit_cost
        return replace(
            inst,
            node_ids=inst.node_ids + tuple(f"{n}+{d}" for n, d in zip(node, day, strict=True)),
            node_lat=np.concatenate([inst.node_lat, inst.node_lat[node]]),
            node_lon=np.concatenate([inst.node_lon, inst.node_lon[node]]),
            capacity_units=np.concatenate([inst.capacity_units, inst.capacity_units[node]]),
            stock=np.concatenate([inst.stock, new[day, node]]),
            unit_cost=None if unit is None else np.concatenate([unit, unit[node]]),
            carrier_shipment_cost=np.hstack([inst.carrier_shipment_cost, base]),
            carrier_unit_cost=np.zeros((inst.n_orders, n_nodes + len(node))),
            carrier_per_kg=np.hstack([inst.carrier_per_kg, per_kg]),
            carrier_allowed=np.hstack([np.ones(inst.carrier_shipment_cost.shape, bool),
                                       ship <= p.latest_ship_days(orders)[:, node]]),
        ), np.concatenate([np.arange(n_nodes), node])

    def route(self, view: NetworkView, order: int) -> list[Part]:
        """Parts of one order (a bucket of one)."""
        return self.route_batch(view, np.array([order], np.int64))[0]


class BatchLookAhead(BatchOptimal):
    """Batch re-optimisation priced by the look-ahead (see `BatchOptimal`): stock at its
    shadow prices, and replenishment due in time as stock a plan may hold orders for."""

    name = "batch_lookahead"

    @classmethod
    def from_settings(cls, settings: BatchLookaheadSettings, context: RoutingContext
                      ) -> BatchLookAhead:
        """The policy with the scenario's bucket interval, time limit and look-ahead; a plan
        that may hold orders prices units it leaves unfilled higher."""
        holding = settings.hold_confidence is not None
        pricing = CarrierPricing(context, HOLDING_UNFILLED_UNIT_PENALTY if holding
                                 else UNFILLED_UNIT_PENALTY)
        lookahead = LookAhead(pricing, horizon_days=settings.horizon_days,
                              time_limit_s=max(settings.time_limit_s, 10.0),
                              resolve_every_h=settings.every_h,
                              hold_confidence=settings.hold_confidence)
        return cls(pricing, settings.interval_h, settings.time_limit_s, lookahead)
