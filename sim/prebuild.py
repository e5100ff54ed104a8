"""Time-varying order-up-to levels that pre-build stock ahead of the scenario's demand spikes.

A review at time t (days) raises the inventory position to S; the next review's order, placed
R days later, reaches the shelf after the supplier lead time L (random) plus the receiving
allowance delta, so S protects the demand over the window [t, t + R + delta + L) (the L + R
protection interval of `optimize.safety_stock.order_up_to_levels`). A spike (start a, duration
d, multiplier m) adds (m - 1) mu |window n [a, a + d)| units to that window's demand (mu units/day
per SKU at the node), so measured in days of base demand the window holds

    W(L) = R + delta + L + x(L),   x(L) = sum over spikes of (m - 1) |window n spike|.

The window's demand then has mean mu E[W] and variance (sigma^2 / mu) mu E[W] + mu^2 Var[W]
(compound Poisson given the window, plus the window's spread over the lead time). A spike edge
near the next order's arrival makes Var[W] much larger than Var[L]: a late order then meets the
spike, and that risk needs stock now. The level is sized by `order_up_to_levels` for the node's
target and review period on the constant-rate equivalent with the same two moments: demand
f mu per day with variance f sigma^2, lead time mean delta + E[L] and sd sd[W] / f, where
f = E[W] / (R + delta + E[L]). The level in force at the review is

    S_t = S_base + round(mu E[x] + max(ss_t - ss_base, 0)),

the spike's extra expected demand plus the extra safety stock, added on top of the base levels
(explicit levels and stock multipliers included). Reviews whose window misses every spike
keep the base level; the model never orders a negative quantity, so what was bought for the
spike is sold down after it.

The receiving allowance delta is the time the node's receivers (their staffed hours per day)
take to put away a purchase order of the base size: one line per SKU with demand in the review
period, receive + QC + put-away per line and receive time per unit. A spike that starts sooner
than one lead time after day 0 cannot be pre-built (the first orders arrive too late).

What the pre-build knows is the forecast's (`sim.demand_forecast`, `demand.forecast`): the
spikes known in advance, and the base demand as it stands at each review. Under the default
online forecast the spikes are the announced ones at their `expected_multiplier` (an
unannounced spike gets no pre-build), and each review re-plans its extra for the base level
the forecast has learned by then from the orders of the complete days before it: mu and
sigma^2 become r mu and r sigma^2 (compound Poisson), r = level / planned rate, where mu is
per SKU at the plan's rate that sized the static levels (`demand.planned_orders_per_day` if
given, else `orders_per_day`). So if the real base demand runs 30 % above the plan, the
extra expected spike demand follows it (r = 1.3 once the level has learned it) and the extra
safety stock grows with it; the static base levels stay the plan's. Under `forecast: oracle`
every spike counts at its true multiplier and r is the true rate over the plan's (1 unless a
plan is given). The schedule is computed before the run from the generated orders, but a
review's level reads only the orders created before that review's day (the forecast sees no
more), so it is the schedule a planner re-planning at each review would reach.

Across echelons (`replenish_from`, sim.replenishment): a node's mu and sigma are the demand
its stock covers (sim.stock_levels.node_demand: its customers' and the nodes' it feeds), its
lead time the one it sees (the transfer's from its source, as a gamma of that mean and sd;
else its supplier's). A source meets the spike in the orders of the nodes it feeds, which
pre-build ahead of it: it sees each spike earlier by the longest protection time among them
(transfer lead + receiving + review period), so its own stock is there when they order.
An echelon-position level counts the levels below it, so it rises by their pre-build too.
"""

from __future__ import annotations

import numpy as np
from scipy import stats

from optimize.safety_stock import order_up_to_levels
from sim.demand_forecast import DemandForecast, forecast_for, planning_scenario
from sim.fulfilment_modes import rule_for
from sim.node import REVIEW_HOUR
from sim.scenario import Scenario, Spike, StockPolicy, Supplier
from sim.stock_levels import (
    assortment_mask,
    feeds,
    lead_time_days,
    node_demand,
    receiving_allowance_days,
)

