"""`fulfil compare`: the report renders, embeds its charts, and its numbers are the store's."""

from __future__ import annotations

import base64
import math
from html.parser import HTMLParser

import pandas as pd
import pytest
from typer.testing import CliRunner

import sim.cli.compare_command  # noqa: F401  (registers `fulfil compare`)
from sim.cli.app import app
from sim.compare import CompareSettings, build_tables, plan_compare, run_compare, tornado_bars
from sim.experiments import HEADLINE_KPIS
from sim.modes import MODES
from sim.report import write_report
from sim.store import ResultStore

from .conftest import SCENARIOS, compare_cli

SMALL = {"run.horizon_days": 12, "run.warmup_days": 2, "demand.orders_per_day": 150,
         "skus.generator.count": 80,
         "demand.spikes": [{"name": "peak", "start_day": 8, "duration_days": 2,
                            "multiplier": 3.0}]}


class _Page(HTMLParser):
    def __init__(self):
        super().__init__()
        self.images: list[str] = []
        self.text: list[str] = []

    def handle_starttag(self, tag, attrs):
        if tag == "img":
            self.images.append(dict(attrs)["src"])

    def handle_data(self, data):
        self.text.append(data)


@pytest.fixture(scope="module")
def report(tmp_path_factory):
    return compare_cli(tmp_path_factory.mktemp("compare"), SMALL, "--modes", ",".join(MODES),
                       "--replications", "3", "--volumes", "0.5,1,1.5")


def test_report_files_exist_and_html_embeds_every_chart(report):
    _, out, _ = report
    for name in ("index.html", "report.md", "kpis.csv", "cost_by_category.csv",
                 "differences.csv", "break_even.csv", "tornado.csv", "runs.csv"):
        assert (out / name).stat().st_size > 0, name
    page = _Page()
    page.feed((out / "index.html").read_text())
    assert len(page.images) >= 6  # cost and service per period, periods, break-even, tornado
    for src in page.images:
        assert src.startswith("data:image/png;base64,")
        assert base64.b64decode(src.split(",", 1)[1])[:8] == b"\x89PNG\r\n\x1a\n"
    text = " ".join(page.text)
    for heading in ("Findings", "Assumptions", "normal period", "under the spikes"):
        assert heading in text
    # three replications: whichever headline interval is too wide is said so in the findings
    kpis = pd.read_csv(out / "kpis.csv")
    shaky = kpis[kpis["metric"].isin(HEADLINE_KPIS) & ~kpis["enough"] & kpis["mean"].notna()]
    assert ("Caution:" in (out / "report.md").read_text()) == (len(shaky) > 0)
    shares = kpis.loc[kpis["metric"].str.endswith("_pct"), ["lo", "hi"]].stack().dropna()
    assert len(shares) and shares.between(0, 100).all()


def test_report_numbers_equal_the_store(report):
    _sc, out, _ = report
    store = ResultStore(out / "store")
    got = store.query("""
        SELECT mode, count(*) AS n, avg("normal/cost_per_order") AS cost,
               avg("spike/two_day_pct") AS two_day, stddev_samp("normal/cost_per_order") AS sd
        FROM runs WHERE sweep = 'compare' AND status = 'ok' GROUP BY mode""").set_index("mode")
    assert set(got.index) == set(MODES) and (got["n"] == 3).all()
    kpis = pd.read_csv(out / "kpis.csv")
    html = (out / "index.html").read_text()
    for mode, row in got.iterrows():
        k = kpis[(kpis["mode"] == mode) & (kpis["period"] == "normal")
                 & (kpis["metric"] == "cost_per_order")].iloc[0]
        assert k["mean"] == pytest.approx(row["cost"], rel=1e-12)
        half = 4.302652729911275 * row["sd"] / math.sqrt(3)  # t(0.975, 2)
        assert k["half_width"] == pytest.approx(half, rel=1e-9)
        assert f"{row['cost']:,.2f} ± {half:,.2f}" in html
        s = kpis[(kpis["mode"] == mode) & (kpis["period"] == "spike")
                 & (kpis["metric"] == "two_day_pct")].iloc[0]
        assert s["mean"] == pytest.approx(row["two_day"], rel=1e-12, nan_ok=True)
    # The break-even curve at the base volume is the base sensitivity runs' mean.
    be = pd.read_csv(out / "break_even.csv")
    base = store.query("""SELECT mode, avg(cost_per_order) AS c FROM runs
                          WHERE sweep = 'sensitivity' AND point = 'mode=' || mode
                          GROUP BY mode""").set_index("mode")["c"]
    at1 = be[be["multiplier"] == 1.0].set_index("mode")["mean"]
    pd.testing.assert_series_equal(at1.sort_index(), base.sort_index(), check_names=False)


