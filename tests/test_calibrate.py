"""Calibration round trip: a year of orders drawn from a known scenario, exported as a client
would, is fitted back; each parameter must come back within four of its standard errors
(a 4-sigma band fails by chance about once in 16,000 draws), or within a tolerance derived
from the sample size where the fit gives no standard error."""

from __future__ import annotations

import json
import math
from pathlib import Path

import numpy as np
import pandas as pd
import pytest
import yaml
from typer.testing import CliRunner

from sim.api import load_scenario, run, with_changes
from sim.calibrate import calibrate
from sim.calibrate.baskets import drawn_lines_mean, fit_count
from sim.calibrate.rate import black_friday, fit_demand_rate, recurrence
from sim.cli import app
from sim.client_data import OrderLines
from sim.client_data.synthetic import CLIENT_COLUMNS, example_truth, synthetic_history
from sim.coverage import template_scenario

ROOT = Path(__file__).parents[1]
runner = CliRunner()
COLUMNS = ",".join(f"{ours}={theirs}" for ours, theirs in CLIENT_COLUMNS.items())


@pytest.fixture(scope="module")
def year():
    """The truth, its year of order lines and SKU master, and the calibration of them."""
    truth = example_truth()
    lines, master = synthetic_history(truth)
    cal = calibrate(OrderLines(lines=lines, skus=master, source="year.csv"),
                    template_scenario("fr"))
    return truth, lines, master, cal


def _fitted(cal, field):
    return next(f for f in cal.fitted if f.field == field)


def test_rate_trend_and_weekdays_come_back_within_four_standard_errors(year):
    truth, _, _, cal = year
    d = truth.demand
    # The fitted level is the base rate on the day after the history: 365 days of growth.
    true_level = d.orders_per_day * (1 + d.trend_per_year) ** (365 / 365)
    level = _fitted(cal, "demand.orders_per_day")
    assert abs(level.value - true_level) < 4 * level.std_error
    assert level.std_error < 0.02 * true_level  # and the band is narrow enough to mean it
    trend = _fitted(cal, "demand.trend_per_year")
    assert abs(trend.value - d.trend_per_year) < 4 * trend.std_error
    true_wd = np.array(d.weekday_profile) / np.mean(d.weekday_profile)
    got = np.array(cal.rate.weekday_profile)
    se = np.array(cal.rate.weekday_se)
    assert np.all(np.abs(got - true_wd)[1:] < 4 * se[1:])


def test_hour_profile_within_binomial_noise(year):
    truth, lines, _, cal = year
    true = np.array(truth.demand.intraday_profile) / sum(truth.demand.intraday_profile)
    n = lines["order_id"].nunique()
    se = np.sqrt(true * (1 - true) / n)
    assert np.all(np.abs(np.array(cal.rate.intraday_profile) - true) < 4 * se + 1e-4)


def test_black_friday_and_cyber_monday_are_found_and_named(year):
    truth, _, _, cal = year
    found = {s.recurs: s for s in cal.rate.spikes}
    assert set(found) == {"black_friday", "cyber_monday"}  # and no false spike
    for spike in truth.demand.spikes:
        got = found[spike.name]
        assert got.days == spike.duration_days
        assert abs(got.multiplier - spike.multiplier) < 4 * got.multiplier_se


def test_baskets_and_returns_come_back(year):
    truth, lines, _, cal = year
    d = truth.demand
    n_orders = lines["order_id"].nunique()
    # Mean of ~44,000 geometric counts with sd ~0.9: standard error ~0.005; 4 of them.
    tol = 4 * 0.9 / math.sqrt(n_orders)
    assert cal.lines_per_order.dist["dist"] == "geometric"
    assert abs(cal.lines_per_order.dist["mean"] - d.lines_per_order.mean) < tol
    assert abs(cal.units_per_line.dist["mean"] - d.units_per_line.mean) < tol
    for cat in truth.skus.categories:
        f = _fitted(cal, f"skus.categories[{cat.name}].return_rate")
        assert abs(f.value - cat.return_rate) < 4 * f.std_error
    # Delay: truth 12 d (gamma) after 1-4 d of delivery (mean 2.5) less the 2 d assumed.
    delay = _fitted(cal, "returns.delay_days").value
    assert abs(delay["mean"] - (truth.returns.delay_days.mean + 0.5)) < 0.3
    assert abs(delay["cv"] - truth.returns.delay_days.cv * 12 / 12.5) < 0.05


