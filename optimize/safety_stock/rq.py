"""Continuous-review (r, Q) with normal lead-time demand: exact cost and two optimisers.

h holding cost per unit per unit time, p stockout cost per unit backordered per unit time,
K fixed cost per order, lambda demand rate and tau its standard deviation per unit time
(sigma_L = tau sqrt(L)), L lead time in the same time unit (Snyder and Shen sec. 5.2-5.3).
"""

from __future__ import annotations

import time
from dataclasses import dataclass

import numpy as np
from scipy import optimize as sciopt
from scipy import special

from optimize.result import SolverResult, Status
from optimize.safety_stock.distributions import NormalDemand
from optimize.safety_stock.lot_sizing import economic_order_quantity, newsvendor_cost
from optimize.safety_stock.validation import ArrayChecks

__all__ = ["RQPolicy", "rq_cost", "rq_eil", "rq_exact"]


@dataclass(frozen=True, kw_only=True)
class RQPolicy(SolverResult):
    """Reorder point r and order quantity Q (units); `objective` = cost per unit time."""

    reorder_point: float
    order_quantity: float


def _lead_time_demand(demand_rate, demand_sd, lead_time) -> NormalDemand:
    checks = ArrayChecks()
    checks.require("demand_rate", demand_rate, lambda a: a >= 0, "must be >= 0")
    checks.require("demand_sd", demand_sd, lambda a: a >= 0, "must be >= 0")
    checks.require("lead_time", lead_time, lambda a: a >= 0, "must be >= 0")
    checks.raise_if_any()
    return NormalDemand(np.asarray(demand_rate * lead_time, float),
                        np.asarray(demand_sd * np.sqrt(lead_time), float))


def _check_costs(holding_cost, stockout_cost, fixed_cost) -> None:
    checks = ArrayChecks()
    checks.require("holding_cost", holding_cost, lambda a: a > 0, "must be > 0")
    checks.require("stockout_cost", stockout_cost, lambda a: a > 0, "must be > 0")
    checks.require("fixed_cost", fixed_cost, lambda a: a > 0, "must be > 0")
    checks.raise_if_any()


def rq_cost(reorder_point, order_quantity, holding_cost, stockout_cost, fixed_cost,
            demand_rate, demand_sd, lead_time):
    """Exact g(r, Q) = (K lambda + int_r^{r+Q} g(y) dy) / Q, currency per unit time.

    g(y) = h (y - mu) + (h + p) n(y) is the newsvendor cost of lead-time demand, so the
    integral is h ((r + Q - mu)^2 - (r - mu)^2) / 2 + (h + p) (n2(r) - n2(r + Q))
    (Snyder and Shen eq. 5.7).
    """
    ltd = _lead_time_demand(demand_rate, demand_sd, lead_time)
    r = np.asarray(reorder_point, float)
    Q = np.asarray(order_quantity, float)
    h, p = float(holding_cost), float(stockout_cost)
    integral = (0.5 * h * ((r + Q - ltd.mean) ** 2 - (r - ltd.mean) ** 2)
                + (h + p) * (ltd.loss2(r) - ltd.loss2(r + Q)))
    return (fixed_cost * demand_rate + integral) / Q


def rq_eil(holding_cost, stockout_cost, fixed_cost, demand_rate, demand_sd, lead_time,
           tol: float = 1e-9) -> RQPolicy:
    """Expected-inventory-level approximation (Hadley and Whitin), iterated to a fixed point.

    r = F^{-1}(1 - Q h / (p lambda)), Q = sqrt(2 lambda (K + p n(r)) / h), approximate cost
    h (r - mu + Q/2) + K lambda / Q + p lambda n(r) / Q (Snyder and Shen eq. 5.16-5.18, alg. 5.1).
    """
    start = time.perf_counter()
    _check_costs(holding_cost, stockout_cost, fixed_cost)
    ltd = _lead_time_demand(demand_rate, demand_sd, lead_time)
    h, p, K, lam = (float(x) for x in (holding_cost, stockout_cost, fixed_cost, demand_rate))
    Q = float(economic_order_quantity(K, h, lam)[0])
    r = np.inf
    for _ in range(10_000):
        r_new = float(ltd.ppf(1.0 - Q * h / (p * lam)))
        Q_new = float(np.sqrt(2.0 * lam * (K + p * ltd.loss(r_new)) / h))
        converged = abs(r_new - r) <= tol and abs(Q_new - Q) <= tol
        r, Q = r_new, Q_new
        if converged:
            break
    cost = h * (r - ltd.mean + Q / 2.0) + K * lam / Q + p * lam * ltd.loss(r) / Q
    return RQPolicy(status=Status.FEASIBLE, objective=float(cost), bound=float("nan"),
                    time_s=time.perf_counter() - start, message="EIL approximation",
                    reorder_point=r, order_quantity=Q)


def rq_exact(holding_cost, stockout_cost, fixed_cost, demand_rate, demand_sd,
             lead_time) -> RQPolicy:
    """Exact optimum of g(r, Q) (jointly convex): for each Q, r solves g(r) = g(r + Q)."""
    start = time.perf_counter()
    _check_costs(holding_cost, stockout_cost, fixed_cost)
    ltd = _lead_time_demand(demand_rate, demand_sd, lead_time)
    h, p, K, lam = (float(x) for x in (holding_cost, stockout_cost, fixed_cost, demand_rate))
    s_star = float(ltd.mean + ltd.sd * special.ndtri(p / (p + h)))

    def r_of_q(Q: float) -> float:
        def gap(r):
            return float(newsvendor_cost(r, h, p, ltd) - newsvendor_cost(r + Q, h, p, ltd))
        return sciopt.brentq(gap, s_star - Q - 1.0, s_star, xtol=1e-12)

    def cost_of_q(Q: float) -> float:
        return float(rq_cost(r_of_q(Q), Q, h, p, K, lam, demand_sd, lead_time))

    q_eoq = float(economic_order_quantity(K, h, lam)[0])
    res = sciopt.minimize_scalar(cost_of_q, bounds=(1e-6, 20.0 * q_eoq + 10.0 * float(ltd.sd)),
                                 method="bounded", options={"xatol": 1e-9})
    Q = float(res.x)
    r = r_of_q(Q)
    return RQPolicy(status=Status.OPTIMAL, objective=cost_of_q(Q), bound=float("nan"),
                    time_s=time.perf_counter() - start, message="exact (r, Q)",
                    reorder_point=r, order_quantity=Q)
