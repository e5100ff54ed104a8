"""Read an order-lines export (one row per order line) into canonical columns.

Canonical `OrderLines.lines` columns: `order_id` (str), `created_at` (naive datetime64, the
business's local wall-clock time), `sku` (str), `quantity` (int64 >= 1), `lat`, `lon`
(degrees); optional `unit_price`, `service`, `returned_quantity`, `returned_at`,
`return_reason`, `postcode`, `country`. Row numbers in problems are as a spreadsheet shows them:
the header is row 1 (for Parquet too: the first data row is row 2).
"""

from __future__ import annotations

import difflib
import gzip
import re
import warnings
import zoneinfo
from collections.abc import Mapping
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np
import pandas as pd
import pyarrow as pa
import pyarrow.compute as pc

from sim.client_data.postcodes import place

__all__ = ["CANONICAL_COLUMNS", "DROP_LIMIT", "OPTIONAL_COLUMNS", "SKU_COLUMNS",
           "ClientDataError", "OrderLines", "Problem", "load_order_lines", "load_sku_master",
           "parse_column_map"]

CANONICAL_COLUMNS = ("order_id", "created_at", "sku", "quantity", "lat", "lon")
OPTIONAL_COLUMNS = ("unit_price", "service", "returned_quantity", "returned_at",
                    "return_reason", "postcode", "country")
SKU_COLUMNS = ("sku", "weight_kg", "length_cm", "width_cm", "height_cm", "unit_cost",
               "category")
DROP_LIMIT = 0.05  # share of bad lines --drop-bad-rows accepts
SHOWN = 5  # rows shown per kind of problem

# Names client exports use for our columns, compared after _squash (for "did you mean").
_SYNONYMS = {
    "order_id": ["order", "orderno", "ordernumber", "ordernum", "orderref", "orderreference",
                 "commande", "numcommande", "ordername"],
    "created_at": ["orderdate", "date", "created", "orderdatetime", "ordertime", "timestamp",
                   "datecommande", "placedat", "purchasedate", "orderedat", "createddate"],
    "sku": ["itemcode", "item", "product", "productid", "productcode", "article", "reference",
            "skuid", "itemid", "itemnumber", "productsku", "variantsku"],
    "quantity": ["qty", "quantityordered", "units", "qte", "quantite", "qtyordered",
                 "lineitemquantity"],
    "lat": ["latitude"], "lon": ["longitude", "lng", "long"],
    "postcode": ["zip", "zipcode", "postalcode", "codepostal", "cp", "shipzip",
                 "shippingzip", "shippostcode", "shippingpostcode"],
    "country": ["countrycode", "pays", "shipcountry", "shippingcountry"],
    "unit_price": ["price", "unitprice", "prix", "lineitemprice"],
    "service": ["shippingservice", "shipmethod", "shippingmethod", "deliveryservice"],
    "returned_quantity": ["returnedqty", "qtyreturned", "returnqty", "returnquantity"],
    "returned_at": ["returndate", "returnedon", "datereturned"],
    "return_reason": ["reason", "returnreasoncode"],
    "weight_kg": ["weight", "weightkg", "poids"], "length_cm": ["length"],
    "width_cm": ["width"], "height_cm": ["height"], "unit_cost": ["cost", "cogs"],
}
# A trailing UTC offset after a time of day: Z, +01:00, -0500, +01.
_OFFSET = re.compile(r"\d\d:\d\d(?::\d\d(?:[.,]\d*)?)?\s*(Z|[+-]\d\d(?::?\d\d)?)$")
_OFFSET_GROUP = r"(?P<offset>Z|[+-]\d\d(?::?\d\d)?)$"
_WORKBENCH = {"created_h"}  # columns only the workbench's own orders/shipments tables have
_STR = pd.StringDtype("pyarrow")
_PANDAS3 = int(pd.__version__.split(".")[0]) >= 3


@dataclass(frozen=True)
class Problem:
    """One thing wrong in an input file: where (row, column), the value, and what is wrong."""

    message: str
    column: str | None = None
    row: int | None = None  # spreadsheet numbering: header is row 1
    value: object = None

    def __str__(self) -> str:
        where = ", ".join(x for x in (f"row {self.row}" if self.row is not None else "",
                                      f"column {self.column!r}" if self.column else "") if x)
        shown = f" (got {self.value!r})" if self.value is not None else ""
        return f"{where}: {self.message}{shown}" if where else f"{self.message}{shown}"


