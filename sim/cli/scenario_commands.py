"""`fulfil validate` and `fulfil run`: check a scenario; run it and write tables and plots."""

from __future__ import annotations

import math
import sys
import time
import warnings
from enum import StrEnum
from pathlib import Path

import typer
from rich.console import Console
from rich.progress import BarColumn, Progress, TextColumn, TimeElapsedColumn
from rich.table import Table

from sim.cli.app import app
from sim.cli.errors import at_least, bad_input_exits, input_file
from sim.preflight import preflight
from sim.scenario import ROUTING_POLICIES, Scenario, load_scenario

console = Console()
# `--routing` choices: the routing policies the scenario schema (and the registry) know
RoutingPolicyName = StrEnum("RoutingPolicyName", {name: name for name in ROUTING_POLICIES})


def _load(path: Path) -> Scenario:
    with bad_input_exits(str(path)), warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always", DeprecationWarning)  # old keys: tell the user
        scenario = load_scenario(path)
        preflight(scenario)
    for w in caught:
        print(f"warning: {path}: {w.message}", file=sys.stderr)
    return scenario


@app.command()
def validate(scenario: Path = typer.Argument(..., help="Scenario YAML file.",
                                             callback=input_file)) -> None:
    """Check a scenario file; list every problem by field path and value (exit 2 if any)."""
    sc = _load(scenario)
    console.print(f"[green]ok[/green] {scenario}: {sc.name!r}, {len(sc.nodes)} node(s), "
                  f"{sc.run.horizon_days} days, {sc.demand.orders_per_day:g} orders/day")


def _fmt(v: object) -> str:
    if isinstance(v, float):
        return "-" if math.isnan(v) else f"{v:,.2f}"
    return f"{v:,}" if isinstance(v, int) else str(v)


def print_summary(summary: dict, title: str) -> None:
    """The KPI summary as a readable table."""
    table = Table(title=title, show_header=True, header_style="bold")
    table.add_column("KPI (after warm-up)")
    table.add_column("value", justify="right")
    def rows(prefix: str, d: dict) -> None:
        for k, v in d.items():
            if isinstance(v, dict):
                rows(f"{prefix}{k}: ", v)
            else:
                table.add_row(f"{prefix}{k}", _fmt(v))

    rows("", summary)
    console.print(table)


@app.command()
def run(
    scenario: Path = typer.Argument(..., help="Scenario YAML file.", callback=input_file),
    out: Path = typer.Option(Path("results/run"), "--out", help="Folder for tables and plots."),
    replication: int = typer.Option(0, callback=at_least(0),
                                    help="Replication number (independent streams)."),
    seed: int | None = typer.Option(None, callback=at_least(0), help="Override run.seed."),
    days: int | None = typer.Option(None, "--days", callback=at_least(1),
                                    help="Override run.horizon_days."),
    routing: RoutingPolicyName | None = typer.Option(
        None, help="Override routing.policy (its parameters at their defaults, or the "
                   "scenario's where the two policies share them)."),
    plots: bool = typer.Option(True, help="Write PNG plots."),
    staffing: Path | None = typer.Option(None, "--staffing", callback=input_file,
                                         help="A plan CSV from `fulfil staff`: its crews."),
) -> None:
    """Run a scenario: print the KPI summary, write summary.json, Parquet tables and plots."""
    from sim.api import run as run_scenario
    from sim.api import with_changes
    from sim.plots import COLUMNS_READ as PLOT_COLUMNS
    from sim.plots import plot_run
    from sim.routing_registry import switch_policy

    sc = _load(scenario)
    overrides = {"run.seed": seed, "run.horizon_days": days,
                 "routing": None if routing is None
                 else switch_policy(sc.routing, routing.value).model_dump()}
    with bad_input_exits("command-line options"):
        sc = with_changes(sc, {k: v for k, v in overrides.items() if v is not None})
    if staffing is not None:
        from sim.staffing import apply_plan, read_plan
        with bad_input_exits(str(staffing)):
            sc = apply_plan(sc, read_plan(staffing))
    t0 = time.perf_counter()
    with Progress(TextColumn("simulating {task.description}"), BarColumn(),
                  TextColumn("{task.percentage:>3.0f}%"), TimeElapsedColumn(),
                  console=console, transient=True) as bar:
        task = bar.add_task(sc.name, total=1.0)
        # Rows go to disk as the run makes them and the tables are written into `out` as
        # they are built: the same tables, in a fraction of the memory of a large run.
        result = run_scenario(sc, replication=replication,
                              progress=lambda f: bar.update(task, completed=f), stream_to=out)
    elapsed = time.perf_counter() - t0
    print_summary(result.summary, f"{sc.name} (replication {replication}, seed {sc.run.seed})")
    written = result.write(out)
    if plots:
        written += plot_run(sc, {**result.tables, **{
            name: result.table(name, columns) for name, columns in PLOT_COLUMNS.items()}}, out)
    n = result.rows("orders")
    console.print(f"{n:,} orders simulated in {elapsed:.1f} s; wrote {len(written)} files to {out}")
