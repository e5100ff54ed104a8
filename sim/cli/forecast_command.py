"""`fulfil forecast ORDERS --horizon-days H --out FORECAST.csv`: daily forecasts per SKU.

Reads a client's order-lines file, builds orders per day and units per SKU per day (days
without orders are zeros), backtests the candidate models per series on rolling origins, and
writes `date, sku, mean, lo80, hi80` for the `--top-skus` largest SKUs (units per day), the
rest summed as `__other_skus__`, and the row `__total_orders__` in orders per day.
`--errors-out` writes per series the RMSE of the forecast error summed over 1..H days, which
`fulfil safety-stock SKUS.csv --forecast-errors` sizes safety stock from.
"""

from __future__ import annotations

import json
import math
import os
import sys
import tempfile
from pathlib import Path

import pandas as pd
import typer

from optimize.errors import FieldProblem, InvalidInput
from sim.cli.app import app
from sim.cli.client_data_options import (
    COLUMNS_OPTION,
    DROP_BAD_ROWS_OPTION,
    TZ_OPTION,
    read_orders,
)
from sim.cli.errors import bad_input_exits

__all__ = ["forecast"]


def _write_atomic(frames: dict[Path, pd.DataFrame]) -> None:
    # Every file is written to a temporary name first and renamed only when all are written.
    temps = []
    try:
        for path, df in frames.items():
            fd, tmp = tempfile.mkstemp(prefix=f".{path.name}.", dir=path.parent or ".")
            os.close(fd)
            temps.append((tmp, path))
            df.to_csv(tmp, index=False, float_format="%.6g")
        for tmp, path in temps:
            os.replace(tmp, path)
    finally:
        for tmp, _ in temps:
            if os.path.exists(tmp):
                os.remove(tmp)


def _finite(x: float) -> float | None:
    return x if math.isfinite(x) else None


def _check_options(horizon: int, season: int, windows: int, step: int, top_skus: int,
                   outputs: dict[str, Path | None]) -> None:
    problems = [FieldProblem(name, "must be a whole number >= 1", value)
                for name, value in (("--horizon-days", horizon), ("--season", season),
                                    ("--backtest-windows", windows), ("--backtest-step", step),
                                    ("--top-skus", top_skus)) if value < 1]
    problems += [FieldProblem(name, "the folder does not exist", str(path))
                 for name, path in outputs.items()
                 if path is not None and not path.absolute().parent.is_dir()]
    if problems:
        raise InvalidInput(problems)


@app.command("forecast")
def forecast(
    orders: Path = typer.Argument(..., help="order-lines file (CSV, Parquet or .xlsx)"),
    horizon_days: int = typer.Option(28, "--horizon-days", help="days to forecast"),
    out: Path = typer.Option(..., "--out", help="write date, sku, mean, lo80, hi80 here"),
    errors_out: Path | None = typer.Option(None, "--errors-out", help="write sku, lead_days, "
                                           "rmse (forecast error over 1..H days, units) here"),
    columns: str | None = COLUMNS_OPTION,
    tz: str | None = TZ_OPTION,
    drop_bad_rows: bool = DROP_BAD_ROWS_OPTION,
    season: int = typer.Option(7, "--season", help="season length, days (seasonal naive "
                               "baseline, ETS season, MASE scale)"),
    windows: int = typer.Option(4, "--backtest-windows", help="rolling origins"),
    step: int = typer.Option(7, "--backtest-step", help="days between rolling origins"),
    top_skus: int = typer.Option(100, "--top-skus", help="forecast the N largest SKUs by "
                                 "units; the rest are summed into __other_skus__"),
    as_json: bool = typer.Option(False, "--json", help="print the backtest as JSON"),
) -> None:
    """Forecast orders per day and units per SKU per day, models chosen by backtest."""
    from sim.forecast import TOTAL_ORDERS, daily_series, forecast_series

    with bad_input_exits(str(orders)):
        _check_options(horizon_days, season, windows, step, top_skus,
                       {"--out": out, "--errors-out": errors_out})
    lines = read_orders(orders, columns, tz, drop_bad_rows=drop_bad_rows).lines
    with bad_input_exits(str(orders)):
        if len(lines) == 0:
            raise InvalidInput(FieldProblem("rows", "the file has no order lines", 0))
        frame = daily_series(lines, top_skus)

        def progress(done: int, total: int) -> None:
            if done % 10 == 0 or done == total:
                print(f"backtest: {done}/{total} series", file=sys.stderr, flush=True)

        result = forecast_series(frame, horizon_days, windows, step, season, progress=progress)
        files = {out: result.forecast_table()}
        if errors_out is not None:
            files[errors_out] = result.errors_table()
        _write_atomic(files)

    table = result.backtest_table()
    if as_json:
        typer.echo(json.dumps({
            "library": "statsmodels", "horizon_days": horizon_days, "season": season,
            "backtest_windows": windows, "backtest_step": step,
            "history_days": len(frame), "first_day": str(frame.index[0].date()),
            "last_day": str(frame.index[-1].date()),
            "backtest": [{k: (_finite(v) if isinstance(v, float) else v)
                          for k, v in row.items()} for row in table.to_dict("records")],
            "series": [{"sku": s.name,
                        "unit": "orders/day" if s.name == TOTAL_ORDERS else "units/day",
                        "chosen": s.chosen, "intermittent": s.intermittent,
                        "selected_by": "rmsse" if s.intermittent else "mase",
                        "mase": {m: _finite(v) for m, v in s.mase.items()},
                        "rmsse": {m: _finite(v) for m, v in s.rmsse.items()},
                        "bias": _finite(s.bias[s.chosen]),
                        "coverage80": _finite(s.coverage80)} for s in result.series],
            "out": str(out), "errors_out": str(errors_out) if errors_out else None}, indent=2))
        return
    typer.echo(f"{len(frame)} days of history ({frame.index[0].date()} to "
               f"{frame.index[-1].date()}), {len(result.series)} series, {windows} backtest "
               f"windows {step} days apart, horizon {horizon_days} days")
    typer.echo("backtest (MASE, RMSSE: mean absolute, root mean squared error / in-sample "
               f"seasonal naive's, season {season}; bias: mean forecast - actual, units per "
               "day; chosen by MASE, by RMSSE on intermittent series):")
    typer.echo(table.to_string(index=False, float_format=lambda v: f"{v:.3f}"))
    for s in result.series[:10]:
        unit = "orders/day" if s.name == TOTAL_ORDERS else "units/day"
        typer.echo(f"  {s.name:>18} {s.chosen:>13}  MASE {s.mase[s.chosen]:.3f} vs seasonal "
                   f"naive {s.mase.get('SeasonalNaive', float('nan')):.3f}, 80 % interval "
                   f"covered {s.coverage80:.0%} of held-out days ({unit})")
    typer.echo(f"forecast written to {out}" + (f", errors to {errors_out}" if errors_out
                                                 else ""))
