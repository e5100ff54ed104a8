"""Sweeps: points by field path, resumable after a crash, failures recorded, Dask = local."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import time
from pathlib import Path

import pandas as pd
import pytest
import yaml
from typer.testing import CliRunner

import sim.cli.sweep_command  # noqa: F401  (registers `fulfil sweep`)
from optimize.errors import InvalidInput
from sim.api import load_scenario, with_changes
from sim.cli.app import app
from sim.store import ResultStore
from sim.sweep import (
    MODE,
    execute,
    expand_points,
    load_sweep,
    make_tasks,
    plan_sweep,
    point_scenario,
    run_sweep,
)

from .conftest import SCENARIOS

ROOT = Path(__file__).resolve().parents[1]
MMC = SCENARIOS / "validation_mmc_pick_station.yaml"
# Tiny, fast runs: a one-station node for a few days.
TINY = {"run.horizon_days": 6, "run.warmup_days": 1}
FAILING = {"geography.points[0].weight": 0}  # passes the schema; the run refuses it


def _write_sweep(path: Path, replications: int = 2, failing: bool = False) -> Path:
    spec = {"name": "tiny", "scenario": str(MMC), "replications": replications,
            "changes": TINY, "grid": {"demand.orders_per_day": [60, 80, 100]},
            "points": [{}, FAILING] if failing else [{}]}
    path.write_text(yaml.safe_dump(spec))
    return path


def _comparable(df: pd.DataFrame) -> pd.DataFrame:
    return (df.drop(columns=["elapsed_s"]).sort_values("key").reset_index(drop=True)
            .sort_index(axis=1))


def test_points_are_the_product_of_grid_points_and_modes():
    pts = expand_points({"a": [1, 2], "b": ["x", "y", "z"]}, [{"c": 0}, {"c": 1}], ["m1", "m2"])
    assert len(pts) == 2 * 2 * 3 * 2
    assert len({tuple(sorted(p.items())) for p in pts}) == len(pts)
    assert expand_points() == [{}]


def test_point_changes_reach_the_scenario_and_mode_builds_the_variant():
    base = load_scenario(SCENARIOS / "us_one_node_in_house.yaml")
    sc = point_scenario(base, {"demand.orders_per_day": 1234, "nodes[0].mode": "3pl"})
    assert sc.demand.orders_per_day == 1234 and sc.nodes[0].mode.kind == "3pl"
    assert point_scenario(base, {MODE: "dropship"}).nodes[0].mode.kind == "dropship"


def test_every_bad_point_is_named_before_anything_runs():
    base = load_scenario(MMC)
    with pytest.raises(InvalidInput) as err:
        make_tasks(base, [{"demand.orders_pr_day": 5}, {"demand.orders_per_day": -1},
                          {MODE: "teleport"}], 1)
    paths = [p.path for p in err.value.problems]
    assert "points[0].demand.orders_pr_day" in paths
    assert any(p.startswith("points[1].demand.orders_per_day") for p in paths)
    assert "points[2].mode" in paths


def test_keys_depend_on_point_and_replication_only(tmp_path):
    base = with_changes(load_scenario(MMC), TINY)
    a = make_tasks(base, [{"demand.orders_per_day": 60}, {"demand.orders_per_day": 80}], 3)
    b = make_tasks(base, [{"demand.orders_per_day": 60}], 3)
    assert len({t.key for t in a}) == 6
    assert [t.key for t in b] == [t.key for t in a[:3]]  # same point, same keys


def test_a_failing_run_is_recorded_and_the_rest_complete(tmp_path):
    sweep = _write_sweep(tmp_path / "s.yaml", failing=True)
    df = run_sweep(sweep, tmp_path / "out", workers=2, progress=False)
    assert len(df) == 2 * 3 * 2
    bad = df[df["point"].str.contains("weight")]
    good = df[~df["point"].str.contains("weight")]
    assert (bad["status"] == "error").all()
    assert bad["error"].str.contains("InvalidInput").all()  # a named-field error, not a crash
    assert bad["error"].str.contains("geography").all()
    assert (good["status"] == "ok").all() and good["cost_per_order"].notna().all()
    # Failed runs are tried again on a re-run, finished ones are not.
    store = ResultStore(tmp_path / "out")
    report = execute(plan_sweep(load_sweep(sweep)), store, workers=0, progress=False)
    assert (report.skipped, report.ran, report.failed) == (6, 6, 6)
    assert len(store) == 12


def test_a_killed_sweep_resumes_with_no_duplicate_and_no_missing_row(tmp_path):
    sweep = _write_sweep(tmp_path / "s.yaml", replications=4)
    out = tmp_path / "out"
    runs = out / "runs"
    code = "import sim.cli.sweep_command; from sim.cli import main; main()"
    proc = subprocess.Popen([sys.executable, "-c", code, "sweep", str(sweep), "--out", str(out),
                             "--workers", "1"], cwd=ROOT, start_new_session=True,
                            stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    try:
        while proc.poll() is None and len(list(runs.glob("*.parquet"))) < 3:
            time.sleep(0.02)
    finally:
        os.killpg(proc.pid, signal.SIGKILL)  # the parent and its workers, mid-sweep
        proc.wait()
    first = {p.name: p.stat().st_mtime_ns for p in runs.glob("*.parquet")}
    assert 3 <= len(first) < 12, "the sweep was not interrupted midway"
    df = run_sweep(sweep, out, workers=2, progress=False)
    tasks = plan_sweep(load_sweep(sweep))
    assert len(df) == len(tasks) == 12
    assert set(df["key"]) == {t.key for t in tasks}
    assert df["key"].is_unique and (df["status"] == "ok").all()
    # What was finished before the crash was kept, not run again.
    assert {p.name: p.stat().st_mtime_ns for p in runs.glob("*.parquet")
            if p.name in first} == first


def test_dask_local_cluster_gives_the_same_table_as_local_processes(tmp_path):
    distributed = pytest.importorskip("distributed")
    sweep = _write_sweep(tmp_path / "s.yaml")
    local = run_sweep(sweep, tmp_path / "local", workers=2, progress=False)
    with distributed.LocalCluster(n_workers=2, threads_per_worker=1, processes=True,
                                  dashboard_address=None) as cluster, \
            distributed.Client(cluster) as client:
        remote = run_sweep(sweep, tmp_path / "dask", client=client, progress=False)
    assert len(local) == 6
    pd.testing.assert_frame_equal(_comparable(local), _comparable(remote))


def test_in_process_and_pool_agree_and_are_deterministic(tmp_path):
    sweep = _write_sweep(tmp_path / "s.yaml")
    a = run_sweep(sweep, tmp_path / "a", workers=0, progress=False)
    b = run_sweep(sweep, tmp_path / "b", workers=2, progress=False)
    pd.testing.assert_frame_equal(_comparable(a), _comparable(b))


def test_cli_runs_reports_and_exits_1_on_a_failed_run(tmp_path):
    runner = CliRunner()
    ok = runner.invoke(app, ["sweep", str(_write_sweep(tmp_path / "ok.yaml")), "--out",
                             str(tmp_path / "o1"), "--workers", "0"])
    assert ok.exit_code == 0, ok.output
    assert "6 run(s) now" in ok.output
    assert (tmp_path / "o1" / "summary.csv").exists()
    again = runner.invoke(app, ["sweep", str(tmp_path / "ok.yaml"), "--out",
                                str(tmp_path / "o1"), "--workers", "0"])
    assert "0 run(s) now, 6 already stored" in again.output
    bad = runner.invoke(app, ["sweep", str(_write_sweep(tmp_path / "bad.yaml", failing=True)),
                              "--out", str(tmp_path / "o2"), "--workers", "0"])
    assert bad.exit_code == 1
    assert "6 failed" in bad.output


def test_cli_names_a_bad_field_and_exits_2(tmp_path):
    path = tmp_path / "bad.yaml"
    path.write_text(yaml.safe_dump({"scenario": str(MMC), "grid": {"demand.orders_pr_day": [1]}}))
    res = CliRunner().invoke(app, ["sweep", str(path), "--out", str(tmp_path / "o")])
    assert res.exit_code == 2
    assert "points[0].demand.orders_pr_day" in res.output


def test_bundled_sweep_files_plan():
    for path in sorted((SCENARIOS / "sweeps").glob("*.yaml")):
        spec = load_sweep(path)
        assert plan_sweep(spec), path.name
        assert path.read_text().startswith("# Question:"), path.name
