"""Client data in: `fulfil calibrate` on a million order lines (time, peak memory), and replay
throughput against generated demand on the same orders (a ratio in one run).

    .venv/bin/python benchmarks/client_data.py [--lines 1000000] [--days 28]

Each case runs in its own process, so its peak resident set is its own.
"""

from __future__ import annotations

import argparse
import multiprocessing as mp
import resource
import tempfile
import time
from pathlib import Path


def _peak_gb() -> float:
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024**2


def _calibrate(csv: str, skus: str, out: str, columns: str) -> tuple[float, float, int]:
    from sim.calibrate import calibrate, template_region
    from sim.calibrate.write import write_calibration
    from sim.client_data import load_order_lines, parse_column_map
    from sim.coverage import template_scenario

    t = time.perf_counter()
    data = load_order_lines(csv, columns=parse_column_map(columns), skus=skus)
    cal = calibrate(data, template_scenario(template_region(data.lines)))
    write_calibration(cal, Path(out), Path(csv).name)
    return time.perf_counter() - t, _peak_gb(), len(data.lines)


def _run(scenario: dict, orders_file: str | None, write_to: str | None
         ) -> tuple[float, float, int]:
    from sim.api import run, with_changes
    from sim.scenario import Scenario

    sc = Scenario.model_validate(scenario)
    if orders_file is not None:
        sc = with_changes(sc, {"demand.orders_file": orders_file})
    t = time.perf_counter()
    result = run(sc)
    seconds = time.perf_counter() - t
    if write_to is not None:
        result.export().to_parquet(write_to, index=False)
    return seconds, _peak_gb(), len(result.orders)


def _in_process(fn, *args):
    with mp.get_context("spawn").Pool(1) as pool:
        return pool.apply(fn, args)


def main() -> None:
    """Print the calibrate and replay measurements as Markdown."""
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--lines", type=int, default=1_000_000, help="order lines in the history")
    ap.add_argument("--days", type=int, default=28, help="replay horizon (days)")
    args = ap.parse_args()

    from sim.client_data.synthetic import CLIENT_COLUMNS, example_truth, synthetic_history

    tmp = Path(tempfile.mkdtemp(prefix="bench-client-"))
    per_day = args.lines / (365 * 1.6 * 1.08)  # lines per order 1.6; growth over the year
    truth = example_truth(orders_per_day=per_day)
    lines, master = synthetic_history(truth)
    csv = tmp / "orders.csv"
    lines.rename(columns=CLIENT_COLUMNS).to_csv(csv, index=False)
    master.to_csv(tmp / "skus.csv", index=False)
    columns = ",".join(f"{a}={b}" for a, b in CLIENT_COLUMNS.items())
    secs, gb, n = _in_process(_calibrate, str(csv), str(tmp / "skus.csv"),
                              str(tmp / "client.yaml"), columns)
    print(f"| calibrate | {n:,} order lines (CSV, client column names, SKU master) | "
          f"{secs:.1f} s | {gb:.2f} GB |")

    short = truth.model_dump(mode="json")
    short["run"].update(horizon_days=args.days, warmup_days=min(7, args.days // 4))
    export = str(tmp / "order_lines.parquet")
    g_secs, g_gb, g_n = _in_process(_run, short, None, export)
    r_secs, r_gb, r_n = _in_process(_run, short, export, None)
    print(f"| generated demand | {g_n:,} orders, {args.days} days | {g_secs:.1f} s "
          f"({g_n / g_secs:,.0f} orders/s) | {g_gb:.2f} GB |")
    print(f"| replay of the same orders | {r_n:,} orders | {r_secs:.1f} s "
          f"({r_n / r_secs:,.0f} orders/s) | {r_gb:.2f} GB |")
    print(f"\nreplay / generated throughput: {(r_n / r_secs) / (g_n / g_secs):.2f}x")


if __name__ == "__main__":
    main()