class ClientDataError(ValueError):
    """An input file that cannot be used; `problems` lists every problem found."""

    def __init__(self, path: str | Path, problems: list[Problem]):
        self.path = str(path)
        self.problems = problems
        super().__init__(f"{self.path}:\n" + "\n".join(f"  {p}" for p in problems))


@dataclass
class OrderLines:
    """An order-lines export in canonical columns, with the SKU master if one was given."""

    lines: pd.DataFrame
    skus: pd.DataFrame | None = None
    source: str = ""
    dropped: list[Problem] = field(default_factory=list)  # rows left out by drop_bad_rows
    notes: list[str] = field(default_factory=list)  # what was assumed (time zone, mapping)

    @property
    def n_orders(self) -> int:
        """Number of distinct orders."""
        return int(self.lines["order_id"].nunique())


def parse_column_map(text: str | None) -> dict[str, str]:
    """`created_at=OrderDate,sku=ItemCode` -> {"created_at": "OrderDate", "sku": "ItemCode"}."""
    if not text:
        return {}
    out: dict[str, str] = {}
    for part in text.split(","):
        ours, sep, theirs = part.partition("=")
        if not sep or not ours.strip() or not theirs.strip():
            raise ValueError(f"--columns: expected ours=theirs, got {part!r}")
        out[ours.strip()] = theirs.strip()
    return out


# ---------------------------------------------------------------------------- reading files

def _fail(path: Path, message: str, **kw) -> ClientDataError:
    return ClientDataError(path, [Problem(message, **kw)])


def _read_table(path: Path) -> pd.DataFrame:
    """The file as a DataFrame (text formats as strings), or a ClientDataError saying why not."""
    if not path.exists():
        raise _fail(path, "no such file")
    if path.is_dir():
        raise _fail(path, "is a directory, not a file")
    if path.stat().st_size == 0:
        raise _fail(path, "the file is empty")
    ext = path.suffix.lower()
    gz = ext == ".gz"
    if gz:  # example_orders.csv.gz: the format is the suffix before .gz
        ext = Path(path.stem).suffix.lower()
    try:
        with (gzip.open(path, "rb") if gz else path.open("rb")) as f:
            head = f.read(8192)
    except (OSError, EOFError) as e:
        raise _fail(path, f"not a readable gzip file: {e}") from None
    if ext in (".parquet", ".pq"):
        if head[:4] != b"PAR1":
            raise _fail(path, "not a Parquet file (it does not start with PAR1)")
        reader, kind = pd.read_parquet, "Parquet"
    elif ext in (".xlsx", ".xlsm"):
        if head[:4] != b"PK\x03\x04":
            raise _fail(path, "not an .xlsx workbook (not a zip archive)")
        # As text, like a CSV: keeps postcodes' and ids' leading zeros as the sheet shows them.
        def reader(p):
            return pd.read_excel(p, engine="openpyxl", dtype=str)
        kind = "an .xlsx workbook"
    elif ext == ".xls":
        raise _fail(path, "the old Excel .xls format is not read: save it as .xlsx or CSV")
    elif gz and ext not in (".csv", ".tsv", ".txt"):
        raise _fail(path, f"unknown file type {ext + '.gz'!r}: give a .csv, .csv.gz, .parquet "
                          "or .xlsx file")
    elif ext in (".csv", ".tsv", ".txt"):
        if b"\x00" in head:
            raise _fail(path, "binary data, not a text (CSV) file")
        def reader(p):
            return _read_csv(p, head)
        kind = "CSV"
    else:
        raise _fail(path, f"unknown file type {ext or '(no extension)'!r}: give a .csv, "
                          ".csv.gz, .parquet or .xlsx file")
    try:
        df = reader(path)
    except pd.errors.EmptyDataError:
        raise _fail(path, "no columns: the file has no header row") from None
    except (pd.errors.ParserError, ValueError, OSError, KeyError) as e:
        raise _fail(path, f"cannot be read as {kind}: {str(e).strip() or type(e).__name__}") \
            from None
    except Exception as e:  # a corrupt zip or Parquet footer raises library-specific errors
        raise _fail(path, f"cannot be read as {kind}: {type(e).__name__}: {e}") from None
    if df.shape[1] == 0:
        raise _fail(path, "no columns: the file has no header row")
    df.columns = [str(c).strip() for c in df.columns]
    return df


