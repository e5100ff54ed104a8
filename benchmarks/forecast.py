"""`fulfil forecast`'s backtest on the bundled year of client orders: time and accuracy of the
full model choice against the seasonal-naive baseline alone, in the same process.

    .venv/bin/python benchmarks/forecast.py [--top-skus 200] [--horizon-days 28]

Reads `scenarios/data/example_orders.csv.gz` (a year of orders with Black Friday, exported as
a client would), builds the daily series of the total, the top SKUs and the rest, and runs the
rolling-origin backtest twice: with every candidate model (ETS, seasonal naive, Croston, SBA,
TSB, as the command does) and with the seasonal-naive baseline alone. Prints CPU seconds of
each and their ratio, and the mean MASE of the chosen models against the baseline's (below 1:
the choice beats the baseline).
"""

from __future__ import annotations

import argparse
import time
from pathlib import Path

import numpy as np

from sim.client_data import load_order_lines, parse_column_map
from sim.client_data.synthetic import CLIENT_COLUMNS
from sim.forecast.backtest import forecast_series
from sim.forecast.models import BASELINE
from sim.forecast.series import daily_series

ROOT = Path(__file__).parents[1]


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--top-skus", type=int, default=200)
    ap.add_argument("--horizon-days", type=int, default=28)
    args = ap.parse_args()
    columns = ",".join(f"{ours}={theirs}" for ours, theirs in CLIENT_COLUMNS.items())
    data = load_order_lines(ROOT / "scenarios/data/example_orders.csv.gz",
                            columns=parse_column_map(columns))
    frame = daily_series(data.lines, top_skus=args.top_skus)
    print(f"{len(data.lines):,} order lines -> {frame.shape[1]} series x {frame.shape[0]} days")
    timed = {}
    for name, models in (("baseline", (BASELINE,)), ("every model", None)):
        t = time.process_time()
        result = (forecast_series(frame, args.horizon_days, models=models) if models
                  else forecast_series(frame, args.horizon_days))
        timed[name] = (time.process_time() - t, result)
    base_s, _ = timed["baseline"]
    full_s, full = timed["every model"]
    chosen = np.array([s.mase[s.chosen] for s in full.series])
    naive = np.array([s.mase[BASELINE] for s in full.series])
    ok = np.isfinite(chosen) & np.isfinite(naive)
    picks = {}
    for s in full.series:
        picks[s.chosen] = picks.get(s.chosen, 0) + 1
    print(f"{'run':<12} {'CPU s':>7} {'ratio':>6}")
    print(f"{'baseline':<12} {base_s:>7.1f} {1.0:>6.2f}")
    print(f"{'every model':<12} {full_s:>7.1f} {full_s / base_s:>6.1f}")
    print(f"mean MASE: chosen {chosen[ok].mean():.3f} vs seasonal naive {naive[ok].mean():.3f} "
          f"(ratio {chosen[ok].mean() / naive[ok].mean():.3f}); chosen beats or ties the "
          f"baseline on {(chosen[ok] <= naive[ok] + 1e-12).mean():.0%} of {ok.sum()} series")
    print("models chosen:", ", ".join(f"{m} {n}" for m, n in sorted(picks.items())))
    print(f"80 % interval coverage, mean over series: "
          f"{np.nanmean([s.coverage80 for s in full.series]):.0%}")


if __name__ == "__main__":
    main()
