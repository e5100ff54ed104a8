"""`fulfil sweep SWEEP.yaml --out DIR`: every point x replication, stored as each run ends."""

from __future__ import annotations

import math
from pathlib import Path
from typing import TYPE_CHECKING

import typer
from rich.console import Console

from optimize.errors import FieldProblem, InvalidInput
from sim.cli.app import app
from sim.cli.errors import at_least, bad_input_exits, input_file

if TYPE_CHECKING:
    from sim.sweep import SweepSpec, Task

console = Console()
err_console = Console(stderr=True)

SHOWN = {"cost_per_order": "cost/order", "on_time_pct": "on-time %", "two_day_pct": "2-day %",
         "unit_fill_rate_pct": "fill %"}


def _ci(mean: float, half: float) -> str:
    if math.isnan(mean):
        return "-"
    return f"{mean:,.2f}" if math.isnan(half) else f"{mean:,.2f} ± {half:,.2f}"


def _plan(spec: SweepSpec) -> list[Task]:
    """The sweep's tasks; a common change on a path the scenario lacks is an InvalidInput
    naming it."""
    from sim.api import with_changes
    from sim.scenario import load_scenario
    from sim.sweep import plan_sweep

    try:
        return plan_sweep(spec)
    except (KeyError, IndexError, TypeError):
        base = load_scenario(spec.scenario)
        problems = []
        for path, value in spec.changes.items():
            try:
                with_changes(base, {path: value})
            except (KeyError, IndexError, TypeError):
                problems.append(FieldProblem(f"changes.{path}", "no such field in the scenario",
                                             value))
            except ValueError:
                pass  # a bad value for a real field: reported with the others below
        if not problems:
            raise
        raise InvalidInput(problems) from None


@app.command("sweep")
def sweep(
    sweep_file: Path = typer.Argument(..., help="Sweep YAML file (scenario, grid/points, "
                                      "replications).", callback=input_file),
    out: Path = typer.Option(..., "--out", help="Results store folder (Parquet, one file per "
                             "run); runs already there are skipped."),
    workers: int | None = typer.Option(None, "--workers", callback=at_least(0),
                                       help="Local worker processes (default: all cores; "
                                       "0 = in this process)."),
    scheduler: str | None = typer.Option(None, "--scheduler",
                                         help="Dask scheduler address, e.g. tcp://host:8786."),
) -> None:
    """Run a sweep: one row per replication of every point in OUT; exit 1 if a run failed."""
    from rich.table import Table

    from sim.experiments import summarise
    from sim.store import ResultStore
    from sim.sweep import execute, load_sweep

    with bad_input_exits(str(sweep_file)):
        spec = load_sweep(sweep_file)
        tasks = _plan(spec)
    store = ResultStore(out)
    where = f"Dask at {scheduler}" if scheduler else (
        "this process" if workers == 0 else f"{workers or 'all'} local worker(s)")
    console.print(f"sweep {spec.name!r}: {len(tasks)} runs "
                  f"({len(tasks) // spec.replications} points x {spec.replications} "
                  f"replications) on {where}")
    report = execute(tasks, store, workers=workers, scheduler=scheduler)
    df = store.table(t.key for t in tasks)
    ok = df[df["status"] == "ok"] if len(df) else df
    summary = summarise(ok, ["point"], list(SHOWN)) if len(ok) else None
    if summary is not None:
        summary.to_csv(out / "summary.csv", index=False)
        table = Table(title=f"{spec.name}: means with 95 % intervals", header_style="bold")
        table.add_column("point", overflow="fold")
        table.add_column("runs", justify="right")
        for header in SHOWN.values():
            table.add_column(header, justify="right")
        for point, g in summary.groupby("point", sort=False):
            cells = {r.metric: _ci(r.mean, r.half_width) for r in g.itertuples()}
            table.add_row(point, str(int(g["n"].max())), *[cells.get(m, "-") for m in SHOWN])
        console.print(table)
    failed = df[df["status"] != "ok"] if len(df) else df
    for r in failed.itertuples():
        err_console.print(f"[red]failed[/red] {r.point} replication {r.replication}: {r.error}")
    console.print(f"{report.ran} run(s) now, {report.skipped} already stored, "
                  f"{len(failed)} failed, {report.elapsed_s:.1f} s; {len(df)} rows in "
                  f"{store.runs_dir} (DuckDB: read_parquet('{store.runs_dir}/*.parquet'))")
    if len(failed):
        raise typer.Exit(1)
