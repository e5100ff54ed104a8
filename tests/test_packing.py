"""Cartons and dimensional weight (issue 17, part 1): known answers worked by hand, properties
of every packing (inside, no overlap, upright kept, every unit once, objective recomputed), the
heuristic never beating the proven optimum, and `fulfil pack` (JSON purity, bad requests)."""

from __future__ import annotations

import json
import math
from collections import Counter
from itertools import combinations
from pathlib import Path

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from typer.testing import CliRunner

from optimize.errors import InvalidInput
from optimize.packing import (
    Carton,
    Item,
    PackingInstance,
    PackingResult,
    billable_kg,
    pack,
    packing_violations,
    request_from_dict,
)
from optimize.result import Status
from sim.cli.app import app

ROOT = Path(__file__).resolve().parents[1]
EXAMPLE = ROOT / "examples" / "pack_request.json"


def instance(cartons, items, divisor=5000.0, rate=0.0, round_up=False) -> PackingInstance:
    return PackingInstance(tuple(cartons), tuple(items), divisor, rate, round_up)


def solve(inst: PackingInstance, method: str = "exact") -> PackingResult:
    r = pack(inst, method, time_limit_s=60.0)
    assert packing_violations(inst, r) == []
    return r


# -- known answers ------------------------------------------------------------------------------

def test_the_issues_example_three_cubes_in_one_small_carton():
    # 3 kg actual beats 30*20*10/5000 = 1.2 kg dimensional; 0.45 + 0.9 * 3.0 = 3.15
    inst = request_from_dict({
        "cartons": [{"id": "S", "inner_cm": [30, 20, 10], "max_kg": 10, "cost": 0.45}],
        "items": [{"sku": "A", "dims_cm": [10, 10, 10], "weight_kg": 1.0, "qty": 3}],
        "dim_divisor_cm3_per_kg": 5000, "rate_per_billable_kg": 0.9})
    r = solve(inst).to_dict()
    assert r["status"] == "optimal" and r["objective"] == pytest.approx(3.15)
    [c] = r["cartons"]
    assert {k: c[k] for k in ("carton", "items", "actual_kg", "billable_kg", "fill_share")} == {
        "carton": "S", "items": {"A": 3}, "actual_kg": 3.0, "billable_kg": 3.0,
        "fill_share": 0.5}
    # the carton is one cube high: all three on the floor, on the 10 cm grid of its 3 x 2 cells
    corners = {(p["x_cm"], p["y_cm"], p["z_cm"]) for p in c["placements"]}
    assert len(corners) == 3 and corners <= {(x, y, 0) for x in (0, 10, 20) for y in (0, 10)}


def test_an_item_fits_only_when_turned():
    # 10 x 30 x 20 goes into 30 x 20 x 10 only as 30 x 20 x 10
    inst = instance([Carton("S", (30, 20, 10), 10, 0.45)], [Item("A", (10, 30, 20), 1.0)])
    r = solve(inst)
    assert r.status is Status.OPTIMAL and r.objective == pytest.approx(0.45)
    assert r.cartons[0].placements[0].dims_cm == (30, 20, 10)


def test_volume_says_one_carton_geometry_needs_three():
    # 16 cm cubes in a 30 cm cube: three cubes are 12,288 of 27,000 cm3, but two cubes side
    # by side along any axis need 32 cm > 30, so no two share a carton: three cartons
    inst = instance([Carton("C", (30, 30, 30), 50, 1.0)], [Item("K", (16, 16, 16), 1.0, 3)])
    assert 3 * 16**3 < 30**3
    for method in ("exact", "heuristic"):
        r = solve(inst, method)
        assert len(r.cartons) == 3 and r.objective == pytest.approx(3.0)
    assert solve(inst).status is Status.OPTIMAL


def test_a_bigger_carton_wins_when_it_takes_what_needs_two_small_ones():
    # two 16 cm cubes: two C (1.0 each) or one W 40 x 40 x 20 (1.5) holding both side by side
    inst = instance([Carton("C", (30, 30, 30), 50, 1.0), Carton("W", (40, 40, 20), 50, 1.5)],
                    [Item("K", (16, 16, 16), 1.0, 2)])
    r = solve(inst)
    assert [c.carton for c in r.cartons] == ["W"] and r.objective == pytest.approx(1.5)