__all__ = [
    "expected_spike_days",
    "level_schedule",
    "receiving_allowance_days",
    "window_sd_days",
]

_LEAD_TIME_QUANTILES = 4096  # midpoint rule over the lead time; its far tail matters


def _lead_time_quantiles(supplier: Supplier) -> np.ndarray:
    mean, sd = supplier.lead_time_days_mean, supplier.lead_time_days_sd
    if sd == 0:
        return np.array([mean])
    shape = (mean / sd) ** 2  # gamma with this mean and sd, as Supplier.lead_time_dist draws
    p = (np.arange(_LEAD_TIME_QUANTILES) + 0.5) / _LEAD_TIME_QUANTILES
    return stats.gamma.ppf(p, shape, scale=mean / shape)


def _spike_days(review_day: np.ndarray, review_period_days: float, lead_days: np.ndarray,
                receiving_days: float, spikes: list[Spike]) -> np.ndarray:
    # x(L) per review (rows) and lead time (columns): extra days of base demand in the window.
    t = np.asarray(review_day, float)[:, None]
    end = t + lead_days[None, :] + receiving_days + review_period_days
    out = np.zeros(end.shape)
    for s in spikes:
        overlap = np.minimum(end, s.start_day + s.duration_days) - np.maximum(t, s.start_day)
        out += (s.multiplier - 1.0) * np.maximum(overlap, 0.0)
    return out


def expected_spike_days(review_day: np.ndarray, review_period_days: float, supplier: Supplier,
                        receiving_days: float, spikes: list[Spike]) -> np.ndarray:
    """Extra spike demand in each review's protection window, in days of base demand:
    E[x(L)] = sum over spikes of (multiplier - 1) E|[t, t + R + receiving + L) n spike|."""
    lead = _lead_time_quantiles(supplier)
    return _spike_days(review_day, review_period_days, lead, receiving_days, spikes).mean(1)


def window_sd_days(review_day: np.ndarray, review_period_days: float, supplier: Supplier,
                   receiving_days: float, spikes: list[Spike]) -> np.ndarray:
    """Standard deviation over the lead time of each review's window W(L) = R + receiving +
    L + x(L), in days of base demand (the lead time's sd when no spike is near)."""
    lead = _lead_time_quantiles(supplier)
    x = _spike_days(review_day, review_period_days, lead, receiving_days, spikes)
    return (lead[None, :] + x).std(axis=1)


def _safety_stock(mean: np.ndarray, sd: np.ndarray, policy: StockPolicy, lead_days: float,
                  lead_sd_days: float, factor: float) -> np.ndarray:
    return np.asarray(order_up_to_levels(
        demand_mean=mean * factor, demand_sd=sd * np.sqrt(factor), lead_time_mean=lead_days,
        lead_time_sd=lead_sd_days, review_period=policy.review_period_days,
        target=policy.target, target_kind=policy.target_kind, distribution="normal",
    ).safety_stock)


def _lead_time(policy: StockPolicy) -> Supplier:
    """The lead time a node sees, as a Supplier (gamma of its mean and sd): its supplier's,
    or the transfer's from the node it replenishes from."""
    if policy.replenish_from is None:
        return policy.supplier
    mean, sd = lead_time_days(policy)
    return Supplier(lead_time_days_mean=mean, lead_time_days_sd=sd)


def _seen_spikes(scenario: Scenario, node: int, spikes: list[Spike],
                 mean: np.ndarray) -> list[Spike]:
    """The spikes as `node` sees them: earlier by the longest protection time (transfer lead
    + receiving + review period, days) of the nodes it feeds, which pre-build ahead."""
    fed = feeds(scenario)[node]
    if not fed or not spikes:
        return spikes
    ahead = max(lead_time_days(scenario.stock_policy(j))[0]
                + receiving_allowance_days(scenario, j, mean[j])
                + scenario.stock_policy(j).review_period_days for j in fed)
    return [s.model_copy(update={"start_day": max(s.start_day - ahead, 0.0)}) for s in spikes]


