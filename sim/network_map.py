"""A map of a scenario's network: its nodes, its demand points sized by their share of
demand, and how far a node delivers within two transit days, drawn offline with matplotlib
on bundled country outlines (`sim/data/outlines.json`, Natural Earth, public domain: see
`sim/data/outlines_SOURCES.md`).

Distances are great-circle km, as the simulation measures them; the reach is the farthest
distance band the scenario's first carrier service (its ground service in the bundled
scenarios) crosses in two transit days.
"""

from __future__ import annotations

import io
import json
from dataclasses import dataclass
from functools import cache
from importlib import resources
from pathlib import Path

import matplotlib

matplotlib.use("Agg")
import matplotlib.pyplot as plt
import numpy as np
import pandas as pd

from optimize.geo import EARTH_RADIUS_KM, distance_matrix_km
from optimize.network import TransitBands
from sim.labels import mode_label
from sim.scenario import Scenario

__all__ = ["NetworkView", "map_axes", "network_map_png", "network_view", "outlines",
           "write_network_map"]

REACH_DAYS = 2


@cache
def outlines() -> dict:
    """The bundled outlines: {"source", "regions": {region: {"frame": [lon0, lon1, lat0,
    lat1], "country": [ring, ...], "neighbours": [ring, ...]}}}, rings of (lon, lat)."""
    text = (resources.files("sim") / "data" / "outlines.json").read_text(encoding="utf-8")
    return json.loads(text)


@dataclass(frozen=True)
class NetworkView:
    """What the map shows: nodes (id, mode, lat, lon), demand points (lat, lon, share in
    [0, 1], within reach), the reach in km and what it is, and the outline region (or None)."""

    nodes: pd.DataFrame
    points: pd.DataFrame
    reach_km: float
    reach_service: str
    region: str | None

    @property
    def share_within_reach(self) -> float:
        """Share of demand (0-1) within two-day reach of a node."""
        return float(self.points.loc[self.points["within"], "share"].sum())


def _region(scenario: Scenario, points: pd.DataFrame) -> str | None:
    if scenario.geography.region is not None:
        return scenario.geography.region
    lon = float(np.average(points["lon"], weights=points["share"]))
    lat = float(np.average(points["lat"], weights=points["share"]))
    for region, spec in outlines()["regions"].items():
        lon0, lon1, lat0, lat1 = spec["frame"]
        if lon0 <= lon <= lon1 and lat0 <= lat <= lat1:
            return region
    return None


def network_view(scenario: Scenario) -> NetworkView:
    """The scenario's nodes, demand points with their shares and two-day reach."""
    from sim.geography_source import demand_points_for

    pts = demand_points_for(scenario.geography)
    w = pts["weight"].to_numpy(float)
    nodes = pd.DataFrame([{"id": n.id, "mode": n.mode.kind, "lat": n.location.lat,
                           "lon": n.location.lon} for n in scenario.nodes])
    carriers = scenario.carriers
    service = carriers.carriers[0].services[0]
    bands = TransitBands.from_carrier(carriers.distance_bands_km, service.transit_days)
    reach = bands.reach_km(REACH_DAYS)
    dist = distance_matrix_km(pts["lat"], pts["lon"], nodes["lat"], nodes["lon"])
    points = pd.DataFrame({"lat": pts["lat"].to_numpy(float), "lon": pts["lon"].to_numpy(float),
                           "share": w / w.sum() if w.sum() > 0 else w,
                           "within": dist.min(axis=1) <= reach})
    name = f"{carriers.carriers[0].id} {service.name}"
    return NetworkView(nodes, points, reach, name, _region(scenario, points))


def _circle(lat: float, lon: float, km: float) -> tuple[np.ndarray, np.ndarray]:
    """A great circle's points at `km` around (lat, lon) as (lon, lat) arrays (degrees)."""
    b = np.linspace(0, 2 * np.pi, 181)
    d = km / EARTH_RADIUS_KM
    p1, l1 = np.radians(lat), np.radians(lon)
    p2 = np.arcsin(np.sin(p1) * np.cos(d) + np.cos(p1) * np.sin(d) * np.cos(b))
    l2 = l1 + np.arctan2(np.sin(b) * np.sin(d) * np.cos(p1), np.cos(d) - np.sin(p1) * np.sin(p2))
    return np.degrees(l2), np.degrees(p2)