def test_dimensional_weight_beats_actual_and_picks_the_carton():
    # a 0.5 kg pillow 35 x 25 x 15 at 2.0 per billable kg, divisor 5000:
    # B 40x30x20: 0.5 + 2 * 24000/5000 = 0.5 + 9.6 = 10.1
    # A 36x26x16: 0.9 + 2 * 14976/5000 = 0.9 + 5.9904 = 6.8904 (dearer box, cheaper parcel)
    inst = instance([Carton("B", (40, 30, 20), 10, 0.5), Carton("A", (36, 26, 16), 10, 0.9)],
                    [Item("PILLOW", (35, 25, 15), 0.5)], rate=2.0)
    r = solve(inst)
    [c] = r.cartons
    assert c.carton == "A" and c.actual_kg == 0.5
    assert c.billable_kg == pytest.approx(2.9952)
    assert r.objective == pytest.approx(6.8904)
    alone = instance([Carton("B", (40, 30, 20), 10, 0.5)], [Item("PILLOW", (35, 25, 15), 0.5)],
                     rate=2.0)
    assert solve(alone).cartons[0].billable_kg == pytest.approx(4.8)
    assert solve(alone).objective == pytest.approx(10.1)


def test_the_weight_limit_forces_a_second_carton():
    # two 6 kg units fit by size (10 cm cubes in 30 cm) but 12 kg > 10 kg max:
    # two cartons, each billed max(6, 27000/5000 = 5.4) = 6 kg: 2 * (1 + 0.5 * 6) = 8
    inst = instance([Carton("C", (30, 30, 30), 10, 1.0)], [Item("IRON", (10, 10, 10), 6.0, 2)],
                    rate=0.5)
    r = solve(inst)
    assert len(r.cartons) == 2 and r.objective == pytest.approx(8.0)
    assert [c.billable_kg for c in r.cartons] == [6.0, 6.0]


def test_upright_forbids_the_rotation_that_would_fit():
    # 30 x 10 x 20 (height 20) lies flat in the 40 x 40 x 10 tray; upright it needs the tall box
    cartons = [Carton("FLAT", (40, 40, 10), 10, 0.5), Carton("TALL", (35, 15, 40), 10, 1.5)]
    lying = solve(instance(cartons, [Item("VASE", (30, 10, 20), 1.0)]))
    assert [c.carton for c in lying.cartons] == ["FLAT"] and lying.objective == 0.5
    standing = solve(instance(cartons, [Item("VASE", (30, 10, 20), 1.0, upright=True)]))
    assert [c.carton for c in standing.cartons] == ["TALL"] and standing.objective == 1.5
    assert standing.cartons[0].placements[0].dims_cm[2] == 20


def test_upright_item_that_fits_only_on_its_side_is_infeasible():
    inst = instance([Carton("FLAT", (40, 40, 10), 10, 0.5)],
                    [Item("VASE", (30, 10, 20), 1.0, upright=True), Item("OK", (5, 5, 5), 1.0)])
    r = pack(inst)
    assert r.status is Status.INFEASIBLE and r.unpackable == ("VASE",)
    assert "VASE" in r.message and "OK" not in r.unpackable and math.isnan(r.objective)
    assert r.to_dict()["objective"] is None and r.to_dict()["cartons"] == []


@pytest.mark.parametrize("item", [Item("SOFA", (200, 90, 80), 40.0),
                                  Item("SOFA", (10, 10, 10), 40.0)], ids=["size", "weight"])
def test_an_item_that_fits_no_carton_is_named(item):
    inst = instance([Carton("S", (30, 20, 10), 10, 0.45), Carton("M", (40, 30, 20), 20, 0.8)],
                    [Item("A", (10, 10, 10), 1.0), item])
    for method in ("auto", "exact", "heuristic"):
        r = pack(inst, method)
        assert r.status is Status.INFEASIBLE and r.unpackable == ("SOFA",)
        assert "'SOFA'" in r.message


def test_round_up_kg_bills_whole_kilograms():
    # 1.3 kg in S (1.2 kg dimensional): 0.45 + 1.3 = 1.75 as given; 0.45 + 2 = 2.45 rounded
    cartons, items = [Carton("S", (30, 20, 10), 10, 0.45)], [Item("A", (10, 10, 10), 1.3)]
    exact = solve(instance(cartons, items, rate=1.0))
    assert exact.cartons[0].billable_kg == pytest.approx(1.3)
    assert exact.objective == pytest.approx(1.75)
    rounded = solve(instance(cartons, items, rate=1.0, round_up=True))
    assert rounded.cartons[0].billable_kg == 2.0 and rounded.objective == pytest.approx(2.45)
    # a whole kg from summed decimals stays that kg: 0.1 + 0.2 + 0.7 = 1 kg, not 2
    assert billable_kg(0.1 + 0.2 + 0.7, Carton("X", (1, 1, 1), 9, 0), 5000, True) == 1.0


