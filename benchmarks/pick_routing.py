"""Pick routing benchmark: heuristics vs the exact optimum, exact DP speed, OR-Tools' gap on
multi-block instances, order batching and slotting; every figure against a reference measured
in this same run.

    .venv/bin/python benchmarks/pick_routing.py [--quick]

Heuristic lengths here are the policy's visiting order walked by shortest paths between
consecutive picks (the `length_m` contract of `route`): a picker who follows the policy's
order but never walks an aisle end to end for nothing. The second table measures the same
instances by the textbook walk (`textbook_length_m`: the route as the policy walks it, as
Hall 1993, Petersen 1997 and Roodbergen and de Koster 2001 define and simulate it), which can
only be longer, most for S-shape and return.
"""

from __future__ import annotations

import argparse
import statistics
import time

import numpy as np

from optimize.pick_routing import (
    Layout,
    batch_orders,
    route,
    route_length_m,
    textbook_length_m,
)
from optimize.slotting import slot

HEURISTICS = ("s_shape", "return", "midpoint", "largest_gap", "combined")
AISLE_LENGTH_M, SPACING_M = 30.0, 3.0


def _picks(rng: np.random.Generator, n_aisles: int, n_picks: int, length_m: float) -> np.ndarray:
    return np.column_stack([rng.integers(0, n_aisles, n_picks), rng.uniform(0, length_m, n_picks)])


def _cells(excess: dict[str, list[float]]) -> str:
    return " | ".join(f"{statistics.fmean(v):.1f} ({max(v):.1f})" for v in excess.values())


def heuristics_vs_optimal(n_instances: int) -> None:
    rows = []
    for n_aisles in (10, 30):
        layout = Layout(n_aisles, AISLE_LENGTH_M, SPACING_M)
        for n_picks in (10, 30, 60):
            rng = np.random.default_rng(1000 * n_aisles + n_picks)
            shortest = {h: [] for h in HEURISTICS}
            textbook = {h: [] for h in HEURISTICS}
            opt = []
            for _ in range(n_instances):
                locs = _picks(rng, n_aisles, n_picks, AISLE_LENGTH_M)
                best = route_length_m(layout, locs, "optimal")
                opt.append(best)
                for h in HEURISTICS:
                    shortest[h].append(100.0 * (route_length_m(layout, locs, h) / best - 1.0))
                    textbook[h].append(100.0 * (textbook_length_m(layout, locs, h) / best - 1.0))
            rows.append((f"| {n_aisles} | {n_picks} | {statistics.fmean(opt):.1f} | ",
                         shortest, textbook))
    setup = (f"{n_instances} random single-block instances per row; aisles "
             f"{AISLE_LENGTH_M:g} m long, {SPACING_M:g} m apart, depot at the front of the "
             "first aisle, picks uniform over the aisles and along them; mean % above optimal "
             "(max)")
    head = ("| aisles | picks | optimal m | " + " | ".join(HEURISTICS) + " |\n"
            + "|---:|---:|---:|" + "---:|" * len(HEURISTICS))
    print(f"\n## Heuristics vs optimal (Ratliff-Rosenthal), {setup}; heuristic orders walked by "
          "shortest paths between picks (`route`)\n")
    print(head)
    for lead, shortest, _ in rows:
        print(lead + _cells(shortest) + " |")
    print("\n## The same instances, heuristics measured by their textbook walk "
          "(`textbook_length_m`: aisle end to aisle end as the policy prescribes)\n")
    print(head)
    for lead, _, textbook in rows:
        print(lead + _cells(textbook) + " |")


def _time_per_call_s(fn, repeats: int) -> float:
    start = time.perf_counter()
    for _ in range(repeats):
        fn()
    return (time.perf_counter() - start) / repeats


def exact_speed(n_instances: int) -> None:
    print("\n## Exact DP speed: 30 aisles, 60 picks (goal: under 1 ms per tour)\n")
    layout = Layout(30, AISLE_LENGTH_M, SPACING_M)
    rng = np.random.default_rng(7)
    lists = [_picks(rng, 30, 60, AISLE_LENGTH_M) for _ in range(n_instances)]
    dp = min(_time_per_call_s(lambda: [route(layout, pl, "optimal") for pl in lists], 1)
             for _ in range(3)) / n_instances
    s = min(_time_per_call_s(lambda: [route(layout, pl, "s_shape") for pl in lists], 1)
            for _ in range(3)) / n_instances
    small = [_picks(rng, 30, 5, AISLE_LENGTH_M) for _ in range(n_instances)]
    s5 = min(_time_per_call_s(lambda: [route_length_m(layout, pl, "s_shape") for pl in small], 1)
             for _ in range(3)) / n_instances
    print("| what | time per tour | ratio to S-shape (60 picks) |")
    print("|---|---:|---:|")
    print(f"| optimal: Ratliff-Rosenthal DP + Euler walk, `route` | {dp * 1e3:.3f} ms | "
          f"{dp / s:.1f} |")
    print(f"| S-shape, `route` | {s * 1e3:.3f} ms | 1.0 |")
    print(f"| S-shape, 5 picks, `route_length_m` | {s5 * 1e6:.1f} us | {s5 / s:.2f} |")


