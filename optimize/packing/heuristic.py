"""First-fit decreasing with extreme-point placement (Crainic, Perboli & Tadei 2008, "Extreme
point-based heuristics for three-dimensional bin packing", INFORMS J. Computing 20(3)).

Units go largest volume first into the first open carton with room: in a carton a unit is
tried at each extreme point, lowest first (z, then y, then x), in each allowed rotation, and
takes the first position inside the carton that overlaps nothing and keeps the weight limit.
Placing a unit adds the six projections of its three far corners onto the walls or the
nearest packed box (the paper's extreme-point update).

Which carton to open is decided by two rules, and the cheaper packing is kept (first-fit only
up to FIRST_FIT_MAX_UNITS units): first-fit (a
unit no open carton takes opens the carton type it makes cheapest, carton cost plus carrier
charge, unless repacking an open carton into a larger type with the unit costs less) and
fill-first (the cheapest carton that takes every unit left, else the type that packs the most
volume per unit of charge). Then two cartons whose contents repack into one cheaper carton
are merged while any pair saves, and each carton moves to the cheapest type its contents
repack into. A repack tries four sort orders and four placement rules before giving up.
"""

from __future__ import annotations

import math
from dataclasses import dataclass, field

from optimize.packing.instance import Dims, PackingInstance, Unit

__all__ = ["OpenCarton", "extreme_point_packing"]

Point = tuple[float, float, float]
Box = tuple[Point, Dims]
_EPS = 1e-9
# Above this many units only the fill-first rule runs: first-fit opens many small cartons on
# large orders and merging them back costs seconds (130 units: 14 s against 3 s).
FIRST_FIT_MAX_UNITS = 40


def _overlaps(corner: Point, dims: Dims, boxes: list[Box]) -> bool:
    return any(all(c < bc + bd - _EPS and bc < c + d - _EPS
                   for c, d, bc, bd in zip(corner, dims, bcorner, bdims, strict=True))
               for bcorner, bdims in boxes)


def _inside_box(p: Point, boxes: list[Box]) -> bool:
    return any(all(bc - _EPS <= c < bc + bd - _EPS for c, bc, bd in zip(p, bcorner, bdims,
                                                                      strict=True))
               for bcorner, bdims in boxes)


def _project(p: Point, axis: int, boxes: list[Box]) -> Point:
    """`p` moved towards 0 along `axis` until it meets a packed box's far face or the wall."""
    others = [a for a in range(3) if a != axis]
    stop = 0.0
    for corner, dims in boxes:
        far = corner[axis] + dims[axis]
        if stop <= far <= p[axis] + _EPS and all(
                corner[a] - _EPS <= p[a] < corner[a] + dims[a] - _EPS for a in others):
            stop = far
    out = list(p)
    out[axis] = stop
    return (out[0], out[1], out[2])


@dataclass
class OpenCarton:
    """A carton being filled: its type, the units in it with their corners and rotated extents,
    the extreme points still free, and its weight (kg)."""

    carton: int
    inner_cm: Dims
    max_kg: float
    placed: list[tuple[Unit, Point, Dims]] = field(default_factory=list)
    points: list[Point] = field(default_factory=lambda: [(0.0, 0.0, 0.0)])
    kg: float = 0.0

    def boxes(self) -> list[Box]:
        """Corners and extents of what is packed."""
        return [(corner, dims) for _, corner, dims in self.placed]

    def try_add(self, unit: Unit, axes: tuple[int, ...] = ()) -> bool:
        """Place `unit` at the lowest extreme point (z, y, x) in the first rotation that fits
        there, or with `axes` (e.g. (2, 1, 0)) where its far corner is lowest along those axes
        in turn over every point and rotation; False if it fits nowhere."""
        if self.kg + unit.weight_kg > self.max_kg + _EPS:
            return False
        boxes = self.boxes()
        best = None
        for p in sorted(self.points, key=lambda q: (q[2], q[1], q[0])):
            for dims in unit.rotations:
                if (all(c + d <= side + _EPS for c, d, side in zip(p, dims, self.inner_cm,
                                                                    strict=True))
                        and not _overlaps(p, dims, boxes)):
                    if not axes:
                        self._put(unit, p, dims, boxes)
                        return True
                    key = tuple(p[a] + dims[a] for a in axes)
                    if best is None or key < best[0]:
                        best = (key, p, dims)
        if best is None:
            return False
        self._put(unit, best[1], best[2], boxes)
        return True

    def _put(self, unit: Unit, p: Point, dims: Dims, boxes: list[Box]) -> None:
        self.placed.append((unit, p, dims))
        self.kg += unit.weight_kg
        boxes = [*boxes, (p, dims)]
        x, y, z = p
        w, d, h = dims
        new = [_project((x + w, y, z), 1, boxes), _project((x + w, y, z), 2, boxes),
               _project((x, y + d, z), 0, boxes), _project((x, y + d, z), 2, boxes),
               _project((x, y, z + h), 0, boxes), _project((x, y, z + h), 1, boxes)]
        keep = [q for q in self.points if q != p] + new
        self.points = [q for q in dict.fromkeys(keep)
                       if all(c < side - _EPS for c, side in zip(q, self.inner_cm, strict=True))
                       and not _inside_box(q, boxes)]


def _fresh(inst: PackingInstance, t: int) -> OpenCarton:
    c = inst.cartons[t]
    return OpenCarton(t, tuple(map(float, c.inner_cm)), float(c.max_kg))


# Orders a carton's units are tried in when it is repacked: volume, then the paper's
# area-height (base area, then height), height, and longest side, all decreasing.
_ORDERS = (lambda u: -u.volume_cm3,
           lambda u: (-u.dims_cm[0] * u.dims_cm[1], -u.dims_cm[2]),
           lambda u: (-u.dims_cm[2], -u.volume_cm3),
           lambda u: (-max(u.dims_cm), -u.volume_cm3))
