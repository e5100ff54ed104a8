"""Lost sales, patience, partial shipment, revenue and margin (issue 17, part 3).

The scenarios are small and their answers known: one store with a fixed stock and no
replenishment inside the run, so every unit ordered beyond the stock is the stockout's."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from pydantic import ValidationError

from sim.api import load_scenario, run, with_changes
from sim.costs import shipping_fees
from sim.kpis import SHIPPING_CATEGORIES
from sim.returns_cost import RETURN_COST_CATEGORIES

from .conftest import SCENARIOS

STOCK = 85  # units of A on the shelf at the start (the scenario's order-up-to level)


def _base(days: int = 10, **changes: object):
    """The base-stock validation scenario, `days` long, with no purchase order arriving in
    the run (a 100-day lead time): the shelf holds STOCK units, then runs dry."""
    sc = load_scenario(SCENARIOS / "validation_base_stock.yaml")
    return with_changes(sc, {"run.horizon_days": days, "run.warmup_days": 0,
                             "inventory.supplier.lead_time_days_mean": 100, **changes})


def _two_skus(policy: dict, days: int = 6):
    """Two SKUs, A always in stock and B never (S = 0), baskets of one to three lines."""
    sc = _base(days)
    data = sc.model_dump(mode="python")
    data["skus"]["items"] = [{"id": "A", "popularity": 1.0, "unit_value": 10},
                             {"id": "B", "popularity": 1.0, "unit_value": 30}]
    data["demand"]["lines_per_order"] = {"dist": "geometric", "mean": 1.6, "min": 1}
    data["demand"]["units_per_line"] = {"dist": "geometric", "mean": 1.5, "min": 1}
    data["inventory"]["order_up_to"] = {"store": {"A": 100_000, "B": 0}}
    data["sales"] = {"on_stockout": policy}
    return type(sc).model_validate(data)


def _lines(res) -> pd.DataFrame:
    """Every order line of the run (order, sku name, qty) from the order book export."""
    lines = res.order_lines
    return lines.rename(columns={"order_id": "order", "quantity": "qty"})


# ---------------------------------------------------------------- lost against backorder


def test_lost_units_are_the_demand_beyond_the_stock():
    back = run(_base())
    lost = run(_base(**{"sales.on_stockout": {"policy": "lost"}}))
    ordered = int(back.orders["units"].sum())
    assert ordered > STOCK  # the shelf runs dry inside the run
    # Backorder: the units beyond the stock wait; lost: they are not sold, none waits.
    assert back.balance["units_lost"] == 0
    assert back.balance["units_backordered"] == ordered - STOCK
    assert lost.balance["units_lost"] == ordered - STOCK
    assert lost.balance["units_backordered"] == 0
    assert int(lost.lost_sales["units"].sum()) == ordered - STOCK
    assert set(lost.lost_sales["reason"]) == {"stockout"}
    # The same orders leave in both runs: the first STOCK ones.
    assert lost.tables["sales"]["revenue"].sum() == pytest.approx(back.sales["revenue"].sum())
    assert lost.summary["lost_units"] == ordered - STOCK
    assert lost.summary["lost_demand_pct"] == pytest.approx(100.0 * (ordered - STOCK) / ordered)
    # Single-unit orders: an order is lost exactly when its unit is.
    assert (lost.orders["state"] == "lost").sum() == ordered - STOCK
    # Lost value at the selling price: unit value 10 x (1 + the default markup 1.0).
    assert lost.summary["lost_sales_value"] == pytest.approx(20.0 * (ordered - STOCK))
    # The shelf filled the same STOCK units either way: a lost unit is an unfilled one.
    for res in (back, lost):
        assert res.summary["unit_fill_rate_pct"] == pytest.approx(100.0 * STOCK / ordered)


def test_patience_cancels_who_waited_too_long_and_ships_who_did_not():
    # Stock arrives 3 days after each daily review: some customers wait less than their
    # 2 days (shipped), some longer (cancelled exactly 2 days after they were routed).
    sc = _base(20, **{"inventory.supplier.lead_time_days_mean": 3,
                      "inventory.order_up_to": {"store": {"A": 30}},
                      "sales.on_stockout": {"policy": "patience",
                                            "patience_days": {"dist": "fixed", "mean": 2}}})
    res = run(sc)
    ships, lost = res.shipments, res.lost_sales
    assert len(lost) and set(lost["reason"]) == {"patience"}
    cancelled = ships.set_index("shipment").loc[lost["shipment"]]
    waited = lost["t_h"].to_numpy() - cancelled["routed_h"].to_numpy()
    np.testing.assert_allclose(waited, 48.0)
    assert (cancelled["state"] == "lost").all()
    late_fill = ships[(ships["filled_on_arrival"] < ships["units"])
                      & ships["allocated_h"].notna()]
    assert len(late_fill)  # some backordered customers were served in time
    assert ((late_fill["allocated_h"] - late_fill["routed_h"]) <= 48.0 + 1e-9).all()
    assert res.balance["units_lost"] == int(lost["units"].sum())


# ---------------------------------------------------------------- partial shipment


def _units_with_b(res) -> tuple[int, int, int]:
    """(units of B ordered, units of orders holding a B line, units ordered)."""
    lines = _lines(res)
    has_b = lines.groupby("order")["sku"].transform(lambda s: (s == "B").any())
    return (int(lines.loc[lines["sku"] == "B", "qty"].sum()),
            int(lines.loc[has_b, "qty"].sum()), int(lines["qty"].sum()))


def test_lost_with_partial_shipment_loses_only_the_short_lines():
    res = run(_two_skus({"policy": "lost", "partial_shipment": True}))
    b_units, _, ordered = _units_with_b(res)
    assert res.balance["units_lost"] == b_units
    assert (res.lost_sales["sku"] == "B").all()
    assert res.balance["units_created"] == ordered


def test_lost_without_partial_shipment_loses_the_whole_shipment():
    res = run(_two_skus({"policy": "lost", "partial_shipment": False}))
    _, with_b, _ = _units_with_b(res)
    assert res.balance["units_lost"] == with_b
    assert set(res.lost_sales["sku"]) == {"A", "B"}  # the A units of those orders too
    lost_orders = res.orders[res.orders["state"] == "lost"]
    assert len(lost_orders) == res.lost_sales["order"].nunique()


def test_backorder_with_partial_shipment_sends_what_is_in_stock_now():
    whole = run(_two_skus({"policy": "backorder"}))
    part = run(_two_skus({"policy": "backorder", "partial_shipment": True}))
    b_units, with_b, _ = _units_with_b(part)
    # Whole shipments wait with their A units; partial ones leave those behind.
    assert whole.balance["units_backordered"] == with_b
    assert part.balance["units_backordered"] == b_units
    assert part.balance["units_lost"] == whole.balance["units_lost"] == 0
    mixed = part.shipments.groupby("order").size()
    assert (mixed > 1).any() and (part.orders["split"] == (part.orders["n_shipments"] > 1)).all()


def test_rules_by_service_apply_to_their_orders_only():
    sc = _base(**{"demand.service_levels": [
        {"name": "standard", "share": 0.5, "promise_days": 5},
        {"name": "expedited", "share": 0.5, "promise_days": 2}],
        "sales.on_stockout": {"policy": "backorder",
                              "by_service": {"expedited": {"policy": "lost"}}}})
    res = run(sc)
    lost_orders = res.orders.set_index("order").loc[res.lost_sales["order"]]
    assert len(lost_orders) and (lost_orders["service"] == "expedited").all()
    waiting = res.orders[res.orders["state"] == "backordered"]
    assert len(waiting) and (waiting["service"] == "standard").all()


def test_rules_by_category_follow_the_short_line():
    sc = _two_skus({"policy": "backorder"})
    data = sc.model_dump(mode="python")
    data["sales"]["on_stockout"]["by_category"] = {"fashion": {"policy": "lost"}}
    data["skus"]["categories"] = [{"name": "staple"}, {"name": "fashion"}]
    data["skus"]["items"][0]["category"] = "staple"
    data["skus"]["items"][1]["category"] = "fashion"
    res = run(type(sc).model_validate(data))
    b_units, _, _ = _units_with_b(res)
    # B (fashion) is never in stock: its units are lost, its orders' A units still ship.
    assert res.balance["units_lost"] == b_units and (res.lost_sales["sku"] == "B").all()
    assert res.balance["units_backordered"] == 0


@pytest.mark.parametrize("policy", [{"policy": "lost", "partial_shipment": True},
                                    {"policy": "lost", "partial_shipment": False},
                                    {"policy": "backorder", "partial_shipment": True}])
def test_kept_lines_are_the_lines_each_shipment_carries_after_the_stockout(policy):
    from sim.model import Network
    from sim.tables import build_tables

    net = Network(_two_skus(policy, days=3), keep_lines=True)
    net.run()
    number, _, qty = net.record.shipment_lines()
    ships = build_tables(net.record)["shipments"]
    per_shipment = np.bincount(number, qty, minlength=len(ships))
    np.testing.assert_array_equal(per_shipment, ships["units"].to_numpy())
    assert (np.diff(number) >= 0).all()


# ---------------------------------------------------------------- revenue and margin


@pytest.fixture(scope="module")
def in_house():
    """A fortnight of the bundled in-house scenario, with returns."""
    sc = load_scenario(SCENARIOS / "us_one_node_in_house.yaml")
    return run(with_changes(sc, {"run.horizon_days": 14, "run.warmup_days": 2}))


def test_margin_is_revenue_less_costs_order_by_order(in_house):
    m = in_house.margin
    assert len(m) and m["order"].is_unique
    recomputed = (m["revenue"] + m["shipping_fee"] - m["refund"] + m["recovery"]
                  + m["restock_credit"] - m["product_cost"] - m["shipping_cost"]
                  - m["fulfilment_cost"] - m["return_postage"] - m["refurbish"]
                  - m["write_off"])
    np.testing.assert_allclose(m["margin"], recomputed, rtol=0, atol=1e-9)
    # The costs are the ledger's: the carrier's line to the cent, the rest shared out
    # except the node-days that shipped nothing.
    ledger = in_house.costs
    carrier = ledger[ledger["category"].isin(SHIPPING_CATEGORIES)]["amount"].sum()
    assert m["shipping_cost"].sum() == pytest.approx(carrier, rel=1e-12)
    own = (*SHIPPING_CATEGORIES, *RETURN_COST_CATEGORIES)  # charged to their own orders
    for c in RETURN_COST_CATEGORIES:
        booked = ledger.loc[ledger["category"] == c, "amount"].sum()
        assert m[c].sum() == pytest.approx(booked, rel=1e-12, abs=1e-9)
    fulfil = ledger[~ledger["category"].isin(own)]
    ships = in_house.shipments.dropna(subset=["shipped_h"])
    shipped_days = set(zip((ships["shipped_h"] // 24).astype(int), ships["node"], strict=True))
    idle = fulfil[[(d, n) not in shipped_days for d, n in zip(fulfil["day"], fulfil["node"],
                                                              strict=True)]]
    assert m["fulfilment_cost"].sum() + idle["amount"].sum() == pytest.approx(
        fulfil["amount"].sum(), rel=1e-12)
    assert m.attrs["unallocated_cost"] == pytest.approx(idle["amount"].sum())
    # Product cost is the shipped units' unit value; a refund never exceeds the revenue.
    assert m["product_cost"].sum() == pytest.approx(ships["value"].sum())
    assert (m["refund"] <= m["revenue"] + 1e-9).all() and (m["refund"] > 0).any()


def test_profit_per_order_is_net_revenue_less_product_less_cost(in_house):
    s = in_house.summary
    n = s["orders_shipped_in_window"]
    assert s["profit_per_order"] == pytest.approx(
        s["revenue_per_order"] - s["product_cost_per_order"] - s["cost_per_order"])
    assert s["gross_margin"] == pytest.approx(s["profit_per_order"] * n)
    assert s["net_revenue"] == pytest.approx(s["revenue"] + s["shipping_fee_revenue"]
                                             - s["refunds"] + s["recovery_revenue"])
    assert s["lost_units"] == 0 and s["lost_demand_pct"] == 0.0  # backorders by default


def test_revenue_is_the_price_of_the_units_shipped():
    sc = _base(**{"skus.items": [{"id": "A", "popularity": 1.0, "unit_value": 10,
                                  "price": 25.0}]})
    res = run(sc)
    shipped = res.shipments.dropna(subset=["shipped_h"])["units"].sum()
    assert res.sales["revenue"].sum() == pytest.approx(25.0 * shipped)
    assert res.sales["basket_value"].sum() == pytest.approx(25.0 * res.orders["units"].sum())


def test_shipping_fee_is_flat_free_over_the_threshold_and_by_service():
    sc = _base(**{"sales.shipping_fee": {"flat": 5.0, "free_over_basket": 50.0,
                                         "by_service": {"standard": 12.0}}})
    fee = shipping_fees(sc, np.array(["standard", "other", "other"]),
                        np.array([100.0, 49.99, 50.0]))
    np.testing.assert_array_equal(fee, [12.0, 5.0, 0.0])


# ---------------------------------------------------------------- schema


@pytest.mark.parametrize(("on_stockout", "words"), [
    ({"policy": "patience"}, "patience_days"),
    ({"policy": "lost", "patience_days": {"mean": 1}}, "patience_days"),
    ({"by_service": {"overnight": {"policy": "lost"}}}, "overnight"),
    ({"by_category": {"shoes": {"policy": "lost"}}}, "shoes"),
    ({"by_service": {"standard": {"policy": "lost"}},
      "by_category": {"general": {"policy": "lost"}}}, "not both"),
])
def test_bad_stockout_rules_are_named(on_stockout, words):
    with pytest.raises(ValidationError, match=words):
        _base(**{"sales.on_stockout": on_stockout})


# ---------------------------------------------------------------- properties


@settings(max_examples=8, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(policy=st.sampled_from(["backorder", "lost", "patience"]),
       partial=st.booleans(), stock=st.integers(0, 150),
       patience=st.floats(0.0, 4.0), days=st.integers(2, 6))
def test_lost_shares_are_shares(policy, partial, stock, patience, days):
    rule = {"policy": policy, "partial_shipment": partial}
    if policy == "patience":
        rule["patience_days"] = {"dist": "fixed", "mean": patience}
    sc = _two_skus(rule, days)
    sc = with_changes(sc, {"inventory.order_up_to": {"store": {"A": stock, "B": stock // 2}}})
    res = run(sc)  # raises if a unit is neither shipped, open nor lost
    s = res.summary
    for k in ("lost_demand_pct", "lost_sales_value_pct", "orders_with_lost_units_pct"):
        assert 0.0 <= s[k] <= 100.0, (k, s[k])
    assert s["lost_units"] == res.balance["units_lost"]
    if policy == "backorder":
        assert s["lost_units"] == 0


def test_calibrated_skus_carry_the_median_selling_price_beside_their_cost():
    from sim.calibrate.baskets import sku_items
    from sim.scenario import SkuSpec

    lines = pd.DataFrame({"sku": ["A", "A", "A", "B"], "unit_price": [10.0, 12.0, 30.0, 5.0]})
    master = pd.DataFrame({"sku": ["A", "B"], "unit_cost": [4.0, 2.0]})
    items, _ = sku_items(lines, master, {"weight_kg": 1.0, "cube_m3": 0.005,
                                         "unit_value": 20.0})
    by_id = {i["id"]: SkuSpec(**i) for i in items}
    assert (by_id["A"].price, by_id["A"].unit_value) == (12.0, 4.0)
    assert (by_id["B"].price, by_id["B"].unit_value) == (5.0, 2.0)
    no_prices, _ = sku_items(lines.drop(columns="unit_price"), master,
                             {"weight_kg": 1.0, "cube_m3": 0.005, "unit_value": 20.0})
    assert all("price" not in i for i in no_prices)  # the scenario's markup then applies