def _node_changes(scenario: Scenario, node: int, base: np.ndarray, mean: np.ndarray,
                  sd: np.ndarray, forecast: DemandForecast, spikes: list[Spike]
                  ) -> list[tuple[float, np.ndarray]]:
    """(day, S[sku]) whenever this node's level changes (at the start of each review day),
    ahead of `spikes` (those the forecast knows in advance, as the node sees them), for the
    base level the forecast knows at each review; `mean`, `sd` are per SKU at the plan's
    rate (units/day)."""
    planned = planning_scenario(scenario).demand.orders_per_day
    policy = scenario.stock_policy(node)
    supplier, R = _lead_time(policy), policy.review_period_days
    review_day = np.arange(0, scenario.run.horizon_days, R, dtype=float)
    at = review_day + REVIEW_HOUR / 24.0
    receiving = receiving_allowance_days(scenario, node, mean)
    lead_days = supplier.lead_time_days_mean + receiving
    extra_days = expected_spike_days(at, R, supplier, receiving, spikes)
    sd_days = window_sd_days(at, R, supplier, receiving, spikes)
    changes, current = [], base
    for day, t, extra, spread in zip(review_day, at, extra_days, sd_days, strict=True):
        level = base
        if extra > 0:
            # the base level known now over the plan's: exactly 1.0 for an oracle without a
            # plan, whose schedule is then the one of before, bit for bit
            r = forecast.level(24.0 * t) / planned
            mu, sigma = r * mean, np.sqrt(r) * sd
            ss_base = _safety_stock(mu, sigma, policy, lead_days, supplier.lead_time_days_sd,
                                    1.0)
            factor = 1.0 + extra / (lead_days + R)
            ss = _safety_stock(mu, sigma, policy, lead_days, spread / factor, factor)
            more = extra * mu + np.maximum(ss - ss_base, 0.0)
            level = base + np.floor(more + 0.5).astype(np.int64)
        if not np.array_equal(level, current):
            changes.append((float(day), level))
            current = level
    return changes


def level_schedule(network, forecast: DemandForecast | None = None
                   ) -> list[tuple[float, np.ndarray]]:
    """Order-up-to levels in force from each day on, [(day, S[node, sku]) ...] (units, int64),
    raised ahead of each demand spike the forecast knows of in advance, for the base level it
    knows at each review, and back to the network's base levels after. `forecast`: the
    scenario's (`demand.forecast`, fed with the run's orders) unless given."""
    sc = network.scenario
    if forecast is None:
        forecast = forecast_for(sc, network.orders.created_h)
    base = np.asarray(network.order_up_to, np.int64)
    stocked = np.array([rule_for(n).stocks for n in sc.nodes])
    carries = assortment_mask(sc, network.catalogue, stocked)
    mean, sd = node_demand(planning_scenario(sc), network.catalogue, network.dist_km,
                           network.points["weight"].to_numpy(), carries)
    known = forecast.known_spikes()
    per_node = [_node_changes(sc, i, base[i], mean[i], sd[i], forecast,
                              _seen_spikes(sc, i, known, mean)) if stocked[i] else []
                for i in range(len(sc.nodes))]
    days = sorted({0.0} | {d for changes in per_node for d, _ in changes})
    schedule = []
    rows = base.copy()
    for day in days:
        for i, changes in enumerate(per_node):
            for d, level in changes:
                if d == day:
                    rows[i] = level
        schedule.append((day, _with_echelon_raises(sc, rows, base)))
    return schedule


def _with_echelon_raises(scenario: Scenario, rows: np.ndarray, base: np.ndarray
                         ) -> np.ndarray:
    """Levels [node, sku] with each echelon-position level raised by the raises below it
    (it counts their stock); the rows themselves when no node has an echelon position."""
    fed = feeds(scenario)
    echelon = [i for i in range(len(fed))
               if fed[i] and scenario.stock_policy(i).position == "echelon"]
    out = rows.copy()
    if not echelon:
        return out

    def raise_below(i: int) -> np.ndarray:
        return sum((rows[j] - base[j] + (raise_below(j) if j in echelon else 0)
                    for j in fed[i]), np.zeros(base.shape[1], np.int64))

    for i in echelon:
        out[i] = rows[i] + raise_below(i)
    return out
