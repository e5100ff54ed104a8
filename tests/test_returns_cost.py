"""Returns at their true cost (issue 17, part 2): the label and who pays it, refunds and
store credit, restock / refurbish / dispose by reason, the ledger lines and the returns
table, against known answers on a one-SKU scenario."""

from __future__ import annotations

import numpy as np
import pytest
import yaml
from hypothesis import given, settings
from hypothesis import strategies as st
from pydantic import ValidationError
from typer.testing import CliRunner

from sim.api import load_scenario, run, with_changes
from sim.carriers import CarrierTable
from sim.cli import app
from sim.returns_cost import label_charge
from sim.scenario import Carriers, Disposition, Returns

from .conftest import SCENARIOS

PRICE, VALUE = 20.0, 10.0  # A's selling price (keystone mark-up) and unit value
LABEL = 5.0 * (1 - 0.15)  # band 0 base rate, nothing per kg, the in-house discount


def _scenario(days: int = 30, **changes: object):
    """The base-stock scenario with half its units returned two days after delivery, one day
    back to the node, plenty of stock, and the given changes."""
    sc = load_scenario(SCENARIOS / "validation_base_stock.yaml")
    return with_changes(sc, {
        "run.horizon_days": days, "run.warmup_days": 0,
        "skus.categories": [{"name": "general", "return_rate": 0.5}],
        "inventory.order_up_to": {"store": {"A": 100_000}},
        "returns.delay_days": {"dist": "fixed", "mean": 2.0}, "returns.transit_days": 1.0,
        **changes})


def _ledger(res, category: str) -> float:
    costs = res.costs
    return float(costs.loc[costs["category"] == category, "amount"].sum())


def _inside(k: float, n: int, p: float) -> bool:
    """k successes of n within a 4-sigma binomial band around n p."""
    return abs(k - n * p) <= 4.0 * np.sqrt(n * p * (1 - p)) + 1


@pytest.fixture(scope="module")
def free():
    return run(_scenario())


def test_refund_is_the_price_of_the_units_returned(free):
    ships = free.shipments
    returned = int(ships["returned_units"].sum())
    assert returned > 100
    assert free.sales["refund"].sum() == pytest.approx(PRICE * returned, rel=1e-12)
    r = free.returns
    assert int(r["units"].sum()) == returned
    assert r["refund"].sum() == pytest.approx(PRICE * returned, rel=1e-12)
    assert (r["store_credit"] == 0).all()


def test_units_returned_are_restocked_refurbished_disposed_or_not_yet_inspected(free):
    r, ships = free.returns, free.shipments
    assert (r["units"] == r["restocked"] + r["refurbished"] + r["disposed"]
            + r["not_inspected"]).all()
    assert int(r["restocked"].sum()) == int(ships["restocked_units"].sum())
    inspected = ships["inspected_h"].notna()
    done = int(r[["restocked", "refurbished", "disposed"]].to_numpy().sum())
    assert done == int(ships.loc[inspected, "returned_units"].sum()) > 0
    assert int(r["not_inspected"].sum()) == int(ships.loc[~inspected, "returned_units"].sum())
    # restock 0.7 of the units inspected, the rest disposed of
    assert _inside(int(r["restocked"].sum()), done, 0.7)
    assert int(r["refurbished"].sum()) == 0


def test_free_returns_the_merchant_pays_every_label(free):
    r = free.returns
    assert (r["postage_payer"] == "merchant").all()
    parcels = r.drop_duplicates("shipment")
    assert parcels.groupby("shipment")["postage"].sum().to_numpy() == pytest.approx(LABEL)
    received = r[r["received_h"].notna()].drop_duplicates("shipment")
    assert _ledger(free, "return_postage") == pytest.approx(LABEL * len(received))
    assert free.summary["returns"]["merchant_paid_label_pct"] == 100.0


def test_write_off_is_the_disposed_units_at_unit_cost(free):
    r = free.returns
    disposed = int(r.loc[r["inspected_h"].notna(), "disposed"].sum())
    assert disposed > 0
    assert _ledger(free, "write_off") == pytest.approx(VALUE * disposed)
    # margin charges each return cost once, to its own order
    m = free.margin
    assert m["write_off"].sum() == pytest.approx(_ledger(free, "write_off"))
    assert m["return_postage"].sum() == pytest.approx(_ledger(free, "return_postage"))


def test_customer_paid_returns_cost_the_merchant_no_postage():
    res = run(_scenario(20, **{"returns.postage": {"policy": "customer_paid"}}))
    r = res.returns
    assert len(r) and (r["postage_payer"] == "customer").all()
    assert (r["postage"] > 0).all()  # the label's price, paid by the customer
    assert _ledger(res, "return_postage") == 0.0


