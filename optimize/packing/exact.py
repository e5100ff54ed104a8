"""Exact packing by CP-SAT: which cartons to open, which unit goes in which, where and how
turned, minimising carton cost plus the carrier charge on billable weight.

Model (n units, largest first): carton slot j may open only with unit j as its first unit
(the representative formulation of bin packing, which removes the slots' symmetry), and picks
one carton type. Unit i sits in one slot j <= i, in one allowed rotation, at integer
coordinates inside that slot's carton; two units are apart along some axis (one of six
literals) unless they are in different slots. Per slot: weight <= max kg, volume <= inner
volume (a redundant cut), billable >= actual weight and >= inner volume / divisor. Copies of
one SKU fill slots in order and, in one carton, lie in order of x (both without loss).

Numbers become integers by decimal scales: lengths to 0.001 cm, kg to 0.1 g, money to 1e-4
(rounding only what has more decimals, and then to the safe side: units up, cartons down).
The reported objective is recomputed from the packing, not read from the scaled model.
"""

from __future__ import annotations

import math
from dataclasses import dataclass

from ortools.sat.python import cp_model

from optimize.packing.heuristic import OpenCarton
from optimize.packing.instance import PackingInstance, Unit
from optimize.packing.result import PackedCarton, packed_carton

__all__ = ["ExactOutcome", "solve_exact"]

_MAX_DIGITS_CM = 3
_MAX_DIGITS_KG = 4
_MAX_DIGITS_MONEY = 4


def _digits(values: list[float], most: int) -> int:
    """The fewest decimals (<= most) that write every value exactly (to 1e-9 relative)."""
    for k in range(most + 1):
        if all(abs(v * 10**k - round(v * 10**k)) <= 1e-9 * max(1.0, abs(v * 10**k))
               for v in values):
            return k
    return most


def _up(v: float, scale: int) -> int:
    return math.ceil(round(v * scale, 6))


def _down(v: float, scale: int) -> int:
    return math.floor(round(v * scale, 6))


@dataclass(frozen=True)
class ExactOutcome:
    """What CP-SAT found: its status name, the cartons (empty without a solution), the best
    bound in currency and whether the clock stopped it."""

    status: str
    cartons: list[PackedCarton]
    bound: float
    time_limit_hit: bool


