"""A steady-state start in a multi-echelon network: a node fed by another starts with the
transfers its past reviews ordered still on the road (from its source, not a supplier), and
the conservation check counts them as part of the start."""

from __future__ import annotations

import numpy as np
import pytest

from sim.api import load_scenario, run, with_changes
from sim.model import Network
from sim.stock_levels import node_demand, shelf_levels, steady_state_start

from .conftest import SCENARIOS

# Forward nodes review every 3 days at 06:00; Reno's truck takes 2 days, Dallas's 3.5 and
# Columbus's 5.5: the review before day 0 (day -2.75) ordered for all three; Reno's order is
# in, Dallas's lands on day 0.75, Columbus's on day 2.75 (the one before, day -5.75, is in).
DUE_DAY = {"dallas": 0.75, "columbus": 2.75}


@pytest.fixture(scope="module")
def scenario():
    return with_changes(load_scenario(SCENARIOS / "us_dc_three_fc.yaml"), {
        "inventory.initial_stock": "steady_state", "demand.orders_per_day": 300,
        "skus.generator.count": 200, "run.horizon_days": 2, "run.warmup_days": 0})


def test_fed_nodes_start_with_their_transfers_in_transit(scenario):
    res = run(scenario)  # conservation checked: the early transfers are counted
    inbound = res.inbound
    early = inbound[inbound["ordered_h"] < 0]
    fed = early[early["node"] != "inland_empire_dc"]
    assert set(fed["node"]) == set(DUE_DAY)
    assert (fed["source"] == "inland_empire_dc").all()  # a transfer, not a purchase order
    assert (fed["shipped_h"] == fed["ordered_h"]).all()
    assert fed["ordered_h"].to_numpy() == pytest.approx(24.0 * -2.75)
    assert float(fed["freight"].sum()) == 0.0  # paid before the run
    for node, day in DUE_DAY.items():
        mine = fed[fed["node"] == node]
        assert mine["dock_h"].dropna().to_numpy() == pytest.approx(24.0 * day)
    # Columbus's is still on the road at the end of day 2: counted in transfer, not lost
    columbus = int(fed.loc[fed["node"] == "columbus", "units"].sum())
    assert columbus > 0
    assert res.balance["units_in_transfer"] >= columbus
    # the DC buys from its supplier as before
    dc = early[early["node"] == "inland_empire_dc"]
    assert len(dc) > 0 and (dc["source"] == "supplier").all()


def test_the_fed_pipeline_is_a_review_period_of_mean_demand(scenario):
    """Each early transfer carries mu R units of its SKU (rounded), mu the node's planned
    daily demand, R = 3 days; the node counts them on order."""
    net = Network(scenario)
    mean, _ = node_demand(scenario, net.catalogue, net.dist_km,
                          net.points["weight"].to_numpy(), net.view.carries)
    _, pipeline = steady_state_start(scenario, mean, shelf_levels(scenario, net.order_up_to),
                                     net.view.stocked, 6.0)
    ids = [n.id for n in scenario.nodes]
    for node, day in DUE_DAY.items():
        i = ids.index(node)
        orders = [po for po in pipeline if po.node == i]
        assert len(orders) == 1 and orders[0].arrives_day == pytest.approx(day)
        np.testing.assert_array_equal(orders[0].units, np.rint(mean[i] * 3.0))
        np.testing.assert_array_equal(net.on_order[i], orders[0].units)
        lines = [ln for ln in net.record.po_lines if ln.node == i]
        assert {ln.source for ln in lines} == {ids.index("inland_empire_dc")}
        assert sum(ln.units for ln in lines) == int(orders[0].units.sum())
