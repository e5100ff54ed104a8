"""Turn a finished network run into flat tables (pandas DataFrames)."""

from __future__ import annotations

import numpy as np
import pandas as pd

from sim.model import Network

__all__ = ["build_tables"]

_SHIPMENT_FIELDS = (
    "order", "node", "units", "created_h", "routed_h", "allocated_h", "released_h", "picked_h",
    "packed_h", "shipped_h", "delivered_h", "promised_day", "distance_km", "weight_kg", "value",
    "shipping_cost", "fee", "filled_on_arrival", "split", "returned_units", "restocked_units",
    "return_received_h", "inspected_h", "carrier", "state",
)  # fmt: skip


def _names(names: np.ndarray, index: pd.Series) -> np.ndarray | pd.Series:
    """Replace integer indices (node, SKU or carrier numbers) by their names."""
    return names[index.to_numpy(int)] if len(index) else index.astype(str)


def _node_ids(net: Network) -> np.ndarray:
    return np.array([n.id for n in net.scenario.nodes])


def _shipments(net: Network) -> pd.DataFrame:
    ships = net.shipments
    df = pd.DataFrame({f: [getattr(s, f) for s in ships] for f in _SHIPMENT_FIELDS})
    df.insert(0, "shipment", np.arange(len(df)))
    if len(df):
        horizon = net.horizon_h
        arrived = (df["state"] == "in_transit") & (df["delivered_h"] <= horizon)
        df.loc[arrived, "state"] = "delivered"
        df.loc[df["delivered_h"] > horizon, "delivered_h"] = np.nan
        df.loc[df["return_received_h"] > horizon, "return_received_h"] = np.nan
        df.loc[df["inspected_h"] > horizon, "inspected_h"] = np.nan
    df["node"] = _names(_node_ids(net), df["node"])
    df["carrier"] = _names(np.array((*net.carriers.names, "marketplace")), df["carrier"])
    df["units"] = df["units"].astype(np.int64)
    return df


def _orders(net: Network, ships: pd.DataFrame) -> pd.DataFrame:
    ob = net.orders
    horizon = net.horizon_h
    units = ob.units_per_order()
    df = pd.DataFrame({
        "order": np.arange(ob.n), "created_h": ob.created_h, "ready_h": ob.ready_h,
        "held": ob.held, "cancelled": ob.cancelled, "lines": np.diff(ob.line_start),
        "units": units.astype(np.int64), "point": net.points["id"].to_numpy()[ob.point],
        "service": np.array([s.name for s in net.scenario.demand.service_levels])[ob.service],
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


def _daily(net: Network, ships: pd.DataFrame) -> pd.DataFrame:
    cols = ["t_h", "node", "on_hand_units", "on_hand_value", "on_hand_cube_m3"]
    for r in ("receivers", "pickers", "packers"):
        cols += [f"{r}_staffed_h", f"{r}_overtime_h", f"{r}_busy_h", f"{r}_available_h"]
    df = pd.DataFrame(net.daily, columns=cols).drop_duplicates(["t_h", "node"], keep="last")
    df["day"] = (df["t_h"] // 24).astype(int)
    df["node"] = _names(_node_ids(net), df["node"])
    # Flow through each node per day: shipments routed to it, shipped and delivered.
    for col, stamp in (("shipments_routed", "routed_h"), ("shipments_shipped", "shipped_h"),
                       ("shipments_delivered", "delivered_h")):
        done = ships.dropna(subset=[stamp])
        counts = done.groupby([done["node"], (done[stamp] // 24).astype(int)]).size()
        counts.index.names = ["node", "day"]
        df = df.join(counts.rename(col), on=["node", "day"])
        df[col] = df[col].fillna(0).astype(np.int64)
    return df.reset_index(drop=True)


def _hourly(net: Network) -> pd.DataFrame:
    cols = ["t_h", "node", "open_shipments", "open_area_h", "ready", "pick_queue", "pack_queue",
            "staged", "backordered_units"]
    df = pd.DataFrame(net.hourly, columns=cols)
    # Time-average of open shipments over the hour before each sample (exact, not sampled).
    df["open_shipments_avg"] = df.groupby("node")["open_area_h"].diff()
    df = df.drop(columns="open_area_h")
    df["node"] = _names(_node_ids(net), df["node"])
    return df


def _inbound(net: Network) -> pd.DataFrame:
    df = pd.DataFrame(net.po_lines, columns=["po", "sku", "units", "ordered_h", "dock_h",
                                             "putaway_h", "node"])
    df["node"] = _names(_node_ids(net), df["node"])
    df["sku"] = _names(net.catalogue.ids, df["sku"])
    df["dock_to_stock_h"] = df["putaway_h"] - df["dock_h"]
    return df


def _pick_tours(net: Network) -> pd.DataFrame:
    df = pd.DataFrame(net.pick_tours, columns=["released_h", "node", "orders", "lines", "units",
                                               "length_m", "pick_h"])
    df["node"] = _names(_node_ids(net), df["node"])
    return df


def build_tables(net: Network) -> dict[str, pd.DataFrame]:
    """shipments, orders, daily, hourly, inbound and pick-tour tables of a finished run."""
    ships = _shipments(net)
    return {
        "pick_tours": _pick_tours(net),
        "shipments": ships,
        "orders": _orders(net, ships),
        "daily": _daily(net, ships),
        "hourly": _hourly(net),
        "inbound": _inbound(net),
    }
