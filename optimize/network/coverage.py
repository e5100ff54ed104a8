"""Maximum coverage, partial set cover and the coverage curve, solved exactly as MIPs.

Model (maximum coverage, Church & ReVelle 1974): choose sites x_j in {0, 1} with
sum_j x_j = k to maximise sum_r W_r y_r subject to y_r <= sum_{j covers r} x_j, 0 <= y_r <= 1.
A row r is a (point, service level) pair whose weight is the point's weight times the level's
share; rows that the same sites cover are merged first (1,500 US towns at 650 km collapse to
about 400 rows), and rows no candidate covers are left out of the model.
"""

from __future__ import annotations

import math
import time
from dataclasses import dataclass, field

import numpy as np
import scipy.sparse as sp
from numpy.typing import ArrayLike

from optimize.errors import FieldProblem, InvalidInput
from optimize.network.mip import DEFAULT_BACKEND, solve_mip
from optimize.network.service import COVER_TOLERANCE_KM, ServiceLevel
from optimize.options import SolveOptions, resolve_options
from optimize.result import SolverResult, Status

__all__ = [
    "CoverageCurve",
    "CoverageInstance",
    "CoverageResult",
    "SetCoverResult",
    "coverage_curve",
    "coverage_instance",
    "max_coverage",
    "set_cover",
]


@dataclass(frozen=True)
class CoverageInstance:
    """Merged coverage rows: `cover[r, j]` when site j serves row r, `weight[r]` its weight;
    `point_cover[l][i, j]` per service level for scoring any site set exactly."""

    cover: np.ndarray  # bool [rows, sites]
    weight: np.ndarray  # [rows]
    total_weight: float  # all points, coverable or not
    point_weight: np.ndarray  # [points]
    levels: tuple[ServiceLevel, ...]
    point_cover: tuple[np.ndarray, ...] = field(repr=False)  # bool [points, sites] per level

    @property
    def n_sites(self) -> int:
        """Number of candidate sites."""
        return self.cover.shape[1]

    def covered_weight(self, sites: ArrayLike) -> float:
        """Weight served by a set of site indices (each level's share of each point)."""
        sites = np.asarray(sites, int)
        if sites.size == 0:
            return 0.0
        total = 0.0
        for level, cov in zip(self.levels, self.point_cover, strict=True):
            total += level.share * float(self.point_weight[cov[:, sites].any(axis=1)].sum())
        return total


def _validate_weights(weights: np.ndarray, n: int) -> list[FieldProblem]:
    problems = []
    if weights.shape != (n,):
        problems.append(FieldProblem("weights", f"expected {n} values (one per point)",
                                     weights.shape))
    elif not np.all(np.isfinite(weights)) or (weights < 0).any():
        i = int(np.nonzero(~np.isfinite(weights) | (weights < 0))[0][0])
        problems.append(FieldProblem(f"weights[{i}]", "must be finite and >= 0",
                                     float(weights[i])))
    return problems


def coverage_instance(distance_km: ArrayLike, weights: ArrayLike,
                      levels: tuple[ServiceLevel, ...]) -> CoverageInstance:
    """Build a coverage instance from road distances [point, site] (km), point weights and
    service levels; a point is served at a level when a site is within its radius
    (inclusive)."""
    d = np.asarray(distance_km, float)
    w = np.asarray(weights, float)
    problems = []
    if d.ndim != 2 or d.shape[1] == 0:
        problems.append(FieldProblem("distance_km", "expected a [points, sites] matrix with at "
                                     "least one site", d.shape))
    elif np.isnan(d).any() or (d < 0).any():
        problems.append(FieldProblem("distance_km", "must be >= 0 and not nan", "nan or < 0"))
    else:
        problems += _validate_weights(w, d.shape[0])
    if not levels:
        problems.append(FieldProblem("levels", "at least one service level", levels))
    for i, lv in enumerate(levels):
        if not (lv.radius_km >= 0 and 0 <= lv.share <= 1):
            problems.append(FieldProblem(f"levels[{i}]", "radius >= 0, share in [0, 1]", lv))
    if problems:
        raise InvalidInput(problems)
    if w.sum() <= 0:
        raise InvalidInput(FieldProblem("weights", "total weight must be > 0", float(w.sum())))
    point_cover = tuple(d <= lv.radius_km + COVER_TOLERANCE_KM for lv in levels)
    rows = np.vstack(point_cover)
    row_w = np.concatenate([w * lv.share for lv in levels])
    keep = rows.any(axis=1) & (row_w > 0)
    rows, row_w = rows[keep], row_w[keep]
    if len(rows):
        packed = np.packbits(rows, axis=1)
        _, first, inverse = np.unique(packed, axis=0, return_index=True, return_inverse=True)
        merged_w = np.bincount(inverse.ravel(), weights=row_w, minlength=len(first))
        rows = rows[first]
        row_w = merged_w
    return CoverageInstance(cover=rows, weight=row_w, total_weight=float(w.sum()),
                            point_weight=w, levels=tuple(levels), point_cover=point_cover)


