"""The answer of every packing method: the cartons used, what each holds and where, their
actual and billable kg, and the cost recomputed from them."""

from __future__ import annotations

import math
from collections import Counter
from dataclasses import dataclass
from typing import Any

from optimize.packing.instance import Dims, PackingInstance, Unit, billable_kg
from optimize.result import SolverResult, Status

__all__ = ["PackedCarton", "PackingResult", "Placement", "build_result", "packed_carton"]

_DIGITS = 9  # kg, shares and money are reported to 1e-9 (a float sum's noise taken off)


def _number(value: float) -> float | int:
    """An integral float as an int (JSON `10`, not `10.0`), else the float."""
    return int(value) if float(value).is_integer() else float(value)


@dataclass(frozen=True)
class Placement:
    """One unit in its carton: the corner nearest the carton's origin (cm) and its extents
    along x, y, z (cm) as rotated."""

    sku: str
    x_cm: float
    y_cm: float
    z_cm: float
    dims_cm: Dims

    def to_dict(self) -> dict[str, Any]:
        """The contract's JSON form."""
        return {"sku": self.sku, "x_cm": _number(self.x_cm), "y_cm": _number(self.y_cm),
                "z_cm": _number(self.z_cm), "dims_cm": [_number(d) for d in self.dims_cm]}


@dataclass(frozen=True)
class PackedCarton:
    """One parcel: the carton type, units per SKU, actual and billable kg, the share of its
    inner volume the items fill (0-1), its charge (carton cost + rate x billable kg) and the
    placements."""

    carton: str
    items: dict[str, int]
    actual_kg: float
    billable_kg: float
    fill_share: float
    charge: float
    placements: tuple[Placement, ...]

    def to_dict(self) -> dict[str, Any]:
        """The contract's JSON form (the charge is left out: the objective sums it)."""
        return {"carton": self.carton, "items": dict(self.items), "actual_kg": self.actual_kg,
                "billable_kg": self.billable_kg, "fill_share": self.fill_share,
                "placements": [p.to_dict() for p in self.placements]}


@dataclass(frozen=True, kw_only=True, eq=False)
class PackingResult(SolverResult):
    """A packing: `objective` is the sum of carton costs plus rate x billable kg (currency),
    recomputed from `cartons`; `method` is `exact` (CP-SAT) or `extreme_points` (the
    heuristic); `unpackable` names the SKUs that fit no carton when the status is
    infeasible."""

    method: str
    cartons: tuple[PackedCarton, ...] = ()
    unpackable: tuple[str, ...] = ()

    def to_dict(self) -> dict[str, Any]:
        """JSON form: status, objective, cartons (as the contract), then the shared keys,
        method and unpackable."""
        shared = self.contract_dict()
        return {"status": shared["status"], "objective": shared["objective"],
                "cartons": [c.to_dict() for c in self.cartons],
                **{k: v for k, v in shared.items() if k not in ("status", "objective")},
                "method": self.method, "unpackable": list(self.unpackable)}


def packed_carton(inst: PackingInstance, carton_index: int,
                  placed: list[tuple[Unit, tuple[float, float, float], Dims]]) -> PackedCarton:
    """A carton of type `carton_index` holding `placed` (unit, corner cm, rotated extents cm),
    with its kg, fill and charge computed from them."""
    carton = inst.cartons[carton_index]
    actual = round(math.fsum(u.weight_kg for u, _, _ in placed), _DIGITS)
    billable = round(billable_kg(actual, carton, inst.dim_divisor_cm3_per_kg, inst.round_up_kg),
                     _DIGITS)
    fill = math.fsum(u.volume_cm3 for u, _, _ in placed) / carton.volume_cm3
    order = sorted(placed, key=lambda p: (p[1][2], p[1][1], p[1][0], p[0].sku))
    return PackedCarton(
        carton=carton.id, items=dict(sorted(Counter(u.sku for u, _, _ in placed).items())),
        actual_kg=actual, billable_kg=billable, fill_share=min(round(fill, _DIGITS), 1.0),
        charge=carton.cost + inst.rate_per_billable_kg * billable,
        placements=tuple(Placement(u.sku, *corner, dims) for u, corner, dims in order))


def build_result(inst: PackingInstance, cartons: list[PackedCarton], *, status: Status,
                 bound: float, time_s: float, method: str, time_limit_hit: bool = False,
                 message: str = "") -> PackingResult:
    """A result whose objective is the cartons' charges summed (cartons by type, fullest first)."""
    cartons = sorted(cartons, key=lambda c: (c.carton, -c.fill_share))
    objective = round(math.fsum(c.charge for c in cartons), _DIGITS)
    if status is Status.OPTIMAL:
        bound = objective  # the scaled model's bound differs only by its rounding
    return PackingResult(status=status, objective=objective, bound=bound, time_s=time_s,
                         time_limit_hit=time_limit_hit, message=message, method=method,
                         cartons=tuple(cartons))
