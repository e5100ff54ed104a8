"""Proven-optimal packings without CP-SAT for the orders a simulation meets most: one or two
units exactly, and more units when one carton takes them all at a charge no other packing
can beat (a volume and weight bound). Microseconds instead of CP-SAT's tens of milliseconds.

- One unit: the carton type of lowest charge it fits (some allowed rotation, weight).
- Two units: two disjoint boxes are always separated by a plane across one axis, so they fit
  a carton together iff, in some rotations, they stand side by side along an axis (sum of
  those extents within the carton's, the larger of the others within its). The optimum is
  the better of the cheapest such carton and each unit in its own cheapest carton.
- More units: carton types in order of their charge on the order's weight and own volume,
  among those that hold its volume and weight; the first that the extreme-point rules pack
  is proven optimal when no type before it was turned away and its charge is at most the
  bound on any packing of two or more cartons (each holds a unit, so costs at least the
  cheapest type that fits a unit alone and bills at least its volume).
"""

from __future__ import annotations

import math
from itertools import product

from optimize.packing.heuristic import _repack
from optimize.packing.instance import Carton, Dims, PackingInstance, Unit
from optimize.packing.result import PackedCarton, PackingResult, build_result, packed_carton
from optimize.result import Status

__all__ = ["quick_pack"]

_EPS = 1e-9
Placed = list[tuple[Unit, tuple[float, float, float], Dims]]


def _charge(inst: PackingInstance, t: int, kg: float) -> float:
    return inst.carton_charge(inst.cartons[t], kg)


def _alone(unit: Unit, carton: Carton) -> Placed | None:
    if unit.weight_kg > carton.max_kg + _EPS:
        return None
    for r in unit.rotations:
        if all(d <= c + _EPS for d, c in zip(r, carton.inner_cm, strict=True)):
            return [(unit, (0.0, 0.0, 0.0), r)]
    return None


def _pair(a: Unit, b: Unit, carton: Carton) -> Placed | None:
    if a.weight_kg + b.weight_kg > carton.max_kg + _EPS:
        return None
    side = carton.inner_cm
    for ra, rb in product(a.rotations, b.rotations):
        for axis in range(3):
            if ra[axis] + rb[axis] <= side[axis] + _EPS and all(
                    max(ra[k], rb[k]) <= side[k] + _EPS for k in range(3) if k != axis):
                corner = [0.0, 0.0, 0.0]
                corner[axis] = ra[axis]
                return [(a, (0.0, 0.0, 0.0), ra), (b, (corner[0], corner[1], corner[2]), rb)]
    return None


def _best_alone(inst: PackingInstance, unit: Unit) -> PackedCarton | None:
    best = None
    for t, carton in enumerate(inst.cartons):
        placed = _alone(unit, carton)
        if placed is not None and (best is None or _charge(inst, t, unit.weight_kg)
                                   < best.charge - _EPS):
            best = packed_carton(inst, t, placed)
    return best


def _two_or_more_bound(inst: PackingInstance, units: list[Unit]) -> float:
    """No packing into two or more cartons costs less (currency)."""
    holds_one = [c for c in inst.cartons if any(_alone(u, c) is not None for u in units)]
    kg = math.fsum(u.weight_kg for u in units)
    return (2 * min(c.cost for c in holds_one) + inst.rate_per_billable_kg
            * max(kg, 2 * min(c.volume_cm3 for c in holds_one) / inst.dim_divisor_cm3_per_kg))


def quick_pack(inst: PackingInstance, prove_only: bool = True) -> PackingResult | None:
    """The proven optimum by the rules above (status optimal, method `quick`), or None when
    they do not prove one (or kg are rounded up, which the bound does not model).

    With `prove_only` False, an order of three or more units that the extreme-point rules
    pack into one carton within the bound, after turning a cheaper type away, gets that
    carton (status feasible, method `quick`): the heuristic's own answer (its cheapest
    single carton is found by the same repacking, and no split it could find costs less)."""
    if inst.round_up_kg:
        return None
    units = list(inst.units())
    if any(not any(_alone(u, c) for c in inst.cartons) for u in units):
        return None  # `pack` names the item that fits no carton
    kg = math.fsum(u.weight_kg for u in units)
    volume = math.fsum(u.volume_cm3 for u in units)
    if len(units) == 1:
        return _result(inst, [_best_alone(inst, units[0])])
    bound = _two_or_more_bound(inst, units)
    candidates = sorted((t for t, c in enumerate(inst.cartons)
                         if c.volume_cm3 >= volume - _EPS and c.max_kg >= kg - _EPS),
                        key=lambda t: (_charge(inst, t, kg), t))
    one, turned_away = None, False
    for t in candidates:
        if len(units) == 2:
            placed = _pair(units[0], units[1], inst.cartons[t])
        else:
            box = _repack(inst, t, units)
            placed = None if box is None else box.placed
        if placed is not None:
            one = packed_carton(inst, t, placed)
            break
        if len(units) > 2 and prove_only:
            return None  # the extreme-point rule may miss a packing CP-SAT would find
        turned_away = True
    if len(units) == 2:
        apart = [_best_alone(inst, u) for u in units]
        if one is None or math.fsum(c.charge for c in apart) < one.charge - _EPS:
            return _result(inst, apart)
        return _result(inst, [one])
    if one is not None and one.charge <= bound + _EPS:
        return _result(inst, [one], Status.FEASIBLE if turned_away else Status.OPTIMAL)
    return None


def _result(inst: PackingInstance, cartons: list[PackedCarton],
            status: Status = Status.OPTIMAL) -> PackingResult:
    return build_result(inst, cartons, status=status, bound=math.nan, time_s=0.0,
                        method="quick")
