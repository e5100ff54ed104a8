"""`fulfil pick-route`: the JSON contract, the table, the plot and bad-input exits."""

from __future__ import annotations

import json

import pytest
from typer.testing import CliRunner

import sim.cli.pick_route_command  # noqa: F401  (registers the command)
from optimize.pick_routing import Layout, tour_length_m
from optimize.result import SHARED_KEYS
from sim.cli.app import app

LAYOUT = {"n_aisles": 10, "aisle_length_m": 20, "aisle_spacing_m": 3, "n_cross_aisles": 2,
          "depot_x_m": 0}
PICKS = [[[0, 5], [3, 18], [3, 2], [7, 10], [9, 1]], [[2, 4.5], [2, 4.5]]]


@pytest.fixture
def request_file(tmp_path):
    path = tmp_path / "request.json"
    path.write_text(json.dumps({"layout": LAYOUT, "pick_lists": PICKS}))
    return path


def _run(*args):
    return CliRunner().invoke(app, ["pick-route", *map(str, args)])


@pytest.mark.parametrize("method", ["optimal", "s_shape", "largest_gap"])
def test_json_contract(request_file, method):
    res = _run(request_file, "--method", method, "--json")
    assert res.exit_code == 0, res.output
    tours = json.loads(res.stdout)["tours"]
    assert len(tours) == len(PICKS)
    layout = Layout(**LAYOUT)
    for tour, picks in zip(tours, PICKS, strict=True):
        # the original keys first, in order, then the shared result keys
        assert list(tour)[:4] == ["length_m", "sequence", "optimal", "method"]
        assert set(tour) - {"length_m", "sequence", "optimal", "method"} == set(SHARED_KEYS)
        assert tour["objective"] == tour["length_m"]
        assert tour["status"] == ("optimal" if method == "optimal" else "feasible")
        assert tour["method"] == method and tour["optimal"] == (method == "optimal")
        assert sorted(map(tuple, tour["sequence"])) == sorted({tuple(map(float, p)) for p in picks})
        assert tour["length_m"] == pytest.approx(tour_length_m(layout, tour["sequence"]))
    # the optimum: out along the back, back along the front, 54 m across and 50 m up and down
    expected = {"optimal": 104.0, "s_shape": 116.0, "largest_gap": 104.0}[method]
    assert tours[0]["length_m"] == pytest.approx(expected)


def test_table_and_plot(request_file, tmp_path):
    png = tmp_path / "tour.png"
    res = _run(request_file, "--method", "s_shape", "--plot", png)
    assert res.exit_code == 0, res.output
    assert "116.00" in res.stdout
    assert png.read_bytes()[:8] == b"\x89PNG\r\n\x1a\n"


def test_bad_input_names_fields(tmp_path):
    path = tmp_path / "bad.json"
    path.write_text(json.dumps({"layout": {**LAYOUT, "n_cross_aisles": 1, "depot_x_m": 99},
                                "pick_lists": [[[0, 5], [12, 3]]]}))
    res = _run(path, "--json")
    assert res.exit_code == 2
    assert "layout.n_cross_aisles" in res.stderr
    path.write_text(json.dumps({"layout": LAYOUT, "pick_lists": [[[0, 5]], [[12, 3], [1, 25]]]}))
    res = _run(path)
    assert res.exit_code == 2
    assert "pick_lists[1][0][0]" in res.stderr and "pick_lists[1][1][1]" in res.stderr
    res = _run(path, "--method", "zigzag")
    assert res.exit_code == 2 and "--method" in res.stderr
    path.write_text("{not json")
    assert _run(path).exit_code == 2
    assert _run(tmp_path / "missing.json").exit_code == 2
