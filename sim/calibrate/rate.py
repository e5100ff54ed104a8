"""The order rate of a history: base level, trend, weekday, hour and annual profiles, spikes.

Daily order counts are fitted by a quasi-Poisson log-linear model on the days outside
spikes: log E[orders on day d] = b0 + b1 * years(d) + weekday(d) [+ month(d)]. Its standard
errors come from the Fisher information scaled by the Pearson dispersion (real daily counts
vary more than Poisson). Spike days are found twice: first against a centred rolling median,
then against the fitted model; a run of consecutive spike days is one spike, its multiplier
the ratio of its orders to the model's.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, timedelta

import numpy as np
import pandas as pd
from scipy import optimize, stats

__all__ = ["DemandFit", "DetectedSpike", "black_friday", "fit_demand_rate", "recurrence"]

# A day is a spike when its orders are above the model's 99.99 % Poisson quantile and at
# least this many times the expected count (1.3: a promotion, not a busy Monday).
SPIKE_RATIO = 1.3
SPIKE_QUANTILE = 0.9999
# Annual seasonality and trend can only be told apart with two years of history.
ANNUAL_MIN_DAYS = 730


@dataclass(frozen=True)
class DetectedSpike:
    """A run of consecutive spike days in the history."""

    start: date
    days: int
    multiplier: float  # orders over the model's expected orders on those days
    multiplier_se: float  # Poisson noise of the spike's orders, scaled by the dispersion
    recurs: str  # "black_friday", "cyber_monday" or "once"


@dataclass(frozen=True)
class DemandFit:
    """The fitted rate, with standard errors, and the daily series behind it."""

    orders_per_day: float  # base rate (no spike) on the day after the history, weekday-mean
    orders_per_day_se: float
    trend_per_year: float
    trend_per_year_se: float
    weekday_profile: list[float]  # Monday first, mean 1
    weekday_se: list[float]
    intraday_profile: list[float]  # share of a day's orders by hour, sums to 1
    annual_profile: list[float] | None  # January first, mean 1; None under two years
    spikes: list[DetectedSpike]
    daily: pd.DataFrame  # date, orders, expected (base model), spike (bool)
    dispersion: float  # Pearson chi-square / dof; 1 for Poisson counts
    first_day: date
    last_day: date


def black_friday(year: int) -> date:
    """The day after the fourth Thursday of November."""
    nov1 = date(year, 11, 1)
    first_thursday = nov1 + timedelta((3 - nov1.weekday()) % 7)
    return first_thursday + timedelta(22)


def recurrence(start: date) -> str:
    """Which calendar event a spike starting on `start` is: Black Friday, Cyber Monday or
    neither ("once")."""
    bf = black_friday(start.year)
    if start == bf:
        return "black_friday"
    if start == bf + timedelta(3):
        return "cyber_monday"
    return "once"


def _design(days: np.ndarray, dates: pd.DatetimeIndex, annual: bool) -> np.ndarray:
    cols = [np.ones(len(days)), days / 365.0]
    wd = dates.day_of_week.to_numpy()
    cols += [(wd == k).astype(float) for k in range(1, 7)]
    if annual:
        month = dates.month.to_numpy()
        cols += [(month == m).astype(float) for m in range(2, 13)]
    return np.column_stack(cols)


def _poisson_fit(x: np.ndarray, y: np.ndarray) -> tuple[np.ndarray, np.ndarray, float]:
    """Maximum-likelihood Poisson log-linear coefficients, their quasi-Poisson covariance and
    the dispersion."""
    def nll(b):
        eta = x @ b
        return float(np.exp(eta).sum() - y @ eta)

    def grad(b):
        return x.T @ (np.exp(x @ b) - y)

    def hess(b):
        return x.T @ (x * np.exp(x @ b)[:, None])

    b0 = np.zeros(x.shape[1])
    b0[0] = np.log(max(y.mean(), 0.5))
    res = optimize.minimize(nll, b0, jac=grad, hess=hess, method="trust-exact")
    mu = np.exp(x @ res.x)
    dof = max(len(y) - x.shape[1], 1)
    dispersion = max(float(((y - mu) ** 2 / mu).sum() / dof), 1.0)
    cov = np.linalg.pinv(hess(res.x)) * dispersion
    return res.x, cov, dispersion


def _spike_runs(flags: np.ndarray) -> list[tuple[int, int]]:
    """(first index, length) of each run of True."""
    edges = np.diff(np.concatenate([[0], flags.astype(int), [0]]))
    starts, ends = np.flatnonzero(edges == 1), np.flatnonzero(edges == -1)
    return list(zip(starts.tolist(), (ends - starts).tolist(), strict=True))


def fit_demand_rate(created_at: pd.Series, order_ids: pd.Series) -> DemandFit:
    """Fit the order rate of a history from each line's order id and local creation time."""
    heads = pd.DataFrame({"order": order_ids.to_numpy(), "t": created_at.to_numpy()})
    heads = heads.drop_duplicates("order")
    t = pd.DatetimeIndex(heads["t"])
    day_of = t.normalize()
    first, last = day_of.min(), day_of.max()
    dates = pd.date_range(first, last, freq="D")
    counts = pd.Series(1, index=day_of).groupby(level=0).size().reindex(dates, fill_value=0)
    y = counts.to_numpy(float)
    days = np.arange(len(dates), dtype=float)
    annual = len(dates) >= ANNUAL_MIN_DAYS
    x = _design(days, dates, annual)

    # First pass: spikes against a centred 3-week rolling median (robust to a week of spike).
    med = counts.rolling(21, center=True, min_periods=7).median().to_numpy()
    spike = (y > stats.poisson.ppf(SPIKE_QUANTILE, np.maximum(med, 0.5))) & (
        y >= SPIKE_RATIO * np.maximum(med, 0.5))
    for _ in range(2):  # second pass against the model fitted without them
        keep = ~spike
        if keep.sum() <= x.shape[1]:
            keep = np.ones(len(y), bool)
        b, cov, dispersion = _poisson_fit(x[keep], y[keep])
        mu = np.exp(x @ b)
        spike = (y > stats.poisson.ppf(SPIKE_QUANTILE, mu)) & (y >= SPIKE_RATIO * mu)

    spikes = []
    for i, n in _spike_runs(spike):
        start = dates[i].date()
        orders, expected = y[i:i + n].sum(), mu[i:i + n].sum()
        spikes.append(DetectedSpike(
            start=start, days=n, multiplier=float(orders / expected),
            multiplier_se=float(np.sqrt(dispersion * orders) / expected),
            recurs=recurrence(start)))

    w = np.exp(np.concatenate([[0.0], b[2:8]]))
    m = np.exp(np.concatenate([[0.0], b[8:19]])) if annual else np.ones(12)
    run_start_years = len(dates) / 365.0
    level = float(np.exp(b[0] + b[1] * run_start_years) * w.mean() * m.mean())
    # Delta method: d log(level) / d b.
    g = np.zeros(len(b))
    g[0], g[1] = 1.0, run_start_years
    g[2:8] = w[1:] / w.sum()
    if annual:
        g[8:19] = m[1:] / m.sum()
    level_se = level * float(np.sqrt(g @ cov @ g))
    trend = float(np.expm1(b[1]))
    trend_se = float(np.exp(b[1]) * np.sqrt(cov[1, 1]))
    weekday_se = [0.0] + [float(w[k] / w.mean() * np.sqrt(cov[k + 1, k + 1]))
                          for k in range(1, 7)]

    hours = t.hour.to_numpy()
    quiet = ~pd.Series(spike, index=dates).reindex(day_of).to_numpy()
    by_hour = np.bincount(hours[quiet], minlength=24).astype(float)
    intraday = by_hour / by_hour.sum()
    daily = pd.DataFrame({"date": dates, "orders": y.astype(np.int64), "expected": mu,
                          "spike": spike})
    return DemandFit(
        orders_per_day=level, orders_per_day_se=level_se, trend_per_year=trend,
        trend_per_year_se=trend_se, weekday_profile=(w / w.mean()).tolist(),
        weekday_se=weekday_se, intraday_profile=intraday.tolist(),
        annual_profile=(m / m.mean()).tolist() if annual else None, spikes=spikes,
        daily=daily, dispersion=dispersion, first_day=first.date(), last_day=last.date())