def solve_exact(inst: PackingInstance, units: list[Unit], *, time_limit_s: float | None,
                threads: int, log: bool, hint: list[OpenCarton] | None = None) -> ExactOutcome:
    """Solve the model above for `units` (each fits some carton alone)."""
    n, cartons = len(units), inst.cartons
    T = range(len(cartons))
    lscale = 10 ** _digits([d for u in units for d in u.dims_cm], _MAX_DIGITS_CM)
    dim_kg = [c.volume_cm3 / inst.dim_divisor_cm3_per_kg for c in cartons]
    kw = _digits([u.weight_kg for u in units] + [c.max_kg for c in cartons] + dim_kg,
                 _MAX_DIGITS_KG)
    kscale = 10 ** kw
    rate = inst.rate_per_billable_kg
    kc = _digits([c.cost for c in cartons], _MAX_DIGITS_MONEY)
    kr = _digits([rate], _MAX_DIGITS_MONEY)
    # money in units of 10**-mdigits; a billable step (0.1 g or 1 kg) costs rate_coef of them
    bill_step_digits = 0 if inst.round_up_kg else kw
    mdigits = max(kc, kr + bill_step_digits)
    rate_coef = round(rate * 10 ** (mdigits - bill_step_digits))
    cost = [round(c.cost * 10**mdigits) for c in cartons]

    inner = [[_down(s, lscale) for s in c.inner_cm] for c in cartons]
    rots = [[tuple(_up(d, lscale) for d in r) for r in u.rotations] for u in units]
    weight = [_up(u.weight_kg, kscale) for u in units]
    max_w = [_down(c.max_kg, kscale) for c in cartons]
    fits = [[u.fits(c) for c in cartons] for u in units]
    side = max(max(s) for s in inner)

    m = cp_model.CpModel()
    # slots[i]: the slots unit i may go in (j <= i, and some carton takes both i and j)
    a: dict[tuple[int, int], cp_model.IntVar] = {}
    for i in range(n):
        for j in range(i + 1):
            if any(fits[i][t] and fits[j][t] for t in T):
                a[i, j] = m.new_bool_var(f"a{i}_{j}")
    slots = [[j for j in range(i + 1) if (i, j) in a] for i in range(n)]
    typ = {(j, t): m.new_bool_var(f"t{j}_{t}") for j in range(n) for t in T if fits[j][t]}
    for i in range(n):
        m.add_exactly_one(a[i, j] for j in slots[i])
        for j in slots[i]:
            if j < i:
                m.add_implication(a[i, j], a[j, j])
            for t in T:
                if (j, t) in typ and not fits[i][t]:
                    m.add_bool_or([a[i, j].negated(), typ[j, t].negated()])
    for j in range(n):
        m.add(sum(typ[j, t] for t in T if (j, t) in typ) == a[j, j])

    def slot_value(j: int, per_type: list[int]) -> cp_model.LinearExpr:
        return sum(per_type[t] * typ[j, t] for t in T if (j, t) in typ)

    pos = [[m.new_int_var(0, side, f"p{i}_{k}") for k in range(3)] for i in range(n)]
    ext = []
    for i in range(n):
        o = [m.new_bool_var(f"o{i}_{r}") for r in range(len(rots[i]))]
        m.add_exactly_one(o)
        ext.append((o, [sum(r[k] * ok for r, ok in zip(rots[i], o, strict=True))
                        for k in range(3)]))
        for j in slots[i]:
            for k in range(3):
                m.add(pos[i][k] + ext[i][1][k] <= slot_value(j, [c[k] for c in inner])
                      ).only_enforce_if(a[i, j])

    vol = [math.floor(u.volume_cm3) for u in units]
    cap_vol = [math.ceil(c.volume_cm3) for c in cartons]
    actual = []
    for j in range(n):
        members = [i for i in range(j, n) if j in slots[i]]
        actual.append(sum(weight[i] * a[i, j] for i in members))
        m.add(actual[j] <= slot_value(j, max_w))
        m.add(sum(vol[i] * a[i, j] for i in members) <= slot_value(j, cap_vol))

    for i in range(n):
        for j in range(i + 1, n):
            shared = [k for k in slots[i] if k in slots[j]]
            if not shared:
                continue
            apart = m.new_bool_var(f"d{i}_{j}")  # true only if in different cartons
            for k in shared:
                m.add_bool_or([a[i, k].negated(), a[j, k].negated(), apart.negated()])
            sep = []
            for k in range(3):
                for first, second in ((i, j), (j, i)):
                    b = m.new_bool_var(f"s{first}_{second}_{k}")
                    m.add(pos[first][k] + ext[first][1][k] <= pos[second][k]).only_enforce_if(b)
                    sep.append(b)
            m.add_bool_or([*sep, apart])
            if units[i].item == units[j].item and j == i + 1:
                m.add(pos[i][0] <= pos[j][0]).only_enforce_if(apart.negated())
                m.add(sum(k * a[i, k] for k in slots[i]) <= sum(k * a[j, k] for k in slots[j]))

    bill = []
    if rate_coef:
        for j in range(n):
            if inst.round_up_kg:
                hi = max(math.ceil(max(c.max_kg, d)) for c, d in zip(cartons, dim_kg,
                                                                      strict=True))
                b = m.new_int_var(0, hi, f"b{j}")
                m.add(b * kscale >= actual[j])
                m.add(b >= slot_value(j, [math.ceil(round(d, 9)) for d in dim_kg]))
            else:
                hi = max(max(mw, _up(d, kscale)) for mw, d in zip(max_w, dim_kg, strict=True))
                b = m.new_int_var(0, hi, f"b{j}")
                m.add(b >= actual[j])
                m.add(b >= slot_value(j, [_up(d, kscale) for d in dim_kg]))
            bill.append(b)
    m.minimize(sum(slot_value(j, cost) for j in range(n)) + rate_coef * sum(bill))

    if hint:
        _add_hint(m, hint, units, a, typ, pos, ext, lscale)
    solver = cp_model.CpSolver()
    solver.parameters.num_workers = threads
    solver.parameters.random_seed = 0
    solver.parameters.log_search_progress = log
    if time_limit_s is not None:
        solver.parameters.max_time_in_seconds = time_limit_s
    code = solver.solve(m)
    name = solver.status_name(code)
    found = code in (cp_model.OPTIMAL, cp_model.FEASIBLE)
    limit_hit = code in (cp_model.FEASIBLE, cp_model.UNKNOWN)
    bound = solver.best_objective_bound / 10**mdigits if found else math.nan
    if not found:
        return ExactOutcome(name, [], bound, limit_hit)
    out = []
    for j in range(n):
        if not solver.value(a[j, j]):
            continue
        t = next(t for t in T if (j, t) in typ and solver.value(typ[j, t]))
        placed = []
        for i in range(j, n):
            if j in slots[i] and solver.value(a[i, j]):
                r = next(r for r, ok in enumerate(ext[i][0]) if solver.value(ok))
                corner = tuple(solver.value(pos[i][k]) / lscale for k in range(3))
                placed.append((units[i], corner, units[i].rotations[r]))
        out.append(packed_carton(inst, t, placed))
    return ExactOutcome(name, out, bound, limit_hit)


def _add_hint(m: cp_model.CpModel, hint: list[OpenCarton], units: list[Unit], a, typ, pos,
              ext, lscale: int) -> None:
    """Start the search from the heuristic's packing (slot = index of its first unit)."""
    index = {id(u): i for i, u in enumerate(units)}
    for box in hint:
        members = sorted(index[id(u)] for u, _, _ in box.placed)
        j = members[0]
        for (t_j, t), var in typ.items():
            if t_j == j:
                m.add_hint(var, t == box.carton)
        for u, corner, dims in box.placed:
            i = index[id(u)]
            for (ii, jj), var in a.items():
                if ii == i:
                    m.add_hint(var, jj == j)
            for k in range(3):
                m.add_hint(pos[i][k], round(corner[k] * lscale))
            for r, ok in zip(u.rotations, ext[i][0], strict=True):
                m.add_hint(ok, r == dims)
