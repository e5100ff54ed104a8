"""An order-lines file read once per content: replay and scenario validation share it."""

from __future__ import annotations

import os
from collections.abc import Mapping
from dataclasses import dataclass
from datetime import date
from functools import lru_cache
from pathlib import Path

import pandas as pd

from sim.client_data.orders import ClientDataError, load_order_lines

__all__ = ["ReplayFile", "file_calendar", "read_cached"]


@dataclass(frozen=True)
class ReplayFile:
    """A replay file read once: its lines and its first day."""

    lines: pd.DataFrame
    first_day: date
    days: int  # whole days from the first day to the last order's day, inclusive


@lru_cache(maxsize=4)
def _read(path: str, mtime_ns: int, size: int, columns: tuple[tuple[str, str], ...],
          tz: str | None) -> ReplayFile:
    lines = load_order_lines(path, columns=dict(columns), tz=tz).lines
    first = lines["created_at"].min().normalize()
    last = lines["created_at"].max().normalize()
    return ReplayFile(lines=lines, first_day=first.date(), days=int((last - first).days) + 1)


def read_cached(path: str | Path, columns: Mapping[str, str], tz: str | None) -> ReplayFile:
    """The file read and checked (cached while it is unchanged); raises ClientDataError or
    OSError."""
    path = Path(path)
    st = os.stat(path)
    return _read(str(path.resolve()), st.st_mtime_ns, st.st_size,
                 tuple(sorted(columns.items())), tz)


def file_calendar(path: str | Path, columns: Mapping[str, str], tz: str | None
                  ) -> tuple[date, int]:
    """(first day, days spanned) of an orders file; ValueError naming the problem."""
    try:
        f = read_cached(path, columns, tz)
    except FileNotFoundError as err:
        raise ValueError(f"demand.orders_file: no such file {str(path)!r}") from err
    except (ClientDataError, OSError) as err:
        raise ValueError(f"demand.orders_file: {err}") from err
    if f.lines.empty:
        raise ValueError(f"demand.orders_file {str(path)!r} has no order lines")
    return f.first_day, f.days
