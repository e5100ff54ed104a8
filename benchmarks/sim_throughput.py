"""Simulated orders per wall-clock second: the full model vs a bare SimPy order flow.

    .venv/bin/python benchmarks/sim_throughput.py            # 1k, 10k, 100k orders/day
    .venv/bin/python benchmarks/sim_throughput.py --quick    # 1k and 10k, a week each
    .venv/bin/python benchmarks/sim_throughput.py --stream   # tables streamed to Parquet

The reference is the minimal order flow any SimPy user would write first (Poisson arrivals,
one process per order, a picker pool and a packer pool as `simpy.Resource`, a wait for the
daily carrier cut-off, a transit delay, six timestamps per order), measured in the same
process so the ratio does not depend on the machine.

Each case runs in a fresh process (reference first, then the model), so its peak resident
memory is its own: printed in MB and per simulated order (the process's peak over the order
count, imports included).
"""

from __future__ import annotations

import argparse
import cProfile
import io
import multiprocessing
import pstats
import resource
import shutil
import tempfile
import time

import numpy as np
import pyarrow.parquet as pq
import simpy

from sim.api import load_scenario, run, with_changes


def bare_simpy_orders_per_s(n_orders: int, orders_per_day: float, seed: int = 0) -> float:
    """Orders per second of the minimal SimPy order flow (hours as the time unit)."""
    rng = np.random.default_rng(seed)
    env = simpy.Environment()
    lam_h = orders_per_day / 24.0
    pickers = simpy.Resource(env, capacity=max(1, int(lam_h * 0.05 / 0.8) + 1))
    packers = simpy.Resource(env, capacity=max(1, int(lam_h * 0.04 / 0.8) + 1))
    gaps = rng.exponential(1.0 / lam_h, n_orders)
    pick = rng.exponential(0.05, n_orders)
    pack = rng.exponential(0.04, n_orders)
    transit = rng.integers(1, 5, n_orders) * 24.0
    stamps = [[0.0] * 6 for _ in range(n_orders)]
    cutoff = {"event": env.event()}

    def carrier():
        while True:
            yield env.timeout(24.0 - env.now % 24.0 + 17.0 if env.now % 24 >= 17 else
                              17.0 - env.now % 24.0)
            cutoff["event"].succeed()
            cutoff["event"] = env.event()

    def order(i: int):
        ts = stamps[i]
        ts[0] = env.now
        with pickers.request() as req:
            yield req
            ts[1] = env.now
            yield env.timeout(pick[i])
        with packers.request() as req:
            yield req
            ts[2] = env.now
            yield env.timeout(pack[i])
        ts[3] = env.now
        yield cutoff["event"]
        ts[4] = env.now
        yield env.timeout(transit[i])
        ts[5] = env.now

    def source():
        for i in range(n_orders):
            yield env.timeout(gaps[i])
            env.process(order(i))

    env.process(carrier())
    env.process(source())
    t0 = time.perf_counter()
    env.run(until=float(gaps.sum()) + 24.0 * 8)
    return n_orders / (time.perf_counter() - t0)


def full_model_orders_per_s(orders_per_day: float, days: int, profile: bool = False,
                            stream: bool = False) -> tuple[float, int, str]:
    """Orders per second of the full model on the two-node example, tables and checks included
    (with `stream`, rows go to disk and the tables are written as Parquet as they are built)."""
    sc = load_scenario("scenarios/us_two_node_black_friday.yaml")
    scale = orders_per_day / sc.demand.orders_per_day
    changes: dict[str, object] = {"demand.orders_per_day": orders_per_day,
                                  "run.horizon_days": days, "run.warmup_days": 1,
                                  "disruptions": [], "demand.spikes": []}
    for i, node in enumerate(sc.nodes):  # crews scale with volume, so the flow stays stable
        for crew, spec in node.resources.crews().items():
            count = spec.count
            changes[f"nodes[{i}].resources.{crew}.count"] = max(1, int(np.ceil(count * scale)))
    sc = with_changes(sc, changes)
    prof = cProfile.Profile() if profile else None
    folder = tempfile.mkdtemp(prefix="throughput-") if stream else None
    t0 = time.perf_counter()
    if prof:
        prof.enable()
    result = run(sc, stream_to=folder)
    if prof:
        prof.disable()
    elapsed = time.perf_counter() - t0
    top = ""
    if prof:
        buf = io.StringIO()
        pstats.Stats(prof, stream=buf).sort_stats("tottime").print_stats(12)
        top = buf.getvalue()
    n = (pq.ParquetFile(f"{folder}/orders.parquet").metadata.num_rows if stream
         else len(result.orders))
    if folder:
        shutil.rmtree(folder)
    return n / elapsed, n, top


def _case(per_day: int, days: int, profile: bool, stream: bool
          ) -> tuple[float, float, int, str, float, float]:
    """One case in its own process: (reference rate, model rate, orders, profile, MB after
    imports, peak MB)."""
    base_mb = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024.0
    ref = bare_simpy_orders_per_s(200_000, 10_000)
    rate, n, top = full_model_orders_per_s(per_day, days, profile=profile, stream=stream)
    peak_mb = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024.0
    return ref, rate, n, top, base_mb, peak_mb


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--quick", action="store_true", help="1k and 10k orders/day for a week")
    ap.add_argument("--days", type=int, default=30, help="simulated days per case")
    ap.add_argument("--profile", action="store_true", help="print the top of a profile")
    ap.add_argument("--volumes", type=int, nargs="*", help="orders/day of each case (default "
                    "1k, 10k, 100k)")
    ap.add_argument("--stream", action="store_true",
                    help="stream rows to disk and write the tables as Parquet (run(..., "
                         "stream_to=folder)), as `fulfil run` does")
    args = ap.parse_args()
    cases = [(1_000, 7), (10_000, 7)] if args.quick else [(1_000, args.days),
                                                          (10_000, args.days),
                                                          (100_000, args.days)]
    if args.volumes:
        cases = [(v, 7 if args.quick else args.days) for v in args.volumes]
    print("reference: bare SimPy, 200,000 orders, 6 timestamps each, in each case's process")
    print(f"{'orders/day':>10} {'days':>5} {'orders':>10} {'ref/s':>8} {'orders/s':>10} "
          f"{'ratio':>6} {'base MB':>8} {'peak MB':>8} {'KB/order':>8}", flush=True)
    ctx = multiprocessing.get_context("spawn")
    for per_day, days in cases:
        with ctx.Pool(1) as pool:
            ref, rate, n, top, base_mb, peak_mb = pool.apply(_case, (per_day, days, args.profile,
                                                                  args.stream))
        print(f"{per_day:>10,} {days:>5} {n:>10,} {ref:>8,.0f} {rate:>10,.0f} {rate / ref:>6.2f} "
              f"{base_mb:>8,.0f} {peak_mb:>8,.0f} {1024.0 * peak_mb / n:>8.2f}", flush=True)
        if top:
            print(top)


if __name__ == "__main__":
    main()
