"""Read an order-lines export (one row per order line) into canonical columns.

Canonical `OrderLines.lines` columns: `order_id` (str), `created_at` (naive datetime64, the
business's local wall-clock time), `sku` (str), `quantity` (int64 >= 1), `lat`, `lon`
(degrees); optional `unit_price`, `service`, `returned_quantity`, `returned_at`,
`return_reason`. Row numbers in problems are as a spreadsheet shows them: the header is row 1.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from pathlib import Path

import pandas as pd

__all__ = ["CANONICAL_COLUMNS", "OPTIONAL_COLUMNS", "ClientDataError", "OrderLines", "Problem",
           "load_order_lines", "parse_column_map"]

CANONICAL_COLUMNS = ("order_id", "created_at", "sku", "quantity", "lat", "lon")
OPTIONAL_COLUMNS = ("unit_price", "service", "returned_quantity", "returned_at",
                    "return_reason", "postcode", "country")


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


def _read_table(path: Path) -> pd.DataFrame:
    if path.suffix.lower() == ".parquet":
        return pd.read_parquet(path)
    if path.suffix.lower() in (".xlsx", ".xlsm"):
        return pd.read_excel(path)
    return pd.read_csv(path)


def load_order_lines(path: str | Path, *, columns: Mapping[str, str] | None = None,
                     tz: str | None = None, skus: str | Path | None = None,
                     drop_bad_rows: bool = False) -> OrderLines:
    """Read and check an order-lines file (CSV, Parquet or .xlsx) into canonical columns."""
    path = Path(path)
    df = _read_table(path)
    rename = {theirs: ours for ours, theirs in (columns or {}).items()}
    df = df.rename(columns=rename)
    created = pd.to_datetime(df["created_at"])
    if created.dt.tz is not None:
        created = (created.dt.tz_convert(tz) if tz else created).dt.tz_localize(None)
    lines = pd.DataFrame({
        "order_id": df["order_id"].astype(str), "created_at": created,
        "sku": df["sku"].astype(str), "quantity": df["quantity"].astype("int64"),
        "lat": df["lat"].astype(float), "lon": df["lon"].astype(float),
    })
    for c in OPTIONAL_COLUMNS:
        if c in df.columns:
            lines[c] = df[c]
    if "returned_at" in lines.columns:
        lines["returned_at"] = pd.to_datetime(lines["returned_at"])
    master = _read_table(Path(skus)) if skus is not None else None
    return OrderLines(lines=lines, skus=master, source=str(path))
