"""`fulfil forecast` and sim.forecast: series, models, backtest, intervals, and safety stock
from forecast errors. Checked on a year of orders drawn by the simulation's own demand
generator and on an intermittent series with a known answer."""

from __future__ import annotations

import json

import numpy as np
import pandas as pd
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from scipy.stats import norm
from typer.testing import CliRunner

import sim.cli.safety_stock_command
import sim.client_data
from sim.api import with_changes
from sim.cli.app import app
from sim.client_data import ClientDataError, Problem
from sim.client_data.export import day_zero, export_order_lines
from sim.demand import build_catalogue, generate_orders
from sim.forecast import OTHER_SKUS, TOTAL_ORDERS, daily_series, forecast_series, lead_time_sigma
from sim.forecast.models import forecasts
from sim.geography_source import demand_points_for
from sim.scenario import load_scenario
from sim.streams import Streams

runner = CliRunner()
ORDERS_PER_DAY = 200.0
TREND = 0.3
WEEKDAY = [1.3, 1.15, 1.05, 1.0, 0.95, 0.7, 0.85]


def _year_of_order_lines() -> pd.DataFrame:
    sc = with_changes(load_scenario("scenarios/us_one_node_in_house.yaml"), {
        "run.horizon_days": 365, "demand.orders_per_day": ORDERS_PER_DAY,
        "skus.generator.count": 30, "demand.weekday_profile": WEEKDAY,
        "demand.trend_per_year": TREND,
        "demand.spikes": [{"name": "sale", "start_day": 150, "duration_days": 5,
                           "multiplier": 2.0}]})
    streams = Streams(sc.run.seed, 0)
    points = demand_points_for(sc.geography)
    catalogue = build_catalogue(sc, streams)
    orders = generate_orders(sc, catalogue, points["weight"].to_numpy(), streams)
    return export_order_lines(orders, catalogue.ids, points["lat"].to_numpy(),
                              points["lon"].to_numpy(),
                              tuple(s.name for s in sc.demand.service_levels),
                              day_zero(sc.run.start_date, sc.run.start_weekday))


@pytest.fixture(scope="module")
def year_csv(tmp_path_factory):
    path = tmp_path_factory.mktemp("orders") / "orders.csv"
    _year_of_order_lines().rename(columns={"created_at": "OrderDate"}).to_csv(path,
                                                                                index=False)
    return path


@pytest.fixture(scope="module")
def year_run(year_csv, tmp_path_factory):
    out = tmp_path_factory.mktemp("fc")
    res = runner.invoke(app, ["forecast", str(year_csv), "--columns", "created_at=OrderDate",
                              "--horizon-days", "28", "--top-skus", "3", "--json",
                              "--out", str(out / "f.csv"), "--errors-out", str(out / "e.csv")])
    assert res.exit_code == 0, res.output
    return json.loads(res.stdout), out


def test_year_of_orders_chosen_models_beat_seasonal_naive(year_run):
    answer, _ = year_run
    names = [s["sku"] for s in answer["series"]]
    assert names[0] == TOTAL_ORDERS and names[-1] == OTHER_SKUS and len(names) == 5
    assert answer["series"][0]["unit"] == "orders/day"
    for s in answer["series"]:
        assert s["chosen"] != "SeasonalNaive", s
        assert s["mase"][s["chosen"]] < s["mase"]["SeasonalNaive"], s
    baseline = next(r for r in answer["backtest"] if r["model"] == "SeasonalNaive")
    assert baseline["mase"] == pytest.approx(baseline["mase_snaive"])


def test_year_of_orders_intervals_cover_about_80_percent(year_run):
    answer, _ = year_run
    coverage = [s["coverage80"] for s in answer["series"]]
    assert 0.70 <= np.mean(coverage) <= 0.90, coverage
    assert all(0.6 <= c <= 0.95 for c in coverage), coverage


def test_year_of_orders_forecast_file(year_run):
    _, out = year_run
    fc = pd.read_csv(out / "f.csv")
    assert list(fc.columns) == ["date", "sku", "mean", "lo80", "hi80"]
    assert len(fc) == 5 * 28
    assert ((fc["lo80"] >= 0) & (fc["lo80"] <= fc["hi80"])).all()
    total = fc[fc["sku"] == TOTAL_ORDERS]
    # The day after the history, one row per day; the year is 2024-01-01 .. 2024-12-30.
    assert total["date"].iloc[0] == "2024-12-31" and total["date"].is_unique
    # Known answer: the generator's rate over the forecast days (weekday profile averages 1),
    # less the few orders cancelled at review.
    days = np.arange(365, 365 + 28)
    expected = ORDERS_PER_DAY * np.mean((1 + TREND) ** (days / 365))
    assert total["mean"].mean() == pytest.approx(expected, rel=0.08)
    # The weekday pattern is forecast: the Monday-heavy profile shows in the mean.
    weekday = pd.to_datetime(total["date"]).dt.day_of_week.to_numpy()
    by_day = total.groupby(weekday)["mean"].mean()
    assert by_day[0] > by_day[5] * 1.4
    errors = pd.read_csv(out / "e.csv")
    assert list(errors.columns) == ["sku", "lead_days", "rmse"]
    assert len(errors) == 5 * 28 and (errors["rmse"] >= 0).all()


