"""Rolling-origin backtest, model choice per series, empirical 80 % intervals and lead-time
forecast errors.

Each series is cut at `windows` origins, `step` days apart, the last one `horizon` days before
its end; every model forecasts the `horizon` days after each origin from the history before
it. MASE scales a window's mean absolute error by the in-sample mean absolute error of the
seasonal naive forecast on that window's history (Hyndman & Koehler 2006), so seasonal naive
itself scores about 1 and a model below 1 beats it. The model with the lowest mean MASE
forecasts the series from its whole history; on intermittent series (see
`models.is_intermittent`) the lowest mean RMSSE (the same with squared errors, as in the M5
competition) instead, because absolute errors are smallest for a forecast of zero whenever
most days have no demand (Kolassa 2016), and a zero forecast stocks nothing.

Intervals are empirical: the chosen model's backtest errors (actual - forecast, all windows
and days pooled) give the 10 % and 90 % quantiles added to the mean (lower end clipped at 0;
with zero demand on a tenth or more of the held-out days, [0, the 80 % quantile]),
so every model, ETS or Croston, gets an interval made the same way from out-of-sample errors
(Hyndman & Athanasopoulos, FPP3 section 5.5). The coverage reported is cross-validated: each
window's days are checked against the interval made from the other windows' errors only.
"""

from __future__ import annotations

from dataclasses import dataclass, field

import numpy as np
import pandas as pd

from optimize.errors import FieldProblem, InvalidInput
from sim.forecast.models import BASELINE, MODELS, SMOOTH_ONLY, forecasts, is_intermittent
from sim.forecast.series import TOTAL_ORDERS

__all__ = ["ForecastResult", "SeriesBacktest", "forecast_series", "lead_time_sigma"]

LO_Q, HI_Q = 0.10, 0.90  # an 80 % central interval


@dataclass
class SeriesBacktest:
    """One series' backtest: errors per model (windows x horizon days), the chosen model and
    its forecast with interval; units are the series' own (units or orders per day)."""

    name: str
    actual: np.ndarray  # (windows, horizon)
    errors: dict[str, np.ndarray]  # model -> actual - forecast, (windows, horizon)
    mase: dict[str, float]
    rmsse: dict[str, float]
    bias: dict[str, float]  # mean forecast - actual per day
    chosen: str
    intermittent: bool
    mean: np.ndarray = field(default_factory=lambda: np.zeros(0))
    lo80: np.ndarray = field(default_factory=lambda: np.zeros(0))
    hi80: np.ndarray = field(default_factory=lambda: np.zeros(0))
    coverage80: float = float("nan")  # cross-validated share of held-out days inside

    def lead_time_rmse(self) -> np.ndarray:
        """RMSE of the chosen model's error summed over the first k days, k = 1..horizon."""
        cum = np.cumsum(self.errors[self.chosen], axis=1)
        return np.sqrt(np.mean(cum**2, axis=0))


@dataclass
class ForecastResult:
    """Every series' backtest and forecast, with the dates forecast."""

    series: list[SeriesBacktest]
    dates: pd.DatetimeIndex
    horizon: int
    windows: int
    step: int
    season: int

    def forecast_table(self) -> pd.DataFrame:
        """Columns date, sku, mean, lo80, hi80 (units per day; orders per day for the
        TOTAL_ORDERS row)."""
        parts = [pd.DataFrame({"date": self.dates.date, "sku": s.name, "mean": s.mean,
                               "lo80": s.lo80, "hi80": s.hi80}) for s in self.series]
        return pd.concat(parts, ignore_index=True)

    def backtest_table(self) -> pd.DataFrame:
        """Per model: series it ran on, mean MASE and RMSSE, and seasonal naive's on the same
        series, mean bias per day (units per day, orders series left out) and times chosen."""
        rows = []
        for m in MODELS:
            ran = [s for s in self.series if np.isfinite(s.mase.get(m, np.nan))
                   and np.isfinite(s.mase.get(BASELINE, np.nan))]
            units = [s for s in ran if s.name != TOTAL_ORDERS]
            rows.append({
                "model": m, "series": len(ran),
                "mase": float(np.mean([s.mase[m] for s in ran])) if ran else np.nan,
                "mase_snaive": (float(np.mean([s.mase[BASELINE] for s in ran]))
                                if ran else np.nan),
                "rmsse": float(np.mean([s.rmsse[m] for s in ran])) if ran else np.nan,
                "rmsse_snaive": (float(np.mean([s.rmsse[BASELINE] for s in ran]))
                                 if ran else np.nan),
                "bias_units_per_day": (float(np.mean([s.bias[m] for s in units]))
                                       if units else np.nan),
                "chosen": sum(s.chosen == m for s in self.series)})
        return pd.DataFrame(rows)

    def errors_table(self) -> pd.DataFrame:
        """Per series and lead time k = 1..horizon days: RMSE of the forecast error summed
        over k days (units), from the backtest's windows."""
        parts = [pd.DataFrame({"sku": s.name, "lead_days": np.arange(1, self.horizon + 1),
                               "rmse": s.lead_time_rmse()}) for s in self.series]
        return pd.concat(parts, ignore_index=True)


def _origins(n: int, horizon: int, windows: int, step: int, season: int) -> np.ndarray:
    origins = n - horizon - step * np.arange(windows - 1, -1, -1)
    min_history = 2 * season
    if windows < 1 or step < 1 or horizon < 1 or origins[0] < min_history:
        raise InvalidInput(FieldProblem(
            "--backtest-windows", f"{n} days of history are too few for {windows} windows "
            f"{step} days apart with a {horizon}-day horizon (the first window needs "
            f">= {min_history} days of history before it)", windows))
    return origins


