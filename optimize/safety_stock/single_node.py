"""Single-node stock policies for many SKU-node pairs at once: (R, S), base stock, (s, S), (r, Q).

Units: demand in units per period, times (lead time, review period) in periods, costs in currency
per unit per period. Every input broadcasts, so one call sizes a whole [node, sku] table.

Conventions (Snyder and Shen, *Fundamentals of Supply Chain Theory*, 2nd ed., ch. 4-5; Silver,
Pyke and Peterson, ch. 6-7), with D_t the demand over a random lead time plus t periods:

- Periodic review order-up-to (R, S): at each review raise the inventory position to S. The
  order placed now is the last one to arrive before demand over L + R is covered, so S protects
  L + R periods (base stock: R = 1, L + 1 periods).
  cycle service  alpha = P(D_{L+R} <= S)  ->  S = F_{L+R}^{-1}(alpha) (normal: mu + z sigma);
  fill rate      beta  = 1 - (n_{L+R}(S) - n_L(S)) / (R mu)   (expected shortage per cycle over
  demand per cycle; exact for base stock, R = 1);
  stockout cost  S = F_{L+R}^{-1}(p / (p + h))   (newsvendor critical ratio).
  Expected on-hand and backorders are the end-of-period averages over the R periods of a cycle:
  (1/R) sum_{j=1..R} nbar_{L+j}(S) and (1/R) sum_{j=1..R} n_{L+j}(S).
- (s, S) / (r, Q) with order quantity Q = S - s: when the inventory position drops to s or below,
  order up to S. The inventory position is (approximately) uniform on (s, s + Q], so
  expected backorders = (n2(s) - n2(s + Q)) / Q and fill rate = 1 - (n(s) - n(s + Q)) / Q over
  the protection interval L + R (R = 0: continuous review; the undershoot is ignored for R >= 1).
  This is exact for continuous review with Poisson demand.

Safety stock is the level minus the mean demand over the protection interval. It is never
negative: a target that a level below the mean would meet still gets the mean (the achieved
service is then above the target, and is reported).
"""

from __future__ import annotations

import time
from dataclasses import dataclass
from typing import Literal

import numpy as np
import pandas as pd

from optimize.result import SolverResult, Status
from optimize.safety_stock.distributions import (
    DISTRIBUTIONS,
    DemandDistribution,
    DiscreteDemand,
    demand_over,
    poisson_loss,
    smallest_integer_where,
)
from optimize.safety_stock.validation import ArrayChecks

__all__ = [
    "PolicyLevels",
    "base_stock_fill_rate_poisson",
    "order_up_to_levels",
    "reorder_point_order_up_to",
]

TargetKind = Literal["fill_rate", "cycle_service", "stockout_cost"]
TARGET_KINDS = ("fill_rate", "cycle_service", "stockout_cost")
_BISECTION_STEPS = 48  # shrinks a (12 sigma + 1)-wide bracket below 1e-13 of its width


@dataclass(frozen=True, kw_only=True)
class PolicyLevels(SolverResult):
    """Levels and their expected performance, one element per SKU-node (units, per period).

    `reorder_point` is NaN for (R, S) (no reorder point: every review orders); `cost` is
    holding_cost * expected_on_hand + stockout_cost * expected_backorders per period;
    `objective` is its sum.
    """

    order_up_to: np.ndarray
    reorder_point: np.ndarray
    safety_stock: np.ndarray
    expected_on_hand: np.ndarray
    expected_backorders: np.ndarray
    achieved_service: np.ndarray
    cost: np.ndarray

    def to_frame(self) -> pd.DataFrame:
        """The levels as a flat table, one row per element (row-major for 2-D input)."""
        cols = ("order_up_to", "reorder_point", "safety_stock", "expected_on_hand",
                "expected_backorders", "achieved_service", "cost")
        return pd.DataFrame({c: np.ravel(getattr(self, c)) for c in cols})


def _check_common(checks: ArrayChecks, demand_mean, demand_sd, lead_time_mean, lead_time_sd,
                  target, target_kind: str, distribution: str, holding_cost,
                  stockout_cost) -> None:
    checks.require("demand_mean", demand_mean, lambda a: a >= 0, "must be >= 0 units/period")
    checks.require("demand_sd", demand_sd, lambda a: a >= 0, "must be >= 0 units/period")
    checks.require("lead_time_mean", lead_time_mean, lambda a: a >= 0, "must be >= 0 periods")
    checks.require("lead_time_sd", lead_time_sd, lambda a: a >= 0, "must be >= 0 periods")
    checks.require("holding_cost", holding_cost, lambda a: a >= 0, "must be >= 0")
    checks.require("stockout_cost", stockout_cost, lambda a: a >= 0, "must be >= 0")
    if target_kind not in TARGET_KINDS:
        checks.add("target_kind", f"must be one of {TARGET_KINDS}", target_kind)
    elif target_kind == "stockout_cost":
        checks.require("target", target, lambda a: a > 0, "stockout cost must be > 0")
        checks.require("holding_cost", holding_cost, lambda a: a > 0,
                       "must be > 0 when the target is a stockout cost")
    else:
        checks.require("target", target, lambda a: (a > 0) & (a < 1),
                       f"{target_kind} must be strictly between 0 and 1")
    if distribution not in DISTRIBUTIONS:
        checks.add("distribution", f"must be one of {DISTRIBUTIONS}", distribution)