@dataclass(frozen=True, kw_only=True)
class CoverageResult(SolverResult):
    """k chosen sites (candidate indices, ascending) and the weight they serve.

    `objective` and `covered_weight` are served weight (the weights' unit); `bound` an upper
    bound on it. `tie` is True when another site set serves the same weight (`alternative`
    holds one), False when the optimum is unique, None when not checked."""

    k: int
    sites: tuple[int, ...]
    covered_weight: float
    total_weight: float
    backend: str
    tie: bool | None = None
    alternative: tuple[int, ...] | None = None

    @property
    def covered_share(self) -> float:
        """Served weight over total weight (0..1)."""
        return self.covered_weight / self.total_weight if self.total_weight > 0 else math.nan


def _coverage_model(inst: CoverageInstance) -> tuple[sp.csr_matrix, int, int]:
    """Rows y_r - sum_{j covers r} x_j <= 0; variables x (sites) then y (rows)."""
    m, r = inst.n_sites, len(inst.weight)
    a = sp.hstack([-sp.csr_matrix(inst.cover, dtype=float), sp.identity(r, format="csr")],
                  format="csr")
    return a, m, r


def _options(options: SolveOptions | None, backend: str | None, time_limit_s: float | None
             ) -> SolveOptions:
    """Defaults (SCIP, no time limit), then `options`, then the keywords given."""
    return resolve_options(options, SolveOptions(backend=DEFAULT_BACKEND),
                           time_limit_s=time_limit_s, backend=backend)


def _solve_k(inst: CoverageInstance, k: int, opts: SolveOptions,
             exclude: tuple[int, ...] | None = None, hint: np.ndarray | None = None
             ) -> tuple[Status, tuple[int, ...], float, str, bool]:
    a, m, r = _coverage_model(inst)
    extra = [sp.csr_matrix(np.r_[np.ones(m), np.zeros(r)][None, :])]
    lb, ub = [np.full(r, -np.inf), [k]], [np.zeros(r), [k]]
    if exclude is not None:
        # A no-good cut: any optimum other than `exclude` (to detect a tie).
        row = np.zeros(m + r)
        row[list(exclude)] = 1.0
        extra.append(sp.csr_matrix(row[None, :]))
        lb.append([-np.inf])
        ub.append([len(exclude) - 1])
    sol = solve_mip(objective=np.r_[np.zeros(m), inst.weight], a=sp.vstack([a, *extra]),
                    row_lb=np.concatenate(lb), row_ub=np.concatenate(ub),
                    var_ub=np.ones(m + r), integer=np.r_[np.ones(m, bool), np.zeros(r, bool)],
                    maximize=True, backend=str(opts.backend), time_limit_s=opts.time_limit_s,
                    hint=hint, threads=opts.threads, log=opts.log)
    if sol.status not in (Status.OPTIMAL, Status.FEASIBLE):
        return sol.status, (), sol.bound, sol.message, sol.time_limit_hit
    sites = tuple(int(j) for j in np.nonzero(sol.values[:m] > 0.5)[0])
    return sol.status, sites, sol.bound, sol.message, sol.time_limit_hit


def _check_k(inst: CoverageInstance, k: int) -> None:
    if int(k) != k or not 1 <= k <= inst.n_sites:
        raise InvalidInput(FieldProblem("k", f"must be an integer in 1..{inst.n_sites} (the "
                                             "number of candidate sites)", k))


