"""The recorder: every row a run writes, the names that label them, and the end-of-run census
of where units are, so that tables and checks need nothing from the model."""

from __future__ import annotations

from dataclasses import dataclass, field

import numpy as np

from sim.demand import OrderBook
from sim.record.rows import (
    DailySnapshot,
    HourlySample,
    PickTour,
    PurchaseOrderLine,
    Shipment,
)

__all__ = ["NodeCensus", "Recorder", "RunNames"]


@dataclass(frozen=True)
class RunNames:
    """Labels for the integer indices rows carry, and the run's horizon (hours)."""

    node_ids: tuple[str, ...]
    stations: tuple[str, ...]  # crews in the order of DailySnapshot.station_hours
    carriers: tuple[str, ...]  # carrier index -1 is the marketplace's own network
    sku_ids: np.ndarray
    point_ids: np.ndarray
    services: tuple[str, ...]
    stocking: tuple[bool, ...]  # per node: holds stock (not dropship)
    horizon_h: float


@dataclass(frozen=True)
class NodeCensus:
    """Where a node's shipments, units and stock are at the end of the run, counted from the
    containers that hold them (queues, stations, staging lane, stock arrays, counters)."""

    node: int
    open_shipments: int  # counter kept as shipments arrive and leave
    shipments_ready: int
    shipments_staged: int  # staged, or at the dropship supplier
    shipments_waiting: int  # backordered, waiting for stock
    units_ready: int
    units_waiting: int  # all units of the backordered shipments
    units_short: int  # of those, not yet allocated
    units_in_stations: int  # in the queues and in service of its stations (pick onwards)
    units_staged: int
    initial_units: int
    on_hand_units: int
    backordered_units: int  # the stock record's backorders
    stock_negative: bool
    ordered_units: int  # purchase orders placed
    in_supplier_transit: int
    in_receiving: int
    putaway_units: int
    returns_in_inspection: int
    returns_inspected: int
    orders_inside: frozenset[int]  # orders with a shipment ready, picking, packing or staged
    orders_waiting: frozenset[int]  # orders with a shipment waiting for stock


@dataclass
class Recorder:
    """The rows of one replication, written by the model as it runs."""

    names: RunNames
    orders: OrderBook
    shipments: list[Shipment] = field(default_factory=list)
    po_lines: list[PurchaseOrderLine] = field(default_factory=list)
    pick_tours: list[PickTour] = field(default_factory=list)
    hourly: list[HourlySample] = field(default_factory=list)
    daily: list[DailySnapshot] = field(default_factory=list)
    census: list[NodeCensus] = field(default_factory=list)
    routed: np.ndarray = field(default=None)  # bool per order: passed to the routing policy
    units_shipped: int = 0  # handed to carriers

    def __post_init__(self) -> None:
        if self.routed is None:
            self.routed = np.zeros(self.orders.n, bool)
