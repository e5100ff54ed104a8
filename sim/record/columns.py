"""Rows kept column-wise: appended as tuples, frozen into a numpy structured array every
`chunk` rows, so a month of millions of rows costs its bytes, not Python objects; with a
spool folder, each frozen chunk goes to disk (one file per field) instead of memory."""

from __future__ import annotations

from pathlib import Path

import numpy as np

__all__ = ["RowBuffer"]


class RowBuffer:
    """An append-only table of fixed fields (name, numpy dtype), stored in chunks, in memory
    or, with `spool`, appended to one raw file per field in that folder."""

    def __init__(self, fields: list[tuple[str, str]], chunk: int = 16_384,
                 spool: Path | None = None) -> None:
        self.dtype = np.dtype(fields)
        self.chunk = chunk
        self.spool = spool
        self._pending: list[tuple] = []
        self._chunks: list[np.ndarray] = []
        self._rows = 0
        if spool is not None:
            spool.mkdir(parents=True, exist_ok=True)
            for name in self.dtype.names:
                self._field_path(name).write_bytes(b"")

    def _field_path(self, name: str) -> Path:
        return self.spool / f"{name}.bin"

    def append(self, row: tuple) -> None:
        """Add one row, its values in field order."""
        self._pending.append(row)
        if len(self._pending) >= self.chunk:
            self._freeze()

    def extend(self, rows: list[tuple]) -> None:
        """Add many rows."""
        for row in rows:
            self.append(row)

    def _freeze(self) -> None:
        if self._pending:
            part = np.array(self._pending, dtype=self.dtype)
            self._rows += len(self._pending)
            self._pending = []
            if self.spool is None:
                self._chunks.append(part)
                return
            for name in self.dtype.names:
                with self._field_path(name).open("ab") as f:
                    f.write(np.ascontiguousarray(part[name]).tobytes())

    def __len__(self) -> int:
        return self._rows + len(self._pending)

    def column(self, name: str) -> np.ndarray:
        """One field of every row so far (a view in memory; read from disk when spooled)."""
        self._freeze()
        if self.spool is not None:
            return np.fromfile(self._field_path(name), dtype=self.dtype.fields[name][0])
        return self.array()[name]

    def array(self) -> np.ndarray:
        """Every row so far as one structured array (fields by name)."""
        self._freeze()
        if self.spool is not None:
            whole = np.empty(self._rows, self.dtype)
            for name in self.dtype.names:
                whole[name] = self.column(name)
            return whole
        if len(self._chunks) != 1:
            # Chunks are moved into one array one at a time, so the copy never holds twice
            # the rows at once.
            whole = np.empty(self._rows, self.dtype)
            at = 0
            self._chunks.reverse()
            while self._chunks:
                part = self._chunks.pop()
                whole[at:at + len(part)] = part
                at += len(part)
            self._chunks = [whole]
        return self._chunks[0]

    def clear(self) -> None:
        """Drop every row (their table has been built), and the spool files."""
        self._pending, self._chunks, self._rows = [], [], 0
        if self.spool is not None:
            for name in self.dtype.names:
                self._field_path(name).unlink(missing_ok=True)