# Placement rules tried in a repack: first fit at the lowest point, then the far corner lowest
# along z, y, x in turn; y, z, x; and x, y, z (the last two stand boxes on edge when it helps).
_RULES = ((), (2, 1, 0), (1, 2, 0), (0, 1, 2))


def _repack(inst: PackingInstance, t: int, units: list[Unit]) -> OpenCarton | None:
    """`units` packed afresh into a carton of type `t` (each placement rule and sort order in
    turn until one packs them all), or None if they do not all go in."""
    c = inst.cartons[t]
    if (math.fsum(u.weight_kg for u in units) > c.max_kg + _EPS
            or math.fsum(u.volume_cm3 for u in units) > c.volume_cm3 + _EPS):
        return None
    for axes in _RULES:
        for order in _ORDERS:
            box = _fresh(inst, t)
            if all(box.try_add(u, axes) for u in sorted(units, key=order)):
                return box
    return None


def _charge(inst: PackingInstance, box: OpenCarton) -> float:
    return inst.carton_charge(inst.cartons[box.carton], box.kg)


def _cheapest(inst: PackingInstance, units: list[Unit]) -> OpenCarton | None:
    """The cheapest carton (charge, then list order) that `units` repack into, or None."""
    best, best_charge = None, math.inf
    for t in range(len(inst.cartons)):
        box = _repack(inst, t, units)
        if box is not None and _charge(inst, box) < best_charge - _EPS:
            best, best_charge = box, _charge(inst, box)
    return best


def _first_fit(inst: PackingInstance, units: list[Unit]) -> list[OpenCarton]:
    """Each unit into the first open carton with room, else the cheapest new carton (or a
    cheaper enlargement of an open one)."""
    used: list[OpenCarton] = []
    for unit in units:
        if any(box.try_add(unit) for box in used):
            continue
        new = _cheapest(inst, [unit])
        assert new is not None, f"{unit.sku} fits no carton"
        best_extra, swap = _charge(inst, new), None
        for k, box in enumerate(used):
            bigger = _cheapest(inst, [u for u, _, _ in box.placed] + [unit])
            extra = math.inf if bigger is None else _charge(inst, bigger) - _charge(inst, box)
            if extra < best_extra - _EPS:
                best_extra, swap = extra, (k, bigger)
        if swap is None:
            used.append(new)
        else:
            used[swap[0]] = swap[1]
    return used


def _fill_first(inst: PackingInstance, units: list[Unit]) -> list[OpenCarton]:
    """Carton by carton: the cheapest type that takes every unit left if one does, else the
    type that packs the units left (first fit, skipping those that do not go in) at the lowest
    charge per cm3 packed."""
    used: list[OpenCarton] = []
    left = list(units)
    while left:
        whole = _cheapest(inst, left)
        if whole is not None:
            return [*used, whole]
        fills = []
        for t in range(len(inst.cartons)):
            box = _fresh(inst, t)
            packed = [u for u in left if box.try_add(u)]
            if packed:
                volume = math.fsum(u.volume_cm3 for u in packed)
                fills.append((len(packed) < len(left), _charge(inst, box) / volume, t, box))
        box = min(fills, key=lambda f: f[:3])[3]
        used.append(box)
        taken = {id(u) for u, _, _ in box.placed}
        left = [u for u in left if id(u) not in taken]
    return used


def _merge(inst: PackingInstance, used: list[OpenCarton]) -> list[OpenCarton]:
    """Two cartons whose contents repack into one cheaper carton become that carton, the
    biggest saving first, until no pair saves."""
    used = list(used)
    # a pair is repacked once; the entry holds the pair so that its ids are not reused
    tried: dict[tuple[int, int], tuple[tuple[OpenCarton, OpenCarton], OpenCarton | None]] = {}
    floor = min(c.cost for c in inst.cartons)  # no carton costs less than this
    while True:
        best = None
        for a in range(len(used)):
            for b in range(a + 1, len(used)):
                pair = used[a], used[b]
                if _charge(inst, pair[0]) + _charge(inst, pair[1]) <= floor + _EPS:
                    continue
                key = (id(pair[0]), id(pair[1]))
                if key not in tried:
                    tried[key] = (pair, _cheapest(inst, [u for box in pair
                                                         for u, _, _ in box.placed]))
                both = tried[key][1]
                if both is None:
                    continue
                saving = _charge(inst, pair[0]) + _charge(inst, pair[1]) - _charge(inst, both)
                if saving > _EPS and (best is None or saving > best[0]):
                    best = (saving, a, b, both)
        if best is None:
            return used
        _, a, b, both = best
        used = [box for k, box in enumerate(used) if k not in (a, b)] + [both]


def _total(inst: PackingInstance, boxes: list[OpenCarton]) -> float:
    return math.fsum(_charge(inst, b) for b in boxes)


def extreme_point_packing(inst: PackingInstance, units: list[Unit]) -> list[OpenCarton]:
    """Pack `units` (largest first; each fits some carton alone) by the rules above, merged and
    each carton moved to the cheapest type its contents repack into; the cheapest packing."""
    best: list[OpenCarton] = []
    rules = (_fill_first,) if len(units) > FIRST_FIT_MAX_UNITS else (_fill_first, _first_fit)
    for rule in rules:
        used = _merge(inst, rule(inst, units))
        for k, box in enumerate(used):
            cheaper = _cheapest(inst, [u for u, _, _ in box.placed])
            if cheaper is not None and _charge(inst, cheaper) < _charge(inst, box) - _EPS:
                used[k] = cheaper
        if not best or _total(inst, used) < _total(inst, best) - _EPS:
            best = used
    return best
