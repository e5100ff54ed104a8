"""Coverage planning: how many fulfilment nodes, and where, serve a share of customers
within N days (or a distance), and the runnable scenario of a chosen network.

The library behind `fulfil coverage` (the command parses options and prints); also used by
`sim.plan_vs_practice` and notebook 04. The scenario a network starts from is the region's
template, shipped with the package (`sim/templates/`, copies of the bundled
`scenarios/us_one_node_in_house.yaml` and `scenarios/fr_one_node.yaml`).
"""

from __future__ import annotations

import copy
import re
from dataclasses import dataclass
from importlib import resources
from pathlib import Path

import numpy as np
import pandas as pd
import yaml

from optimize.errors import FieldProblem, InvalidInput
from optimize.geo import distance_matrix_km
from optimize.network import (
    CoverageInstance,
    ServiceLevel,
    TransitBands,
    coverage_instance,
    road_distance_matrix_km,
    service_levels,
)
from sim import geography

__all__ = [
    "TEMPLATES",
    "CoveragePlan",
    "coverage_plan",
    "demand_shares",
    "network_scenario",
    "plot_coverage_map",
    "site_names",
    "template_scenario",
    "write_scenario",
]

# The scenario each region's network starts from (its node settings, demand, costs): a file
# of the package's `templates` folder, the same as the bundled `scenarios/` file of that name.
TEMPLATES = {"us": "us_one_node_in_house.yaml", "fr": "fr_one_node.yaml"}


def template_scenario(region: str) -> dict:
    """The region's template scenario as loaded YAML (read from the installed package)."""
    text = (resources.files("sim") / "templates" / TEMPLATES[region]).read_text(
        encoding="utf-8")
    return yaml.safe_load(text)


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


def site_names(plan: CoveragePlan, sites: tuple[int, ...] | list[int]) -> str:
    """The chosen sites' names, comma-separated, in the order given."""
    return ", ".join(str(plan.sites["name"].iloc[j]) for j in sites)


def plot_coverage_map(plan: CoveragePlan, sites: tuple[int, ...], title: str,
                      path: Path) -> Path:
    """PNG map: points sized by weight (served ones coloured), chosen sites and their reach
    circles, on lat/lon axes over the bundled country outlines (nothing downloaded)."""
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    from sim.network_map import map_axes

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
    map_axes(ax, plan.region, (lon0, lon1, lat0, lat1))  # on the bundled country outlines
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
    data = template_scenario(plan.region)
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
                           f"{site_names(plan, sites)}; planned service {plan.service}.")
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
              f"node(s): {site_names(plan, sites)})\n# serve customers in practice, "
              f"against its planned {plan.service}?\n# Written by fulfil coverage from "
              f"scenarios/{TEMPLATES[plan.region]}; edit node sizes and demand to taste.\n")
    out.parent.mkdir(parents=True, exist_ok=True)
    out.write_text(header + yaml.safe_dump(data, sort_keys=False, allow_unicode=True),
                   encoding="utf-8")
    return data
