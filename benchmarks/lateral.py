"""Pooling stock between two forward nodes through Black Friday: ship the order from the other
node, or move the stock to the nearest node (lateral transfers), or neither.

The two-node US network (scenarios/us_two_node_black_friday.yaml, a 3.5x spike on days 25-28;
static levels as bundled, or with `--prebuild` the pre-build on the online forecast) runs five
ways on the same orders (common random numbers,
replication r alike in every strategy, so the differences are paired):

- `nearest`: every order to its nearest node, waiting there when short (no pooling; the
  reference, run in the same process);
- `reroute`: `nearest_with_stock`, the order (or a line) ships from the other node when the
  nearest is short: pooling by routing, at the carrier's longer-zone price and transit;
- `emergency`: `nearest` plus an emergency lateral transfer of the short units from the
  other node (sim.lateral: hold-back half the donor's level, a day's transit, LTL freight);
- `rebalance`: `nearest` plus a daily rebalancing to equal days of cover;
- `both`: emergency transfers and the daily rebalancing.

Every strategy knows the same things: the planned demand rate, today's stock at both nodes
(and with `--prebuild` the online forecast: Black Friday announced at last year's 3.0x);
none sees future orders.

    .venv/bin/python benchmarks/lateral.py             # full size, 3 replications
    .venv/bin/python benchmarks/lateral.py --prebuild  # the same with the pre-build
    .venv/bin/python benchmarks/lateral.py --quick     # 2 replications, 1,500 orders/day
    .venv/bin/python benchmarks/lateral.py --prebuild --replications 2 --strategies rebalance both
"""

from __future__ import annotations

import argparse
import time
from pathlib import Path

import pandas as pd

from sim.api import load_scenario, run, with_changes
from sim.experiments import paired_differences, run_record, summarise

SCENARIO = Path(__file__).resolve().parents[1] / "scenarios" / "us_two_node_black_friday.yaml"
METRICS = (
    "unit_fill_rate_pct", "spike/unit_fill_rate_pct", "backorder_pct", "spike/backorder_pct",
    "backorder_wait_days", "click_to_door_p95_days", "spike/click_to_door_p95_days",
    "two_day_pct", "spike/two_day_pct", "split_shipment_pct", "cost_per_order",
    "cost_per_order_by_category.carrier", "lateral_freight_per_order", "lateral_units",
)  # fmt: skip
EMERGENCY = {"emergency": True}
STRATEGIES = {
    "nearest": {"routing.policy": "nearest"},
    "reroute": {"routing.policy": "nearest_with_stock"},
    "emergency": {"routing.policy": "nearest", "lateral_transfers": EMERGENCY},
    "rebalance": {"routing.policy": "nearest",
                  "lateral_transfers": {"emergency": False, "rebalance_every_days": 1}},
    "both": {"routing.policy": "nearest",
             "lateral_transfers": {"emergency": True, "rebalance_every_days": 1}},
}


def one_run(scenario, replication: int) -> dict[str, float]:
    """A replication's KPI record, with the mean wait of the shipments that waited for stock
    (days, created after the warm-up), the lateral freight per shipped order and the units
    moved laterally; the run has passed its conservation check."""
    result = run(scenario, replication)
    record = run_record(result)
    warm_h = 24.0 * scenario.run.warmup_days
    s = result.tables["shipments"]
    live = s[(s["created_h"] >= warm_h) & (s["filled_on_arrival"] < s["units"])]
    record["backorder_wait_days"] = float(((live["allocated_h"] - live["routed_h"]) / 24.0
                                           ).mean()) if len(live) else 0.0
    by = record.get("cost_per_order_by_category.lateral_freight")
    record["lateral_freight_per_order"] = float(by) if by == by and by is not None else 0.0
    inbound = result.tables["inbound"]
    record["lateral_units"] = int(inbound.loc[inbound["lateral"], "units"].sum()) \
        if "lateral" in inbound else 0
    return record


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--quick", action="store_true", help="2 replications, smaller demand")
    parser.add_argument("--replications", type=int, default=None)
    parser.add_argument("--strategies", nargs="+", choices=list(STRATEGIES),
                        default=list(STRATEGIES), help="run only these (nearest always)")
    parser.add_argument("--prebuild", action="store_true",
                        help="pre-build for the spike on the online forecast")
    args = parser.parse_args()
    base = load_scenario(SCENARIO)
    if args.prebuild:
        base = with_changes(base, {"inventory.spike_prebuild": True,
                                   "demand.forecast": "online"})
    reps = args.replications or (2 if args.quick else 3)
    strategies = {k: v for k, v in STRATEGIES.items()
                  if k == "nearest" or k in args.strategies}
    if args.quick:
        base = with_changes(base, {"demand.orders_per_day": 1500,
                                   "skus.generator.count": 750})
    rows = []
    start = time.perf_counter()
    for r in range(reps):
        for name, changes in strategies.items():
            rows.append({"strategy": name, "replication": r,
                         **one_run(with_changes(base, changes), r)})
            print(f"  replication {r} {name} done ({time.perf_counter() - start:.0f} s)",
                  flush=True)
    elapsed = time.perf_counter() - start
    df = pd.DataFrame(rows)
    print(f"\n{base.name}: {base.demand.orders_per_day:,.0f} orders/day, "
          f"{base.skus.generator.count:,} SKUs, {reps} replications, {elapsed:.0f} s, "
          f"pre-build {'on (online forecast)' if base.inventory.spike_prebuild else 'off'}; "
          "conservation checked in every run")
    ci = summarise(df, ["strategy"], [m for m in METRICS if m in df])
    diff = paired_differences(df, "strategy", "nearest", [m for m in METRICS if m in df])
    table = []
    for m in (m for m in METRICS if m in df):
        row = {"metric": m}
        for name in strategies:
            c = ci[(ci["strategy"] == name) & (ci["metric"] == m)].iloc[0]
            row[name] = f"{c['mean']:,.2f}"
            if name != "nearest":
                d = diff[(diff["metric"] == m) & (diff["strategy"] == name)].iloc[0]
                row[name] += f" ({d['mean']:+,.2f} ± {d['half_width']:,.2f})"
        table.append(row)
    print("mean; in brackets: paired difference from `nearest`, ± the 95 % half-width")
    with pd.option_context("display.width", 250, "display.max_colwidth", 40):
        print(pd.DataFrame(table).to_string(index=False))


if __name__ == "__main__":
    main()
