"""Errors and accuracy (sim.accuracy, sim.cycle_counts): a node without errors or drift runs
as without the section; pick errors and the scan check give the error share theory
predicts; cycle counts hold the record error where the counting frequency's model says;
QC rejects come back as replacement purchase orders; units are conserved throughout."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pandas as pd
import pytest
import yaml
from pydantic import ValidationError

from sim.accuracy import ACCURACY_TABLES, expected_error_share
from sim.api import run, with_changes
from sim.bundled import bundled_scenario
from sim.conservation import ConservationError, check_conservation
from sim.cycle_counts import abc_classes, expected_error_share_counted
from sim.model import Network
from sim.scenario import load_scenario
from sim.tables import build_tables

from .test_inbound_stages import REPLENISHED
from .test_record import SMALL

Z99 = 2.5758  # two-sided 99 % normal quantile


def _on_every_node(sc, accuracy: dict, extra: dict | None = None):
    changes = {f"nodes[{i}].accuracy": accuracy for i in range(len(sc.nodes))}
    return with_changes(sc, changes | (extra or {}))


def _within(observed: float, expected: float, half: float) -> bool:
    return abs(observed - expected) <= half


# ---------------------------------------------------------------- no errors, no drift


def test_zero_rates_change_no_table_and_give_100_pct():
    base = run(SMALL)
    r = run(_on_every_node(SMALL, {}))
    for name, table in base.tables.items():
        pd.testing.assert_frame_equal(r.tables[name], table, obj=name)
    a = r.summary["accuracy"]
    assert a["orders"] > 500
    for k in ("order_picking_accuracy_pct", "line_picking_accuracy_pct", "right_documents_pct",
              "damage_free_pct", "record_accuracy_by_location_pct",
              "record_accuracy_by_sku_pct"):
        assert a[k] == 100.0, k
    assert a["orders_shipped_with_error_pct"] == 0.0
    assert a["locations_in_error_time_pct"] == 0.0
    assert a["record_abs_error_units"] == a["written_off_units"] == a["reshipments"] == 0
    lost = (r.tables["sales"]["units_lost"] > 0).any()
    assert a["complete_pct"] == 100.0 or lost
    # every order is complete and rightly documented, so perfect = on time (same basis)
    if not lost:
        assert a["perfect_order_rate_pct"] == pytest.approx(r.summary["on_time_pct"])


def test_counts_without_drift_find_every_record_right():
    sc = _on_every_node(SMALL, {"cycle_counts": {"a_days": 1, "b_days": 2, "c_days": 3}})
    a = run(sc).summary["accuracy"]
    assert a["counts"] > 40  # every location at least once in the window
    assert a["inventory_count_accuracy_pct"] == 100.0
    assert a["count_abs_error_units_mean"] == 0.0
    assert a["count_labour_h"] == pytest.approx(a["counts"] * 60 / 3600)


# ---------------------------------------------------------------- pick errors and checks


def _error_share_check(p: float, catch: float) -> None:
    acc: dict = {"pick_error_per_line": p}
    if catch:
        acc["scan_check"] = {"catch_share": catch}
    r = run(_on_every_node(SMALL, acc, {"run.horizon_days": 8}))
    shipped = r.tables["accuracy"]
    lines = shipped["lines"].to_numpy()
    q = np.array([expected_error_share(p, np.array([n]), catch) for n in lines])
    errors = int(shipped["error"].sum())
    # a sum of independent Bernoulli trials: its 99 % interval around the expected count
    half = Z99 * np.sqrt((q * (1 - q)).sum())
    assert len(shipped) > 1500 and lines.max() > 1  # several line counts, enough orders
    assert _within(errors, q.sum(), half), (errors, q.sum(), half)
    return shipped


def test_error_share_without_a_check_is_one_minus_one_minus_p_to_the_lines():
    shipped = _error_share_check(0.05, 0.0)
    assert shipped["caught"].sum() == 0 and (shipped["attempts"] == 1).all()
    # the error kinds split by wrong_item_share (0.5) within its 99 % interval
    n = int(shipped[["wrong_item", "wrong_qty"]].to_numpy().sum())
    assert _within(shipped["wrong_item"].sum(), n / 2, Z99 * np.sqrt(n / 4))


def test_a_scan_check_catches_its_share_and_repicks():
    shipped = _error_share_check(0.05, 0.8)
    # every catch sends the shipment back to picking once
    assert (shipped["attempts"] - 1 == shipped["caught"]).all()
    assert shipped["caught"].sum() > 50


def test_expected_error_share_formula():
    assert expected_error_share(0.1, np.array([1, 2])) == pytest.approx((0.1 + 0.19) / 2)
    # a perfect check leaves no error; no check leaves them all
    assert expected_error_share(0.1, np.array([3]), 1.0) == pytest.approx(0.0)
    assert expected_error_share(0.1, np.array([3]), 1e-12) == pytest.approx(1 - 0.9**3)


def test_undetected_errors_come_back_and_are_reshipped():
    r = run(_on_every_node(SMALL, {"pick_error_per_line": 0.05, "pack_error_per_shipment": 0.05,
                                   "reship_handling_cost": 4.0},
                           {"run.horizon_days": 8}))
    acc, ships = r.tables["accuracy"], r.tables["shipments"].set_index("shipment")
    wrong = acc[acc["error"]]
    assert len(wrong) > 50 and wrong["wrong_label"].sum() > 5
    # a reshipment per shipment with an error, at its carrier cost plus the handling
    cost = ships.loc[wrong["shipment"], "shipping_cost"].to_numpy() + 4.0
    np.testing.assert_allclose(wrong["reship_cost"].to_numpy(), cost)
    assert (acc.loc[~acc["error"], "reship_cost"] == 0).all()
    # a wrong label brings the whole parcel back
    label = acc[acc["wrong_label"]]
    assert (ships.loc[label["shipment"], "returned_units"].to_numpy()
            == label["units"].to_numpy()).all()
    # the shipments table's returns hold the error returns
    assert (ships.loc[acc["shipment"], "returned_units"].to_numpy()
            >= acc["returned_units"].to_numpy()).all()


# ---------------------------------------------------------------- drift and cycle counts


def test_cycle_counts_bound_the_record_error_as_the_model_predicts():
    """Model: drift events at each location form a Poisson process of rate l per day; a
    count every T days sets the record to the shelf. From a count the location is exact
    until the next event (exponential, mean 1/l), so over a cycle it is in error for
    T - (1 - e^{-lT})/l of T: a time-average share 1 - (1 - e^{-lT})/(lT). Locations are
    independent, so the mean of their shares over whole cycles has a normal 99 % interval
    from the spread between them."""
    rate, days, warm, cycles = 0.05, 7, 7, 4
    sc = _on_every_node(SMALL, {
        "drift_per_location_day": rate,
        "cycle_counts": {"crew": "counters", "a_days": days, "b_days": days, "c_days": days,
                         "s_per_location": {"mean": 1.0}, "on_discrepancy": False}},
        {"run.horizon_days": warm + cycles * days, "run.warmup_days": warm,
         "skus.generator.count": 300, "demand.orders_per_day": 100,
         # ample stock, so no shelf runs empty and no pick finds less than the record
         **{f"nodes[{i}].stock_multiplier": 4.0 for i in range(len(SMALL.nodes))},
         **{f"nodes[{i}].resources.counters": {"count": 4, "shifts": [[0, 24]]}
            for i in range(len(SMALL.nodes))}})
    r = run(sc)
    a = r.summary["accuracy"]
    assert a["pick_exceptions"] == 0  # the model's premise: nothing else restores exactness
    locs = r.tables["locations"]
    share = locs["error_h"] / locs["window_h"]
    assert len(locs) > 400
    expected = expected_error_share_counted(rate, days)
    half = Z99 * share.std(ddof=1) / np.sqrt(len(share))
    assert _within(share.mean(), expected, half), (share.mean(), expected, half)
    assert a["locations_in_error_time_pct"] == pytest.approx(100 * share.mean())
    # counting twice as often would halve it, roughly: the bound moves with T
    assert expected_error_share_counted(rate, days / 2) < 0.55 * expected


def test_a_pick_that_finds_less_waits_and_corrects_the_record():
    # heavy shrinkage on half the stock: shelves run out before the record says so
    sc = _on_every_node(SMALL, {"drift_per_location_day": 3.0, "shrinkage_share": 1.0,
                                "damage_share": 0.0},
                        {"run.horizon_days": 8,
                         **{f"nodes[{i}].stock_multiplier": 0.5
                            for i in range(len(SMALL.nodes))}})
    r = run(sc)
    counts = r.tables["counts"]
    exceptions = counts[counts["reason"] == "exception"]
    assert len(exceptions) > 20
    # the record is set to the shelf: every lost unit is written off, nothing found
    assert (exceptions["physical"] == exceptions["record"] - exceptions["written_off"]).all()
    assert (exceptions["found"] == 0).all()
    assert r.summary["accuracy"]["pick_exceptions"] == len(exceptions)


def test_shrinkage_is_a_sink_the_conservation_check_counts():
    sc = _on_every_node(SMALL, {"drift_per_location_day": 0.3,
                                "cycle_counts": {"a_days": 2, "b_days": 3, "c_days": 4}},
                        {"run.horizon_days": 8})
    net = Network(sc)
    net.run()
    tables = build_tables(net.record)
    balance = check_conservation(net.record, tables)
    assert balance["units_created"] > 0
    assert tables["counts"]["written_off"].sum() > 0
    assert tables["counts"]["found"].sum() > 0
    # the check can fail: a drift event off the record, or a write-off it does not know of
    dropped = {**tables, "drift": tables["drift"].iloc[1:]}
    with pytest.raises(ConservationError, match="drifted off the shelf"):
        check_conservation(net.record, dropped)
    counts = tables["counts"].copy()
    counts.loc[counts["written_off"].idxmax(), "written_off"] -= 1
    with pytest.raises(ConservationError, match="stock balance"):
        check_conservation(net.record, {**tables, "counts": counts})


def test_abc_classes_by_demand_share():
    pop = np.array([0.5, 0.3, 0.1, 0.05, 0.05])
    assert abc_classes(pop, 0.8, 0.95).tolist() == [0, 0, 1, 1, 2]
    # ties keep their order: the first of the two 0.05 SKUs is A, the second B
    assert abc_classes(pop[::-1], 0.8, 0.95).tolist() == [1, 2, 1, 0, 0]


# ---------------------------------------------------------------- QC rejects


@pytest.mark.parametrize("stages", [False, True])
def test_qc_rejects_come_back_as_replacement_orders(stages: bool):
    if stages:
        extra = {"nodes[0].resources.qc_inspectors": {"count": 2, "shifts": [[0, 24]]},
                 "nodes[0].inbound_stages": [
                     {"name": "receive", "crew": "receivers", "s_per_line": {"mean": 60.0}},
                     {"name": "qc", "crew": "qc_inspectors", "s_per_line": {"mean": 120.0},
                      "reject_share": 0.3}]}
        sc = with_changes(REPLENISHED, extra)
    else:
        sc = with_changes(REPLENISHED, {"nodes[0].process_times.qc_share": 1.0,
                                        "nodes[0].accuracy": {"qc_reject_share": 0.3}})
    r = run(sc)  # conservation holds, or run raises
    inbound, rejects = r.tables["inbound"], r.tables["qc_rejects"]
    assert len(rejects) > 10
    assert inbound["rejected"].sum() == len(rejects)
    assert inbound.loc[inbound["rejected"], "putaway_h"].isna().all()
    # each rejected line is ordered again, in full, as a purchase order of its own
    again = inbound.set_index("po").loc[rejects["replacement_po"]]
    assert (again["units"].to_numpy() == rejects["units"].to_numpy()).all()
    assert (again["sku"].to_numpy() == rejects["sku"].to_numpy()).all()
    assert rejects["units"].sum() == inbound.loc[inbound["rejected"], "units"].sum()


# ---------------------------------------------------------------- bad input


def test_an_unknown_crew_is_named():
    with pytest.raises(ValidationError, match="accuracy: crew 'counters' is not a crew"):
        _on_every_node(SMALL, {"cycle_counts": {"crew": "counters"}})
    with pytest.raises(ValidationError, match="shrinkage_share"):
        _on_every_node(SMALL, {"shrinkage_share": 0.8, "damage_share": 0.5})
    stages = [{"name": "qc", "crew": "receivers", "s_per_line": {"mean": 60.0}}]
    with pytest.raises(ValidationError, match="give the QC stage a reject_share"):
        with_changes(SMALL, {"nodes[0].inbound_stages": stages,
                             "nodes[0].accuracy": {"qc_reject_share": 0.1}})


# ---------------------------------------------------------------- the README's example, streamed


def test_the_readme_example_is_a_valid_node():
    text = (Path(__file__).resolve().parents[1] / "README.md").read_text()
    block = text.split("(`accuracy:`)")[1].split("```yaml")[1].split("```")[0]
    node = yaml.safe_load(block)["nodes"][0]
    sc = load_scenario(bundled_scenario("us_one_node_in_house.yaml"))
    resources = {**sc.nodes[0].resources.model_dump(), **node["resources"]}
    sc = with_changes(sc, {"nodes[0].resources": resources,
                           "nodes[0].accuracy": node["accuracy"]})
    acc = sc.nodes[0].accuracy
    assert acc.scan_check.crew == "checkers" and acc.cycle_counts.c_days == 365


def test_a_streamed_run_gives_the_same_accuracy(tmp_path):
    sc = _on_every_node(SMALL, {"pick_error_per_line": 0.05, "drift_per_location_day": 0.2,
                                "cycle_counts": {"a_days": 2}}, {"run.horizon_days": 5})
    memory, disk = run(sc), run(sc, stream_to=tmp_path)
    assert disk.summary["accuracy"] == memory.summary["accuracy"]
    pd.testing.assert_frame_equal(disk.tables["counts"], memory.tables["counts"])


def test_write_offs_balance_across_an_echelon_network():
    """The DC feeding two forward nodes: units the counts and pick exceptions write off
    leave the network's balance too (run raises ConservationError otherwise)."""
    sc = load_scenario(bundled_scenario("us_dc_two_fc.yaml"))
    sc = _on_every_node(sc, {"drift_per_location_day": 0.2, "cycle_counts": {"a_days": 3}},
                        {"run.horizon_days": 6, "run.warmup_days": 1})
    a = run(sc).summary["accuracy"]
    assert a["written_off_units"] > 0 and a["pick_exceptions"] > 0


def test_a_run_writes_its_accuracy_tables(tmp_path):
    r = run(_on_every_node(SMALL, {"pick_error_per_line": 0.05}, {"run.horizon_days": 3}))
    written = {p.name for p in r.write(tmp_path)}
    assert {f"{n}.parquet" for n in ACCURACY_TABLES} <= written
    back = pd.read_parquet(tmp_path / "accuracy.parquet")
    assert len(back) == len(r.tables["accuracy"]) and back["error"].sum() > 0
