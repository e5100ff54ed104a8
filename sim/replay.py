"""Replay a client's orders: the order book from an order-lines file instead of the generator.

Times keep their day and time of day, shifted so the file's first day is the run's day 0;
each order goes to the scenario's demand point nearest its destination (the run's distances
and transit times are computed between nodes and demand points); SKUs must be in the
scenario's `skus.items` (as `fulfil calibrate` writes them). The payment and fraud checks,
and the service where the file has none, are drawn as for generated orders: replications
vary the process, never the orders.
"""

from __future__ import annotations

import os
from dataclasses import dataclass
from datetime import date
from functools import lru_cache
from pathlib import Path

import numpy as np
import pandas as pd
from scipy.spatial import cKDTree

from sim.client_data import ClientDataError, OrderLines, load_order_lines
from sim.demand import Catalogue, OrderBook, draw_services, order_book
from sim.scenario import Demand, Scenario
from sim.streams import Streams

__all__ = ["ReplayFile", "file_calendar", "read_replay_file", "replay_orders", "snap_to_points"]


@dataclass(frozen=True)
class ReplayFile:
    """A replay file read once: its lines and its first day."""

    lines: pd.DataFrame
    first_day: date
    days: int  # whole days from the first day to the last order's day, inclusive


@lru_cache(maxsize=4)
def _read(path: str, mtime_ns: int, size: int, columns: tuple[tuple[str, str], ...],
          tz: str | None) -> ReplayFile:
    data: OrderLines = load_order_lines(path, columns=dict(columns), tz=tz)
    lines = data.lines
    first = lines["created_at"].min().normalize()
    last = lines["created_at"].max().normalize()
    return ReplayFile(lines=lines, first_day=first.date(), days=int((last - first).days) + 1)


def read_replay_file(demand: Demand) -> ReplayFile:
    """The demand section's orders file, read and checked (cached while the file is
    unchanged); raises ClientDataError or OSError."""
    path = Path(demand.orders_file)
    st = os.stat(path)
    return _read(str(path.resolve()), st.st_mtime_ns, st.st_size,
                 tuple(sorted(demand.columns.items())), demand.tz)


def file_calendar(demand: Demand) -> tuple[date, int]:
    """(first day, days spanned) of the orders file; ValueError naming the problem."""
    try:
        f = read_replay_file(demand)
    except FileNotFoundError as err:
        raise ValueError(f"demand.orders_file: no such file {str(demand.orders_file)!r}"
                         ) from err
    except (ClientDataError, OSError) as err:
        raise ValueError(f"demand.orders_file: {err}") from err
    if f.lines.empty:
        raise ValueError(f"demand.orders_file {str(demand.orders_file)!r} has no order lines")
    return f.first_day, f.days


def snap_to_points(lat: np.ndarray, lon: np.ndarray, point_lat: np.ndarray,
                   point_lon: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """Index of the nearest point to each (lat, lon), and the great-circle distance to it
    (km), by a k-d tree on unit vectors (chord order is great-circle order)."""
    def unit(la: np.ndarray, lo: np.ndarray) -> np.ndarray:
        la, lo = np.radians(la), np.radians(lo)
        return np.column_stack([np.cos(la) * np.cos(lo), np.cos(la) * np.sin(lo), np.sin(la)])

    chord, idx = cKDTree(unit(point_lat, point_lon)).query(unit(lat, lon))
    km = 2.0 * 6371.0088 * np.arcsin(np.clip(chord / 2.0, 0.0, 1.0))
    return idx.astype(np.int64), km


def _index_of(names: np.ndarray, wanted: pd.Series, what: str) -> np.ndarray:
    codes = pd.Categorical(wanted.astype(str), categories=list(names)).codes
    if (codes < 0).any():
        missing = sorted(set(wanted[codes < 0].astype(str)))
        raise ValueError(f"demand.orders_file: {len(missing)} {what} not in the scenario "
                         f"({', '.join(missing[:5])}{', ...' if len(missing) > 5 else ''})")
    return codes.astype(np.int64)


def replay_orders(scenario: Scenario, catalogue: Catalogue, points: pd.DataFrame,
                  streams: Streams) -> OrderBook:
    """The order book of the scenario's orders file over the run's horizon."""
    f = read_replay_file(scenario.demand)
    lines = f.lines
    t0 = pd.Timestamp(f.first_day)
    hours = ((lines["created_at"] - t0) / pd.Timedelta(hours=1)).to_numpy(float)
    inside = hours < scenario.horizon_h
    lines, hours = lines[inside], hours[inside]
    # One row per order: its first line's time and destination (the reader checks that an
    # order's lines agree), orders in time order, ties by id.
    order_key = lines["order_id"].to_numpy()
    first = ~pd.Series(order_key).duplicated().to_numpy()
    heads = pd.DataFrame({"order_id": order_key[first], "t": hours[first],
                          "lat": lines["lat"].to_numpy()[first],
                          "lon": lines["lon"].to_numpy()[first]})
    heads = heads.sort_values(["t", "order_id"], kind="stable").reset_index(drop=True)
    number = pd.Series(np.arange(len(heads)), index=heads["order_id"])
    order = number.loc[order_key].to_numpy()
    sku = _index_of(catalogue.ids, lines["sku"], "SKUs")
    qty = lines["quantity"].to_numpy(np.int64)
    point, _ = snap_to_points(heads["lat"].to_numpy(), heads["lon"].to_numpy(),
                              points["lat"].to_numpy(), points["lon"].to_numpy())
    services = np.array([s.name for s in scenario.demand.service_levels])
    service = draw_services(scenario, len(heads), streams)
    if "service" in lines.columns:
        given = pd.Series(lines["service"].to_numpy()[first]).set_axis(order_key[first])
        given = given.loc[heads["order_id"]].reset_index(drop=True)
        known = given.notna().to_numpy()
        if known.any():
            service[known] = _index_of(services, given[known], "service names")
    return order_book(scenario, heads["t"].to_numpy(float), point, service, order, sku, qty,
                      streams)
