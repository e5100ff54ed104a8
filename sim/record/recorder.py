"""The recorder: every row a run writes, the names that label them, and the end-of-run census
of where units are, so that tables and checks need nothing from the model."""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass, field
from operator import attrgetter
from pathlib import Path

import numpy as np

from sim.demand import OrderBook
from sim.record.columns import RowBuffer
from sim.record.rows import (
    DailySnapshot,
    HourlySample,
    PurchaseOrderLine,
    Shipment,
)

__all__ = ["LOST_REASONS", "SHIPMENT_FIELDS", "NodeCensus", "Recorder", "RunNames"]

# A shipment's row as the table shows it (after its number); `state` is stored as a code.
SHIPMENT_FIELDS = (
    "order", "node", "units", "created_h", "routed_h", "allocated_h", "released_h", "picked_h",
    "packed_h", "shipped_h", "delivered_h", "promised_day", "distance_km", "weight_kg", "value",
    "shipping_cost", "fee", "filled_on_arrival", "split", "returned_units", "restocked_units",
    "return_received_h", "inspected_h", "carrier", "state",
)  # fmt: skip
_INT_FIELDS = {"order", "node", "units", "promised_day", "filled_on_arrival", "returned_units",
               "restocked_units", "carrier"}
_SHIPMENT_DTYPE = [("shipment", "i8")] + [
    (f, "i8" if f in _INT_FIELDS else "?" if f == "split" else "i2" if f == "state" else "f8")
    for f in SHIPMENT_FIELDS]
_RETURN_DTYPE = [("shipment", "i8"), ("return_received_h", "f8"), ("inspected_h", "f8"),
                 ("restocked_units", "i8")]
# Why units were not sold (`Recorder.lose`'s codes): the customer left at the stockout, or
# waited past their patience.
LOST_REASONS = ("stockout", "patience")
# Sales: each shipment's revenue and the refund of its returned units at the hand-over; and
# each line of units not sold (lost at a stockout, or cancelled after waiting), with why.
_SALE_DTYPE = [("shipment", "i8"), ("order", "i8"), ("revenue", "f8"), ("refund", "f8")]
_LOST_DTYPE = [("shipment", "i8"), ("order", "i8"), ("node", "i8"), ("sku", "i8"),
               ("units", "i8"), ("t_h", "f8"), ("reason", "i1")]
# Returns at their cost (sim.returns_cost): each return parcel's label when it is handed
# to the carrier (payer: PAYERS code), each returned line's refund and store credit, and
# what inspection did with a line's units, by reason (a code of `return_reasons`).
_RETURN_LABEL_DTYPE = [("shipment", "i8"), ("order", "i8"), ("node", "i8"),
                       ("actual_kg", "f8"), ("billable_kg", "f8"), ("postage", "f8"),
                       ("payer", "i1")]
_RETURN_LINE_DTYPE = [("shipment", "i8"), ("sku", "i8"), ("units", "i8"), ("refund", "f8"),
                      ("credit", "f8"), ("exchanged", "i8")]
_RETURN_DISPOSED_DTYPE = [("shipment", "i8"), ("sku", "i8"), ("reason", "i8"),
                          ("restocked", "i8"), ("refurbished", "i8"), ("disposed", "i8"),
                          ("inspected_h", "f8")]
_PICK_TOUR_DTYPE = [("released_h", "f8"), ("node", "i8"), ("orders", "i8"), ("lines", "i8"),
                    ("units", "i8"), ("length_m", "f8"), ("pick_h", "f8")]


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
    units_with_supplier: int  # purchase-order lines not yet at the dock
    units_in_receiving: int  # purchase-order lines in any station's queue or service (inbound)
    returns_on_the_way: int  # returned units not yet at the dock
    returns_in_receiving: int  # returned units in the receivers' queue or in service
    orders_inside: frozenset[int]  # orders with a shipment ready, picking, packing or staged
    orders_waiting: frozenset[int]  # orders with a shipment waiting for stock
    # At a node others replenish from (sim.replenishment.TransferDesk), in units: asked for,
    # taken off its shelf, in its pickers' station, gone, and still waiting for stock.
    transfers_requested: int = 0
    transfers_allocated: int = 0
    transfers_picking: int = 0
    transfers_shipped: int = 0
    transfers_waiting: int = 0
    lateral_out: int = 0  # units it sent other forward nodes (sim.lateral)
    # With storage locations (sim.storage): units off the shelf (waiting at the dock or in
    # overflow) by the storage's counter, and counted on its queue and units on their way.
    units_off_shelf: int = 0
    units_off_shelf_counted: int = 0


