"""Cartons and dimensional weight: pack an order's units into the cheapest set of cartons by
true 3D orthogonal packing (exact CP-SAT for small orders, extreme-point heuristic beyond)."""

from optimize.packing.check import packing_violations
from optimize.packing.instance import Carton, Item, PackingInstance, Unit, billable_kg, orientations
from optimize.packing.io import load_request, request_from_dict
from optimize.packing.result import PackedCarton, PackingResult, Placement
from optimize.packing.solve import DEFAULT_OPTIONS, EXACT_MAX_UNITS, METHODS, pack

__all__ = [
    "DEFAULT_OPTIONS",
    "EXACT_MAX_UNITS",
    "METHODS",
    "Carton",
    "Item",
    "PackedCarton",
    "PackingInstance",
    "PackingResult",
    "Placement",
    "Unit",
    "billable_kg",
    "load_request",
    "orientations",
    "pack",
    "packing_violations",
    "request_from_dict",
]
