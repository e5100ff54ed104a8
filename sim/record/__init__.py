"""The run's record: named row types the model writes, read by tables, KPIs, costs and the
conservation check (which never look at the model's objects)."""

from sim.record.recorder import LOST_REASONS, SHIPMENT_FIELDS, NodeCensus, Recorder, RunNames
from sim.record.rows import (
    DailySnapshot,
    HourlySample,
    PickTour,
    PurchaseOrderLine,
    ReturnParcel,
    Shipment,
)
from sim.record.time_weighted import TimeWeighted

__all__ = [
    "LOST_REASONS",
    "SHIPMENT_FIELDS",
    "DailySnapshot",
    "HourlySample",
    "NodeCensus",
    "PickTour",
    "PurchaseOrderLine",
    "Recorder",
    "ReturnParcel",
    "RunNames",
    "Shipment",
    "TimeWeighted",
]