def test_free_over_basket_the_merchant_pays_from_the_threshold():
    res = run(_scenario(20, **{
        "returns.postage": {"policy": "free_over_basket", "free_over_basket": 50.0},
        "demand.units_per_line": {"dist": "geometric", "mean": 2.0, "min": 1}}))
    r = res.returns.drop_duplicates("shipment")
    basket = res.sales.set_index("order")["basket_value"].reindex(r["order"]).to_numpy()
    merchant = (r["postage_payer"] == "merchant").to_numpy()
    assert merchant.any() and not merchant.all()
    np.testing.assert_array_equal(merchant, basket >= 50.0)
    paid = r[merchant & r["received_h"].notna().to_numpy()]
    assert _ledger(res, "return_postage") == pytest.approx(paid["postage"].sum())


def test_store_credit_reverses_revenue_less_breakage():
    res = run(_scenario(20, **{"returns.refund_share": 0.6,
                               "returns.store_credit_breakage": 0.25}))
    r = res.returns
    refunded = r["refund"].sum() / PRICE
    credited = r["store_credit"].sum() / PRICE
    assert refunded + credited == pytest.approx(r["units"].sum())
    assert _inside(refunded, int(r["units"].sum()), 0.6)
    assert res.sales["refund"].sum() == pytest.approx(
        r["refund"].sum() + 0.75 * r["store_credit"].sum())


def test_refurbished_units_cost_their_work_and_sell_off_at_a_discount():
    res = run(_scenario(**{"returns.restock_share": 0.5, "returns.refurbish_share": 0.3,
                           "returns.refurbish_cost_per_unit": 3.0,
                           "returns.refurbish_discount": 0.4}))
    r = res.returns
    done = r[r["inspected_h"].notna()]
    n = int(done[["restocked", "refurbished", "disposed"]].to_numpy().sum())
    refurbished = int(done["refurbished"].sum())
    assert _inside(refurbished, n, 0.3) and _inside(int(done["disposed"].sum()), n, 0.2)
    assert _ledger(res, "refurbish") == pytest.approx(3.0 * refurbished)
    assert res.margin["recovery"].sum() == pytest.approx(refurbished * PRICE * 0.6)
    s = res.summary
    assert s["recovery_revenue"] <= res.margin["recovery"].sum() + 1e-9
    shares = s["returns"]
    assert shares["restocked_pct"] + shares["refurbished_pct"] + shares["disposed_pct"] == \
        pytest.approx(100.0)


def test_return_reasons_drive_the_disposition():
    reasons = {"general": {
        "size_fit": {"share": 0.6, "disposition": {"restock": 1.0, "dispose": 0.0}},
        "damaged": {"share": 0.4, "disposition": {"restock": 0.0, "refurbish": 0.5,
                                                   "dispose": 0.5}}}}
    res = run(_scenario(**{"returns.reasons": reasons}))
    done = res.returns[res.returns["inspected_h"].notna()]
    assert set(done["reason"]) == {"size_fit", "damaged"}
    by = done.groupby("reason")[["units", "restocked", "refurbished", "disposed"]].sum()
    n = int(by["units"].sum())
    assert _inside(int(by.loc["size_fit", "units"]), n, 0.6)
    assert by.loc["size_fit", "units"] == by.loc["size_fit", "restocked"]
    assert by.loc["damaged", "restocked"] == 0
    assert (by.loc["damaged", "refurbished"] + by.loc["damaged", "disposed"]
            == by.loc["damaged", "units"])


def test_label_bills_the_carton_s_dimensional_weight():
    carriers = CarrierTable.from_scenario(Carriers.model_validate({
        "distance_bands_km": [500], "carriers": [{"id": "c", "services": [
            {"name": "ground", "transit_days": [2, 3], "base_rate": [4.0, 6.0],
             "per_kg_rate": [0.5, 1.0], "dim_divisor_cm3_per_kg": 5000}]}]}))
    band = np.array([0, 1])
    kg, charge = label_charge(carriers, band, np.array([1.0, 15.0]))
    np.testing.assert_allclose(kg, [1.0, 15.0])
    np.testing.assert_allclose(charge, [4.5, 21.0])
    # a 50 x 40 x 30 cm carton weighs 12 kg by volume: billed on that, not on its 1 kg
    kg, charge = label_charge(carriers, band, np.array([1.0, 15.0]),
                              np.array([[50, 40, 30], [50, 40, 30]]))
    np.testing.assert_allclose(kg, [12.0, 15.0])
    np.testing.assert_allclose(charge, [10.0, 21.0])


