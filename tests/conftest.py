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


def compare_cli(tmp: Path, changes: dict, *args: str) -> tuple:
    """`fulfil compare` on the bundled in-house scenario with `changes` (written as
    tmp/client.yaml), report in tmp/report, 2 workers: (scenario, report folder, output)."""
    import yaml
    from typer.testing import CliRunner

    import sim.cli.compare_command  # noqa: F401  (registers `fulfil compare`)
    from sim.api import load_scenario, with_changes
    from sim.cli.app import app

    sc = with_changes(load_scenario(SCENARIOS / "us_one_node_in_house.yaml"), changes)
    path = tmp / "client.yaml"
    path.write_text(yaml.safe_dump(sc.model_dump(mode="json")))
    out = tmp / "report"
    res = CliRunner().invoke(app, ["compare", str(path), *args, "--out", str(out),
                                   "--workers", "2"])
    assert res.exit_code == 0, res.output
    return sc, out, res.output