def test_service_mix_and_sku_shares(year):
    truth, lines, master, cal = year
    mix = _fitted(cal, "demand.service_levels").value
    for level in truth.demand.service_levels:
        assert abs(mix[level.name] - level.share) < 4 * math.sqrt(
            level.share * (1 - level.share) / lines["order_id"].nunique())
    items = cal.scenario["skus"]["items"]
    top = items[0]
    row = master.set_index("sku").loc[top["id"]]
    assert top["weight_kg"] == pytest.approx(row["weight_kg"])
    assert top["cube_m3"] == pytest.approx(row["length_cm"] * row["width_cm"]
                                           * row["height_cm"] / 1e6, rel=1e-5)
    assert top["category"] == row["category"]
    assert top["dims_cm"] == [row["length_cm"], row["width_cm"], row["height_cm"]]
    assert sum(it["popularity"] for it in items) == len(lines.drop_duplicates(
        ["order_id", "sku"]))


def test_recurring_spikes_land_on_their_next_dates(year):
    _, _, _, cal = year
    # The run starts 2026-01-06: no Black Friday inside 35 days; a run through November has.
    assert cal.scenario["demand"]["spikes"] == []
    assert black_friday(2025).isoformat() == "2025-11-28"
    assert recurrence(black_friday(2026)) == "black_friday"


def test_count_fit_falls_back_to_observed_frequencies():
    counts = np.array([1] * 500 + [4] * 500)  # two-point: no geometric or Poisson fits
    fit = fit_count(counts, "lines per order")
    assert fit.dist["dist"] == "empirical"
    assert fit.dist["values"] == [1, 4] and fit.dist["weights"] == [500, 500]


def test_drawn_lines_undo_the_merge_of_repeated_skus():
    # Two equally popular SKUs and always 2 draws: E[distinct] = 2 - 0.5 = 1.5.
    p = np.array([1.0, 1.0])
    assert drawn_lines_mean(1.0, "poisson", p) == 1.0
    mean = drawn_lines_mean(1.25, "poisson", p)
    # Poisson(excess m-1) draws: E[distinct] = 1 + 0.5 * P(n >= 2) * ... solved numerically;
    # check by simulation of the generator's own rule.
    rng = np.random.default_rng(0)
    n = 1 + rng.poisson(mean - 1, 200_000)
    distinct = np.where(n == 1, 1, 2 - 0.5 ** (n - 1))
    assert distinct.mean() == pytest.approx(1.25, abs=0.005)


def test_too_short_a_history_still_fits_without_annual_profile():
    t = pd.Series(pd.date_range("2025-03-03", periods=20 * 24, freq="h"))
    fit = fit_demand_rate(t, pd.Series(np.arange(len(t))))
    assert fit.annual_profile is None and fit.orders_per_day == pytest.approx(24, rel=0.05)


# ---------------------------------------------------------------- the command


