"""Independent random streams per source, and vectorised draws from a `Dist`.

Each source (demand arrivals, pick times, transit, ...) gets its own generator derived from
the run's seed, the replication and a stable hash of the source's name. Adding a source
never shifts another's numbers, so two strategies run on the same seed see the same demand
(common random numbers).
"""

from __future__ import annotations

import zlib

import numpy as np

from sim.scenario import Dist

__all__ = ["Sampler", "Streams", "count_moments", "draw", "draw_count", "quantile"]


class Streams:
    """Named, independent numpy generators for one replication of one seed."""

    def __init__(self, seed: int, replication: int = 0):
        self.seed = seed
        self.replication = replication
        self._cache: dict[str, np.random.Generator] = {}

    def __getitem__(self, source: str) -> np.random.Generator:
        gen = self._cache.get(source)
        if gen is None:
            key = (self.replication, zlib.crc32(source.encode()))
            gen = np.random.default_rng(np.random.SeedSequence(self.seed, spawn_key=key))
            self._cache[source] = gen
        return gen


def draw(rng: np.random.Generator, dist: Dist, size: int | tuple[int, ...]) -> np.ndarray:
    """Draw `size` values of `dist` (floats; counts for geometric/poisson), never negative."""
    mean, cv, low = dist.mean, dist.cv, dist.min
    if dist.dist == "fixed" or (cv == 0 and dist.dist in ("normal", "lognormal", "gamma")):
        return np.full(size, mean, dtype=float)
    if dist.dist == "empirical":
        return rng.choice(np.asarray(dist.values, float), size=size, p=dist.probabilities())
    if dist.dist == "exponential":
        return rng.exponential(mean, size)
    if dist.dist == "normal":
        return np.maximum(rng.normal(mean, cv * mean, size), 0.0)
    if dist.dist == "lognormal":
        sigma2 = np.log1p(cv * cv)
        return rng.lognormal(np.log(mean) - sigma2 / 2, np.sqrt(sigma2), size)
    if dist.dist == "gamma":
        shape = 1.0 / (cv * cv)
        return rng.gamma(shape, mean / shape, size)
    excess = mean - low  # geometric / poisson counts shifted to start at `min`
    if excess <= 0:
        return np.full(size, low, dtype=float)
    if dist.dist == "geometric":
        return low + rng.geometric(1.0 / (1.0 + excess), size) - 1.0
    return low + rng.poisson(excess, size).astype(float)


def _continuous_excess(dist: Dist) -> Dist | None:
    # A continuous count is `min` plus an excess with the count's own spread, so the count
    # keeps its mean and standard deviation and never falls below `min`.
    excess = dist.mean - dist.min
    if excess <= 0:
        return None
    if dist.dist == "exponential":
        return Dist(dist="exponential", mean=excess)
    return Dist(dist=dist.dist, mean=excess, cv=dist.cv * dist.mean / excess)


def draw_count(rng: np.random.Generator, dist: Dist, size: int) -> np.ndarray:
    """Draw `size` whole counts (lines per order, units per line) of `dist`, never below its
    whole `min`: geometric and poisson as they are; a fixed or continuous value is `min` plus
    an excess with the count's own standard deviation, rounded up with probability equal to
    its fractional part (unbiased rounding). The mean is `dist.mean` except for `normal`,
    whose excess is cut at 0 (see `count_moments`)."""
    if dist.dist in ("geometric", "poisson"):
        return draw(rng, dist, size).astype(np.int64)
    if dist.dist == "empirical":  # observed counts are whole already
        return np.maximum(np.round(draw(rng, dist, size)), np.ceil(dist.min)).astype(np.int64)
    low = float(np.ceil(dist.min))
    if dist.dist == "fixed":
        x = np.full(size, max(dist.mean, low))
    else:
        excess = _continuous_excess(dist)
        x = np.full(size, low) if excess is None else dist.min + draw(rng, excess, size)
    whole = np.floor(x)
    frac = x - whole
    if frac.any():
        whole += rng.random(size) < frac
    return np.maximum(whole, low).astype(np.int64)


