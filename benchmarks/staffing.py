"""Staffing Black Friday: the optimiser's plan (permanent crews, temps by date, overtime) vs
permanent crews and overtime only, in the simulation.

The two-node US network (scenarios/us_two_node_black_friday.yaml: a 3.5x spike on days 25-28,
announced and planned at last year's 3.0x, and a Louisville outage on Cyber Monday, day 28)
runs (without its outage unless --keep-outage: a staffing plan cannot know of it) three
ways on the same orders (common random numbers, replication r of each):

- plan: `fulfil staff` at --probability from the planners' forecast (3.0x);
- overtime only: the same optimiser with no temps allowed (their hiring lead time set to
  the whole horizon): permanent crews and overtime (up to 3 h a shift while work waits)
  must carry the peak at the same promise;
- plan (oracle): the same optimiser told the true 3.5x (`demand.forecast: oracle`);
- plan (simulated): `fulfil staff --workload simulated`: the work per station by hour from a
  pilot simulation of the scenario as planned (3.0x, ample crews, --pilot-replications),
  backorder releases included, at the --probability quantile across the pilot's
  replications;
- plan (simulated, hand-off): the same with `--handoff-h` (pickers done that long before
  the pickup, so packing has the last picks in time);
- plan (simulated, oracle): the simulated workload from a pilot that draws the true 3.5x
  (the inventory plan still built for 3.0x, as in the run): what is left is the model's.

For each, after warm-up, before the spike, in the spike window (days 25-29) and after it:
labour cost (currency) and the plan's promise measured: the share of pickup days (node-days)
on which every shipment confirmed before the cut-off, in stock on arrival and not held for
review, left that day; and the share of those shipments that did.

    .venv/bin/python benchmarks/staffing.py             # 1,500 orders/day (about 20 minutes)
    .venv/bin/python benchmarks/staffing.py --full      # 6,000 orders/day (slow)
    .venv/bin/python benchmarks/staffing.py --only "overtime only" "plan (simulated)"
"""

from __future__ import annotations

import argparse
import time
from pathlib import Path

import pandas as pd

from sim.api import load_scenario, run, with_changes
from sim.staffing import (
    apply_plan,
    cutoff_days,
    pilot_workload,
    plan_table,
    planned_crews,
    solve_staffing,
    staffing_problem,
)

SCENARIO = Path(__file__).resolve().parents[1] / "scenarios" / "us_two_node_black_friday.yaml"
WEEKS = 6
SPIKE = (25, 30)  # Friday to Cyber Monday, and the Tuesday that clears the backlog


def _measure(scenario, result) -> dict[str, float]:
    warm = scenario.run.warmup_days
    days = cutoff_days(scenario, result.tables["shipments"], result.tables["orders"],
                       first_day=warm)
    costs = result.tables["costs"]
    labour = costs[costs["category"] == "labour"]
    windows = {"all": (warm, scenario.run.horizon_days), "before": (warm, SPIKE[0]),
               "spike": SPIKE, "after": (SPIKE[1], scenario.run.horizon_days)}
    out: dict[str, float] = {}
    for name, (a, b) in windows.items():
        d = days[days["day"].between(a, b - 1)]
        out[f"{name}: labour cost"] = float(
            labour.loc[labour["day"].between(a, b - 1), "amount"].sum())
        out[f"{name}: pickup days hit %"] = 100.0 * float(d["hit"].mean())
        out[f"{name}: shipments by cut-off %"] = 100.0 * float(d["shipped_same_day"].sum()
                                                              / d["eligible"].sum())
        out[f"{name}: pickup days"] = len(d)
    return out