def _scaled_error(err: np.ndarray, y: np.ndarray, origins: np.ndarray, season: int,
                  power: int) -> float:
    # Mean over windows of (mean |e|^p / in-sample mean |seasonal naive e|^p)^(1/p):
    # MASE for p = 1, RMSSE for p = 2; windows with a flat history (scale 0) are left out.
    scores = []
    for w, o in enumerate(origins):
        scale = np.mean(np.abs(y[season:o] - y[:o - season]) ** power)
        if scale > 0:
            scores.append((np.mean(np.abs(err[w]) ** power) / scale) ** (1.0 / power))
    return float(np.mean(scores)) if scores else float("nan")


def _interval(mean: np.ndarray, actual: np.ndarray, errors: np.ndarray
              ) -> tuple[np.ndarray, np.ndarray]:
    """80 % interval around `mean` from backtest errors: central (10 % and 90 % quantiles);
    one-sided [0, 80 % quantile] when a tenth or more of the held-out days had no demand,
    since then the lower tail is the point mass at zero (the quantile is then the smallest
    error reaching 80 %: counts are discrete and an interpolated bound would drop a whole
    count's days)."""
    if np.mean(actual == 0) >= LO_Q:
        hi = mean + np.quantile(errors, HI_Q - LO_Q, method="inverted_cdf")
        return np.zeros_like(mean), np.maximum(hi, 0.0)
    return (np.maximum(mean + np.quantile(errors, LO_Q), 0.0),
            np.maximum(mean + np.quantile(errors, HI_Q), 0.0))


def _cv_coverage(actual: np.ndarray, errors: np.ndarray) -> float:
    if len(errors) < 2:
        return float("nan")
    inside = []
    for w in range(len(errors)):
        lo, hi = _interval(actual[w] - errors[w], np.delete(actual, w, axis=0),
                           np.delete(errors, w, axis=0))
        inside.append((actual[w] >= lo) & (actual[w] <= hi))
    return float(np.mean(inside))


def backtest_one(name: str, y: np.ndarray, horizon: int, windows: int, step: int,
                 season: int, models: tuple[str, ...] = tuple(MODELS)) -> SeriesBacktest:
    """Backtest every candidate model on daily series `y`, choose the lowest mean MASE (RMSSE
    if intermittent) and forecast the `horizon` days after the series with it."""
    origins = _origins(len(y), horizon, windows, step, season)
    actual = np.stack([y[o:o + horizon] for o in origins])
    intermittent = is_intermittent(y[:origins[0]])
    if intermittent:
        models = tuple(m for m in models if m not in SMOOTH_ONLY)
    rows: dict[str, np.ndarray] = {}
    for m in models:
        try:
            rows[m] = forecasts(m, y, np.append(origins, len(y)), horizon, season)
        except (ValueError, np.linalg.LinAlgError):  # a model that cannot fit is no candidate
            continue
    errors = {m: actual - f[:-1] for m, f in rows.items()}
    mase = {m: _scaled_error(e, y, origins, season, 1) for m, e in errors.items()}
    rmsse = {m: _scaled_error(e, y, origins, season, 2) for m, e in errors.items()}
    bias = {m: float(-np.mean(e)) for m, e in errors.items()}
    score = rmsse if intermittent else mase
    ranked = sorted((v, list(MODELS).index(m), m) for m, v in score.items() if np.isfinite(v))
    chosen = ranked[0][2] if ranked else BASELINE
    mean = rows[chosen][-1]
    lo, hi = _interval(mean, actual, errors[chosen])
    return SeriesBacktest(name=name, actual=actual, errors=errors, mase=mase, rmsse=rmsse,
                          bias=bias, chosen=chosen, intermittent=intermittent, mean=mean,
                          lo80=lo, hi80=hi, coverage80=_cv_coverage(actual, errors[chosen]))


def forecast_series(frame: pd.DataFrame, horizon: int, windows: int = 4, step: int = 7,
                    season: int = 7, models: tuple[str, ...] = tuple(MODELS),
                    progress=None) -> ForecastResult:
    """Backtest and forecast every column of a daily frame (from `daily_series`)."""
    series = []
    for i, name in enumerate(frame.columns):
        series.append(backtest_one(str(name), frame[name].to_numpy(float), horizon, windows,
                                   step, season, models))
        if progress is not None:
            progress(i + 1, len(frame.columns))
    dates = pd.date_range(frame.index[-1] + pd.Timedelta(days=1), periods=horizon, freq="D")
    return ForecastResult(series=series, dates=dates, horizon=horizon, windows=windows,
                          step=step, season=season)


def lead_time_sigma(errors: pd.DataFrame, sku: str, protection_days: float) -> float:
    """Standard deviation (units) of the forecast error over `protection_days`, from an
    errors table (sku, lead_days, rmse): measured when within the backtest horizon
    (variance interpolated between whole days), beyond it rmse_H * sqrt(P / H), below one day
    rmse_1 * sqrt(P), the independent-errors rule."""
    rows = errors[errors["sku"] == sku].sort_values("lead_days")
    days = rows["lead_days"].to_numpy(float)
    var = rows["rmse"].to_numpy(float) ** 2
    p = float(protection_days)
    if p <= days[0]:
        return float(np.sqrt(var[0] * p / days[0]))
    if p >= days[-1]:
        return float(np.sqrt(var[-1] * p / days[-1]))
    return float(np.sqrt(np.interp(p, days, var)))
