"""Reading a client's order-lines export (issue 16): formats, column mapping, the time rule,
postcodes, the SKU master, bad files and the round trip through a workbench run."""

from __future__ import annotations

import json
from datetime import datetime, timedelta, timezone
from pathlib import Path
from zoneinfo import ZoneInfo

import numpy as np
import pandas as pd
import pytest
import zipcodes
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

import sim.api as api
from sim.client_data import (
    CANONICAL_COLUMNS,
    ClientDataError,
    load_order_lines,
    load_sku_master,
    parse_column_map,
)
from sim.client_data.orders import OPTIONAL_COLUMNS, Problem
from sim.client_data.postcodes import postcode_table

CORPUS = Path(__file__).parent / "data" / "client_exports"
CASES = {k: v for k, v in json.loads((CORPUS / "cases.json").read_text()).items()
         if not k.startswith("_")}
ROOT = Path(__file__).resolve().parents[1]


def _write(tmp_path: Path, df: pd.DataFrame, name: str = "lines.csv") -> Path:
    p = tmp_path / name
    if name.endswith(".parquet"):
        df.to_parquet(p, index=False)
    elif name.endswith(".xlsx"):
        df.to_excel(p, index=False)
    else:
        df.to_csv(p, index=False)
    return p


def _lines(n_orders: int = 4, lines_per_order: int = 2) -> pd.DataFrame:
    rows = []
    for o in range(n_orders):
        for k in range(lines_per_order):
            rows.append({"order_id": f"O{o:03d}",
                         "created_at": f"2024-03-0{1 + o % 5} {10 + o % 9:02d}:30:00",
                         "sku": f"S{k}", "quantity": 1 + k, "lat": 48.0 + o / 100,
                         "lon": 2.0 + o / 100})
    return pd.DataFrame(rows)


# ---------------------------------------------------------------------------- bad files

@pytest.mark.parametrize("case", sorted(CASES))
def test_bad_file_corpus(case: str) -> None:
    spec = CASES[case]
    name = case.split("#")[0]
    kwargs = dict(spec.get("kwargs", {}))
    if "skus" in kwargs:
        kwargs["skus"] = CORPUS / kwargs["skus"]
    load = load_sku_master if name.startswith("skus") else load_order_lines
    with pytest.raises(ClientDataError) as err:
        load(CORPUS / name, **kwargs)
    text = str(err.value)
    for fragment in spec["expect"]:
        assert fragment in text
    for fragment in spec.get("absent", []):
        assert fragment not in text
    assert "np." not in text and "Traceback" not in text


def test_every_corpus_file_has_a_case() -> None:
    named = {c.split("#")[0] for c in CASES} | {"skus.csv", "cases.json"}
    assert {p.name for p in CORPUS.iterdir()} == named


def test_a_directory_and_a_missing_file_are_clear_errors(tmp_path: Path) -> None:
    with pytest.raises(ClientDataError, match="is a directory, not a file"):
        load_order_lines(tmp_path)
    with pytest.raises(ClientDataError, match="no such file"):
        load_order_lines(tmp_path / "absent.csv")


def test_values_are_shown_plain_not_as_numpy_reprs(tmp_path: Path) -> None:
    df = _lines()
    df.loc[1, "quantity"] = -3
    p = _write(tmp_path, df, "lines.parquet")
    with pytest.raises(ClientDataError) as err:
        load_order_lines(p)
    assert "row 3, column 'quantity': negative quantity (got -3)" in str(err.value)
    assert "np.int64" not in str(err.value)


def test_problem_str_names_row_column_and_value() -> None:
    assert str(Problem("negative quantity", "quantity", 4, -3)) == \
        "row 4, column 'quantity': negative quantity (got -3)"


# ---------------------------------------------------------------------------- good files

