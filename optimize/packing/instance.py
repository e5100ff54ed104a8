"""A packing request: cartons (inner cm, max kg, cost), items (cm, kg, quantity, upright) and
the carrier's dimensional-weight rule; the item units and their allowed rotations."""

from __future__ import annotations

import math
import numbers
from dataclasses import dataclass
from itertools import permutations

from optimize.errors import FieldProblem, InvalidInput

__all__ = ["Carton", "Item", "PackingInstance", "Unit", "billable_kg", "orientations"]

Dims = tuple[float, float, float]


def _real(value: object) -> bool:
    return isinstance(value, numbers.Real) and not isinstance(value, bool)


def _number_problems(value: object, path: str, *, positive: bool) -> list[FieldProblem]:
    if not _real(value) or not math.isfinite(value):
        return [FieldProblem(path, "must be a finite number", value)]
    if positive and value <= 0:
        return [FieldProblem(path, "must be > 0", value)]
    if value < 0:
        return [FieldProblem(path, "must be >= 0", value)]
    return []


def _dims_problems(dims: object, path: str) -> list[FieldProblem]:
    if not isinstance(dims, tuple | list) or len(dims) != 3:
        return [FieldProblem(path, "must be three lengths in cm [length, width, height]", dims)]
    return [p for k, d in enumerate(dims) for p in _number_problems(d, f"{path}[{k}]",
                                                                     positive=True)]


def _name_problems(value: object, path: str) -> list[FieldProblem]:
    if not isinstance(value, str) or not value:
        return [FieldProblem(path, "must be a non-empty string", value)]
    return []


@dataclass(frozen=True)
class Carton:
    """A carton type: inner dimensions (cm), the most it may weigh with contents (kg) and its
    cost (currency per carton used)."""

    id: str
    inner_cm: Dims
    max_kg: float
    cost: float

    @property
    def volume_cm3(self) -> float:
        """Inner volume in cm3 (what the carrier's dimensional weight is taken from)."""
        return math.prod(self.inner_cm)

    def problems(self, path: str) -> list[FieldProblem]:
        """Every bad field, named under `path` (e.g. `cartons[0]`)."""
        return (_name_problems(self.id, f"{path}.id") + _dims_problems(self.inner_cm,
                                                                       f"{path}.inner_cm")
                + _number_problems(self.max_kg, f"{path}.max_kg", positive=True)
                + _number_problems(self.cost, f"{path}.cost", positive=False))


@dataclass(frozen=True)
class Item:
    """An order line: `qty` units of a SKU, each `dims_cm` (its third side the height) and
    `weight_kg`; an `upright` item keeps its height vertical (it may only turn about it)."""

    sku: str
    dims_cm: Dims
    weight_kg: float
    qty: int = 1
    upright: bool = False

    def problems(self, path: str) -> list[FieldProblem]:
        """Every bad field, named under `path` (e.g. `items[2]`)."""
        out = (_name_problems(self.sku, f"{path}.sku") + _dims_problems(self.dims_cm,
                                                                        f"{path}.dims_cm")
               + _number_problems(self.weight_kg, f"{path}.weight_kg", positive=False))
        if not isinstance(self.qty, numbers.Integral) or isinstance(self.qty, bool) or (
                self.qty < 1):
            out.append(FieldProblem(f"{path}.qty", "must be an integer >= 1", self.qty))
        if not isinstance(self.upright, bool):
            out.append(FieldProblem(f"{path}.upright", "must be true or false", self.upright))
        return out


def orientations(dims: Dims, upright: bool) -> tuple[Dims, ...]:
    """The distinct (x, y, z) extents an item may take: all 6 axis-parallel rotations, or the
    2 that keep its height (third side) vertical when upright."""
    if upright:
        cands = [(dims[0], dims[1], dims[2]), (dims[1], dims[0], dims[2])]
    else:
        cands = list(permutations(dims))
    return tuple(dict.fromkeys(cands))


