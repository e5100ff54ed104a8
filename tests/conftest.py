"""Shared fixtures: the bundled scenarios and a cache of their runs."""

from __future__ import annotations

from pathlib import Path

import pytest
from hypothesis import settings

# The suite is deterministic: hypothesis draws the same examples on every run and machine
# (same seed, same result), so CI never fails on a case nobody can reproduce.
settings.register_profile("deterministic", derandomize=True)
settings.load_profile("deterministic")

SCENARIOS = Path(__file__).resolve().parents[1] / "scenarios"


@pytest.fixture(scope="session")
def scenario_dir() -> Path:
    """The folder of bundled example scenarios."""
    return SCENARIOS
