"""Inbound legs from suppliers: a transport mode's lead time and freight (sim.scenario
TRANSPORT_MODES), the quotes a scenario gives winning field by field, and freight per purchase
order in the cost ledger (category `freight`), full loads counted by payload."""

from __future__ import annotations

import copy
import math

import pytest
import yaml
from hypothesis import given
from hypothesis import strategies as st

from sim.api import run
from sim.costs import cost_ledger
from sim.scenario import TRANSPORT_MODES, Freight, Scenario, Supplier

from .conftest import SCENARIOS

BASE = yaml.safe_load((SCENARIOS / "validation_base_stock.yaml").read_text())


def _scenario(supplier: dict, days: int = 30) -> Scenario:
    data = copy.deepcopy(BASE)
    data["run"].update(horizon_days=days, replications=1)
    data["skus"]["items"][0]["weight_kg"] = 2.0
    data["inventory"]["supplier"] = supplier
    return Scenario.model_validate(data)


def test_a_named_mode_fills_in_what_the_scenario_does_not_give():
    sea = Supplier(transport="sea")
    assert sea.lead_time_days_mean == TRANSPORT_MODES["sea"]["lead_time_days_mean"]
    assert sea.freight.capacity_kg == 26_000.0
    own = Supplier.model_validate({"transport": "sea", "lead_time_days_mean": 30,
                                   "freight": {"cost_per_shipment": 2_500}})
    assert (own.lead_time_days_mean, own.lead_time_days_sd) == (30.0, 7.0)
    assert (own.freight.cost_per_shipment, own.freight.capacity_kg) == (2_500.0, 26_000.0)
    assert Supplier().freight.cost(100, 50.0) == 0.0  # no mode, no quotes: no freight


def test_an_unknown_transport_mode_is_refused_by_name():
    data = copy.deepcopy(BASE)
    data["inventory"]["supplier"] = {"transport": "rail"}
    with pytest.raises(ValueError, match=r"inventory\.supplier\.transport") as err:
        Scenario.model_validate(data)
    assert "'sea', 'air', 'road_ftl' or 'road_ltl'" in str(err.value)


@given(units=st.integers(0, 5_000), kg=st.floats(0.0, 200_000.0),
       cap=st.floats(100.0, 30_000.0))
def test_full_loads_are_counted_by_payload(units, kg, cap):
    f = Freight(cost_per_shipment=1_000.0, cost_per_unit=0.1, cost_per_kg=0.01, capacity_kg=cap)
    loads = max(1, math.ceil(kg / cap))
    assert f.cost(units, kg) == pytest.approx(1_000.0 * loads + 0.1 * units + 0.01 * kg)
    assert f.cost(units, kg) >= Freight(cost_per_shipment=1_000.0, cost_per_unit=0.1,
                                        cost_per_kg=0.01).cost(units, kg)


def test_each_purchase_order_pays_its_freight_on_the_day_it_is_placed():
    freight = {"cost_per_shipment": 40.0, "cost_per_unit": 0.5, "cost_per_kg": 0.25,
               "capacity_kg": 50.0}
    res = run(_scenario({"lead_time_days_mean": 3, "lead_time_days_sd": 0,
                         "freight": freight}))
    inbound = res.tables["inbound"]
    orders = inbound.groupby("po").agg(units=("units", "sum"), day=("ordered_h", "min"),
                                       freight=("freight", "sum"))
    assert (inbound["source"] == "supplier").all() and inbound["shipped_h"].isna().all()
    # known answer: 2 kg a unit, a load per 50 kg (25 units)
    expected = [40.0 * math.ceil(2.0 * u / 50.0) + 0.5 * u + 0.25 * 2.0 * u
                for u in orders["units"]]
    assert orders["freight"].to_numpy() == pytest.approx(expected)
    ledger = cost_ledger(res.scenario, res.tables)
    by_day = ledger[ledger["category"] == "freight"].groupby("day")["amount"].sum()
    want = orders.groupby((orders["day"] // 24).astype(int))["freight"].sum()
    assert len(want) > 10
    assert by_day.reindex(want.index).to_numpy() == pytest.approx(want.to_numpy())


def test_without_freight_the_inbound_table_keeps_its_columns():
    res = run(_scenario({"lead_time_days_mean": 3, "lead_time_days_sd": 0}, days=15))
    assert "freight" not in res.tables["inbound"]
    assert "freight" not in set(cost_ledger(res.scenario, res.tables)["category"])


def test_a_sea_leg_waits_its_lead_time():
    res = run(_scenario({"transport": "sea", "lead_time_days_sd": 0}, days=60))
    inbound = res.tables["inbound"].dropna(subset=["dock_h"])
    waited = (inbound["dock_h"] - inbound["ordered_h"]) / 24.0
    assert waited.to_numpy() == pytest.approx(35.0)
    assert (inbound.groupby("po")["freight"].sum() >= 3_000.0).all()
