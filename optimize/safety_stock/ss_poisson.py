"""Exact optimal periodic-review (s, S) policy for Poisson demand (Zheng and Federgruen 1991).

Order up to S whenever the inventory position is at or below s; h holding and p stockout cost
per unit per period on end-of-period inventory, K fixed cost per order, demand Poisson with
`demand_mean` units per period, lead time L whole periods (the newsvendor cost G then covers
L + 1 periods). The cost of (s, S) is the renewal-reward ratio
    c(s, S) = (K + sum_{d=0}^{S-s-1} m(d) G(S - d)) / M(S - s),
with m(0) = 1 / (1 - f(0)), m(j) = m(0) sum_{l=1}^{j} f(l) m(j - l), M(j) = sum_{i<j} m(i),
f the one-period demand pmf (Snyder and Shen sec. 4.6, eq. 4.71-4.75).
"""

from __future__ import annotations

import time
from dataclasses import dataclass

import numpy as np
from scipy import stats

from optimize.result import SolverResult, Status
from optimize.safety_stock.distributions import demand_over
from optimize.safety_stock.lot_sizing import newsvendor_cost
from optimize.safety_stock.validation import ArrayChecks

__all__ = ["SSPolicy", "ss_cost_poisson", "ss_optimal_poisson"]


@dataclass(frozen=True, kw_only=True)
class SSPolicy(SolverResult):
    """Reorder point s and order-up-to level S (units); `objective` = cost per period."""

    reorder_point: int
    order_up_to: int


class _Model:
    """Caches G(y) and the renewal functions m, M for one instance."""

    def __init__(self, h: float, p: float, K: float, mean: float, lead_time: float) -> None:
        self.h, self.p, self.K, self.mean = h, p, K, mean
        self.protect = demand_over("poisson", mean, 0.0, lead_time, 0.0, 1.0)
        self.f0 = float(np.exp(-mean))
        self.m = np.array([1.0 / (1.0 - self.f0)])

    def G(self, y: float) -> float:
        return float(newsvendor_cost(np.float64(y), self.h, self.p, self.protect))

    def _grow(self, n: int) -> None:
        if self.m.size >= n:
            return
        pmf = stats.poisson.pmf(np.arange(n), self.mean)
        m = np.empty(n)
        m[: self.m.size] = self.m
        for j in range(self.m.size, n):
            m[j] = m[0] * float(np.dot(pmf[1: j + 1], m[j - 1:: -1][:j]))
        self.m = m

    def cost(self, s: int, S: int) -> float:
        n = S - s
        self._grow(n)
        g = np.array([self.G(S - d) for d in range(n)])
        return (self.K + float(np.dot(self.m[:n], g))) / float(self.m[:n].sum())


def _check(h, p, K, mean, lead_time) -> None:
    checks = ArrayChecks()
    checks.require("holding_cost", h, lambda a: a > 0, "must be > 0")
    checks.require("stockout_cost", p, lambda a: a > 0, "must be > 0")
    checks.require("fixed_cost", K, lambda a: a > 0, "must be > 0")
    checks.require("demand_mean", mean, lambda a: a > 0, "must be > 0 units/period")
    checks.require("lead_time", lead_time, lambda a: (a >= 0) & (a == np.round(a)),
                   "must be a whole number of periods >= 0")
    checks.raise_if_any()


def ss_cost_poisson(reorder_point: int, order_up_to: int, holding_cost: float,
                    stockout_cost: float, fixed_cost: float, demand_mean: float,
                    lead_time: float = 0) -> float:
    """Expected cost per period c(s, S) of an (s, S) policy, s < S integers."""
    _check(holding_cost, stockout_cost, fixed_cost, demand_mean, lead_time)
    if order_up_to <= reorder_point:
        raise ValueError("order_up_to must exceed reorder_point")
    model = _Model(holding_cost, stockout_cost, fixed_cost, demand_mean, lead_time)
    return model.cost(int(reorder_point), int(order_up_to))


def ss_optimal_poisson(holding_cost: float, stockout_cost: float, fixed_cost: float,
                       demand_mean: float, lead_time: float = 0) -> SSPolicy:
    """Optimal (s, S) by Zheng and Federgruen's search (Snyder and Shen alg. 4.2).

    From y* = argmin G: lower s until c(s, y*) <= G(s); then raise S while G(S) <= the incumbent
    cost, and on each improvement raise s while c(s, S) <= G(s + 1).
    """
    start = time.perf_counter()
    _check(holding_cost, stockout_cost, fixed_cost, demand_mean, lead_time)
    model = _Model(holding_cost, stockout_cost, fixed_cost, demand_mean, lead_time)
    ratio = stockout_cost / (stockout_cost + holding_cost)
    y_star = int(model.protect.ppf(np.float64(ratio)))
    S0 = y_star
    s = y_star - 1
    while model.cost(s, S0) > model.G(s):
        s -= 1
    best_s, best_S = s, S0
    best = model.cost(s, S0)
    S = S0 + 1
    while model.G(S) <= best:
        if model.cost(s, S) < best:
            best_S = S
            while model.cost(s, best_S) <= model.G(s + 1):
                s += 1
            best_s = s
            best = model.cost(best_s, best_S)
        S += 1
    return SSPolicy(status=Status.OPTIMAL, objective=best, bound=best,
                    time_s=time.perf_counter() - start, message="Zheng-Federgruen",
                    reorder_point=best_s, order_up_to=best_S)
