"""A run's orders as a client's order-lines export, so the workbench's output reads back in."""

from __future__ import annotations

from datetime import date
from pathlib import Path

import numpy as np
import pandas as pd

from sim.demand import OrderBook, day_zero
from sim.record.column_table import write_parquet_in_groups

__all__ = ["day_zero", "export_order_lines", "write_order_lines"]


def export_order_lines(orders: OrderBook, sku_ids: np.ndarray, point_lat: np.ndarray,
                       point_lon: np.ndarray, services: tuple[str, ...],
                       start: date, first: int = 0, last: int | None = None) -> pd.DataFrame:
    """One row per order line: order_id, created_at (local time), sku, quantity, lat, lon,
    service; orders cancelled at review are left out (a client's export holds sales). Orders
    `first` to `last` (excluded) only, if given."""
    last = orders.n if last is None else last
    per_order = np.diff(orders.line_start[first:last + 1])
    order = np.repeat(np.arange(first, last), per_order)
    lines = slice(orders.line_start[first], orders.line_start[last])
    keep = ~orders.cancelled[order]
    order = order[keep]
    # Whole microseconds: the precision a timestamp column keeps in every file format.
    created_us = np.round(orders.created_h[order] * 3.6e9).astype("int64")
    t0 = pd.Timestamp(start)
    # Categoricals, not one string per line: a month of a large client is millions of lines.
    return pd.DataFrame({
        "order_id": order.astype(np.int64),
        "created_at": t0 + pd.to_timedelta(created_us, unit="us"),
        "sku": pd.Categorical.from_codes(orders.line_sku[lines][keep],
                                         categories=list(sku_ids)),
        "quantity": orders.line_qty[lines][keep].astype(np.int64),
        "lat": np.asarray(point_lat, float)[orders.point[order]],
        "lon": np.asarray(point_lon, float)[orders.point[order]],
        "service": pd.Categorical.from_codes(orders.service[order], categories=list(services)),
    })


def write_order_lines(path: Path, orders: OrderBook, sku_ids: np.ndarray, point_lat: np.ndarray,
                      point_lon: np.ndarray, services: tuple[str, ...], start: date,
                      orders_per_group: int = 262_144) -> Path:
    """Write `export_order_lines` to a Parquet file a group of orders at a time (memory)."""
    return write_parquet_in_groups(
        (export_order_lines(orders, sku_ids, point_lat, point_lon, services, start, a,
                            min(a + orders_per_group, orders.n))
         for a in range(0, max(orders.n, 1), orders_per_group)), path)
