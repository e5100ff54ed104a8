"""The warehouse layout (parallel aisles, cross aisles, depot) and pick-location checks."""

from __future__ import annotations

import math
from collections.abc import Mapping
from dataclasses import MISSING, dataclass, fields

import numpy as np

from optimize.errors import FieldProblem, InvalidInput

__all__ = ["Layout", "Point", "check_locations", "distinct_points"]

Point = tuple[int, float]  # (aisle index, y in metres from the front cross aisle)


def _join(prefix: str, name: str) -> str:
    return f"{prefix}.{name}" if prefix else name


@dataclass(frozen=True)
class Layout:
    """Rectangular warehouse: aisle i at x = i * aisle_spacing_m, y from 0 (front) to length.

    `n_cross_aisles` = 2 is a single block (front and back cross aisles); k > 2 puts k cross
    aisles evenly from y = 0 to y = aisle_length_m. The depot sits on the front cross aisle at
    x = depot_x_m. Construction validates every field and raises InvalidInput naming them.
    """

    n_aisles: int
    aisle_length_m: float
    aisle_spacing_m: float
    n_cross_aisles: int = 2
    depot_x_m: float = 0.0

    def __post_init__(self) -> None:
        problems = layout_problems(self.__dict__)
        if problems:
            raise InvalidInput(problems)

    @classmethod
    def validated(cls, data: Mapping[str, object], prefix: str = "layout") -> Layout:
        """Build from a mapping (e.g. parsed JSON); every problem is named `prefix.field`."""
        if not isinstance(data, Mapping):
            raise InvalidInput(FieldProblem(prefix or "(root)", "must be an object", data))
        names = [f.name for f in fields(cls)]
        missing = [f.name for f in fields(cls) if f.default is MISSING and f.name not in data]
        problems = [FieldProblem(_join(prefix, k), "unknown field", data[k])
                    for k in data if k not in names]
        problems += [FieldProblem(_join(prefix, k), "missing", None) for k in missing]
        missing_paths = {_join(prefix, k) for k in missing}
        problems += [p for p in layout_problems(data, prefix) if p.path not in missing_paths]
        if problems:
            raise InvalidInput(problems)
        return cls(**{k: data[k] for k in names if k in data})

    @property
    def width_m(self) -> float:
        """Distance (m) between the first and the last aisle's centre lines."""
        return (self.n_aisles - 1) * self.aisle_spacing_m

    @property
    def n_blocks(self) -> int:
        """Number of blocks (n_cross_aisles - 1)."""
        return self.n_cross_aisles - 1

    @property
    def block_length_m(self) -> float:
        """Length (m) of one block: the distance between neighbouring cross aisles."""
        return self.aisle_length_m / self.n_blocks

    @property
    def cross_aisle_y_m(self) -> tuple[float, ...]:
        """y (m) of every cross aisle, front (0) to back (aisle_length_m)."""
        h = self.block_length_m
        return (*(c * h for c in range(self.n_blocks)), self.aisle_length_m)

    def block_of(self, y_m: float) -> int:
        """Index of the block holding y (a point on a cross aisle belongs to the block above)."""
        return min(int(y_m / self.block_length_m), self.n_blocks - 1)


def _is_int(v: object) -> bool:
    return isinstance(v, int | np.integer) and not isinstance(v, bool)


def _is_num(v: object) -> bool:
    return (isinstance(v, int | float | np.integer | np.floating) and not isinstance(v, bool)
            and math.isfinite(float(v)))


