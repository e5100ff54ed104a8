"""Newsvendor, EOQ and Wagner-Whitin: the textbook single-stage sizing rules.

Units: demand per period (or per year for EOQ, consistently with the holding cost), costs in
currency (holding per unit per period, stockout per unit short, fixed cost per order).
"""

from __future__ import annotations

import time
from dataclasses import dataclass

import numpy as np
from scipy import special

from optimize.result import SolverResult, Status
from optimize.safety_stock.distributions import (
    DiscreteDemand,
    NormalDemand,
    demand_over,
)
from optimize.safety_stock.validation import ArrayChecks

__all__ = [
    "LotSizingPlan",
    "economic_order_quantity",
    "newsvendor_cost",
    "newsvendor_normal",
    "newsvendor_poisson",
    "wagner_whitin",
]


def _check_costs(holding_cost, stockout_cost) -> None:
    checks = ArrayChecks()
    checks.require("holding_cost", holding_cost, lambda a: a > 0, "must be > 0")
    checks.require("stockout_cost", stockout_cost, lambda a: a > 0, "must be > 0")
    checks.raise_if_any()


def newsvendor_cost(level, holding_cost, stockout_cost,
                    demand: NormalDemand | DiscreteDemand) -> np.ndarray:
    """g(S) = h E[(S - D)^+] + p E[(D - S)^+] = h (S - mu) + (h + p) n(S), currency/period."""
    h = np.asarray(holding_cost, float)
    p = np.asarray(stockout_cost, float)
    return h * (level - demand.mean) + (h + p) * demand.loss(level)


def newsvendor_normal(holding_cost, stockout_cost, demand_mean, demand_sd,
                      lead_time=0.0) -> tuple[np.ndarray, np.ndarray]:
    """(S*, g(S*)) for normal demand: S* = mu + sigma Phi^-1(p / (p + h)), g = (h + p) sigma phi(z).

    With a lead time L (periods) the level protects L + 1 periods: mu and sigma are scaled by
    L + 1 and sqrt(L + 1) (Snyder and Shen eq. 4.16-4.17, 4.28).
    """
    _check_costs(holding_cost, stockout_cost)
    h = np.asarray(holding_cost, float)
    p = np.asarray(stockout_cost, float)
    periods = np.asarray(lead_time, float) + 1.0
    mean = np.asarray(demand_mean, float) * periods
    sd = np.asarray(demand_sd, float) * np.sqrt(periods)
    z = special.ndtri(p / (p + h))
    level = mean + sd * z
    cost = (h + p) * sd * np.exp(-0.5 * z * z) / np.sqrt(2.0 * np.pi)
    return level, cost


def newsvendor_poisson(holding_cost, stockout_cost, demand_mean,
                       lead_time=0.0) -> tuple[np.ndarray, np.ndarray]:
    """(S*, g(S*)) for Poisson demand: the smallest integer S with F(S) >= p / (p + h)."""
    _check_costs(holding_cost, stockout_cost)
    h = np.asarray(holding_cost, float)
    p = np.asarray(stockout_cost, float)
    demand = demand_over("poisson", demand_mean, 0.0, lead_time, 0.0, 1.0)
    level = demand.ppf(p / (p + h))
    return level, newsvendor_cost(level, h, p, demand)


def economic_order_quantity(fixed_cost, holding_cost, demand_rate) -> tuple[np.ndarray,
                                                                               np.ndarray]:
    """(Q*, g(Q*)): Q* = sqrt(2 K lambda / h), cost per unit time sqrt(2 K h lambda).

    K currency per order, h currency per unit per unit time, lambda units per unit time
    (Snyder and Shen eq. 3.4-3.5).
    """
    checks = ArrayChecks()
    checks.require("fixed_cost", fixed_cost, lambda a: a >= 0, "must be >= 0")
    checks.require("holding_cost", holding_cost, lambda a: a > 0, "must be > 0")
    checks.require("demand_rate", demand_rate, lambda a: a >= 0, "must be >= 0")
    checks.raise_if_any()
    K = np.asarray(fixed_cost, float)
    h = np.asarray(holding_cost, float)
    lam = np.asarray(demand_rate, float)
    return np.sqrt(2.0 * K * lam / h), np.sqrt(2.0 * K * h * lam)


@dataclass(frozen=True, kw_only=True)
class LotSizingPlan(SolverResult):
    """Order quantity per period (units); `objective` = fixed + holding (+ purchase) cost."""

    order_quantity: np.ndarray
    order_periods: tuple[int, ...]


def wagner_whitin(demand, fixed_cost, holding_cost, purchase_cost=0.0) -> LotSizingPlan:
    """Optimal deterministic lot sizes by Wagner-Whitin DP (zero-inventory ordering).

    theta_t = min_{t < s <= T+1} { K_t + c_t sum_{i=t}^{s-1} d_i + sum_{i=t}^{s-1} d_i
    sum_{u=t}^{i-1} h_u + theta_s }, theta_{T+1} = 0; h_u holds a unit from period u to u + 1
    (Snyder and Shen eq. 3.39). Scalars or per-period arrays; periods are 0-based here.
    """
    start = time.perf_counter()
    d = np.asarray(demand, float)
    T = d.size
    checks = ArrayChecks()
    checks.require("demand", d, lambda a: a >= 0, "must be >= 0 units")
    checks.require("fixed_cost", fixed_cost, lambda a: a >= 0, "must be >= 0")
    checks.require("holding_cost", holding_cost, lambda a: a >= 0, "must be >= 0")
    checks.require("purchase_cost", purchase_cost, lambda a: a >= 0, "must be >= 0")
    checks.raise_if_any()
    K = np.broadcast_to(np.asarray(fixed_cost, float), (T,))
    h = np.broadcast_to(np.asarray(holding_cost, float), (T,))
    c = np.broadcast_to(np.asarray(purchase_cost, float), (T,))
    hold_to = np.concatenate([[0.0], np.cumsum(h)])  # hold_to[i] - hold_to[t]: t -> i per unit
    theta = np.zeros(T + 1)
    nxt = np.zeros(T, int)
    for t in range(T - 1, -1, -1):
        i = np.arange(t, T)
        per_unit = c[t] + hold_to[i] - hold_to[t]
        cover = K[t] + np.cumsum(d[t:] * per_unit)  # ordering at t for periods t..s-1
        options = cover + theta[t + 1:]
        best = int(np.argmin(options))
        theta[t] = options[best]
        nxt[t] = t + 1 + best
    q = np.zeros(T)
    periods = []
    t = 0
    while t < T:
        q[t] = d[t:nxt[t]].sum()
        periods.append(int(t))
        t = nxt[t]
    cost = float(theta[0])
    return LotSizingPlan(status=Status.OPTIMAL, objective=cost, bound=cost,
                         time_s=time.perf_counter() - start, order_quantity=q,
                         order_periods=tuple(periods))
