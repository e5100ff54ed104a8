"""The run's record: conservation counts units where they are (so a lost unit is caught),
count distributions keep their mean and minimum, and the layers import one way only."""

from __future__ import annotations

from typing import get_args

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from sim.api import run, with_changes
from sim.conservation import ConservationError
from sim.model import Network
from sim.node import NodeSim
from sim.routing_registry import POLICIES
from sim.scenario import Dist, RoutingSettings, load_scenario
from sim.streams import count_moments, draw_count

from .conftest import SCENARIOS
from .import_graph import cycles, import_graph

SMALL = with_changes(load_scenario(SCENARIOS / "us_two_node_black_friday.yaml"), {
    "run.horizon_days": 6, "run.warmup_days": 1, "demand.orders_per_day": 300,
    "demand.spikes": [], "disruptions": [], "skus.generator.count": 40,
})


# ---------------------------------------------------------------- conservation


def test_clean_run_balances_by_place():
    r = run(SMALL)
    b = r.balance
    assert b["units_created"] == (b["units_delivered"] + b["units_in_process"]
                                  + b["units_backordered"] + b["units_cancelled"])
    assert b["units_in_transit"] > 0 and b["units_delivered"] > 0
    assert b["created"] == b["delivered"] + b["in_process"] + b["backordered"] + b["cancelled"]


def _drop_first(method):
    """Wrap a node method so that its first call does nothing: one shipment lost."""
    state = {"dropped": False}

    def wrapper(self, *args):
        if not state["dropped"]:
            state["dropped"] = True
            return None
        return method(self, *args)

    return wrapper


@pytest.mark.parametrize("where, expected", [
    ("_after_stage", "units: created"),  # lost between the pack bench and the staging lane
    ("_allocated", "units: created"),  # lost between allocation and the ready queue
])
def test_a_lost_shipment_is_caught(monkeypatch, where, expected):
    monkeypatch.setattr(NodeSim, where, _drop_first(getattr(NodeSim, where)))
    with pytest.raises(ConservationError, match=expected):
        run(SMALL)


def test_a_lost_unit_of_stock_is_caught(monkeypatch):
    add_stock = NodeSim.add_stock

    def leaky(self, sku, units):
        add_stock(self, sku, units - 1 if units > 1 else units)

    monkeypatch.setattr(NodeSim, "add_stock", leaky)
    with pytest.raises(ConservationError, match="stock balance"):
        run(with_changes(SMALL, {"run.horizon_days": 9}))


def test_a_shipment_the_carrier_drops_is_caught(monkeypatch):
    hand_over = NodeSim._hand_over

    def drop_last(self, going):
        hand_over(self, going[:-1] if len(going) > 1 else going)

    monkeypatch.setattr(NodeSim, "_hand_over", drop_last)
    with pytest.raises(ConservationError, match="staged shipments"):
        run(SMALL)


