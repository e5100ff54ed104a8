"""`inventory.sizing: gsm` (sim.echelon_sizing): the scenario's echelons as a guaranteed-
service network, its service times checked against enumeration, and the levels they give."""

from __future__ import annotations

import numpy as np
import pytest
from scipy import stats

from sim.api import run, with_changes
from sim.echelon_sizing import gsm_plan
from sim.model import Network
from sim.scenario import Scenario, load_scenario
from sim.stock_levels import (
    assortment_mask,
    customer_demand,
    node_demand,
    processing_days,
)

from .conftest import SCENARIOS
from .test_echelon import _node, _scenario

DC_LEAD, TRANSFER, Z_TARGET = 20, 2, 0.95


def _network(n_forward: int, **run_changes) -> dict:
    """A DC (20-day fixed supplier lead time) feeding `n_forward` co-located stores (2-day
    fixed transfers), daily review, instant receiving, Poisson demand of 20 units/day split
    evenly, cycle-service target 0.95, sized by the GSM."""
    dc = _node("dc", serves_customers=False,
               supplier={"lead_time_days_mean": DC_LEAD, "lead_time_days_sd": 0})
    stores = [_node(f"f{k}", replenish_from="dc",
                    transfer={"lead_time_days": {"dist": "fixed", "mean": TRANSFER}})
              for k in range(n_forward)]
    data = _scenario([dc, *stores], {}, **run_changes)
    del data["inventory"]["order_up_to"]
    data["inventory"]["sizing"] = "gsm"
    for node in data["nodes"]:  # a node's own policy is the whole policy in force there
        node["inventory"].update(target_kind="cycle_service", target=Z_TARGET)
    return data


def _plan(sc: Scenario):
    net = Network(sc)
    stocked = np.ones(len(sc.nodes), bool)
    carries = assortment_mask(sc, net.catalogue, stocked)
    w = net.points["weight"].to_numpy()
    own = customer_demand(sc, net.catalogue, net.dist_km, w, carries)
    mean, _ = node_demand(sc, net.catalogue, net.dist_km, w, carries)
    processing = np.array([processing_days(sc, i, mean[i]) for i in range(len(sc.nodes))])
    return net, gsm_plan(sc, *own, processing, stocked)


def _enumerated_dc_time(n: int) -> int:
    """The DC's best outbound service time by enumeration (stores quote 0): safety stock
    cost sqrt(n) sqrt(T_dc - S) + n sqrt(S + T_f) in units of z sigma_store (equal h)."""
    t_dc, t_f = DC_LEAD + 1, TRANSFER + 1
    cost = [np.sqrt(n) * np.sqrt(t_dc - s) + n * np.sqrt(s + t_f) for s in range(t_dc + 1)]
    return int(np.argmin(cost))


@pytest.mark.parametrize("n_forward", [2, 4])
def test_the_service_times_are_the_enumerated_optimum(n_forward):
    """Two stores: each holding its own stock over the DC's lead time costs less than the
    DC pooling it (2 sqrt(24) < sqrt(2) sqrt(21) + 2 sqrt(3)); four stores: the DC pools."""
    _net, plan = _plan(Scenario.model_validate(_network(n_forward)))
    s_dc = _enumerated_dc_time(n_forward)
    assert s_dc == {2: DC_LEAD + 1, 4: 0}[n_forward]
    assert plan.outbound_days[0, 0] == s_dc
    assert (plan.outbound_days[1:, 0] == 0).all() and (plan.inbound_days[1:, 0] == s_dc).all()
    np.testing.assert_allclose(plan.processing_days, [DC_LEAD + 1] + [TRANSFER + 1] * n_forward)
    np.testing.assert_allclose(plan.net_lead_days[1:, 0], s_dc + TRANSFER + 1)
    np.testing.assert_allclose(plan.net_lead_days[0, 0], DC_LEAD + 1 - s_dc)


@pytest.mark.parametrize("n_forward", [2, 4])
def test_levels_protect_the_net_lead_time(n_forward):
    """Cycle service: a store's level is mu NLT + z sigma sqrt(NLT) (Poisson: sigma^2 = mu),
    rounded up; a DC quoting its whole processing time holds nothing."""
    net, plan = _plan(Scenario.model_validate(_network(n_forward)))
    z, mu = stats.norm.ppf(Z_TARGET), 20.0 / n_forward
    nlt = plan.net_lead_days[:, 0]
    means = np.array([20.0] + [mu] * n_forward)
    expected = np.ceil(means * nlt + z * np.sqrt(means * nlt) - 1e-9)
    np.testing.assert_allclose(net.order_up_to[:, 0], expected, atol=1)
    if nlt[0] == 0:
        assert net.order_up_to[0, 0] == 0


