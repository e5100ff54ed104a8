"""Properties of the model on random small scenarios (hypothesis): nothing is lost, time
runs forward through every stage, stock never goes negative."""

from __future__ import annotations

import itertools

import numpy as np
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from sim.api import run, with_changes
from sim.scenario import load_scenario

from .conftest import SCENARIOS

BASE = load_scenario(SCENARIOS / "us_two_node_black_friday.yaml")

STAGES = ["created_h", "routed_h", "allocated_h", "released_h", "picked_h", "packed_h",
          "shipped_h", "delivered_h"]


@st.composite
def small_scenarios(draw):
    days = draw(st.integers(4, 9))
    changes = {
        "run.horizon_days": days,
        "run.warmup_days": 1,
        "run.seed": draw(st.integers(0, 10_000)),
        "demand.orders_per_day": draw(st.sampled_from([50, 200, 600])),
        "skus.generator.count": draw(st.sampled_from([5, 50, 300])),
        "demand.spikes": [],
        "inventory.policy": draw(st.sampled_from(["order_up_to", "s_S"])),
        "inventory.review_period_days": draw(st.integers(1, 7)),
        "inventory.initial_stock": draw(st.sampled_from(["order_up_to", "zero"])),
        "inventory.supplier.lead_time_days_mean": draw(st.sampled_from([1.0, 3.0])),
        "nodes[0].release.mode": draw(st.sampled_from(["waves", "continuous"])),
        "nodes[1].mode": draw(st.sampled_from(["in_house", "3pl", "dropship"])),
        "nodes[0].resources.pickers.count": draw(st.integers(0, 3)),
        "nodes[0].picking.batching": draw(st.sampled_from(["none", "fcfs"])),
        "nodes[0].picking.cart_capacity_orders": draw(st.integers(1, 6)),
        "disruptions": draw(st.sampled_from([
            [],
            [{"kind": "node_outage", "node": "reno", "start_day": 1, "duration_days": 1.5}],
            [{"kind": "capacity_cut", "node": "louisville", "resource": "packers",
              "start_day": 2, "duration_days": 2, "capacity_share": 0.3},
             {"kind": "carrier_delay", "start_day": 1, "duration_days": 2, "extra_days": 2},
             {"kind": "supplier_delay", "start_day": 0, "duration_days": 3, "extra_days": 2}],
        ])),
    }
    if changes["nodes[1].mode"] == "3pl":
        changes["nodes[1].mode"] = {"kind": "3pl",
                                    "capacity_orders_per_day": draw(st.integers(20, 400))}
    return with_changes(BASE, changes)


@settings(max_examples=12, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(small_scenarios())
def test_random_scenarios_conserve_and_flow_forward(sc):
    r = run(sc)  # raises ConservationError if anything is lost
    b = r.balance
    assert b["created"] == sum(b[k] for k in ("delivered", "in_process", "backordered",
                                              "cancelled"))
    s = r.shipments
    for a, z in itertools.pairwise(STAGES):
        both = s[[a, z]].dropna()
        assert (both[z] >= both[a] - 1e-9).all(), (a, z)
    assert (r.daily["on_hand_units"] >= 0).all()
    # A shipment leaves only at its node's carrier pickup time.
    pickup = {n.id: n.pickup_h for n in sc.nodes}
    shipped = s.dropna(subset=["shipped_h"])
    hour = shipped["shipped_h"] % 24.0
    assert np.allclose(hour.to_numpy(float), shipped["node"].map(pickup).to_numpy(float))
    # Nothing ships from a stocking node beyond what it was given, per SKU-free total.
    assert int(s["filled_on_arrival"].sum()) <= int(s["units"].sum())

