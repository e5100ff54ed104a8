"""Cartons in the simulation (issue 17, part 1): the pack station packs by geometry, each
carton is a parcel billed on billable weight plus surcharges, the ledger pays per carton,
every unit shipped is in exactly one carton, and the same seed gives the same tables."""

from __future__ import annotations

import math

import numpy as np
import pandas as pd
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from pydantic import ValidationError

from optimize.packing import Carton, Item, PackingInstance, pack
from optimize.packing.quick import quick_pack
from sim.api import load_scenario, run, with_changes
from sim.carriers import CarrierTable
from sim.cartons import CartonPacker, sku_dims
from sim.scenario import Packaging

from .conftest import SCENARIOS

CARTONS = "us_one_node_in_house_cartons.yaml"
# One carton 30 x 20 x 10 cm (6,000 cm3) and one SKU 16 x 16 x 9 cm (2,304 cm3): two units
# fill 77 % of its volume, yet no two fit side by side along any axis.
ONE_BOX = {"cartons": [{"id": "B", "inner_cm": [30, 20, 10], "max_kg": 10, "cost": 0.5}]}
CUBE_SKU = {"id": "CUBE", "dims_cm": [16, 16, 9], "weight_kg": 0.4, "category": "apparel"}


def _small(changes: dict | None = None, days: int = 6):
    sc = load_scenario(SCENARIOS / CARTONS)
    base = {"run.horizon_days": days, "run.warmup_days": 1, "demand.orders_per_day": 120,
            "skus.generator.count": 60}
    return with_changes(sc, base | (changes or {}))


@pytest.fixture(scope="module")
def small_run():
    return run(_small())


def test_volume_says_one_carton_geometry_needs_two():
    inst = PackingInstance((Carton("B", (30, 20, 10), 10, 0.5),),
                           (Item("CUBE", (16, 16, 9), 0.4, 2),), 5000.0, 0.9)
    assert 2 * 16 * 16 * 9 <= 30 * 20 * 10
    res = pack(inst, "exact")
    assert res.status.value == "optimal" and len(res.cartons) == 2
    assert quick_pack(inst).objective == pytest.approx(res.objective)


def test_geometry_needs_two_in_the_simulation():
    """One SKU that fits the only carton once: every parcel holds one unit, so a shipment of
    n units leaves in n cartons."""
    sc = _small({"nodes[0].packaging": ONE_BOX, "skus.generator": None,
                 "skus.items": [CUBE_SKU]}, days=3)
    res = run(sc)
    parcels, ships = res.tables["parcels"], res.tables["shipments"]
    assert (parcels["units"] == 1).all() and (parcels["carton"] == "B").all()
    per_ship = parcels.groupby("shipment").size()
    units = ships.set_index("shipment")["units"].loc[per_ship.index]
    assert (per_ship == units).all() and (units > 1).any()


def test_billable_weight_and_surcharges():
    sc = load_scenario(SCENARIOS / CARTONS)
    ct = CarrierTable.from_scenario(sc.carriers)
    row, band = np.zeros(4, int), np.zeros(4, int)  # ground, first band: 8.5 + 0.6 / kg
    dims = np.array([[50, 40, 30], [30, 23, 10], [130, 20, 20], [100, 60, 60]], float)
    kg = np.array([3.0, 2.0, 5.0, 24.0])
    billable, rate, fees, met = ct.bill_parcels(row, band, kg, dims)
    # 60,000 cm3 / 5,000 = 12 kg > 3; 6,900 cm3 = 1.38 kg < 2 kg actual
    assert billable[:2].tolist() == pytest.approx([12.0, 2.0])
    assert rate[0] == pytest.approx(8.5 + 0.6 * 12.0)
    # 130 cm longest side: additional handling (30); 100 + 2 x 120 = 340 cm length + girth
    # over 330: large package (230), and 24 kg over 23 kg: additional handling (30)
    assert met.tolist() == [0, 0, 1, 2] and fees.tolist() == [0, 0, 30, 260]


def test_no_divisor_bills_actual_weight():
    sc = load_scenario(SCENARIOS / "us_one_node_in_house.yaml")
    ct = CarrierTable.from_scenario(sc.carriers)
    billable, _, fees, _ = ct.bill_parcels(np.zeros(1, int), np.zeros(1, int),
                                           np.array([1.5]), np.array([[60.0, 60.0, 60.0]]))
    assert billable.tolist() == [1.5] and fees.tolist() == [0.0]


