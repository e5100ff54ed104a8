"""How long the start-up transient lasts: MSER-5 on a run's daily series.

MSER (White 1997; MSER-5 in White, Cobb and Spratt 2000) truncates the first d batches of a
series of n batch means Y (batches of 5 observations) where the standard error of the mean
of what is left is smallest:

    d* = argmin_{0 <= d <= n/2}  sum_{i > d} (Y_i - mean(Y_{>d}))^2 / (n - d)^2

A run reports d* in days for each daily series and the largest as its suggested warm-up, so a
reader sees whether the scenario's `run.warmup_days` covered the transient.
"""

from __future__ import annotations

import math

import numpy as np
import pandas as pd

__all__ = ["BATCH", "mser5_days", "warmup_report"]

BATCH = 5  # observations (days) per batch


def mser5_days(series: np.ndarray) -> int:
    """MSER-5 truncation point of a daily series, in days (a multiple of 5); 0 when the
    series is shorter than two batches."""
    x = np.asarray(series, float)
    x = x[np.isfinite(x)]
    n = len(x) // BATCH
    if n < 2:
        return 0
    y = x[: n * BATCH].reshape(n, BATCH).mean(axis=1)
    best_d, best = 0, math.inf
    for d in range(n // 2 + 1):
        rest = y[d:]
        score = float(((rest - rest.mean()) ** 2).sum()) / (n - d) ** 2
        # a later cut must be better by more than rounding to be taken
        if d == 0 or score < best - 1e-12 * max(best, 1.0):
            best_d, best = d, score
    return best_d * BATCH


def warmup_report(daily: pd.DataFrame, hourly: pd.DataFrame, warmup_days: int) -> dict:
    """MSER-5 warm-up (days) of the network's daily stock on hand (time average) and open
    shipments (time average), the largest of them, and whether the configured warm-up is
    shorter."""
    series = {}
    if "on_hand_units_avg" in daily:
        series["on_hand_units"] = daily.groupby("day")["on_hand_units_avg"].sum(min_count=1)
    if "open_shipments_avg" in hourly and len(hourly):
        open_avg = hourly.dropna(subset=["open_shipments_avg"])
        series["open_shipments"] = open_avg.groupby(
            (open_avg["t_h"] // 24).astype(int))["open_shipments_avg"].sum() / 24.0
    days = {k: mser5_days(v.sort_index().to_numpy()) for k, v in series.items()}
    # A cut at the limit (half the run) means MSER found no settled stretch to keep.
    limit = {k: BATCH * ((v.notna().sum() // BATCH) // 2) for k, v in series.items()}
    suggested = max(days.values(), default=0)
    return {"method": "MSER-5 on daily series", "configured_days": warmup_days,
            "mser5_days": days, "suggested_days": suggested,
            "configured_too_short": suggested > warmup_days,
            "not_settled": sorted(k for k in days if limit[k] and days[k] >= limit[k])}
