"""Pick routing and batching in the simulation: S-shape vs optimal vs optimal + savings batching
on the two-node example, with common random numbers (same seed and replication = same orders).

    .venv/bin/python benchmarks/pick_routing_sim.py [--days 10] [--replications 3]

Every policy is run on the same replications; differences are paired, with Student-t 95 %
intervals, so they are not noise.
"""

from __future__ import annotations

import argparse
import time

import numpy as np
from scipy import stats

from sim.api import load_scenario, run, with_changes

POLICIES = {
    "s_shape": {"routing": "s_shape", "batching": "fcfs"},
    "optimal": {"routing": "optimal", "batching": "fcfs"},
    "optimal+savings": {"routing": "optimal", "batching": "savings"},
}


def _metrics(summary: dict) -> dict[str, float]:
    util = [v for k, v in summary["utilisation"].items() if k.endswith(".pickers")]
    metres = [p["distance_per_order_m"] for p in summary["picking"].values()]
    return {"picker utilisation %": 100 * float(np.mean(util)),
            "metres per order": float(np.mean(metres)),
            "shipped by cut-off %": summary["shipped_by_cutoff_pct"],
            "click-to-ship p95 h": summary["click_to_ship_p95_h"]}


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--days", type=int, default=10)
    ap.add_argument("--replications", type=int, default=3)
    ap.add_argument("--window", type=int, default=20, help="savings batching window (orders)")
    args = ap.parse_args()
    base = load_scenario("scenarios/us_two_node_black_friday.yaml")
    base = with_changes(base, {"run.horizon_days": args.days, "run.warmup_days": 2,
                               "demand.spikes": [], "disruptions": []})
    results: dict[str, list[dict[str, float]]] = {p: [] for p in POLICIES}
    seconds = {p: 0.0 for p in POLICIES}
    for name, pk in POLICIES.items():
        changes = {}
        for i in range(len(base.nodes)):
            changes[f"nodes[{i}].picking.routing"] = pk["routing"]
            changes[f"nodes[{i}].picking.batching"] = pk["batching"]
            changes[f"nodes[{i}].picking.batching_window_orders"] = args.window
        sc = with_changes(base, changes)
        for rep in range(args.replications):
            t0 = time.perf_counter()
            results[name].append(_metrics(run(sc, replication=rep).summary))
            seconds[name] += time.perf_counter() - t0
    print(f"two-node example, {args.days} days (2 warm-up), no spike, carts of 10 orders, "
          f"{args.replications} replications, common random numbers")
    keys = list(results["s_shape"][0])
    print("| policy | " + " | ".join(keys) + " | run s |")
    print("|---|" + "---:|" * (len(keys) + 1))
    for name, rows in results.items():
        cells = [f"{np.mean([r[k] for r in rows]):.2f}" for k in keys]
        print(f"| {name} | " + " | ".join(cells) + f" | {seconds[name] / len(rows):.1f} |")
    print("\npaired difference vs s_shape, mean [95 % CI]")
    for name in ("optimal", "optimal+savings"):
        cells = []
        for k in keys:
            d = np.array([a[k] - b[k] for a, b in zip(results[name], results["s_shape"],
                                                       strict=True)])
            half = (stats.t.ppf(0.975, len(d) - 1) * d.std(ddof=1) / np.sqrt(len(d))
                    if len(d) > 1 else float("nan"))
            cells.append(f"{k}: {d.mean():+.2f} [{d.mean() - half:+.2f}, {d.mean() + half:+.2f}]")
        print(f"  {name}: " + "; ".join(cells))


if __name__ == "__main__":
    main()