def test_reads_canonical_csv_with_types_and_sorted(tmp_path: Path) -> None:
    df = _lines().sample(frac=1, random_state=3)  # shuffled: the reader sorts
    got = load_order_lines(_write(tmp_path, df))
    lines = got.lines
    assert list(lines.columns) == list(CANONICAL_COLUMNS)
    assert lines["quantity"].dtype == np.int64
    assert lines["created_at"].dtype == "datetime64[ns]"
    assert lines["lat"].dtype == float and lines["lon"].dtype == float
    assert lines["order_id"].map(type).eq(str).all()
    key = list(zip(lines["created_at"], lines["order_id"], strict=True))
    assert key == sorted(key)
    assert got.n_orders == 4 and len(lines) == 8
    assert lines["quantity"].sum() == df["quantity"].sum()
    assert got.dropped == [] and got.notes == []


def test_optional_columns_kept(tmp_path: Path) -> None:
    df = _lines(2, 1).assign(unit_price=["12,5", "3"], service=["express", "standard"],
                             returned_quantity=[1, None], returned_at=["2024-03-05 09:00", ""],
                             return_reason=["too small", None])
    lines = load_order_lines(_write(tmp_path, df)).lines
    assert set(OPTIONAL_COLUMNS[:5]) <= set(lines.columns)
    by = lines.set_index("order_id")
    assert by.loc["O000", "unit_price"] == 12.5  # a French spreadsheet's decimal comma
    assert by.loc["O001", "returned_quantity"] == 0  # blank: nothing returned
    assert pd.isna(by.loc["O001", "returned_at"])
    assert by.loc["O000", "returned_at"] == pd.Timestamp("2024-03-05 09:00")


def test_semicolon_cp1252_export(tmp_path: Path) -> None:
    text = "order_id;created_at;sku;quantity;postcode;country\n" \
           "C1;2024-03-01 10:00;Théière;2;1000;France\n"
    p = tmp_path / "fr.csv"
    p.write_bytes(text.encode("cp1252"))
    lines = load_order_lines(p).lines
    assert lines.loc[0, "sku"] == "Théière"
    assert lines.loc[0, "postcode"] == "01000"


def test_xlsx_with_client_column_names(tmp_path: Path) -> None:
    df = pd.DataFrame({"OrderNo": [1001, 1001, 1002],
                       "OrderDate": pd.to_datetime(["2024-03-01 10:00", "2024-03-01 10:00",
                                                    "2024-03-01 09:00"]),
                       "ItemCode": ["A", "B", "A"], "Qty": [1, 2, 3],
                       # Excel ate the leading zeros: 1000 is 01000 (Bourg-en-Bresse), 2134 is
                       # 02134 (Boston)
                       "Zip": [1000, 1000, 2134], "Country": ["France", "France", "USA"]})
    p = _write(tmp_path, df, "export.xlsx")
    cols = parse_column_map("order_id=OrderNo,created_at=OrderDate,sku=ItemCode,"
                            "quantity=Qty,postcode=Zip")
    got = load_order_lines(p, columns=cols)
    lines = got.lines
    assert lines["order_id"].tolist() == ["1002", "1001", "1001"]
    assert lines["postcode"].tolist() == ["02134", "01000", "01000"]
    assert lines["country"].tolist() == ["US", "FR", "FR"]
    fr = postcode_table("FR").loc["01000"]
    assert lines.loc[1, "lat"] == fr["lat"] and lines.loc[1, "lon"] == fr["lon"]
    assert "read column 'Country' as country" in got.notes


def test_parse_column_map() -> None:
    assert parse_column_map("created_at=OrderDate, sku = ItemCode") == {
        "created_at": "OrderDate", "sku": "ItemCode"}
    assert parse_column_map(None) == {}
    with pytest.raises(ValueError, match="expected ours=theirs"):
        parse_column_map("created_at")


_NAMES = st.text(alphabet="ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz", min_size=3,
                 max_size=10)


