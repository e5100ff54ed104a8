"""Stock levels per node and SKU: explicit in the scenario, else sized for its target."""

from __future__ import annotations

import numpy as np

from optimize.safety_stock import order_up_to_levels
from sim.demand import Catalogue
from sim.scenario import Scenario, StockPolicy
from sim.streams import count_moments

__all__ = ["assortment_mask", "daily_demand_by_node", "fast_movers", "stock_levels"]


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


def stock_levels(scenario: Scenario, catalogue: Catalogue, dist_km: np.ndarray,
                 point_weight: np.ndarray, stocked: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """(order-up-to S, reorder point s) in units, [node, sku]; zero at dropship nodes."""
    inv = scenario.inventory
    carries = assortment_mask(scenario, catalogue, stocked)
    mean, sd = daily_demand_by_node(scenario, catalogue, dist_km, point_weight, carries)
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
    order_up_to[~carries] = 0
    reorder[~carries] = 0
    return order_up_to.astype(np.int64), reorder.astype(np.int64)


def _levels(mean: np.ndarray, sd: np.ndarray, p: StockPolicy) -> np.ndarray:
    return np.asarray(order_up_to_levels(
        demand_mean=mean, demand_sd=sd, lead_time_mean=p.supplier.lead_time_days_mean,
        lead_time_sd=p.supplier.lead_time_days_sd, review_period=p.review_period_days,
        target=p.target, target_kind=p.target_kind, distribution="normal",
    ).order_up_to)
