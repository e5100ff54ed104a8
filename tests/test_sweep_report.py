"""A sweep's table and chart: points sorted by their swept numbers as numbers, a table that
fits 80 columns, and a chart file that answers the sweep file's question."""

from __future__ import annotations

import io

import pandas as pd
import pytest
import yaml
from rich.console import Console
from typer.testing import CliRunner

import sim.cli.sweep_command  # noqa: F401  (registers `fulfil sweep`)
from sim.api import load_scenario, with_changes
from sim.cli.app import app
from sim.cli.sweep_command import WIDTH, sweep_table
from sim.sweep import MODE, expand_points, make_tasks
from sim.sweep_report import plot_sweep, short_name, sweep_question, sweep_summary

from .conftest import SCENARIOS

MMC = SCENARIOS / "validation_mmc_pick_station.yaml"


def _tasks(grid, modes=(), replications=2):
    # the dropship mode needs its supplier's site (issue 17): one of the named regions
    base = with_changes(load_scenario(MMC), {"alternatives.dropship_supplier": "us_midwest"})
    return make_tasks(base, expand_points(grid, None, list(modes)), replications, "t")


def _fake_runs(tasks) -> pd.DataFrame:
    """Stored rows as a sweep writes them, with made-up KPIs (no simulation)."""
    rows = []
    for t in tasks:
        v = float(t.changes.get("demand.orders_per_day", 1))
        rows.append({"point": t.point, "replication": t.replication, "status": "ok",
                     "cost_per_order": 10 + 1000 / v + t.replication,
                     "two_day_pct": min(100.0, 50 + v / 100 + t.replication),
                     "on_time_pct": 90.0 + t.replication, "unit_fill_rate_pct": 99.0})
    return pd.DataFrame(rows)


def _natural_width(table) -> int:
    return Console(width=1000, file=io.StringIO()).measure(table).maximum


def test_numbers_sort_as_numbers_and_modes_as_listed():
    tasks = _tasks({"demand.orders_per_day": [1500, 3000, 500]}, ["dropship", "in_house"])
    summary = sweep_summary(_fake_runs(tasks), tasks)
    points = summary.drop_duplicates("point")
    assert points["demand.orders_per_day"].tolist() == [500, 500, 1500, 1500, 3000, 3000]
    assert points[MODE].tolist() == ["dropship", "in_house"] * 3
    # the text labels would sort 1500 < 3000 < 500
    assert sorted(points["point"])[0].startswith("demand.orders_per_day=1500")
    first = summary[summary["point"] == points["point"].iloc[0]]
    assert first["metric"].tolist() == ["cost_per_order", "two_day_pct", "on_time_pct",
                                        "unit_fill_rate_pct"]
    assert (first["n"] == 2).all()


def test_short_names():
    assert short_name("demand.orders_per_day") == "orders/day"
    assert short_name("nodes[1].resources.pickers.count") == "pickers count"
    assert short_name(MODE) == "mode"


@pytest.mark.parametrize("grid,modes", [
    ({"demand.orders_per_day": [500, 1500, 3000]}, ["in_house", "3pl", "dropship"]),
    ({"nodes[0].resources.pickers.count": [6, 8, 10]}, []),
    # too many swept fields for columns: numbered points with a key above
    ({"demand.orders_per_day": [500, 123456], "nodes[0].resources.pickers.count": [6, 8],
      "nodes[0].resources.packers.count": [3, 4], "run.seed": [1, 2]}, ["marketplace"]),
])
def test_the_printed_table_fits_80_columns(grid, modes, tmp_path):
    tasks = _tasks(grid, modes)
    summary = sweep_summary(_fake_runs(tasks), tasks)
    wide = sweep_table(summary, "t")
    numbered = sweep_table(summary, "t", numbered=True)
    assert _natural_width(numbered) <= WIDTH
    if len(grid) == 1:
        assert _natural_width(wide) <= WIDTH
    else:
        assert _natural_width(wide) > WIDTH  # so the CLI prints the numbered one


def test_the_chart_answers_the_question(tmp_path):
    tasks = _tasks({"demand.orders_per_day": [500, 1500, 3000]}, ["in_house", "3pl"])
    summary = sweep_summary(_fake_runs(tasks), tasks)
    path = plot_sweep(summary, tmp_path / "sweep.png", title="At what volume?",
                      currency="USD")
    assert path.exists() and path.read_bytes()[:8] == b"\x89PNG\r\n\x1a\n"
    question = sweep_question(SCENARIOS / "sweeps" / "volume_by_mode.yaml")
    assert question.startswith("At what daily volume") and question.endswith("?")


def test_cli_table_fits_80_columns_sorted_and_writes_the_chart(tmp_path):
    sweep = tmp_path / "s.yaml"
    sweep.write_text("# Question: does volume matter? Tiny runs.\n" + yaml.safe_dump({
        "name": "tiny", "scenario": str(MMC), "replications": 2,
        "changes": {"run.horizon_days": 4, "run.warmup_days": 1},
        "grid": {"demand.orders_per_day": [100, 60, 80]}, "modes": ["in_house", "3pl"]}))
    res = CliRunner().invoke(app, ["sweep", str(sweep), "--out", str(tmp_path / "o"),
                                   "--workers", "0"])
    assert res.exit_code == 0, res.output
    lines = res.output.splitlines()
    assert max(len(line) for line in lines) <= WIDTH
    rows = [line.split() for line in lines if line.split()[:1] in (["60"], ["80"], ["100"])]
    assert [r[0] for r in rows] == ["60", "60", "80", "80", "100", "100"]
    assert [r[1] for r in rows] == ["in_house", "3pl"] * 3
    assert (tmp_path / "o" / "sweep.png").stat().st_size > 0
    summary = pd.read_csv(tmp_path / "o" / "summary.csv")
    assert summary["demand.orders_per_day"].drop_duplicates().tolist() == [60, 80, 100]
