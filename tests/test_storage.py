"""Storage capacity (sim.storage): locations by type, put-away into free room, overflow and
waiting at the dock when full, and their KPIs, costs and conservation."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pandas as pd
import pytest
import simpy
import yaml
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from pydantic import ValidationError
from typer.testing import CliRunner

from optimize.errors import InvalidInput
from sim.api import load_scenario, run, with_changes
from sim.preflight import preflight
from sim.scenario import DEFAULT_USABLE_M3, Storage
from sim.storage import NodeStorage, overflow_cost, storage_table, storage_types

SCENARIOS = Path(__file__).resolve().parents[1] / "scenarios"
SMALL = SCENARIOS / "validation_fill_rate_target.yaml"  # one node, SKUs A, B, C of 0.005 m3


def _small(days: int = 16, storage: dict | None = None):
    changes: dict = {"run.horizon_days": days, "run.warmup_days": 4}
    if storage is not None:
        changes["nodes[0].storage"] = storage
    return with_changes(load_scenario(SMALL), changes)


def _bins(count: int, when_full: str = "overflow", **overflow) -> dict:
    # 0.05 m3 bins hold 10 units of a 0.005 m3 SKU
    return {"locations": {"shelf_bins": {"count": count, "usable_m3": 0.05}},
            "when_full": when_full, "overflow": overflow}


def test_default_usable_volumes_are_the_stated_products():
    assert DEFAULT_USABLE_M3["pallet_positions"] == pytest.approx(1.44)
    assert DEFAULT_USABLE_M3["shelf_bins"] == pytest.approx(0.0576)
    s = Storage(locations={"pallet_positions": {"count": 3}})
    assert s.locations["pallet_positions"].usable_m3 == pytest.approx(1.44)


def test_locations_needed_for_a_known_sku_set():
    spec = Storage(locations={"pallet_positions": {"count": 10}, "shelf_bins": {"count": 20}})
    cube = np.array([0.001, 0.0048, 0.05, 0.5])
    names, kind, per, misfits = storage_types(spec, cube, np.ones(4, bool))
    assert names == ["shelf_bins", "pallet_positions"]  # smallest first
    # 0.0576 m3 bins: 57 units of 1 l, exactly 12 of 4.8 l (no rounding loss), 1 of 50 l;
    # a 0.5 m3 unit needs a 1.44 m3 pallet position: 2 fit
    assert kind.tolist() == [0, 0, 0, 1]
    assert per.tolist() == [57, 12, 1, 2]
    assert misfits == []
    on_hand = np.array([100, 25, 3, 5])
    store = NodeStorage(simpy.Environment(), spec, on_hand, cube, 0, lambda s, u: None)
    assert store.used(0) == 2 + 3 + 3  # ceil(100/57) + ceil(25/12) + 3
    assert store.used(1) == 3  # ceil(5/2)
    # room for SKU 1: 12 free bins x 12 + the slack of its third bin (36 - 25)
    assert store.room(1) == 12 * 12 + 11


def test_overflow_known_answer_unit_days_and_cost():
    """10 units arrive where 4 fit; room frees at 30 h, the hourly put-away calls the 6 back
    at 30 h, they are in their locations 2 days later (78 h): 6 x 78 / 24 = 19.5 unit-days."""
    env = simpy.Environment()
    spec = Storage(**_bins(1, cost_per_m3_day=2.0, handling_per_unit=0.5, transfer_days=2))
    on_hand = np.zeros(1, np.int64)
    shelved = []

    def shelve(sku: int, units: int) -> None:
        on_hand[sku] += units
        shelved.append((env.now, units))

    cube = np.array([0.0125])  # 4 per 0.05 m3 bin
    store = NodeStorage(env, spec, on_hand, cube, 0, shelve)
    store.start()
    took = store.admit(0, 10)
    on_hand[0] += took
    assert took == 4 and store.off_shelf == 6

    def sell_out():
        yield env.timeout(29.5)
        on_hand[0] = 0  # allocated: the bin frees

    env.process(sell_out())
    env.run(until=96.0)
    store.close(env.now, final=True)
    assert shelved == [(78.0, 4)]  # only 4 fit the freed bin; 2 stay out
    assert store.off_shelf == 2 == store.lots_units()
    table = storage_table(store.rows, ("n",))
    unit_days = 6 * 78 / 24 + 2 * (96 - 78) / 24
    assert table["off_shelf_unit_days"].sum() == pytest.approx(unit_days)
    assert table["off_shelf_m3_days"].sum() == pytest.approx(unit_days * 0.0125)
    assert table["units_in"].sum() == 6 and table["units_back"].sum() == 4
    assert table["used_peak"].max() == 1 and (table["occupancy_pct"] <= 100).all()
    cost = overflow_cost(spec.overflow, "n", table)
    assert cost["amount"].sum() == pytest.approx(2.0 * unit_days * 0.0125 + 0.5 * (6 + 4))


def test_large_storage_leaves_every_table_as_without():
    plain = run(_small(), 0)
    roomy = run(_small(storage=_bins(10_000)), 0)
    assert (roomy.tables["storage"]["off_shelf_units_end"] == 0).all()
    for name in ("orders", "shipments", "daily", "inbound", "hourly", "costs"):
        pd.testing.assert_frame_equal(plain.tables[name], roomy.tables[name], obj=name)
    assert "storage" not in plain.tables


@settings(max_examples=4, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(st.integers(min_value=40, max_value=160))
def test_wait_never_exceeds_capacity_and_conserves(count):
    """With `wait`, no day's peak of locations in use passes the count; run() raises if
    any unit is lost or made (units waiting at the dock are their own term)."""
    res = run(_small(12, _bins(count, "wait")), 0)
    table = res.tables["storage"]
    assert (table["used_peak"] <= count).all() and (table["peak_occupancy_pct"] <= 100).all()
    assert ((table["occupancy_pct"] >= 0) & (table["occupancy_pct"] <= 100)).all()
    assert len(table) == 12
    assert "overflow_storage" not in set(res.tables["costs"]["category"])


def test_overflow_conserves_counts_as_on_order_and_costs_by_rate():
    tight = _small(16, _bins(60, cost_per_m3_day=1.0, handling_per_unit=0.2))
    res = run(tight, 0)  # run() checks conservation with the overflow term
    table = res.tables["storage"]
    assert table["units_in"].sum() > 0 and table["peak_occupancy_pct"].max() == 100.0
    assert res.balance["units_off_shelf"] == table["off_shelf_units_end"].iloc[-1]
    costs = res.tables["costs"]
    paid = costs.loc[costs["category"] == "overflow_storage", "amount"].sum()
    assert paid == pytest.approx(table["off_shelf_m3_days"].sum() * 1.0
                                 + 0.2 * (table["units_in"] + table["units_back"]).sum())
    # Units in overflow count in the inventory position: the node orders no more than
    # without a ceiling (else it would buy the overflowing units again).
    free = run(_small(16), 0)
    ordered = res.tables["inbound"]["units"].sum()
    assert ordered <= free.tables["inbound"]["units"].sum() * 1.02


def test_bad_storage_input_names_field_node_and_sku(tmp_path):
    with pytest.raises(ValidationError, match=r"storage.locations.shelf_bins.count"):
        _small(storage=_bins(-1))
    with pytest.raises(ValidationError, match=r"locations.totes.usable_m3 is required"):
        _small(storage={"locations": {"totes": {"count": 5}}})
    with pytest.raises(ValidationError, match="dropship node holds no stock"):
        with_changes(_small(), {"nodes[0].mode": "dropship", "nodes[0].storage": _bins(5)})
    sc = _small(storage=_bins(10) | {"locations": {"shelf_bins": {"count": 10,
                                                                    "usable_m3": 0.001}}})
    with pytest.raises(InvalidInput) as err:
        preflight(sc)
    text = str(err.value)
    assert "nodes[0].storage.locations.shelf_bins.usable_m3" in text
    assert "'store'" in text and "SKU 'A'" in text
    with pytest.raises(InvalidInput, match="SKU 'A'"):
        run(sc, 0)
    path = tmp_path / "bad.yaml"
    path.write_text(yaml.safe_dump(sc.model_dump(mode="json")))
    from sim.cli.app import app

    out = CliRunner().invoke(app, ["validate", str(path)])
    assert out.exit_code == 2
    assert "usable_m3" in out.output and "SKU 'A'" in out.output


def test_bundled_prebuild_meets_the_ceiling():
    """The bundled Black Friday storage scenario, shortened to a quarter of the demand, SKUs
    and bins: the pre-build fills a node's bins (100 % before the spike starts on day 25),
    the overflow is paid for, and the run conserves units (run() checks)."""
    sc = load_scenario(SCENARIOS / "us_two_node_black_friday_storage.yaml")
    changes: dict = {"demand.orders_per_day": 1500, "skus.generator.count": 750}
    for i, node in enumerate(sc.nodes):
        bins = node.storage.locations["shelf_bins"].count
        changes[f"nodes[{i}].storage.locations.shelf_bins.count"] = round(bins / 4)
    res = run(with_changes(sc, changes), 0)
    table = res.tables["storage"]
    pre = table[(table["day"] >= 14) & (table["day"] < 25)]
    assert pre["peak_occupancy_pct"].max() == 100.0
    assert table["occupancy_pct"].between(0, 100).all()
    kpis = res.summary["storage"]
    assert sum(kpis["overflow_cost"].values()) > 0
    assert sum(k["days_at_capacity"] for k in kpis["by_type"].values()) > 0


def test_fulfil_run_writes_the_storage_table_and_plot(tmp_path):
    sc = _small(10, _bins(60))
    path = tmp_path / "s.yaml"
    path.write_text(yaml.safe_dump(sc.model_dump(mode="json")))
    from sim.cli.app import app

    out = tmp_path / "out"
    res = CliRunner().invoke(app, ["run", str(path), "--out", str(out)])
    assert res.exit_code == 0, res.output
    table = pd.read_parquet(out / "storage.parquet")
    assert len(table) == 10 and table["peak_occupancy_pct"].max() == 100.0
    assert (out / "storage_occupancy.png").stat().st_size > 0
    summary = yaml.safe_load((out / "summary.json").read_text())
    assert summary["kpis"]["storage"]["by_type"]["store.shelf_bins"]["locations"] == 60
