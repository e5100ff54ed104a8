"""`fulfil safety-stock`: guaranteed-service placement (NETWORK.json) or SKU-node levels (CSV).

NETWORK.json form: optimal service times and safety stock per node (tree DP or CP-SAT).
SKUS.csv form: one row per SKU-node with columns (times in days, demand in units per day)
  required  sku, node, demand_mean, demand_sd, lead_time_mean, lead_time_sd, unit_cost
  optional  holding_rate (share of unit cost per year, default --holding-rate),
            order_cost (currency per order; (s, S) and (r, Q) then order the EOQ, otherwise
            one review period of demand), target (a per-row service target overriding the
            number given in --target, e.g. set per ABC class)
and writes the levels table (--out) with columns sku, node, policy, review_days, target_kind,
target, order_up_to, reorder_point, order_quantity, safety_stock, expected_on_hand,
expected_backorders, achieved_service, safety_stock_value, on_hand_value.

With --forecast-errors ERRORS.csv (from `fulfil forecast --errors-out`: sku, lead_days, rmse),
the spread of demand over the protection period P = lead_time_mean + review (RS, sS: review
days; BS: 1; rQ: 0) is the backtest's forecast error over P days, sigma_P (measured when P is
within the forecast horizon, else rmse_H * sqrt(P / H)), in place of demand_sd * sqrt(P):
the rows' demand_sd becomes sigma_P / sqrt(P), so the levels see sqrt(sigma_P^2 +
demand_mean^2 * lead_time_sd^2). SKUs missing from the file keep their demand_sd.
"""

from __future__ import annotations

import json
import sys
from pathlib import Path
from typing import TYPE_CHECKING

import typer

from optimize.errors import FieldProblem, InvalidInput
from sim.cli.app import app
from sim.cli.csv_input import finite_numbers, read_csv
from sim.cli.errors import at_least, bad_input_exits, input_file, solver_output_to_stderr

if TYPE_CHECKING:
    import pandas as pd

__all__ = ["safety_stock"]

REQUIRED_COLUMNS = ("sku", "node", "demand_mean", "demand_sd", "lead_time_mean", "lead_time_sd",
                    "unit_cost")
NUMERIC_COLUMNS = (*REQUIRED_COLUMNS[2:], "holding_rate", "order_cost", "target")
POLICIES = ("RS", "BS", "sS", "rQ")
DAYS_PER_YEAR = 365.0


def _load_json(path: Path) -> object:
    text = path.read_text()
    try:
        return json.loads(text)
    except json.JSONDecodeError as err:
        raise InvalidInput(FieldProblem("(file)", f"not valid JSON: {err.msg} at line "
                                        f"{err.lineno}", path.name)) from err


def _parse_target(text: str) -> tuple[str, float]:
    kind, _, value = text.partition("=")
    kinds = ("fill_rate", "cycle_service")
    try:
        number = float(value)
    except ValueError:
        number = float("nan")
    if kind not in kinds or not 0 < number < 1:
        raise InvalidInput(FieldProblem("--target", "must look like fill_rate=0.98 or "
                                        "cycle_service=0.95 (a number strictly in (0, 1))", text))
    return kind, number


def _read_skus(path: Path, holding_rate: float) -> pd.DataFrame:
    import numpy as np
    import pandas as pd
    try:
        df = read_csv(path, dtype={"sku": str, "node": str})
    except pd.errors.ParserError as err:
        raise InvalidInput(FieldProblem("(file)", f"not a valid CSV: {err}", path.name)) from err
    missing = [c for c in REQUIRED_COLUMNS if c not in df.columns]
    if missing:
        raise InvalidInput([FieldProblem("columns", "missing required column", c)
                            for c in missing])
    problems = []
    for col in NUMERIC_COLUMNS:
        if col not in df.columns:
            continue
        numbers = finite_numbers(df[col])
        bad = numbers.isna() | (numbers < 0)
        if col in ("target",):
            bad = numbers.notna() & ((numbers <= 0) | (numbers >= 1)) | (
                numbers.isna() & df[col].notna())
        for i in np.flatnonzero(bad.to_numpy())[:5]:
            problems.append(FieldProblem(f"rows[{i}].{col}", "must be a number >= 0"
                                         if col != "target" else "must be strictly in (0, 1)",
                                         df[col].iloc[i]))
        df[col] = numbers
    if len(df) == 0:
        problems.append(FieldProblem("rows", "the file has no SKU-node rows", 0))
    if problems:
        raise InvalidInput(problems)
    if "holding_rate" not in df.columns:
        df["holding_rate"] = holding_rate
    return df


def _review_periods(policy: str, review_days: int) -> int:
    return {"RS": review_days, "BS": 1, "sS": review_days, "rQ": 0}[policy]