def test_every_shipped_unit_is_in_exactly_one_carton(small_run):
    parcels, ships = small_run.tables["parcels"], small_run.tables["shipments"]
    shipped = ships[ships["shipped_h"].notna()].set_index("shipment")
    units = parcels.groupby("shipment")["units"].sum()
    assert set(units.index) == set(shipped.index)
    assert (units == shipped["units"].loc[units.index]).all()
    # the carrier's charge per shipment is its parcels' charges
    charge = parcels.groupby("shipment")["carrier_charge"].sum()
    assert np.allclose(charge, shipped["shipping_cost"].loc[charge.index])
    assert ((parcels["fill_share"] > 0) & (parcels["fill_share"] <= 1)).all()
    assert (parcels["billable_kg"] >= parcels["actual_kg"] - 1e-9).all()


def test_ledger_packaging_is_the_cartons_cost(small_run):
    costs, parcels = small_run.tables["costs"], small_run.tables["parcels"]
    pack_rows = costs[costs["category"] == "packaging"]
    assert pack_rows["amount"].sum() == pytest.approx(parcels["carton_cost"].sum())
    by_day = parcels.groupby((parcels["shipped_h"] // 24).astype(int))["carton_cost"].sum()
    assert np.allclose(pack_rows.set_index("day")["amount"].loc[by_day.index], by_day)
    # not the flat fee per order
    n = small_run.tables["shipments"]["shipped_h"].notna().sum()
    assert pack_rows["amount"].sum() != pytest.approx(n * 0.6)


def test_kpis(small_run):
    k = small_run.summary["cartons"]
    assert k["cartons_per_order"] >= 1.0
    assert 0.0 < k["fill_pct"] <= 100.0 and 0.0 <= k["packings_cached_pct"] <= 100.0
    assert k["billable_to_actual_kg"] >= 1.0
    assert k["packaging_cost_per_order"] > 0 and k["surcharged_parcels"] >= 0
    assert sum(k["by_carton"].values()) == k["parcels"]


def test_same_seed_same_tables(small_run):
    again = run(_small())
    for name in ("parcels", "shipments", "costs"):
        pd.testing.assert_frame_equal(small_run.tables[name], again.tables[name])


def test_no_catalogue_no_cartons():
    sc = load_scenario(SCENARIOS / "us_one_node_in_house.yaml")
    sc = with_changes(sc, {"run.horizon_days": 3, "run.warmup_days": 1,
                           "demand.orders_per_day": 50})
    res = run(sc)
    assert "parcels" not in res.tables and "cartons" not in res.summary


def test_the_cache_returns_the_same_cartons():
    sc = load_scenario(SCENARIOS / CARTONS)
    ct = CarrierTable.from_scenario(sc.carriers)
    cube = np.array([0.004, 0.002, 0.02])
    packer = CartonPacker.for_node(sc, sc.nodes[0].packaging, ct, np.array(["A", "B", "C"]),
                                   cube, np.array([1.0, 0.5, 3.0]))
    first = packer.pack(np.array([2, 0]), np.array([1, 2]))
    again = packer.pack(np.array([0, 2]), np.array([2, 1]))  # same basket, other line order
    assert again == (first[0], "cached") and packer.hit_rate == 0.5


def test_sku_dims_keep_the_cube():
    sc = load_scenario(SCENARIOS / CARTONS)
    dims, upright = sku_dims(sc, np.array([0.003, 0.012]))
    assert np.allclose(dims.prod(axis=1), [3000, 12000], rtol=0.01) and not upright.any()


@pytest.mark.parametrize(("node", "why"), [
    ({"mode": "dropship"}, "does not pack its own parcels"),
])
def test_bad_packaging_is_named(node, why):
    sc = load_scenario(SCENARIOS / CARTONS)
    with pytest.raises(ValidationError, match=why):
        with_changes(sc, {f"nodes[0].{k}": v for k, v in node.items()})


def test_duplicate_carton_ids():
    with pytest.raises(ValidationError, match="duplicated: \\['B'\\]"):
        Packaging(cartons=[ONE_BOX["cartons"][0]] * 2)


sides = st.integers(3, 40).map(float)
unit = st.tuples(st.tuples(sides, sides, sides), st.integers(1, 40).map(lambda g: g / 10),
                 st.booleans())


CATALOGUE = (Carton("XS", (22.0, 16.0, 8.0), 5.0, 0.30), Carton("S", (30.0, 20.0, 15.0), 10.0,
                                                                0.45),
             Carton("M", (40.0, 30.0, 20.0), 20.0, 0.80), Carton("L", (50, 40, 30), 30, 1.3))


def _quick_and_exact(units: list) -> tuple:
    items = tuple(Item(f"K{i}", d, w, 1, up) for i, (d, w, up) in enumerate(units))
    inst = PackingInstance(CATALOGUE, items, 5000.0, 0.9)
    return quick_pack(inst), pack(inst, "exact")


@settings(max_examples=60)
@given(st.lists(unit, min_size=1, max_size=2))
def test_quick_pack_is_the_exact_optimum(units):
    """One or two units: the enumeration's charge equals CP-SAT's proven optimum."""
    quick, exact = _quick_and_exact(units)
    if exact.status.value == "infeasible":
        assert quick is None
        return
    assert quick is not None and quick.objective == pytest.approx(exact.objective, abs=1e-6)
    assert math.isclose(sum(sum(c.items.values()) for c in quick.cartons), len(units))


def test_quick_pack_proof_by_bound_holds():
    """Three or four units (sides 3-19 cm): when the bound proves one carton optimal, CP-SAT
    agrees; and it proves most of them (else the simulation would call CP-SAT for each)."""
    rng = np.random.default_rng(3)
    proven = 0
    for _ in range(30):
        units = [(tuple(float(x) for x in rng.integers(3, 20, 3)),
                  float(rng.integers(1, 30)) / 10, False) for _ in range(int(rng.integers(3, 5)))]
        quick, exact = _quick_and_exact(units)
        if quick is not None:
            proven += 1
            assert exact.status.value == "optimal"
            assert quick.objective == pytest.approx(exact.objective, abs=1e-6)
    assert proven >= 10


def test_quick_single_carton_is_the_heuristics_answer():
    """Beyond exact_max_units the simulation takes quick_pack's single carton instead of
    running the heuristic: it must cost what the heuristic's packing costs."""
    rng = np.random.default_rng(5)
    taken = 0
    for _ in range(40):
        items = tuple(Item(f"K{i}", tuple(float(x) for x in rng.integers(3, 25, 3)),
                           float(rng.integers(1, 30)) / 10, int(rng.integers(1, 3)))
                      for i in range(int(rng.integers(2, 5))))
        inst = PackingInstance(CATALOGUE, items, 5000.0, 0.9)
        quick = quick_pack(inst, prove_only=False)
        if quick is not None:
            taken += 1
            assert quick.objective == pytest.approx(pack(inst, "heuristic").objective,
                                                    abs=1e-6)
    assert taken >= 10


def test_a_streamed_run_has_the_same_cartons(small_run, tmp_path):
    streamed = run(_small(), stream_to=tmp_path / "run")
    pd.testing.assert_frame_equal(streamed.tables["parcels"], small_run.tables["parcels"])
    pd.testing.assert_frame_equal(streamed.tables["costs"], small_run.tables["costs"])
    assert streamed.summary["cartons"] == small_run.summary["cartons"]


def test_fulfil_run_writes_the_parcels(tmp_path):
    import json

    import yaml
    from typer.testing import CliRunner

    from sim.cli import app

    path = tmp_path / "cartons.yaml"
    path.write_text(yaml.safe_dump(_small(days=3).model_dump(mode="json")))
    res = CliRunner().invoke(app, ["run", str(path), "--out", str(tmp_path / "out"),
                                   "--no-plots"])
    assert res.exit_code == 0, res.output
    parcels = pd.read_parquet(tmp_path / "out" / "parcels.parquet")
    summary = json.loads((tmp_path / "out" / "summary.json").read_text())
    assert 0 < summary["kpis"]["cartons"]["parcels"] <= len(parcels)


def test_a_bad_carton_is_named_by_the_cli(tmp_path):
    import yaml
    from typer.testing import CliRunner

    from sim.cli import app

    data = _small(days=3).model_dump(mode="json")
    data["nodes"][0]["packaging"]["cartons"][0]["inner_cm"] = [30, -1, 10]
    path = tmp_path / "bad.yaml"
    path.write_text(yaml.safe_dump(data))
    res = CliRunner().invoke(app, ["run", str(path), "--out", str(tmp_path / "out")],
                             env={"COLUMNS": "250"})
    assert res.exit_code == 2
    assert "nodes[0].packaging.cartons[0].inner_cm[1]: Input should be greater than 0, got -1" \
        in res.output
    assert not (tmp_path / "out").exists()
