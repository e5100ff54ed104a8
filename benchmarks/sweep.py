"""Replications per minute on 1 and 2 local workers and a 2-worker Dask LocalCluster, the
overhead per task, and the wall time of a default `fulfil compare`.

    .venv/bin/python benchmarks/sweep.py            # two-node example, 14 days; full compares
    .venv/bin/python benchmarks/sweep.py --quick    # 7 days at a quarter of the volume

The reference is the same replications run one after another in this process (no pool, no
store): speed-ups are against it, and the overhead per task is the wall time a task costs
beyond its own run time (pool start-up, pickling, writing its Parquet row), measured in the
same process.
"""

from __future__ import annotations

import argparse
import tempfile
import time
from pathlib import Path

from sim.api import load_scenario, run, with_changes
from sim.compare import CompareSettings, plan_compare, run_compare
from sim.report import write_report
from sim.store import ResultStore
from sim.sweep import execute, make_tasks


def _tasks(scenario, replications: int, tag: str):
    # A distinct seed per executor so no run is skipped as already stored elsewhere.
    return make_tasks(scenario, [{}], replications, sweep=tag)


def _measure(label: str, tasks, **how) -> dict:
    with tempfile.TemporaryDirectory() as tmp:
        store = ResultStore(tmp)
        t0 = time.perf_counter()
        execute(tasks, store, progress=False, **how)
        wall = time.perf_counter() - t0
        run_s = float(store.table()["elapsed_s"].sum())
    return {"label": label, "wall_s": wall, "run_s": run_s, "n": len(tasks)}


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--quick", action="store_true", help="short runs, small compare")
    parser.add_argument("--replications", type=int, default=6)
    args = parser.parse_args()
    days, scale = (7, 0.25) if args.quick else (14, 1.0)
    base = load_scenario("scenarios/us_two_node_black_friday.yaml")
    sc = with_changes(base, {"run.horizon_days": days, "run.warmup_days": 3,
                             "demand.orders_per_day": base.demand.orders_per_day * scale})
    n = args.replications
    print(f"two-node example, {days} days at {sc.demand.orders_per_day:,.0f} orders/day, "
          f"{n} replications per executor\n")

    t0 = time.perf_counter()
    for r in range(n):
        run(sc, replication=r)
    serial = time.perf_counter() - t0
    rows = [{"label": "reference: in this process, no store", "wall_s": serial,
             "run_s": serial, "n": n}]
    rows.append(_measure("1 local worker", _tasks(sc, n, "w1"), workers=1))
    rows.append(_measure("2 local workers", _tasks(sc, n, "w2"), workers=2))
    from distributed import Client, LocalCluster

    with LocalCluster(n_workers=2, threads_per_worker=1, processes=True,
                      dashboard_address=None) as cluster, Client(cluster) as client:
        client.submit(sum, [1]).result()  # cluster up before the clock starts
        rows.append(_measure("Dask LocalCluster, 2 workers", _tasks(sc, n, "dask"),
                             client=client))

    print(f"{'executor':38} {'wall s':>8} {'reps/min':>9} {'speed-up':>9} "
          f"{'overhead/task s':>16} {'overhead %':>11}")
    for r in rows:
        per_min = 60.0 * r["n"] / r["wall_s"]
        workers = 2 if "2" in r["label"] else 1
        overhead = max(0.0, (r["wall_s"] * workers - r["run_s"]) / r["n"])
        mean_run = r["run_s"] / r["n"]
        print(f"{r['label']:38} {r['wall_s']:8.1f} {per_min:9.2f} "
              f"{serial / r['wall_s']:9.2f} {overhead:16.2f} {100 * overhead / mean_run:10.1f}%")

    print("\ndefault `fulfil compare` (all modes, default replications, break-even, tornado), "
          "2 local workers:")
    cases = [("us_one_node_in_house.yaml", {})]
    if args.quick:
        cases = [("us_one_node_in_house.yaml", {"demand.orders_per_day": 500})]
    else:
        cases.append(("us_two_node_black_friday.yaml", {}))
    settings = CompareSettings()
    for name, changes in cases:
        s = load_scenario(f"scenarios/{name}")
        if changes:
            s = with_changes(s, changes)
        plan = plan_compare(s, settings)
        with tempfile.TemporaryDirectory() as tmp:
            t0 = time.perf_counter()
            done = run_compare(plan, ResultStore(Path(tmp) / "store"), workers=2,
                               progress=False)
            write_report(plan, done.tables, tmp)
            wall = time.perf_counter() - t0
        print(f"  {name:32} {s.demand.orders_per_day:>7,.0f}/day  {len(plan.tasks):3d} runs "
              f"({len(settings.modes)} modes x {settings.replications} reps over "
              f"{plan.main.run.horizon_days} days + sensitivity)  {wall:7.1f} s "
              f"({wall / 60:.1f} min; goal < 5 min)")


if __name__ == "__main__":
    main()
