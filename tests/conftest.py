"""Shared fixtures: the bundled scenarios and a cache of their runs."""

from __future__ import annotations

from pathlib import Path

import pytest

SCENARIOS = Path(__file__).resolve().parents[1] / "scenarios"


@pytest.fixture(scope="session")
def scenario_dir() -> Path:
    """The folder of bundled example scenarios."""
    return SCENARIOS
