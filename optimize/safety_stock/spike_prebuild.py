"""Time-varying order-up-to levels that pre-build stock ahead of a forecast demand spike.

Periodic review every period, base stock, backorders, supplier lead time L whole periods: an
order placed at the start of period t arrives at the start of period t + L, so the level S_t
protects demand over periods t..t+L:
    S_t = sum_{u=t}^{t+L} mu_u + z sqrt(sum_{u=t}^{t+L} sigma_u^2),  z = Phi^{-1}(cycle service).
The spike multiplies mean and standard deviation (constant coefficient of variation) over
[start, start + duration). With a supplier capacity per period the levels are raised backwards,
S_t = max(S_t, S_{t+1} - capacity + mu_t), so every expected order fits the capacity.

Orders cannot be negative, so stock bought for the spike stays after it; the expected on-hand
and backorders of the spike-aware and the static plan (levels sized on the base forecast) are
therefore estimated by a seeded Monte Carlo of the inventory recursion, with common random
numbers for both plans.
"""

from __future__ import annotations

import time
from dataclasses import dataclass

import numpy as np
from scipy import special

from optimize.result import SolverResult, Status
from optimize.safety_stock.validation import ArrayChecks

__all__ = ["SpikePlan", "plan_spike_prebuild", "simulate_base_stock"]


@dataclass(frozen=True, kw_only=True)
class SpikePlan(SolverResult):
    """Per-period levels (units) and expected outcomes; `objective` = spike-aware total cost."""

    demand_mean: np.ndarray
    order_up_to: np.ndarray
    static_order_up_to: np.ndarray
    expected_on_hand: np.ndarray
    expected_backorders: np.ndarray
    static_expected_on_hand: np.ndarray
    static_expected_backorders: np.ndarray
    spike_fill_rate: float
    static_spike_fill_rate: float
    holding_cost_total: float
    static_holding_cost_total: float
    backorder_cost_total: float
    static_backorder_cost_total: float

    @property
    def extra_holding_cost(self) -> float:
        """Holding cost the pre-build adds over the static plan (currency)."""
        return self.holding_cost_total - self.static_holding_cost_total

    @property
    def static_total_cost(self) -> float:
        """Holding plus backorder cost of the static plan (currency)."""
        return self.static_holding_cost_total + self.static_backorder_cost_total


def _levels(mu: np.ndarray, sd: np.ndarray, L: int, z: float,
            capacity: float | None) -> np.ndarray:
    T = mu.size
    # The forecast beyond the horizon repeats the last period.
    mu_ext = np.concatenate([mu, np.full(L + 1, mu[-1])])
    var_ext = np.concatenate([sd**2, np.full(L + 1, sd[-1] ** 2)])
    cm = np.concatenate([[0.0], np.cumsum(mu_ext)])
    cv = np.concatenate([[0.0], np.cumsum(var_ext)])
    t = np.arange(T)
    S = (cm[t + L + 1] - cm[t]) + z * np.sqrt(cv[t + L + 1] - cv[t])
    if capacity is not None:
        for k in range(T - 2, -1, -1):
            S[k] = max(S[k], S[k + 1] - capacity + mu[k])
    return S


def simulate_base_stock(levels: np.ndarray, demand: np.ndarray, lead_time: int,
                        capacity: float | None = None) -> tuple[np.ndarray, np.ndarray]:
    """End-of-period on-hand and backorders (paths x periods) under time-varying base stock.

    Start with the first level on hand and nothing in the pipeline; each period first receive
    the order placed L periods ago, then order max(0, S_t - position) (capped by capacity),
    then meet demand.
    """
    P, T = demand.shape
    L = int(lead_time)
    level = np.full(P, float(levels[0]))  # inventory level (on hand - backorders)
    position = level.copy()
    pipeline = np.zeros((P, L + 1))
    on_hand = np.empty((P, T))
    back = np.empty((P, T))
    for t in range(T):
        q = np.maximum(levels[t] - position, 0.0)
        if capacity is not None:
            q = np.minimum(q, capacity)
        pipeline[:, (t + L) % (L + 1)] += q
        position += q
        level += pipeline[:, t % (L + 1)]
        pipeline[:, t % (L + 1)] = 0.0
        level -= demand[:, t]
        position -= demand[:, t]
        on_hand[:, t] = np.maximum(level, 0.0)
        back[:, t] = np.maximum(-level, 0.0)
    return on_hand, back


