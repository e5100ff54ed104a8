"""The results store: one row per key, atomic writes, DuckDB over differing columns."""

from __future__ import annotations

import math

from hypothesis import given, settings
from hypothesis import strategies as st

from sim.store import ResultStore


def test_empty_store_has_no_rows(tmp_path):
    store = ResultStore(tmp_path / "nothing")
    assert len(store) == 0 and store.keys() == set() and store.table().empty
    assert store.query("SELECT count(*) AS n FROM runs")["n"][0] == 0


def test_rows_with_different_columns_union_by_name(tmp_path):
    store = ResultStore(tmp_path)
    store.write({"key": "a", "status": "ok", "mode": "in_house", "replication": 0,
                 "cost_per_order": 5.0, "cost_per_order_by_category.labour": 2.0})
    store.write({"key": "b", "status": "ok", "mode": "3pl", "replication": 0,
                 "cost_per_order": 7.0, "cost_per_order_by_category.3pl_pick_pack": 3.5})
    store.write({"key": "c", "status": "error", "mode": "3pl", "replication": 1,
                 "error": "ValueError: boom"})
    df = store.table()
    assert list(df["key"]) == ["b", "c", "a"]  # ordered by mode, then replication
    assert math.isnan(df.set_index("key").loc["a", "cost_per_order_by_category.3pl_pick_pack"])
    assert store.keys() == {"a", "b"} and store.keys(None) == {"a", "b", "c"}
    got = store.query('SELECT avg(cost_per_order) AS m FROM runs WHERE status = ?', ["ok"])
    assert got["m"][0] == 6.0
    assert list(store.table(["c"])["key"]) == ["c"]
    assert "cost_per_order" not in store.table(["c"]).columns  # empty columns dropped


@settings(max_examples=25, deadline=None)
@given(st.lists(st.tuples(st.sampled_from("abcdef"), st.floats(-1e6, 1e6)), max_size=30))
def test_rewrites_keep_one_row_per_key_holding_the_last_value(writes):
    import tempfile

    with tempfile.TemporaryDirectory() as tmp:
        store = ResultStore(tmp)
        last = {}
        for key, value in writes:
            store.write({"key": key, "status": "ok", "value": value})
            last[key] = value
        df = store.table()
        assert len(store) == len(last) == len(df)
        if last:
            assert dict(zip(df["key"], df["value"], strict=True)) == last
        assert not list(store.runs_dir.glob(".*"))  # no temporary file left behind
