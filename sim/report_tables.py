"""The comparison report's tables as one Excel workbook a consultant can paste from: one
sheet per CSV the report writes, the same numbers, headers that say what and in what unit,
modes and costs named as a client reads them (`sim.labels`)."""

from __future__ import annotations

from collections.abc import Callable, Mapping
from pathlib import Path

import pandas as pd

from sim.labels import category_label, mode_label

__all__ = ["SHEETS", "readable", "unit_of", "write_workbook"]

# CSV written by the report -> its sheet in the workbook (Excel allows 31 characters).
SHEETS = {
    "kpis.csv": "KPIs",
    "cost_by_category.csv": "Cost by category",
    "differences.csv": "Differences (paired)",
    "break_even.csv": "Break-even",
    "break_even_crossings.csv": "Break-even crossings",
    "tornado.csv": "Tornado",
    "runs.csv": "Runs",
}
HEADERS = {
    "period": "Period",
    "mode": "Mode",
    "baseline": "Compared with (baseline mode)",
    "metric": "KPI",
    "unit": "Unit",
    "category": "Cost category",
    "n": "Replications (n)",
    "mean": "Mean",
    "sd": "Standard deviation",
    "half_width": "95 % CI half-width",
    "lo": "95 % CI low",
    "hi": "95 % CI high",
    "enough": "Interval precise enough",
    "replications_needed": "Replications needed for that",
    "multiplier": "Volume (x the scenario's orders/day)",
    "orders_per_day": "Orders per day",
    "cheapest_below": "Cheapest below",
    "cheapest_above": "Cheapest above",
    "assumption": "Assumption",
    "level": "Setting",
    "window_days": "KPI window (days)",
    "note": "Note",
}
_MODE_COLUMNS = ("mode", "baseline", "cheapest_below", "cheapest_above")


def unit_of(metric: str, currency: str) -> str:
    """The unit of a KPI given by its code name (`two_day_pct` -> "%")."""
    if metric.endswith("_pct"):
        return "%"
    if "cost_per_order" in metric or metric.endswith("_per_order"):
        return f"{currency} per order"  # cost, revenue and profit per shipped order
    if metric.endswith("_value") or metric == "total_cost":
        return currency
    if metric.endswith("_days"):
        return "days"
    if metric.endswith("_h"):
        return "hours"
    return ""


def readable(df: pd.DataFrame, currency: str, metric_label: Callable[[str], str],
             period_label: Mapping[str, str], value: str | None = None) -> pd.DataFrame:
    """`df` with the same numbers under readable headers: code names in the text columns
    replaced by labels, a unit beside each KPI, and `value` naming what `mean` is of when
    the table holds one quantity (`cost per order (USD)`)."""
    out = df.copy()
    if "metric" in out:
        out.insert(out.columns.get_loc("metric") + 1, "unit",
                   out["metric"].map(lambda m: unit_of(str(m), currency)))
        out["metric"] = out["metric"].map(lambda m: metric_label(str(m)))
    for col in _MODE_COLUMNS:
        if col in out:
            out[col] = out[col].map(lambda m: mode_label(str(m)) if pd.notna(m) else m)
    if "category" in out:
        out["category"] = out["category"].map(lambda c: category_label(str(c)))
    if "period" in out:
        out["period"] = out["period"].map(lambda p: period_label.get(p, p))
    headers = dict(HEADERS)
    if value is not None:
        headers.update(mean=f"Mean {value}", lo=f"95 % CI low, {value}",
                       hi=f"95 % CI high, {value}")
    if "cost_per_order" in out:
        headers["cost_per_order"] = f"Cost per order ({currency})"
    if "profit_per_order" in out:
        headers["profit_per_order"] = f"Profit per order ({currency})"
    return out.rename(columns={c: headers[c] for c in out.columns if c in headers})


def write_workbook(sheets: Mapping[str, pd.DataFrame], path: str | Path,
                   about: list[tuple[str, str]]) -> Path:
    """One sheet per table (`sheets`: sheet name -> table), an `About` sheet first with the
    `about` lines (label, text); headers bold and frozen, columns sized to their text."""
    from openpyxl.styles import Font  # openpyxl loads only when a workbook is written

    path = Path(path)
    with pd.ExcelWriter(path, engine="openpyxl") as xl:
        pd.DataFrame(about, columns=["", ""]).to_excel(xl, sheet_name="About", index=False,
                                                       header=False)
        for name, df in sheets.items():
            df.to_excel(xl, sheet_name=name, index=False)
        for ws in xl.book.worksheets:
            if ws.title != "About":
                ws.freeze_panes = "A2"
                for cell in ws[1]:
                    cell.font = Font(bold=True)
            for column in ws.columns:
                width = max((len(str(c.value)) for c in column if c.value is not None),
                            default=8)
                ws.column_dimensions[column[0].column_letter].width = min(60, width + 2)
                for c in column[1:]:
                    if isinstance(c.value, float):
                        c.number_format = "#,##0.00"
    return path
