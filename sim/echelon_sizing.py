"""Safety stock across echelons placed by the guaranteed-service model (`inventory.sizing:
gsm`): the scenario's echelons become a GSM network per SKU, the existing solver
(optimize.safety_stock.solve_gsm) picks the service times, and each node's base-stock level
protects its net lead time.

The network, stated here and tested in tests/test_echelon_gsm.py:

- A stage per stocking node; an edge from the node a node replenishes from to that node.
- Processing time T_k (days) = its mean replenishment lead time (the supplier's, or the
  transfer's) + its expected dock-to-stock time (sim.stock_levels.dock_to_stock_days) + its
  review period: an order placed at a review is on the shelf T_k days after the demand it
  replaces, at worst. The solver works in whole days, so T_k is rounded up there; the net
  lead time the levels protect uses the unrounded T_k.
- Demand at a stage: its own customers' (sim.stock_levels.customer_demand, mean and sd of
  units per day per SKU); the solver adds the variances of the stages it feeds.
- A stage that serves customers quotes them service time 0; a stage buying from a supplier
  sees inbound service time 0 (the supplier's lead time is in T_k, not a promise).
- Holding cost 1 per unit-day at every stage: the scenario values a unit the same at every
  node (costs.holding_rate_per_year of its value), so the solver trades units of safety stock.
- Safety factor z_k = Phi^-1(target) of the node's stock policy, whatever its target kind
  (the GSM's bounded demand is a quantile): it places the stock. The levels then meet each
  node's own target over its net lead time NLT_k = SI_k + T_k - S_k (sim.stock_levels).

The solution depends on a SKU only through the ratios of its stages' standard deviations,
so SKUs with the same ratios (the same node shares) are solved once.

Pooled safety stock (`inventory.sizing: pooled`, `pooled_levels`): the forward nodes that
lend to each other (`lateral_transfers.nodes`, default every stocking node serving customers)
are sized together by the existing SAA solver (optimize.safety_stock.pool_stock_saa), which
assumes a node's stock can serve another node's customers within the period at a cost per
unit. The rules, tested in tests/test_echelon_pooled.py:

- Information: the demand model's base rate and variance per node (sim.stock_levels, the
  planners' `planned_orders_per_day` when given), never the spikes to come; the same as
  `target` and `gsm`.
- Each SKU's demand at a member over its protection period P_i = lead time (with dock-to-
  stock) + review is normal with the moments `target` sizing uses (lead-time variance
  included). The one-period newsvendor's critical ratio at a member is the one its
  stand-alone (`target`) level implies, Phi((S_alone - mean_P) / sd_P), so the solver's
  stand-alone answer is that level (up to sampling) and "the same target" means the same
  stock-out probability per node; holding h_i = unit value x holding rate x P_i / 365, the
  lost-sale cost p_i = h_i cr_i / (1 - cr_i), a transfer c_ij = the lateral freight's per-unit
  and per-kg cost (its per-shipment charge is a fixed cost the one-period model cannot
  spread; the run charges it).
- Families: one LP per SKU is too slow (0.2-0.6 s each), so SKUs carried by the same
  members with the same CV over P (bins of a factor 1.25) form a family; its
  median-demand SKU is solved (500 normal scenarios, seed 0, GLOP) and the family's other
  SKUs take its safety factors (S - mean_P) / sd_P per node. The representative's levels are
  the solver's output exactly.
- Nodes outside the pool (the DC, a node pooled with nobody) keep their `target` levels. The
  pooled level replaces a member's base order-up-to level as the GSM's does: (s, S) adds a
  cycle on top, an (r, Q) member keeps its own continuous-review sizing.
- The run needs the transfers the plan assumes: the scenario turns on emergency lateral
  transfers with complete pooling (hold-back 0) unless `lateral_transfers` is given
  (sim.scenario); the routing's shipping from another node (`nearest_with_stock`) is the
  SAA's cross-shipment itself.
"""

from __future__ import annotations

import math
from dataclasses import dataclass

import numpy as np
from scipy import stats

