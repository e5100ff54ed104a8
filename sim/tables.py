"""Turn a finished run's record into flat tables (pandas DataFrames)."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pandas as pd

from sim.accuracy import accuracy_tables
from sim.cartons import parcel_table
from sim.record import LOST_REASONS, HourlySample, Recorder
from sim.record.column_table import ColumnTable
from sim.returns_cost import returns_table
from sim.sales import basket_values
from sim.storage import storage_table

__all__ = ["DAILY_SHIPMENT_COLUMNS", "build_tables", "order_table", "shipment_table",
           "small_tables", "station_names"]

# The shipment columns the daily table reads (flow per node and day).
DAILY_SHIPMENT_COLUMNS = ("node", "routed_h", "shipped_h", "delivered_h")



def _names(names: np.ndarray, index: pd.Series) -> np.ndarray | pd.Series:
    """Replace integer indices (node, SKU or carrier numbers) by their names (one shared
    string object per name, not one per row)."""
    return (np.asarray(names, dtype=object)[index.to_numpy(int)] if len(index)
            else index.astype(str))


def _node_ids(rec: Recorder) -> np.ndarray:
    return np.array(rec.names.node_ids)


def shipment_table(rec: Recorder, folder: Path | None = None) -> ColumnTable:
    """One row per shipment in shipment number order, returns merged in (in memory, or built
    column by column into `folder`)."""
    table = ColumnTable(folder)
    horizon = rec.names.horizon_h
    delivered = None
    for name, column in rec.shipment_columns():
        if name == "delivered_h":
            delivered = column.copy()  # the state reads the time before it is cut at the horizon
        if name in ("delivered_h", "return_received_h", "inspected_h"):
            column[column > horizon] = np.nan
        elif name == "node":
            column = _names(_node_ids(rec), pd.Series(column))
        elif name == "carrier":
            column = _names(np.array(rec.names.carriers), pd.Series(column))
        elif name == "state":
            if len(column):
                column = np.array(rec.states, dtype=object)[column]
                column[(column == "in_transit") & (delivered <= horizon)] = "delivered"
            else:
                column = np.zeros(0, object)
        table.put(name, column)
    return table


def _code(uniques: list, value: str) -> int:
    """The code of a text value (-2, matching nothing, when no row has it)."""
    return uniques.index(value) if value in uniques else -2


def order_table(rec: Recorder, ships: ColumnTable, folder: Path | None = None) -> ColumnTable:
    """One row per order: the order book's columns, its shipments' times and costs, its
    state and service (in memory, or built column by column into `folder`)."""
    ob = rec.orders
    table = ColumnTable(folder)
    for name, column in (
            ("order", np.arange(ob.n)), ("created_h", ob.created_h), ("ready_h", ob.ready_h),
            ("held", ob.held), ("cancelled", ob.cancelled), ("lines", np.diff(ob.line_start)),
            ("units", ob.units_per_order().astype(np.int64)),
            ("point", np.asarray(rec.names.point_ids, object)[ob.point]),
            ("service", np.asarray(rec.names.services, object)[ob.service])):
        table.put(name, column)
    by_order = pd.Series(ships.get("order"))
    size = by_order.groupby(by_order).size()

    def per_order(values: pd.Series) -> pd.Series:
        """A value per order number (orders with no shipment yet: missing), as a reindex to
        every order gives, without the reindex's hash table of every order."""
        at, v = values.index.to_numpy(), values.to_numpy()
        if len(at) == ob.n:
            return pd.Series(v, copy=False)
        out = np.full(ob.n, np.nan, dtype=float if v.dtype.kind in "iuf" else object)
        out[at] = v
        return pd.Series(out, copy=False)

    table.put("n_shipments", per_order(size).fillna(0).astype(np.int64))
    # A shipment lost at a stockout never ships: an order is shipped when the others are.
    codes, names = ships.codes("state")
    can_ship = size - pd.Series(codes == _code(names, "lost")).groupby(by_order).sum()
    del codes
    columns = {}
    for name, how in (("node", "first"), ("allocated_h", "max"), ("picked_h", "max"),
                      ("packed_h", "max"), ("shipped_h", "max"), ("delivered_h", "max"),
                      ("promised_day", "first"), ("carrier", "first"),
                      ("distance_km", "first"), ("shipping_cost", "sum"),
                      ("returned_units", "sum"), ("filled_on_arrival", "sum")):
        text = name in ("node", "carrier")  # grouped by code: no string per row
        values, uniques = ships.codes(name) if text else (ships.get(name), None)
        g = pd.Series(values).groupby(by_order)
        agg = g.agg(how)
        if name in ("shipped_h", "delivered_h"):
            # An order is shipped or delivered only when every one of its shipments is.
            agg[g.count() < can_ship] = np.nan
        column = per_order(agg)
        if text:
            code = column.fillna(-1).to_numpy(np.int64)
            column = np.asarray([*uniques, np.nan], dtype=object)[code]
        if name in ("shipped_h", "delivered_h", "promised_day", "returned_units"):
            columns[name] = column
        table.put(name, column)
    state, uniques = ships.codes("state")
    backordered = pd.Series(state == _code(uniques, "backordered")).groupby(by_order).any()
    lost = state == _code(uniques, "lost")
    delivered = pd.Series((state == _code(uniques, "delivered")) | lost).groupby(by_order).all()
    all_lost = pd.Series(lost).groupby(by_order).all()
    del state, lost
    # One string object per state, not one per order; an order with no shipment yet is in
    # process; an order whose every unit was lost at a stockout is lost.
    state_code = np.full(ob.n, 2)
    state_code[backordered.index.to_numpy()] = np.where(
        backordered, 0, np.where(all_lost, 4, np.where(delivered, 1, 2)))
    state_code[ob.cancelled] = 3
    order_state = np.array(["backordered", "delivered", "in_process", "cancelled", "lost"],
                           dtype=object)[state_code]
    table.put("state", order_state)
    if rec.exchange_of is not None:  # only a scenario with exchanges has the column
        table.put("exchange_of", _exchange_of(rec))
    table.put("split", table.get("n_shipments") > 1)
    table.put("returned", columns["returned_units"].fillna(0).to_numpy() > 0)
    # 1.0 / 0.0, and NaN while the order is not yet delivered.
    created = pd.Series(ob.created_h, copy=False)
    delivered_h = columns["delivered_h"]
    delivered_day = np.floor(delivered_h / 24.0)
    undelivered = delivered_h.isna()
    table.put("on_time", (delivered_day <= columns["promised_day"]).astype(float)
              .mask(undelivered))
    table.put("click_to_ship_h", columns["shipped_h"] - created)
    table.put("click_to_door_days", (delivered_h - created) / 24.0)
    table.put("within_2_days", (delivered_day - np.floor(created / 24.0) <= 2).astype(float)
              .mask(undelivered))
    table.attrs["horizon_h"] = rec.names.horizon_h
    return table


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
    if rec.daily and rec.daily[0].pallet_positions is not None:  # a 3PL bills by them
        df["pallet_positions"] = [d.pallet_positions for d in rec.daily]
        if rec.daily[0].bin_positions is not None:
            df["bin_positions"] = [d.bin_positions for d in rec.daily]
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
    if any(line.source >= 0 or line.freight for line in rec.po_lines):
        # Transfers from another node (sim.replenishment): where from ("supplier" for a
        # purchase order), when they left there (nan: a supplier's), and their freight.
        source = np.array([line.source for line in rec.po_lines])
        df["source"] = np.where(source >= 0, _names(_node_ids(rec), pd.Series(source.clip(0))),
                                "supplier")
        df["shipped_h"] = [line.shipped_h for line in rec.po_lines]
        df["freight"] = [line.freight for line in rec.po_lines]
        if any(line.lateral for line in rec.po_lines):
            df["lateral"] = [line.lateral for line in rec.po_lines]
    # When each line left each inbound stage (nodes with inbound_stages only; nan where a
    # line skipped a sampled stage or has not reached it).
    if rec.accuracy is not None and rec.accuracy.rejected_lines:
        # lines QC sent back to the supplier (sim.accuracy): never put away
        rejected = rec.accuracy.rejected_lines
        df["rejected"] = [id(line) in rejected for line in rec.po_lines]
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


