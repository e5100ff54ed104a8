"""Candidate models: mean forecasts of a daily series at several origins.

Smooth series: ETS(A,N,A), additive error and weekly season, no trend (Hyndman et al. 2008),
from statsmodels, and seasonal naive. Intermittent series: Croston (1972), its bias-corrected
SBA (Syntetos & Boylan 2005) and TSB (Teunter, Syntetos & Babai 2011), a few lines each.
statsmodels is imported inside the functions so `fulfil --help` stays fast.

Every model gets the series and the origins (history lengths) and returns one forecast row per
origin; the last origin is usually the whole series, the forecast proper.
"""

from __future__ import annotations

import warnings
from collections.abc import Callable
from itertools import pairwise

import numpy as np

__all__ = ["BASELINE", "INTERMITTENT_ADI", "MODELS", "SMOOTH_ONLY", "forecasts",
           "is_intermittent"]

BASELINE = "SeasonalNaive"
ALPHA = 0.1  # smoothing constant of Croston, SBA and TSB: 0.05-0.2 is the usual range
INTERMITTENT_ADI = 1.32  # average demand interval above which a series is intermittent
# (Syntetos, Boylan & Croston 2005); ETS is not tried on those.


def seasonal_naive(y: np.ndarray, origins: np.ndarray, horizon: int, season: int) -> np.ndarray:
    """Each day forecast as the same weekday (`season` days) of the last week seen."""
    return np.stack([np.resize(y[o - season:o], horizon) for o in origins])


def ets(y: np.ndarray, origins: np.ndarray, horizon: int, season: int) -> np.ndarray:
    """ETS(A,N,A). Parameters are fitted on the first origin's history and reused, re-filtered,
    at later origins (no day after the first origin informs them); the last origin refits.
    Initial states by the heuristic of Hyndman et al. (2008, 2.6.1) where the history allows:
    it leaves two parameters to fit instead of two plus a season's, a tenth of the time."""
    from statsmodels.tsa.exponential_smoothing.ets import ETSModel

    def model(n: int, init: str) -> ETSModel:
        return ETSModel(y[:n], error="add", trend=None, seasonal="add",
                        seasonal_periods=season, initialization_method=init)

    out = []
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")  # convergence chatter on short or flat histories
        try:
            init = "heuristic"
            params = model(int(origins[0]), init).fit(disp=False).params
        except ValueError:  # too few seasons for the heuristic
            init = "estimated"
            params = model(int(origins[0]), init).fit(disp=False).params
        for i, o in enumerate(origins):
            last = i == len(origins) - 1 and len(origins) > 1
            # The refit starts from the first fit's parameters: same optimum, less time.
            res = (model(int(o), init).fit(disp=False, start_params=params) if last
                   else model(int(o), init).smooth(params))
            out.append(np.asarray(res.forecast(horizon), float))
    return np.stack(out)


def _croston_state(h: np.ndarray, alpha: float) -> tuple[float, float]:
    # Size z and interval p smoothed at each demand occurrence, started from the first one.
    nz = np.flatnonzero(h > 0)
    if len(nz) == 0:
        return 0.0, 1.0
    z, p = float(h[nz[0]]), float(nz[0] + 1)
    for prev, cur in pairwise(nz):
        z += alpha * (h[cur] - z)
        p += alpha * ((cur - prev) - p)
    return z, p


def croston(y: np.ndarray, origins: np.ndarray, horizon: int, season: int) -> np.ndarray:
    """Croston (1972): z / p, flat over the horizon."""
    return np.stack([np.full(horizon, z / p) for z, p in
                     (_croston_state(y[:o], ALPHA) for o in origins)])


def sba(y: np.ndarray, origins: np.ndarray, horizon: int, season: int) -> np.ndarray:
    """Syntetos-Boylan approximation (2005): (1 - alpha / 2) z / p, Croston without its bias."""
    return croston(y, origins, horizon, season) * (1.0 - ALPHA / 2.0)


def tsb(y: np.ndarray, origins: np.ndarray, horizon: int, season: int) -> np.ndarray:
    """TSB (2011): demand probability d updated every day, size z on demand days; d * z."""
    out = []
    for o in origins:
        h = y[:o]
        nz = h[h > 0]
        z = float(nz[0]) if len(nz) else 0.0
        d = float(np.mean(h > 0))
        for v in h:
            d += ALPHA * (float(v > 0) - d)
            if v > 0:
                z += ALPHA * (v - z)
        out.append(np.full(horizon, d * z))
    return np.stack(out)


MODELS: dict[str, Callable[[np.ndarray, np.ndarray, int, int], np.ndarray]] = {
    "SeasonalNaive": seasonal_naive, "ETS": ets, "Croston": croston, "SBA": sba, "TSB": tsb}
SMOOTH_ONLY = ("ETS",)


def is_intermittent(y: np.ndarray) -> bool:
    """Average interval between demand days above INTERMITTENT_ADI (or no demand at all)."""
    n_demand = int(np.count_nonzero(np.asarray(y) > 0))
    return n_demand == 0 or len(y) / n_demand > INTERMITTENT_ADI


def forecasts(model: str, y: np.ndarray, origins: np.ndarray, horizon: int,
              season: int = 7) -> np.ndarray:
    """Mean forecasts (origins x horizon days, same units as `y`, never negative) from each
    history y[:origin]."""
    fc = MODELS[model](np.asarray(y, float), np.asarray(origins), horizon, season)
    return np.maximum(fc, 0.0)