def _read_csv(path: Path, head: bytes) -> pd.DataFrame:
    # Exports from French Excel are cp1252 with ';' separators; try UTF-8 first.
    first = head.split(b"\n", 1)[0]
    sep = max((",", ";", "\t", "|"), key=lambda s: first.count(s.encode()))
    for encoding in ("utf-8-sig", "cp1252"):
        try:
            # Arrow's reader is several times faster; pandas' own says which line is wrong.
            try:
                return pd.read_csv(path, sep=sep, dtype=_STR, encoding=encoding,
                                   engine="pyarrow")
            except Exception:
                return pd.read_csv(path, sep=sep, dtype=_STR, encoding=encoding)
        except UnicodeDecodeError:
            continue
    raise ValueError("neither UTF-8 nor Windows-1252 text")


# ---------------------------------------------------------------------------- columns

def _squash(name: str) -> str:
    return re.sub(r"[^a-z0-9]", "", str(name).lower())


def _suggest(ours: str, candidates: list[str]) -> str | None:
    """The client column that looks most like ours (by name or a usual synonym), if any."""
    targets = [_squash(ours), *_SYNONYMS.get(ours, [])]
    by_squash = {_squash(c): c for c in candidates}
    for t in targets:  # an exact synonym beats a close spelling
        if t in by_squash:
            return by_squash[t]
    best = difflib.get_close_matches(_squash(ours), list(by_squash), n=1, cutoff=0.75)
    return by_squash[best[0]] if best else None


def _apply_columns(df: pd.DataFrame, columns: Mapping[str, str], known: tuple[str, ...],
                   path: Path, notes: list[str]) -> pd.DataFrame:
    """Rename client columns to ours: the --columns map first, then names that differ from ours
    only in case or punctuation (`Order ID` -> order_id)."""
    problems = []
    for ours, theirs in columns.items():
        if ours not in known:
            close = difflib.get_close_matches(ours, known, n=1)
            hint = f"; did you mean {close[0]!r}?" if close else ""
            problems.append(Problem(f"--columns {ours}={theirs}: {ours!r} is not one of our "
                                    f"columns ({', '.join(known)}){hint}", column=ours))
        elif theirs not in df.columns:
            close = difflib.get_close_matches(theirs, list(df.columns), n=1)
            hint = f"; did you mean {close[0]!r}?" if close else ""
            problems.append(Problem(f"--columns {ours}={theirs}: the file has no column "
                                    f"{theirs!r}{hint}", column=theirs))
    if problems:
        raise ClientDataError(path, problems)
    out = {ours: df[theirs] for ours, theirs in columns.items()}
    used = set(columns.values())
    for c in df.columns:
        if c in used or c in out:
            continue
        ours = next((k for k in known if _squash(k) == _squash(c)), None)
        if ours is not None and ours not in out and ours != c:
            notes.append(f"read column {c!r} as {ours}")
        out.setdefault(ours or c, df[c])
    return pd.DataFrame(out, copy=False)


def _no_twins(df: pd.DataFrame, columns: Mapping[str, str], path: Path) -> None:
    """A column we read must appear once: readers rename a second `sku` to `sku.1`."""
    wanted = {*CANONICAL_COLUMNS, *OPTIONAL_COLUMNS, *columns.values()}
    twins = [m[1] for c in df.columns if (m := re.fullmatch(r"(.+)\.\d+", c))
             and m[1] in df.columns and m[1] in wanted]
    if twins:
        raise ClientDataError(path, [Problem("the header names this column more than once: "
                                             "which one to read is unclear", column=c)
                                     for c in dict.fromkeys(twins)])


def _missing_columns(df: pd.DataFrame, missing: list[str], path: Path,
                     what: str = "required column") -> ClientDataError:
    free = [c for c in df.columns if c not in CANONICAL_COLUMNS + OPTIONAL_COLUMNS + SKU_COLUMNS]
    problems, pairs = [], []
    for ours in missing:
        theirs = _suggest(ours, free)
        if theirs is not None:
            pairs.append(f"{ours}={theirs}")
            problems.append(Problem(f"missing {what}; did you mean {theirs!r}? "
                                    f"(--columns {ours}={theirs})", column=ours))
        else:
            problems.append(Problem(f"missing {what}", column=ours))
    shown = ", ".join(map(str, df.columns[:30])) + (", ..." if df.shape[1] > 30 else "")
    example = ",".join(pairs) if pairs else f"{missing[0]}=TheirName"
    problems.append(Problem(f"the file has columns: {shown}; map yours to ours with "
                            f"--columns {example}"))
    return ClientDataError(path, problems)