def _lost_sales(rec: Recorder) -> pd.DataFrame:
    """One row per shipment line of units not sold: lost at a stockout or cancelled after
    the customer's patience ran out (`reason`), at the SKU's price (currency)."""
    rows = rec.lost.array()
    df = pd.DataFrame({f: rows[f] for f in ("shipment", "order", "node", "sku", "units",
                                            "t_h")})
    price = rec.prices[rows["sku"]] if rec.prices is not None else np.full(len(rows), np.nan)
    df["node"] = _names(_node_ids(rec), df["node"])
    df["sku"] = _names(rec.names.sku_ids, df["sku"])
    df["price"] = price
    df["value"] = price * rows["units"]
    df["reason"] = np.asarray(LOST_REASONS, dtype=object)[rows["reason"].astype(np.int64)]
    return df


def _sales(rec: Recorder, lost: pd.DataFrame) -> pd.DataFrame:
    """One row per order: its basket at selling prices (every unit ordered), the revenue of
    the units handed to carriers and the refund of those its customer returns, and the
    units and value lost (currency)."""
    ob = rec.orders
    n = ob.n
    price = rec.prices if rec.prices is not None else np.zeros(len(rec.names.sku_ids))
    basket = basket_values(ob, price)
    sales = rec.sales.array()
    order = sales["order"]
    lost_order = lost["order"].to_numpy(np.int64)
    exchange = {}
    if rec.exchange_of is not None:  # an exchange is no purchase: no basket of its own
        exchange = {"exchange_of": _exchange_of(rec)}
        basket[exchange["exchange_of"] >= 0] = 0.0
    return pd.DataFrame({
        "order": np.arange(n), "basket_value": basket,
        "revenue": np.bincount(order, sales["revenue"], minlength=n),
        "refund": np.bincount(order, sales["refund"], minlength=n),
        "units_lost": np.bincount(lost_order, lost["units"].to_numpy(float),
                                  minlength=n).astype(np.int64),
        "lost_value": np.bincount(lost_order, lost["value"].to_numpy(float), minlength=n),
        **exchange,
    })


