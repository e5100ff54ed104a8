"""Inbound stations as data: a node's receiving split into receive, QC and put-away stations
on their own crews, added in the scenario alone. Units are conserved through each station,
the crews' hours and wages appear like the built-in crews', and the queues behave as queues."""

from __future__ import annotations

import numpy as np
import pytest

from sim.api import run, with_changes
from sim.conservation import ConservationError
from sim.node import NodeSim

from .conftest import SCENARIOS
from .test_record import SMALL, _drop_first

NODE = SMALL.nodes[0].id
RECEIVE_S, QC_S, PUTAWAY_S, QC_SHARE = 120.0, 300.0, 90.0, 0.25
# Daily review, a two-day lead time: purchase orders reach the dock from day 2 on.
REPLENISHED = with_changes(SMALL, {
    "run.horizon_days": 9, "inventory.review_period_days": 1,
    "inventory.supplier": {"lead_time_days_mean": 2.0, "lead_time_days_sd": 0.0},
})


def _stations(putaway_count: int = 2) -> dict[str, object]:
    """Receive on the receivers, QC of a sampled share on qc_inspectors, put-away on
    putaway_crew; every time fixed, so each crew's busy hours are known exactly."""
    return {
        f"nodes[0].resources.{crew}": {"count": count, "shifts": [[0, 24]]}
        for crew, count in (("qc_inspectors", 1), ("putaway_crew", putaway_count))
    } | {"nodes[0].inbound_stages": [
        {"name": "receive", "crew": "receivers", "s_per_line": {"mean": RECEIVE_S}},
        {"name": "qc", "crew": "qc_inspectors", "share": QC_SHARE,
         "s_per_line": {"mean": QC_S}},
        {"name": "putaway", "crew": "putaway_crew", "s_per_line": {"mean": PUTAWAY_S}},
    ]}


def _busy_h(r, crew: str) -> float:
    daily = r.daily[r.daily["node"] == NODE].sort_values("t_h")
    return float(daily[f"{crew}_busy_h"].iloc[-1])


def test_separate_qc_and_putaway_crews_run_and_show_their_hours():
    base, r = run(REPLENISHED), run(with_changes(REPLENISHED, _stations()))
    inbound = r.inbound[r.inbound["node"] == NODE]
    docked = inbound["dock_h"].notna()
    stored = inbound["putaway_h"].notna()
    assert stored.sum() > 100  # enough lines for the checks below to mean something
    # Put-away: PUTAWAY_S for every line put away, plus at most the lines in service now.
    in_service = int((docked & ~stored).sum())
    busy = _busy_h(r, "putaway_crew")
    assert stored.sum() * PUTAWAY_S / 3600 - 1e-9 <= busy
    assert busy <= (stored.sum() + min(in_service, 2)) * PUTAWAY_S / 3600 + 1e-9
    # QC samples its share of the lines: a binomial count, within four standard deviations.
    qc_lines = _busy_h(r, "qc_inspectors") * 3600 / QC_S
    n = int(docked.sum())
    assert abs(qc_lines - n * QC_SHARE) <= 4 * np.sqrt(n * QC_SHARE * (1 - QC_SHARE)) + 1
    # Per-stage times: each stage after the one before, put-away's the put-away time, QC
    # only on the lines it sampled.
    done = inbound[stored]
    np.testing.assert_array_equal(done["putaway_done_h"], done["putaway_h"])
    assert (done["receive_done_h"] >= done["dock_h"] + RECEIVE_S / 3600 - 1e-9).all()
    qc = done["qc_done_h"].notna()
    assert (done.loc[qc, "qc_done_h"] >= done.loc[qc, "receive_done_h"] + QC_S / 3600
            - 1e-9).all()
    assert (done["putaway_h"] >= done[["receive_done_h", "qc_done_h"]].max(axis=1)
            + PUTAWAY_S / 3600 - 1e-9).all()
    assert 0 < qc.sum() < len(done)
    assert "putaway_done_h" not in base.inbound  # only nodes with stages have the columns
    # Both crews in the utilisation table (busy within available), with their wages.
    util = r.utilisation[r.utilisation["node"] == NODE].set_index("resource")
    for crew in ("qc_inspectors", "putaway_crew"):
        assert 0 < util.loc[crew, "busy_h"] <= util.loc[crew, "available_h"]
        assert 0 < r.summary["utilisation"][f"{NODE}.{crew}"] <= 1
    labour = [x.costs[(x.costs["category"] == "labour") & (x.costs["node"] == NODE)]
              .set_index("day")["amount"] for x in (base, r)]
    rate = SMALL.costs.in_house.labour_per_hour
    # three more workers on duty around the clock, every day
    extra = labour[1].sub(labour[0], fill_value=0.0).to_numpy()
    np.testing.assert_allclose(extra, 3 * 24.0 * rate, rtol=1e-9)
    # the other node keeps one receivers' job per line and none of the new crews' hours
    other = r.daily[r.daily["node"] != NODE]
    assert (other["putaway_crew_staffed_h"] == 0).all()