# ---------------------------------------------------------------------------- values

def _plain(v: object) -> object:
    """A value as a person reads it: Python scalars, timestamps as text, blanks as None."""
    if v is None or v is pd.NA or v is pd.NaT or (isinstance(v, float) and np.isnan(v)):
        return None
    if isinstance(v, pd.Timestamp | np.datetime64):
        return str(pd.Timestamp(v))
    return v.item() if isinstance(v, np.generic) else v


class _Problems:
    """Problems found by vectorised checks, one kind at a time, each with its rows."""

    def __init__(self, n: int):
        self.n = n
        self.kinds: list[tuple[str, str, np.ndarray, pd.Series]] = []

    def add(self, message: str, column: str, mask, values: pd.Series) -> None:
        """Record a kind of problem on the lines where `mask` holds (values: what to show)."""
        mask = np.asarray(mask, dtype=bool)
        if mask.any():
            self.kinds.append((message, column, mask, values))

    def bad(self) -> np.ndarray:
        """Lines with at least one problem."""
        out = np.zeros(self.n, bool)
        for _, _, mask, _ in self.kinds:
            out |= mask
        return out

    def report(self) -> list[Problem]:
        """Per kind: a count with the share of lines, then the first rows with their values."""
        out = []
        for message, column, mask, values in self.kinds:
            rows = np.flatnonzero(mask)
            first = f"; the first {SHOWN}:" if len(rows) > SHOWN else ":"
            out.append(Problem(f"{message}: {len(rows):,} line(s), {len(rows) / self.n:.1%} "
                               f"of {self.n:,} lines{first}", column=column))
            out += [Problem(message, column, int(r) + 2, _plain(values.iloc[r]))
                    for r in rows[:SHOWN]]
        return out


def _text(s: pd.Series) -> pd.Series:
    """Stripped strings (Arrow-backed), NA for blanks; whole numbers lose a trailing .0."""
    if pd.api.types.is_float_dtype(s):
        out = pd.Series(pd.NA, index=s.index, dtype=_STR)
        whole = (np.isfinite(s) & (s == np.round(s))).to_numpy()
        out[whole] = s[whole].astype(np.int64).astype(str)
        other = s.notna().to_numpy() & ~whole
        out[other] = s[other].astype(str)
        return out
    if not isinstance(s.dtype, pd.StringDtype):
        s = s.astype(str).where(s.notna())
    arr = pc.utf8_trim_whitespace(pa.array(s.astype(_STR).array))
    if pc.any(pc.ends_with(arr, ".0")).as_py():  # a spreadsheet's 1001.0 for the id 1001
        arr = pc.replace_substring_regex(arr, r"^(\d+)\.0$", r"\1")
    arr = pc.if_else(pc.equal(arr, ""), pa.scalar(None, arr.type), arr)
    return pd.Series(pd.arrays.ArrowStringArray(arr), index=s.index)


def _arrow(t: pd.Series) -> pa.Array:
    arr = pa.array(t.astype(_STR).array)
    return arr.combine_chunks() if isinstance(arr, pa.ChunkedArray) else arr


def _numbers(s: pd.Series) -> tuple[np.ndarray, np.ndarray]:
    """(values as floats with NaN where not a number, mask of non-blank cells)."""
    if pd.api.types.is_numeric_dtype(s) and not pd.api.types.is_bool_dtype(s):
        x = s.to_numpy(dtype=float, na_value=np.nan)
        return x, ~np.isnan(x)
    t = _text(s)
    present = t.notna().to_numpy()
    try:  # clean files: Arrow's cast, fast; else pandas, cell by cell
        x = np.array(pc.cast(_arrow(t), pa.float64()).to_numpy(zero_copy_only=False))
    except pa.ArrowInvalid:
        x = np.array(pd.to_numeric(t.astype(object), errors="coerce")
                     .to_numpy(dtype=float, na_value=np.nan))
    comma = present & np.isnan(x)
    if comma.any():  # decimal commas (12,5) from a French spreadsheet
        fixed = t[comma].str.replace(r"^(-?\d+),(\d+)$", r"\1.\2", regex=True)
        x[comma] = pd.to_numeric(fixed, errors="coerce").to_numpy(dtype=float, na_value=np.nan)
    return x, present


