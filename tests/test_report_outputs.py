"""The comparison report as a client gets it: readable names in its tables and findings, its
tables as one Excel workbook, and the page in a real (headless) browser."""

from __future__ import annotations

import os
import re
from html.parser import HTMLParser

import numpy as np
import pandas as pd
import pytest

import sim.cli.compare_command  # noqa: F401  (registers `fulfil compare`)
from sim.labels import MODE_LABELS
from sim.report import LABELS
from sim.report_browser import chromium_path, open_report

from .conftest import compare_cli

SMALL = {"run.horizon_days": 10, "run.warmup_days": 2, "demand.orders_per_day": 120,
         "skus.generator.count": 60,
         "demand.spikes": [{"name": "peak", "start_day": 7, "duration_days": 2,
                            "multiplier": 3.0}]}
MODES = ("3pl", "in_house", "dropship")  # given out of order on purpose


class _Tables(HTMLParser):
    """Header cells and body cells of the page's tables."""

    def __init__(self):
        super().__init__()
        self.headers: list[str] = []
        self.cells: list[str] = []
        self._in: str | None = None

    def handle_starttag(self, tag, attrs):
        self._in = tag if tag in ("th", "td") else self._in

    def handle_endtag(self, tag):
        self._in = None if tag in ("th", "td") else self._in

    def handle_data(self, data):
        if self._in == "th":
            self.headers.append(data.strip())
        elif self._in == "td":
            self.cells.append(data.strip())


@pytest.fixture(scope="module")
def report(tmp_path_factory):
    _, out, _ = compare_cli(tmp_path_factory.mktemp("report"), SMALL, "--modes",
                            ",".join(MODES), "--replications", "2", "--volumes", "0.5,1")
    return out


def test_tables_and_findings_name_modes_and_costs_as_a_client_reads_them(report):
    page = (report / "index.html").read_text(encoding="utf-8")
    t = _Tables()
    t.feed(page)
    modes_shown = [h for h in t.headers if h in MODE_LABELS.values()]
    assert len(modes_shown) >= 6  # one KPI table per period
    assert modes_shown == ["In-house", "3PL", "Dropship"] * (len(modes_shown) // 3)
    assert not {"in_house", "3pl"} & set(t.headers)
    costs = [c.removeprefix("cost: ") for c in t.cells if c.startswith("cost: ")]
    assert "3PL pick & pack" in costs and "Labour" in costs
    assert not [c for c in costs if "_" in c]
    for name in re.findall(r"<b>(.+?)</b>", page.split("<h2>Findings</h2>")[1].split("<h2>")[0]):
        assert name not in MODE_LABELS  # a mode in bold is its label, never its code


def test_the_workbook_opens_with_a_sheet_per_csv_and_the_same_numbers(report):
    from openpyxl import load_workbook

    from sim.report_tables import SHEETS

    path = report / "report.xlsx"
    wb = load_workbook(path, read_only=True)
    assert wb.sheetnames == ["About", *SHEETS.values()]
    wb.close()
    for csv, sheet in SHEETS.items():
        want = pd.read_csv(report / csv)
        got = pd.read_excel(path, sheet_name=sheet)
        assert len(got) == len(want), sheet
        if csv == "runs.csv":
            assert list(got.columns) == list(want.columns)
        else:  # readable headers: no code name, units said
            assert not [c for c in got.columns if "_" in str(c)], (sheet, list(got.columns))
        num_want = want.select_dtypes("number")
        num_got = got.select_dtypes("number")
        assert num_got.shape == num_want.shape, sheet
        np.testing.assert_allclose(num_got.to_numpy(float), num_want.to_numpy(float),
                                   rtol=1e-12, equal_nan=True, err_msg=sheet)
    kpis = pd.read_excel(path, sheet_name="KPIs")
    assert {"Mode", "KPI", "Unit", "95 % CI half-width"} <= set(kpis.columns)
    assert set(kpis["Mode"]) == {"In-house", "3PL", "Dropship"}
    units = dict(zip(kpis["KPI"], kpis["Unit"], strict=False))
    assert units[LABELS["cost_per_order"]] == "USD per order"
    assert units[LABELS["on_time_pct"]] == "%"
    be = pd.read_excel(path, sheet_name="Break-even")
    assert "Mean cost per order (USD)" in be.columns


def _chromium_or_skip() -> None:
    if chromium_path() is not None:
        return
    if os.environ.get("CI"):
        pytest.fail("CI must have chromium: .ci/run installs it (apt-get install -y chromium)")
    pytest.skip("chromium is not installed (apt-get install -y chromium): the report is not "
                "checked in a real browser")


def test_the_report_renders_in_chromium_with_no_error_and_no_request(report, tmp_path):
    _chromium_or_skip()
    shot = tmp_path / "report.png"
    seen = open_report(report / "index.html", shot, width_px=1100, shot_height_px=1200)
    assert seen.console_errors == [] and seen.page_errors == []
    assert seen.outside_requests == []
    assert seen.title.startswith("Fulfilment comparison")
    html = (report / "index.html").read_text(encoding="utf-8")
    assert seen.images_broken == 0 and seen.images_loaded == html.count("<img ") >= 6
    assert seen.height_px > 2000  # tables and charts laid out, not an empty page
    # cost charts (one per period) and the break-even curve are drawn by the page's script
    assert seen.interactive_charts == html.count('class="plotly-graph-div"') >= 4
    assert "In-house" in seen.first_hover and "USD/order" in seen.first_hover
    assert (report / "network_map.png").read_bytes()[:4] == b"\x89PNG"
    assert '<img alt="The network: nodes, demand points' in html
    png = shot.read_bytes()
    assert png[:8] == b"\x89PNG\r\n\x1a\n"
    assert int.from_bytes(png[16:20], "big") == 1100  # width from the PNG header
    assert int.from_bytes(png[20:24], "big") == 1200


def test_the_browser_check_sees_a_request_and_a_console_error(tmp_path):
    _chromium_or_skip()
    page = tmp_path / "bad.html"
    page.write_text('<!DOCTYPE html><html><head><title>bad</title></head><body>'
                    '<img src="https://example.invalid/x.png"><script>console.error("boom");'
                    "</script></body></html>", encoding="utf-8")
    seen = open_report(page)
    assert seen.outside_requests == ["https://example.invalid/x.png"]
    assert "boom" in seen.console_errors and seen.images_broken == 1


def test_the_page_carries_plotly_once_and_loads_nothing(report, tmp_path):
    html = (report / "index.html").read_text(encoding="utf-8")
    assert html.count("window.PlotlyConfig") == 1  # plotly.js inlined once for every chart
    assert not re.search(r"<(script|link|iframe)[^>]+(src|href)=", html)
    assert not re.search(r"<img[^>]+src=\"(?!data:)", html)
    # without the interactive charts every figure is a picture and plotly is not there
    from sim.compare import CompareSettings, build_tables, plan_compare
    from sim.report import write_report
    from sim.scenario import load_scenario
    from sim.store import ResultStore

    plan = plan_compare(load_scenario(report.parent / "client.yaml"),
                        CompareSettings(modes=MODES, replications=2, volumes=(0.5, 1.0)))
    t = build_tables(plan, ResultStore(report / "store"))
    write_report(plan, t, tmp_path, interactive=False)
    static = (tmp_path / "index.html").read_text(encoding="utf-8")
    assert "Plotly" not in static
    assert static.count("<img ") == len(list(tmp_path.glob("*.png")))
    assert len(static) < len(html) / 3
