"""The terms of each fulfilment mode a client would check (issue 17, part 4): the dropship
supplier's own site, stock, cut-off; the 3PL's go-live receiving, storage by cube, minimum
fee and SLA credit; the marketplace's own nodes, fees and crews."""

from __future__ import annotations

import math

import numpy as np
import pandas as pd
import pytest
from pydantic import ValidationError
from typer.testing import CliRunner

from optimize.errors import InvalidInput
from optimize.geo import distance_matrix_km
from sim.api import load_scenario, run, with_changes
from sim.cli import app
from sim.fulfilment_modes import MONTH_DAYS, promised_ship_day, rule_for, storage_per_day
from sim.modes import dropship_site, scenario_for_mode
from sim.scenario import SUPPLIER_REGIONS, Node, ThreePlCosts

from .conftest import SCENARIOS

SMALL = {"run.horizon_days": 10, "run.warmup_days": 2, "demand.orders_per_day": 300,
         "skus.generator.count": 100}
DROPSHIP = with_changes(load_scenario(SCENARIOS / "us_one_node_dropship.yaml"), SMALL)
THREE_PL = with_changes(load_scenario(SCENARIOS / "us_one_node_3pl.yaml"), SMALL)


# ---------------------------------------------------------------- dropship


@pytest.fixture(scope="module")
def near_far():
    near = with_changes(DROPSHIP, {"run.horizon_days": 16})  # time for Shenzhen's parcels
    return run(near), run(with_changes(near, {"nodes[0].mode.region": "china_south"}))