def _parse_naive(t: pd.Series, column: str, notes: list[str]) -> pd.Series:
    try:  # clean ISO 8601 files: Arrow's cast, fast; else pandas, cell by cell
        cast = pc.cast(_arrow(t), pa.timestamp("ns")).to_numpy(zero_copy_only=False)
        return pd.Series(cast, index=t.index, dtype="datetime64[ns]")
    except pa.ArrowInvalid:
        pass
    got = pd.to_datetime(t.astype(object), format="ISO8601", errors="coerce")
    if got.isna().sum() <= 0.5 * t.notna().sum():
        return got
    # Not ISO 8601 (03/01/2024): read with the format of the first value, both ways round, and
    # keep the reading that fits more lines.
    with warnings.catch_warnings():  # "could not infer format": we compare counts below
        warnings.simplefilter("ignore")
        month = pd.to_datetime(t.astype(object), errors="coerce", dayfirst=False)
        day = pd.to_datetime(t.astype(object), errors="coerce", dayfirst=True)
    first = t.dropna().iloc[0]
    best, order = min((month, "month before day"), (day, "day before month"),
                      key=lambda r: r[0].isna().sum())
    if best.isna().sum() >= got.isna().sum():
        return got
    both = " (both fit every line: check)" if month.isna().sum() == day.isna().sum() else ""
    notes.append(f"{column} is not ISO 8601 (e.g. {first!r}): read {order}{both}")
    return best


def _times(s: pd.Series, tz: str | None, column: str,
           notes: list[str]) -> tuple[pd.Series, np.ndarray]:
    """(naive local wall-clock timestamps, NaT where unparseable; mask of non-blank cells)."""
    if pd.api.types.is_datetime64_any_dtype(s):
        present = s.notna().to_numpy()
        if s.dt.tz is None:
            if tz:
                notes.append(f"{column} had no UTC offsets: read as {tz} local time "
                             "(--tz changes nothing)")
            return s.astype("datetime64[ns]"), present
        if tz:
            notes.append(f"{column} carried time zone {s.dt.tz}: converted to {tz} local time")
            return s.dt.tz_convert(tz).dt.tz_localize(None), present
        notes.append(f"{column} carried time zone {s.dt.tz}: kept as its wall-clock time; "
                     "give --tz to convert to the business's local time")
        return s.dt.tz_localize(None), present
    t = _text(s)
    present = t.notna().to_numpy()
    has = pc.fill_null(pc.match_substring_regex(_arrow(t), _OFFSET.pattern),
                       False).to_numpy(zero_copy_only=False)
    out = pd.Series(pd.NaT, index=s.index, dtype="datetime64[ns]")
    if (~has).any():
        out[~has] = _parse_naive(t[~has], column, notes)
        if tz:
            notes.append(f"{column} had no UTC offsets on {(present & ~has).sum():,} lines: "
                         f"read as {tz} local time (--tz changes nothing)")
    if has.any():
        offsets = pc.struct_field(pc.extract_regex(_arrow(t[has]), _OFFSET_GROUP), [0])
        seen = ", ".join(sorted(pc.unique(offsets).to_pylist())[:5])
        if tz:
            try:
                utc = pd.Series(pc.cast(_arrow(t[has]), pa.timestamp("ns", "UTC"))
                                .to_pandas(), index=t.index[has])
            except pa.ArrowInvalid:
                utc = pd.to_datetime(t[has].astype(object), format="ISO8601", utc=True,
                                     errors="coerce")
            out[has] = utc.dt.tz_convert(tz).dt.tz_localize(None).astype("datetime64[ns]")
            notes.append(f"{column} carried UTC offsets {seen}: converted to {tz} local time")
        else:
            wall = pd.Series(pd.arrays.ArrowStringArray(pc.replace_substring_regex(
                _arrow(t[has]), r"\s*(Z|[+-]\d\d(:?\d\d)?)$", "")), index=t.index[has])
            out[has] = _parse_naive(wall, column, notes)
            notes.append(f"{column} carried UTC offsets {seen}: kept as the wall-clock time of "
                         "each offset; give --tz to convert to the business's local time")
    return out, present


