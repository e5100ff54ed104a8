"""The results store: one Parquet file per finished run (one row), queried with DuckDB.

Each run is written the moment it finishes, to `<root>/runs/<key>.parquet`, through a
temporary file renamed into place, so a crash or a killed worker never leaves a half row and
a key can never appear twice. The key is a hash of the fully resolved scenario (which holds
the seed and the sweep point) plus the replication, so re-running a sweep skips what is done.
"""

from __future__ import annotations

import os
from collections.abc import Iterable, Mapping
from pathlib import Path

import duckdb
import pandas as pd
import pyarrow as pa
import pyarrow.parquet as pq

__all__ = ["ResultStore"]


class ResultStore:
    """A folder of one-row Parquet files; `table()`/`query()` read them all through DuckDB."""

    def __init__(self, root: str | Path):
        self.root = Path(root)
        self.runs_dir = self.root / "runs"

    def _glob(self) -> str:
        return str(self.runs_dir / "*.parquet").replace("'", "''")

    def _has_rows(self) -> bool:
        return self.runs_dir.is_dir() and any(self.runs_dir.glob("*.parquet"))

    def write(self, record: Mapping[str, object]) -> Path:
        """Store one run's record (a flat dict with a `key`); replaces an earlier row of that
        key (e.g. a failed run retried)."""
        self.runs_dir.mkdir(parents=True, exist_ok=True)
        key = str(record["key"])
        path = self.runs_dir / f"{key}.parquet"
        tmp = self.runs_dir / f".{key}.{os.getpid()}.tmp"
        table = pa.Table.from_pylist([dict(record)])
        pq.write_table(table, tmp)
        os.replace(tmp, path)  # atomic on one file system: the row is there whole or not at all
        return path

    def remove_orphans(self) -> int:
        """Delete the temporary files of writers that died before renaming them (a killed
        sweep); files of live processes are left alone. Returns how many were removed."""
        removed = 0
        for tmp in self.runs_dir.glob(".*.tmp") if self.runs_dir.is_dir() else ():
            pid = tmp.name.rsplit(".", 2)[-2]
            if pid.isdigit() and _alive(int(pid)):
                continue
            tmp.unlink(missing_ok=True)
            removed += 1
        return removed

    def query(self, sql: str, params: list | None = None) -> pd.DataFrame:
        """Run SQL over the view `runs` (every stored row); an empty store gives no rows."""
        con = duckdb.connect()
        try:
            if self._has_rows():
                con.execute("CREATE VIEW runs AS SELECT * FROM "
                            f"read_parquet('{self._glob()}', union_by_name = true)")
            else:
                con.execute("CREATE VIEW runs AS SELECT NULL::VARCHAR AS key, "
                            "NULL::VARCHAR AS status WHERE false")
            return con.execute(sql, params or []).df()
        finally:
            con.close()

    def keys(self, status: str | None = "ok") -> set[str]:
        """Keys of the stored runs (only those with this status; None for all)."""
        if not self._has_rows():
            return set()
        if status is None:
            return set(self.query("SELECT key FROM runs")["key"])
        return set(self.query("SELECT key FROM runs WHERE status = ?", [status])["key"])

    def table(self, keys: Iterable[str] | None = None) -> pd.DataFrame:
        """Every stored row (or those with the given keys), ordered by sweep, point, mode and
        replication; columns no row of the selection fills are dropped."""
        if not self._has_rows():
            return pd.DataFrame()
        df = self.query("SELECT * FROM runs")
        if keys is not None:
            df = df[df["key"].isin(set(keys))]
        order = [c for c in ("sweep", "point", "mode", "replication", "key") if c in df.columns]
        df = df.sort_values(order, kind="stable").reset_index(drop=True)
        return df.dropna(axis=1, how="all")

    def __len__(self) -> int:
        return len(list(self.runs_dir.glob("*.parquet"))) if self.runs_dir.is_dir() else 0


def _alive(pid: int) -> bool:
    """Whether a process with this id runs on this machine."""
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:  # someone else's process
        return True
    return True
