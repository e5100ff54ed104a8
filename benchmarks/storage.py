"""Black Friday pre-build against a storage ceiling: shelf bins at 100 %, 120 % and 150 % of
the steady-state need, and unlimited, vs occupancy, overflow cost and spike fill.

scenarios/us_two_node_black_friday_storage.yaml states the steady-state need: the peak of bins
in use per node without the spike (12,319 Louisville, 7,489 Reno). Each case sets both nodes'
bins to a share of it, overflow (the scenario's rates) or `wait` at the dock; the same orders
in every case (one replication, common random numbers). Spike fill: units filled from stock
on arrival for orders created in the spike days (sim.experiments.run_record).

    .venv/bin/python benchmarks/storage.py            # 5 runs of 42 days, a few minutes
    .venv/bin/python benchmarks/storage.py --quick    # 1,500 orders/day, 750 SKUs, bins / 4
"""

from __future__ import annotations

import argparse
import time
from pathlib import Path

import pandas as pd

from sim.api import load_scenario, run, with_changes
from sim.experiments import run_record

SCENARIO = (Path(__file__).resolve().parents[1] / "scenarios"
            / "us_two_node_black_friday_storage.yaml")
NEED = {"reno": 7489, "louisville": 12319}  # steady-state peak of bins in use (see SCENARIO)

# name: (share of the steady-state need, when_full); None: no storage section
CASES = {
    "unlimited": (None, "overflow"),
    "150% overflow": (1.5, "overflow"),
    "120% overflow": (1.2, "overflow"),
    "100% overflow": (1.0, "overflow"),
    "100% wait": (1.0, "wait"),
}


def case_scenario(base, share: float | None, when_full: str, scale: float = 1.0):
    """The scenario with each node's bins at `share` x its need x `scale` (None: unlimited)."""
    changes = {}
    for i, node in enumerate(base.nodes):
        if share is None:
            changes[f"nodes[{i}].storage"] = None
        else:
            changes[f"nodes[{i}].storage.locations.shelf_bins.count"] = round(
                share * NEED[node.id] * scale)
            changes[f"nodes[{i}].storage.when_full"] = when_full
    return with_changes(base, changes)


def one_case(sc) -> dict:
    """KPIs of one run: spike and overall fill, peak occupancy and days at capacity per node
    (after warm-up), units that went off the shelf, their m3-days, and the overflow cost."""
    result = run(sc, 0)
    record = run_record(result)
    out = {"spike_fill_pct": record["spike/unit_fill_rate_pct"],
           "fill_pct": record["unit_fill_rate_pct"],
           "spike_click_to_door_p95_days": record["spike/click_to_door_p95_days"]}
    storage = result.summary.get("storage")
    if storage is not None:
        for key, k in storage["by_type"].items():
            node = key.split(".")[0]
            out[f"{node}_peak_pct"] = k["peak_occupancy_pct"]
            out[f"{node}_days_at_capacity"] = k["days_at_capacity"]
        out["units_off_shelf"] = sum(k["units_off_shelf_in"] for k in storage["by_type"].values())
        out["off_shelf_m3_days"] = sum(k["off_shelf_m3_days"]
                                       for k in storage["by_type"].values())
        out["overflow_cost"] = sum(storage["overflow_cost"].values())
    out["cost_per_order"] = result.summary["cost_per_order"]
    return out


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--quick", action="store_true", help="a quarter of the demand")
    args = parser.parse_args()
    base = load_scenario(SCENARIO)
    scale = 1.0
    if args.quick:
        base = with_changes(base, {"demand.orders_per_day": 1500, "skus.generator.count": 750})
        scale = 0.25
    rows = []
    start = time.perf_counter()
    for name, (share, when_full) in CASES.items():
        t = time.perf_counter()
        rows.append({"case": name, **one_case(case_scenario(base, share, when_full, scale))})
        print(f"  {name}: {time.perf_counter() - t:.0f} s", flush=True)
    df = pd.DataFrame(rows).set_index("case")
    print(f"{base.name}: {base.demand.orders_per_day:,.0f} orders/day, "
          f"{base.skus.generator.count:,} SKUs, {base.run.horizon_days} days, replication 0, "
          f"{time.perf_counter() - start:.0f} s")
    with pd.option_context("display.width", 200, "display.max_columns", 30):
        print(df.round(2).to_string())


if __name__ == "__main__":
    main()