def ortools_gap(n_instances: int, time_limit_s: float) -> None:
    print(f"\n## OR-Tools routing (guided local search, {time_limit_s:g} s) vs the exact optimum "
          f"(Held-Karp) on multi-block instances, {n_instances} per row (goal: under 1 % mean "
          "gap)\n")
    print("| aisles | cross aisles | picks | mean gap % | max gap % | optimum found | "
          "Held-Karp s | best heuristic gap % |")
    print("|---:|---:|---:|---:|---:|---:|---:|---:|")
    for n_aisles, k, n_picks in ((10, 3, 12), (10, 4, 12), (20, 5, 14)):
        layout = Layout(n_aisles, AISLE_LENGTH_M, SPACING_M, n_cross_aisles=k)
        rng = np.random.default_rng(31 * n_aisles + k)
        gaps, hk_s, heur = [], [], []
        for _ in range(n_instances):
            locs = _picks(rng, n_aisles, n_picks, AISLE_LENGTH_M)
            exact = route(layout, locs, "optimal")
            assert exact.optimal
            ort = route(layout, locs, "ortools", time_limit_s=time_limit_s)
            gaps.append(100.0 * (ort.length_m / exact.length_m - 1.0))
            hk_s.append(exact.time_s)
            heur.append(100.0 * (min(route_length_m(layout, locs, h) for h in HEURISTICS)
                                 / exact.length_m - 1.0))
        found = sum(g < 1e-6 for g in gaps)
        print(f"| {n_aisles} | {k} | {n_picks} | {statistics.fmean(gaps):.2f} | {max(gaps):.2f} "
              f"| {found}/{n_instances} | {statistics.fmean(hk_s):.3f} | "
              f"{statistics.fmean(heur):.1f} |")


def batching(n_orders: int) -> None:
    print(f"\n## Order batching: metres walked per order, {n_orders} orders of 1-4 lines, "
          "10 aisles, uniform random locations; ratio to no batching in brackets\n")
    layout = Layout(10, AISLE_LENGTH_M, SPACING_M)
    rng = np.random.default_rng(11)
    orders = [_picks(rng, 10, int(k), AISLE_LENGTH_M) for k in rng.integers(1, 5, n_orders)]
    print("| routing | cart (orders) | none | fcfs | seed | savings | savings time s |")
    print("|---|---:|---:|---:|---:|---:|---:|")
    for routing in ("s_shape", "optimal"):
        none = batch_orders(layout, orders, method="none", routing=routing).length_per_order_m
        for cap in (4, 8, 12):
            cells, t = [], 0.0
            for method in ("fcfs", "seed", "savings"):
                res = batch_orders(layout, orders, capacity_orders=cap, method=method,
                                   routing=routing)
                cells.append(f"{res.length_per_order_m:.1f} ({res.length_per_order_m / none:.2f})")
                t = res.time_s
            print(f"| {routing} | {cap} | {none:.1f} | " + " | ".join(cells) + f" | {t:.2f} |")


def slotting(n_orders: int) -> None:
    print(f"\n## Slotting x routing: metres per order, 1,000 SKUs with Pareto popularity, "
          f"{n_orders} orders of 1-5 lines, 20 aisles of 30 m; ratio to random slotting\n")
    layout = Layout(20, AISLE_LENGTH_M, SPACING_M)
    rng = np.random.default_rng(5)
    n_sku = 1000
    pop = np.sort(rng.pareto(1.0, n_sku) + 0.05)[::-1]
    pop /= pop.sum()
    cube = rng.lognormal(np.log(0.005), 0.8, n_sku)
    orders = [rng.choice(n_sku, size=int(k), p=pop) for k in rng.integers(1, 6, n_orders)]
    methods = ("s_shape", "largest_gap", "combined", "optimal")
    print("| slotting | " + " | ".join(methods) + " |")
    print("|---|" + "---:|" * len(methods))
    base = {}
    for policy in ("random", "abc", "cube_per_order"):
        locs = slot(layout, pop, cube, policy, rng=1)
        cells = []
        for m in methods:
            per_order = statistics.fmean(route_length_m(layout, locs[o], m) for o in orders)
            base.setdefault(m, per_order)
            cells.append(f"{per_order:.1f} ({per_order / base[m]:.2f})")
        print(f"| {policy} | " + " | ".join(cells) + " |")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--quick", action="store_true", help="a short run with fewer instances")
    args = parser.parse_args()
    q = args.quick
    start = time.perf_counter()
    heuristics_vs_optimal(100 if q else 1000)
    exact_speed(50 if q else 300)
    ortools_gap(5 if q else 40, 0.2 if q else 0.5)
    batching(60 if q else 200)
    slotting(500 if q else 3000)
    print(f"\n(total {time.perf_counter() - start:.0f} s)")


if __name__ == "__main__":
    main()
