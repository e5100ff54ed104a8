"""`fulfil sweep SWEEP.yaml --out DIR`: every point x replication, stored as each run ends."""

from __future__ import annotations

import io
import math
from pathlib import Path
from typing import TYPE_CHECKING

import typer
from rich.console import Console

from optimize.errors import FieldProblem, InvalidInput
from sim.cli.app import app
from sim.cli.errors import at_least, bad_input_exits, input_file

if TYPE_CHECKING:
    import pandas as pd
    from rich.table import Table

    from sim.sweep import SweepSpec, Task

console = Console()
err_console = Console(stderr=True)

SHOWN = {"cost_per_order": "cost/order", "two_day_pct": "2-day %", "on_time_pct": "on-time %",
         "unit_fill_rate_pct": "fill %"}
WIDTH = 80  # the printed table fits a standard terminal


def _ci(metric: str, mean: float, half: float, enough: bool) -> str:
    """`mean±half` compactly: shares with one decimal, money with two below 100 (else
    none); `*` when the interval rests on too few replications."""
    if math.isnan(mean):
        return "-"
    digits = 1 if metric.endswith("_pct") else (2 if abs(mean) < 100 else 0)
    text = f"{mean:,.{digits}f}" + ("" if math.isnan(half) else f"±{half:,.{digits}f}")
    return text if enough else text + "*"


def sweep_table(summary: pd.DataFrame, title: str, numbered: bool = False) -> Table:
    """The sweep's table: a row per point (its swept values, or its number when `numbered`),
    runs, and each KPI's mean±95 % half-width."""
    from pandas.api.types import is_bool_dtype, is_numeric_dtype
    from rich import box
    from rich.table import Table

    from sim.sweep_report import short_name

    paths = list(summary.columns[1:summary.columns.get_loc("metric")])
    table = Table(title=title, box=box.SIMPLE_HEAD, header_style="bold", pad_edge=False)
    for path in ["#"] if numbered else paths:
        numeric = numbered or (is_numeric_dtype(summary[path])
                               and not is_bool_dtype(summary[path]))
        table.add_column(path if numbered else short_name(path), no_wrap=True,
                         justify="right" if numeric else "left")
    table.add_column("n", justify="right", no_wrap=True)
    for header in SHOWN.values():
        table.add_column(header, justify="right", no_wrap=True)
    for i, (_, g) in enumerate(summary.groupby("point", sort=False), start=1):
        cells = {r.metric: _ci(r.metric, r.mean, r.half_width, r.enough)
                 for r in g.itertuples()}
        first = g.iloc[0]
        keys = [str(i)] if numbered else ["" if first[p] is None else str(first[p])
                                          for p in paths]
        table.add_row(*keys, str(int(g["n"].max())), *[cells.get(m, "-") for m in SHOWN])
    return table


def _width(table: Table) -> int:
    """The table's natural width in characters."""
    from rich.console import Console

    return Console(width=1000, file=io.StringIO()).measure(table).maximum


def print_sweep_summary(summary: pd.DataFrame, name: str) -> None:
    """Print the sweep's table within 80 columns: swept values as columns when they fit,
    else numbered points with a key above the table."""
    title = f"{name}: means ± 95 % half-widths"
    table = sweep_table(summary, title)
    if _width(table) > WIDTH:
        for i, point in enumerate(dict.fromkeys(summary["point"]), start=1):
            console.print(f"{i:>3}  {point}", width=WIDTH, soft_wrap=False)
        table = sweep_table(summary, title, numbered=True)
    console.print(table, width=WIDTH)
    console.print("cost/order: cost per shipped order after the warm-up (fulfilment and "
                  "shipping); 2-day %, on-time %, fill %: of the orders (units for fill) "
                  "after the warm-up; * too few replications for the interval (summary.csv: "
                  "replications_needed).", width=WIDTH)


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
    """Run a sweep: one row per replication of every point in OUT, a table of the points
    (summary.csv) and a chart of cost per order and two-day % against the swept variable
    (sweep.png); exit 1 if a run failed."""
    from sim.store import ResultStore
    from sim.sweep import execute, load_sweep
    from sim.sweep_report import plot_sweep, sweep_question, sweep_summary

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
    if len(ok):
        summary = sweep_summary(df, tasks, list(SHOWN))
        summary.to_csv(out / "summary.csv", index=False)
        print_sweep_summary(summary, spec.name)
        chart = plot_sweep(summary, out / "sweep.png",
                           title=sweep_question(sweep_file) or spec.name,
                           currency=tasks[0].scenario.costs.currency)
        console.print(f"chart: {chart}")
    failed = df[df["status"] != "ok"] if len(df) else df
    for r in failed.itertuples():
        err_console.print(f"[red]failed[/red] {r.point} replication {r.replication}: {r.error}")
    console.print(f"{report.ran} run(s) now, {report.skipped} already stored, "
                  f"{len(failed)} failed, {report.elapsed_s:.1f} s; {len(df)} rows in "
                  f"{store.runs_dir} (DuckDB: read_parquet('{store.runs_dir}/*.parquet'))")
    if len(failed):
        raise typer.Exit(1)
