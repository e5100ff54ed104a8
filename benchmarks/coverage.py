"""Coverage benchmark: prove the US curve k = 1..8 with each MIP backend, a scaled case, and the
US and France curves; greedy coverage measured in the same run as the reference.

    .venv/bin/python benchmarks/coverage.py [--quick]
"""

from __future__ import annotations

import argparse
import time

import numpy as np
import pandas as pd

from optimize.network import (
    CoverageInstance,
    TransitBands,
    coverage_curve,
    coverage_instance,
    road_distance_matrix_km,
    service_levels,
)
from sim.geography import NATIONAL_POPULATION, candidate_sites, demand_points


def greedy(inst: CoverageInstance, k: int) -> float:
    """Classic greedy maximum coverage (a (1 - 1/e) approximation): weight served."""
    covered = np.zeros(len(inst.weight), bool)
    for _ in range(k):
        gain = (inst.weight[:, None] * (inst.cover & ~covered[:, None])).sum(axis=0)
        covered |= inst.cover[:, int(np.argmax(gain))]
    return float(inst.weight[covered].sum())


def us_instance(n_points: int, circuity: float = 1.0) -> tuple[CoverageInstance, pd.DataFrame]:
    pts = demand_points("us").head(n_points)
    sites = candidate_sites("us")
    d = road_distance_matrix_km(pts.lat, pts.lon, sites.lat, sites.lon, circuity)
    levels = service_levels(bands=TransitBands.ground_us(), days=2)
    return coverage_instance(d, pts.weight.to_numpy(), levels), sites


def scaled_instance(n_points: int, n_sites: int, seed: int = 0) -> CoverageInstance:
    """Synthetic US demand: points drawn by population around the bundled towns (30 km
    jitter), lognormal weights; candidates are the largest bundled towns."""
    rng = np.random.default_rng(seed)
    towns = demand_points("us")
    p = towns.weight.to_numpy() / towns.weight.sum()
    pick = rng.choice(len(towns), n_points, p=p)
    lat = towns.lat.to_numpy()[pick] + rng.normal(0, 0.27, n_points)
    lon = towns.lon.to_numpy()[pick] + rng.normal(0, 0.35, n_points)
    w = np.round(rng.lognormal(8, 1.5, n_points))
    sites = towns.head(n_sites)
    d = road_distance_matrix_km(lat, lon, sites.lat, sites.lon)
    return coverage_instance(d, w, service_levels(bands=TransitBands.ground_us(), days=2))


def backend_table(inst: CoverageInstance, ks: list[int], backends: list[str],
                  time_limit_s: float) -> str:
    rows = []
    ref = None
    for b in backends:
        curve = coverage_curve(inst, ks, backend=b, time_limit_s=time_limit_s)
        per_k = [r.time_s for r in curve.results]
        proven = sum(r.optimal for r in curve.results)
        ref = ref or curve.time_s
        rows.append(f"| {b} | {proven}/{len(ks)} | {curve.time_s:.2f} | {max(per_k):.2f} | "
                    f"{curve.time_s / ref:.1f}x |")
    head = ("| backend | k proven optimal | total s | slowest k s | time vs first |\n"
            "| --- | --- | --- | --- | --- |")
    return head + "\n" + "\n".join(rows)


def curve_table(inst: CoverageInstance, sites: pd.DataFrame, ks: list[int], national: float
                ) -> str:
    curve = coverage_curve(inst, ks, check_tie=True)
    lines = ["| k | share of bundled pop. | share of national pop. | greedy/optimal | optimal "
             "| tie | sites |", "| --- | --- | --- | --- | --- | --- | --- |"]
    for r in curve.results:
        g = greedy(inst, r.k)
        lines.append(f"| {r.k} | {r.covered_share:.1%} | {r.covered_weight / national:.1%} | "
                     f"{g / r.covered_weight:.3f} | {'yes' if r.optimal else r.status.value} | "
                     f"{'yes' if r.tie else 'no'} | "
                     f"{', '.join(sites.name.iloc[list(r.sites)])} |")
    return "\n".join(lines) + f"\n\nwhole curve with tie checks: {curve.time_s:.2f} s"


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__)
    ap.add_argument("--quick", action="store_true", help="fewer backends and a smaller scale")
    args = ap.parse_args()
    ks = list(range(1, 9))

    inst, sites = us_instance(1500)
    print(f"## US curve k = 1..8: 1,500 largest towns x {len(sites)} candidates, 2-day ground "
          f"bands (965 km); {len(inst.weight)} distinct coverage rows after merging\n")
    backends = ["highs", "scip"] if args.quick else ["highs", "scip", "cp_sat"]
    print(backend_table(inst, ks, backends, time_limit_s=60.0))

    n, m = (3000, 150) if args.quick else (10_000, 300)
    big = scaled_instance(n, m)
    print(f"\n## Scaled: {n:,} points x {m} candidates ({len(big.weight):,} distinct rows), "
          "60 s limit per k\n")
    print("| k | backend | status | covered | time s | gap | greedy/optimal |")
    print("| --- | --- | --- | --- | --- | --- | --- |")
    for b in ["highs", "scip"]:
        start = time.perf_counter()
        curve = coverage_curve(big, ks, backend=b, time_limit_s=60.0)
        for r in curve.results:
            print(f"| {r.k} | {b} | {r.status.value} | {r.covered_share:.2%} | {r.time_s:.2f} "
                  f"| {r.gap:.2e} | {greedy(big, r.k) / r.covered_weight:.3f} |")
        print(f"| all | {b} | | | {time.perf_counter() - start:.2f} | | |")

    cases = [("us", 2, ks, "US, 2-day ground (965 km)"),
             ("fr", 2, [1, 2], "France, 2-day standard (700 km)"),
             ("fr", 1, ks, "France, next-day standard (150 km)")]
    for region, days, kk, label in cases:
        pts, cand = demand_points(region), candidate_sites(region)
        d = road_distance_matrix_km(pts.lat, pts.lon, cand.lat, cand.lon)
        bands = TransitBands.ground_us() if region == "us" else TransitBands.ground_fr()
        full = coverage_instance(d, pts.weight.to_numpy(),
                                 service_levels(bands=bands, days=days))
        print(f"\n## {label}: all {len(pts):,} bundled towns x {len(cand)} candidates\n")
        print(curve_table(full, cand, kk, NATIONAL_POPULATION[region]))
        if region == "us":
            d12 = road_distance_matrix_km(pts.lat, pts.lon, cand.lat, cand.lon, 1.2)
            inst12 = coverage_instance(d12, pts.weight.to_numpy(),
                                       service_levels(bands=bands, days=days))
            curve = coverage_curve(inst12, ks)
            print("\nwith road circuity 1.2: " + ", ".join(
                f"k={r.k} {r.covered_share:.1%}" for r in curve.results))


if __name__ == "__main__":
    main()
