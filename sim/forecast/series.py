"""Daily series from order lines: orders per day in total and units per SKU per day."""

from __future__ import annotations

import pandas as pd

__all__ = ["OTHER_SKUS", "TOTAL_ORDERS", "daily_series"]

# Reserved series names in the `sku` column of a forecast; no client SKU code starts with "__".
TOTAL_ORDERS = "__total_orders__"  # orders per day (not units)
OTHER_SKUS = "__other_skus__"  # units per day of every SKU outside the top N, summed


def daily_series(lines: pd.DataFrame, top_skus: int | None = None) -> pd.DataFrame:
    """One column per series, one row per calendar day from the first to the last order day.

    Columns: TOTAL_ORDERS (distinct orders per day), then units per day of the `top_skus`
    largest SKUs by units (all SKUs if None), largest first, then OTHER_SKUS (the rest summed)
    when any SKU was left out. Days without orders are zeros.
    """
    day = lines["created_at"].dt.normalize()
    days = pd.date_range(day.min(), day.max(), freq="D", name="date")
    orders = lines.assign(day=day).groupby("day")["order_id"].nunique()
    units = lines.assign(day=day, sku=lines["sku"].astype(str)).pivot_table(
        index="day", columns="sku", values="quantity", aggfunc="sum", fill_value=0,
        observed=True)
    # Largest first, ties by SKU code so the order is the same on every run.
    totals = units.sum()
    ranked = sorted(totals.index, key=lambda s: (-int(totals[s]), s))
    keep = ranked if top_skus is None else ranked[:top_skus]
    out = pd.DataFrame({TOTAL_ORDERS: orders}).join(units[keep]).reindex(days, fill_value=0)
    rest = [s for s in ranked if s not in set(keep)]
    if rest:
        out[OTHER_SKUS] = units[rest].sum(axis=1).reindex(days, fill_value=0)
    return out.fillna(0).astype(float)
