"""Rows kept column-wise: appended as tuples, frozen into a numpy structured array every
`chunk` rows, so a month of millions of rows costs its bytes, not Python objects."""

from __future__ import annotations

import numpy as np

__all__ = ["RowBuffer"]


class RowBuffer:
    """An append-only table of fixed fields (name, numpy dtype), stored in chunks."""

    def __init__(self, fields: list[tuple[str, str]], chunk: int = 16_384) -> None:
        self.dtype = np.dtype(fields)
        self.chunk = chunk
        self._pending: list[tuple] = []
        self._chunks: list[np.ndarray] = []
        self._rows = 0

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
            self._chunks.append(np.array(self._pending, dtype=self.dtype))
            self._rows += len(self._pending)
            self._pending = []

    def __len__(self) -> int:
        return self._rows + len(self._pending)

    def array(self) -> np.ndarray:
        """Every row so far as one structured array (fields by name)."""
        self._freeze()
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
        """Drop every row (their table has been built)."""
        self._pending, self._chunks, self._rows = [], [], 0
