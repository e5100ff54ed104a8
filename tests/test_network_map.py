"""The network map: bundled outlines are small and in the right place, the share of demand
within two-day reach is the weighted share of points within the reach, and the map is drawn
in the run's output."""

from __future__ import annotations

import numpy as np
import pytest
from matplotlib.path import Path as Polygon

from optimize.geo import haversine_km
from sim.api import load_scenario, with_changes
from sim.network_map import _circle, network_map_png, network_view, outlines

from .conftest import SCENARIOS

PNG = b"\x89PNG\r\n\x1a\n"


def _inside(region: str, lon: float, lat: float) -> bool:
    return any(Polygon(ring).contains_point((lon, lat))
               for ring in outlines()["regions"][region]["country"])


def test_the_outlines_are_small_and_hold_the_places_they_should():
    from importlib import resources

    size = (resources.files("sim") / "data" / "outlines.json").stat().st_size
    assert size < 300_000
    assert _inside("us", -94.58, 39.10)  # Kansas City
    assert _inside("us", -118.24, 34.05)  # Los Angeles
    assert not _inside("us", -149.9, 61.2)  # Anchorage: the lower 48 only
    assert not _inside("us", -99.13, 19.43)  # Mexico City
    assert _inside("fr", 2.35, 48.86) and _inside("fr", 8.74, 41.93)  # Paris, Ajaccio
    assert not _inside("fr", 4.35, 50.85)  # Brussels
    assert not _inside("fr", -52.3, 4.9)  # Cayenne: mainland France and Corsica only


@pytest.mark.parametrize("km", [100.0, 965.0, 2500.0])
def test_the_reach_circle_is_at_the_reach_distance(km):
    lon, lat = _circle(35.1, -89.9, km)
    np.testing.assert_allclose(haversine_km(35.1, -89.9, lat, lon), km, rtol=1e-9)


def test_share_within_reach_is_the_weight_of_points_within_reach():
    sc = load_scenario(SCENARIOS / "us_one_node_in_house.yaml")
    node = sc.nodes[0].location
    # 3 parts near the node, 1 part 2,000+ km away (the ground service reaches 965 km in 2 days)
    sc = with_changes(sc, {"geography": {"points": [
        {"id": "near", "lat": node.lat + 1.0, "lon": node.lon, "weight": 3.0},
        {"id": "far", "lat": 47.6, "lon": -122.3, "weight": 1.0}]}})
    view = network_view(sc)
    assert view.reach_km == 965.0 and view.reach_service == "parcel ground"
    assert view.share_within_reach == pytest.approx(0.75)
    assert view.region == "us"  # found from where demand is
    assert network_map_png(sc)[:8] == PNG


def test_the_bundled_networks_are_mapped_on_their_country():
    for name, region in (("us_two_node_black_friday.yaml", "us"), ("fr_one_node.yaml", "fr")):
        view = network_view(load_scenario(SCENARIOS / name))
        assert view.region == region
        assert all(_inside(region, n.lon, n.lat) for n in view.nodes.itertuples())
        assert 0.0 < view.share_within_reach <= 1.0
