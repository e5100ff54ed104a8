"""A run streamed to disk (`run(..., stream_to=folder)`) gives the same tables, KPIs and
conservation balance as a run in memory, bit for bit, while holding only a few columns of its
large tables at a time; the row spool and the column tables it uses keep every value."""

from __future__ import annotations

import json

import numpy as np
import pandas as pd
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from sim.api import TABLES, run, with_changes
from sim.conservation import ConservationError
from sim.node import NodeSim
from sim.record.column_table import ColumnTable
from sim.record.columns import RowBuffer
from sim.scenario import load_scenario

from .conftest import SCENARIOS


def _same_run(scenario, tmp_path):
    memory = run(scenario)
    streamed = run(scenario, stream_to=tmp_path / "streamed")
    memory.write(tmp_path / "memory")
    streamed.write(tmp_path / "streamed")
    for name in [*TABLES, "order_lines"]:
        pd.testing.assert_frame_equal(pd.read_parquet(tmp_path / "memory" / f"{name}.parquet"),
                                      pd.read_parquet(tmp_path / "streamed" / f"{name}.parquet"),
                                      check_exact=True, obj=name)
    assert json.dumps(memory.summary, sort_keys=True, default=str) == json.dumps(
        streamed.summary, sort_keys=True, default=str)
    assert memory.balance == streamed.balance
    # The large tables read back on first use, as the in-memory ones are.
    pd.testing.assert_frame_equal(memory.orders, streamed.orders, check_exact=True)
    pd.testing.assert_frame_equal(memory.shipments, streamed.shipments, check_exact=True)
    assert not list((tmp_path / "streamed").glob(".rows-*"))  # the spool is gone
    return memory, streamed


def test_streamed_two_node_black_friday_is_the_in_memory_run(tmp_path):
    sc = with_changes(load_scenario(SCENARIOS / "us_two_node_black_friday.yaml"),
                      {"run.horizon_days": 12})
    memory, _ = _same_run(sc, tmp_path)
    assert memory.summary["split_shipment_pct"] > 0  # split orders were merged per order
    assert memory.shipments["returned_units"].sum() > 0  # returns were merged in


def test_streamed_eight_nodes_with_three_way_splits_is_the_in_memory_run(tmp_path):
    # Orders split over three or more nodes sum three or more shipments per order.
    sc = with_changes(load_scenario(SCENARIOS / "us_eight_node_black_friday.yaml"),
                      {"run.horizon_days": 6, "run.warmup_days": 1})
    _same_run(sc, tmp_path)


def test_a_streamed_result_written_elsewhere_copies_its_files(tmp_path):
    sc = with_changes(load_scenario(SCENARIOS / "us_one_node_in_house.yaml"),
                      {"run.horizon_days": 8, "run.warmup_days": 1})
    streamed = run(sc, stream_to=tmp_path / "a")
    written = streamed.write(tmp_path / "b")
    assert {p.name for p in written} >= {f"{t}.parquet" for t in TABLES} | {"summary.json"}
    assert len(pd.read_parquet(tmp_path / "b" / "orders.parquet")) == len(streamed.orders)
    assert "orders" in streamed.tables and streamed.order_lines is not None


def test_a_lost_shipment_is_caught_when_streamed(monkeypatch, tmp_path):
    from .test_record import SMALL, _drop_first

    monkeypatch.setattr(NodeSim, "_after_stage", _drop_first(NodeSim._after_stage))
    with pytest.raises(ConservationError, match="units: created"):
        run(SMALL, stream_to=tmp_path)


@settings(max_examples=25, deadline=None)
@given(st.lists(st.tuples(st.integers(-5, 10**6), st.floats(allow_nan=True)), max_size=60),
       st.integers(1, 7))
def test_a_spooled_row_buffer_keeps_every_row_in_order(tmp_path_factory, rows, chunk):
    spool = tmp_path_factory.mktemp("spool")
    memory = RowBuffer([("n", "i8"), ("x", "f8")], chunk=chunk)
    disk = RowBuffer([("n", "i8"), ("x", "f8")], chunk=chunk, spool=spool)
    for r in rows:
        memory.append(r)
        disk.append(r)
    assert len(disk) == len(rows)
    for name in ("n", "x"):
        np.testing.assert_array_equal(disk.column(name), memory.column(name))
    whole = disk.array()
    for name in ("n", "x"):
        np.testing.assert_array_equal(whole[name], memory.column(name))
    disk.clear()
    assert not list(spool.iterdir())


@settings(max_examples=25, deadline=None)
@given(st.lists(st.one_of(st.none(), st.sampled_from(["a", "b", "delivered"])), min_size=1,
                max_size=40).filter(lambda t: any(t)),
       st.integers(1, 9))
def test_column_table_on_disk_keeps_text_and_missing_values(tmp_path_factory, text, group):
    folder = tmp_path_factory.mktemp("columns")
    values = np.array([np.nan if t is None else t for t in text], dtype=object)
    numbers = np.arange(len(text), dtype=float) / 3.0
    tables = [ColumnTable(), ColumnTable(folder / "t")]
    for t in tables:
        t.put("text", values)
        t.put("x", numbers)
    memory, disk = (t.frame() for t in tables)
    pd.testing.assert_frame_equal(memory, disk, check_exact=True)
    # Written a few rows at a time: a text column empty in the first group is still text.
    path = tables[1].write_parquet(folder / "t.parquet", rows_per_group=group)
    pd.testing.assert_frame_equal(pd.read_parquet(path), memory, check_exact=True)
    codes, uniques = tables[1].codes("text")
    assert [None if c < 0 else uniques[c] for c in codes] == text


def test_fulfil_run_streams_its_tables_and_plots_from_the_columns_they_read(tmp_path):
    from typer.testing import CliRunner

    from sim.cli import app

    out = tmp_path / "run"
    res = CliRunner().invoke(app, ["run", str(SCENARIOS / "us_one_node_in_house.yaml"),
                                   "--days", "9", "--out", str(out)])
    assert res.exit_code == 0, res.output
    assert {f"{t}.parquet" for t in TABLES} <= {p.name for p in out.iterdir()}
    assert (out / "on_time.png").stat().st_size > 0 and (out / "summary.json").exists()
    assert not list(out.glob(".rows-*"))
