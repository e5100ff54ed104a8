"""Check a packing against its request from scratch: inside the carton, no overlap, rotations
allowed, every unit once, weight limits, and every number recomputed."""

from __future__ import annotations

import math
from collections import Counter
from itertools import combinations

from optimize.packing.instance import PackingInstance, billable_kg, orientations
from optimize.packing.result import PackingResult
from optimize.result import Status

__all__ = ["packing_violations"]

_TOL_CM = 1e-6
_TOL = 1e-6


def _overlap(a, b) -> bool:
    """True when two placements share volume (touching faces do not)."""
    return all(min(pa + da, pb + db) - max(pa, pb) > _TOL_CM
               for pa, da, pb, db in zip((a.x_cm, a.y_cm, a.z_cm), a.dims_cm,
                                         (b.x_cm, b.y_cm, b.z_cm), b.dims_cm, strict=True))


def packing_violations(inst: PackingInstance, result: PackingResult) -> list[str]:
    """Every way `result` breaks the request, one sentence each (empty when it is sound)."""
    if result.status not in (Status.OPTIMAL, Status.FEASIBLE):
        return [] if not result.cartons else ["a result without a packing lists cartons"]
    out: list[str] = []
    cartons = {c.id: c for c in inst.cartons}
    items = {it.sku: it for it in inst.items}
    packed: Counter[str] = Counter()
    charges = []
    for n, pc in enumerate(result.cartons):
        carton = cartons.get(pc.carton)
        if carton is None:
            out.append(f"carton #{n}: unknown type {pc.carton!r}")
            continue
        for p in pc.placements:
            item = items[p.sku]
            if tuple(p.dims_cm) not in orientations(tuple(item.dims_cm), item.upright):
                out.append(f"carton #{n}: {p.sku} turned to {p.dims_cm}, not an allowed rotation")
            for lo, d, side, axis in zip((p.x_cm, p.y_cm, p.z_cm), p.dims_cm, carton.inner_cm,
                                         "xyz", strict=True):
                if lo < -_TOL_CM or lo + d > side + _TOL_CM:
                    out.append(f"carton #{n}: {p.sku} at {axis}={lo} sticks out ({d} of {side})")
        out += [f"carton #{n}: {a.sku} and {b.sku} overlap"
                for a, b in combinations(pc.placements, 2) if _overlap(a, b)]
        counts = Counter(p.sku for p in pc.placements)
        packed += counts
        if dict(counts) != pc.items:
            out.append(f"carton #{n}: items {pc.items} but placements {dict(counts)}")
        actual = math.fsum(items[p.sku].weight_kg for p in pc.placements)
        if actual > carton.max_kg + _TOL:
            out.append(f"carton #{n}: {actual} kg over its {carton.max_kg} kg limit")
        billable = billable_kg(actual, carton, inst.dim_divisor_cm3_per_kg, inst.round_up_kg)
        fill = math.fsum(math.prod(p.dims_cm) for p in pc.placements) / carton.volume_cm3
        for name, got, want in (("actual_kg", pc.actual_kg, actual),
                                ("billable_kg", pc.billable_kg, billable),
                                ("fill_share", pc.fill_share, fill)):
            if not math.isclose(got, want, rel_tol=_TOL, abs_tol=_TOL):
                out.append(f"carton #{n}: {name} {got} but recomputed {want}")
        charges.append(carton.cost + inst.rate_per_billable_kg * billable)
    wanted = Counter({it.sku: it.qty for it in inst.items})
    if packed != wanted:
        out.append(f"units packed {dict(packed)} but ordered {dict(wanted)}")
    total = math.fsum(charges)
    if not math.isclose(result.objective, total, rel_tol=_TOL, abs_tol=_TOL):
        out.append(f"objective {result.objective} but the cartons cost {total}")
    return out