def test_calibrate_command_on_a_client_export(tmp_path):
    """CSV under client column names -> fulfil calibrate -> a scenario that validates and
    runs; an .xlsx of the same gives the same fit."""
    truth = example_truth(orders_per_day=60, days=70)
    lines, master = synthetic_history(truth)
    client = lines.rename(columns=CLIENT_COLUMNS)
    csv, xlsx = tmp_path / "orders.csv", tmp_path / "orders.xlsx"
    client.to_csv(csv, index=False)
    client.head(3000).to_excel(xlsx, index=False)
    master.to_csv(tmp_path / "skus.csv", index=False)
    out = tmp_path / "sc" / "client.yaml"
    cmd = ["calibrate", str(csv), "--skus",
           str(tmp_path / "skus.csv"), "--columns", COLUMNS, "--out", str(out), "--report",
           str(tmp_path / "report"), "--horizon-days", "10", "--json"]
    res = runner.invoke(app, cmd)
    assert res.exit_code == 0, res.output
    payload = json.loads(res.stdout)
    assert {f["field"] for f in payload["fitted"]} >= {"demand.orders_per_day",
                                                      "demand.lines_per_order"}
    assert (tmp_path / "report" / "calibration.png").stat().st_size > 10_000
    sc = load_scenario(out)
    assert sc.run.start_date.isoformat() == "2025-03-17"  # the day after 70 days from 01-06
    assert sc.geography.points_csv.exists()
    result = run(with_changes(sc, {"run.warmup_days": 2}))
    assert result.summary["orders"] > 0

    xres = runner.invoke(app, [cmd[0], str(xlsx), *cmd[2:6], "--out",
                               str(tmp_path / "x.yaml")])
    assert xres.exit_code == 0, xres.output
    assert yaml.safe_load((tmp_path / "x.yaml").read_text())["skus"]["items"]


def test_calibrate_replay_runs_the_clients_own_orders(tmp_path):
    truth = example_truth(orders_per_day=60, days=21)
    lines, _ = synthetic_history(truth)
    csv = tmp_path / "orders.csv"
    lines.rename(columns=CLIENT_COLUMNS).to_csv(csv, index=False)
    out = tmp_path / "replay.yaml"
    res = runner.invoke(app, ["calibrate", str(csv), "--columns", COLUMNS, "--out", str(out),
                              "--replay"])
    assert res.exit_code == 0, res.output
    sc = load_scenario(out)
    assert sc.run.horizon_days == 21 and sc.run.start_date.isoformat() == "2025-01-06"
    result = run(sc)
    assert len(result.orders) == lines["order_id"].nunique()
    assert result.balance["units_created"] == lines["quantity"].sum()


def test_bad_template_and_unwritable_nothing_half_written(tmp_path):
    truth = example_truth(orders_per_day=30, days=14)
    lines, _ = synthetic_history(truth)
    csv = tmp_path / "orders.csv"
    lines.to_csv(csv, index=False)
    bad = tmp_path / "bad.yaml"
    bad.write_text("demand: {orders_per_day: -1}\n")
    out = tmp_path / "o" / "x.yaml"
    res = runner.invoke(app, ["calibrate", str(csv), "--template", str(bad), "--out", str(out)])
    assert res.exit_code == 2, res.output
    assert str(bad) in res.output and "demand.orders_per_day" in res.output
    assert not out.exists() and not out.with_name("x.points.csv").exists()


def test_readme_calibrate_command_runs_as_written(tmp_path, monkeypatch):
    import re
    import shlex

    text = (ROOT / "README.md").read_text()
    block = text[text.index("### Calibrate a scenario"):]
    block = block[block.index("```bash") + 7:block.index("```", block.index("```bash") + 7)]
    first = block.replace("\\\n", " ").strip().splitlines()[0]
    args = shlex.split(first.removeprefix(".venv/bin/fulfil "))
    for i, a in enumerate(args[:-1]):
        if a in ("--out", "--report"):
            args[i + 1] = str(tmp_path / re.sub(r"\W", "_", args[i + 1]))
    monkeypatch.chdir(ROOT)
    res = runner.invoke(app, args)
    assert res.exit_code == 0, res.output
    out = Path(args[args.index("--out") + 1])
    assert load_scenario(out).demand.orders_per_day == pytest.approx(138, rel=0.05)


