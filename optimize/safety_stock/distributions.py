"""Demand over a protection interval and its loss functions, vectorised over SKU-node arrays.

Conventions (Snyder and Shen, *Fundamentals of Supply Chain Theory*, 2nd ed., sec. 4.2 and
appendix C): for demand D with cdf F,

- first-order loss  n(x)  = E[(D - x)^+]  (expected units short of x),
- complementary     nbar(x) = E[(x - D)^+] = x - E[D] + n(x)  (expected units left over),
- second-order loss n2(x) = 1/2 E[(D - x)^+ (D - x - 1)^+] (discrete) or
  1/2 E[((D - x)^+)^2] (continuous), so that n2(r) - n2(r + Q) is the sum (integral) of n over
  (r, r + Q].

Demand over a random lead time L plus `extra` periods, with per-period demand of mean mu and
standard deviation sigma, has mean mu (E[L] + extra) and variance
sigma^2 (E[L] + extra) + mu^2 Var[L] (Snyder and Shen eq. 4.49-4.50).
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
from scipy import special

__all__ = [
    "DemandDistribution",
    "DiscreteDemand",
    "NormalDemand",
    "demand_over",
    "normal_loss",
    "poisson_loss",
]

_SQRT_2PI = float(np.sqrt(2.0 * np.pi))
DISTRIBUTIONS = ("normal", "poisson", "negbin")


def _phi(z: np.ndarray) -> np.ndarray:
    return np.exp(-0.5 * z * z) / _SQRT_2PI


@dataclass(frozen=True)
class NormalDemand:
    """Normal demand N(mean, sd^2) per element; sd == 0 means deterministic demand."""

    mean: np.ndarray
    sd: np.ndarray

    def _z(self, x: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
        safe = np.where(self.sd > 0, self.sd, 1.0)
        return (np.asarray(x, float) - self.mean) / safe, safe

    def cdf(self, x: np.ndarray) -> np.ndarray:
        """P(D <= x)."""
        z, _ = self._z(x)
        return np.where(self.sd > 0, special.ndtr(z), (x >= self.mean).astype(float))

    def loss(self, x: np.ndarray) -> np.ndarray:
        """n(x) = sd * (phi(z) - z (1 - Phi(z))), z = (x - mean) / sd."""
        z, sd = self._z(x)
        smooth = sd * (_phi(z) - z * special.ndtr(-z))
        return np.where(self.sd > 0, smooth, np.maximum(self.mean - x, 0.0))

    def loss2(self, x: np.ndarray) -> np.ndarray:
        """n2(x) = sd^2 / 2 * ((z^2 + 1)(1 - Phi(z)) - z phi(z))."""
        z, sd = self._z(x)
        smooth = 0.5 * sd * sd * ((z * z + 1.0) * special.ndtr(-z) - z * _phi(z))
        return np.where(self.sd > 0, smooth, 0.5 * np.maximum(self.mean - x, 0.0) ** 2)

    def ppf(self, p: np.ndarray) -> np.ndarray:
        """Smallest x with P(D <= x) >= p."""
        return self.mean + self.sd * special.ndtri(p)


@dataclass(frozen=True)
class DiscreteDemand:
    """Poisson (shape = inf) or negative binomial (shape r, success prob `prob`) on 0, 1, 2, ...

    Partial moments use the size-biased identities k P(D = k) = mean P(D' = k - 1), where D' is
    Poisson(mean) again, or negative binomial with shape r + 1 (same prob).
    """

    mean: np.ndarray
    shape: np.ndarray  # negative-binomial r; inf for Poisson
    prob: np.ndarray  # negative-binomial p = mean / variance; 1 for Poisson

    def _cdf_shifted(self, x: np.ndarray, extra_shape: int) -> np.ndarray:
        k = np.floor(np.asarray(x, float))
        ok = k >= 0
        kk = np.where(ok, k, 0.0)
        pois = special.pdtr(kk, self.mean)
        finite = np.isfinite(self.shape)
        r = np.where(finite, self.shape, 1.0) + extra_shape
        nb = special.betainc(r, kk + 1.0, np.where(finite, self.prob, 0.5))
        return np.where(ok, np.where(finite, nb, pois), 0.0)

    def cdf(self, x: np.ndarray) -> np.ndarray:
        """P(D <= x)."""
        return self._cdf_shifted(x, 0)

    def _partial1(self, x: np.ndarray) -> np.ndarray:
        """E[D 1{D <= x}]."""
        return self.mean * self._cdf_shifted(np.asarray(x, float) - 1.0, 1)

    def _factorial2(self) -> np.ndarray:
        """E[D (D - 1)] = variance + mean^2 - mean (variance = mean / prob; prob = 1: Poisson)."""
        return self.mean / self.prob + self.mean**2 - self.mean

    def loss(self, x: np.ndarray) -> np.ndarray:
        """n(x) = mean - x + x F(x) - E[D 1{D <= x}]  (x integer)."""
        x = np.floor(np.asarray(x, float))
        return self.mean - x + x * self.cdf(x) - self._partial1(x)

    def loss2(self, x: np.ndarray) -> np.ndarray:
        """n2(x) = 1/2 E[(D - x)(D - x - 1); D > x]  (x integer), from partial moments."""
        x = np.floor(np.asarray(x, float))
        fm2 = self._factorial2()
        full = fm2 - 2.0 * x * self.mean + x * (x + 1.0)
        partial2 = fm2 * self._cdf_shifted(x - 2.0, 2)
        low = partial2 - 2.0 * x * self._partial1(x) + x * (x + 1.0) * self.cdf(x)
        return 0.5 * (full - low)

    def ppf(self, p: np.ndarray) -> np.ndarray:
        """Smallest integer x >= 0 with P(D <= x) >= p."""
        p = np.asarray(p, float)
        return smallest_integer_where(lambda x: self.cdf(x) >= p, self.upper())

    def upper(self) -> np.ndarray:
        """An integer above which essentially no mass lies (mean + 12 sd + 10)."""
        var = np.where(np.isfinite(self.shape), self.mean / self.prob, self.mean)
        return np.ceil(self.mean + 12.0 * np.sqrt(var) + 10.0)


DemandDistribution = NormalDemand | DiscreteDemand


def smallest_integer_where(ok, upper: np.ndarray, lower: np.ndarray | float = 0.0) -> np.ndarray:
    """Vectorised bisection: smallest integer x >= lower with ok(x), ok monotone.

    `upper` is a first guess; it doubles where ok(upper) fails (heavy negative-binomial tails).
    """
    hi = np.asarray(upper, float).copy()
    for _ in range(64):
        short = ~np.asarray(ok(hi), bool)
        if not short.any():
            break
        hi = np.where(short, 2.0 * hi + 1.0, hi)
    lo = np.broadcast_to(np.asarray(lower, float) - 1.0, hi.shape).copy()  # ok(lo) is False
    while True:
        open_ = hi - lo > 1.0
        if not open_.any():
            return hi
        mid = np.floor((lo + hi) / 2.0)
        good = ok(mid)
        hi = np.where(open_ & good, mid, hi)
        lo = np.where(open_ & ~good, mid, lo)


def demand_over(
    kind: str,
    demand_mean: np.ndarray,
    demand_sd: np.ndarray,
    lead_time_mean: np.ndarray,
    lead_time_sd: np.ndarray,
    extra_periods: np.ndarray | float,
) -> DemandDistribution:
    """Demand over a random lead time plus `extra_periods`, fitted by its first two moments.

    `normal`: N(m, v). `poisson`: Poisson(m) when the lead time is fixed, else the negative
    binomial with the same mean and variance (exact when the lead time is gamma distributed).
    `negbin`: negative binomial with per-period variance demand_sd^2 (falls back to Poisson when
    the variance does not exceed the mean).
    """
    mu = np.asarray(demand_mean, float)
    periods = np.asarray(lead_time_mean, float) + np.asarray(extra_periods, float)
    lt_var = np.asarray(lead_time_sd, float) ** 2
    mean = mu * periods
    if kind == "normal":
        var = np.asarray(demand_sd, float) ** 2 * periods + mu**2 * lt_var
        return NormalDemand(*np.broadcast_arrays(mean, np.sqrt(var)))
    if kind == "poisson":
        var = mean + mu**2 * lt_var
    elif kind == "negbin":
        var = np.asarray(demand_sd, float) ** 2 * periods + mu**2 * lt_var
    else:
        raise ValueError(f"distribution must be one of {DISTRIBUTIONS}, got {kind!r}")
    mean, var = np.broadcast_arrays(mean, var)
    over = (var > mean * (1.0 + 1e-12)) & (mean > 0)
    safe_var = np.where(over, var, 1.0)
    shape = np.where(over, mean**2 / np.where(over, var - mean, 1.0), np.inf)
    prob = np.where(over, mean / safe_var, 1.0)
    return DiscreteDemand(mean, shape, prob)


def normal_loss(x: np.ndarray, mean: np.ndarray, sd: np.ndarray) -> np.ndarray:
    """E[(D - x)^+] for D ~ N(mean, sd^2), in units."""
    dist = NormalDemand(*np.broadcast_arrays(np.asarray(mean, float), np.asarray(sd, float)))
    return dist.loss(x)


def poisson_loss(x: np.ndarray, mean: np.ndarray) -> np.ndarray:
    """E[(D - x)^+] for D ~ Poisson(mean), x integer, in units."""
    m = np.asarray(mean, float)
    return DiscreteDemand(m, np.full_like(m, np.inf), np.ones_like(m)).loss(x)