def _read_forecast_errors(path: Path) -> pd.DataFrame:
    import numpy as np
    import pandas as pd

    try:
        errors = pd.read_csv(path, dtype={"sku": str})
    except pd.errors.ParserError as err:
        raise InvalidInput(FieldProblem("--forecast-errors", f"not a valid CSV: {err}",
                                        path.name)) from err
    missing = [c for c in ("sku", "lead_days", "rmse") if c not in errors.columns]
    if missing:
        raise InvalidInput([FieldProblem("--forecast-errors", "missing required column", c)
                            for c in missing])
    problems = []
    for col, low in (("lead_days", 1.0), ("rmse", 0.0)):
        numbers = pd.to_numeric(errors[col], errors="coerce")
        for i in np.flatnonzero((numbers.isna() | (numbers < low)).to_numpy())[:5]:
            problems.append(FieldProblem(f"--forecast-errors rows[{i}].{col}",
                                         f"must be a number >= {low:g}", errors[col].iloc[i]))
        errors[col] = numbers
    if problems:
        raise InvalidInput(problems)
    return errors


def _sd_from_forecast_errors(df: pd.DataFrame, errors: pd.DataFrame, policy: str,
                             review_days: int) -> tuple[pd.DataFrame, int]:
    """Rows' demand_sd replaced by sigma_P / sqrt(P) from the forecast errors, and how many."""
    import numpy as np

    from sim.forecast import lead_time_sigma

    review = _review_periods(policy, review_days)
    known = set(errors["sku"])
    sd = df["demand_sd"].to_numpy(float).copy()
    replaced = 0
    for i, (sku, lead) in enumerate(zip(df["sku"], df["lead_time_mean"], strict=True)):
        if sku not in known:
            continue
        p = float(lead) + review
        sd[i] = lead_time_sigma(errors, sku, p) / np.sqrt(p) if p > 0 else 0.0
        replaced += 1
    return df.assign(demand_sd=sd), replaced


def _levels_table(df: pd.DataFrame, kind: str, target: float, policy: str, review_days: int,
                  distribution: str) -> pd.DataFrame:
    import numpy as np
    import pandas as pd

    from optimize.safety_stock import (
        economic_order_quantity,
        order_up_to_levels,
        reorder_point_order_up_to,
    )

    tgt = df["target"].fillna(target).to_numpy() if "target" in df.columns else target
    mu = df["demand_mean"].to_numpy(float)
    hold_per_day = df["unit_cost"].to_numpy(float) * df["holding_rate"].to_numpy(float) / (
        DAYS_PER_YEAR)
    args = (mu, df["demand_sd"].to_numpy(float), df["lead_time_mean"].to_numpy(float),
            df["lead_time_sd"].to_numpy(float))
    review = _review_periods(policy, review_days)
    if policy in ("RS", "BS"):
        lv = order_up_to_levels(*args, review, tgt, kind, distribution, holding_cost=hold_per_day)
        q = np.full(mu.shape, np.nan)
    else:
        q = np.maximum(mu * max(review, 1), 1e-9)
        if "order_cost" in df.columns:
            K = df["order_cost"].fillna(0.0).to_numpy(float)
            eoq = economic_order_quantity(K, np.maximum(hold_per_day, 1e-12), mu)[0]
            q = np.where(K > 0, np.maximum(eoq, 1e-9), q)
        lv = reorder_point_order_up_to(*args, review, q, tgt, kind, distribution,
                                       holding_cost=hold_per_day)
        q = lv.order_up_to - lv.reorder_point  # whole units for discrete demand
    unit_cost = df["unit_cost"].to_numpy(float)
    return pd.DataFrame({
        "sku": df["sku"], "node": df["node"], "policy": policy, "review_days": review,
        "target_kind": kind, "target": tgt, "order_up_to": lv.order_up_to,
        "reorder_point": lv.reorder_point, "order_quantity": q,
        "safety_stock": lv.safety_stock, "expected_on_hand": lv.expected_on_hand,
        "expected_backorders": lv.expected_backorders, "achieved_service": lv.achieved_service,
        "safety_stock_value": lv.safety_stock * unit_cost,
        "on_hand_value": lv.expected_on_hand * unit_cost,
    })