def test_paired_differences_use_the_cheapest_mode_as_baseline(report):
    _, out, _ = report
    kpis = pd.read_csv(out / "kpis.csv")
    diffs = pd.read_csv(out / "differences.csv")
    cost = kpis[(kpis["period"] == "normal") & (kpis["metric"] == "cost_per_order")]
    best = cost.loc[cost["mean"].idxmin(), "mode"]
    d = diffs[(diffs["period"] == "normal") & (diffs["metric"] == "cost_per_order")]
    assert (d["baseline"] == best).all() and len(d) == len(MODES) - 1
    means = cost.set_index("mode")["mean"]
    for r in d.itertuples():  # the mean of paired differences is the difference of means
        assert r.mean == pytest.approx(means[r.mode] - means[best], rel=1e-9)
        assert r.mean > 0


def test_tornado_and_break_even_are_consistent(report):
    sc, out, _ = report
    plan = plan_compare(sc, CompareSettings(modes=MODES, replications=3,
                                            volumes=(0.5, 1.0, 1.5)))
    t = build_tables(plan, ResultStore(out / "store"))
    _bars, best, second, gap = tornado_bars(t.tornado)
    base = t.tornado[t.tornado["level"] == "base"].set_index("mode")["cost_per_order"]
    assert gap == pytest.approx(base[second] - base[best]) and gap > 0
    # Labour rate only moves modes with in-house labour; 3PL fees only modes with a 3PL.
    lab = t.tornado[t.tornado["assumption"] == "labour rate"].pivot_table(
        index="mode", columns="level", values="cost_per_order")
    assert lab.loc["in_house", "high"] > base["in_house"] > lab.loc["in_house", "low"]
    assert lab.loc["dropship", "high"] == pytest.approx(base["dropship"])
    assert set(t.break_even["multiplier"]) == {0.5, 1.0, 1.5}
    # Fixed rent spread over more orders: in-house gets cheaper per order with volume.
    ih = t.break_even[t.break_even["mode"] == "in_house"].set_index("multiplier")["mean"]
    assert ih[0.5] > ih[1.5]


def test_rerun_skips_everything_and_rebuilds_the_same_report(report):
    _sc, out, _ = report
    before = pd.read_csv(out / "kpis.csv")
    res = CliRunner().invoke(app, ["compare", str(out.parent / "client.yaml"), "--replications",
                                   "3", "--volumes", "0.5,1,1.5", "--out", str(out),
                                   "--workers", "0"])
    assert res.exit_code == 0, res.output
    assert "0 run(s) now" in res.output
    pd.testing.assert_frame_equal(before, pd.read_csv(out / "kpis.csv"))


def test_library_resumes_from_the_store_and_renders_the_same_report(report, tmp_path):
    """`sim.compare.run_compare` on the command's store runs nothing and returns the tables
    the command wrote; `sim.report.write_report` renders them without a store."""
    sc, out, _ = report
    plan = plan_compare(sc, CompareSettings(modes=MODES, replications=3,
                                            volumes=(0.5, 1.0, 1.5)))
    done = run_compare(plan, ResultStore(out / "store"), workers=0, progress=False)
    assert done.execution.ran == 0 and done.execution.skipped == len(plan.tasks)
    for name in ("kpis", "differences", "break_even", "tornado"):
        pd.testing.assert_frame_equal(getattr(done.tables, name).reset_index(drop=True),
                                      pd.read_csv(out / f"{name}.csv"), check_dtype=False)
    write_report(plan, done.tables, tmp_path)
    for name in ("report.md", "index.html", "kpis.csv", "tornado.csv"):
        assert (tmp_path / name).read_bytes() == (out / name).read_bytes(), name


def test_an_unknown_mode_is_a_named_field_error(tmp_path):
    res = CliRunner().invoke(app, ["compare", str(SCENARIOS / "us_one_node_in_house.yaml"),
                                   "--modes", "in_house,teleport", "--out", str(tmp_path)])
    assert res.exit_code == 2
    assert "--modes" in res.output and "teleport" in res.output
