"""What the run's planners know of demand: the forecast the look-ahead routing prices stock by
and the pre-build raises levels by (`demand.forecast`).

The plan: the stock levels are sized on the base rate the planners believe,
`demand.planned_orders_per_day` when the scenario gives one (a plan that turns out low or
high), else the true `demand.orders_per_day` that the orders are drawn at
(`planning_scenario`).

- `online` (the default, `OnlineForecast`): at time `now` a planner knows
  * from history, as calibration fits them and the scenario states them: the intraday and
    weekday profiles, the trend, and the base level at the start of the run (the plan's
    rate, the initial level);
  * from the calendar: the announced spikes, their dates and `expected_multiplier` (the
    planner's estimate, not the true `multiplier`);
  * from the run: how many orders were created on each complete day before `now` (orders
    with `created_h` before the last midnight at or before `now`; the day under way is not
    used, so the level is re-estimated once a day and cached per day).

  The base level is exponentially weighted over those days: L_0 = the plan's rate, and
  after day d, L_{d+1} = (1 - a) L_d + a n_d / e_d, where n_d is the day's order count and
  e_d its expected count at level 1 (weekday, trend and announced spikes at their expected
  multipliers). a = `SMOOTHING` = 0.3: half the weight on the last two days, so an
  unannounced spike raises the level from its first complete day (a 3.5x day moves it to
  1.75x), while on a stationary run with Poisson counts the level's relative standard error
  is sqrt(a / (2 - a) / (L e)), 1.3 % at 1,000 orders a day (`stationary_rel_sd`); a wrong
  initial level decays as (1 - a)^days. The rate at hour t is L(now) times the history's
  profiles and trend at t times the announced spikes' expected multipliers on their dates.
  An unannounced spike is invisible to this forecast until its orders arrive. The spike
  pre-build reads the level at each review (`sim.prebuild`), so it follows a base demand
  that runs above or below the plan.

- `oracle` (`OracleForecast`): the true rate, `sim.demand.rate_per_hour`, the true base level
  `orders_per_day`, and every spike at its true multiplier; for value-of-information studies
  (it is what the runs used before the online forecast existed, bit for bit). The stock
  levels stay the plan's under either forecast.
"""

from __future__ import annotations

from typing import Protocol

import numpy as np

from sim.demand import rate_per_hour
from sim.scenario import Scenario, Spike

__all__ = [
    "SMOOTHING",
    "DemandForecast",
    "OnlineForecast",
    "OracleForecast",
    "forecast_for",
    "information",
    "planning_scenario",
    "stationary_rel_sd",
]

SMOOTHING = 0.3  # weight of the latest complete day in the level (see the module docstring)

_INFORMATION = {
    "online": "online forecast (orders seen so far, announced spikes at their estimates)",
    "oracle": "oracle (the true demand rate and spikes)",
}


class DemandForecast(Protocol):
    """A planner's demand forecast: the rate it expects, and the spikes known in advance."""

    def rate(self, now_h: float, t_h: np.ndarray) -> np.ndarray:
        """Orders per hour expected at hours `t_h` (from the start of the run), as known at
        hour `now_h`."""
        ...

    def level(self, now_h: float) -> float:
        """Base orders per day (before weekday, trend and spikes) as known at hour `now_h`."""
        ...

    def known_spikes(self) -> list[Spike]:
        """Spikes known before they start, each with the multiplier the planner plans for."""
        ...


class OracleForecast:
    """The true demand rate and spikes (`demand.forecast: oracle`)."""

    def __init__(self, scenario: Scenario):
        self.scenario = scenario

    def rate(self, now_h: float, t_h: np.ndarray) -> np.ndarray:
        """Orders per hour at hours `t_h`: `rate_per_hour` exactly (`now_h` unused)."""
        return rate_per_hour(self.scenario, t_h)

    def level(self, now_h: float) -> float:
        """The true base orders per day, `demand.orders_per_day` (`now_h` unused)."""
        return float(self.scenario.demand.orders_per_day)

    def known_spikes(self) -> list[Spike]:
        """Every spike, at its true multiplier."""
        return list(self.scenario.demand.spikes)


class OnlineForecast:
    """The level estimated from the orders created on the complete days before `now`, times
    the history's profiles and trend and the announced spikes' expected multipliers (see the
    module docstring for what it knows)."""

    def __init__(self, scenario: Scenario, created_h: np.ndarray, smoothing: float = SMOOTHING,
                 initial_level: float | None = None):
        if not 0.0 < smoothing <= 1.0:
            raise ValueError(f"smoothing must be in (0, 1], got {smoothing}")
        d = scenario.demand
        self._spikes = [s.model_copy(update={"multiplier": s.expected_multiplier})
                        for s in d.spikes if s.announced]
        # the scenario at level 1 with the planner's spikes: its rate is the forecast's shape
        self._unit = scenario.model_copy(update={"demand": d.model_copy(
            update={"orders_per_day": 1.0, "spikes": self._spikes})})
        self._created_h = np.asarray(created_h, float)
        self.smoothing = float(smoothing)
        start = planning_scenario(scenario).demand.orders_per_day
        self._levels = [float(start if initial_level is None else initial_level)]

    def known_spikes(self) -> list[Spike]:
        """The announced spikes, each at its expected multiplier."""
        return list(self._spikes)

    def level(self, now_h: float) -> float:
        """Base orders per day (before weekday, trend and spikes) estimated at hour `now_h`
        from the complete days before it."""
        day = max(int(np.floor(now_h / 24.0)), 0)
        while len(self._levels) <= day:
            d = len(self._levels) - 1
            lo, hi = np.searchsorted(self._created_h, [24.0 * d, 24.0 * (d + 1)], side="left")
            expected = float(rate_per_hour(self._unit, 24.0 * d + np.arange(24.0)).sum())
            last = self._levels[-1]
            seen = (hi - lo) / expected if expected > 0 else last
            self._levels.append((1.0 - self.smoothing) * last + self.smoothing * seen)
        return self._levels[day]

    def rate(self, now_h: float, t_h: np.ndarray) -> np.ndarray:
        """Orders per hour expected at hours `t_h`, as known at hour `now_h`."""
        return self.level(now_h) * rate_per_hour(self._unit, t_h)


def forecast_for(scenario: Scenario, created_h: np.ndarray) -> DemandForecast:
    """The forecast `demand.forecast` names, fed (online) with the run's order creation
    times `created_h` (sorted, hours), of which it reads only those before `now`."""
    if scenario.demand.forecast == "oracle":
        return OracleForecast(scenario)
    return OnlineForecast(scenario, created_h)


def planning_scenario(scenario: Scenario) -> Scenario:
    """The scenario as its planners believe it: `demand.planned_orders_per_day` as the base
    rate when given (the orders are still drawn at the true `orders_per_day`), else itself."""
    planned = scenario.demand.planned_orders_per_day
    if planned is None:
        return scenario
    return scenario.model_copy(update={"demand": scenario.demand.model_copy(
        update={"orders_per_day": planned})})


def information(scenario: Scenario) -> str:
    """What the scenario's planners know of demand, in words, for comparison outputs."""
    return _INFORMATION[scenario.demand.forecast]


def stationary_rel_sd(orders_per_day: float, smoothing: float = SMOOTHING) -> float:
    """Relative standard deviation of the online level on a stationary Poisson run with
    `orders_per_day` expected orders a day (weekday factor 1), after its start has decayed."""
    return float(np.sqrt(smoothing / (2.0 - smoothing) / orders_per_day))
