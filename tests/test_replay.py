"""Replay of a client's orders: the run's own export read back, conservation, calendar rules,
and clean errors for orders the scenario cannot serve."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pandas as pd
import pytest
import yaml
from pydantic import ValidationError

from optimize.errors import InvalidInput
from optimize.safety_stock import order_up_to_levels
from sim.api import load_scenario, run, with_changes
from sim.model import Network
from sim.replay import snap_to_points
from sim.scenario import Dist
from sim.streams import count_moments, draw_count, quantile

BASE = Path(__file__).parents[1] / "scenarios" / "fr_one_node.yaml"


@pytest.fixture(scope="module")
def generated(tmp_path_factory):
    """A short generated run and its order-lines export on disk."""
    sc = with_changes(load_scenario(BASE), {"run.horizon_days": 4, "run.warmup_days": 1,
                                            "demand.orders_per_day": 400})
    result = run(sc)
    out = tmp_path_factory.mktemp("generated")
    result.write(out)
    return sc, result, out / "order_lines.parquet"


def _lines_by_order(lines: pd.DataFrame) -> list:
    return sorted(lines.groupby("order_id")[["sku", "quantity"]].apply(
        lambda g: tuple(sorted(zip(g["sku"].astype(str), g["quantity"], strict=True)))))


def test_a_runs_export_replays_as_the_same_orders(generated):
    sc, first, path = generated
    replayed = run(with_changes(sc, {"demand.orders_file": str(path)}))
    sold = first.orders[~first.orders["cancelled"]]
    again = replayed.orders
    assert len(again) == len(sold) > 1000
    assert again["units"].sum() == sold["units"].sum()
    np.testing.assert_allclose(np.sort(again["created_h"]), np.sort(sold["created_h"]),
                               atol=1e-6)  # whole microseconds in the file
    exported = pd.read_parquet(path)
    book = Network(with_changes(sc, {"demand.orders_file": str(path)})).orders
    order = np.repeat(np.arange(book.n), np.diff(book.line_start))
    again_lines = pd.DataFrame({"order_id": order, "sku": np.asarray(book.line_sku),
                                "quantity": book.line_qty})
    again_lines["sku"] = again_lines["sku"].map(dict(enumerate(exported["sku"].cat.categories)))
    assert _lines_by_order(again_lines) == _lines_by_order(exported)
    # Nothing lost: conservation holds on the replayed run (run() checks it) and every
    # replayed unit is created.
    assert replayed.balance["units_created"] == exported["quantity"].sum()


def test_replay_keeps_destinations_on_their_points(generated):
    _, _, path = generated
    lines = pd.read_parquet(path)
    lat, lon = lines["lat"].to_numpy(), lines["lon"].to_numpy()
    idx, km = snap_to_points(lat, lon, lat[::-1], lon[::-1])
    assert np.all(km < 1e-6)
    np.testing.assert_allclose(lat[::-1][idx], lat)


def test_snap_distance_is_great_circle():
    # Paris to Lyon is about 392 km.
    idx, km = snap_to_points(np.array([48.8566]), np.array([2.3522]),
                             np.array([45.7640, 0.0]), np.array([4.8357, 0.0]))
    assert idx[0] == 0 and km[0] == pytest.approx(392, rel=0.02)


def test_replications_vary_the_process_not_the_orders(generated):
    sc, _, path = generated
    rsc = with_changes(sc, {"demand.orders_file": str(path)})
    a, b = run(rsc, replication=0), run(rsc, replication=1)
    pd.testing.assert_series_equal(a.orders["created_h"], b.orders["created_h"])
    pd.testing.assert_series_equal(a.orders["units"], b.orders["units"])


def test_horizon_and_start_date_come_from_the_file(generated):
    sc, _, path = generated
    data = sc.model_dump(mode="json")
    data["run"] = {k: v for k, v in data["run"].items()
                   if k not in ("horizon_days", "start_date")}
    data["demand"]["orders_file"] = str(path)
    replay = type(sc).model_validate(data)
    span = pd.read_parquet(path)["created_at"]
    assert replay.run.horizon_days == (span.max().normalize() - span.min().normalize()).days + 1
    assert replay.run.start_date == span.min().date()


def test_a_shorter_horizon_replays_only_its_days(generated):
    sc, _, path = generated
    short = run(with_changes(sc, {"demand.orders_file": str(path), "run.horizon_days": 2}))
    assert short.orders["created_h"].max() < 48.0
    lines = pd.read_parquet(path)
    first_two = lines[lines["created_at"] < lines["created_at"].min().normalize()
                      + pd.Timedelta(days=2)]
    assert len(short.orders) == first_two["order_id"].nunique()


def test_orders_file_is_relative_to_the_scenario(generated, tmp_path):
    sc, _, path = generated
    (tmp_path / "data").mkdir()
    (tmp_path / "data" / "orders.parquet").write_bytes(path.read_bytes())
    data = sc.model_dump(mode="json", exclude_none=True)
    data["demand"]["orders_file"] = "data/orders.parquet"
    (tmp_path / "replay.yaml").write_text(yaml.safe_dump(data))
    loaded = load_scenario(tmp_path / "replay.yaml")
    assert Path(loaded.demand.orders_file) == tmp_path / "data" / "orders.parquet"


def test_missing_orders_file_names_the_field(generated):
    sc, _, _ = generated
    with pytest.raises(ValidationError, match=r"demand.orders_file: no such file"):
        with_changes(sc, {"demand.orders_file": "/nowhere/orders.csv"})


def test_unknown_skus_and_services_are_named(generated, tmp_path):
    sc, _, path = generated
    lines = pd.read_parquet(path)
    lines["sku"] = lines["sku"].astype(str)
    lines.loc[:4, "sku"] = "NOT-A-SKU"
    lines["service"] = lines["service"].astype(str)
    lines.loc[10:, "service"] = "same_day"
    bad = tmp_path / "bad.parquet"
    lines.to_parquet(bad)
    with pytest.raises(InvalidInput) as err:
        run(with_changes(sc, {"demand.orders_file": str(bad)}))
    text = str(err.value)
    assert "demand.orders_file" in text and "NOT-A-SKU" in text and "same_day" in text


# ---------------------------------------------------------------- empirical distributions


def test_empirical_moments_follow_the_values():
    d = Dist(dist="empirical", values=[1, 2, 5], weights=[5, 3, 2])
    assert d.mean == pytest.approx(2.1) and d.min == 1
    assert count_moments(d) == pytest.approx((2.1, 0.5 + 1.2 + 5.0))
    x = draw_count(np.random.default_rng(3), d, 200_000)
    assert set(np.unique(x)) == {1, 2, 5}
    assert x.mean() == pytest.approx(2.1, abs=0.02)
    assert quantile(d, 0.5) == 1 and quantile(d, 0.51) == 2 and quantile(d, 0.95) == 5


@pytest.mark.parametrize("fields, fragment", [
    ({"dist": "empirical", "values": []}, "non-empty values"),
    ({"dist": "empirical", "values": [1, 2], "weights": [1]}, "one per value"),
    ({"dist": "gamma", "mean": 2, "values": [1]}, "for dist: empirical"),
])
def test_bad_empirical_distributions_are_named(fields, fragment):
    with pytest.raises(ValidationError, match=fragment):
        Dist(**fields)


def test_orders_on_the_dispatch_grid_are_all_routed(tmp_path):
    """Whole-minute order times (as exports have) put ready times exactly on the router's
    one-minute grid, where ceil(t / interval) * interval can round below t: every order must
    still be routed (this once looped for ever)."""
    minutes = pd.date_range("2025-03-03", periods=2 * 1440, freq="min")
    lines = pd.DataFrame({"order_id": [f"M{i}" for i in range(len(minutes))],
                          "created_at": minutes, "sku": "SKU000", "quantity": 1,
                          "lat": 48.85, "lon": 2.35})
    path = tmp_path / "minutes.csv"
    lines.to_csv(path, index=False)
    sc = with_changes(load_scenario(BASE), {"demand.orders_file": str(path),
                                            "run.horizon_days": 2, "run.warmup_days": 0})
    result = run(sc)
    assert len(result.orders) == len(minutes)
    routed = (result.orders["state"] != "cancelled") & (result.orders["ready_h"] < 47.9)
    assert result.orders.loc[routed, "n_shipments"].ge(1).all()


# ---------------------------------------------------------------- forecast errors in sizing


def _levels_with(sc, errors_csv):
    from sim.model import Network

    changed = with_changes(sc, {"inventory.forecast_errors": errors_csv})
    net = Network(changed)
    return net.order_up_to, net


def test_safety_stock_from_forecast_errors(tmp_path):
    from sim.stock_levels import daily_demand_by_node, protection_lead_days

    sc = with_changes(load_scenario(BASE), {"run.horizon_days": 3, "run.warmup_days": 0,
                                            "inventory.supplier.lead_time_days_sd": 0.0})
    base, net = _levels_with(sc, None)
    ids = [str(s) for s in net.catalogue.ids]
    zero = tmp_path / "zero.csv"
    pd.DataFrame({"sku": ids, "lead_days": 1, "rmse": 0.0}).to_csv(zero, index=False)
    perfect, _ = _levels_with(sc, str(zero))
    # A perfect forecast needs no safety stock: S is the mean demand over the protection
    # period, lead time (dock-to-stock included) + review.
    mean, _ = daily_demand_by_node(sc, net.catalogue, net.dist_km,
                                   net.points["weight"].to_numpy(), net.view.carries)
    p = protection_lead_days(sc, 0, mean[0]) + sc.inventory.review_period_days
    assert p > sc.inventory.supplier.lead_time_days_mean + sc.inventory.review_period_days
    np.testing.assert_array_equal(perfect, np.ceil(mean * p - 1e-9).astype(np.int64))
    assert (perfect <= base).all() and (perfect < base).any()
    # A large measured error over P raises the top SKU's level by z * sigma_P.
    big = tmp_path / "big.csv"
    pd.DataFrame({"sku": [ids[0]], "lead_days": [p], "rmse": [500.0]}).to_csv(big, index=False)
    raised, _ = _levels_with(sc, str(big))
    inv = sc.inventory
    expected = order_up_to_levels(
        demand_mean=mean[0, :1], demand_sd=np.array([500.0 / np.sqrt(p)]),
        lead_time_mean=p - inv.review_period_days, lead_time_sd=0.0,
        review_period=inv.review_period_days, target=inv.target, target_kind=inv.target_kind,
        distribution="normal").order_up_to
    assert raised[0, 0] == np.ceil(expected[0]) > base[0, 0]
    np.testing.assert_array_equal(raised[:, 1:], base[:, 1:])


def test_missing_forecast_errors_file_is_named():
    sc = with_changes(load_scenario(BASE), {"inventory.forecast_errors": "/nowhere/e.csv"})
    with pytest.raises(InvalidInput, match=r"inventory\.forecast_errors"):
        run(sc)


def test_a_replay_scenario_is_not_condensed(generated):
    from sim.experiments import condense

    sc, _, path = generated
    replay = with_changes(sc, {"demand.orders_file": str(path), "demand.spikes": [
        {"name": "late", "start_day": 3, "duration_days": 1, "multiplier": 2.0}]})
    assert condense(replay) == replay
