"""The Python API for notebooks and scripts: load a scenario, change it, run it, get tables."""

from __future__ import annotations

import contextlib
import copy
import ctypes
import gc
import json
import math
import shutil
import tempfile
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from functools import partial
from pathlib import Path

import pandas as pd

from sim.accuracy import ACCURACY_TABLES
from sim.client_data.export import day_zero, export_order_lines, write_order_lines
from sim.conservation import COLUMNS_READ as CONSERVATION_COLUMNS
from sim.conservation import check_conservation
from sim.costs import COLUMNS_READ as COST_COLUMNS
from sim.costs import MARGIN_COLUMNS_READ, cost_ledger, margin_ledger
from sim.kpis import COLUMNS_READ as KPI_COLUMNS
from sim.kpis import summary_kpis, utilisation_table
from sim.model import Network
from sim.preflight import preflight
from sim.routing import RoutingPolicy
from sim.scenario import Scenario, load_scenario
from sim.tables import build_tables, order_table, shipment_table, small_tables
from sim.warmup import warmup_report

__all__ = ["RunResult", "load_scenario", "run", "with_changes"]

TABLES = ("orders", "shipments", "daily", "hourly", "inbound", "pick_tours", "costs",
          "utilisation", "sales", "lost_sales", "margin", "returns")


@dataclass
class RunResult:
    """One replication's tables (DataFrames), its KPI summary and conservation balance."""

    scenario: Scenario
    replication: int
    tables: dict[str, pd.DataFrame]
    summary: dict
    balance: dict[str, int] = field(default_factory=dict)
    policy_stats: dict[str, float] = field(default_factory=dict)  # the routing policy's counts
    # Built on demand (memory): the run's orders as a client's order-lines export.
    export: Callable[[], pd.DataFrame] | None = field(default=None, repr=False)
    folder: Path | None = None  # where a streamed run wrote its tables

    @property
    def order_lines(self) -> pd.DataFrame | None:
        """The run's orders as a client's export (order_id, created_at, sku, quantity, ...)."""
        return self.export() if self.export is not None else None


    def table(self, name: str, columns: Iterable[str] | None = None) -> pd.DataFrame:
        """A table, or only some of its columns (read from disk alone for a streamed run)."""
        if self.folder is not None and name in ("orders", "shipments"):
            return pd.read_parquet(self.folder / f"{name}.parquet",
                                   columns=None if columns is None else list(columns))
        table = self.tables[name]
        return table if columns is None else table[list(columns)]

    def rows(self, name: str) -> int:
        """How many rows a table has (without reading a streamed run's table)."""
        if self.folder is not None and name in ("orders", "shipments"):
            import pyarrow.parquet as pq

            return pq.ParquetFile(self.folder / f"{name}.parquet").metadata.num_rows
        return len(self.tables[name])

    def __getattr__(self, name: str) -> pd.DataFrame:
        tables = self.__dict__.get("tables", {})
        if name in tables:
            return tables[name]
        raise AttributeError(name)

    def write(self, out_dir: str | Path) -> list[Path]:
        """Write summary.json and one Parquet file per table; return the paths written."""
        out = Path(out_dir)
        out.mkdir(parents=True, exist_ok=True)
        paths = []
        names = [*TABLES, *[k for k in ("parcels", "storage") if k in self.tables],
                 *(n for n in ACCURACY_TABLES if n in self.tables),
                 *(["order_lines"] if self.export is not None else [])]
        for name in names:
            p = out / f"{name}.parquet"
            if self.folder is not None:  # a streamed run: its files are written already
                if self.folder.resolve() != out.resolve():
                    shutil.copyfile(self.folder / p.name, p)
            elif name == "order_lines":  # readable by `fulfil calibrate` and replay
                self.export().to_parquet(p, index=False)
            else:
                self.tables[name].to_parquet(p, index=False)
            paths.append(p)
        p = out / "summary.json"
        p.write_text(json.dumps(_jsonable({"scenario": self.scenario.name,
                                           "replication": self.replication,
                                           "kpis": self.summary,
                                           "conservation": self.balance,
                                           "routing": self.policy_stats}), indent=2))
        paths.append(p)
        return paths


def _jsonable(x):
    if isinstance(x, dict):
        return {str(k): _jsonable(v) for k, v in x.items()}
    if isinstance(x, float) and math.isnan(x):
        return None
    if hasattr(x, "item"):
        return _jsonable(x.item())
    return x


def run(scenario: Scenario | str | Path, replication: int = 0,
        routing: RoutingPolicy | None = None,
        progress: Callable[[float], None] | None = None,
        stream_to: str | Path | None = None) -> RunResult:
    """Run one replication of a scenario (object or YAML path) and check conservation.

    With `stream_to` (a folder), the run keeps its rows on disk as it goes and writes its
    tables there as Parquet (`RunResult.write` then adds summary.json): the same tables,
    in a fraction of the memory; the orders and shipments tables are read back on first use.
    """
    if not isinstance(scenario, Scenario):
        scenario = load_scenario(scenario)
    preflight(scenario)  # data-dependent checks: a clear InvalidInput before anything runs
    if stream_to is not None:
        return _run_on_disk(scenario, replication, routing, progress, Path(stream_to))
    net = Network(scenario, replication=replication, routing=routing, progress=progress)
    net.run()
    tables = build_tables(net.record)
    balance = check_conservation(net.record, tables)
    net.record.release()  # the tables hold the rows now
    summary = _costs_and_summary(scenario, tables, lambda columns: tables)
    start = day_zero(scenario.run.start_date, scenario.run.start_weekday)
    export = partial(export_order_lines, net.orders, net.catalogue.ids,
                     net.points["lat"].to_numpy(), net.points["lon"].to_numpy(),
                     net.record.names.services, start)
    return RunResult(scenario, replication, tables, summary, balance, net.policy.stats(),
                     export)