def test_billable_weight_follows_dimensions_with_zero_rate_too():
    # no carrier charge: the cheapest carton wins even if it is the bigger one
    inst = instance([Carton("S", (30, 20, 10), 10, 0.45), Carton("M", (40, 30, 20), 20, 0.40)],
                    [Item("A", (10, 10, 10), 1.0)])
    r = solve(inst)
    assert [c.carton for c in r.cartons] == ["M"] and r.objective == pytest.approx(0.40)
    assert r.cartons[0].billable_kg == pytest.approx(4.8)


def test_decimal_sizes_pack_exactly():
    # 14.5 + 15.5 = 30: the two fill the 30 cm side exactly (lengths scaled to 0.1 cm)
    inst = instance([Carton("S", (30, 20, 10), 10, 1.0), Carton("L", (60, 20, 10), 10, 3.0)],
                    [Item("A", (14.5, 20, 10), 1.0), Item("B", (15.5, 20, 10), 1.0)])
    r = solve(inst)
    assert [c.carton for c in r.cartons] == ["S"] and r.objective == 1.0


# -- properties ---------------------------------------------------------------------------------

CATALOGUE = (Carton("XS", (22, 16, 8), 5, 0.30), Carton("S", (30, 20, 15), 10, 0.45),
             Carton("M", (40, 30, 20), 20, 0.80))


@st.composite
def orders(draw) -> PackingInstance:
    n_skus = draw(st.integers(1, 3))
    items = []
    for k in range(n_skus):
        dims = tuple(draw(st.integers(3, 25)) for _ in range(3))
        items.append(Item(f"S{k}", dims, draw(st.sampled_from([0.2, 0.5, 1.5, 4.0])),
                          draw(st.integers(1, 2)), draw(st.booleans())))
    return instance(CATALOGUE, items, 5000.0, draw(st.sampled_from([0.0, 0.9, 3.0])),
                    draw(st.booleans()))


def _sound(inst: PackingInstance, r: PackingResult) -> None:
    """The properties, checked here from scratch (not by `packing_violations`)."""
    cartons = {c.id: c for c in inst.cartons}
    items = {it.sku: it for it in inst.items}
    total = 0.0
    for c in r.cartons:
        carton = cartons[c.carton]
        boxes = [((p.x_cm, p.y_cm, p.z_cm), p.dims_cm) for p in c.placements]
        for p, (corner, dims) in zip(c.placements, boxes, strict=True):
            item = items[p.sku]
            assert sorted(dims) == sorted(item.dims_cm)
            if item.upright:
                assert dims[2] == item.dims_cm[2]
            assert all(lo >= 0 and lo + d <= side + 1e-9
                       for lo, d, side in zip(corner, dims, carton.inner_cm, strict=True))
        for (ca, da), (cb, db) in combinations(boxes, 2):
            assert any(a + x <= b + 1e-9 or b + y <= a + 1e-9
                       for a, x, b, y in zip(ca, da, cb, db, strict=True))
        kg = sum(items[p.sku].weight_kg for p in c.placements)
        assert kg <= carton.max_kg + 1e-9
        billable = max(kg, math.prod(carton.inner_cm) / inst.dim_divisor_cm3_per_kg)
        if inst.round_up_kg:
            billable = math.ceil(billable - 1e-9)
        assert c.billable_kg == pytest.approx(billable)
        total += carton.cost + inst.rate_per_billable_kg * billable
    assert Counter(p.sku for c in r.cartons for p in c.placements) == Counter(
        {it.sku: it.qty for it in inst.items})
    assert r.objective == pytest.approx(total)