@dataclass(frozen=True)
class Unit:
    """One physical unit of an item (the solvers place units, not lines)."""

    item: int  # index into PackingInstance.items
    sku: str
    dims_cm: Dims
    weight_kg: float
    upright: bool

    @property
    def volume_cm3(self) -> float:
        """The unit's volume in cm3."""
        return math.prod(self.dims_cm)

    @property
    def rotations(self) -> tuple[Dims, ...]:
        """Its allowed (x, y, z) extents in cm."""
        return orientations(self.dims_cm, self.upright)

    def fits(self, carton: Carton) -> bool:
        """True when the unit alone goes into `carton` by size (some allowed rotation) and
        weight."""
        return self.weight_kg <= carton.max_kg and any(
            all(d <= c for d, c in zip(r, carton.inner_cm, strict=True)) for r in self.rotations)


def billable_kg(actual_kg: float, carton: Carton, divisor_cm3_per_kg: float,
                round_up: bool) -> float:
    """Carrier's billable weight (kg) of a parcel: max(actual, inner volume / divisor), rounded
    up to the next whole kg when `round_up`."""
    kg = max(actual_kg, carton.volume_cm3 / divisor_cm3_per_kg)
    # a sum of decimal weights lands a hair above a whole kg (3.0000000000000004)
    return float(math.ceil(round(kg, 9))) if round_up else kg


@dataclass(frozen=True)
class PackingInstance:
    """What to pack and into what: carton types, order lines, the carrier's dim divisor
    (cm3 per kg), its rate per billable kg (currency) and whether it rounds kg up."""

    cartons: tuple[Carton, ...]
    items: tuple[Item, ...]
    dim_divisor_cm3_per_kg: float
    rate_per_billable_kg: float = 0.0
    round_up_kg: bool = False

    def __post_init__(self) -> None:
        object.__setattr__(self, "cartons", tuple(self.cartons))
        object.__setattr__(self, "items", tuple(self.items))
        problems: list[FieldProblem] = []
        if not self.cartons:
            problems.append(FieldProblem("cartons", "must list at least one carton", []))
        if not self.items:
            problems.append(FieldProblem("items", "must list at least one item", []))
        for kind, path, key in ((Carton, "cartons", "id"), (Item, "items", "sku")):
            seen: set[str] = set()
            for i, obj in enumerate(getattr(self, path)):
                if not isinstance(obj, kind):
                    problems.append(FieldProblem(f"{path}[{i}]", f"must be a {kind.__name__}",
                                                 obj))
                    continue
                problems += obj.problems(f"{path}[{i}]")
                name = getattr(obj, key)
                if name in seen:
                    problems.append(FieldProblem(f"{path}[{i}].{key}", "given twice", name))
                seen.add(name)
        problems += _number_problems(self.dim_divisor_cm3_per_kg, "dim_divisor_cm3_per_kg",
                                     positive=True)
        problems += _number_problems(self.rate_per_billable_kg, "rate_per_billable_kg",
                                     positive=False)
        if not isinstance(self.round_up_kg, bool):
            problems.append(FieldProblem("round_up_kg", "must be true or false",
                                         self.round_up_kg))
        if problems:
            raise InvalidInput(problems)

    def units(self) -> tuple[Unit, ...]:
        """Every unit, largest volume first (ties: longest side, then line order); copies of a
        line stay next to each other."""
        order = sorted(range(len(self.items)), key=lambda i: (
            -math.prod(self.items[i].dims_cm), -max(self.items[i].dims_cm), i))
        return tuple(Unit(i, self.items[i].sku, tuple(map(float, self.items[i].dims_cm)),
                          float(self.items[i].weight_kg), self.items[i].upright)
                     for i in order for _ in range(self.items[i].qty))

    @property
    def n_units(self) -> int:
        """Units to pack (sum of quantities)."""
        return sum(it.qty for it in self.items)

    def carton_charge(self, carton: Carton, actual_kg: float) -> float:
        """Carton cost plus the carrier charge on its billable weight (currency)."""
        return carton.cost + self.rate_per_billable_kg * billable_kg(
            actual_kg, carton, self.dim_divisor_cm3_per_kg, self.round_up_kg)