def _check_tz(tz: str | None, path: Path) -> None:
    if tz is None:
        return
    try:
        zoneinfo.ZoneInfo(tz)
    except (zoneinfo.ZoneInfoNotFoundError, ValueError):
        raise _fail(path, f"unknown time zone {tz!r} (--tz): give an IANA name such as "
                          "Europe/Paris or America/New_York") from None


def _count_check(p: _Problems, name: str, raw: pd.Series, x: np.ndarray, present: np.ndarray,
                 *, whole: bool, least: float) -> None:
    """Numbers that must be whole (or not) and at least `least`."""
    p.add("not a number", name, present & np.isnan(x), raw)
    ok = ~np.isnan(x)
    p.add("not finite", name, ok & ~np.isfinite(x), raw)
    if whole:
        p.add("not a whole number", name, ok & np.isfinite(x) & (x != np.round(x)), raw)
    p.add(f"negative {name}", name, ok & (x < 0), raw)
    if least > 0:
        p.add(f"must be at least {least:g}" if whole else "must be more than 0", name,
              ok & (x == 0), raw)


# ---------------------------------------------------------------------------- SKU master

def load_sku_master(path: str | Path, *, columns: Mapping[str, str] | None = None) -> pd.DataFrame:
    """Read and check a SKU master (sku, weight_kg, length_cm, width_cm, height_cm in kg and cm,
    unit_cost, category) into canonical columns; raise ClientDataError listing every problem."""
    path = Path(path)
    notes: list[str] = []
    df = _apply_columns(_read_table(path), columns or {}, SKU_COLUMNS, path, notes)
    if "sku" not in df.columns:
        raise _missing_columns(df, ["sku"], path)
    if df.empty:
        raise _fail(path, "no data rows under the header")
    p = _Problems(len(df))
    out = pd.DataFrame({"sku": _text(df["sku"])})
    p.add("missing sku", "sku", out["sku"].isna(), df["sku"])
    p.add("duplicate sku", "sku", out["sku"].notna() & out["sku"].duplicated(keep="first"),
          df["sku"])
    for c in SKU_COLUMNS[1:6]:
        if c in df.columns:
            x, present = _numbers(df[c])
            # A blank dimension is unknown, not zero: only a given value must be positive.
            _count_check(p, c, df[c], x, present, whole=False, least=0 if c == "unit_cost" else 1)
            out[c] = x
    if "category" in df.columns:
        out["category"] = _text(df["category"])
    if p.kinds:
        raise ClientDataError(path, p.report())
    return out


# ---------------------------------------------------------------------------- order lines

def _workbench_sibling(path: Path, df: pd.DataFrame) -> Path | None:
    """The run's order_lines.parquet when `path` is the workbench's orders/shipments table."""
    if not set(df.columns) >= _WORKBENCH:
        return None
    sibling = path.parent / "order_lines.parquet"
    if not sibling.is_file():
        raise _fail(path, f"this is the workbench's own {path.name} (it has column created_h, "
                          "not order lines); its order lines are written beside it as "
                          f"order_lines.parquet, which is absent from {path.parent}: re-run the "
                          "scenario with this version to write it, then give that file")
    return sibling


