"""Storage assignment (slotting): which storage location [aisle, y_m] each SKU occupies.

Storage locations are spread evenly along every aisle (enough for all SKUs) and ranked by
walking distance from the depot. `random` places SKUs on random locations; `abc` sorts SKUs
by pick frequency into classes (class boundaries are cumulative shares of SKUs, e.g. A = the
top 20 %) and gives class A the nearest locations, B the next, each class randomly within its
zone; `cube_per_order` (Heskett's cube-per-order index, cube / pick frequency) gives the
lowest index the nearest location.
"""

from __future__ import annotations

import math
from collections.abc import Sequence

import numpy as np

from optimize.errors import FieldProblem, InvalidInput
from optimize.pick_routing.layout import Layout

__all__ = ["SLOTTING_POLICIES", "abc_classes", "slot", "storage_locations"]

SLOTTING_POLICIES: tuple[str, ...] = ("random", "abc", "cube_per_order")


def storage_locations(layout: Layout, n: int) -> np.ndarray:
    """At least `n` locations [aisle, y_m], evenly along each aisle, nearest the depot first."""
    per_aisle = max(1, math.ceil(n / layout.n_aisles))
    y = (np.arange(per_aisle) + 0.5) * (layout.aisle_length_m / per_aisle)
    aisle = np.repeat(np.arange(layout.n_aisles), per_aisle)
    locs = np.column_stack([aisle, np.tile(y, layout.n_aisles)]).astype(float)
    # The depot is on the front cross aisle (y = 0), so the walk to any location is the
    # distance along that aisle plus the depth into the aisle; no full matrix is needed.
    from_depot_m = np.abs(locs[:, 0] * layout.aisle_spacing_m - layout.depot_x_m) + locs[:, 1]
    # Stable sort on (distance, aisle, y) so ties are broken the same way every time.
    rank = np.lexsort((locs[:, 1], locs[:, 0], from_depot_m))
    return locs[rank]


def abc_classes(pick_frequency: np.ndarray, boundaries: Sequence[float] = (0.2, 0.5)) -> np.ndarray:
    """Class per SKU (0 = A, 1 = B, ...): SKUs ranked by frequency, cut at cumulative shares."""
    n = len(pick_frequency)
    order = np.argsort(-np.asarray(pick_frequency, float), kind="stable")
    cuts = np.ceil(np.asarray(boundaries, float) * n - 1e-9).astype(int)
    classes = np.empty(n, dtype=int)
    classes[order] = np.searchsorted(cuts, np.arange(n), side="right")
    return classes


def _check(pick_frequency: np.ndarray, cube_m3: np.ndarray | None, policy: str,
           boundaries: Sequence[float]) -> list[FieldProblem]:
    p = []
    if policy not in SLOTTING_POLICIES:
        p.append(FieldProblem("policy", f"must be one of {', '.join(SLOTTING_POLICIES)}", policy))
    if pick_frequency.ndim != 1 or not np.all(np.isfinite(pick_frequency)) or np.any(
            pick_frequency < 0):
        p.append(FieldProblem("pick_frequency", "must be a 1-d array of finite numbers >= 0",
                              pick_frequency.tolist()))
    if policy == "cube_per_order":
        if cube_m3 is None:
            p.append(FieldProblem("cube_m3", "is needed by the cube_per_order policy", None))
        elif cube_m3.shape != pick_frequency.shape or not np.all(cube_m3 > 0):
            p.append(FieldProblem("cube_m3", "must be one number > 0 per SKU", cube_m3.tolist()))
    b = np.asarray(boundaries, float)
    if b.ndim != 1 or np.any((b <= 0) | (b >= 1)) or np.any(np.diff(b) <= 0):
        p.append(FieldProblem("class_boundaries",
                              "must be increasing cumulative SKU shares in (0, 1)", list(b)))
    return p


def slot(layout: Layout, pick_frequency: np.ndarray, cube_m3: np.ndarray | None = None,
         policy: str = "abc", rng: np.random.Generator | int | None = 0,
         class_boundaries: Sequence[float] = (0.2, 0.5)) -> np.ndarray:
    """Location [aisle_index, y_m] of each SKU, an (n_sku, 2) array, by slotting `policy`."""
    freq = np.asarray(pick_frequency, dtype=float)
    cube = None if cube_m3 is None else np.asarray(cube_m3, dtype=float)
    problems = _check(freq, cube, policy, class_boundaries)
    if problems:
        raise InvalidInput(problems)
    gen = rng if isinstance(rng, np.random.Generator) else np.random.default_rng(rng)
    n = len(freq)
    locs = storage_locations(layout, n)[:n]  # the n nearest locations, nearest first
    if policy == "random":
        return locs[gen.permutation(n)]
    if policy == "cube_per_order":
        with np.errstate(divide="ignore"):
            coi = np.where(freq > 0, cube / np.where(freq > 0, freq, 1.0), np.inf)
        rank = np.lexsort((np.arange(n), coi))
    else:
        classes = abc_classes(freq, class_boundaries)
        # Within a class the zone's locations are shuffled: class-based storage is random
        # inside each class, which is what distinguishes it from full turnover-based storage.
        rank = np.lexsort((gen.random(n), classes))
    out = np.empty_like(locs)
    out[rank] = locs
    return out