@settings(max_examples=30, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(orders())
def test_every_packing_is_sound_and_the_heuristic_never_beats_the_optimum(inst):
    exact, heuristic = pack(inst, "exact", time_limit_s=60.0), pack(inst, "heuristic")
    if exact.status is Status.INFEASIBLE:
        assert heuristic.status is Status.INFEASIBLE and heuristic.unpackable
        return
    assert exact.status is Status.OPTIMAL and heuristic.status is Status.FEASIBLE
    _sound(inst, exact)
    _sound(inst, heuristic)
    assert heuristic.objective >= exact.objective - 1e-9
    assert packing_violations(inst, exact) == packing_violations(inst, heuristic) == []


def test_the_checker_catches_a_tampered_packing():
    inst = instance([Carton("S", (30, 20, 10), 10, 0.45)], [Item("A", (10, 10, 10), 1.0, 2)])
    r = solve(inst)
    c = r.cartons[0]
    moved = (c.placements[0], type(c.placements[1])("A", 5, 0, 0, (10, 10, 10)))
    bad = type(r)(status=r.status, objective=r.objective + 1, bound=r.objective + 1,
                  time_s=0.0, method="x", cartons=(type(c)(
                      c.carton, {"A": 2}, c.actual_kg, c.billable_kg, c.fill_share, c.charge,
                      moved),))
    problems = " ".join(packing_violations(inst, bad))
    assert "overlap" in problems and "objective" in problems


def test_large_orders_go_to_the_heuristic_and_stay_sound():
    inst = instance(CATALOGUE, [Item("A", (8, 6, 4), 0.2, 9), Item("B", (12, 10, 5), 0.4, 6)],
                    rate=0.9)
    r = pack(inst)
    assert r.status is Status.FEASIBLE and r.method == "extreme_points"
    assert not r.time_limit_hit and math.isnan(r.bound)
    _sound(inst, r)


# -- the request's JSON form and `fulfil pack` --------------------------------------------------

def _invoke(args: list[str]):
    return CliRunner().invoke(app, args, env={"COLUMNS": "250"})


def test_json_output_is_only_the_contract_json():
    res = _invoke(["pack", str(EXAMPLE), "--json"])
    assert res.exit_code == 0, res.stderr
    data = json.loads(res.stdout)
    assert data["status"] == "optimal" and data["objective"] == pytest.approx(7.16)
    assert list(data)[:3] == ["status", "objective", "cartons"]
    for c in data["cartons"]:
        assert set(c) == {"carton", "items", "actual_kg", "billable_kg", "fill_share",
                          "placements"}
        for p in c["placements"]:
            assert set(p) == {"sku", "x_cm", "y_cm", "z_cm", "dims_cm"}
    inst = request_from_dict(json.loads(EXAMPLE.read_text()))
    assert sum(sum(c["items"].values()) for c in data["cartons"]) == inst.n_units


def test_table_output_names_cartons_and_objective():
    res = _invoke(["pack", str(EXAMPLE), "--method", "heuristic"])
    assert res.exit_code == 0, res.stderr
    assert "TALL" in res.stdout and "objective 7.1600" in res.stdout and "feasible" in res.stdout


def test_infeasible_request_exits_zero_with_the_item_named(tmp_path):
    req = json.loads(EXAMPLE.read_text())
    req["items"].append({"sku": "SOFA", "dims_cm": [200, 90, 80], "weight_kg": 40, "qty": 1})
    path = tmp_path / "r.json"
    path.write_text(json.dumps(req))
    res = _invoke(["pack", str(path), "--json"])
    assert res.exit_code == 0
    data = json.loads(res.stdout)
    assert data["status"] == "infeasible" and data["unpackable"] == ["SOFA"]
    assert "SOFA" in data["message"] and "SOFA" in res.stderr


BASE = {"cartons": [{"id": "S", "inner_cm": [30, 20, 10], "max_kg": 10, "cost": 0.45}],
        "items": [{"sku": "A", "dims_cm": [10, 10, 10], "weight_kg": 1.0, "qty": 3}],
        "dim_divisor_cm3_per_kg": 5000}


def _edit(path: tuple, value: object) -> dict:
    req = json.loads(json.dumps(BASE))
    *head, last = path
    target = req
    for key in head:
        target = target[key]
    if value is KeyError:
        del target[last]
    else:
        target[last] = value
    return req


BAD_REQUESTS = {
    "missing weight": (_edit(("items", 0, "weight_kg"), KeyError), "items[0].weight_kg",
                       "missing"),
    "missing divisor": (_edit(("dim_divisor_cm3_per_kg",), KeyError), "dim_divisor_cm3_per_kg",
                        "missing"),
    "negative side": (_edit(("cartons", 0, "inner_cm", 1), -20), "cartons[0].inner_cm[1]",
                      "-20"),
    "zero side": (_edit(("items", 0, "dims_cm", 2), 0), "items[0].dims_cm[2]", "0"),
    "two sides": (_edit(("items", 0, "dims_cm"), [10, 10]), "items[0].dims_cm", "[10, 10]"),
    "qty as text": (_edit(("items", 0, "qty"), "3"), "items[0].qty", "'3'"),
    "qty fractional": (_edit(("items", 0, "qty"), 1.5), "items[0].qty", "1.5"),
    "qty zero": (_edit(("items", 0, "qty"), 0), "items[0].qty", "0"),
    "weight bool": (_edit(("items", 0, "weight_kg"), True), "items[0].weight_kg", "True"),
    "negative cost": (_edit(("cartons", 0, "cost"), -1), "cartons[0].cost", "-1"),
    "negative rate": (_edit(("rate_per_billable_kg",), -0.5), "rate_per_billable_kg", "-0.5"),
    "upright text": (_edit(("items", 0, "upright"), "yes"), "items[0].upright", "'yes'"),
    "unknown item key": (_edit(("items", 0, "colour"), "red"), "items[0].colour",
                         "unknown field"),
    "misspelt key": (_edit(("items", 0, "weigth_kg"), 1.0), "did you mean 'weight_kg'",
                     "items[0].weigth_kg"),
    "unknown top key": (_edit(("carrier",), "UPS"), "carrier", "unknown field"),
    "cartons not a list": (_edit(("cartons",), {"id": "S"}), "cartons", "list"),
    "no cartons": (_edit(("cartons",), []), "cartons", "at least one"),
    "duplicate sku": ({**BASE, "items": BASE["items"] * 2}, "items[1].sku", "twice"),
    "zero divisor": (_edit(("dim_divisor_cm3_per_kg",), 0), "dim_divisor_cm3_per_kg", "0"),
}


@pytest.mark.parametrize(("req", "needles"), [(r, n) for r, *n in BAD_REQUESTS.values()],
                         ids=BAD_REQUESTS.keys())
def test_bad_request_names_the_field_and_value(req, needles, tmp_path):
    path = tmp_path / "r.json"
    path.write_text(json.dumps(req))
    res = _invoke(["pack", str(path), "--json"])
    assert res.exit_code == 2, res.stdout
    assert res.stdout == "" and "Traceback" not in res.stderr
    for needle in needles:
        assert needle in res.stderr, res.stderr
    with pytest.raises(InvalidInput):
        request_from_dict(req)


@pytest.mark.parametrize(("text", "needle"), [
    ("{not json", "not valid JSON"),
    ('{"cartons": [], "cartons": []}', "cartons: key given twice"),
    ("[1, 2]", "(root)"),
    ('{"cartons": [{"id": "S", "inner_cm": [30, 20, NaN], "max_kg": 1, "cost": 1}], '
     '"items": [], "dim_divisor_cm3_per_kg": 5000}', "cartons[0].inner_cm[2]"),
])
def test_malformed_files_exit_2(text, needle, tmp_path):
    path = tmp_path / "r.json"
    path.write_text(text)
    res = _invoke(["pack", str(path), "--json"])
    assert res.exit_code == 2 and res.stdout == "" and "Traceback" not in res.stderr
    assert needle in res.stderr, res.stderr


def test_a_directory_or_binary_file_is_a_usage_error(tmp_path):
    (tmp_path / "b.bin").write_bytes(b"\x00\x01\x02")
    for arg in (str(tmp_path), str(tmp_path / "b.bin"), str(tmp_path / "missing.json")):
        res = _invoke(["pack", arg])
        assert res.exit_code == 2 and "Invalid value for 'request'" in res.stderr, res.stderr


def test_bad_method_and_time_limit_exit_2():
    assert _invoke(["pack", str(EXAMPLE), "--time-limit", "-1"]).exit_code == 2
    res = _invoke(["pack", str(EXAMPLE), "--method", "exakt"])
    assert res.exit_code == 2 and "did you mean 'exact'?" in res.stderr


def test_cli_method_names_match_the_library():
    from optimize.packing import METHODS
    from sim.cli.pack_command import PACK_METHODS

    assert PACK_METHODS == METHODS


def test_library_checks_values_without_the_json_layer():
    with pytest.raises(InvalidInput) as err:
        PackingInstance((Carton("S", (30, -1, 10), 10, 0.45),), (Item("A", (1, 1, 1), -2.0),),
                        5000.0)
    assert {p.path for p in err.value.problems} == {"cartons[0].inner_cm[1]",
                                                    "items[0].weight_kg"}
    with pytest.raises(InvalidInput, match="method"):
        pack(instance(CATALOGUE, [Item("A", (1, 1, 1), 1.0)]), "best")


def test_a_time_limit_of_zero_still_returns_a_flagged_packing():
    inst = instance(CATALOGUE, [Item("A", (8, 6, 4), 0.2, 3), Item("B", (12, 10, 5), 0.4, 2)],
                    rate=0.9)
    r = pack(inst, "exact", time_limit_s=0.0)
    assert r.status is Status.FEASIBLE and r.time_limit_hit and r.method == "exact"
    assert r.objective <= pack(inst, "heuristic").objective + 1e-9  # never worse than it
    assert "not proven optimal" in r.message
    _sound(inst, r)
