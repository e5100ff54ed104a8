"""`fulfil coverage`: the JSON contract, CSV errors naming file/row/column, maps, scenarios."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from typer.testing import CliRunner

import sim.cli.coverage_command  # noqa: F401  (registers `fulfil coverage`)
from sim import geography
from sim.cli.app import app
from sim.scenario import load_scenario

from .conftest import SCENARIOS

runner = CliRunner()
KEYS = {"sites", "covered_share", "covered_weight", "total_weight", "optimal", "time_s"}


@pytest.fixture
def csvs(tmp_path: Path) -> tuple[Path, Path]:
    p = tmp_path / "P.csv"
    # Two clusters 3,900 km apart (New York, Los Angeles) and one point in Kansas.
    p.write_text("id,lat,lon,weight\n"
                 "ny1,40.71,-74.00,50\nny2,40.80,-73.90,30\n"
                 "la1,34.05,-118.24,40\nla2,34.10,-118.30,20\n"
                 "ks,38.00,-97.00,10\n")
    c = tmp_path / "C.csv"
    c.write_text("id,lat,lon\nNYC,40.72,-74.00\nLAX,34.05,-118.25\nMCI,39.10,-94.58\n")
    return p, c


def test_json_single_k(csvs):
    p, c = csvs
    res = runner.invoke(app, ["coverage", "--points", str(p), "--candidates", str(c),
                              "--max-km", "965", "--k", "1", "--json"])
    assert res.exit_code == 0, res.output
    out = json.loads(res.stdout)
    assert set(out) == KEYS
    assert out["sites"] == ["NYC"] and out["covered_weight"] == 80.0
    assert out["total_weight"] == 150.0 and out["optimal"] is True
    assert out["covered_share"] == pytest.approx(80 / 150)


def test_json_range_is_a_list(csvs):
    p, c = csvs
    res = runner.invoke(app, ["coverage", "--points", str(p), "--candidates", str(c),
                              "--max-km", "965", "--k", "1-3", "--json"])
    assert res.exit_code == 0, res.output
    out = json.loads(res.stdout)
    assert [len(r["sites"]) for r in out] == [1, 2, 3]
    assert [r["covered_weight"] for r in out] == [80.0, 140.0, 150.0]
    assert all(set(r) == KEYS for r in out)


def test_target_and_table_and_map(csvs, tmp_path):
    p, c = csvs
    png = tmp_path / "m.png"
    res = runner.invoke(app, ["coverage", "--points", str(p), "--candidates", str(c),
                              "--max-km", "965", "--target", "0.95", "--map", str(png)])
    assert res.exit_code == 0, res.output
    assert "3" in res.stdout and png.stat().st_size > 1000
    res = runner.invoke(app, ["coverage", "--points", str(p), "--candidates", str(c),
                              "--max-km", "965", "--target", "0.95", "--json"])
    out = json.loads(res.stdout)
    assert sorted(out["sites"]) == ["LAX", "MCI", "NYC"]


def test_unreachable_target_exits_non_zero(csvs):
    p, c = csvs
    res = runner.invoke(app, ["coverage", "--points", str(p), "--candidates", str(c),
                              "--max-km", "100", "--target", "0.95", "--json"])
    assert res.exit_code == 1


@pytest.mark.parametrize(("text", "where"), [
    ("id,lat,lon\na,1,2\n", "P.csv:row 1:weight"),
    ("id,lat,lon,weight\na,1,2,3\nb,91,2,3\n", "P.csv:row 3:lat"),
    ("id,lat,lon,weight\na,1,2,-3\n", "P.csv:row 2:weight"),
])
def test_csv_problems_exit_2_naming_file_row_column(tmp_path, text, where):
    p = tmp_path / "P.csv"
    p.write_text(text)
    res = runner.invoke(app, ["coverage", "--points", str(p), "--max-km", "965", "--k", "1"])
    assert res.exit_code == 2
    assert where in res.stderr


def test_bad_options_exit_2():
    res = runner.invoke(app, ["coverage", "--region", "de", "--k", "1"])
    assert res.exit_code == 2 and "--region" in res.stderr
    res = runner.invoke(app, ["coverage", "--region", "fr", "--k", "8-2"])
    assert res.exit_code == 2 and "--k" in res.stderr
    res = runner.invoke(app, ["coverage", "--region", "fr", "--days", "2", "--max-km", "300"])
    assert res.exit_code == 2


def test_help_states_the_bundled_share():
    res = runner.invoke(app, ["coverage", "--help"])
    text = " ".join(res.stdout.split())
    for region in ("us", "fr"):
        pts = geography.demand_points(region)
        share = pts["weight"].sum() / geography.NATIONAL_POPULATION[region]
        assert f"{len(pts):,} towns" in text
        assert f"{share:.1%}".replace("%", " %") in text


def test_fr_days_curve_and_scenario_out(tmp_path):
    out = tmp_path / "net.yaml"
    res = runner.invoke(app, ["coverage", "--region", "fr", "--days", "1", "--k", "2",
                              "--json", "--scenario-out", str(out)])
    assert res.exit_code == 0, res.output
    rec = json.loads(res.stdout)
    sc = load_scenario(out)
    assert len(sc.nodes) == 2 and sc.geography.region == "fr"
    sites = geography.candidate_sites("fr").set_index("id")
    assert sorted(round(n.location.lat, 3) for n in sc.nodes) == sorted(
        round(float(sites.loc[s, "lat"]), 3) for s in rec["sites"])
    # the same bands in plan and simulation: 1 day up to 150 km
    assert sc.carriers.distance_bands_km[0] == 150
    assert sc.carriers.carriers[0].services[0].transit_days[0] == 1


def _two_node_scenario_out(points, candidates, tmp_path):
    """The scenario `fulfil coverage --k 2 --scenario-out` writes for these CSVs, loaded."""
    out = tmp_path / "net.yaml"
    res = runner.invoke(app, ["coverage", "--points", str(points), "--candidates",
                              str(candidates), "--days", "2", "--k", "2", "--json",
                              "--scenario-out", str(out)])
    assert res.exit_code == 0, res.output
    return load_scenario(out)


def test_scenario_out_with_user_points(csvs, tmp_path):
    p, c = csvs
    sc = _two_node_scenario_out(p, c, tmp_path)
    assert sc.geography.points_csv == p  # written relative to the scenario, loaded back
    assert [n.id for n in sc.nodes] == ["nyc", "lax"]  # candidate order


def test_scenario_out_crews_follow_demand_shares(csvs, tmp_path):
    from optimize.geo import haversine_km
    from sim.coverage import coverage_plan, demand_shares

    p, c = csvs
    sc = _two_node_scenario_out(p, c, tmp_path)
    template = load_scenario(SCENARIOS / "us_one_node_in_house.yaml").nodes[0].resources
    plan = coverage_plan(points_csv=p, candidates_csv=c, days=2)
    shares = demand_shares(plan, (0, 1))  # NYC, LAX
    # brute force: each point's weight goes to its nearest chosen site
    pts = [(40.71, -74.00, 50), (40.80, -73.90, 30), (34.05, -118.24, 40),
           (34.10, -118.30, 20), (38.00, -97.00, 10)]
    near_ny = [haversine_km(a, b, 40.72, -74.00) < haversine_km(a, b, 34.05, -118.25)
               for a, b, _ in pts]
    ny = sum(w for (_, _, w), n in zip(pts, near_ny, strict=True) if n) / 150
    assert shares == pytest.approx([ny, 1 - ny])
    for node, share in zip(sc.nodes, shares, strict=True):
        for crew in ("receivers", "pickers", "packers"):
            want = max(1, round(getattr(template, crew).count * share))
            assert getattr(node.resources, crew).count == want
