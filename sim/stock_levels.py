"""Stock levels per node and SKU: explicit in the scenario, else sized for its target."""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

import numpy as np

from optimize.safety_stock import order_up_to_levels
from optimize.safety_stock.single_node import reorder_point_order_up_to
from sim.demand import Catalogue
from sim.scenario import Dist, Scenario, StockPolicy
from sim.streams import count_moments

__all__ = ["PipelineOrder", "assortment_mask", "customer_demand", "daily_demand_by_node", "dist_sd",
           "dock_to_stock_days", "fast_movers", "feeds", "forecast_error_sd",
           "is_multi_echelon", "lead_time_days", "node_demand", "processing_days",
           "protection_lead_days",
           "receiving_allowance_days", "shelf_levels", "steady_state_start", "stock_levels"]


def fast_movers(scenario: Scenario, catalogue: Catalogue) -> np.ndarray:
    """Boolean per SKU: the `inventory.fast_mover_share` most popular SKUs."""
    k = int(np.ceil(scenario.inventory.fast_mover_share * catalogue.n))
    fast = np.zeros(catalogue.n, bool)
    fast[np.argsort(-catalogue.popularity, kind="stable")[:k]] = True
    return fast


def assortment_mask(scenario: Scenario, catalogue: Catalogue, stocked: np.ndarray) -> np.ndarray:
    """Boolean [node, sku]: which SKUs each stocking node carries (none at dropship nodes)."""
    fast = fast_movers(scenario, catalogue)
    rows = {"all": np.ones(catalogue.n, bool), "fast_movers": fast, "slow_movers": ~fast}
    mask = np.array([rows[n.assortment] for n in scenario.nodes])
    mask[~stocked] = False
    return mask


def _nearest_share(dist_km: np.ndarray, point_weight: np.ndarray, nodes: np.ndarray
                   ) -> np.ndarray:
    # Co-located nodes (equal distances) split their customers evenly.
    share = np.zeros(dist_km.shape[0])
    if not nodes.any():
        return share
    d = np.where(nodes[:, None], dist_km, np.inf)
    tied = d <= d.min(axis=0, keepdims=True) + 1e-9
    share += (tied * (point_weight / tied.sum(axis=0))).sum(axis=1)
    return share / point_weight.sum()


def daily_demand_by_node(scenario: Scenario, catalogue: Catalogue, dist_km: np.ndarray,
                         point_weight: np.ndarray, carries: np.ndarray
                         ) -> tuple[np.ndarray, np.ndarray]:
    """Mean and standard deviation of units per day, [node, sku], assuming each customer is
    served by the nearest node carrying the SKU (compound Poisson: var = rate * E[units^2])."""
    share = np.zeros(carries.shape)
    for pattern in np.unique(carries, axis=1).T:  # SKUs carried by the same set of nodes
        cols = (carries == pattern[:, None]).all(axis=0)
        share[:, cols] = _nearest_share(dist_km, point_weight, pattern)[:, None]
    lines, _ = count_moments(scenario.demand.lines_per_order)
    units_mean, units_m2 = count_moments(scenario.demand.units_per_line)
    line_rate = scenario.demand.orders_per_day * lines * share * catalogue.popularity
    return line_rate * units_mean, np.sqrt(line_rate * units_m2)


def feeds(scenario: Scenario) -> list[list[int]]:
    """Per node, the nodes that replenish from it (`replenish_from`), in node order."""
    ids = [n.id for n in scenario.nodes]
    out: list[list[int]] = [[] for _ in ids]
    for i in range(len(ids)):
        source = scenario.stock_policy(i).replenish_from
        if source is not None:
            out[ids.index(source)].append(i)
    return out


def _downstream_first(fed: list[list[int]]) -> list[int]:
    """Nodes ordered so that every node comes after all the nodes it feeds."""
    done: list[int] = []

    def visit(i: int) -> None:
        for j in fed[i]:
            visit(j)
        if i not in done:
            done.append(i)

    for i in range(len(fed)):
        visit(i)
    return done


def is_multi_echelon(scenario: Scenario) -> bool:
    """Whether any node replenishes from another or serves no customers."""
    return any(scenario.stock_policy(i).replenish_from is not None
               or not scenario.stock_policy(i).serves_customers
               for i in range(len(scenario.nodes)))


def customer_demand(scenario: Scenario, catalogue: Catalogue, dist_km: np.ndarray,
                    point_weight: np.ndarray, carries: np.ndarray
                    ) -> tuple[np.ndarray, np.ndarray]:
    """Mean and sd of units per day [node, sku] of the customers a node serves itself
    (none at a node with `serves_customers: false`)."""
    serves = np.array([scenario.stock_policy(i).serves_customers
                       for i in range(len(scenario.nodes))])
    return daily_demand_by_node(scenario, catalogue, dist_km, point_weight,
                                carries & serves[:, None])


