"""`inventory.sizing: pooled` (sim.echelon_sizing.pooled_levels): the forward nodes' levels
are the SAA pooling solver's, pool less stock than sizing each node alone, reproduce the
newsvendor on the pooled demand when transfers are free, and run with lateral transfers."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest
import yaml
from scipy import stats
from typer.testing import CliRunner

import sim.echelon_sizing as echelon_sizing
from sim.api import run
from sim.cli import app
from sim.model import Network
from sim.scenario import Scenario
from sim.stock_levels import assortment_mask, node_demand

from .test_echelon import _bad, _node, _scenario

TARGET = 0.95
FORWARD = {"f1": (40.0, -90.0), "f2": (42.0, -84.0), "f3": (36.0, -95.0)}


def _pooled(sizing: str = "pooled", n_skus: int = 6, **lateral) -> dict:
    """A DC (10-day supplier lead time) feeding three forward nodes 500-800 km apart (fixed
    2-day transfers), each with customers of its own, daily review, instant receiving,
    cycle-service target 0.95, 100 orders/day over `n_skus` SKUs of falling popularity."""
    dc = _node("dc", serves_customers=False,
               supplier={"lead_time_days_mean": 10, "lead_time_days_sd": 0})
    stores = []
    for name, (lat, lon) in FORWARD.items():
        node = _node(name, replenish_from="dc",
                     transfer={"lead_time_days": {"dist": "fixed", "mean": 2}})
        node["location"] = {"lat": lat, "lon": lon}
        stores.append(node)
    data = _scenario([dc, *stores], {}, run={"horizon_days": 20, "warmup_days": 2, "seed": 3})
    del data["inventory"]["order_up_to"]
    data["inventory"]["sizing"] = sizing
    data["demand"]["orders_per_day"] = 100
    data["skus"]["items"] = [{"id": f"S{k}", "popularity": 1.0 / (k + 1), "unit_value": 40}
                             for k in range(n_skus)]
    data["geography"]["points"] = [{"id": n, "lat": lat, "lon": lon, "weight": 1}
                                   for n, (lat, lon) in FORWARD.items()]
    for node in data["nodes"]:
        node["inventory"].update(target_kind="cycle_service", target=TARGET)
    if lateral:
        data["lateral_transfers"] = lateral
    return data


def _solved(monkeypatch, sc: Scenario) -> tuple[Network, list]:
    """The network and every PooledPlan stock_levels made for it."""
    plans = []
    real = echelon_sizing.pooled_levels

    def keep(*args, **kwargs):
        plans.append(real(*args, **kwargs))
        return plans[-1]

    monkeypatch.setattr(echelon_sizing, "pooled_levels", keep)
    return Network(sc), plans


def test_pooled_levels_are_the_solvers_output(monkeypatch):
    """Each family's representative SKU gets exactly the solver's levels (rounded up), the
    family's other SKUs its safety factors; the DC keeps its stand-alone level."""
    sc = Scenario.model_validate(_pooled())
    net, plans = _solved(monkeypatch, sc)
    (plan,) = plans
    target = Network(Scenario.model_validate(_pooled("target")))
    assert plan.families and (plan.family_of >= 0).all()
    for nodes, rep, res in plan.families:
        assert nodes == [1, 2, 3]
        np.testing.assert_array_equal(net.order_up_to[nodes, rep], np.ceil(res.order_up_to))
    np.testing.assert_array_equal(net.order_up_to[0], target.order_up_to[0])


def test_pooling_holds_no_more_stock_than_sizing_each_node_alone(monkeypatch):
    """At the same target (0.95 cycle service, above the median) the pooled levels of every
    family sum to no more than the solver's stand-alone ones, and the forward nodes' pooled
    levels to less than `target` sizing gives them."""
    sc = Scenario.model_validate(_pooled(n_skus=12))
    net, (plan,) = _solved(monkeypatch, sc)
    target = Network(Scenario.model_validate(_pooled("target", n_skus=12)))
    for _, _, res in plan.families:
        assert res.order_up_to.sum() <= res.alone_order_up_to.sum() + 1e-9
        assert res.saving >= 0
    assert net.order_up_to[1:].sum() < target.order_up_to[1:].sum()