@settings(max_examples=60, deadline=None)
@given(st.floats(0, 1), st.floats(0, 1))
def test_disposition_shares_are_probabilities_summing_to_one(a: float, b: float):
    restock, refurbish = a, (1 - a) * b
    r = Returns(restock_share=restock, refurbish_share=refurbish)
    _, reason_shares, disp = r.disposition("any")
    assert ((disp >= 0) & (disp <= 1)).all() and disp.sum() == pytest.approx(1.0)
    assert reason_shares.sum() == pytest.approx(1.0)
    dispose = max(0.0, 1 - restock - refurbish)
    d = Disposition(restock=restock, refurbish=refurbish, dispose=dispose)
    assert d.restock + d.refurbish + d.dispose == pytest.approx(1.0)
    off = dispose + 0.1 if dispose <= 0.9 else dispose - 0.1  # shares summing to 1 +- 0.1
    with pytest.raises(ValidationError, match="restock \\+ refurbish \\+ dispose"):
        Disposition(restock=restock, refurbish=refurbish, dispose=off)


def _validate(tmp_path, returns: dict) -> tuple[int, str]:
    data = yaml.safe_load((SCENARIOS / "us_one_node_in_house.yaml").read_text())
    data["returns"] = returns
    path = tmp_path / "bad.yaml"
    path.write_text(yaml.safe_dump(data))
    res = CliRunner().invoke(app, ["validate", str(path)], env={"COLUMNS": "250"})
    return res.exit_code, res.output


@pytest.mark.parametrize(("returns", "named"), [
    ({"reasons": {"apparel": {"fit": {"share": 0.5, "disposition": {
        "restock": 0.7, "dispose": 0.3}}}}}, "reasons.apparel shares must sum to 1"),
    ({"reasons": {"apparel": {"fit": {"share": 1.0, "disposition": {
        "restock": 0.7, "dispose": 0.2}}}}}, "reasons.apparel.fit.disposition"),
    ({"reasons": {"shoes": {"fit": {"share": 1.0, "disposition": {
        "restock": 1.0, "dispose": 0.0}}}}}, "returns.reasons names category 'shoes'"),
    ({"refurbish_cost_per_unit": -1.0}, "returns.refurbish_cost_per_unit"),
    ({"restock_share": 0.8, "refurbish_share": 0.3}, "restock_share + refurbish_share"),
    ({"postage": {"policy": "free_over_basket"}}, "free_over_basket"),
])
def test_bad_returns_input_names_the_field(tmp_path, returns: dict, named: str):
    code, out = _validate(tmp_path, returns)
    assert code == 2 and named in out, out
    assert "Traceback" not in out


def test_exchanges_ship_as_new_orders_without_revenue():
    res = run(_scenario(**{"returns.refund_share": 0.6, "returns.exchange_share": 0.3}))
    r, orders, sales = res.returns, res.orders, res.sales
    units = int(r["units"].sum())
    exchanged = int(r["exchanged"].sum())
    assert _inside(exchanged, units, 0.3)
    # refunds 0.6, store credit the rest (0.1), nothing for an exchange
    assert (r["refund"] + r["store_credit"]).sum() == pytest.approx(
        PRICE * (units - exchanged))
    # one exchange order per return parcel with an exchanged unit that is back in the run
    # (delivered + 2 days to drop-off + 1 day back), for the same SKU and units
    swap = orders[orders["exchange_of"] >= 0]
    ships = res.shipments.set_index("shipment")
    back = r[r["exchanged"] > 0]
    arrival = ships.loc[back["shipment"], "delivered_h"].to_numpy() + 72.0
    due = back[arrival < 24.0 * 30]
    assert len(swap) == len(due) > 20
    assert sorted(swap["exchange_of"]) == sorted(due["order"])
    assert swap["units"].sum() == due["exchanged"].sum()
    assert swap["shipped_h"].notna().mean() > 0.8  # routed, picked, packed and shipped
    assert (sales.loc[swap["order"], "revenue"] == 0).all()
    assert (res.margin.set_index("order").reindex(swap["order"])["shipping_fee"]
            .fillna(0) == 0).all()
    # an exchange is not demand: the order KPIs count the customers' own orders only
    own = orders[(orders["exchange_of"] < 0)]
    assert res.summary["orders"] == len(own)
    assert res.summary["returns"]["exchange_orders_shipped"] == int(swap["shipped_h"].notna()
                                                                    .sum())
