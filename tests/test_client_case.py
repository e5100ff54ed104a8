"""The client case of notebooks/07 (scenarios/client_case_apparel_home.yaml): the naive
comparison (actual weight, flat packaging, returns left out) and the client as it ships
(cartons on dimensional weight, returns at their true cost) recommend different modes, by a
margin, and every variant's ledger balances order by order.

The scenario as bundled (35 days, a 21-day warm-up, so returns reach the node at their
steady rate): one replication per mode and variant on common random numbers, two for the
naive and the true view, whose paired gap is averaged."""

from __future__ import annotations

import numpy as np
import pytest

from sim.api import load_scenario, run, with_changes
from sim.bundled import bundled_scenario
from sim.kpis import SHIPPING_CATEGORIES
from sim.modes import scenario_for_mode
from sim.returns_cost import RETURN_COST_CATEGORIES
from sim.scenario import Scenario

MODES = ("in_house", "3pl")
# The recommendation must hold by this much profit per shipped order (USD), so that small
# changes elsewhere in the model (fees, stock policy) do not flip the test; the notebook's
# gaps are several times larger.
MARGIN = 0.25


def variants(client: Scenario) -> dict[str, Scenario]:
    """The notebook's four views of the client: naive, cartons only, returns only, both."""
    services = client.carriers.carriers[0].services
    flat = {"nodes[0].packaging": None, **{
        f"carriers.carriers[0].services[{i}].dim_divisor_cm3_per_kg": None
        for i in range(len(services))}}
    no_returns = {f"skus.categories[{i}].return_rate": 0.0
                  for i in range(len(client.skus.categories))}
    return {"naive": with_changes(client, {**flat, **no_returns}),
            "cartons": with_changes(client, no_returns),
            "returns": with_changes(client, flat),
            "both": client}


REPLICATIONS = {"naive": 2, "both": 2}  # the others: 1 (their ledgers are checked)


@pytest.fixture(scope="module")
def all_runs():
    client = load_scenario(bundled_scenario("client_case_apparel_home.yaml"))
    return {(v, m, r): run(scenario_for_mode(sc, m), replication=r)
            for v, sc in variants(client).items() for m in MODES
            for r in range(REPLICATIONS.get(v, 1))}


@pytest.fixture(scope="module")
def runs(all_runs):
    """Replication 0 of each variant and mode."""
    return {(v, m): res for (v, m, r), res in all_runs.items() if r == 0}


def _profit_gap(all_runs, variant: str) -> float:
    """3PL minus in-house profit per shipped order (USD) in one variant, paired by
    replication and averaged."""
    gaps = [all_runs[(variant, "3pl", r)].summary["profit_per_order"]
            - all_runs[(variant, "in_house", r)].summary["profit_per_order"]
            for r in range(REPLICATIONS[variant])]
    return sum(gaps) / len(gaps)


def test_the_naive_view_recommends_the_3pl_and_the_true_costs_in_house(all_runs, runs):
    assert _profit_gap(all_runs, "naive") > MARGIN
    assert _profit_gap(all_runs, "both") < -4 * MARGIN
    # Revenue is the same in both modes (the same orders, shipped alike): the gap is cost.
    for v in ("naive", "both"):
        a, b = (runs[(v, m)].summary for m in MODES)
        assert a["revenue_per_order"] == pytest.approx(b["revenue_per_order"], rel=0.01)


def test_cartons_bill_more_than_actual_weight_and_returns_cost_labels_and_refunds(runs):
    for m in MODES:
        naive, cartons = runs[("naive", m)].summary, runs[("cartons", m)].summary
        assert cartons["cartons"]["billable_to_actual_kg"] > 2.0  # light, bulky goods
        assert (cartons["cost_per_order_by_category"]["carrier"]
                > 1.5 * naive["cost_per_order_by_category"]["carrier"])
        returns = runs[("returns", m)].summary
        assert naive["refunds"] == 0 and returns["refunds"] > 0
        assert returns["cost_per_order_by_category"]["return_postage"] > 1.0


@pytest.mark.parametrize("variant", ["naive", "cartons", "returns", "both"])
@pytest.mark.parametrize("mode", MODES)
def test_each_variants_ledger_balances_order_by_order(runs, variant, mode):
    res = runs[(variant, mode)]
    m = res.margin
    assert len(m) and m["order"].is_unique
    recomputed = (m["revenue"] + m["shipping_fee"] - m["refund"] + m["recovery"]
                  + m["restock_credit"] - m["product_cost"] - m["shipping_cost"]
                  - m["fulfilment_cost"] - m["return_postage"] - m["refurbish"]
                  - m["write_off"])
    np.testing.assert_allclose(m["margin"], recomputed, rtol=0, atol=1e-9)
    ledger = res.costs
    carrier = ledger.loc[ledger["category"].isin(SHIPPING_CATEGORIES), "amount"].sum()
    assert m["shipping_cost"].sum() == pytest.approx(carrier, rel=1e-12)
    for c in RETURN_COST_CATEGORIES:
        booked = ledger.loc[ledger["category"] == c, "amount"].sum()
        assert m[c].sum() == pytest.approx(booked, rel=1e-12, abs=1e-9)
    own = ledger[~ledger["category"].isin((*SHIPPING_CATEGORIES, *RETURN_COST_CATEGORIES))]
    assert m["fulfilment_cost"].sum() + m.attrs["unallocated_cost"] == pytest.approx(
        own["amount"].sum(), rel=1e-12)
    s = res.summary
    assert s["profit_per_order"] == pytest.approx(
        s["revenue_per_order"] - s["product_cost_per_order"] - s["cost_per_order"])
    assert res.balance["created"] > 0


def test_a_marketplace_alternative_drops_the_merchants_cartons():
    # sim.modes bug fixed with this case: the marketplace packs with its own materials, so
    # the alternative of a scenario with a carton catalogue used to fail validation.
    client = load_scenario(bundled_scenario("client_case_apparel_home.yaml"))
    market = scenario_for_mode(client, "marketplace")
    assert market.nodes[0].mode.kind == "marketplace" and market.nodes[0].packaging is None
    assert scenario_for_mode(client, "3pl").nodes[0].packaging is not None