def max_coverage(inst: CoverageInstance, k: int, *, backend: str | None = None,
                 time_limit_s: float | None = None, check_tie: bool = False,
                 hint: ArrayLike | None = None, options: SolveOptions | None = None
                 ) -> CoverageResult:
    """Choose exactly k sites to maximise the served weight; with `check_tie`, solve again
    excluding the optimum to tell whether it is unique. `backend` defaults to SCIP and
    `time_limit_s` to none; `options` (a SolveOptions) may set them with threads and log."""
    _check_k(inst, k)
    opts = _options(options, backend, time_limit_s)
    backend = str(opts.backend)
    m, r = inst.n_sites, len(inst.weight)
    hint_vec = None
    if hint is not None:
        hint_vec = np.zeros(m + r)
        hint_vec[np.asarray(hint, int)] = 1.0
    start = time.perf_counter()
    if r == 0:  # nothing coverable: any k sites are optimal
        sites = tuple(range(int(k)))
        return CoverageResult(status=Status.OPTIMAL, objective=0.0, bound=0.0,
                              time_s=time.perf_counter() - start, k=int(k), sites=sites,
                              covered_weight=0.0, total_weight=inst.total_weight,
                              backend=backend, tie=True if check_tie and m > k else None,
                              message="no point is within reach of any candidate")
    status, sites, bound, message, clock = _solve_k(inst, int(k), opts, hint=hint_vec)
    covered = inst.covered_weight(sites) if sites else math.nan
    tie = alternative = None
    if check_tie and status is Status.OPTIMAL:
        if math.comb(m, int(k)) == 1:
            tie = False
        else:
            st2, alt, _, _, _ = _solve_k(inst, int(k), opts, exclude=sites)
            if st2 is Status.OPTIMAL:
                tie = bool(np.isclose(inst.covered_weight(alt), covered, rtol=1e-12, atol=0))
                alternative = alt if tie else None
            elif st2 is Status.INFEASIBLE:
                tie = False
    if status is Status.OPTIMAL:
        bound = covered
    return CoverageResult(status=status, objective=covered, bound=bound,
                          time_s=time.perf_counter() - start, message=message, k=int(k),
                          sites=sites, covered_weight=covered, total_weight=inst.total_weight,
                          backend=backend, tie=tie, alternative=alternative,
                          time_limit_hit=clock)


@dataclass(frozen=True, kw_only=True)
class SetCoverResult(SolverResult):
    """The fewest sites serving at least `target_share` of the weight.

    `objective` is the number of sites and `bound` a lower bound on it; `sites` are, among
    sets of that size, the ones serving the most weight (`covered_weight`)."""

    target_share: float
    sites: tuple[int, ...]
    covered_weight: float
    total_weight: float
    backend: str

    @property
    def covered_share(self) -> float:
        """Served weight over total weight (0..1)."""
        return self.covered_weight / self.total_weight if self.total_weight > 0 else math.nan