def _costs_and_summary(scenario: Scenario, tables: dict[str, pd.DataFrame],
                       reading: Callable[[dict[str, tuple[str, ...]]], dict[str, pd.DataFrame]]
                       ) -> dict:
    """Add the cost ledger and crew utilisation to `tables` and return the KPI summary with
    its warm-up report; `reading(columns)` gives the tables with (at least) those columns of
    the large ones."""
    tables["costs"] = cost_ledger(scenario, reading(COST_COLUMNS))
    tables["margin"] = margin_ledger(scenario, reading(MARGIN_COLUMNS_READ))
    tables["utilisation"] = utilisation_table(tables["daily"], scenario.run.warmup_days)
    warmup = warmup_report(tables["daily"], tables["hourly"], scenario.run.warmup_days)
    # How long the start-up transient lasted, by MSER-5: reported beside the KPIs, so a
    # reader sees whether run.warmup_days covered it.
    return {**summary_kpis(scenario, reading(KPI_COLUMNS)), "warmup": warmup}


def _run_on_disk(scenario: Scenario, replication: int, routing: RoutingPolicy | None,
                 progress: Callable[[float], None] | None, out: Path) -> RunResult:
    """`run` with its rows spooled to disk and its tables written to `out` as they are built,
    holding a few columns of the large tables in memory at a time."""
    out.mkdir(parents=True, exist_ok=True)
    spool = Path(tempfile.mkdtemp(prefix=".rows-", dir=out))
    try:
        net = Network(scenario, replication=replication, routing=routing, progress=progress,
                      spool=spool / "rows")
        net.run()
        rec, policy_stats, points = net.record, net.policy.stats(), net.points
        sku_ids = net.catalogue.ids
        del net  # the model's live state goes; the record stays
        _give_back_memory()
        ships = shipment_table(rec, spool / "shipments")
        rec.release()
        orders = order_table(rec, ships, spool / "orders")
        _give_back_memory()
        tables = small_tables(rec, ships)
        large = {"orders": orders, "shipments": ships}

        def reading(columns: dict[str, tuple[str, ...]]) -> dict[str, pd.DataFrame]:
            return {**tables, **{k: large[k].frame(v) for k, v in columns.items()}}

        balance = check_conservation(rec, reading(CONSERVATION_COLUMNS))
        write_order_lines(out / "order_lines.parquet", rec.orders, sku_ids,
                          points["lat"].to_numpy(), points["lon"].to_numpy(),
                          rec.names.services,
                          day_zero(scenario.run.start_date, scenario.run.start_weekday))
        del rec  # and the order book with it
        _give_back_memory()
        for name, table in large.items():
            table.write_parquet(out / f"{name}.parquet")
        summary = _costs_and_summary(scenario, tables, reading)
        for name, table in tables.items():
            table.to_parquet(out / f"{name}.parquet", index=False)
    finally:
        shutil.rmtree(spool, ignore_errors=True)
    return RunResult(scenario, replication, TablesOnDisk(tables, out), summary, balance,
                     policy_stats, partial(pd.read_parquet, out / "order_lines.parquet"),
                     folder=out)


def _give_back_memory() -> None:
    """Collect the freed model and hand the heap's free pages back to the system (glibc's
    malloc_trim; elsewhere a no-op), so one phase's leftovers do not raise the next one's
    peak."""
    gc.collect()
    with contextlib.suppress(OSError, AttributeError):
        ctypes.CDLL("libc.so.6").malloc_trim(0)


class TablesOnDisk(dict):
    """A streamed run's tables: the small ones in memory, orders and shipments read from
    their Parquet files on first use."""

    def __init__(self, small: dict[str, pd.DataFrame], folder: Path) -> None:
        super().__init__(small)
        self.folder = folder

    def __missing__(self, name: str) -> pd.DataFrame:
        if name not in TABLES:
            raise KeyError(name)
        self[name] = table = pd.read_parquet(self.folder / f"{name}.parquet")
        return table

    def __contains__(self, name: object) -> bool:
        return name in TABLES or super().__contains__(name)


def with_changes(scenario: Scenario, changes: dict[str, object]) -> Scenario:
    """A validated copy with fields changed by path, e.g. {"demand.orders_per_day": 5000,
    "nodes[0].resources.pickers.count": 12}."""
    data = scenario.model_dump(mode="python")
    for path, value in changes.items():
        target, key = _walk(data, path)
        # a copy: a later path into this value must not edit the caller's object
        target[key] = copy.deepcopy(value)
    return Scenario.model_validate(data)


def _walk(data: dict, path: str):
    parts: list[str | int] = []
    for chunk in path.replace("]", "").split("."):
        name, *idx = chunk.split("[")
        if name:
            parts.append(name)
        parts.extend(int(i) for i in idx)
    node = data
    for p in parts[:-1]:
        node = node[p]
    return node, parts[-1]
