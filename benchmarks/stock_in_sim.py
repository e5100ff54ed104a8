"""Black Friday in the simulation: static order-up-to levels vs spike-aware pre-build.

The two-node US network (scenarios/us_two_node_black_friday.yaml, a 3.5x spike on days 25-28)
runs with its levels sized by `optimize.safety_stock` for the scenario's fill-rate target, once
as they are and with `sim.prebuild` raising them ahead of the spike: once as the planner
knows it (the default online forecast: Black Friday is announced, planned at last year's 3.0x
while 3.5x comes) and once with the oracle (`demand.forecast: oracle`: the true 3.5x), for the
value of that information. Replication r of every strategy uses the same orders (common random
numbers), so the differences are paired; the table gives Student t 95 % intervals over the
replications. The reference is the static plan measured in the same process.

    .venv/bin/python benchmarks/stock_in_sim.py            # full size, 5 replications
    .venv/bin/python benchmarks/stock_in_sim.py --quick    # 2 replications, 1,500 orders/day
"""

from __future__ import annotations

import argparse
import time
from pathlib import Path

import pandas as pd

from sim.api import load_scenario, run, with_changes
from sim.demand_forecast import information
from sim.experiments import paired_differences, run_record, summarise

SCENARIO = Path(__file__).resolve().parents[1] / "scenarios" / "us_two_node_black_friday.yaml"
METRICS = (
    "unit_fill_rate_pct", "spike/unit_fill_rate_pct", "normal/unit_fill_rate_pct",
    "backorder_pct", "spike/backorder_pct", "click_to_door_p95_days",
    "spike/click_to_door_p95_days", "orders_shipped", "avg_on_hand_value", "holding_cost",
    "cost_per_order", "cost_per_order_by_category.holding",
)  # fmt: skip


# name: scenario changes (the static levels read no forecast)
STRATEGIES = {
    "static": {"inventory.spike_prebuild": False},
    "prebuild": {"inventory.spike_prebuild": True, "demand.forecast": "online"},
    "prebuild_oracle": {"inventory.spike_prebuild": True, "demand.forecast": "oracle"},
}


def one_run(scenario, replication: int) -> dict[str, float]:
    """A replication's KPI record, with the holding cost after the warm-up (currency); the run
    has passed its conservation check."""
    result = run(scenario, replication)
    record = run_record(result)
    costs = result.tables["costs"]
    after = costs[costs["day"] >= scenario.run.warmup_days]
    record["holding_cost"] = float(after.loc[after["category"] == "holding", "amount"].sum())
    return record


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--quick", action="store_true", help="2 replications, smaller demand")
    parser.add_argument("--replications", type=int, default=None)
    args = parser.parse_args()
    base = load_scenario(SCENARIO)
    reps = args.replications or (2 if args.quick else 5)
    if args.quick:
        base = with_changes(base, {"demand.orders_per_day": 1500,
                                   "skus.generator.count": 750})
    rows = []
    start = time.perf_counter()
    for r in range(reps):
        for name, changes in STRATEGIES.items():
            sc = with_changes(base, changes)
            rows.append({"strategy": name, "replication": r, **one_run(sc, r)})
    elapsed = time.perf_counter() - start
    df = pd.DataFrame(rows)

    print(f"{base.name}: {base.demand.orders_per_day:,.0f} orders/day, "
          f"{base.skus.generator.count:,} SKUs, spike x{base.demand.spikes[0].multiplier} "
          f"on days {base.demand.spikes[0].start_day:g}-"
          f"{base.demand.spikes[0].start_day + base.demand.spikes[0].duration_days - 1:g}, "
          f"target {base.inventory.target_kind} {base.inventory.target}, "
          f"{reps} replications, {elapsed:.0f} s")
    print("conservation checked in every run (sim.api.run raises on a violation)")
    print("what each pre-build knew of demand: prebuild, "
          f"{information(with_changes(base, STRATEGIES['prebuild']))}; prebuild_oracle, "
          f"{information(with_changes(base, STRATEGIES['prebuild_oracle']))}\n")
    ci = summarise(df, ["strategy"], METRICS)
    diff = paired_differences(df, "strategy", "static", METRICS)
    table = []
    for m in METRICS:
        row = {"metric": m}
        for name in STRATEGIES:
            c = ci[(ci["strategy"] == name) & (ci["metric"] == m)].iloc[0]
            row[name] = f"{c['mean']:,.2f} ± {c['half_width']:,.2f}"
            if name != "static":
                d = diff[(diff["metric"] == m) & (diff["strategy"] == name)].iloc[0]
                row[f"{name} - static"] = f"{d['mean']:+,.2f} ± {d['half_width']:,.2f}"
        table.append(row)
    with pd.option_context("display.width", 160, "display.max_colwidth", 40):
        print(pd.DataFrame(table).to_string(index=False))


if __name__ == "__main__":
    main()