@app.command("safety-stock")
def safety_stock(
    source: Path = typer.Argument(..., help="NETWORK.json (guaranteed-service model) or "
                                  "SKUS.csv (one row per SKU-node)", callback=input_file),
    as_json: bool = typer.Option(False, "--json", help="print the answer as JSON"),
    solver: str = typer.Option("auto", help="network form: auto (tree DP on trees, else "
                               "CP-SAT), dp or cpsat"),
    time_limit: float = typer.Option(60.0, "--time-limit", help="CP-SAT time limit, seconds"),
    target: str = typer.Option("fill_rate=0.98", help="CSV form: fill_rate=X or "
                               "cycle_service=X"),
    policy: str = typer.Option("RS", help="CSV form: RS (periodic order-up-to), BS (base "
                               "stock), sS (periodic (s, S)), rQ (continuous (r, Q))"),
    review_days: int = typer.Option(7, "--review-days", help="CSV form: review period, days"),
    distribution: str = typer.Option("normal", help="CSV form: normal, poisson or negbin"),
    holding_rate: float = typer.Option(0.25, "--holding-rate", callback=at_least(0.0),
                                       help="CSV form: holding cost "
                                       "as a share of unit cost per year (default for rows "
                                       "without a holding_rate column)"),
    out: Path | None = typer.Option(None, "--out", help="CSV form: write the levels table "
                                    "here"),
    forecast_errors: Path | None = typer.Option(None, "--forecast-errors", help="CSV form: "
                                                "size from the forecast error over the "
                                                "protection period (from `fulfil forecast "
                                                "--errors-out`) instead of demand_sd"),
) -> None:
    """Size safety stock: service times across a network, or levels for every SKU-node."""
    from optimize.result import Status
    from optimize.safety_stock import parse_network, solve_gsm

    if source.suffix.lower() == ".json":
        with bad_input_exits(str(source)):
            if solver not in ("auto", "dp", "cpsat"):
                raise InvalidInput(FieldProblem("--solver", "must be auto, dp or cpsat", solver))
            network = parse_network(_load_json(source))
            with solver_output_to_stderr(as_json):
                result = solve_gsm(network, solver, time_limit_s=time_limit)  # type: ignore[arg-type]
        if as_json:
            typer.echo(json.dumps(result.to_dict(), indent=2))
        else:
            typer.echo(f"status {result.status}, cost {result.objective:.4f} per period, "
                       f"{result.time_s:.3f} s ({result.message})"
                       + (", time limit hit" if result.time_limit_hit else ""))
        if not as_json and result.outbound_cst:  # no table when the solve found none
            typer.echo(f"{'node':>12} {'SI':>4} {'S':>4} {'NLT':>4} {'safety stock':>14}")
            for k in network.ids:
                typer.echo(f"{k:>12} {result.inbound_cst[k]:>4} {result.outbound_cst[k]:>4} "
                           f"{result.net_lead_time[k]:>4} {result.safety_stock[k]:>14.3f}")
        if result.status not in (Status.OPTIMAL, Status.FEASIBLE):
            raise typer.Exit(1)
        return

    with bad_input_exits(str(source)):
        problems = []
        if policy not in POLICIES:
            problems.append(FieldProblem("--policy", f"must be one of {POLICIES}", policy))
        if review_days < 1:
            problems.append(FieldProblem("--review-days", "must be >= 1 day", review_days))
        if distribution not in ("normal", "poisson", "negbin"):
            problems.append(FieldProblem("--distribution", "must be normal, poisson or negbin",
                                         distribution))
        if forecast_errors is not None and distribution != "normal":
            problems.append(FieldProblem("--distribution", "must be normal with "
                                         "--forecast-errors (the error is a spread, not a "
                                         "count distribution)", distribution))
        if problems:
            raise InvalidInput(problems)
        kind, number = _parse_target(target)
        df = _read_skus(source, holding_rate)
        from_forecast = 0
        if forecast_errors is not None:
            df, from_forecast = _sd_from_forecast_errors(
                df, _read_forecast_errors(forecast_errors), policy, review_days)
        table = _levels_table(df, kind, number, policy, review_days, distribution)
    if out is not None:
        table.to_csv(out, index=False, float_format="%.6g")
    summary = {"rows": len(table), "policy": policy, "target_kind": kind, "target": number,
               "safety_stock_value": float(table["safety_stock_value"].sum()),
               "on_hand_value": float(table["on_hand_value"].sum()),
               "min_achieved_service": float(table["achieved_service"].min()),
               "out": str(out) if out is not None else None}
    if forecast_errors is not None:
        summary["forecast_error_rows"] = from_forecast
    if as_json:
        typer.echo(json.dumps(summary, indent=2))
    elif out is None:
        table.to_csv(sys.stdout, index=False, float_format="%.6g")
    else:
        typer.echo(f"{len(table)} SKU-node levels ({policy}, {kind} {number}) written to {out}; "
                   f"safety stock value {summary['safety_stock_value']:.2f}, on-hand value "
                   f"{summary['on_hand_value']:.2f}")