def main() -> None:
    """Plan, simulate and print the comparison table (Markdown)."""
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--full", action="store_true", help="the scenario's 6,000 orders/day")
    ap.add_argument("--orders-per-day", type=float, default=1500.0)
    ap.add_argument("--replications", type=int, default=2)
    ap.add_argument("--probability", type=float, default=0.95)
    ap.add_argument("--time-limit", type=float, default=60.0)
    ap.add_argument("--keep-outage", action="store_true",
                    help="keep the Cyber Monday outage (no plan can staff for it)")
    ap.add_argument("--pilot-replications", type=int, default=20)
    ap.add_argument("--handoff-h", type=float, default=1.0)
    ap.add_argument("--only", nargs="+", metavar="STRATEGY", help="run only these columns")
    args = ap.parse_args()
    base = load_scenario(SCENARIO)
    if not args.keep_outage:
        base = with_changes(base, {"disruptions": []})
    if not args.full:
        base = with_changes(base, {"demand.orders_per_day": args.orders_per_day})
    no_temps = with_changes(base, {
        f"nodes[{i}].resources.{crew}.hiring_lead_days": 7 * WEEKS
        for i, node in enumerate(base.nodes) for crew in planned_crews(node)})
    strategies = {}
    # (scenario planned on, workload: forecast, or a pilot of the demand as planned or the
    # true demand, the inventory plan as run either way; hand-off hours)
    runs = {"overtime only": (no_temps, "forecast", 0.0), "plan": (base, "forecast", 0.0),
            "plan (oracle)": (with_changes(base, {"demand.forecast": "oracle"}), "forecast",
                              0.0),
            "plan (simulated)": (base, "planned", 0.0),
            "plan (simulated, hand-off)": (base, "planned", args.handoff_h),
            "plan (simulated, oracle)": (base, "true", 0.0)}
    unknown = set(args.only or ()) - set(runs)
    if unknown:
        ap.error(f"--only: unknown {sorted(unknown)}; choose from {list(runs)}")
    pilots = {}
    for label, (sc, workload, handoff) in runs.items():
        if args.only and label not in args.only:
            continue
        t0 = time.perf_counter()
        if workload != "forecast" and workload not in pilots:
            pilots[workload] = pilot_workload(sc, WEEKS, args.pilot_replications,
                                              as_planned=workload == "planned")
            h = pilots[workload].hourly
            share = 100 * h["backorder_lines"].sum() / h["lines"].sum()
            print(f"workload pilot ({workload} demand): {args.pilot_replications} "
                  f"replications, {share:.1f} % of lines backorder releases, "
                  f"{time.perf_counter() - t0:.0f} s", flush=True)
        study = staffing_problem(sc, WEEKS, args.probability, workload=pilots.get(workload),
                                 handoff_h=handoff)
        plan = solve_staffing(study, time_limit_s=args.time_limit)
        table = plan_table(sc, study, plan)
        peak = int(table.groupby("day")["temps"].sum().max())
        print(f"{label}: {plan.status}, planned cost {plan.objective:,.0f} (gap "
              f"{100 * plan.gap:.2f} %), temps peak {peak}, {time.perf_counter() - t0:.0f} s",
              flush=True)
        strategies[label] = apply_plan(base, table)  # the true demand runs either way
    rows = []
    for label, sc in strategies.items():
        for rep in range(args.replications):
            t0 = time.perf_counter()
            rows.append({"strategy": label, "replication": rep,
                         **_measure(sc, run(sc, rep))})
            print(f"  {label} r{rep}: {time.perf_counter() - t0:.0f} s", flush=True)
    df = pd.DataFrame(rows)
    mean = df.drop(columns="replication").groupby("strategy", sort=False).mean()
    print(f"\n{args.replications} replications, days {base.run.warmup_days}-"
          f"{base.run.horizon_days - 1} (spike window: days {SPIKE[0]}-{SPIKE[1] - 1}), "
          f"promise {100 * args.probability:g} % of pickup days")
    table = mean.T.round(1)
    print("| measure | " + " | ".join(table.columns) + " |")
    print("|---|" + "---:|" * len(table.columns))
    for name, row in table.iterrows():
        print(f"| {name} | " + " | ".join(f"{v:,.1f}" for v in row) + " |")


if __name__ == "__main__":
    main()