def test_calibrated_and_original_scenarios_agree_in_simulation(year):
    """The three weeks after the history, simulated from the truth and from its calibration
    (same network, same seeds): each KPI's 95 % intervals overlap."""
    from sim.experiments import summarise
    from sim.sweep import replicate

    truth, lines, master, _ = year
    after = with_changes(truth, {"run.start_date": "2026-01-06", "run.horizon_days": 21,
                                 "run.warmup_days": 5,
                                 "demand.orders_per_day": 120.0 * 1.15})
    fitted = calibrate(OrderLines(lines=lines, skus=master, source="year.csv"),
                       after.model_dump(mode="json"), horizon_days=21)
    data = dict(fitted.scenario, geography={"points": [
        {"id": r.id, "lat": r.lat, "lon": r.lon, "weight": float(r.weight)}
        for r in fitted.points.itertuples()]})
    calibrated = type(truth).model_validate(data)
    assert [n.resources.pickers.count for n in calibrated.nodes] == [
        n.resources.pickers.count for n in after.nodes]  # crews not rescaled (ratio ~1)
    kpis = ["orders", "unit_fill_rate_pct", "on_time_pct", "two_day_pct",
            "click_to_door_p50_days"]
    rows = [replicate(sc, replications=4, workers=0).assign(side=name)
            for name, sc in (("truth", after), ("calibrated", calibrated))]
    table = summarise(pd.concat(rows), ["side"], kpis).set_index(["metric", "side"])
    for kpi in kpis:
        a, b = table.loc[(kpi, "truth")], table.loc[(kpi, "calibrated")]
        assert a["lo"] <= b["hi"] and b["lo"] <= a["hi"], (kpi, a.to_dict(), b.to_dict())


def test_two_years_recover_the_annual_profile():
    """With two years, month effects and trend are told apart: a December peak and a summer
    low come back within four Poisson standard errors of a month's factor (f / sqrt(n), n the
    orders in that month over both years)."""
    months = [1.0, 0.9, 0.95, 1.0, 1.0, 0.8, 0.75, 0.8, 1.0, 1.1, 1.3, 1.6]
    truth = with_changes(example_truth(orders_per_day=150, days=730),
                         {"demand.annual_profile": months, "demand.spikes": []})
    lines, _ = synthetic_history(truth)
    fit = fit_demand_rate(lines["created_at"], lines["order_id"])
    assert fit.annual_profile is not None
    true = np.array(months) / np.mean(months)
    per_month = lines["order_id"].nunique() / 24  # orders behind each month's estimate
    assert np.all(np.abs(np.array(fit.annual_profile) - true) < 4 * true / np.sqrt(per_month))
    assert abs(fit.trend_per_year - 0.15) < 4 * fit.trend_per_year_se


def test_a_category_with_slower_returns_gets_its_own_delay(year):
    truth, lines, master, cal = year
    # One true delay: no category is split off from it.
    assert not any(f.field.endswith("return_delay_days") for f in cal.fitted)
    # The same history with one category's returns 10 days later.
    slow = master["category"].iloc[0]
    late = lines["sku"].map(master.set_index("sku")["category"]).eq(slow).to_numpy()
    moved = lines.copy()
    moved.loc[late, "returned_at"] = moved.loc[late, "returned_at"] + pd.Timedelta(days=10)
    again = calibrate(OrderLines(lines=moved, skus=master, source="year.csv"),
                      template_scenario("fr"))
    own = _fitted(again, f"skus.categories[{slow}].return_delay_days").value
    pooled = _fitted(again, "returns.delay_days").value
    assert own["mean"] - pooled["mean"] > 5.0
    # The others, now far from the pooled mean, keep the true pace (12 d + 0.5, as above).
    for f in again.fitted:
        if f.field.endswith("return_delay_days") and slow not in f.field:
            assert abs(f.value["mean"] - (truth.returns.delay_days.mean + 0.5)) < 0.3