def _exchange_of(rec: Recorder) -> np.ndarray:
    """Per order, the order an exchange replaces (-1: a customer's own order)."""
    out = np.full(rec.orders.n, -1, np.int64)
    out[list(rec.exchange_of)] = list(rec.exchange_of.values())
    return out


def _returns(rec: Recorder, ships: ColumnTable) -> pd.DataFrame:
    """One row per returned line and reason (sim.returns_cost.returns_table)."""
    lines = rec.return_lines.array()
    received = pd.Series(dtype=float)
    if len(lines):
        received = pd.Series(ships.get("return_received_h"), index=ships.get("shipment"))
    price = rec.prices if rec.prices is not None else np.zeros(len(rec.names.sku_ids))
    value = (rec.unit_value if rec.unit_value is not None
             else np.zeros(len(rec.names.sku_ids)))
    return returns_table(rec.return_labels.array(), lines, rec.return_dispositions.array(),
                         {"unit_value": value, "price": price, "node_ids": _node_ids(rec),
                          "sku_ids": rec.names.sku_ids, "reasons": rec.return_reasons},
                         rec.refurbish, received)


def small_tables(rec: Recorder, ships: ColumnTable) -> dict[str, pd.DataFrame]:
    """The daily, hourly, inbound and pick-tour tables (a row per node and day or hour, per
    purchase-order line, per pick tour), the sales (a row per order) and lost-sales tables
    (a row per line not sold), in memory; the parcels (a row per carton) when a node
    packs into cartons, and the storage table (a row per node, location type and day) when
    a node has storage locations."""
    lost = _lost_sales(rec)
    small = {
        "pick_tours": _pick_tours(rec),
        "daily": _daily(rec, ships.frame(DAILY_SHIPMENT_COLUMNS)),
        "hourly": _hourly(rec),
        "inbound": _inbound(rec),
        "sales": _sales(rec, lost),
        "lost_sales": lost,
        "returns": _returns(rec, ships),
    }
    if rec.parcels is not None:
        small["parcels"] = parcel_table(rec.parcels, rec.names.node_ids)
    small.update(accuracy_tables(rec))  # nodes with an accuracy section only
    if rec.storage is not None:
        small["storage"] = storage_table(rec.storage, rec.names.node_ids)
    return small


def build_tables(rec: Recorder) -> dict[str, pd.DataFrame]:
    """shipments, orders, daily, hourly, inbound and pick-tour tables of a finished run."""
    ships = shipment_table(rec)
    orders = order_table(rec, ships)
    small = small_tables(rec, ships)
    return {"pick_tours": small.pop("pick_tours"), "shipments": ships.frame(),
            "orders": orders.frame(), **small}
