"""Damage in transit and reshipments in the cost ledger (sim.transit_damage): the damaged
share follows 1 - (1 - d)^parcels, a zero rate changes no table, the ledger's lines are the
reshipments' and damage's costs and still balance order by order, the perfect order rate
loses exactly the damaged orders, and units are conserved."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest
from pydantic import ValidationError

from sim.api import run, with_changes
from sim.bundled import bundled_scenario
from sim.costs import CATEGORIES, MARGIN_COLUMNS
from sim.kpis import SHIPPING_CATEGORIES
from sim.returns_cost import RETURN_COST_CATEGORIES
from sim.scenario import load_scenario
from sim.transit_damage import damage_cost, expected_damaged_share

from .test_accuracy import Z99, _on_every_node
from .test_record import SMALL

DAMAGE = {"per_parcel": 0.08, "claim_recovery_share": 0.4}
HANDLING = 5.0


@pytest.fixture(scope="module")
def damaged():
    """SMALL with transit damage and pick errors on every node."""
    return run(_on_every_node(SMALL, {"pick_error_per_line": 0.01,
                                      "reship_handling_cost": HANDLING,
                                      "transit_damage": DAMAGE}))


@pytest.fixture(scope="module")
def cartons():
    """The cartons example, small: shipments of one or more parcels, 15 % damage each."""
    sc = load_scenario(bundled_scenario("us_one_node_in_house_cartons.yaml"))
    return run(with_changes(sc, {
        "run.horizon_days": 4, "run.warmup_days": 1, "demand.orders_per_day": 700,
        "nodes[0].accuracy": {"reship_handling_cost": HANDLING,
                              "transit_damage": {"per_parcel": 0.15}}}))


def test_damaged_share_is_one_minus_one_minus_d_to_the_parcels(cartons):
    acc = cartons.tables["accuracy"]
    d = 0.15
    assert acc["parcels"].max() > 1 and acc["parcels"].min() >= 1
    p = 1.0 - (1.0 - d) ** acc["parcels"].to_numpy(float)
    half = Z99 * np.sqrt((p * (1.0 - p)).sum()) / len(acc)
    observed = float(acc["damaged"].mean())
    assert abs(observed - expected_damaged_share(d, acc["parcels"])) <= half
    # each parcel on its own: damaged parcels / parcels within the binomial interval of d
    n = int(acc["parcels"].sum())
    assert abs(acc["damaged_parcels"].sum() / n - d) <= Z99 * np.sqrt(d * (1 - d) / n)


def test_a_carton_reshipment_pays_the_damaged_cartons_charge(cartons):
    acc = cartons.tables["accuracy"]
    parcels = cartons.tables["parcels"]
    hit = acc[acc["damaged"]]
    # a shipment with all its parcels damaged reships them all at their carrier charge
    whole = hit[hit["damaged_parcels"] == hit["parcels"]]
    charge = parcels.groupby("shipment")["carrier_charge"].sum()
    np.testing.assert_allclose(whole["damage_reship_cost"].to_numpy(),
                               charge.loc[whole["shipment"]].to_numpy() + HANDLING, rtol=1e-12)
    partly = hit[hit["damaged_parcels"] < hit["parcels"]]
    assert (partly["damaged_units"] < partly["units"]).all()
    assert (acc.loc[~acc["damaged"], ["damaged_units", "damage_reship_cost"]] == 0).all().all()


def test_zero_rate_changes_no_table():
    base = run(SMALL)
    zero = run(_on_every_node(SMALL, {"transit_damage": {"per_parcel": 0.0,
                                                         "claim_recovery_share": 0.5}}))
    for name, table in base.tables.items():
        pd.testing.assert_frame_equal(zero.tables[name], table, obj=name)
    a = zero.summary["accuracy"]
    assert a["damage_free_pct"] == 100.0 and a["damaged_parcels"] == 0
    assert a["parcels"] == len(zero.tables["accuracy"][
        zero.tables["accuracy"]["shipped_h"] >= 24.0 * SMALL.run.warmup_days])
    assert not zero.costs["category"].isin(["reshipment", "transit_damage"]).any()


def test_ledger_lines_are_the_sum_of_the_reshipment_costs(damaged):
    acc = damaged.tables["accuracy"]
    ledger = damaged.costs
    horizon_h = 24.0 * SMALL.run.horizon_days
    found = acc[acc["found_h"] < horizon_h]
    assert (found["reship_cost"] > 0).sum() > 10 and found["damaged"].sum() > 30
    assert ledger.loc[ledger["category"] == "reshipment", "amount"].sum() == pytest.approx(
        found["reship_cost"].sum(), rel=1e-12)
    assert ledger.loc[ledger["category"] == "transit_damage", "amount"].sum() == pytest.approx(
        damage_cost(found).sum(), rel=1e-12)
    # booked on the day found, at the node that shipped
    day = (found["found_h"] // 24).astype(int)
    by_day = found["reship_cost"].groupby([day, found["node"]]).sum()
    mine = ledger[ledger["category"] == "reshipment"].set_index(["day", "node"])["amount"]
    pd.testing.assert_series_equal(mine.sort_index(), by_day[by_day != 0].sort_index(),
                                   check_names=False)
    # one parcel a shipment: carrier cost + handling; the claim pays its share of the goods
    ships = damaged.tables["shipments"].set_index("shipment")
    hit = acc[acc["damaged"]]
    np.testing.assert_allclose(hit["damage_reship_cost"],
                               ships.loc[hit["shipment"], "shipping_cost"] + HANDLING)
    np.testing.assert_allclose(hit["damaged_value"], ships.loc[hit["shipment"], "value"])
    np.testing.assert_allclose(hit["claim_recovery"], 0.4 * hit["damaged_value"])
    # and cost per order includes them
    s = damaged.summary
    assert set(s["cost_per_order_by_category"]) >= {"reshipment", "transit_damage"}
    assert {"reshipment", "transit_damage"} <= set(CATEGORIES)


def test_margin_still_balances_order_by_order(damaged):
    m = damaged.margin
    income = ("revenue", "shipping_fee", "recovery", "restock_credit")
    sign = np.array([1.0 if c in income else -1.0 for c in MARGIN_COLUMNS[:-1]])
    np.testing.assert_allclose(m["margin"], m[list(MARGIN_COLUMNS[:-1])].to_numpy() @ sign,
                               rtol=0, atol=1e-9)
    ledger = damaged.costs
    fulfil = ledger[~ledger["category"].isin((*SHIPPING_CATEGORIES, *RETURN_COST_CATEGORIES))]
    assert fulfil["category"].isin(["reshipment", "transit_damage"]).any()
    assert m["fulfilment_cost"].sum() + m.attrs["unallocated_cost"] == pytest.approx(
        fulfil["amount"].sum(), rel=1e-12)


def test_perfect_order_rate_drops_by_the_damaged_orders():
    days = {"run.horizon_days": 10}  # orders whose promise day ended: most of the window
    clean = run(_on_every_node(SMALL, {}, days))
    hit = run(_on_every_node(SMALL, {"transit_damage": {"per_parcel": 0.1}}, days))
    a0, a1 = clean.summary["accuracy"], hit.summary["accuracy"]
    assert a0["perfect_order_orders"] == a1["perfect_order_orders"] > 1000
    # damage draws from its own stream: the same orders, on time as before
    assert a1["on_time_pct"] == a0["on_time_pct"]
    orders = hit.tables["orders"].set_index("order")
    warm_h = 24.0 * SMALL.run.warmup_days
    horizon_h = 24.0 * 10
    judged = orders[(orders["created_h"] >= warm_h) & ~orders["cancelled"]
                    & ((orders["promised_day"] + 1) * 24.0 <= horizon_h)]
    damaged = hit.tables["accuracy"].groupby("order")["damaged"].any()
    damaged = damaged.reindex(judged.index, fill_value=False).to_numpy()
    on_time = judged["on_time"].fillna(0.0).to_numpy() == 1.0
    lost = hit.tables["sales"]["units_lost"].to_numpy()[judged.index.to_numpy()] > 0
    perfect_before = on_time & ~lost
    assert a0["perfect_order_rate_pct"] == pytest.approx(100.0 * perfect_before.mean())
    assert a1["perfect_order_rate_pct"] == pytest.approx(
        100.0 * (perfect_before & ~damaged).mean())
    assert a1["damage_free_pct"] == pytest.approx(100.0 * (1.0 - damaged.mean()))
    n = len(judged)
    assert abs(damaged.mean() - 0.1) <= Z99 * np.sqrt(0.1 * 0.9 / n)  # one parcel each
    assert a1["perfect_order_rate_pct"] < a0["perfect_order_rate_pct"]


def test_units_are_conserved_with_damage_errors_and_cartons(damaged, cartons):
    for r in (damaged, cartons):  # run() raises if conservation fails; check it said so
        b = r.balance
        assert b["units_created"] == (b["units_delivered"] + b["units_in_process"]
                                      + b["units_backordered"] + b["units_cancelled"])
    # written off at the customer: the damaged units stay delivered, none come back
    acc = damaged.tables["accuracy"]
    only_damaged = acc[acc["damaged"] & ~acc["error"]]
    assert (only_damaged["returned_units"] == 0).all()


def test_fragility_scales_the_rate_by_category():
    cats = [c.name for c in SMALL.skus.categories]
    sc = _on_every_node(SMALL, {"transit_damage": {
        "per_parcel": 0.2, "fragility_by_category": {c: 0.0 for c in cats}}})
    assert run(sc).summary["accuracy"]["damaged_parcels"] == 0
    names = [f"{c.id}/{s.name}" for c in SMALL.carriers.carriers for s in c.services]
    sc = _on_every_node(SMALL, {"transit_damage": {"by_service": {n: 1.0 for n in names}}})
    a = run(sc).summary["accuracy"]
    assert a["damaged_parcels"] == a["parcels"] > 0 and a["damage_free_pct"] == 0.0


@pytest.mark.parametrize(("field", "name"), [("by_service", "nope/ground"),
                                             ("fragility_by_category", "glassware")])
def test_an_unknown_service_or_category_is_named(field: str, name: str):
    with pytest.raises(ValidationError, match=f"transit_damage.{field} names '{name}'"):
        _on_every_node(SMALL, {"transit_damage": {field: {name: 0.1}}})