def test_free_transfers_pool_to_the_newsvendor_of_the_total(monkeypatch):
    """With free transfers and equal costs the pool is one newsvendor on the three nodes'
    total demand: its levels sum to the 0.95 quantile of a normal with the summed means and
    variances (sampling tolerance of 500 draws: 2 % of the sum), and each node's stand-alone
    level is its own 0.95 quantile (target sizing's level)."""
    data = _pooled(n_skus=1, freight={"cost_per_shipment": 0, "cost_per_kg": 0},
                   hold_back_share=0.0)
    sc = Scenario.model_validate(data)
    _, (plan,) = _solved(monkeypatch, sc)
    target = Network(Scenario.model_validate(_pooled("target", n_skus=1)))
    ((nodes, rep, res),) = plan.families
    carries = assortment_mask(sc, target.catalogue, np.ones(4, bool))
    mean, sd = node_demand(sc, target.catalogue, target.dist_km,
                           target.points["weight"].to_numpy(), carries)
    period = 3.0  # transfer 2 days + review 1, instant receiving
    m, s = mean[nodes, rep] * period, sd[nodes, rep] * np.sqrt(period)
    z = stats.norm.ppf(TARGET)
    total = m.sum() + z * np.sqrt((s**2).sum())
    assert res.order_up_to.sum() == pytest.approx(total, rel=0.02)
    np.testing.assert_allclose(res.alone_order_up_to, m + z * s, rtol=0.03)
    np.testing.assert_allclose(m + z * s, target.order_up_to[nodes, rep], atol=1.0)


def test_pooled_sizing_turns_on_complete_pooling_unless_given():
    sc = Scenario.model_validate(_pooled())
    assert sc.lateral_transfers is not None
    assert sc.lateral_transfers.emergency and sc.lateral_transfers.hold_back_share == 0.0
    given = Scenario.model_validate(_pooled(hold_back_share=0.25))
    assert given.lateral_transfers.hold_back_share == 0.25
    assert Scenario.model_validate(_pooled("gsm")).lateral_transfers is None


def test_a_pooled_run_conserves_units_and_moves_stock_laterally():
    """With orders waiting at their nearest node (routing `nearest`), a short node asks the
    pool: emergency transfers go between forward nodes only; run() checks conservation
    (ConservationError otherwise) and the balance adds up."""
    data = _pooled()
    data["routing"] = {"policy": "nearest"}
    res = run(Scenario.model_validate(data))
    b = res.balance
    assert b["units_created"] == (b["units_delivered"] + b["units_in_process"]
                                  + b["units_backordered"] + b["units_cancelled"])
    inbound = res.tables["inbound"]
    lateral = inbound[inbound["lateral"]]
    assert len(lateral) > 0
    assert set(lateral["source"]) <= set(FORWARD) and set(lateral["node"]) <= set(FORWARD)
    assert (lateral["source"] != lateral["node"]).all()


def test_a_pooled_scenario_runs_through_the_cli(tmp_path):
    path = tmp_path / "pooled.yaml"
    path.write_text(yaml.safe_dump(_pooled()))
    out = tmp_path / "out"
    res = CliRunner().invoke(app, ["run", str(path), "--out", str(out), "--no-plots"])
    assert res.exit_code == 0, res.output
    assert (out / "costs.parquet").exists()


@pytest.mark.parametrize("value", ["pool", "saa", "GSM"])
def test_a_bad_sizing_is_named_with_its_value(tmp_path: Path, value):
    _bad(tmp_path, _pooled(value), "inventory.sizing", value)


def test_pooling_without_emergency_transfers_is_refused(tmp_path: Path):
    _bad(tmp_path, _pooled(emergency=False), "lateral_transfers", "emergency is false")
