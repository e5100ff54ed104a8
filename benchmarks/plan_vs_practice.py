"""Plan vs practice at a realistic volume: the US two-day plan at k = 3 beside its simulated
normal week, Black Friday week and Black Friday week with seasonal crews, several
replications, 95 % Student t intervals.

    .venv/bin/python benchmarks/plan_vs_practice.py            # 10,000 orders/day, 3 reps
    .venv/bin/python benchmarks/plan_vs_practice.py --quick    # 3,000 orders/day, 2 reps

The reference is the plan itself (its share within two days, solved exactly in the same
process): the table gives each week's simulated share as a ratio to it, and the gap split by
cause (percentage points; the parts add up to the gap). Black Friday minus normal is paired
on the replication (same seed, common random numbers).
"""

from __future__ import annotations

import argparse
import time

import pandas as pd

from sim.experiments import paired_differences, summarise
from sim.plan_vs_practice import (
    LOSSES,
    STAFFED_WEEK,
    WEEKS,
    plan_network,
    practice_runs,
    practice_table,
)

METRICS = ("simulated_pct", "gap_pp", "sampling_pp", *(f"{x}_pp" for x in LOSSES),
           "outside_plan_pp", "shipped_by_cutoff_pct", "picker_utilisation",
           "packer_utilisation", "backorder_pct", "click_to_door_p50_days")


def _fmt(mean: float, half: float, scale: float = 1.0) -> str:
    h = "" if pd.isna(half) else f" ± {half * scale:.1f}"
    return f"{mean * scale:.1f}{h}"


def main() -> None:
    """Run the benchmark and print its tables."""
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--quick", action="store_true", help="3,000 orders/day, 2 replications")
    ap.add_argument("--orders-per-day", type=float, default=None)
    ap.add_argument("--replications", type=int, default=None)
    ap.add_argument("--peak-crew-factor", type=float, default=2.0,
                    help="crews in the staffed Black Friday week, times the normal crews")
    args = ap.parse_args()
    opd = args.orders_per_day or (3000.0 if args.quick else 10_000.0)
    reps = args.replications or (2 if args.quick else 3)
    warmup = 4 if args.quick else 7

    t0 = time.perf_counter()
    network = plan_network("us", days=2, k=3)
    plan_s = time.perf_counter() - t0
    names = ", ".join(network.plan.sites["name"].iloc[list(network.result.sites)])
    print(f"plan: US, 2 days by ground (965 km), k = 3: {names}; "
          f"{network.planned_share:.1%} of the population "
          f"({'proven optimal' if network.result.optimal else network.result.status.value}, "
          f"{plan_s:.1f} s with the data load)")

    t0 = time.perf_counter()
    runs = practice_runs(network, orders_per_day=opd, replications=reps, warmup_days=warmup,
                         peak_crew_factor=args.peak_crew_factor)
    sim_s = time.perf_counter() - t0
    table = practice_table(network, runs)
    crews = runs[0][1].scenario.nodes
    print(f"simulated: {opd:,.0f} orders/day, {reps} replications x 3 weeks, warm-up "
          f"{warmup} days, {sim_s:.0f} s; normal crews (pickers/packers per shift): "
          + ", ".join(f"{n.id} {n.resources.pickers.count}/{n.resources.packers.count}"
                      for n in crews)
          + f"; staffed Black Friday: x{args.peak_crew_factor:g}")
    print("weekly orders (mean): " + ", ".join(
        f"{w} {table.loc[table['week'] == w, 'orders'].mean():,.0f}"
        for w in (*WEEKS, STAFFED_WEEK)))

    ci = summarise(table, ["week"], METRICS)
    wide = ci.pivot(index="metric", columns="week", values=["mean", "half_width"])
    weeks = [*WEEKS, STAFFED_WEEK]
    rows = [("planned share within 2 days %",
             [f"{100 * network.planned_share:.1f}"] * len(weeks))]
    for m in METRICS:
        scale = 100.0 if m.endswith("utilisation") else 1.0
        label = m.replace("_pp", " (pp lost)").replace("_pct", " %")
        if scale != 1.0:
            label += " %"
        rows.append((label, [_fmt(wide.loc[m, ("mean", w)], wide.loc[m, ("half_width", w)],
                                  scale) for w in weeks]))
        if m == "simulated_pct":
            ratio = wide.loc[m, "mean"] / (100 * network.planned_share)
            rows.append(("  ratio practice / plan", [f"{ratio[w]:.2f}" for w in weeks]))
    out = pd.DataFrame({w: [r[1][i] for r in rows] for i, w in enumerate(weeks)},
                       index=[r[0] for r in rows])
    print()
    print(f"mean ± 95 % half-width over {reps} replications")
    print(out.to_string())

    diff = paired_differences(table, "week", "normal",
                              ["simulated_pct", "cut_off_pp", "capacity_pp", "stockout_pp"])
    print()
    print("paired on the replication: week minus the normal week")
    for r in diff.itertuples():
        print(f"  {r.week:22s} {r.metric:15s} {_fmt(r.mean, r.half_width)}")


if __name__ == "__main__":
    main()
