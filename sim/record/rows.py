"""Row types of the run's record, one per thing the model records.

Immutable rows (`NamedTuple`) are written once; a `Shipment` and a `PurchaseOrderLine` are
written as they pass each stage, so they are slotted classes whose fields name each stage.
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from typing import NamedTuple

import numpy as np

__all__ = ["DailySnapshot", "HourlySample", "PickTour", "PurchaseOrderLine", "ReturnParcel",
           "Shipment"]


class Shipment:
    """The part of an order one node ships: its lines and the times it passes each stage."""

    __slots__ = (
        "allocated_h",
        "carrier",
        "created_h",
        "delivered_h",
        "distance_km",
        "fee",
        "filled_on_arrival",
        "index",
        "inspected_h",
        "node",
        "order",
        "packed_h",
        "picked_h",
        "point",
        "promised_day",
        "qty",
        "released_h",
        "restocked_units",
        "return_received_h",
        "returned_units",
        "routed_h",
        "shipped_h",
        "shipping_cost",
        "short",
        "sku",
        "split",
        "state",
        "units",
        "value",
        "weight_kg",
    )  # fmt: skip

    def __init__(self, order: int, node: int, sku: np.ndarray, qty: np.ndarray,
                 created_h: float, routed_h: float, promised_day: int, point: int):
        self.order, self.node, self.sku, self.qty = order, node, sku, qty
        self.created_h, self.routed_h = created_h, routed_h
        self.promised_day, self.point = promised_day, point
        self.units = int(qty.sum())
        self.split = False
        nan = math.nan
        self.allocated_h = self.released_h = self.picked_h = self.packed_h = nan
        self.shipped_h = self.delivered_h = self.return_received_h = self.inspected_h = nan
        self.short: np.ndarray | None = None  # units still to allocate, per line
        self.filled_on_arrival = 0
        self.returned_units = self.restocked_units = 0
        self.carrier = -1
        self.distance_km = self.weight_kg = self.shipping_cost = self.value = self.fee = 0.0
        self.state = "routed"
        self.index = -1  # the recorder's shipment number, set when it opens the shipment


class ReturnParcel:
    """Units of one shipment on their way back to its node: per line, and when received."""

    __slots__ = ("index", "received_h", "sku", "units", "units_per_line")

    def __init__(self, index: int, sku: np.ndarray, units_per_line: np.ndarray):
        self.index, self.sku, self.units_per_line = index, sku, units_per_line
        self.units = int(units_per_line.sum())
        self.received_h = math.nan


@dataclass(slots=True)
class PurchaseOrderLine:
    """One SKU of a purchase order: units ordered at `ordered_h`, at the dock at `dock_h`,
    put away at `putaway_h` (hours; nan until it happens); at a node with inbound stages,
    `stage_h` holds when it left each stage it passed (by stage name)."""

    po: int
    sku: int
    units: int
    ordered_h: float
    node: int
    dock_h: float = math.nan
    putaway_h: float = math.nan
    stage_h: dict[str, float] | None = None
    # A transfer from another node (sim.replenishment): its number, when it left there, and
    # this line's share of the shipment's freight; -1 for the supplier.
    source: int = -1
    shipped_h: float = math.nan
    freight: float = 0.0
    lateral: bool = False  # a lateral transfer between forward nodes (sim.lateral)


class PickTour(NamedTuple):
    """One pick job: released at `released_h`, its orders, lines, units, walk and hours."""

    released_h: float
    node: int
    orders: int
    lines: int
    units: int
    length_m: float
    pick_h: float


class HourlySample(NamedTuple):
    """A node's queues on the hour; `open_area_h` is open shipments integrated to `t_h`."""

    t_h: float
    node: int
    open_shipments: int
    open_area_h: float
    ready: int
    pick_queue: int
    pack_queue: int
    staged: int
    backordered_units: int


class DailySnapshot(NamedTuple):
    """A node at 00:00 (and at the horizon): stock now and its time integrals since the start
    (unit-hours, value-hours, m3-hours), and each station's worker-hours since the start as
    (staffed, overtime, busy, available)."""

    t_h: float
    node: int
    on_hand_units: int
    on_hand_value: float
    on_hand_cube_m3: float
    on_hand_unit_h: float
    on_hand_value_h: float
    on_hand_cube_m3_h: float
    station_hours: tuple[tuple[float, float, float, float], ...]
    # pallet positions its stock takes, a position per SKU (sim.fulfilment_modes); None when
    # no 3PL bills by them
    pallet_positions: int | None = None
    bin_positions: int | None = None  # the 3PL's bins for SKUs too small for a pallet