def _bernoulli_times_poisson(n: int, seed: int) -> np.ndarray:
    # Demand on 30 % of days, 1 + Poisson(1) units: mean 0.6 units per day.
    rng = np.random.default_rng(seed)
    return (rng.random(n) < 0.3) * (1 + rng.poisson(1.0, n))


def test_intermittent_series_known_answer():
    frame = pd.DataFrame({"slow": _bernoulli_times_poisson(364, 7).astype(float)},
                         index=pd.date_range("2024-01-01", periods=364, name="date"))
    res = forecast_series(frame, horizon=28, windows=8, step=14)
    s = res.series[0]
    assert s.chosen in ("Croston", "SBA", "TSB") and "ETS" not in s.mase
    assert s.mase[s.chosen] < s.mase["SeasonalNaive"]
    assert np.mean(s.mean) == pytest.approx(0.6, abs=0.15)
    assert 0.70 <= s.coverage80 <= 0.90
    assert (s.lo80 == 0).all() and (s.hi80 > s.mean).all()


def test_croston_and_sba_on_a_regular_series():
    y = np.tile([0.0, 0.0, 0.0, 4.0], 20)  # first interval 4 days: the estimates start exact
    origins = np.array([len(y)])
    assert forecasts("Croston", y, origins, 3)[0] == pytest.approx([1.0] * 3)
    assert forecasts("SBA", y, origins, 3)[0] == pytest.approx([0.95] * 3)
    assert forecasts("TSB", np.full(50, 2.0), origins[:1] - 30, 2)[0] == pytest.approx([2, 2])
    assert forecasts("SeasonalNaive", np.arange(14.0), np.array([14]), 9)[0] == pytest.approx(
        [7, 8, 9, 10, 11, 12, 13, 7, 8])


@settings(max_examples=25, deadline=None)
@given(st.lists(st.integers(0, 20), min_size=40, max_size=60))
def test_intervals_are_ordered_and_never_negative(values):
    frame = pd.DataFrame({"x": np.array(values, float)})
    frame.index = pd.date_range("2024-01-01", periods=len(values))
    s = forecast_series(frame, horizon=7, windows=3, step=7,
                        models=("SeasonalNaive", "Croston", "SBA", "TSB")).series[0]
    assert (s.mean >= 0).all() and (s.lo80 >= 0).all() and (s.lo80 <= s.hi80).all()
    score = s.rmsse if s.intermittent else s.mase  # the choice is the lowest score
    assert score[s.chosen] <= score["SeasonalNaive"] or not np.isfinite(score["SeasonalNaive"])


def test_daily_series_zeros_top_skus_and_rest():
    lines = pd.DataFrame({
        "order_id": ["a", "a", "b", "c", "d"],
        "created_at": pd.to_datetime(["2024-03-01 09:00", "2024-03-01 09:00",
                                      "2024-03-01 17:00", "2024-03-04 08:00",
                                      "2024-03-04 10:00"]),
        "sku": ["X", "Y", "X", "Z", "Z"], "quantity": [2, 1, 3, 4, 4]})
    frame = daily_series(lines, top_skus=1)
    assert list(frame.columns) == [TOTAL_ORDERS, "Z", OTHER_SKUS]
    assert frame.index[0] == pd.Timestamp("2024-03-01") and len(frame) == 4
    assert frame[TOTAL_ORDERS].tolist() == [2, 0, 0, 2]
    assert frame["Z"].tolist() == [0, 0, 0, 8]
    assert frame[OTHER_SKUS].tolist() == [6, 0, 0, 0]


def test_lead_time_sigma_measured_interpolated_and_extrapolated():
    errors = pd.DataFrame({"sku": "A", "lead_days": [1, 2, 4], "rmse": [1.0, 3.0, 4.0]})
    assert lead_time_sigma(errors, "A", 2) == pytest.approx(3.0)
    assert lead_time_sigma(errors, "A", 3) == pytest.approx(np.sqrt((9 + 16) / 2))
    assert lead_time_sigma(errors, "A", 16) == pytest.approx(4.0 * 2)
    assert lead_time_sigma(errors, "A", 0.25) == pytest.approx(0.5)