def test_dock_to_stock_grows_when_the_putaway_crew_is_cut():
    """A queue: one put-away worker instead of four holds lines longer at the dock."""
    full, cut = (run(with_changes(REPLENISHED, _stations(k))) for k in (4, 1))
    hours = [x.inbound.loc[x.inbound["node"] == NODE, "dock_to_stock_h"].dropna()
             for x in (full, cut)]
    assert hours[1].mean() > hours[0].mean()
    # each line spends at least its fixed receive and put-away times between dock and stock
    assert hours[0].min() >= (RECEIVE_S + PUTAWAY_S) / 3600 - 1e-9


def test_a_line_lost_between_inbound_stations_is_caught(monkeypatch):
    monkeypatch.setattr(NodeSim, "_after_inbound", _drop_first(NodeSim._after_inbound))
    with pytest.raises(ConservationError, match="inbound"):
        run(with_changes(REPLENISHED, _stations()))


def test_the_split_conserves_units_through_every_station():
    """The put-away crew stops on day 4, so the run ends with lines inside the stations;
    run() checks that ordered units = put away + in the stations (counted from their
    queues and service) + with the supplier, and raises if not."""
    stop = {"kind": "capacity_cut", "node": NODE, "resource": "putaway_crew",
            "start_day": 4, "duration_days": 5, "capacity_share": 0.0}
    r = run(with_changes(REPLENISHED, {**_stations(), "disruptions": [stop]}))
    b = r.balance
    inbound = r.inbound[r.inbound["node"] == NODE]
    waiting = inbound[inbound["dock_h"].notna() & inbound["putaway_h"].isna()]
    assert len(waiting) > 10  # the run ends with lines inside the stations
    assert inbound["putaway_h"].max() < 24.0 * 4 + PUTAWAY_S / 3600 + 1e-9
    assert b["units_created"] == (b["units_delivered"] + b["units_in_process"]
                                  + b["units_backordered"] + b["units_cancelled"])


@pytest.mark.parametrize("change, message", [
    ({"nodes[0].inbound_stages": [{"name": "qc", "crew": "qc_team",
                                   "s_per_line": {"mean": 3}}]},
     "inbound_stages[0].crew 'qc_team' is not a crew"),
    ({"nodes[0].inbound_stages": [{"name": "qc", "crew": "receivers",
                                   "s_per_line": {"mean": 3}}] * 2},
     "inbound_stages[1].name 'qc' is given twice"),
    ({"nodes[0].resources.qc_inspectors": {"count": 1}},
     "resources.qc_inspectors is a crew no stage uses"),
    ({"nodes[0].inbound_stages": [{"name": "qc", "crew": "receivers",
                                   "s_per_line": {"mean": 3}}],
      "nodes[0].process_times.qc_share": 0.5},
     "process_times.qc_share is not used when inbound_stages"),
    ({"nodes[0].inbound_stages": [{"name": "qc", "crew": "receivers",
                                   "s_per_line": {"mean": 3}, "share": 1.5}]},
     "less than or equal to 1"),
])
def test_a_misnamed_inbound_station_is_rejected_by_name(change, message):
    with pytest.raises(ValueError, match=message.replace("[", r"\[").replace("]", r"\]")):
        with_changes(SMALL, change)


def test_a_dropship_node_takes_no_inbound_stages():
    from sim.scenario import load_scenario

    sc = load_scenario(SCENARIOS / "us_one_node_dropship.yaml")
    with pytest.raises(ValueError, match="inbound_stages: a dropship node has no stations"):
        with_changes(sc, {"nodes[0].inbound_stages": [
            {"name": "receive", "crew": "receivers", "s_per_line": {"mean": 3}}]})
