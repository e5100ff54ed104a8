"""Carton packing: the extreme-point heuristic against the exact CP-SAT optimum on small random
orders (objective ratio heuristic / exact, and time), in one process.

    .venv/bin/python benchmarks/packing.py [--orders 40] [--max-units 8] [--seed 1]
    .venv/bin/python benchmarks/packing.py --orders 10 --fixed 4 3 --time-limit 60
    .venv/bin/python benchmarks/packing.py --orders 5 --fixed 10 10 --heuristic-only
"""

from __future__ import annotations

import argparse
import statistics
import time

import numpy as np

from optimize.packing import Carton, Item, PackingInstance, pack, packing_violations

# A parcel catalogue of the usual shape: mailer box, shoe box, small, medium, large (inner cm;
# costs in currency per carton), billed at 0.9 per billable kg with a 5,000 cm3/kg divisor.
CATALOGUE = (
    Carton("XS", (22.0, 16.0, 8.0), 5.0, 0.30),
    Carton("S", (30.0, 20.0, 15.0), 10.0, 0.45),
    Carton("M", (40.0, 30.0, 20.0), 20.0, 0.80),
    Carton("L", (50.0, 40.0, 30.0), 30.0, 1.30),
)


def random_order(rng: np.random.Generator, max_units: int,
                 fixed: tuple[int, int] | None = None) -> PackingInstance:
    """2-4 SKUs of integer sides 4-28 cm at 0.1-0.3 g/cm3, 1-3 units each, <= max_units
    (or `fixed` = (SKUs, units each)); a fifth of the SKUs upright."""
    items, units = [], 0
    n_skus = fixed[0] if fixed else int(rng.integers(2, 5))
    for k in range(n_skus):
        qty = fixed[1] if fixed else int(min(rng.integers(1, 4), max_units - units))
        if qty <= 0:
            break
        dims = tuple(float(d) for d in rng.integers(4, 29, size=3))
        kg = round(float(np.prod(dims)) * float(rng.uniform(0.1, 0.3)) / 1000, 3)
        items.append(Item(f"SKU{k}", dims, kg, qty, bool(rng.random() < 0.2)))
        units += qty
    return PackingInstance(CATALOGUE, tuple(items), 5000.0, 0.9)


def _heuristic_only(rng: np.random.Generator, args: argparse.Namespace) -> None:
    times = []
    for n in range(args.orders):
        inst = random_order(rng, args.max_units, args.fixed)
        t0 = time.perf_counter()
        heur = pack(inst, "heuristic")
        times.append(time.perf_counter() - t0)
        assert not packing_violations(inst, heur)
        print(f"order {n:3d}: {inst.n_units:3d} units  heuristic {heur.objective:8.3f} "
              f"({len(heur.cartons)} cartons, {times[-1]:.2f} s)", flush=True)
    print(f"\nheuristic time per order: median {statistics.median(times):.2f} s, "
          f"max {max(times):.2f} s")


def main() -> None:
    """Run the comparison and print one line per order and the summary."""
    ap = argparse.ArgumentParser(description=__doc__)
    ap.add_argument("--orders", type=int, default=40)
    ap.add_argument("--max-units", type=int, default=8)
    ap.add_argument("--seed", type=int, default=1)
    ap.add_argument("--time-limit", type=float, default=30.0)
    ap.add_argument("--fixed", type=int, nargs=2, metavar=("SKUS", "QTY"),
                    help="every order SKUS SKUs of QTY units each (e.g. 4 3: 12 units)")
    ap.add_argument("--heuristic-only", action="store_true",
                    help="time the heuristic alone (orders too large for the exact model)")
    args = ap.parse_args()
    rng = np.random.default_rng(args.seed)
    if args.heuristic_only:
        _heuristic_only(rng, args)
        return
    ratios, t_exact, t_heur, unproven = [], [], [], 0
    for n in range(args.orders):
        inst = random_order(rng, args.max_units, args.fixed)
        t0 = time.perf_counter()
        heur = pack(inst, "heuristic")
        t1 = time.perf_counter()
        exact = pack(inst, "exact", time_limit_s=args.time_limit)
        t2 = time.perf_counter()
        assert not packing_violations(inst, heur) and not packing_violations(inst, exact)
        if exact.status != "optimal":
            unproven += 1
            continue
        ratios.append(heur.objective / exact.objective)
        t_heur.append(t1 - t0)
        t_exact.append(t2 - t1)
        print(f"order {n:3d}: {inst.n_units:2d} units  exact {exact.objective:7.3f} "
              f"({len(exact.cartons)} cartons, {t2 - t1:6.2f} s)  heuristic "
              f"{heur.objective:7.3f} ({len(heur.cartons)} cartons)  ratio {ratios[-1]:.4f}",
              flush=True)
    r = np.array(ratios)
    size = (f"{args.fixed[0]} SKUs x {args.fixed[1]} units" if args.fixed
            else f"<= {args.max_units} units")
    print(f"\n{len(r)} orders proven optimal ({unproven} not within {args.time_limit:g} s), "
          f"{size}, seed {args.seed}")
    print(f"heuristic / exact objective: mean {r.mean():.4f}, median {np.median(r):.4f}, "
          f"max {r.max():.4f}; heuristic optimal on {np.mean(r < 1 + 1e-9):.0%} of orders")
    print(f"time per order: exact median {statistics.median(t_exact):.2f} s, max "
          f"{max(t_exact):.2f} s; heuristic median {1e3 * statistics.median(t_heur):.2f} ms")


if __name__ == "__main__":
    main()