def layout_problems(data: Mapping[str, object], prefix: str = "") -> list[FieldProblem]:
    """Every problem with the layout fields in `data` (empty when valid)."""
    p: list[FieldProblem] = []
    n, length, spacing = data.get("n_aisles"), data.get("aisle_length_m"), data.get(
        "aisle_spacing_m")
    k, depot = data.get("n_cross_aisles", 2), data.get("depot_x_m", 0.0)
    if not _is_int(n) or n < 1:
        p.append(FieldProblem(_join(prefix, "n_aisles"), "must be an integer >= 1", n))
    for name, v in (("aisle_length_m", length), ("aisle_spacing_m", spacing)):
        if not _is_num(v) or v <= 0:
            p.append(FieldProblem(_join(prefix, name), "must be a finite number > 0", v))
    if not _is_int(k) or k < 2:
        p.append(FieldProblem(_join(prefix, "n_cross_aisles"), "must be an integer >= 2", k))
    if not _is_num(depot):
        p.append(FieldProblem(_join(prefix, "depot_x_m"), "must be a finite number", depot))
    elif not p:
        width = (n - 1) * spacing
        if not 0 <= depot <= width:
            p.append(FieldProblem(
                _join(prefix, "depot_x_m"),
                f"must be in [0, (n_aisles - 1) * aisle_spacing_m = {width:g}]", depot))
    return p


def check_pick_lists(layout: Layout, pick_lists: object, path: str = "pick_lists"
                     ) -> tuple[list[np.ndarray], list[FieldProblem]]:
    """Every pick list checked with `check_locations`: the arrays of the good ones and the
    problems of all the bad ones (so a caller can report them with its own)."""
    arrays, problems = [], []
    for i, pl in enumerate(pick_lists):
        try:
            arrays.append(check_locations(layout, pl, f"{path}[{i}]"))
        except InvalidInput as err:
            problems += err.problems
    return arrays, problems


def check_locations(layout: Layout, locations: object, path: str = "locations") -> np.ndarray:
    """Pick locations as an (n, 2) float array [aisle_index, y_m]; InvalidInput names bad ones."""
    try:
        arr = np.asarray(locations, dtype=float)
    except (TypeError, ValueError) as err:
        raise InvalidInput(FieldProblem(path, f"must be a list of [aisle, y_m] pairs ({err})",
                                        locations)) from None
    if arr.size == 0:
        return np.zeros((0, 2))
    if arr.ndim != 2 or arr.shape[1] != 2:
        raise InvalidInput(FieldProblem(path, "must be a list of [aisle, y_m] pairs",
                                        np.asarray(locations).tolist()))
    aisle, y = arr[:, 0], arr[:, 1]
    bad_aisle = ~(np.isfinite(aisle) & (aisle == np.round(aisle)) & (aisle >= 0)
                  & (aisle <= layout.n_aisles - 1))
    bad_y = ~(np.isfinite(y) & (y >= 0) & (y <= layout.aisle_length_m))
    problems = []
    for i in np.flatnonzero(bad_aisle | bad_y):
        if bad_aisle[i]:
            problems.append(FieldProblem(
                f"{path}[{i}][0]", f"aisle index must be an integer in [0, {layout.n_aisles - 1}]",
                float(aisle[i])))
        if bad_y[i]:
            problems.append(FieldProblem(
                f"{path}[{i}][1]",
                f"y_m must be in [0, aisle_length_m = {layout.aisle_length_m:g}]", float(y[i])))
    if problems:
        raise InvalidInput(problems)
    return arr


def distinct_points(layout: Layout, locations: object) -> list[Point]:
    """The distinct, validated pick locations as sorted (aisle, y_m) tuples."""
    # Plain Python beats numpy for the handful of picks an order has; anything unusual goes
    # through check_locations, which names the bad entries.
    rows = locations.tolist() if isinstance(locations, np.ndarray) else locations
    last, length = layout.n_aisles - 1, layout.aisle_length_m
    pts = set()
    try:
        for a, y in rows:
            if not (a == int(a) and 0 <= a <= last and 0.0 <= y <= length):
                raise ValueError
            pts.add((int(a), float(y)))
    except (TypeError, ValueError, OverflowError):
        arr = check_locations(layout, locations)
        pts = {(int(a), float(y)) for a, y in arr}
    return sorted(pts)