def load_order_lines(path: str | Path, *, columns: Mapping[str, str] | None = None,
                     tz: str | None = None, skus: str | Path | None = None,
                     drop_bad_rows: bool = False) -> OrderLines:
    """Read and check an order-lines file (CSV, Parquet or .xlsx) into canonical columns;
    raise ClientDataError listing every problem (row, column, value) unless drop_bad_rows and
    at most 5 % of lines are bad, in which case the orders with a bad line are left out."""
    path = Path(path)
    _check_tz(tz, path)
    notes: list[str] = []
    raw = _read_table(path)
    sibling = _workbench_sibling(path, raw)
    if sibling is not None:
        got = load_order_lines(sibling, tz=tz, skus=skus,  # canonical: no mapping
                               drop_bad_rows=drop_bad_rows)
        got.notes.insert(0, f"{path.name} is the workbench's own output: read {sibling.name} "
                            "beside it")
        return got
    _no_twins(raw, columns or {}, path)
    df = _apply_columns(raw, columns or {}, CANONICAL_COLUMNS + OPTIONAL_COLUMNS, path, notes)
    missing = [c for c in ("order_id", "created_at", "sku", "quantity") if c not in df.columns]
    has_ll = {"lat", "lon"} <= set(df.columns)
    has_pc = {"postcode", "country"} <= set(df.columns)
    if not (has_ll or has_pc):
        missing += ([c for c in ("postcode", "country") if c not in df.columns]
                    if "postcode" in df.columns or "country" in df.columns
                    else [c for c in ("lat", "lon") if c not in df.columns])
    if missing:
        raise _missing_columns(df, missing, path)
    if df.empty:
        raise _fail(path, "no data rows under the header")
    master = load_sku_master(skus) if skus is not None else None

    n = len(df)
    p = _Problems(n)
    order_id = _text(df["order_id"])
    p.add("missing order_id", "order_id", order_id.isna(), df["order_id"])
    created, present = _times(df["created_at"], tz, "created_at", notes)
    p.add("missing created_at", "created_at", ~present, df["created_at"])
    p.add("unparseable date", "created_at", present & created.isna().to_numpy(),
          df["created_at"])
    sku = _text(df["sku"])
    p.add("missing sku", "sku", sku.isna(), df["sku"])
    if master is not None:
        p.add("SKU absent from the SKU master", "sku",
              sku.notna().to_numpy() & ~sku.isin(master["sku"]).to_numpy(), df["sku"])
    qty, present = _numbers(df["quantity"])
    p.add("missing quantity", "quantity", ~present, df["quantity"])
    _count_check(p, "quantity", df["quantity"], qty, present, whole=True, least=1)
    lat, lon, extra = _destination(df, p, has_ll, has_pc)
    # Sorted codes: the order of order_id strings, for the final sort without sorting strings.
    codes, _ = pd.factorize(order_id, sort=True)
    _same_per_order(p, codes, created, lat, lon, has_ll)
    optional = _optional(df, p, created, qty, tz, notes)

    bad = p.bad()
    dropped: list[Problem] = []
    keep = np.ones(n, bool)
    if bad.any():
        share = bad.mean()
        if not drop_bad_rows or share > DROP_LIMIT:
            problems = p.report()
            if drop_bad_rows:
                problems.insert(0, Problem(f"{share:.1%} of lines are bad ({bad.sum():,} of "
                                           f"{n:,}), more than the {DROP_LIMIT:.0%} "
                                           "--drop-bad-rows accepts"))
            elif share <= DROP_LIMIT:
                problems.append(Problem(f"{share:.1%} of lines are bad: --drop-bad-rows would "
                                        "leave out the orders they belong to"))
            raise ClientDataError(path, problems)
        # Whole orders go: an order read without one of its lines would be wrong, not short.
        keep = ~(bad | order_id.isin(order_id[bad].dropna()).to_numpy())
        dropped = p.report()
        notes.append(f"--drop-bad-rows: left out {(~keep).sum():,} lines "
                     f"({order_id[~keep].nunique():,} orders) for {bad.sum():,} bad lines, "
                     f"{share:.1%} of {n:,}")
    rows = np.flatnonzero(keep)
    rows = rows[np.lexsort((codes[rows], created.to_numpy()[rows]))]  # stable
    cols = {"order_id": order_id, "created_at": created, "sku": sku,
            "quantity": np.nan_to_num(qty, nan=0, posinf=0, neginf=0).astype(np.int64),
            "lat": lat, "lon": lon, **optional, **extra}
    lines = pd.DataFrame({k: _canonical(v, rows) for k, v in cols.items()},
                         index=pd.RangeIndex(len(rows)))
    return OrderLines(lines=lines, skus=master, source=str(path), dropped=dropped, notes=notes)


def _canonical(v: pd.Series | np.ndarray, rows: np.ndarray) -> pd.Series | np.ndarray:
    """Column `v` at `rows`; strings as pandas' str dtype (object before pandas 3), NaN for
    blanks."""
    if isinstance(v, pd.Series):
        if isinstance(v.dtype, pd.StringDtype):
            got = v.iloc[rows].reset_index(drop=True)
            return (got.astype("str") if _PANDAS3 else
                    got.to_numpy(dtype=object, na_value=np.nan))
        return v.to_numpy()[rows]
    return v[rows]