from optimize.safety_stock import (
    GsmNetwork,
    GsmNode,
    PoolingResult,
    normal_demand_scenarios,
    pool_stock_saa,
    solve_gsm,
)
from optimize.safety_stock.distributions import demand_over
from sim.scenario import Scenario

__all__ = ["GsmPlan", "PooledPlan", "gsm_plan", "pool_members", "pooled_levels"]

POOL_SCENARIOS = 500  # SAA demand draws per family
CV_BIN = np.log(1.25)  # width of a family's bin of log CV over the protection period


@dataclass(frozen=True)
class GsmPlan:
    """Service times and net lead times [node, sku] in days (zero at non-stocking nodes)."""

    processing_days: np.ndarray  # [node] T_k, unrounded
    inbound_days: np.ndarray  # [node, sku] SI_k, whole days
    outbound_days: np.ndarray  # [node, sku] S_k, whole days
    net_lead_days: np.ndarray  # [node, sku] SI_k + T_k - S_k (unrounded T_k), >= 0
    cost: np.ndarray  # [sku] the solver's safety stock cost, unit-days per day


def _network(scenario: Scenario, members: list[int], T: np.ndarray, z: np.ndarray,
             sd: np.ndarray) -> GsmNetwork:
    ids = [n.id for n in scenario.nodes]
    nodes, edges = [], []
    for i in members:
        p = scenario.stock_policy(i)
        nodes.append(GsmNode(id=str(i), processing_time=math.ceil(T[i] - 1e-9),
                             holding_cost=1.0, demand_mean=0.0, demand_sd=float(sd[i]),
                             z=float(z[i]), external_inbound_cst=0,
                             max_outbound_cst=0 if p.serves_customers else None))
        if p.replenish_from is not None:
            edges.append((str(ids.index(p.replenish_from)), str(i)))
    return GsmNetwork(nodes=tuple(nodes), edges=tuple(edges))


def gsm_plan(scenario: Scenario, own_mean: np.ndarray, own_sd: np.ndarray,
             processing: np.ndarray, stocked: np.ndarray) -> GsmPlan:
    """Solve the GSM per SKU (see the module's rules): `own_*` the customers' demand at each
    node [node, sku] (units/day), `processing` T_k per node in days
    (sim.stock_levels.processing_days)."""
    n_nodes, n_skus = own_mean.shape
    members = [int(i) for i in np.flatnonzero(stocked)]
    T = np.where(stocked, np.asarray(processing, float), 0.0)
    z = np.array([stats.norm.ppf(scenario.stock_policy(i).target) for i in range(n_nodes)])
    si = np.zeros((n_nodes, n_skus), np.int64)
    s_out = np.zeros((n_nodes, n_skus), np.int64)
    cost = np.zeros(n_skus)
    solved: dict[tuple[float, ...], tuple[dict[str, int], dict[str, int], float]] = {}
    for j in range(n_skus):
        sd = own_sd[:, j]
        scale = float(sd[members].max()) if members else 0.0
        if scale <= 0:  # no variability: no safety stock anywhere, every stage quotes 0
            continue
        key = tuple(np.round(sd[members] / scale, 9))
        if key not in solved:
            res = solve_gsm(_network(scenario, members, T, z, sd / scale), "auto")
            solved[key] = (res.inbound_cst, res.outbound_cst, float(res.objective))
        inbound, outbound, unit_cost = solved[key]
        for i in members:
            si[i, j], s_out[i, j] = inbound[str(i)], outbound[str(i)]
        cost[j] = unit_cost * scale
    nlt = np.where(stocked[:, None], np.maximum(si + T[:, None] - s_out, 0.0), 0.0)
    return GsmPlan(processing_days=T, inbound_days=si, outbound_days=s_out,
                   net_lead_days=nlt, cost=cost)


@dataclass(frozen=True)
class PooledPlan:
    """Pooled order-up-to levels [node, sku] (units, before rounding) and, per family, its
    members, representative SKU and the solver's result."""

    levels: np.ndarray
    families: list[tuple[list[int], int, PoolingResult]]  # (member nodes, rep sku, result)
    family_of: np.ndarray  # [sku] family index, -1 if not pooled


