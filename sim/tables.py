"""Turn a finished run's record into flat tables (pandas DataFrames)."""

from __future__ import annotations

import numpy as np
import pandas as pd

from sim.record import HourlySample, Recorder

__all__ = ["build_tables", "station_names"]



def _names(names: np.ndarray, index: pd.Series) -> np.ndarray | pd.Series:
    """Replace integer indices (node, SKU or carrier numbers) by their names (one shared
    string object per name, not one per row)."""
    return (np.asarray(names, dtype=object)[index.to_numpy(int)] if len(index)
            else index.astype(str))


def _node_ids(rec: Recorder) -> np.ndarray:
    return np.array(rec.names.node_ids)


def _shipments(rec: Recorder) -> pd.DataFrame:
    # Columns come in table order; copy=False keeps each as built (no second copy of all).
    df = pd.DataFrame(dict(rec.shipment_columns()), copy=False)
    df["state"] = np.array(rec.states, dtype=object)[df["state"].to_numpy()] if len(df) else ""
    if len(df):
        horizon = rec.names.horizon_h
        arrived = (df["state"] == "in_transit") & (df["delivered_h"] <= horizon)
        df.loc[arrived, "state"] = "delivered"
        df.loc[df["delivered_h"] > horizon, "delivered_h"] = np.nan
        df.loc[df["return_received_h"] > horizon, "return_received_h"] = np.nan
        df.loc[df["inspected_h"] > horizon, "inspected_h"] = np.nan
    df["node"] = _names(_node_ids(rec), df["node"])
    df["carrier"] = _names(np.array(rec.names.carriers), df["carrier"])
    df["units"] = df["units"].astype(np.int64)
    return df


def _orders(rec: Recorder, ships: pd.DataFrame) -> pd.DataFrame:
    ob = rec.orders
    horizon = rec.names.horizon_h
    units = ob.units_per_order()
    df = pd.DataFrame({
        "order": np.arange(ob.n), "created_h": ob.created_h, "ready_h": ob.ready_h,
        "held": ob.held, "cancelled": ob.cancelled, "lines": np.diff(ob.line_start),
        "units": units.astype(np.int64), "point": np.asarray(rec.names.point_ids, object)[ob.point],
        "service": np.asarray(rec.names.services, object)[ob.service],
    })
    g = ships.groupby("order")
    agg = g.agg(
        n_shipments=("shipment", "size"), node=("node", "first"),
        allocated_h=("allocated_h", "max"), picked_h=("picked_h", "max"),
        packed_h=("packed_h", "max"), shipped_h=("shipped_h", "max"),
        delivered_h=("delivered_h", "max"), promised_day=("promised_day", "first"),
        carrier=("carrier", "first"), distance_km=("distance_km", "first"),
        shipping_cost=("shipping_cost", "sum"), returned_units=("returned_units", "sum"),
        filled_on_arrival=("filled_on_arrival", "sum"),
    )
    # An order is shipped or delivered only when every one of its shipments is.
    size = g.size()
    for col in ("shipped_h", "delivered_h"):
        agg.loc[g[col].count() < size, col] = np.nan
    by_order = ships["order"]
    backordered = ships["state"].eq("backordered").groupby(by_order).any()
    delivered = ships["state"].eq("delivered").groupby(by_order).all()
    agg["state"] = np.where(backordered, "backordered",
                            np.where(delivered, "delivered", "in_process"))
    df = df.join(agg, on="order")
    df["n_shipments"] = df["n_shipments"].fillna(0).astype(np.int64)
    df["split"] = df["n_shipments"] > 1
    df["state"] = df["state"].fillna("in_process")
    df.loc[df["cancelled"], "state"] = "cancelled"
    df["returned"] = df["returned_units"].fillna(0) > 0
    # 1.0 / 0.0, and NaN while the order is not yet delivered.
    delivered_day = np.floor(df["delivered_h"] / 24.0)
    undelivered = df["delivered_h"].isna()
    df["on_time"] = (delivered_day <= df["promised_day"]).astype(float).mask(undelivered)
    df["click_to_ship_h"] = df["shipped_h"] - df["created_h"]
    df["click_to_door_days"] = (df["delivered_h"] - df["created_h"]) / 24.0
    df["within_2_days"] = (delivered_day - np.floor(df["created_h"] / 24.0) <= 2).astype(
        float).mask(undelivered)
    df.attrs["horizon_h"] = horizon
    return df