def test_a_gsm_sized_network_runs_and_conserves_units():
    """Four stores fed by a pooling DC: the run conserves units (run() raises otherwise), the
    DC ships transfers and the stores' fill rate is near the 0.95 their levels aim at."""
    data = _network(4, run={"horizon_days": 120, "warmup_days": 30, "seed": 3,
                            "dispatch_interval_min": 0})
    res = run(Scenario.model_validate(data))
    assert res.inbound["source"].eq("dc").any()
    ships = res.shipments[res.shipments["created_h"] >= 24 * 30]
    fill = ships["filled_on_arrival"].sum() / ships["units"].sum()
    assert 0.85 < fill <= 1.0, fill


def test_the_default_sizing_is_the_target():
    data = _network(2)
    data["inventory"]["sizing"] = "target"
    net = Network(Scenario.model_validate(data))
    del data["inventory"]["sizing"]
    assert (Network(Scenario.model_validate(data)).order_up_to == net.order_up_to).all()
    assert net.order_up_to[0, 0] > 0  # each node sized alone: the DC holds stock


def test_the_bundled_three_node_network_runs_its_gsm_plan():
    """us_dc_three_fc briefly (8 days, 1,000 orders/day): the DC serves no customers and
    feeds each forward node by truck (freight on each), and the GSM places stock at the DC
    (three forward nodes pool enough at it: S_dc = 0), so its levels are the target's."""
    sc = load_scenario(SCENARIOS / "us_dc_three_fc.yaml")
    assert sc.inventory.sizing == "gsm"
    small = with_changes(sc, {"run.horizon_days": 8, "run.warmup_days": 1,
                              "demand.orders_per_day": 1000})
    res = run(small)
    assert set(res.shipments["node"]) == {"reno", "dallas", "columbus"}
    fed = res.inbound[res.inbound["source"] == "inland_empire_dc"]
    assert set(fed["node"]) == {"reno", "dallas", "columbus"}
    freight = res.costs[res.costs["category"] == "freight"]
    assert set(freight["node"]) == {"reno", "dallas", "columbus"}
    assert (freight.groupby("node")["amount"].sum() > 0).all()
    target = Network(with_changes(small, {"inventory.sizing": "target"}))
    np.testing.assert_array_equal(Network(small).order_up_to, target.order_up_to)


# ---------------------------------------------------------------- pre-build across echelons


def _prebuild_network(position: str) -> Network:
    """The four-store network (target sizing), a 3x spike on days 40-44 known in advance
    (oracle), pre-build on."""
    data = _network(4, run={"horizon_days": 60, "warmup_days": 1, "seed": 3})
    data["inventory"]["sizing"] = "target"
    data["nodes"][0]["inventory"]["position"] = position
    data["demand"]["forecast"] = "oracle"
    data["demand"]["spikes"] = [{"start_day": 40, "duration_days": 4, "multiplier": 3.0}]
    data["inventory"]["spike_prebuild"] = True
    return Network(Scenario.model_validate(data))


def test_a_dc_pre_builds_for_the_demand_it_feeds_over_its_own_lead_time():
    """The DC (serving no customers) raises its level by at least the spike's extra demand
    of all four stores, (3 - 1) x 4 days x 20 units/day = 160 units, from a review more
    than its 20-day lead time before the spike; each store (2-day transfers, daily review)
    raises its level only in the days its transfer lead time and review reach the spike."""
    net = _prebuild_network("installation")
    base = net.order_up_to[:, 0]
    raised = {day: rows[:, 0] - base for day, rows in net.level_schedule}
    dc_max = max(r[0] for r in raised.values())
    assert dc_max >= 160, dc_max
    first_dc = min(d for d, r in raised.items() if r[0] > 0)
    assert first_dc <= 40 - DC_LEAD
    first_store = min(d for d, r in raised.items() if r[1:].any())
    assert 40 - (TRANSFER + 1) - 1 <= first_store < 40


def test_an_echelon_dc_rises_by_the_stores_pre_build_as_well():
    """Its own raise is the installation DC's (the same demand and lead time), plus the
    stores' raises, which its echelon level counts."""
    inst, ech = _prebuild_network("installation"), _prebuild_network("echelon")
    stores_raised = False
    for (d1, a), (d2, b) in zip(inst.level_schedule, ech.level_schedule, strict=True):
        assert d1 == d2
        np.testing.assert_array_equal(b[1:], a[1:])
        stores = int((a[1:, 0] - inst.order_up_to[1:, 0]).sum())
        stores_raised |= stores > 0
        own = int(a[0, 0] - inst.order_up_to[0, 0])
        assert b[0, 0] - ech.order_up_to[0, 0] == own + stores
    assert stores_raised


def test_the_gsm_network_runs_through_the_cli(tmp_path):
    from typer.testing import CliRunner

    from sim.cli import app

    res = CliRunner().invoke(app, ["run", str(SCENARIOS / "us_dc_three_fc.yaml"), "--days", "9",
                                   "--out", str(tmp_path), "--no-plots"])
    assert res.exit_code == 0, res.output
    assert (tmp_path / "shipments.parquet").exists()