def _destination(df: pd.DataFrame, p: _Problems, has_ll: bool,
                 has_pc: bool) -> tuple[np.ndarray, np.ndarray, dict[str, pd.Series]]:
    """(lat, lon) per line from lat/lon columns or, where those are blank, from postcodes."""
    n = len(df)
    lat = np.full(n, np.nan)
    lon = np.full(n, np.nan)
    need = np.ones(n, bool)
    if has_ll:
        lat, lat_present = _numbers(df["lat"])
        lon, lon_present = _numbers(df["lon"])
        given = lat_present & lon_present
        for name, x, pres, limit in (("lat", lat, lat_present, 90), ("lon", lon, lon_present,
                                                                       180)):
            p.add("not a number", name, pres & np.isnan(x), df[name])
            p.add(f"out of range (-{limit} to {limit} degrees)", name,
                  ~np.isnan(x) & (np.abs(x) > limit), df[name])
            if not has_pc:
                p.add(f"missing {name}", name, ~pres, df[name])
        need = ~given
    extra: dict[str, pd.Series] = {}
    if has_pc:
        postcode, country, plat, plon = place(_text(df["postcode"]), _text(df["country"]))
        extra = {"postcode": postcode, "country": country}
        raw_country = _text(df["country"]).notna().to_numpy()
        known = country.notna().to_numpy()
        has_code = postcode.notna().to_numpy()
        p.add("missing postcode (and no lat, lon)", "postcode", need & ~has_code,
              df["postcode"])
        p.add("missing country (and no lat, lon)", "country", need & ~raw_country,
              df["country"])
        p.add("country not recognised: postcodes are placed for US and FR (or give lat, lon)",
              "country", need & raw_country & ~known, df["country"])
        p.add("postcode not found", "postcode", need & known & has_code & np.isnan(plat),
              df["postcode"])
        lat = np.where(need, plat, lat)
        lon = np.where(need, plon, lon)
    return lat, lon, extra


def _same_per_order(p: _Problems, codes: np.ndarray, created: pd.Series, lat: np.ndarray,
                    lon: np.ndarray, has_ll: bool) -> None:
    """Lines of one order must agree on when it was placed and where it goes (codes: the
    order's number from factorize, -1 where the order_id is missing)."""
    g = pd.DataFrame({"o": codes, "created_at": created.to_numpy(), "lat": lat, "lon": lon})
    first = g.groupby("o", sort=False)[["created_at", "lat", "lon"]].transform("first")
    ok = codes >= 0
    differ_t = ok & created.notna().to_numpy() & (g["created_at"] != first["created_at"]).to_numpy()
    p.add("lines of one order disagree on created_at (not the order's first line's value)",
          "created_at", differ_t, created)
    differ_d = ok & ~np.isnan(lat) & ((lat != first["lat"].to_numpy())
                                      | (lon != first["lon"].to_numpy()))
    where = pd.Series(np.nan, index=created.index, dtype=object)
    shown = np.flatnonzero(differ_d)[:SHOWN]
    where.iloc[shown] = [f"{lat[i]:.5f}, {lon[i]:.5f}" for i in shown]
    p.add("lines of one order disagree on destination (lat, lon)",
          "lat" if has_ll else "postcode", differ_d, where)


def _optional(df: pd.DataFrame, p: _Problems, created: pd.Series, qty: np.ndarray,
              tz: str | None, notes: list[str]) -> dict[str, object]:
    """Optional columns, checked, in canonical types."""
    out: dict[str, object] = {}
    if "unit_price" in df.columns:
        x, present = _numbers(df["unit_price"])
        _count_check(p, "unit_price", df["unit_price"], x, present, whole=False, least=0)
        out["unit_price"] = x
    if "service" in df.columns:
        out["service"] = _text(df["service"])
    if "returned_quantity" in df.columns:
        x, present = _numbers(df["returned_quantity"])
        _count_check(p, "returned_quantity", df["returned_quantity"], x, present, whole=True,
                     least=0)
        p.add("more returned than ordered", "returned_quantity", ~np.isnan(x) & (x > qty),
              df["returned_quantity"])
        out["returned_quantity"] = np.nan_to_num(x, nan=0, posinf=0, neginf=0).astype(np.int64)
    if "returned_at" in df.columns:
        ret, present = _times(df["returned_at"], tz, "returned_at", notes)
        p.add("unparseable date", "returned_at", present & ret.isna().to_numpy(),
              df["returned_at"])
        p.add("returned before the order was created", "returned_at",
              (ret < created).to_numpy(), df["returned_at"])
        out["returned_at"] = ret
    if "return_reason" in df.columns:
        out["return_reason"] = _text(df["return_reason"])
    return out
