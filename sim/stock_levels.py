"""Stock levels per node and SKU: explicit in the scenario, else sized for its target."""

from __future__ import annotations

import numpy as np

from optimize.safety_stock import order_up_to_levels
from sim.demand import Catalogue
from sim.scenario import Dist, Scenario, StockPolicy

__all__ = ["daily_demand_by_node", "stock_levels"]


def _count_moments(d: Dist) -> tuple[float, float]:
    """Mean and second moment of a count distribution (lines per order, units per line)."""
    excess = max(d.mean - d.min, 0.0)
    if d.dist == "geometric":
        var = excess * (1.0 + excess)
    elif d.dist == "poisson":
        var = excess
    elif d.dist == "fixed":
        var = 0.0
    else:
        var = (d.cv * d.mean) ** 2
    return d.mean, var + d.mean**2


def daily_demand_by_node(scenario: Scenario, catalogue: Catalogue, dist_km: np.ndarray,
                         point_weight: np.ndarray, stocked: np.ndarray
                         ) -> tuple[np.ndarray, np.ndarray]:
    """Mean and standard deviation of units per day, [node, sku], assuming each customer is
    served by the nearest stocking node (compound Poisson: var = line rate * E[units^2])."""
    share = np.zeros(len(stocked))
    if stocked.any():
        idx = np.flatnonzero(stocked)
        nearest = idx[np.argmin(dist_km[idx], axis=0)]
        np.add.at(share, nearest, point_weight)
        share /= point_weight.sum()
    lines, _ = _count_moments(scenario.demand.lines_per_order)
    units_mean, units_m2 = _count_moments(scenario.demand.units_per_line)
    line_rate = scenario.demand.orders_per_day * lines * share[:, None] * catalogue.popularity
    return line_rate * units_mean, np.sqrt(line_rate * units_m2)


def stock_levels(scenario: Scenario, catalogue: Catalogue, dist_km: np.ndarray,
                 point_weight: np.ndarray, stocked: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """(order-up-to S, reorder point s) in units, [node, sku]; zero at dropship nodes."""
    inv = scenario.inventory
    mean, sd = daily_demand_by_node(scenario, catalogue, dist_km, point_weight, stocked)
    pols = [scenario.stock_policy(i) for i in range(len(scenario.nodes))]

    def per_node(get) -> np.ndarray:
        return np.array([get(p) for p in pols], float)[:, None]

    levels_up_to = np.vstack([_levels(mean[i], sd[i], p) for i, p in enumerate(pols)])
    mult = np.array([n.stock_multiplier for n in scenario.nodes])[:, None]
    up_to = np.ceil(levels_up_to * mult)
    # (s, S): reorder at the level that protects the lead time and review; order a cycle more.
    reorder = up_to.copy()
    up_to_s_s = reorder + np.ceil(mean * per_node(lambda p: p.review_period_days))
    uses_s_s = per_node(lambda p: p.policy == "s_S").astype(bool)
    order_up_to = np.where(uses_s_s, up_to_s_s, up_to)
    ids = [n.id for n in scenario.nodes]
    sku_index = {s: i for i, s in enumerate(catalogue.ids)}
    for table, target in ((inv.order_up_to, order_up_to), (inv.reorder_point, reorder)):
        for node, per_sku in (table or {}).items():
            for sku, level in per_sku.items():
                target[ids.index(node), sku_index[sku]] = level
    order_up_to[~stocked] = 0
    reorder[~stocked] = 0
    return order_up_to.astype(np.int64), reorder.astype(np.int64)


def _levels(mean: np.ndarray, sd: np.ndarray, p: StockPolicy) -> np.ndarray:
    return np.asarray(order_up_to_levels(
        demand_mean=mean, demand_sd=sd, lead_time_mean=p.supplier.lead_time_days_mean,
        lead_time_sd=p.supplier.lead_time_days_sd, review_period=p.review_period_days,
        target=p.target, target_kind=p.target_kind, distribution="normal",
    ).order_up_to)