def map_axes(ax: plt.Axes, region: str | None,
             frame: tuple[float, float, float, float]) -> None:
    """Lon/lat axes on `frame` (lon0, lon1, lat0, lat1, degrees) with km the same both ways
    at its middle latitude, the bundled outlines of `region` ("us", "fr"; None: none) under
    whatever is drawn."""
    spec = outlines()["regions"].get(region) if region else None
    if spec is not None:
        for key, face, edge, lw in (("neighbours", "#f2f2f2", "#bbbbbb", 0.5),
                                    ("country", "#e4ecf4", "#7a8a99", 0.8)):
            for ring in spec[key]:
                xy = np.asarray(ring)
                ax.fill(xy[:, 0], xy[:, 1], facecolor=face, edgecolor=edge, lw=lw, zorder=0)
    lon0, lon1, lat0, lat1 = frame
    ax.set_xlim(lon0, lon1)
    ax.set_ylim(lat0, lat1)
    ax.set_aspect(1 / np.cos(np.radians((lat0 + lat1) / 2)))
    ax.set_xlabel("longitude (°)")
    ax.set_ylabel("latitude (°)")


def _draw(view: NetworkView, title: str) -> plt.Figure:
    fig, ax = plt.subplots(figsize=(9, 6))
    pts, nodes = view.points, view.nodes
    if view.region is not None:
        frame = tuple(outlines()["regions"][view.region]["frame"])
    else:
        frame = (pts["lon"].min() - 2, pts["lon"].max() + 2, pts["lat"].min() - 2,
                 pts["lat"].max() + 2)
    map_axes(ax, view.region, frame)
    size = 4 + 400 * np.sqrt(pts["share"] / max(pts["share"].max(), 1e-12))
    for within, colour, label in ((True, "#2b7bba", "demand within reach"),
                                  (False, "#999999", "demand beyond reach")):
        m = pts["within"].to_numpy() == within
        ax.scatter(pts["lon"][m], pts["lat"][m], s=size[m], c=colour, alpha=0.45,
                   linewidths=0, label=f"{label} ({100 * pts['share'][m].sum():.1f} %)")
    for i, n in enumerate(nodes.itertuples()):
        cx, cy = _circle(n.lat, n.lon, view.reach_km)
        ax.plot(cx, cy, "--", c="#d7301f", lw=1.2,
                label=f"{REACH_DAYS}-day reach, {view.reach_service} ({view.reach_km:,.0f} km)"
                if i == 0 else None)
        ax.scatter([n.lon], [n.lat], marker="*", s=320, c="#d7301f", edgecolors="black",
                   zorder=5, label="fulfilment node" if i == 0 else None)
        ax.annotate(f"{n.id} ({mode_label(n.mode)})", (n.lon, n.lat), xytext=(7, 6),
                    textcoords="offset points", fontsize=9, weight="bold")
    ax.set_title(title, fontsize=10)
    ax.legend(loc="upper left", bbox_to_anchor=(1.01, 1.0), fontsize=8, markerscale=0.5)
    ax.annotate("Outlines: Natural Earth (public domain). Point size: share of demand.",
                (0.0, -0.2), xycoords="axes fraction", fontsize=7, color="#555555")
    return fig


def _title(scenario: Scenario, view: NetworkView) -> str:
    return (f"{scenario.name}: {len(view.nodes)} node(s); "
            f"{100 * view.share_within_reach:.1f} % of demand within {REACH_DAYS} transit "
            f"days ({view.reach_service})")


def network_map_png(scenario: Scenario) -> bytes:
    """The scenario's network map as PNG bytes (for the report)."""
    view = network_view(scenario)
    fig = _draw(view, _title(scenario, view))
    buf = io.BytesIO()
    fig.savefig(buf, format="png", dpi=110, bbox_inches="tight")
    plt.close(fig)
    return buf.getvalue()


def write_network_map(scenario: Scenario, path: str | Path) -> Path:
    """Write the scenario's network map as a PNG at `path`; return the path."""
    path = Path(path)
    path.write_bytes(network_map_png(scenario))
    return path
