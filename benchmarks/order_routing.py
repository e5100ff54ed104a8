"""Batch order routing: exact MIP vs LP bound vs myopic greedy on seeded US instances.

    .venv/bin/python benchmarks/order_routing.py [--quick] [--time-limit S] [--seed N]

Reports, per instance, the time to a proven optimum (or the gap reached at the time limit)
and the greedy baseline's cost and gap against the best bound measured in the same run.
"""

from __future__ import annotations

import argparse
import time

import numpy as np

from optimize.order_routing import greedy, lp_bound, random_instance, solve
from optimize.order_routing.model import build_model

FULL = [(1_000, 6, 1_000), (10_000, 8, 1_000)]
QUICK = [(300, 6, 200), (2_000, 8, 1_000)]


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--quick", action="store_true", help="small instances, short limit")
    parser.add_argument("--time-limit", type=float, default=None, help="seconds per solve")
    parser.add_argument("--seed", type=int, default=1)
    args = parser.parse_args()
    sizes = QUICK if args.quick else FULL
    limit = args.time_limit or (20.0 if args.quick else 60.0)
    print(f"order routing benchmark: seed {args.seed}, time limit {limit:g} s per solve, "
          "1 thread, HiGHS (LP via OR-Tools model_builder, MIP via scipy milp)")
    rows = []
    for orders, nodes, skus in sizes:
        t = time.perf_counter()
        inst = random_instance(orders, nodes, skus, seed=args.seed)
        gen_s = time.perf_counter() - t
        pairs = build_model(inst).n_pairs
        g = greedy(inst)
        lp = lp_bound(inst, time_limit_s=limit, backend="highs")
        opt = solve(inst, time_limit_s=limit)
        bound = float(np.fmax(opt.bound, lp.bound))
        rows.append((f"{orders}x{nodes}x{skus}", inst.n_lines, pairs, gen_s, g, lp, opt, bound))
    head = (f"{'instance':>16} {'lines':>6} {'cand.ship':>9} | {'method':>7} {'status':>10} "
            f"{'cost':>12} {'gap vs bound':>12} {'vs optimal':>10} {'split':>6} "
            f"{'unfilled':>8} {'time s':>7}")
    print(head)
    print("-" * len(head))
    for name, lines, pairs, _gen_s, g, lp, opt, bound in rows:
        for label, r in (("optimal", opt), ("greedy", g), ("lp", lp)):
            gap = (r.objective - bound) / r.objective
            shown = f"{100 * gap:11.3f}%"
            ratio = f"{r.objective / opt.objective:10.4f}"
            unfilled = sum(u.units for u in r.unfilled)
            print(f"{name:>16} {lines:>6} {pairs:>9} | {label:>7} {r.status!s:>10} "
                  f"{r.objective:12.2f} {shown:>12} {ratio:>10} {r.split_orders:>6} "
                  f"{unfilled:>8} {r.time_s:7.2f}")
        print(f"{'':>16} {'':>6} {'':>9} | LP bound {lp.bound:.2f} ({lp.time_s:.2f} s); "
              f"optimal: bound {opt.bound:.2f}, {opt.message}")
    print("gap vs bound = (cost - best lower bound) / cost; 'lp' is the plan opening every "
          "shipment the LP relaxation uses; vs optimal = cost / cost of the optimal method.")


if __name__ == "__main__":
    main()