def count_moments(dist: Dist) -> tuple[float, float]:
    """Mean and second moment of a count as `draw_count` realises it (the unbiased rounding
    adds a variance of at most 1/4, left out). A normal excess is censored at 0:
    E[max(X, 0)] = m Phi(m/s) + s phi(m/s), E[max(X, 0)^2] = (m^2 + s^2) Phi(m/s)
    + m s phi(m/s)."""
    if dist.dist == "empirical":
        v = np.maximum(np.round(dist.values), np.ceil(dist.min))
        p = dist.probabilities()
        return float(p @ v), float(p @ v**2)
    excess = max(dist.mean - dist.min, 0.0)
    if excess == 0 and dist.dist != "fixed":
        return dist.mean, dist.mean**2  # always `min`
    if dist.dist == "normal" and dist.cv > 0:
        from scipy import stats

        s = dist.cv * dist.mean
        z = excess / s
        mean_x = excess * stats.norm.cdf(z) + s * stats.norm.pdf(z)
        m2_x = (excess**2 + s**2) * stats.norm.cdf(z) + excess * s * stats.norm.pdf(z)
        mean = dist.min + mean_x
        return mean, m2_x - mean_x**2 + mean**2
    if dist.dist == "geometric":
        var = excess * (1.0 + excess)
    elif dist.dist == "poisson":
        var = excess
    elif dist.dist == "fixed":
        var = 0.0
    elif dist.dist == "exponential":
        var = excess**2
    else:
        var = (dist.cv * dist.mean) ** 2
    return dist.mean, var + dist.mean**2


def quantile(dist: Dist, q: float) -> float:
    """The `q`-quantile of `dist` as `draw` samples it (normal truncated at 0), in its unit."""
    from scipy import stats

    mean, cv, low = dist.mean, dist.cv, dist.min
    if dist.dist == "fixed" or (cv == 0 and dist.dist in ("normal", "lognormal", "gamma")):
        return float(mean)
    if dist.dist == "empirical":
        order = np.argsort(dist.values, kind="stable")
        cum = np.cumsum(dist.probabilities()[order])
        i = min(int(np.searchsorted(cum, q - 1e-12)), len(order) - 1)
        return float(np.asarray(dist.values, float)[order][i])
    if dist.dist == "exponential":
        return float(stats.expon.ppf(q, scale=mean))
    if dist.dist == "normal":
        return float(max(stats.norm.ppf(q, mean, cv * mean), 0.0))
    if dist.dist == "lognormal":
        sigma2 = np.log1p(cv * cv)
        return float(stats.lognorm.ppf(q, np.sqrt(sigma2), scale=mean * np.exp(-sigma2 / 2)))
    if dist.dist == "gamma":
        shape = 1.0 / (cv * cv)
        return float(stats.gamma.ppf(q, shape, scale=mean / shape))
    excess = mean - low
    if excess <= 0:
        return float(low)
    if dist.dist == "geometric":
        return float(low + stats.geom.ppf(q, 1.0 / (1.0 + excess)) - 1.0)
    return float(low + stats.poisson.ppf(q, excess))


class Sampler:
    """Draws one value at a time from `dist`, refilled in numpy blocks (fast in a hot loop)."""

    __slots__ = ("_block", "_buf", "_i", "dist", "rng", "scale")

    def __init__(self, rng: np.random.Generator, dist: Dist, scale: float = 1.0,
                 block: int = 4096):
        self.rng, self.dist, self.scale, self._block = rng, dist, scale, block
        self._buf: list[float] = []
        self._i = 0

    def __call__(self) -> float:
        """The next value, times `scale` (e.g. 1/3600 to turn seconds into hours)."""
        if self._i >= len(self._buf):
            self._buf = (draw(self.rng, self.dist, self._block) * self.scale).tolist()
            self._i = 0
        self._i += 1
        return self._buf[self._i - 1]
