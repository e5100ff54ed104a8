"""`fulfil staff`: a least-cost staffing plan (permanent heads per shift, temps by date,
overtime) that clears each cut-off's work by its pickup at a stated probability; writes a row
per date and station. `fulfil run SCENARIO --staffing plan.csv` runs the plan."""

from __future__ import annotations

import json
import os
import sys
from enum import StrEnum
from pathlib import Path

import typer

from sim.cli.app import app
from sim.cli.errors import at_least, bad_input_exits, input_file, solver_output_to_stderr

__all__ = ["staff"]

EXIT_NO_PLAN = 1


class Workload(StrEnum):
    """Where the plan's work per station comes from."""

    forecast = "forecast"
    simulated = "simulated"


@app.command("staff")
def staff(
    scenario: Path = typer.Argument(..., help="Scenario YAML file.", callback=input_file),
    weeks: int = typer.Option(6, "--weeks", callback=at_least(1),
                              help="Weeks to plan from day 0 of the run."),
    out: Path = typer.Option(Path("plan.csv"), "--out", help="The plan CSV to write."),
    probability: float = typer.Option(
        0.95, "--probability", help="Chance that a day's work (forecast orders, Poisson) is "
        "covered: each pickup day's cut-off clears with at least this probability."),
    time_limit: float = typer.Option(30.0, "--time-limit", callback=at_least(0.0),
                                     help="CP-SAT time limit in seconds."),
    as_json: bool = typer.Option(False, "--json", help="Print the summary as JSON only."),
    workload: Workload = typer.Option(
        Workload.forecast, "--workload", help="forecast: the order forecast at the Poisson "
        "quantile; simulated: a pilot simulation of the scenario as planned (ample crews) "
        "records the lines released to picking each hour, backorder releases included, and "
        "the plan covers their quantile across the pilot's replications."),
    pilot_replications: int = typer.Option(
        4, "--pilot-replications", callback=at_least(2),
        help="Replications of the workload pilot (--workload simulated)."),
    handoff_h: float = typer.Option(
        0.0, "--handoff-h", callback=at_least(0.0),
        help="Hours before the pickup by which the pickers finish its work, so packing has "
        "the last picks in time."),
) -> None:
    """Plan permanent crews, temps by date and overtime at least cost for the cut-offs."""
    from sim.cli.scenario_commands import _load
    from sim.staffing import pilot_workload, plan_table, solve_staffing, staffing_problem

    sc = _load(scenario)
    with bad_input_exits("command-line options"), solver_output_to_stderr(as_json):
        pilot = None
        if workload is Workload.simulated:
            if not as_json:
                print(f"workload pilot: {pilot_replications} replications of {7 * weeks} "
                      "days ...", file=sys.stderr, flush=True)
            pilot = pilot_workload(sc, weeks, pilot_replications)
        study = staffing_problem(sc, weeks, probability, workload=pilot, handoff_h=handoff_h)
    with solver_output_to_stderr(as_json):
        plan = solve_staffing(study, time_limit_s=time_limit)
    if plan.status not in ("optimal", "feasible"):
        print(f"error: no plan: {plan.message}", file=sys.stderr)
        raise typer.Exit(EXIT_NO_PLAN)
    table = plan_table(sc, study, plan)
    tmp = out.with_name(out.name + ".part")
    table.to_csv(tmp, index=False)
    os.replace(tmp, out)  # nothing half-written at `out`
    by = table.groupby(["node", "crew"], sort=False)
    stations = [{"node": n, "crew": c, "permanent": int(g["permanent"].max()),
                 "temps_peak": int(g["temps"].max()),
                 "temp_days": int((g["temps"] * (g["capacity_h"] > 0)).sum()),
                 "overtime_h": float(g["overtime_h"].sum()), "cost": float(g["cost"].sum()),
                 "hours_per_order": study.hours_per_order[n, c]}
                for (n, c), g in by]
    summary = {**plan.contract_dict(), "weeks": weeks, "days": 7 * weeks,
               "probability": probability,
               "promised_cutoff_hit_pct": 100.0 * probability,
               "cost": plan.objective, "currency": sc.costs.currency, "out": str(out),
               "stations": stations, "workload": workload.value, "handoff_h": handoff_h}
    if pilot is not None:
        summary["pilot_replications"] = pilot.replications
        # with fewer than 1/(1-p) replications the p quantile is read off the top two, so
        # it understates the tail
        summary["pilot_too_few_replications"] = bool(
            pilot.replications < 1.0 / (1.0 - probability))
        summary["pilot_backorder_lines_pct"] = 100.0 * float(
            pilot.hourly["backorder_lines"].sum() / max(pilot.hourly["lines"].sum(), 1.0))
    if as_json:
        typer.echo(json.dumps(summary))
        return
    _print_summary(sc.name, summary)


def _print_summary(name: str, s: dict) -> None:
    gap = "-" if s["gap"] is None else f"{100 * s['gap']:.2f} %"
    print(f"{name}: staffing plan for {s['days']} days ({s['weeks']} weeks): {s['status']}, "
          f"cost {s['cost']:,.2f} {s['currency']} (bound {s['bound']:,.2f}, gap {gap}, "
          f"{s['time_s']:.1f} s)")
    source = ("the forecast" if s["workload"] == "forecast" else
              f"a {s['pilot_replications']}-replication pilot's work, "
              f"{s['pilot_backorder_lines_pct']:.1f} % of its lines backorder releases")
    print(f"promise: each pickup day's cut-off clears with probability >= "
          f"{s['probability']:g} (work at that quantile of {source})")
    if s.get("pilot_too_few_replications"):
        print(f"  note: {s['pilot_replications']} pilot replications are fewer than "
              f"1/(1 - {s['probability']:g}): the quantile is interpolated between the "
              "largest ones and understates the tail")
    for st in s["stations"]:
        print(f"  {st['node']}.{st['crew']}: {st['permanent']} permanent per shift, temps up "
              f"to {st['temps_peak']} ({st['temp_days']} temp-days), {st['overtime_h']:g} h "
              f"overtime, {st['cost']:,.2f}")
    print(f"wrote {s['out']}")