_STOCK = ("on_hand_units", "on_hand_value", "on_hand_cube_m3")


def station_names(daily: pd.DataFrame) -> list[str]:
    """The crews whose worker-hours the daily table carries, in column order."""
    return [c.removesuffix("_staffed_h") for c in daily.columns if c.endswith("_staffed_h")]


def _daily(rec: Recorder, ships: pd.DataFrame) -> pd.DataFrame:
    stations = rec.names.stations
    cols = ["t_h", "node", *_STOCK]
    for r in stations:
        cols += [f"{r}_staffed_h", f"{r}_overtime_h", f"{r}_busy_h", f"{r}_available_h"]
    rows = [(*d[:5], *[x for h in d.station_hours for x in h]) for d in rec.daily]
    areas = pd.DataFrame([d[5:8] for d in rec.daily], columns=[f"{c}_area" for c in _STOCK])
    df = pd.concat([pd.DataFrame(rows, columns=cols), areas], axis=1)
    df = df.drop_duplicates(["t_h", "node"], keep="last")
    # Time averages over the day each snapshot opens (exact integrals; nan after the last).
    by_node = df.groupby("node")
    dt = by_node["t_h"].diff(-1).mul(-1)
    for c in _STOCK:
        df[f"{c}_avg"] = by_node[f"{c}_area"].diff(-1).mul(-1) / dt
    df = df.drop(columns=[f"{c}_area" for c in _STOCK])
    df["day"] = (df["t_h"] // 24).astype(int)
    df["node"] = _names(_node_ids(rec), df["node"])
    # Flow through each node per day: shipments routed to it, shipped and delivered.
    for col, stamp in (("shipments_routed", "routed_h"), ("shipments_shipped", "shipped_h"),
                       ("shipments_delivered", "delivered_h")):
        done = ships.dropna(subset=[stamp])
        counts = done.groupby([done["node"], (done[stamp] // 24).astype(int)]).size()
        counts.index.names = ["node", "day"]
        df = df.join(counts.rename(col), on=["node", "day"])
        df[col] = df[col].fillna(0).astype(np.int64)
    return df.reset_index(drop=True)


def _hourly(rec: Recorder) -> pd.DataFrame:
    df = pd.DataFrame(rec.hourly, columns=HourlySample._fields)
    # Time-average of open shipments over the hour before each sample (exact, not sampled).
    df["open_shipments_avg"] = df.groupby("node")["open_area_h"].diff()
    df = df.drop(columns="open_area_h")
    df["node"] = _names(_node_ids(rec), df["node"])
    return df


_PO_FIELDS = ("po", "sku", "units", "ordered_h", "dock_h", "putaway_h", "node")


def _inbound(rec: Recorder) -> pd.DataFrame:
    df = pd.DataFrame({f: [getattr(line, f) for line in rec.po_lines] for f in _PO_FIELDS})
    df["node"] = _names(_node_ids(rec), df["node"])
    df["sku"] = _names(rec.names.sku_ids, df["sku"])
    df["dock_to_stock_h"] = df["putaway_h"] - df["dock_h"]
    # When each line left each inbound stage (nodes with inbound_stages only; nan where a
    # line skipped a sampled stage or has not reached it).
    stages = dict.fromkeys(k for line in rec.po_lines for k in line.stage_h or ())
    for name in stages:
        df[f"{name}_done_h"] = [(line.stage_h or {}).get(name, np.nan)
                                for line in rec.po_lines]
    return df


def _pick_tours(rec: Recorder) -> pd.DataFrame:
    tours = rec.pick_tours.array()
    df = pd.DataFrame({f: tours[f] for f in tours.dtype.names})
    df["node"] = _names(_node_ids(rec), df["node"])
    return df


def build_tables(rec: Recorder) -> dict[str, pd.DataFrame]:
    """shipments, orders, daily, hourly, inbound and pick-tour tables of a finished run."""
    ships = _shipments(rec)
    return {
        "pick_tours": _pick_tours(rec),
        "shipments": ships,
        "orders": _orders(rec, ships),
        "daily": _daily(rec, ships),
        "hourly": _hourly(rec),
        "inbound": _inbound(rec),
    }
