"""A table built one column at a time, held in memory or spilled column by column to a folder,
so that a table of millions of rows is built, written to Parquet and read for KPIs while only
a few of its columns are in memory at once."""

from __future__ import annotations

from collections.abc import Iterable
from functools import cache
from pathlib import Path

import numpy as np
import pandas as pd

__all__ = ["ColumnTable", "write_parquet_in_groups"]

_ROWS_PER_GROUP = 262_144


@cache
def _text_dtype() -> object:
    """The dtype pandas gives a column of Python strings (its string dtype, or object)."""
    return pd.Series(np.array(["a"], dtype=object)).dtype


def _decode(codes: np.ndarray, uniques: list) -> np.ndarray | pd.api.extensions.ExtensionArray:
    """Text from codes (-1: missing), as the table in memory holds it: pandas' string dtype
    when it infers one (built by Arrow from the codes, not a string object per row), else an
    object array."""
    text = _text_dtype()
    if not isinstance(text, pd.StringDtype) or not all(isinstance(u, str) for u in uniques):
        return np.asarray([*uniques, np.nan], dtype=object)[codes]
    import pyarrow as pa

    values = pa.DictionaryArray.from_arrays(pa.array(codes, mask=codes < 0),
                                            pa.array(uniques, type=pa.large_string()))
    return pd.array(values.cast(pa.large_string()), dtype=text)


class ColumnTable:
    """Columns by name, in the order they were put: in memory, or with `folder` each saved as
    a .npy file when put (text columns as codes plus their distinct values)."""

    def __init__(self, folder: Path | None = None) -> None:
        self.folder = folder
        self.attrs: dict = {}
        self._memory: dict[str, np.ndarray] = {}
        self._names: list[str] = []
        self._text: dict[str, list] = {}  # on disk: a text column's distinct values
        self.n_rows = 0
        if folder is not None:
            folder.mkdir(parents=True, exist_ok=True)

    @property
    def columns(self) -> list[str]:
        """Column names in table order."""
        return list(self._names)

    def put(self, name: str, values: np.ndarray | pd.Series) -> None:
        """Add (or replace) a column; a Series gives its values (missing text as NaN)."""
        if isinstance(values, pd.Series):
            values = values.to_numpy(dtype=object if values.dtype == object
                                     or pd.api.types.is_string_dtype(values.dtype) else None)
        if name not in self._names:
            self._names.append(name)
        self.n_rows = len(values)
        if self.folder is None:
            self._memory[name] = values
            return
        if values.dtype == object:
            codes, uniques = pd.factorize(values, use_na_sentinel=True)
            self._text[name] = list(uniques)
            values = codes.astype(np.int32)
        np.save(self._path(name), values, allow_pickle=False)

    def get(self, name: str, rows: slice | None = None) -> np.ndarray:
        """A column's values (text as an object array, missing as NaN), or a slice of rows."""
        if self.folder is None:
            values = self._memory[name]
            return values if rows is None else values[rows]
        stored = np.load(self._path(name), mmap_mode="r", allow_pickle=False)
        part = np.array(stored if rows is None else stored[rows])
        del stored  # unmap: pages read for one slice do not stay resident
        if name in self._text:
            return _decode(part, self._text[name])
        return part

    def codes(self, name: str) -> tuple[np.ndarray, list]:
        """A text column as integer codes and the values they stand for (-1: missing)."""
        if self.folder is not None and name in self._text:
            return np.load(self._path(name), allow_pickle=False), self._text[name]
        codes, uniques = pd.factorize(self.get(name), use_na_sentinel=True)
        return codes, list(uniques)

    def frame(self, columns: Iterable[str] | None = None, rows: slice | None = None
              ) -> pd.DataFrame:
        """The table, or some of its columns, or a slice of its rows, as a DataFrame."""
        names = self._names if columns is None else list(columns)
        df = pd.DataFrame({c: self.get(c, rows) for c in names}, copy=False)
        df.attrs.update(self.attrs)
        return df

    def write_parquet(self, path: Path, rows_per_group: int = _ROWS_PER_GROUP) -> Path:
        """Write the table to one Parquet file, a group of rows at a time."""
        text = [c for c in self._names if self._text.get(c) or (
            c in self._memory and self._memory[c].dtype == object
            and pd.notna(self._memory[c]).any())]
        return write_parquet_in_groups(
            (self.frame(rows=slice(a, a + rows_per_group))
             for a in range(0, max(self.n_rows, 1), rows_per_group)), path, text)

    def _path(self, name: str) -> Path:
        return self.folder / f"{name}.npy"


def write_parquet_in_groups(frames: Iterable[pd.DataFrame], path: Path,
                            text: Iterable[str] = ()) -> Path:
    """Write DataFrames of the same columns, in turn, as the row groups of one Parquet file
    (a large table never has to be in memory whole); `text`: columns holding text somewhere,
    typed as text even if the first group has none."""
    text = set(text)
    import pyarrow as pa
    import pyarrow.parquet as pq

    writer = None
    try:
        for part in frames:
            table = pa.Table.from_pandas(part, preserve_index=False)
            if writer is None:
                schema = pa.schema([f.with_type(pa.large_string())
                                    if pa.types.is_null(f.type) and f.name in text
                                    else f for f in table.schema],
                                   metadata=table.schema.metadata)
                writer = pq.ParquetWriter(path, schema)
            writer.write_table(table.cast(writer.schema))
    finally:
        if writer is not None:
            writer.close()
    return path
