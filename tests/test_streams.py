"""Quantiles of the scenario's distributions agree with the draws the model takes."""

from __future__ import annotations

import numpy as np
import pytest

from sim.scenario import Dist
from sim.streams import draw, quantile


@pytest.mark.parametrize("dist", [
    Dist(dist="fixed", mean=3.0),
    Dist(dist="exponential", mean=2.0),
    Dist(dist="normal", mean=1.0, cv=1.2),  # truncated at 0: a fifth of the mass sits there
    Dist(dist="lognormal", mean=4.0, cv=0.5),
    Dist(dist="gamma", mean=10.0, cv=0.2),
    Dist(dist="geometric", mean=3.0, min=1.0),
    Dist(dist="poisson", mean=2.5, min=1.0),
])
@pytest.mark.parametrize("q", [0.1, 0.5, 0.9])
def test_quantile_matches_the_draws(dist, q):
    sample = draw(np.random.default_rng(7), dist, 200_000)
    # the share of draws at or below the quantile is q (discrete: at least q, and under q
    # just below it)
    x = quantile(dist, q)
    assert (sample <= x).mean() >= q - 0.005
    assert (sample < x - 1e-9).mean() <= q + 0.005
