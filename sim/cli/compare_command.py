"""`fulfil compare SCENARIO.yaml --modes ... --replications N --out report/`."""

from __future__ import annotations

import time
from enum import StrEnum
from pathlib import Path

import typer
from rich.console import Console

from optimize.errors import FieldProblem, InvalidInput
from sim.cli.app import app
from sim.cli.errors import at_least, bad_input_exits, input_file

__all__ = ["COMPARE_DEFAULTS", "MODES", "compare"]

console = Console()
# sim.modes.MODES and the defaults of sim.compare.CompareSettings, spelled out so that
# `fulfil --help` need not import the model (tests/test_bad_inputs.py checks they agree)
MODES = ("in_house", "3pl", "dropship", "marketplace", "hybrid")
COMPARE_DEFAULTS = {"replications": 5, "volumes": (0.25, 0.5, 1.0, 1.5),
                    "sensitivity_replications": 1}
# sim.compare.BREAK_EVEN_ON's keys: what the break-even curve is drawn on
BreakEvenOn = StrEnum("BreakEvenOn", {"cost": "cost", "profit": "profit"})


def _modes(text: str) -> tuple[str, ...]:
    modes = tuple(m.strip() for m in text.split(",") if m.strip())
    unknown = [m for m in modes if m not in MODES]
    if unknown or not modes:
        raise InvalidInput(FieldProblem("--modes", "each mode must be one of "
                                        f"{', '.join(MODES)} (unknown: "
                                        f"{', '.join(unknown) or 'none given'})", text))
    return modes


def _volumes(text: str) -> tuple[float, ...]:
    try:
        vols = tuple(float(v) for v in text.split(",") if v.strip())
    except ValueError:
        vols = ()
    if not vols or any(v <= 0 for v in vols):
        raise InvalidInput(FieldProblem("--volumes", "needs positive multiples of the "
                                        "scenario's orders/day, e.g. 0.25,0.5,1,1.5", text))
    return vols


@app.command("compare")
def compare(
    scenario: Path = typer.Argument(..., help="Scenario YAML file.", callback=input_file),
    modes: str = typer.Option(",".join(MODES), "--modes",
                              help="Comma-separated fulfilment modes to compare."),
    replications: int = typer.Option(COMPARE_DEFAULTS["replications"], "--replications",
                                     callback=at_least(2),
                                     help="Replications per mode (common random numbers)."),
    out: Path = typer.Option(Path("report"), "--out", help="Report folder (index.html, "
                             "report.md, CSVs, report.xlsx, PNGs; the results store in "
                             "out/store)."),
    workers: int | None = typer.Option(None, "--workers", callback=at_least(0),
                                       help="Local worker processes (default: all cores)."),
    scheduler: str | None = typer.Option(None, "--scheduler",
                                         help="Dask scheduler address, e.g. tcp://host:8786."),
    volumes: str = typer.Option(",".join(f"{v:g}" for v in COMPARE_DEFAULTS["volumes"]),
                                "--volumes", help="Break-even volumes, as multiples of the "
                                "scenario's orders/day."),
    sensitivity_replications: int = typer.Option(
        COMPARE_DEFAULTS["sensitivity_replications"], "--sensitivity-replications",
        callback=at_least(1),
        help="Replications per break-even / tornado point."),
    sensitivity: bool = typer.Option(True, help="Run the break-even and tornado analyses."),
    full_horizon: bool = typer.Option(False, "--full-horizon", help="Keep every day of the "
                                      "scenario (default: quiet days before the first spike "
                                      "are dropped, weekdays kept)."),
    break_even_on: BreakEvenOn = typer.Option(
        BreakEvenOn.cost, "--break-even-on", help="Draw the break-even on cost per shipped "
        "order (the cheapest mode wins) or on profit per shipped order (the most "
        "profitable); the tornado shows the advantage in the same quantity."),
) -> None:
    """Compare fulfilment modes on the same demand, normal period and under the spikes."""
    from sim.compare import CompareSettings, plan_compare, run_compare
    from sim.preflight import preflight
    from sim.report import findings, write_report
    from sim.scenario import load_scenario
    from sim.store import ResultStore

    with bad_input_exits(str(scenario)):
        settings = CompareSettings(
            modes=_modes(modes), replications=replications, condense=not full_horizon,
            sensitivity=sensitivity, volumes=_volumes(volumes),
            sensitivity_replications=sensitivity_replications,
            break_even_on=break_even_on.value)
        sc = load_scenario(scenario)
        preflight(sc)
        plan = plan_compare(sc, settings)
    console.print(f"compare {sc.name!r}: {', '.join(settings.modes)} x {replications} "
                  f"replications over {plan.main.run.horizon_days} days, plus "
                  f"{len(plan.tasks) - len(settings.modes) * replications} break-even/tornado "
                  f"runs ({len(plan.tasks)} in all)")
    if {"dropship", "hybrid"} & set(settings.modes):
        from sim.modes import dropship_site
        console.print(f"dropship supplier ships from {dropship_site(sc)[1]} "
                      "(alternatives.dropship_supplier)")
    t0 = time.perf_counter()
    done = run_compare(plan, ResultStore(out / "store"), workers=workers, scheduler=scheduler)
    write_report(plan, done.tables, out)
    failed = len(done.tables.failed())
    console.print(f"{done.execution.ran} run(s) now, {done.execution.skipped} already stored, "
                  f"{failed} failed; {time.perf_counter() - t0:.0f} s. Report: "
                  f"{out / 'index.html'}, {out / 'report.md'}, {out / 'report.xlsx'}")
    for finding in findings(plan, done.tables):
        console.print(f"- {finding}".replace("**", ""))
    if failed:
        raise typer.Exit(1)