@dataclass
class Recorder:
    """The rows of one replication, written by the model as it runs.

    A shipment is a live object while the model moves it; when it is handed to the carrier
    (or the run ends) the recorder freezes it into a columnar row and lets the object go. A
    return it brings back is a row of `returns` once inspected (or the run ends), merged into
    the shipment's row (received, inspected, restocked) when the rows are read.
    """

    names: RunNames
    orders: OrderBook
    po_lines: list[PurchaseOrderLine] = field(default_factory=list)
    hourly: list[HourlySample] = field(default_factory=list)
    daily: list[DailySnapshot] = field(default_factory=list)
    census: list[NodeCensus] = field(default_factory=list)
    routed: np.ndarray = field(default=None)  # bool per order: passed to the routing policy
    units_shipped: int = 0  # handed to carriers
    keep_lines: bool = False  # record each shipment's lines (SKU, units) too
    spool: Path | None = None  # a folder: frozen shipment rows go to disk, not memory
    units_lost: int = 0  # not sold: lost at a stockout or cancelled after waiting
    prices: np.ndarray | None = None  # selling price per SKU (currency)
    parcels: list[tuple] | None = None  # a row per carton shipped when a node packs (sim.cartons)
    accuracy: object | None = None  # sim.accuracy.AccuracyLog when a node has an accuracy section
    storage: list[tuple] | None = None  # sim.storage.STORAGE_ROW rows when a node has storage
    unit_value: np.ndarray | None = None  # product cost per SKU (currency)
    return_reasons: tuple[str, ...] = ("",)  # reason codes of the disposition rows
    refurbish: tuple[float, float] = (0.0, 0.0)  # cost per unit, discount off the price
    # exchange order -> the order it replaces; None when the scenario exchanges nothing
    exchange_of: dict[int, int] | None = None

    def __post_init__(self) -> None:
        if self.routed is None:
            self.routed = np.zeros(self.orders.n, bool)
        self.pick_tours = RowBuffer(_PICK_TOUR_DTYPE)
        # A shipment's row is frozen when it leaves; its return, if any, is a row here.
        self.returns = RowBuffer(_RETURN_DTYPE)
        self.sales = RowBuffer(_SALE_DTYPE)
        self.lost = RowBuffer(_LOST_DTYPE)
        self.return_labels = RowBuffer(_RETURN_LABEL_DTYPE)
        self.return_lines = RowBuffer(_RETURN_LINE_DTYPE)
        self.return_dispositions = RowBuffer(_RETURN_DISPOSED_DTYPE)
        self._shipments = RowBuffer(_SHIPMENT_DTYPE, spool=self.spool and self.spool / "shipments")
        self._open: dict[int, Shipment] = {}
        self._opened = 0
        self._row = attrgetter(*SHIPMENT_FIELDS[:-1])
        self.states: list[str] = []  # shipment state codes -> names
        self._state_code: dict[str, int] = {}
        self._lines_pending: list[tuple[int, np.ndarray, np.ndarray]] = []
        self._relined: dict[int, tuple[np.ndarray, np.ndarray]] = {}  # lines changed later
        self._line_chunks: list[tuple[np.ndarray, np.ndarray, np.ndarray]] = []

    # ------------------------------------------------------------ shipments
    def open_shipment(self, sh: Shipment) -> None:
        """Number a new shipment and keep it live; its lines are recorded now."""
        sh.index = self._opened
        self._opened += 1
        self._open[sh.index] = sh
        if self.keep_lines:
            self._lines_pending.append((sh.index, sh.sku, sh.qty))
            if len(self._lines_pending) >= self._shipments.chunk:
                self._freeze_lines()

    def _freeze_lines(self) -> None:
        if self._lines_pending:
            index, sku, qty = zip(*self._lines_pending, strict=True)
            sku_all = np.concatenate(sku).astype(np.int32)
            self._line_chunks.append((np.repeat(np.array(index), [len(s) for s in sku]),
                                      sku_all, np.concatenate(qty).astype(np.int32)))
            self._lines_pending = []

    def close_shipment(self, sh: Shipment) -> None:
        """Freeze a shipment into its row (its return, if any, comes as a returns row)."""
        code = self._state_code.get(sh.state)
        if code is None:
            code = self._state_code[sh.state] = len(self.states)
            self.states.append(sh.state)
        self._shipments.append((sh.index, *self._row(sh), code))
        del self._open[sh.index]

    def close_all(self) -> None:
        """Freeze every shipment still live (the run is over)."""
        for index in sorted(self._open):
            self.close_shipment(self._open[index])

    def relined(self, sh: Shipment) -> None:
        """A shipment's lines changed after it opened (a stockout split it or dropped
        units): its lines are these now."""
        if self.keep_lines:
            self._relined[sh.index] = (sh.sku, sh.qty)

    def sold(self, going: list[Shipment], revenue: np.ndarray, refund: np.ndarray) -> None:
        """Shipments handed to carriers: their revenue and the refund of the units their
        customers will return (currency)."""
        for sh, r, f in zip(going, revenue.tolist(), refund.tolist(), strict=True):
            self.sales.append((sh.index, sh.order, r, f))

    def lose(self, sh: Shipment, sku: np.ndarray, units: np.ndarray, t_h: float,
             reason: int) -> None:
        """Units of a shipment's lines not sold at `t_h` (hours), for `reason` (a code)."""
        for s, q in zip(sku.tolist(), units.tolist(), strict=True):
            if q:
                self.lost.append((sh.index, sh.order, sh.node, s, q, t_h, reason))
                self.units_lost += q

    def return_label(self, shipment: int, order: int, node: int, actual_kg: float,
                     billable_kg: float, postage: float, payer: int) -> None:
        """A shipment's return parcel: its kg, label charge (currency) and who pays it."""
        self.return_labels.append((shipment, order, node, actual_kg, billable_kg, postage,
                                   payer))

    def return_line(self, shipment: int, sku: int, units: int, refund: float,
                    credit: float, exchanged: int) -> None:
        """Units of a shipment line coming back, their refund and store credit (currency),
        and how many of them the customer exchanges."""
        self.return_lines.append((shipment, sku, units, refund, credit, exchanged))

    def return_disposed(self, shipment: int, sku: int, reason: int, restocked: int,
                        refurbished: int, disposed: int, t_h: float) -> None:
        """What inspection did at `t_h` (hours) with a line's units returned for `reason`."""
        self.return_dispositions.append((shipment, sku, reason, restocked, refurbished,
                                         disposed, t_h))

    def return_inspected(self, shipment: int, received_h: float, inspected_h: float,
                         restocked_units: int) -> None:
        """A shipment's returned units were received and inspected (nan: not yet)."""
        self.returns.append((shipment, received_h, inspected_h, restocked_units))

    @property
    def n_shipments(self) -> int:
        """Shipments opened so far."""
        return self._opened

    def shipment_rows(self) -> np.ndarray:
        """Every frozen shipment row (structured array), in shipment number order."""
        rows = self._shipments.array()
        out = np.empty(len(rows), rows.dtype)
        for name, column in self.shipment_columns():
            out[name] = column
        return out

    def shipment_columns(self) -> Iterator[tuple[str, np.ndarray]]:
        """(field, column) of the shipment rows in shipment number order, returns merged in;
        one column at a time, so a table built from them needs no sorted copy of every row."""
        rows = self._shipments
        order = np.argsort(rows.column("shipment"), kind="stable")
        back = self.returns.array()
        at = np.searchsorted(rows.column("shipment")[order], back["shipment"])
        for name in rows.dtype.names:
            column = rows.column(name)[order]
            if name in back.dtype.names and name != "shipment":
                column[at] = back[name]
            yield name, column

    def release(self) -> None:
        """Drop the shipment rows and lines once their tables are built (memory)."""
        self._shipments.clear()
        self.returns.clear()
        self._line_chunks, self._lines_pending = [], []

    def shipment_lines(self) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
        """(shipment number, SKU index, units) of every shipment line (with `keep_lines`)."""
        if not self.keep_lines:
            raise ValueError("shipment lines were not kept: build the network with "
                             "keep_lines=True")
        self._freeze_lines()
        if len(self._line_chunks) != 1:
            parts = self._line_chunks or [(np.zeros(0, np.int64),) * 3]
            self._line_chunks = [tuple(np.concatenate(c) for c in zip(*parts, strict=True))]
        if self._relined:
            number, sku, qty = self._line_chunks[0]
            changed = np.fromiter(self._relined, np.int64)
            keep = ~np.isin(number, changed)
            new = [(np.full(len(s), i), s, q) for i, (s, q) in self._relined.items()]
            parts = [(number[keep], sku[keep], qty[keep]), *new]
            number, sku, qty = (np.concatenate(c) for c in zip(*parts, strict=True))
            at = np.argsort(number, kind="stable")  # shipment number order, as opened
            self._line_chunks = [(number[at], sku[at].astype(np.int32),
                                  qty[at].astype(np.int32))]
            self._relined = {}
        return self._line_chunks[0]