def set_cover(inst: CoverageInstance, target_share: float, *,
              backend: str | None = None, time_limit_s: float | None = None,
              options: SolveOptions | None = None) -> SetCoverResult:
    """Fewest sites serving at least `target_share` (0 < share <= 1) of the total weight;
    infeasible, with the reachable share in the message, when all candidates fall short.
    `backend`, `time_limit_s` and `options` as in `max_coverage`."""
    if not 0 < target_share <= 1:
        raise InvalidInput(FieldProblem("target_share", "must be in (0, 1]", target_share))
    opts = _options(options, backend, time_limit_s)
    backend, time_limit_s = str(opts.backend), opts.time_limit_s
    start = time.perf_counter()
    m, r = inst.n_sites, len(inst.weight)
    need = target_share * inst.total_weight
    reachable = float(inst.weight.sum())
    common = dict(target_share=target_share, total_weight=inst.total_weight, backend=backend)
    # Relative slack: a target of exactly the reachable share must stay feasible.
    if need > reachable * (1 + 1e-12):
        return SetCoverResult(status=Status.INFEASIBLE, objective=math.nan, bound=math.nan,
                              time_s=time.perf_counter() - start, sites=(),
                              covered_weight=reachable,
                              message=f"target {target_share:.1%} cannot be met: all {m} "
                                      f"candidates together serve "
                                      f"{reachable / inst.total_weight:.2%}", **common)
    a, _, _ = _coverage_model(inst)
    served = sp.csr_matrix(np.r_[np.zeros(m), inst.weight][None, :])
    sol = solve_mip(objective=np.r_[np.ones(m), np.zeros(r)], a=sp.vstack([a, served]),
                    row_lb=np.r_[np.full(r, -np.inf), min(need, reachable) * (1 - 1e-12)],
                    row_ub=np.r_[np.zeros(r), np.inf], var_ub=np.ones(m + r),
                    integer=np.r_[np.ones(m, bool), np.zeros(r, bool)], maximize=False,
                    backend=backend, time_limit_s=time_limit_s, threads=opts.threads,
                    log=opts.log)
    if sol.status not in (Status.OPTIMAL, Status.FEASIBLE):
        return SetCoverResult(status=sol.status, objective=math.nan, bound=sol.bound,
                              time_s=time.perf_counter() - start, sites=(),
                              covered_weight=math.nan, message=sol.message,
                              time_limit_hit=sol.time_limit_hit, **common)
    sites = tuple(int(j) for j in np.nonzero(sol.values[:m] > 0.5)[0])
    k = len(sites)
    status, bound = sol.status, math.ceil(sol.bound - 1e-6)
    if status is Status.OPTIMAL:
        # Among the optimal counts, the sites that serve the most weight.
        best = max_coverage(inst, k, hint=sites, options=opts)
        if best.status is Status.OPTIMAL and best.covered_weight >= inst.covered_weight(sites):
            sites = best.sites
        bound = k
    return SetCoverResult(status=status, objective=float(k), bound=float(bound),
                          time_s=time.perf_counter() - start, sites=sites,
                          covered_weight=inst.covered_weight(sites), message=sol.message,
                          time_limit_hit=sol.time_limit_hit, **common)


@dataclass(frozen=True, kw_only=True)
class CoverageCurve(SolverResult):
    """Maximum coverage for each k in `ks`; `objective` and `bound` are those of the largest
    k, `time_s` the total, `status` optimal only when every k is."""

    results: tuple[CoverageResult, ...]

    def at(self, k: int) -> CoverageResult:
        """The result for k sites."""
        for res in self.results:
            if res.k == k:
                return res
        raise KeyError(k)

    def stays(self, k: int) -> tuple[int, ...]:
        """Sites chosen at k that were also chosen at k - 1 (empty for the first k)."""
        ks = [res.k for res in self.results]
        i = ks.index(k)
        if i == 0:
            return ()
        return tuple(sorted(set(self.results[i].sites) & set(self.results[i - 1].sites)))


def coverage_curve(inst: CoverageInstance, ks: ArrayLike, *, backend: str | None = None,
                   time_limit_s: float | None = None, check_tie: bool = False,
                   options: SolveOptions | None = None) -> CoverageCurve:
    """Maximum coverage for every k in `ks` (ascending), each hinted with the previous
    optimum; `time_limit_hit` when any k's search was stopped by its time limit."""
    opts = _options(options, backend, time_limit_s)
    ks = sorted({int(k) for k in np.atleast_1d(ks)})
    for k in ks:
        _check_k(inst, k)
    results: list[CoverageResult] = []
    for k in ks:
        hint = results[-1].sites if results else None
        results.append(max_coverage(inst, k, check_tie=check_tie, hint=hint, options=opts))
    order = [Status.OPTIMAL, Status.FEASIBLE, Status.UNKNOWN, Status.INFEASIBLE]
    status = max((res.status for res in results), key=order.index)
    last = results[-1]
    return CoverageCurve(status=status, objective=last.objective, bound=last.bound,
                         time_s=sum(res.time_s for res in results), results=tuple(results),
                         time_limit_hit=(status not in (Status.OPTIMAL, Status.INFEASIBLE)
                                         and any(r.time_limit_hit for r in results)),
                         message="; ".join(f"k={r.k}: {r.message}" for r in results
                                           if r.message))