def pool_members(scenario: Scenario, stocked: np.ndarray) -> list[int]:
    """Node indices pooled together: `lateral_transfers.nodes`, else every stocking node
    that serves customers (as sim.lateral's lending nodes)."""
    lt = scenario.lateral_transfers
    ids = [n.id for n in scenario.nodes]
    if lt is not None and lt.nodes is not None:
        return [ids.index(i) for i in lt.nodes if stocked[ids.index(i)]]
    return [i for i in range(len(ids))
            if stocked[i] and scenario.stock_policy(i).serves_customers]


def pooled_levels(scenario: Scenario, mean: np.ndarray, sd: np.ndarray, alone: np.ndarray,
                  lead_days: list[float], lead_sd: np.ndarray, stocked: np.ndarray,
                  unit_value: np.ndarray, weight_kg: np.ndarray) -> PooledPlan:
    """Order-up-to levels [node, sku] with the pool's members sized together by SAA (see the
    module's rules): `mean`, `sd` units/day, `alone` the `target` levels, `lead_days` and
    `lead_sd` each node's protection lead time before review and its sd (days),
    `unit_value` and `weight_kg` per SKU."""
    members = pool_members(scenario, np.asarray(stocked, bool))
    out = np.array(alone, float)
    family_of = np.full(mean.shape[1], -1)
    if len(members) < 2:
        return PooledPlan(out, [], family_of)
    pols = [scenario.stock_policy(i) for i in members]
    period = np.array([lead_days[i] + p.review_period_days for i, p in zip(members, pols,
                                                                           strict=True)])
    over = demand_over("normal", mean[members], sd[members], np.asarray(lead_days)[members, None],
                       np.asarray(lead_sd, float)[members, None],
                       np.array([p.review_period_days for p in pols], float)[:, None])
    m_p, s_p = np.asarray(over.mean), np.asarray(over.sd)
    active = (m_p > 0) & (s_p > 0)
    cv = np.where(active, s_p / np.where(active, m_p, 1.0), 0.0)
    lt = scenario.lateral_transfers
    freight = lt.freight if lt is not None else None
    groups: dict[tuple, list[int]] = {}
    for j in np.flatnonzero(active.sum(axis=0) >= 2):
        top = int(np.argmax(np.where(active[:, j], m_p[:, j], -1.0)))
        key = (tuple(active[:, j]), int(np.floor(np.log(cv[top, j]) / CV_BIN)))
        groups.setdefault(key, []).append(int(j))
    rate = scenario.costs.holding_rate_per_year
    families = []
    for (pattern, _), skus in sorted(groups.items()):
        rows = np.flatnonzero(pattern)
        nodes = [members[k] for k in rows]
        order = sorted(skus, key=lambda j: (m_p[rows, j].sum(), j))
        rep = order[len(order) // 2]
        m, s = m_p[rows, rep], s_p[rows, rep]
        cr = np.clip(stats.norm.cdf((alone[nodes, rep] - m) / s), 0.01, 0.999)
        h = np.maximum(unit_value[rep] * rate * period[rows] / 365.0, 1e-9)
        per_unit = (0.0 if freight is None
                    else freight.cost_per_unit + freight.cost_per_kg * weight_kg[rep])
        transfer = np.full((len(nodes), len(nodes)), per_unit)
        res = pool_stock_saa(normal_demand_scenarios(m, s, 0.0, POOL_SCENARIOS, seed=0),
                             h, h * cr / (1.0 - cr), transfer)
        k = (res.order_up_to - m) / s  # the family's safety factors per node
        for j in skus:
            out[nodes, j] = np.maximum(m_p[rows, j] + k * s_p[rows, j], 0.0)
        out[nodes, rep] = res.order_up_to
        family_of[skus] = len(families)
        families.append((nodes, rep, res))
    return PooledPlan(out, families, family_of)
