"""A dropship supplier's stockouts follow the scenario's `sales.on_stockout`, as a stocking
node's do (issue 17, part 4): lost at once, or after the customer's patience, with or
without partial shipment; counted in lost sales; conservation checked inside every run."""

from __future__ import annotations

from collections import defaultdict

import numpy as np
import pytest

from sim.api import load_scenario, run, with_changes

from .conftest import SCENARIOS

STOCK, LEAD_DAYS = 2, 3.0
TINY = with_changes(load_scenario(SCENARIOS / "us_one_node_dropship.yaml"), {
    "run.horizon_days": 8, "run.warmup_days": 2, "demand.orders_per_day": 200,
    "skus.generator.count": 60,
    "nodes[0].mode.stock": {"units": STOCK,
                            "lead_time_days": {"dist": "fixed", "mean": LEAD_DAYS}},
    "nodes[0].mode.processing_days": {"dist": "fixed", "mean": 1.0}})


def _replay_lost(r) -> dict[tuple[int, str], int]:
    """Units lost per (order, SKU), replayed by hand: each SKU starts at STOCK units; a line
    takes what is there and the rest is lost; only the units taken are reordered, back
    LEAD_DAYS later (one for one on what sells)."""
    ships = r.shipments
    taken_at = ships.groupby("order")["routed_h"].min()  # the supplier takes it on routing
    lines = r.order_lines
    sold: dict[str, list[tuple[float, int]]] = defaultdict(list)
    lost: dict[tuple[int, str], int] = defaultdict(int)
    for order, t in taken_at.sort_values(kind="stable").items():
        mine = lines[lines["order_id"] == order]
        for sku, q in zip(mine["sku"].astype(str), mine["quantity"].astype(int), strict=True):
            back = sum(u for when, u in sold[sku] if when + 24.0 * LEAD_DAYS <= t)
            have = STOCK - sum(u for _, u in sold[sku]) + back
            take = min(q, have)
            if take:
                sold[sku].append((t, take))
            if q > take:
                lost[(int(order), sku)] += q - take
    return dict(lost)


@pytest.fixture(scope="module")
def lost_run():
    return run(with_changes(TINY, {"sales.on_stockout": {"policy": "lost"}}))


def test_a_tiny_supplier_stock_loses_the_orders_it_cannot_fill(lost_run):
    r = lost_run
    table = r.tables["lost_sales"]
    got = table.groupby(["order", table["sku"].astype(str)])["units"].sum()
    expected = _replay_lost(r)
    assert len(expected) > 50  # 2 units a SKU for 200 orders a day: most lines run short
    assert {k: int(v) for k, v in got.items()} == expected
    assert set(table["reason"]) == {"stockout"}
    # lost whole: no units left, state lost; partial (the default for lost): the units in
    # stock ship, so an order may be both shipped and short
    ships = r.shipments
    assert (ships.loc[ships["state"] == "lost", "units"] == 0).all()
    assert (ships["state"] == "lost").any() and ships["shipped_h"].notna().any()
    # nothing waits for the supplier's stock: what is not there is lost at once
    assert (ships["filled_on_arrival"] == ships["units"]).all()


def test_lost_units_are_in_lost_sales_revenue(lost_run):
    r = lost_run
    s = r.summary
    table = r.tables["lost_sales"]
    window = table["order"].isin(
        r.orders.loc[r.orders["created_h"] >= 24.0 * TINY.run.warmup_days, "order"])
    assert s["lost_units"] == int(table.loc[window, "units"].sum()) > 0
    assert s["lost_sales_value"] == pytest.approx(table.loc[window, "value"].sum())
    assert 0 < s["lost_demand_pct"] <= 100


def test_backorder_waits_as_today():
    r = run(TINY)  # the default rule: every short order waits, none is lost
    assert r.tables["lost_sales"].empty and r.summary["lost_units"] == 0
    ships = r.shipments
    waited = ships["filled_on_arrival"] < ships["units"]
    assert waited.any()
    assert not (ships["state"] == "lost").any()


def test_patience_whole_shipments_cancel_after_the_wait():
    patience = 1.0
    sc = with_changes(TINY, {"sales.on_stockout": {
        "policy": "patience", "patience_days": {"dist": "fixed", "mean": patience},
        "partial_shipment": False}})
    r = run(sc)
    table = r.tables["lost_sales"]
    assert len(table) and set(table["reason"]) == {"patience"}
    ships = r.shipments.set_index("shipment")
    lost = ships.loc[table["shipment"].unique()]
    # whole shipments: each lost one has no units left; it gave up a day after it was taken
    assert (lost["state"] == "lost").all() and (lost["units"] == 0).all()
    gave_up = table.groupby("shipment")["t_h"].first()
    assert np.allclose(gave_up.to_numpy(),
                       lost.loc[gave_up.index, "routed_h"].to_numpy() + 24.0 * patience)
    # an order that waited less than its patience shipped whole, later than it would have
    waited = (ships["filled_on_arrival"] < ships["units"]) & ships["packed_h"].notna()
    assert waited.any()


def test_compare_counts_the_dropship_suppliers_lost_sales(tmp_path):
    import pandas as pd

    from .conftest import compare_cli

    _, out, _ = compare_cli(tmp_path, {
        "run.horizon_days": 8, "run.warmup_days": 2, "demand.orders_per_day": 120,
        "skus.generator.count": 40,
        "alternatives.dropship_stock": {
            "units": STOCK, "lead_time_days": {"dist": "fixed", "mean": LEAD_DAYS}},
        "sales.on_stockout": {"policy": "lost"}},
        "--modes", "in_house,dropship", "--replications", "2", "--no-sensitivity")
    kpis = pd.read_csv(out / "kpis.csv")
    lost = kpis[kpis["metric"] == "lost_sales_value"].groupby("mode")["mean"].max()
    share = kpis[kpis["metric"] == "lost_demand_pct"].groupby("mode")["mean"].max()
    # two units a SKU at the supplier: the dropship mode loses far more than the stocked node
    assert lost["dropship"] > 0 and lost["dropship"] > lost["in_house"]
    assert 0 < share["dropship"] <= 100