def test_a_lost_return_parcel_is_caught(monkeypatch):
    hand_over = NodeSim._hand_over

    def drop_parcels(self, going):
        hand_over(self, going)
        self.returns_due = self.returns_due[: len(self.returns_due) // 2]

    monkeypatch.setattr(NodeSim, "_hand_over", drop_parcels)
    with pytest.raises(ConservationError, match="returned units"):
        run(with_changes(SMALL, {"run.horizon_days": 12}))


def test_a_lost_purchase_order_is_caught(monkeypatch):
    receive_po = NodeSim.receive_po

    def half(self, lines):
        receive_po(self, lines[: len(lines) // 2])  # the rest vanish at the dock

    monkeypatch.setattr(NodeSim, "receive_po", half)
    with pytest.raises(ConservationError, match="inbound"):
        run(with_changes(SMALL, {"run.horizon_days": 9}))


# ---------------------------------------------------------------- count distributions


@settings(max_examples=40, deadline=None)
@given(kind=st.sampled_from(["fixed", "exponential", "normal", "lognormal", "gamma",
                             "geometric", "poisson"]),
       mean=st.floats(1.0, 4.0), cv=st.floats(0.0, 1.5), low=st.sampled_from([1.0, 2.0]))
def test_counts_are_whole_keep_min_and_mean(kind, mean, cv, low):
    mean = max(mean, low)
    d = Dist(dist=kind, mean=mean, cv=cv, min=low)
    x = draw_count(np.random.default_rng(3), d, 40_000)
    assert x.dtype == np.int64
    assert x.min() >= low
    m, m2 = count_moments(d)
    if kind != "normal":  # a normal excess is cut at 0, which count_moments accounts for
        assert m == mean
    sd = np.sqrt(max(m2 - m * m, 0.0) + 0.25)
    assert abs(x.mean() - m) <= 5 * sd / np.sqrt(len(x)) + 1e-9
    # the variance, up to the rounding's at most 1/4 (where the sample variance is stable:
    # an excess with a cv above 1 has too heavy a tail for 40,000 draws)
    if kind in ("lognormal", "gamma", "exponential") and cv * mean > mean - low:
        return
    assert m2 - m * m - 0.05 * (m2 - m * m) - 0.02 <= x.var() <= m2 - m * m + 0.25 + 0.05 * (
        m2 - m * m) + 0.02


def test_continuous_units_per_line_realise_their_mean_and_never_zero():
    """A gamma count of mean 1.5 realised 1.02 units per line (26 % zero-unit lines) when
    truncated; a zero-unit order with a fixed pack time crashed the run."""
    sc = with_changes(SMALL, {
        "demand.units_per_line": {"dist": "gamma", "mean": 1.5, "cv": 1.0, "min": 1},
        "demand.lines_per_order": {"dist": "lognormal", "mean": 1.8, "cv": 0.6, "min": 1},
        "nodes[0].process_times.pack_s_per_order": {"dist": "fixed", "mean": 30},
    })
    r = run(sc)
    orders = r.orders
    assert (orders["units"] >= orders["lines"]).all()
    assert orders["lines"].min() >= 1
    # Units per order = lines x units per line in expectation (merging a SKU drawn twice in
    # one basket keeps the units): 1.8 x 1.5 = 2.7.
    units = orders["units"].to_numpy(float)
    assert abs(units.mean() - 2.7) < 5 * units.std() / np.sqrt(len(units))


# ---------------------------------------------------------------- layers


def test_no_import_loops_and_records_do_not_read_the_model():
    graph = import_graph("sim", "optimize")
    assert cycles(graph) == []
    for module in ("sim.tables", "sim.kpis", "sim.costs", "sim.conservation", "sim.record"):
        reach = _reachable(graph, module)
        assert "sim.model" not in reach and "sim.node" not in reach, (module, sorted(reach))
    for module, imported in graph.items():
        if module.startswith("optimize"):
            assert not any(m.startswith("sim") for m in imported), module


def _reachable(graph: dict[str, set[str]], start: str) -> set[str]:
    seen, todo = set(), [start]
    while todo:
        for m in graph.get(todo.pop(), ()):
            if m not in seen:
                seen.add(m)
                todo.append(m)
    return seen


def test_every_routing_policy_name_is_registered_once():
    union, *_ = get_args(RoutingSettings)
    names = [model.model_fields["policy"].default for model in get_args(union)]
    assert sorted(names) == sorted(set(names)) == sorted(POLICIES)


# ---------------------------------------------------------------- stations as data


LABEL = {"nodes[0].resources.labellers": {"count": 1},
         "nodes[0].stages": [{"name": "label", "crew": "labellers",
                              "s_per_shipment": {"dist": "fixed", "mean": 36}}]}


def test_a_new_station_is_a_crew_and_a_stage_in_the_scenario():
    """A labelling station after packing, added in the scenario alone: its crew's hours are
    in the daily table, its utilisation in the KPIs, its wages in the ledger, and every
    shipment of the node spends its 36 s there."""
    base, r = run(SMALL), run(with_changes(SMALL, LABEL))
    node = SMALL.nodes[0].id
    daily = r.daily[r.daily["node"] == node].sort_values("t_h")
    ships = r.shipments[r.shipments["node"] == node]
    labelled = int(ships["state"].isin(["staged", "in_transit", "delivered"]).sum())
    busy = float(daily["labellers_busy_h"].iloc[-1])
    assert 0.01 * labelled - 1e-9 <= busy <= 0.01 * (labelled + 1) + 1e-9
    assert "labellers" in set(r.utilisation.loc[r.utilisation["node"] == node, "resource"])
    labour = [x.costs[(x.costs["category"] == "labour") & (x.costs["node"] == node)]
              .set_index("day")["amount"] for x in (base, r)]
    rate = SMALL.costs.in_house.labour_per_hour
    np.testing.assert_allclose((labour[1] - labour[0]).to_numpy(), 24.0 * rate, rtol=1e-9)
    # a node without the station has none of its hours
    other = r.daily[r.daily["node"] != node]
    assert (other["labellers_staffed_h"] == 0).all()


def test_a_capacity_cut_reaches_an_added_station():
    cut = {**LABEL, "disruptions": [{"kind": "capacity_cut", "node": SMALL.nodes[0].id,
                                     "resource": "labellers", "start_day": 2,
                                     "duration_days": 1, "capacity_share": 0.0}]}
    r = run(with_changes(SMALL, cut))
    daily = r.daily[r.daily["node"] == SMALL.nodes[0].id].sort_values("t_h")
    available = np.diff(daily["labellers_available_h"].to_numpy())
    assert available[2] == 0.0 and available[1] == pytest.approx(24.0)


@pytest.mark.parametrize("change, message", [
    ({"nodes[0].resources.labelers": {"count": 1}}, "resources.labelers is a crew no stage"),
    ({"nodes[0].stages": [{"name": "label", "crew": "labellers",
                           "s_per_shipment": {"mean": 3}}]}, "stages[0].crew 'labellers'"),
    ({**LABEL, "disruptions": [{"kind": "capacity_cut", "node": SMALL.nodes[0].id,
                                "resource": "labelers", "start_day": 1,
                                "duration_days": 1}]}, "resource 'labelers' is not a crew"),
    ({**LABEL, "nodes[0].stages": [{"name": "staged", "crew": "labellers",
                                    "s_per_shipment": {"mean": 3}}]},
     "stages[0].name 'staged' is taken"),
    ({**LABEL, "nodes[0].mode": "dropship"}, "a dropship node has no stations"),
])
def test_a_station_misnamed_is_rejected_by_name(change, message):
    with pytest.raises(ValueError, match=message.replace("[", r"\[").replace("]", r"\]")):
        with_changes(SMALL, change)


# ---------------------------------------------------------------- columnar rows


@settings(max_examples=25, deadline=None)
@given(st.lists(st.tuples(st.integers(-5, 10**6), st.floats(allow_nan=True)), max_size=60),
       st.integers(1, 7))
def test_row_buffer_keeps_every_row_in_order_across_chunks(rows, chunk):
    from sim.record.columns import RowBuffer

    buf = RowBuffer([("n", "i8"), ("x", "f8")], chunk=chunk)
    for r in rows:
        buf.append(r)
    assert len(buf) == len(rows)
    a = buf.array()
    assert a["n"].tolist() == [r[0] for r in rows]
    np.testing.assert_array_equal(a["x"], np.array([r[1] for r in rows], float))
    buf.append((1, 2.0))  # appending after a read keeps the earlier rows
    assert len(buf.array()) == len(rows) + 1


def test_shipment_rows_are_in_number_order_with_returns_merged():
    net = Network(with_changes(SMALL, {"run.horizon_days": 12}))
    net.run()
    rows = net.record.shipment_rows()
    assert rows["shipment"].tolist() == list(range(net.record.n_shipments))
    inspected = ~np.isnan(rows["inspected_h"])
    assert inspected.any()  # returns came back and were inspected within the run
    assert (rows["return_received_h"][inspected] <= rows["inspected_h"][inspected]).all()
    assert (rows["restocked_units"] <= rows["returned_units"]).all()
    net.record.release()
    assert len(net.record.shipment_rows()) == 0


def test_utilisation_is_also_given_in_percent_like_every_other_share():
    s = run(SMALL).summary
    assert s["utilisation"].keys() == s["utilisation_pct"].keys() and s["utilisation"]
    for k, share in s["utilisation"].items():
        assert s["utilisation_pct"][k] == 100.0 * share
