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
"""

from __future__ import annotations

import math
from dataclasses import dataclass

import numpy as np
from scipy import stats

from optimize.safety_stock import GsmNetwork, GsmNode, solve_gsm
from sim.scenario import Scenario

__all__ = ["GsmPlan", "gsm_plan"]


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
