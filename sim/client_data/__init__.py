"""A client's own data in: order-line exports and SKU masters, read, checked and put into the
workbench's canonical columns (see `sim.client_data.orders`)."""

from __future__ import annotations

from sim.client_data.orders import (
    CANONICAL_COLUMNS,
    ClientDataError,
    OrderLines,
    Problem,
    load_order_lines,
    load_sku_master,
    parse_column_map,
)

__all__ = ["CANONICAL_COLUMNS", "ClientDataError", "OrderLines", "Problem", "load_order_lines",
           "load_sku_master", "parse_column_map"]