def _safety_stock(tmp_path, rmse: list[float], extra: tuple[str, ...] = ()):
    (tmp_path / "skus.csv").write_text(
        "sku,node,demand_mean,demand_sd,lead_time_mean,lead_time_sd,unit_cost\n"
        "A,n1,10,3,5,0,20\nB,n1,4,2,40,0,5\nC,n1,1,1,3,0,1\n")
    pd.DataFrame({"sku": ["A"] * 28 + ["B"] * 28, "lead_days": list(range(1, 29)) * 2,
                  "rmse": rmse * 2}).to_csv(tmp_path / "errors.csv", index=False)
    res = runner.invoke(app, ["safety-stock", str(tmp_path / "skus.csv"), "--target",
                              "cycle_service=0.95", "--forecast-errors",
                              str(tmp_path / "errors.csv"), "--out",
                              str(tmp_path / "levels.csv"), "--json", *extra])
    return res


def test_safety_stock_from_a_perfect_forecast_is_zero(tmp_path):
    res = _safety_stock(tmp_path, [0.0] * 28)
    assert res.exit_code == 0, res.output
    assert json.loads(res.stdout)["forecast_error_rows"] == 2
    levels = pd.read_csv(tmp_path / "levels.csv").set_index("sku")
    assert levels.loc[["A", "B"], "safety_stock"].tolist() == [0.0, 0.0]
    assert levels.loc["C", "safety_stock"] > 0  # not in the file: sized from demand_sd


def test_safety_stock_from_forecast_error_equals_the_formula(tmp_path):
    rmse = [2.0 * np.sqrt(k) + (k == 12) for k in range(1, 29)]
    res = _safety_stock(tmp_path, rmse)
    assert res.exit_code == 0, res.output
    levels = pd.read_csv(tmp_path / "levels.csv").set_index("sku")
    z = norm.ppf(0.95)
    # A: protection 5 + 7 = 12 days, within the horizon: the measured 12-day error.
    assert levels.loc["A", "safety_stock"] == pytest.approx(z * (2 * np.sqrt(12) + 1),
                                                            rel=1e-5)
    # B: 40 + 7 days, beyond the 28-day horizon: rmse_28 * sqrt(47 / 28).
    assert levels.loc["B", "safety_stock"] == pytest.approx(
        z * 2 * np.sqrt(28) * np.sqrt(47 / 28), rel=1e-5)


def test_safety_stock_forecast_errors_need_normal_and_good_columns(tmp_path):
    res = _safety_stock(tmp_path, [1.0] * 28, ("--distribution", "poisson"))
    assert res.exit_code == 2 and "--distribution" in res.stderr
    (tmp_path / "errors.csv").write_text("sku,lead_days\nA,1\n")
    res = runner.invoke(app, ["safety-stock", str(tmp_path / "skus.csv"), "--forecast-errors",
                              str(tmp_path / "errors.csv")])
    assert res.exit_code == 2 and "rmse" in res.stderr


def test_too_short_history_exits_2_and_writes_nothing(year_csv, tmp_path):
    lines = pd.read_csv(year_csv, parse_dates=["OrderDate"]).rename(
        columns={"OrderDate": "created_at"})
    lines[lines["created_at"] < pd.Timestamp("2024-01-21")].to_csv(tmp_path / "o.csv",
                                                                   index=False)
    out = tmp_path / "f.csv"
    res = runner.invoke(app, ["forecast", str(tmp_path / "o.csv"), "--out", str(out)])
    assert res.exit_code == 2 and "--backtest-windows" in res.stderr
    assert not out.exists() and list(tmp_path.iterdir()) == [tmp_path / "o.csv"]
    res = runner.invoke(app, ["forecast", str(tmp_path / "o.csv"), "--out", str(out),
                              "--columns", "created_at"])
    assert res.exit_code == 2 and "--columns" in res.stderr and not out.exists()
    res = runner.invoke(app, ["forecast", str(tmp_path / "o.csv"), "--out", str(out),
                              "--horizon-days", "0"])
    assert res.exit_code == 2 and "--horizon-days" in res.stderr and not out.exists()
    res = runner.invoke(app, ["forecast", str(tmp_path / "o.csv"), "--out",
                              str(tmp_path / "nowhere" / "f.csv")])
    assert res.exit_code == 2 and "--out: the folder does not exist" in res.stderr


def test_client_data_error_is_printed_with_exit_2(tmp_path, monkeypatch):
    def bad(*args, **kwargs):
        raise ClientDataError("o.csv", [Problem("not a date", column="created_at", row=3,
                                                value="yesterday")])

    monkeypatch.setattr(sim.client_data, "load_order_lines", bad)  # what read_orders calls
    out = tmp_path / "f.csv"
    res = runner.invoke(app, ["forecast", "o.csv", "--out", str(out)])
    assert res.exit_code == 2 and "row 3, column 'created_at'" in res.stderr
    assert not out.exists()