def test_parcels_leave_from_the_suppliers_site(near_far):
    near, far = near_far
    la, sz = SUPPLIER_REGIONS["us_west"], SUPPLIER_REGIONS["china_south"]
    assert DROPSHIP.nodes[0].location.lat == la.lat and DROPSHIP.nodes[0].location.lon == la.lon
    # Shenzhen is over 8,000 km from any US customer: every parcel is in the last band, and
    # takes that band's transit plus the line haul; Los Angeles' are mostly nearer.
    assert (far.shipments["distance_km"].dropna() > 8_000).all()
    assert (near.shipments["distance_km"].dropna() < 5_000).all()
    def transit_days(r):
        s = r.shipments.dropna(subset=["shipped_h"])
        return (s["delivered_h"] // 24 - s["shipped_h"] // 24).dropna()  # days in transit

    # the last band's 2-5 days plus 7 of line haul; none of LA's takes over 5 (+ delays)
    assert transit_days(far).min() >= 2 + sz.extra_transit_days
    assert transit_days(far).median() >= transit_days(near).median() + sz.extra_transit_days
    # Same orders, same processing draws: the difference is transit alone.
    assert np.array_equal(near.orders["created_h"], far.orders["created_h"])


def test_a_known_distance_gives_its_zone():
    # Los Angeles to Newark is about 3,940 km: beyond the 2,250 km band edge (zone 7-8);
    # Newark to Chicago's supplier region about 1,150 km (zone 5: 965-1,600 km).
    la, nw, chi = (SUPPLIER_REGIONS[r] for r in ("us_west", "us_east", "us_midwest"))
    d = distance_matrix_km(np.array([nw.lat]), np.array([nw.lon]),
                           np.array([la.lat, chi.lat]), np.array([la.lon, chi.lon]))[0]
    assert d[0] == pytest.approx(3_940, rel=0.02) and d[1] == pytest.approx(1_150, rel=0.03)
    bands = DROPSHIP.carriers.distance_bands_km
    assert np.searchsorted(bands, d, side="left").tolist() == [4, 2]


def _node(**fields: object) -> dict:
    return {"id": "acme", "mode": {"kind": "dropship"}, **fields}


def test_a_dropship_node_without_a_site_names_the_node_and_field():
    with pytest.raises(ValidationError, match=r"node 'acme': mode.location or mode.region is "
                       "required"):
        Node.model_validate(_node())
    site = Node.model_validate(_node(mode={"kind": "dropship", "region": "us_east"}))
    assert (site.location.lat, site.location.lon) == (40.74, -74.17)
    with pytest.raises(ValidationError, match="is not the supplier's site"):
        Node.model_validate(_node(location={"lat": 1, "lon": 2},
                                  mode={"kind": "dropship", "region": "us_east"}))
    with pytest.raises(ValidationError, match="not both"):
        Node.model_validate(_node(mode={"kind": "dropship", "region": "us_east",
                                        "location": {"lat": 1, "lon": 2}}))


def test_a_scenario_file_without_the_site_says_so(tmp_path):
    text = (SCENARIOS / "us_one_node_dropship.yaml").read_text()
    bad = tmp_path / "bad.yaml"
    bad.write_text(text.replace("      region: us_west", "      # no site"))
    with pytest.raises(ValidationError, match=r"'supplier_la': mode\.location or mode\.region"):
        load_scenario(bad)
    res = CliRunner().invoke(app, ["run", str(bad), "--out", str(tmp_path / "o")])
    assert res.exit_code == 2 and "mode.location or mode.region" in res.output


def test_compare_requires_the_dropship_supplier(tmp_path):
    base = load_scenario(SCENARIOS / "us_one_node_in_house.yaml")
    assert dropship_site(base)[1].startswith("region us_west (Los Angeles")
    bare = with_changes(base, {"alternatives.dropship_supplier": None})
    for mode in ("dropship", "hybrid"):
        with pytest.raises(InvalidInput, match=r"alternatives\.dropship_supplier"):
            scenario_for_mode(bare, mode)
    assert scenario_for_mode(bare, "3pl").nodes[0].mode.kind == "3pl"  # needs no supplier
    moved = with_changes(base, {"alternatives.dropship_supplier": {"lat": 41.0, "lon": -80.0}})
    node = scenario_for_mode(moved, "dropship").nodes[0]
    assert (node.location.lat, node.location.lon) == (41.0, -80.0)
    assert (node.cutoff_h, node.pickup_h) == (12.0, 17.0)  # its own, not node 0's
    path = tmp_path / "bare.yaml"
    path.write_text((SCENARIOS / "us_one_node_in_house.yaml").read_text().replace(
        "  dropship_supplier: us_west\n", "  three_pl_capacity_factor: 1.5\n"))
    res = CliRunner().invoke(app, ["compare", str(path), "--modes", "in_house,dropship",
                                   "--out", str(tmp_path / "report")])
    assert res.exit_code == 2 and "alternatives.dropship_supplier" in res.output


def test_the_suppliers_cutoff_starts_late_orders_the_next_day(near_far):
    ships = near_far[0].shipments
    created, packed = ships["routed_h"], ships["packed_h"]  # the supplier takes it then
    late = created % 24 >= DROPSHIP.nodes[0].cutoff_h
    assert late.any() and (~late).any()
    assert (packed[late] >= 24 * (created[late] // 24 + 1)).all()


def test_orders_wait_for_the_suppliers_stock():
    lead = 3.0
    short = with_changes(DROPSHIP, {
        "nodes[0].mode.stock": {"units": 2, "lead_time_days": {"dist": "fixed", "mean": lead}},
        "nodes[0].mode.processing_days": {"dist": "fixed", "mean": 1.0}})
    r = run(short)  # conservation is checked inside
    ships = r.shipments
    cutoff = short.nodes[0].cutoff_h

    def start(h):  # work starts at once before the cut-off, else the next midnight
        return np.where(h % 24 < cutoff, h, 24 * (h // 24 + 1))

    waited = (ships["filled_on_arrival"] < ships["units"]).to_numpy()
    assert waited.any() and (~waited).any()
    created, packed = ships["routed_h"].to_numpy(), ships["packed_h"].to_numpy()  # taken then
    # in stock: one day of handling from the start; short: it waited for units first, at
    # most the lead time (one for one, first come first served: its units were reordered
    # no later than its own order)
    assert np.allclose(packed[~waited], start(created[~waited]) + 24.0)
    done = waited & ~np.isnan(packed)
    wait = packed[done] - (start(created[done]) + 24.0)
    assert (wait >= -1e-9).all() and wait.mean() > 1.0
    assert (packed[done] <= start(created[done] + 24 * lead) + 24.0 + 1e-9).all()
    assert ships.loc[waited & ships["shipped_h"].isna(), "state"].eq("at_supplier").all()


# ---------------------------------------------------------------- 3PL


def test_storage_by_cube_per_m3():
    cube = np.array([0.0, 1.44, 1.45, 10.0])
    m3 = storage_per_day(ThreePlCosts(storage_basis="cubic_metre"), np.zeros(4), cube, 200)
    assert m3.tolist() == pytest.approx((cube * 15.3 / MONTH_DAYS).tolist())


def _items(n: int = 3) -> list[dict]:
    # 3 SKUs of 20 x 30 x 40 cm (0.024 m3)
    return [{"id": f"S{i}", "dims_cm": [20, 30, 40], "weight_kg": 2.0} for i in range(n)]


@pytest.fixture(scope="module")
def small_3pl():
    sc = with_changes(THREE_PL, {"skus.generator": None, "skus.items": _items(),
                                 "skus.categories": [{"name": "general"}],
                                 "nodes[0].mode.capacity_orders_per_day": 150})
    return sc, run(sc)


def test_go_live_receiving_and_storage_by_cube(small_3pl):
    _, r = small_3pl
    first = r.daily[r.daily["t_h"] == 0].iloc[0]
    units = first["on_hand_units"]
    assert units > 0 and first["on_hand_cube_m3"] == pytest.approx(units * 0.024)
    day0 = r.costs[(r.costs["day"] == 0)].set_index("category")["amount"]
    inbound = r.tables["inbound"]
    put_day0 = inbound.loc[inbound["putaway_h"] < 24, "units"].sum()
    assert day0["3pl_receiving"] == pytest.approx((units + put_day0) / 200 * 9.0)
    # three SKUs of 0.024 m3, a position per SKU (tests/test_pallet_positions.py): at least
    # the pooled cube's positions, at most one part-filled position more per SKU
    pallets = first["pallet_positions"]
    pooled = math.ceil(units * 0.024 / 1.44)
    assert pooled <= pallets <= pooled + 3
    assert day0["3pl_storage"] == pytest.approx(pallets * 22.0 / MONTH_DAYS)


def _late_count(sc, ships, start: str) -> int:
    """Shipments that left after the promised day counted from column `start` (by hand)."""
    node = sc.nodes[0]
    late = 0
    for created, shipped in zip(start, ships["shipped_h"], strict=True):
        day = int(created // 24) + (created % 24 >= node.cutoff_h)
        while (day + sc.run.start_weekday) % 7 not in node.pickup_days:
            day += 1
        late += int(shipped // 24) > day
    return late


def test_sla_credit_is_late_orders_times_the_penalty(small_3pl):
    sc, r = small_3pl
    ships = r.shipments[r.shipments["shipped_h"].notna()]
    # the promise runs from when the order had its stock (not the merchant's stock-outs)
    late = _late_count(sc, ships, np.fmax(ships["created_h"], ships["allocated_h"]))
    assert late > 0  # a capacity of 150 orders a day for 300 a day
    credit = r.costs.loc[r.costs["category"] == "sla_credit", "amount"].sum()
    assert credit == pytest.approx(-late * 3.5)
    assert promised_ship_day(np.array([10.0, 13.0, 24 * 5 + 13.0]), 12.0, [0, 1, 2, 3, 4],
                             0).tolist() == [0, 1, 7]


def test_no_sla_credit_for_the_merchants_stockouts(small_3pl):
    sc, _ = small_3pl
    # no stock at go-live: orders wait for the first purchase orders, which the 3PL does
    # not owe; only the days after the stock came count against its promise
    sc = with_changes(sc, {"inventory.initial_stock": "zero",
                           "nodes[0].mode.capacity_orders_per_day": 10_000})
    r = run(sc)
    ships = r.shipments[r.shipments["shipped_h"].notna()]
    from_order = _late_count(sc, ships, ships["created_h"])
    from_stock = _late_count(sc, ships, np.fmax(ships["created_h"], ships["allocated_h"]))
    assert from_stock < from_order
    credit = r.costs.loc[r.costs["category"] == "sla_credit", "amount"].sum()
    assert credit == pytest.approx(-from_stock * 3.5)


def test_the_minimum_fee_tops_up_a_small_invoice():
    minimum = 1e6
    sc = with_changes(THREE_PL, {"costs.three_pl.minimum_per_month": minimum,
                                 "demand.orders_per_day": 30})
    r = run(sc)
    invoice = r.costs[r.costs["category"].isin(
        ("3pl_account", "3pl_storage", "3pl_receiving", "3pl_pick_pack", "packaging",
         "3pl_returns", "3pl_minimum"))]
    # 10 days are one part month: the invoice is the minimum pro rata
    assert invoice["amount"].sum() == pytest.approx(minimum * 10 / MONTH_DAYS)
    top_up = r.costs[r.costs["category"] == "3pl_minimum"]
    assert top_up["day"].tolist() == [9]
    none = run(with_changes(sc, {"costs.three_pl.minimum_per_month": 0.0}))
    assert "3pl_minimum" not in set(none.costs["category"])
    pd.testing.assert_frame_equal(
        none.costs[none.costs["category"] != "3pl_minimum"].reset_index(drop=True),
        r.costs[r.costs["category"] != "3pl_minimum"].reset_index(drop=True))


# ---------------------------------------------------------------- marketplace


IN_HOUSE = with_changes(load_scenario(SCENARIOS / "us_one_node_in_house.yaml"), SMALL)


@pytest.fixture(scope="module")
def market():
    sc = scenario_for_mode(IN_HOUSE, "marketplace")
    here = sc.nodes[0].location.model_dump()
    # one site, where the node is: each parcel's distance is the shipments table's
    return sc, run(with_changes(sc, {"nodes[0].mode.sites": [here]}))


def test_marketplace_transit_by_the_nearest_sites_band(market):
    sc, r = market
    ships = r.shipments.dropna(subset=["shipped_h", "delivered_h"])
    band = np.searchsorted(sc.carriers.distance_bands_km, ships["distance_km"], side="left")
    expected = np.asarray(sc.nodes[0].mode.transit_days_by_band)[band]
    days = (ships["delivered_h"] // 24 - ships["shipped_h"] // 24).to_numpy()
    assert len(days) and np.array_equal(days, expected)


def test_the_nearest_site_is_the_nearest():
    sc = scenario_for_mode(IN_HOUSE, "marketplace")
    rule = rule_for(sc.nodes[0])
    # a customer in Joliet and one in Kent are 0 km from a site; one in Memphis is nearest
    # to Atlanta (about 540 km) of the six default sites
    points = pd.DataFrame({"lat": [41.53, 47.38, 35.15], "lon": [-88.08, -122.23, -90.05]})
    km = rule.nearest_site_km(points)
    assert km[:2] == pytest.approx([0.0, 0.0], abs=1e-6)
    assert km[2] == pytest.approx(540, rel=0.03)


def test_marketplace_fees_by_size_tier():
    rule = rule_for(scenario_for_mode(IN_HOUSE, "marketplace").nodes[0])
    fee = rule.unit_fees(np.array([0.2, 0.7, 12.0, 1.0, 0.3]),
                         np.array([0.001, 0.002, 0.01, 0.05, 0.01]))
    # 0.2 kg and 0.7 kg standard: tiers 0 and 2 (dimensional weights 0.20 and 0.40 kg at
    # 5,022 cm3/kg are not more); 12 kg and a 0.05 m3 box (9.96 kg dimensional): oversize;
    # a light 0.3 kg pillow of 0.01 m3 bills its 1.99 kg dimensional weight: tier 3, not 1
    dim = 0.05 * 1e6 / 5022.0
    assert fee.tolist() == pytest.approx([3.3, 4.5, 9.61 + 0.84 * 12.0, 9.61 + 0.84 * dim, 5.9])
    actual = rule_for(scenario_for_mode(with_changes(IN_HOUSE, {
        "alternatives.marketplace.dim_divisor_cm3_per_kg": None}), "marketplace").nodes[0])
    assert actual.unit_fees(np.array([0.3]), np.array([0.01])).tolist() == [3.7]


def test_marketplace_costs_its_own_lines_and_no_crews(market):
    sc, r = market
    cats = set(r.costs["category"])
    assert {"marketplace_fulfilment", "marketplace_storage", "marketplace_inbound"} <= cats
    # its crews are its own: nothing of the merchant's building or labour
    assert not cats & {"labour", "rent", "equipment", "carrier", "3pl_pick_pack"}
    m = sc.nodes[0].mode
    units = r.daily[r.daily["t_h"] == 0].iloc[0]["on_hand_units"]
    inbound = r.tables["inbound"]
    units += inbound.loc[inbound["putaway_h"] < 24, "units"].sum()
    day0 = r.costs[(r.costs["day"] == 0) & (r.costs["category"] == "marketplace_inbound")]
    per_unit = (m.inbound_placement_per_unit + m.prep_label_per_unit
                + m.inbound_transport_per_pallet / sc.inventory.units_per_pallet)
    assert day0["amount"].sum() == pytest.approx(units * per_unit)