MIN_DEMAND = 1e-9  # units per period: below it a SKU is treated as having no demand


def _no_demand_below_resolution(mu: np.ndarray, sd: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """Means under MIN_DEMAND (e.g. subnormal floats) become zero demand, spread included:
    dividing by them would overflow every ratio that follows."""
    none = mu < MIN_DEMAND
    return np.where(none, 0.0, mu), np.where(none, 0.0, sd)


def _solve_level(dist: DemandDistribution, met, floor: np.ndarray) -> np.ndarray:
    """Smallest level >= floor at which `met(level)` holds (met is monotone in the level)."""
    if isinstance(dist, DiscreteDemand):
        return smallest_integer_where(met, np.maximum(dist.upper(), floor), floor)
    lo = floor.copy()
    hi = floor + 12.0 * dist.sd + 1.0
    done = met(lo)
    for _ in range(_BISECTION_STEPS):
        mid = 0.5 * (lo + hi)
        good = met(mid)
        hi = np.where(good, mid, hi)
        lo = np.where(good, lo, mid)
    return np.where(done, floor, hi)


def _mean_floor(dist: DemandDistribution) -> np.ndarray:
    return np.ceil(dist.mean - 1e-9) if isinstance(dist, DiscreteDemand) else dist.mean.copy()


def _rs_fill_rate(S, over_lr, over_l, cycle_demand) -> np.ndarray:
    short = over_lr.loss(S) - over_l.loss(S)
    safe = np.where(cycle_demand > 0, cycle_demand, 1.0)
    with np.errstate(over="ignore"):  # a tiny demand with any shortage: fill rate -> -inf
        return np.where(cycle_demand > 0, 1.0 - short / safe, 1.0)


def order_up_to_levels(
    demand_mean, demand_sd, lead_time_mean, lead_time_sd, review_period, target,
    target_kind: TargetKind = "fill_rate", distribution: str = "normal", *,
    holding_cost=0.0, stockout_cost=0.0,
) -> PolicyLevels:
    """Periodic-review order-up-to levels S (units) meeting `target`, per SKU-node.

    S protects L + R periods; fill rate beta = 1 - (n_{L+R}(S) - n_L(S)) / (R mu); cycle service
    alpha = F_{L+R}(S); stockout cost p (per unit short per period) gives S = F_{L+R}^{-1}(p/(p+h))
    with h = holding_cost. Demand in units/period, times in periods, R a whole number >= 1.
    """
    start = time.perf_counter()
    checks = ArrayChecks()
    _check_common(checks, demand_mean, demand_sd, lead_time_mean, lead_time_sd, target,
                  target_kind, distribution, holding_cost, stockout_cost)
    checks.require("review_period", review_period, lambda a: (a >= 1) & (a == np.round(a)),
                   "must be a whole number of periods >= 1")
    checks.raise_if_any()

    mu, sd, lt_m, lt_s, R, tgt, h, p = np.broadcast_arrays(
        *(np.asarray(x, float) for x in (demand_mean, demand_sd, lead_time_mean, lead_time_sd,
                                         review_period, target, holding_cost, stockout_cost)))
    mu, sd = _no_demand_below_resolution(mu, sd)
    over_lr = demand_over(distribution, mu, sd, lt_m, lt_s, R)
    over_l = demand_over(distribution, mu, sd, lt_m, lt_s, 0.0)
    floor = _mean_floor(over_lr)
    cycle_demand = R * mu

    if target_kind == "fill_rate":
        S = _solve_level(over_lr, lambda x: _rs_fill_rate(x, over_lr, over_l, cycle_demand) >= tgt,
                         floor)
    else:
        ratio = tgt if target_kind == "cycle_service" else tgt / (tgt + h)
        S = np.maximum(over_lr.ppf(ratio), floor)
    S = np.where(mu > 0, S, 0.0)

    # End-of-period averages over the R periods of a review cycle.
    on_hand = np.zeros_like(S)
    backorders = np.zeros_like(S)
    r_max = int(R.max()) if R.size else 1
    for j in range(1, r_max + 1):
        in_cycle = j <= R
        over_j = demand_over(distribution, mu, sd, lt_m, lt_s, float(j))
        n_j = over_j.loss(S)
        backorders += np.where(in_cycle, n_j, 0.0)
        on_hand += np.where(in_cycle, S - over_j.mean + n_j, 0.0)
    on_hand /= R
    backorders /= R

    if target_kind == "cycle_service":
        achieved = np.where(mu > 0, over_lr.cdf(S), 1.0)
    else:
        achieved = _rs_fill_rate(S, over_lr, over_l, cycle_demand)
    cost = np.asarray(h * on_hand + p * backorders)
    return PolicyLevels(
        status=Status.OPTIMAL, objective=float(cost.sum()), bound=float("nan"),
        time_s=time.perf_counter() - start,
        message=f"(R, S) by {target_kind}, {distribution} demand",
        order_up_to=S, reorder_point=np.full_like(S, np.nan),
        safety_stock=np.asarray(np.maximum(S - over_lr.mean, 0.0)), expected_on_hand=on_hand,
        expected_backorders=backorders, achieved_service=achieved, cost=cost,
    )


def _sq_fill_rate(s, Q, over) -> np.ndarray:
    return 1.0 - (over.loss(s) - over.loss(s + Q)) / Q


def reorder_point_order_up_to(
    demand_mean, demand_sd, lead_time_mean, lead_time_sd, review_period, order_quantity,
    target, target_kind: TargetKind = "fill_rate", distribution: str = "normal", *,
    holding_cost=0.0, stockout_cost=0.0,
) -> PolicyLevels:
    """(s, S) levels (units) with S = s + Q: order up to S when the position falls to s or below.

    Protection interval L + R (R = 0: continuous review, i.e. (r, Q)). Fill rate
    beta = 1 - (n(s) - n(s + Q)) / Q; cycle service alpha = F(s); stockout cost p gives
    s = F^{-1}(p/(p+h)). Expected backorders (n2(s) - n2(s + Q)) / Q. `order_quantity` Q in
    units (> 0), e.g. from `economic_order_quantity`.
    """
    start = time.perf_counter()
    checks = ArrayChecks()
    _check_common(checks, demand_mean, demand_sd, lead_time_mean, lead_time_sd, target,
                  target_kind, distribution, holding_cost, stockout_cost)
    checks.require("review_period", review_period, lambda a: (a >= 0) & (a == np.round(a)),
                   "must be a whole number of periods >= 0 (0 = continuous review)")
    checks.require("order_quantity", order_quantity, lambda a: a > 0, "must be > 0 units")
    checks.raise_if_any()

    mu, sd, lt_m, lt_s, R, Q, tgt, h, p = np.broadcast_arrays(
        *(np.asarray(x, float) for x in (demand_mean, demand_sd, lead_time_mean, lead_time_sd,
                                         review_period, order_quantity, target, holding_cost,
                                         stockout_cost)))
    mu, sd = _no_demand_below_resolution(mu, sd)
    over = demand_over(distribution, mu, sd, lt_m, lt_s, R)
    discrete = isinstance(over, DiscreteDemand)
    if discrete:
        Q = np.maximum(np.round(Q), 1.0)
    floor = _mean_floor(over)
    if target_kind == "fill_rate":
        s = _solve_level(over, lambda x: _sq_fill_rate(x, Q, over) >= tgt, floor)
    else:
        ratio = tgt if target_kind == "cycle_service" else tgt / (tgt + h)
        s = np.maximum(over.ppf(ratio), floor)
    s = np.where(mu > 0, s, 0.0)

    backorders = (over.loss2(s) - over.loss2(s + Q)) / Q
    # Position uniform on {s+1..s+Q} (discrete) or (s, s+Q] (continuous).
    mean_position = s + (Q + 1.0) / 2.0 if discrete else s + Q / 2.0
    on_hand = mean_position - over.mean + backorders
    if target_kind == "cycle_service":
        achieved = np.where(mu > 0, over.cdf(s), 1.0)
    else:
        achieved = np.where(mu > 0, _sq_fill_rate(s, Q, over), 1.0)
    cost = np.asarray(h * on_hand + p * backorders)
    return PolicyLevels(
        status=Status.OPTIMAL, objective=float(cost.sum()), bound=float("nan"),
        time_s=time.perf_counter() - start,
        message=f"(s, S) by {target_kind}, {distribution} demand",
        order_up_to=s + Q, reorder_point=s,
        safety_stock=np.asarray(np.maximum(s - over.mean, 0.0)),
        expected_on_hand=on_hand, expected_backorders=backorders, achieved_service=achieved,
        cost=cost,
    )


def base_stock_fill_rate_poisson(S, mean_per_period, lead_time_periods) -> np.ndarray:
    """Exact fill rate of a periodic-review base-stock level S (units) with Poisson demand.

    beta = 1 - (E[(D_{L+1} - S)^+] - E[(D_L - S)^+]) / mean, D_t ~ Poisson(t * mean), L in
    whole periods (Snyder and Shen sec. 4.3: the last order before a period's demand arrives
    L periods after it is placed, so S covers L + 1 periods).
    """
    S = np.asarray(S, float)
    lam = np.asarray(mean_per_period, float)
    L = np.asarray(lead_time_periods, float)
    short = poisson_loss(S, (L + 1.0) * lam) - poisson_loss(S, L * lam)
    return np.where(lam > 0, 1.0 - short / np.where(lam > 0, lam, 1.0), 1.0)