def _echelon_demand(scenario: Scenario, catalogue: Catalogue, dist_km: np.ndarray,
                    point_weight: np.ndarray, carries: np.ndarray
                    ) -> tuple[np.ndarray, np.ndarray]:
    """Customers' demand at the nodes serving them, then each source node's demand as its
    own customers' plus the nodes it feeds (means add; variances add, as independent)."""
    mean, sd = customer_demand(scenario, catalogue, dist_km, point_weight, carries)
    var = sd**2
    fed = feeds(scenario)
    for i in _downstream_first(fed):
        for j in fed[i]:
            mean[i] += mean[j]
            var[i] += var[j]
    return mean, np.sqrt(var)


def node_demand(scenario: Scenario, catalogue: Catalogue, dist_km: np.ndarray,
                point_weight: np.ndarray, carries: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """Mean and sd of units per day a node's stock must cover, [node, sku]: its customers'
    (daily_demand_by_node) and, at a node others replenish from, theirs as well."""
    if is_multi_echelon(scenario):
        return _echelon_demand(scenario, catalogue, dist_km, point_weight, carries)
    return daily_demand_by_node(scenario, catalogue, dist_km, point_weight, carries)


def dist_sd(d: Dist) -> float:
    """Standard deviation of a distribution, in its own unit."""
    excess = max(d.mean - d.min, 0.0)
    if d.dist == "fixed":
        return 0.0
    if d.dist == "exponential":
        return d.mean
    if d.dist == "poisson":
        return float(np.sqrt(excess))
    if d.dist == "geometric":
        return float(np.sqrt(excess * (1.0 + excess)))
    return d.cv * d.mean


def lead_time_days(p: StockPolicy) -> tuple[float, float]:
    """Mean and sd of a node's replenishment lead time (days): its supplier's, or the transfer
    time from the node it replenishes from (the source's picking time left out)."""
    if p.replenish_from is None:
        return p.supplier.lead_time_days_mean, p.supplier.lead_time_days_sd
    return p.transfer.lead_time_days.mean, dist_sd(p.transfer.lead_time_days)


def receiving_allowance_days(scenario: Scenario, node: int, daily_units: np.ndarray) -> float:
    """Days the node's receivers (their staffed hours per day) take to put away a purchase
    order of the base size (`daily_units`: mean units/day per SKU over one review period);
    0 without receivers."""
    spec = scenario.nodes[node]
    crew = spec.resources.receivers
    staffed_h_per_day = crew.count * sum(b - a for a, b in crew.shifts) * len(crew.days) / 7.0
    if staffed_h_per_day <= 0:
        return 0.0
    R = scenario.stock_policy(node).review_period_days
    pt = spec.process_times
    lines_per_day = np.asarray(daily_units, float) / scenario.demand.units_per_line.mean
    lines = float((-np.expm1(-lines_per_day * R)).sum())  # SKUs with any demand in a period
    units = float(np.sum(daily_units)) * R
    work_s = (lines * (pt.receive_s_per_line.mean + pt.putaway_s_per_line.mean
                       + pt.qc_share * pt.qc_s_per_line) + units * pt.receive_s_per_unit)
    return work_s / 3600.0 / staffed_h_per_day


def dock_to_stock_days(scenario: Scenario, node: int, daily_units: np.ndarray) -> float:
    """Expected days from the dock to the shelf for a unit of a base-size purchase order:
    the receivers work through the order's lines one after another, so a line waits on
    average half the order's receiving time (`receiving_allowance_days`)."""
    return 0.5 * receiving_allowance_days(scenario, node, daily_units)


def protection_lead_days(scenario: Scenario, node: int, daily_units: np.ndarray) -> float:
    """Lead time the node's levels protect, in days: the supplier's mean lead time (or the
    transfer's, from the node it replenishes from) plus the expected dock-to-stock time,
    since stock on the dock cannot fill an order."""
    return (lead_time_days(scenario.stock_policy(node))[0]
            + dock_to_stock_days(scenario, node, daily_units))


def processing_days(scenario: Scenario, node: int, daily_units: np.ndarray) -> float:
    """A node's processing time in the guaranteed-service model (sim.echelon_sizing), days:
    mean lead time + dock-to-stock + review period."""
    return (protection_lead_days(scenario, node, daily_units)
            + scenario.stock_policy(node).review_period_days)


def stock_levels(scenario: Scenario, catalogue: Catalogue, dist_km: np.ndarray,
                 point_weight: np.ndarray, stocked: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """(order-up-to S, reorder point s) in units, [node, sku]; zero at dropship nodes."""
    inv = scenario.inventory
    carries = assortment_mask(scenario, catalogue, stocked)
    mean, sd = node_demand(scenario, catalogue, dist_km, point_weight, carries)
    pols = [scenario.stock_policy(i) for i in range(len(scenario.nodes))]

    def per_node(get) -> np.ndarray:
        return np.array([get(p) for p in pols], float)[:, None]

    lead = [protection_lead_days(scenario, i, mean[i]) for i in range(len(pols))]
    if inv.forecast_errors is not None:
        sd = forecast_error_sd(inv.forecast_errors, catalogue.ids, mean, sd, pols, lead)
    if inv.sizing == "gsm":
        own = customer_demand(scenario, catalogue, dist_km, point_weight, carries)
        levels_up_to, lead = _gsm_levels(scenario, mean, sd, own, stocked)
    else:
        levels_up_to = np.vstack([_levels(mean[i], sd[i], p, lead[i])
                                  for i, p in enumerate(pols)])
        if inv.sizing == "pooled":
            from sim.echelon_sizing import pooled_levels  # only when pooling

            lead_sd = np.array([lead_time_days(p)[1] for p in pols])
            levels_up_to = pooled_levels(scenario, mean, sd, levels_up_to, lead, lead_sd,
                                         stocked, catalogue.unit_value,
                                         catalogue.weight_kg).levels
    mult = np.array([n.stock_multiplier for n in scenario.nodes])[:, None]
    up_to = np.ceil(levels_up_to * mult)
    # (s, S): reorder at the level that protects the lead time and review; order a cycle more.
    reorder = up_to.copy()
    up_to_s_s = reorder + np.ceil(mean * per_node(lambda p: p.review_period_days))
    uses_s_s = per_node(lambda p: p.policy == "s_S").astype(bool)
    order_up_to = np.where(uses_s_s, up_to_s_s, up_to)
    for i, p in enumerate(pols):
        if p.policy == "r_Q":
            order_up_to[i], reorder[i] = _r_q_levels(mean[i], sd[i], p, mult[i, 0], lead[i])
    fed = feeds(scenario)
    for i in _downstream_first(fed):  # an echelon level covers the levels downstream too
        if pols[i].position == "echelon":
            below = sum((order_up_to[j] for j in fed[i]), np.zeros(catalogue.n))
            order_up_to[i] += below
            reorder[i] += below
    ids = [n.id for n in scenario.nodes]
    sku_index = {s: i for i, s in enumerate(catalogue.ids)}
    for table, target in ((inv.order_up_to, order_up_to), (inv.reorder_point, reorder)):
        for node, per_sku in (table or {}).items():
            for sku, level in per_sku.items():
                target[ids.index(node), sku_index[sku]] = level
    order_up_to[~carries] = 0
    reorder[~carries] = 0
    return order_up_to.astype(np.int64), reorder.astype(np.int64)


def shelf_levels(scenario: Scenario, order_up_to: np.ndarray) -> np.ndarray:
    """Units [node, sku] a node's own shelf holds when every node sits at its level: an
    echelon level counts the levels of the nodes it feeds, which their shelves hold, so a
    run starts the source with the rest (never below zero)."""
    shelf = np.asarray(order_up_to).copy()
    fed = feeds(scenario)
    for i in range(len(scenario.nodes)):
        if fed[i] and scenario.stock_policy(i).position == "echelon":
            below = np.asarray(order_up_to)[fed[i]].sum(axis=0)
            shelf[i] = np.maximum(shelf[i] - below, 0)
    return shelf


def forecast_error_sd(path: Path, sku_ids: np.ndarray, mean: np.ndarray, sd: np.ndarray,
                      policies: list[StockPolicy], lead_days: list[float]) -> np.ndarray:
    """Daily demand sd [node, sku] replaced, for the SKUs in a forecast-errors file, by
    sigma_P / sqrt(P): sigma_P the forecast error over the protection period P = lead time
    (`lead_days` per node, dock-to-stock included) + review (days), measured by the
    backtest. The forecast is network-wide, so a node gets the error in proportion to its
    share of the SKU's mean demand."""
    import pandas as pd

    from sim.forecast import lead_time_sigma

    errors = pd.read_csv(path, dtype={"sku": str})
    by_sku = dict(tuple(errors.groupby("sku")))  # one pass, not one filter per SKU and node
    out = sd.copy()
    total = mean.sum(axis=0)
    for j, sku in enumerate(map(str, sku_ids)):
        if sku not in by_sku or total[j] <= 0:
            continue
        for i, p in enumerate(policies):
            days = lead_days[i] + p.review_period_days
            share = mean[i, j] / total[j]
            out[i, j] = share * lead_time_sigma(by_sku[sku], sku, days) / np.sqrt(days)
    return out


def _gsm_levels(scenario: Scenario, mean: np.ndarray, sd: np.ndarray,
                own: tuple[np.ndarray, np.ndarray], stocked: np.ndarray
                ) -> tuple[np.ndarray, list[np.ndarray]]:
    """Order-up-to levels [node, sku] protecting the GSM's net lead times (sim.echelon_sizing),
    and the lead time [sku] each node's levels protect before its review period (days):
    a net lead time NLT of at least the review period R gets the node's own target over
    lead NLT - R and review R, as without the GSM; a shorter one (a stage quoting a long
    service time downstream) gets mean x NLT + z sd sqrt(NLT), z = Phi^-1(target)."""
    from scipy import stats

    from sim.echelon_sizing import gsm_plan  # only when sizing by the GSM

    processing = np.array([processing_days(scenario, i, mean[i])
                           for i in range(len(scenario.nodes))])
    plan = gsm_plan(scenario, own[0], own[1], processing, np.asarray(stocked, bool))
    out, lead = np.zeros_like(mean), []
    for i in range(len(scenario.nodes)):
        p = scenario.stock_policy(i)
        nlt = plan.net_lead_days[i]
        before_review = np.maximum(nlt - p.review_period_days, 0.0)
        z = stats.norm.ppf(p.target)
        out[i] = np.where(nlt >= p.review_period_days, _levels(mean[i], sd[i], p, before_review),
                          mean[i] * nlt + z * sd[i] * np.sqrt(nlt))
        lead.append(before_review)
    return out, lead


def _levels(mean: np.ndarray, sd: np.ndarray, p: StockPolicy, lead_days: float | np.ndarray
            ) -> np.ndarray:
    return np.asarray(order_up_to_levels(
        demand_mean=mean, demand_sd=sd, lead_time_mean=lead_days,
        lead_time_sd=lead_time_days(p)[1], review_period=p.review_period_days,
        target=p.target, target_kind=p.target_kind, distribution="normal",
    ).order_up_to)


def _r_q_levels(mean: np.ndarray, sd: np.ndarray, p: StockPolicy, mult: float,
                lead_days: float | np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """(r + Q, r) of continuous review: Q the mean demand of a review period (at least one
    unit), r meeting the target over `lead_days` (Snyder and Shen's (r, Q) fill rate
    1 - (n(r) - n(r + Q)) / Q, reorder_point_order_up_to with review period 0)."""
    q = np.maximum(np.ceil(mean * p.review_period_days), 1.0)
    r = np.asarray(reorder_point_order_up_to(
        demand_mean=mean, demand_sd=sd, lead_time_mean=lead_days,
        lead_time_sd=lead_time_days(p)[1],
        review_period=0, order_quantity=q, target=p.target, target_kind=p.target_kind,
        distribution="normal").reorder_point)
    r = np.ceil(r * mult)
    return r + q, r


@dataclass(frozen=True)
class PipelineOrder:
    """An order already on its way when the run starts (days from the start): a purchase
    order, or a transfer at a node fed by another."""

    node: int
    ordered_day: float  # < 0
    arrives_day: float  # > 0
    units: np.ndarray  # [sku]


def steady_state_start(scenario: Scenario, mean_per_day: np.ndarray, order_up_to: np.ndarray,
                       stocked: np.ndarray, review_hour: float
                       ) -> tuple[np.ndarray, list[PipelineOrder]]:
    """On hand [node, sku] and the purchase orders in transit at the start of a run, as a
    periodic review policy holds them on average in steady state: each past review (every R
    days at `review_hour`) ordered a review period's mean demand, mu R, arriving L days later
    (the supplier's mean lead time, or at a node fed by another the transfer's: its pipeline
    is transfers in transit, sim.model); those not yet arrived are the pipeline, and on hand is
    the inventory position after the last review less the demand since and the pipeline,
    S - mu (time since that review) - pipeline, never below zero."""
    on_hand = np.zeros_like(order_up_to)
    pipeline: list[PipelineOrder] = []
    for i in np.flatnonzero(stocked):
        policy = scenario.stock_policy(int(i))
        r, lead = policy.review_period_days, lead_time_days(policy)[0]
        mu = mean_per_day[i]
        last_review = review_hour / 24.0 - r  # the review before day 0's (days, < 0)
        k, in_transit = 0, np.zeros(len(mu))
        while last_review - k * r + lead > 0:
            ordered = last_review - k * r
            units = np.rint(mu * r).astype(np.int64)
            if units.any():
                pipeline.append(PipelineOrder(int(i), ordered, ordered + lead, units))
            in_transit += units
            k += 1
        position = order_up_to[i] - mu * (0.0 - last_review)
        on_hand[i] = np.maximum(np.rint(position - in_transit), 0).astype(np.int64)
    return on_hand, pipeline