@settings(max_examples=25, deadline=None,
          suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(names=st.lists(_NAMES, min_size=6, max_size=6, unique_by=str.lower),
       order=st.permutations(range(6)))
def test_any_client_names_map_to_the_same_lines(tmp_path: Path, names: list[str],
                                                order: list[int]) -> None:
    base = _lines(3, 2)
    canonical = load_order_lines(_write(tmp_path, base, "base.csv")).lines
    cols = [CANONICAL_COLUMNS[i] for i in order]
    # Client names are taken as given, so avoid ones that squash to one of ours.
    renamed = {c: f"x{n}" for c, n in zip(cols, names, strict=True)}
    client = base[cols].rename(columns=renamed)
    got = load_order_lines(_write(tmp_path, client, "client.csv"),
                           columns={ours: theirs for ours, theirs in renamed.items()})
    pd.testing.assert_frame_equal(got.lines, canonical)


# ---------------------------------------------------------------------------- time rule

def test_offsets_kept_as_wall_clock_without_tz_converted_with_tz(tmp_path: Path) -> None:
    df = _lines(2, 1).assign(created_at=["2024-01-10T09:00:00Z", "2024-07-10 09:00:00-04:00"])
    p = _write(tmp_path, df)
    wall = load_order_lines(p)
    assert wall.lines["created_at"].tolist() == [pd.Timestamp("2024-01-10 09:00"),
                                                 pd.Timestamp("2024-07-10 09:00")]
    assert any("give --tz" in n and "-04:00" in n and "Z" in n for n in wall.notes)
    paris = load_order_lines(p, tz="Europe/Paris")
    # winter: UTC+1; summer: UTC+2, so 09:00-04:00 = 13:00 UTC = 15:00 in Paris
    assert paris.lines["created_at"].tolist() == [pd.Timestamp("2024-01-10 10:00"),
                                                  pd.Timestamp("2024-07-10 15:00")]
    assert any("converted to Europe/Paris" in n for n in paris.notes)


def test_naive_times_unchanged_by_tz(tmp_path: Path) -> None:
    p = _write(tmp_path, _lines())
    a = load_order_lines(p).lines
    b = load_order_lines(p, tz="America/New_York")
    pd.testing.assert_frame_equal(a, b.lines)
    assert any("changes nothing" in n for n in b.notes)


def test_parquet_tz_aware_column(tmp_path: Path) -> None:
    df = _lines(2, 1)
    df["created_at"] = pd.to_datetime(["2024-01-10 09:00", "2024-01-10 10:00"]).tz_localize(
        "UTC")
    p = _write(tmp_path, df, "lines.parquet")
    assert load_order_lines(p).lines["created_at"].iloc[0] == pd.Timestamp("2024-01-10 09:00")
    assert load_order_lines(p, tz="Asia/Tokyo").lines["created_at"].iloc[0] == \
        pd.Timestamp("2024-01-10 18:00")


@settings(max_examples=40, deadline=None,
          suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(when=st.datetimes(min_value=datetime(2000, 1, 1), max_value=datetime(2040, 1, 1)),
       minutes=st.integers(-12 * 60, 14 * 60).map(lambda m: m - m % 15),
       zone=st.sampled_from(["Europe/Paris", "America/New_York", "Asia/Kolkata", "UTC"]))
def test_time_rule_property(tmp_path: Path, when: datetime, minutes: int, zone: str) -> None:
    when = when.replace(microsecond=0)
    off = timezone(timedelta(minutes=minutes))
    stamp = when.replace(tzinfo=off)
    df = _lines(1, 1).assign(created_at=[stamp.isoformat()])
    p = _write(tmp_path, df)
    assert load_order_lines(p).lines["created_at"].iloc[0] == pd.Timestamp(when)
    local = stamp.astimezone(ZoneInfo(zone)).replace(tzinfo=None)
    assert load_order_lines(p, tz=zone).lines["created_at"].iloc[0] == pd.Timestamp(local)


# ---------------------------------------------------------------------------- postcodes

def test_us_table_agrees_with_zipcodes_package() -> None:
    table = postcode_table("US")
    assert len(table) > 40_000
    for z in ("02134", "10001", "94103", "60601", "00501"):
        info = zipcodes.matching(z)[0]
        assert table.loc[z, "lat"] == pytest.approx(float(info["lat"]), abs=1e-4)
        assert table.loc[z, "lon"] == pytest.approx(float(info["long"]), abs=1e-4)


def test_fr_table_covers_france_with_plausible_points() -> None:
    table = postcode_table("FR")
    assert len(table) > 6_000
    metro = table[~table.index.str.startswith("97")]
    assert metro["lat"].between(41.3, 51.1).all() and metro["lon"].between(-5.2, 9.6).all()
    # Paris 1er near the Louvre, Lyon 2e, Marseille 1er: within about 10 km
    for code, lat, lon in (("75001", 48.862, 2.336), ("69002", 45.75, 4.83),
                           ("13001", 43.30, 5.38)):
        assert abs(table.loc[code, "lat"] - lat) < 0.1 and abs(table.loc[code, "lon"] - lon) < 0.1


def test_sources_note_names_licences() -> None:
    note = (ROOT / "sim" / "data" / "postcodes_SOURCES.md").read_text()
    for words in ("CC BY 4.0", "Licence Ouverte", "MIT", "zipcodes", "GeoNames",
                  "@etalab/decoupage-administratif"):
        assert words in note


def test_postcode_normalisation(tmp_path: Path) -> None:
    df = pd.DataFrame({"order_id": list("ABCDEF"), "created_at": "2024-03-01 10:00",
                       "sku": "S", "quantity": 1,
                       "postcode": ["02134-1234", "2134", "021341234", "1000", "75 001", "501"],
                       "country": ["US", "usa", "United States", "FR", "France", "US"]})
    lines = load_order_lines(_write(tmp_path, df)).lines.set_index("order_id")
    assert lines["postcode"].tolist() == ["02134", "02134", "02134", "01000", "75001", "00501"]
    assert lines["country"].tolist() == ["US", "US", "US", "FR", "FR", "US"]
    assert lines["lat"].notna().all()


def test_lat_lon_given_win_and_postcode_fills_blanks(tmp_path: Path) -> None:
    df = pd.DataFrame({"order_id": ["A", "B"], "created_at": "2024-03-01 10:00", "sku": "S",
                       "quantity": 1, "lat": [10.0, None], "lon": [20.0, None],
                       "postcode": ["75001", "75001"], "country": "FR"})
    lines = load_order_lines(_write(tmp_path, df)).lines.set_index("order_id")
    assert (lines.loc["A", "lat"], lines.loc["A", "lon"]) == (10.0, 20.0)
    assert lines.loc["B", "lat"] == postcode_table("FR").loc["75001", "lat"]


# ---------------------------------------------------------------------------- SKU master

def test_sku_master_canonical() -> None:
    master = load_sku_master(CORPUS / "skus.csv")
    assert list(master.columns) == ["sku", "weight_kg", "length_cm", "width_cm", "height_cm",
                                    "unit_cost", "category"]
    assert master["weight_kg"].tolist() == [1.2, 0.5]
    assert master["category"].tolist() == ["books", "toys"]


def test_lines_with_master(tmp_path: Path) -> None:
    df = _lines(2, 2)  # skus S0, S1
    master = pd.DataFrame({"ItemCode": ["S0", "S1"], "weight": [1.0, 2.0]})
    m = _write(tmp_path, master, "skus.csv")
    with pytest.raises(ClientDataError, match="missing required column; did you mean 'ItemCode'"):
        load_order_lines(_write(tmp_path, df), skus=m)
    master.columns = ["sku", "weight_kg"]
    got = load_order_lines(_write(tmp_path, df), skus=_write(tmp_path, master, "skus.csv"))
    assert got.skus is not None and got.skus["sku"].tolist() == ["S0", "S1"]


# ---------------------------------------------------------------------------- drop bad rows

def test_drop_bad_rows_drops_whole_orders_within_five_percent(tmp_path: Path) -> None:
    df = _lines(50, 2)  # 100 lines
    df.loc[3, "quantity"] = -1  # second line of O001
    df.loc[10, "created_at"] = "not a date"  # first line of O005
    p = _write(tmp_path, df)
    with pytest.raises(ClientDataError, match="--drop-bad-rows would leave out"):
        load_order_lines(p)
    got = load_order_lines(p, drop_bad_rows=True)
    assert len(got.lines) == 96 and got.n_orders == 48
    assert not got.lines["order_id"].isin(["O001", "O005"]).any()
    assert any(pr.row == 5 and pr.column == "quantity" for pr in got.dropped)
    assert any(pr.row == 12 and pr.column == "created_at" for pr in got.dropped)
    assert any("left out 4 lines (2 orders) for 2 bad lines, 2.0% of 100" in n
               for n in got.notes)


def test_drop_bad_rows_refuses_more_than_five_percent(tmp_path: Path) -> None:
    df = _lines(50, 2)
    df.loc[:5, "quantity"] = -1  # 6 of 100 lines
    with pytest.raises(ClientDataError, match=r"6\.0% of lines are bad \(6 of 100\)"):
        load_order_lines(_write(tmp_path, df), drop_bad_rows=True)


# ---------------------------------------------------------------------------- round trip

@pytest.fixture(scope="module")
def run_dir(tmp_path_factory: pytest.TempPathFactory) -> tuple[Path, pd.DataFrame]:
    sc = api.load_scenario(ROOT / "scenarios" / "us_one_node_in_house.yaml")
    sc = api.with_changes(sc, {"run.horizon_days": 5, "run.warmup_days": 1,
                               "demand.orders_per_day": 300})
    result = api.run(sc)
    out = tmp_path_factory.mktemp("run")
    result.write(out)
    return out, result.order_lines


@pytest.mark.parametrize("name", ["order_lines", "orders", "shipments"])
def test_round_trip_through_a_workbench_run(run_dir, name: str) -> None:
    out, exported = run_dir
    got = load_order_lines(out / f"{name}.parquet")
    lines = got.lines
    assert len(lines) == len(exported) > 0
    assert set(lines["order_id"]) == set(exported["order_id"].astype(str))
    assert lines["quantity"].sum() == exported["quantity"].sum()
    assert (lines["quantity"] >= 1).all()
    assert list(lines.columns[:6]) == list(CANONICAL_COLUMNS) and "service" in lines
    # created_at survives to the microsecond
    want = exported.groupby(exported["order_id"].astype(str))["created_at"].first()
    have = lines.groupby("order_id")["created_at"].first()
    assert (have.sort_index() == want.sort_index()).all()
    if name != "order_lines":
        assert "order_lines.parquet beside it" in got.notes[0]


def test_workbench_table_without_order_lines_says_so(run_dir, tmp_path: Path) -> None:
    out, _ = run_dir
    lone = tmp_path / "orders.parquet"
    lone.write_bytes((out / "orders.parquet").read_bytes())
    with pytest.raises(ClientDataError, match=r"order_lines\.parquet, which is absent"):
        load_order_lines(lone)


def test_non_iso_dates_read_the_way_that_fits(tmp_path: Path) -> None:
    df = _lines(2, 1).assign(created_at=["03/01/2024 10:00", "13/01/2024 09:00"])
    got = load_order_lines(_write(tmp_path, df))
    assert got.lines["created_at"].tolist() == [pd.Timestamp("2024-01-03 10:00"),
                                                pd.Timestamp("2024-01-13 09:00")]
    assert any("read day before month" in n for n in got.notes)
    df = _lines(2, 1).assign(created_at=["03/01/2024 10:00", "04/01/2024 09:00"])
    got = load_order_lines(_write(tmp_path, df))
    assert any("both fit every line" in n for n in got.notes)


def test_bundled_gzipped_example_export_reads_with_its_column_map() -> None:
    from sim.client_data.synthetic import CLIENT_COLUMNS

    got = load_order_lines(ROOT / "scenarios" / "data" / "example_orders.csv.gz",
                           columns=CLIENT_COLUMNS, skus=ROOT / "scenarios" / "data" /
                           "example_skus.csv")
    assert len(got.lines) > 10_000 and got.dropped == []
    assert got.lines["returned_quantity"].le(got.lines["quantity"]).all()
    assert got.skus is not None and got.lines["sku"].isin(got.skus["sku"]).all()