def plan_spike_prebuild(base_mean: float, base_sd: float, horizon: int, spike_start: int,
                        spike_duration: int, spike_multiplier: float, lead_time: int,
                        cycle_service: float = 0.95, *, holding_cost: float = 1.0,
                        backorder_cost: float = 10.0, supply_capacity: float | None = None,
                        n_paths: int = 2000, seed: int = 0) -> SpikePlan:
    """Spike-aware vs static base-stock levels over `horizon` periods (units, currency).

    Demand per period ~ N(mu_t, sigma_t^2) cut at 0; holding cost per unit on hand at the end
    of a period, backorder cost per unit backordered at the end of a period.
    """
    start = time.perf_counter()
    checks = ArrayChecks()
    checks.require("base_mean", base_mean, lambda a: a > 0, "must be > 0 units/period")
    checks.require("base_sd", base_sd, lambda a: a >= 0, "must be >= 0 units/period")
    checks.require("horizon", horizon, lambda a: (a >= 1) & (a == np.round(a)),
                   "must be a whole number of periods >= 1")
    checks.require("spike_start", spike_start, lambda a: (a >= 0) & (a < horizon),
                   "must lie inside the horizon")
    checks.require("spike_duration", spike_duration, lambda a: a >= 1, "must be >= 1 period")
    checks.require("spike_multiplier", spike_multiplier, lambda a: a > 0, "must be > 0")
    checks.require("lead_time", lead_time, lambda a: (a >= 0) & (a == np.round(a)),
                   "must be a whole number of periods >= 0")
    checks.require("cycle_service", cycle_service, lambda a: (a > 0) & (a < 1),
                   "must be strictly between 0 and 1")
    if supply_capacity is not None:
        checks.require("supply_capacity", supply_capacity, lambda a: a > 0, "must be > 0")
    checks.raise_if_any()

    T = int(horizon)
    in_spike = (np.arange(T) >= spike_start) & (np.arange(T) < spike_start + spike_duration)
    factor = np.where(in_spike, float(spike_multiplier), 1.0)
    mu = base_mean * factor
    sd = base_sd * factor
    z = float(special.ndtri(cycle_service))
    S = _levels(mu, sd, int(lead_time), z, supply_capacity)
    S_static = _levels(np.full(T, float(base_mean)), np.full(T, float(base_sd)), int(lead_time),
                       z, supply_capacity)
    rng = np.random.default_rng(seed)
    demand = np.maximum(mu + sd * rng.standard_normal((int(n_paths), T)), 0.0)
    oh, bo = simulate_base_stock(S, demand, int(lead_time), supply_capacity)
    oh_s, bo_s = simulate_base_stock(S_static, demand, int(lead_time), supply_capacity)

    def spike_fill(back: np.ndarray) -> float:
        # Units short in the spike window: the growth of backorders net of those cleared.
        prev = np.concatenate([np.zeros((back.shape[0], 1)), back[:, :-1]], axis=1)
        new_short = np.maximum(back - prev, 0.0)[:, in_spike].sum()
        return float(1.0 - new_short / max(demand[:, in_spike].sum(), 1e-12))

    hold, hold_s = holding_cost * oh.mean(0).sum(), holding_cost * oh_s.mean(0).sum()
    bcost, bcost_s = backorder_cost * bo.mean(0).sum(), backorder_cost * bo_s.mean(0).sum()
    return SpikePlan(
        status=Status.FEASIBLE, objective=float(hold + bcost), bound=float("nan"),
        time_s=time.perf_counter() - start,
        message=f"levels at z = {z:.3f}; outcomes over {n_paths} Monte Carlo paths",
        demand_mean=mu, order_up_to=S, static_order_up_to=S_static,
        expected_on_hand=oh.mean(0), expected_backorders=bo.mean(0),
        static_expected_on_hand=oh_s.mean(0), static_expected_backorders=bo_s.mean(0),
        spike_fill_rate=spike_fill(bo), static_spike_fill_rate=spike_fill(bo_s),
        holding_cost_total=float(hold), static_holding_cost_total=float(hold_s),
        backorder_cost_total=float(bcost), static_backorder_cost_total=float(bcost_s),
    )
