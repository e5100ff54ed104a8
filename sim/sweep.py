"""Sweeps: scenario variants by field path, each with its replications, run on local
processes or a Dask cluster, every finished run written to the results store at once.

A point is a dict of changes by field path (`sim.api.with_changes`), e.g.
`{"demand.orders_per_day": 5000, "nodes[0].mode": "3pl"}`; the pseudo-path `mode` builds the
whole network in one fulfilment mode (`sim.modes.scenario_for_mode`). Each (point,
replication) is one task; replication r of every point shares its demand (common random
numbers). A sweep file (YAML) holds:

    name: volume-by-mode
    scenario: ../us_one_node_in_house.yaml   # relative to the sweep file
    replications: 3
    changes: {run.horizon_days: 14}          # applied to every point first
    grid: {demand.orders_per_day: [1000, 3000], nodes[0].mode: [in_house, 3pl]}
    points: [{...}, {...}]                   # a list instead of (or crossed with) the grid
    modes: [in_house, 3pl]                   # optional: every point in each mode
"""

from __future__ import annotations

import hashlib
import itertools
import json
import os
import tempfile
import time
import traceback
from collections.abc import Callable, Iterator, Mapping, Sequence
from concurrent.futures import ProcessPoolExecutor, as_completed
from concurrent.futures.process import BrokenProcessPool
from dataclasses import dataclass, field
from multiprocessing import get_context
from pathlib import Path
from typing import Any

import pandas as pd
from pydantic import BaseModel, ConfigDict, NonNegativeInt, PositiveInt, ValidationError

from optimize.errors import FieldProblem, InvalidInput
from sim.api import run, with_changes
from sim.experiments import recost_cost_per_order, run_record
from sim.modes import scenario_for_mode
from sim.progress import ProgressArg, StepProgress
from sim.scenario import Scenario, load_scenario, read_yaml_mapping
from sim.store import ResultStore

__all__ = [
    "MODE",
    "ExecutionReport",
    "SweepSpec",
    "Task",
    "execute",
    "expand_points",
    "failed_record",
    "load_sweep",
    "make_tasks",
    "plan_sweep",
    "point_scenario",
    "replicate",
    "run_sweep",
    "run_task",
    "scenario_hash",
]

MODE = "mode"  # pseudo-path: the whole network in one mode of sim.modes.MODES


class SweepSpec(BaseModel):
    """A sweep definition: base scenario, common changes, a grid and/or points, modes."""

    model_config = ConfigDict(extra="forbid")

    name: str = "sweep"
    scenario: Path
    replications: PositiveInt = 1
    first_replication: NonNegativeInt = 0
    changes: dict[str, Any] = {}
    grid: dict[str, list[Any]] = {}
    points: list[dict[str, Any]] = []
    modes: list[str] = []


@dataclass(frozen=True)
class Task:
    """One replication of one point: what a worker runs, and the key it is stored under."""

    key: str
    sweep: str
    point: str
    changes: dict[str, Any]
    replication: int
    scenario: Scenario
    recost: dict[str, dict[str, Any]] = field(default_factory=dict)


@dataclass(frozen=True)
class ExecutionReport:
    """What an execution did: tasks asked for, skipped (already stored), run, failed."""

    total: int
    skipped: int
    ran: int
    failed: int
    elapsed_s: float


def load_sweep(path: str | Path) -> SweepSpec:
    """Read a sweep YAML file; its scenario path is taken relative to the file."""
    path = Path(path)
    spec = SweepSpec.model_validate(read_yaml_mapping(path))
    if not spec.scenario.is_absolute():
        spec = spec.model_copy(update={"scenario": path.parent / spec.scenario})
    return spec


def expand_points(grid: Mapping[str, Sequence[Any]] | None = None,
                  points: Sequence[Mapping[str, Any]] | None = None,
                  modes: Sequence[str] | None = None) -> list[dict[str, Any]]:
    """Every point: each listed point (or the base) crossed with the grid's product and with
    each mode."""
    grid = dict(grid or {})
    combos = [dict(zip(grid, vals, strict=True)) for vals in itertools.product(*grid.values())]
    out = [{**dict(p), **g} for p in (points or [{}]) for g in combos]
    if modes:
        out = [{**p, MODE: m} for p in out for m in modes]
    return out


def point_scenario(base: Scenario, changes: Mapping[str, Any]) -> Scenario:
    """The base scenario with the point's changes, then (if given) in the point's mode."""
    plain = {k: v for k, v in changes.items() if k != MODE}
    sc = with_changes(base, plain) if plain else base
    return scenario_for_mode(sc, changes[MODE]) if MODE in changes else sc


def scenario_hash(scenario: Scenario) -> str:
    """A stable hash of every input of the resolved scenario (seed included)."""
    text = json.dumps(scenario.model_dump(mode="json"), sort_keys=True, default=str)
    return hashlib.sha256(text.encode()).hexdigest()[:16]


def _label(changes: Mapping[str, Any]) -> str:
    return ", ".join(f"{k}={v}" for k, v in changes.items()) or "base"


def _point_problems(base: Scenario, i: int, changes: Mapping[str, Any]) -> list[FieldProblem]:
    where = f"points[{i}]"
    try:
        point_scenario(base, changes)
    except ValidationError as err:
        return [FieldProblem(f"{where}." + ".".join(str(p) for p in e["loc"]), e["msg"],
                             e.get("input")) for e in err.errors()]
    except (KeyError, IndexError, TypeError) as err:
        bad = [p for p in changes if p != MODE and not _path_exists(base, p)]
        return [FieldProblem(f"{where}.{p}", "no such field in the scenario", changes[p])
                for p in bad] or [FieldProblem(where, str(err), dict(changes))]
    except ValueError as err:  # an unknown mode
        return [FieldProblem(f"{where}.{MODE}", str(err), changes.get(MODE))]
    return []


def _path_exists(base: Scenario, path: str) -> bool:
    try:
        with_changes(base, {path: _get(base.model_dump(mode="python"), path)})
    except (KeyError, IndexError, TypeError, ValidationError):
        return False
    return True


def _get(data: Any, path: str) -> Any:
    for chunk in path.replace("]", "").split("."):
        name, *idx = chunk.split("[")
        if name:
            data = data[name]
        for i in idx:
            data = data[int(i)]
    return data


def make_tasks(base: Scenario, points: Sequence[Mapping[str, Any]], replications: int,
               sweep: str = "sweep", first_replication: int = 0,
               recost: Mapping[str, Mapping[str, Any]] | None = None) -> list[Task]:
    """One task per point and replication; every point is validated first and all problems
    are raised together (InvalidInput naming `points[i].<path>`)."""
    problems = [p for i, ch in enumerate(points) for p in _point_problems(base, i, ch)]
    if problems:
        raise InvalidInput(problems)
    recost = {k: dict(v) for k, v in (recost or {}).items()}
    tasks = []
    for changes in points:
        sc = point_scenario(base, changes)
        digest = scenario_hash(sc)
        if recost:
            extra = json.dumps(recost, sort_keys=True, default=str).encode()
            digest = hashlib.sha256(digest.encode() + extra).hexdigest()[:16]
        for r in range(first_replication, first_replication + replications):
            tasks.append(Task(f"{digest}-r{r}", sweep, _label(changes), dict(changes), r, sc,
                              recost))
    return tasks


def _column_value(v: Any) -> float | str:
    if isinstance(v, bool):
        return str(v)
    if isinstance(v, int | float):
        return float(v)
    return v if isinstance(v, str) else json.dumps(v, default=str)


def _mode_of(task: Task) -> str:
    if MODE in task.changes:
        return str(task.changes[MODE])
    return "+".join(sorted({n.mode.kind for n in task.scenario.nodes}))


def _error_text(err: BaseException) -> str:
    msg = "; ".join(str(p) for p in err.problems) if isinstance(err, InvalidInput) else str(err)
    frames = traceback.extract_tb(err.__traceback__)
    ours = [f for f in frames if "site-packages" not in f.filename] or frames
    at = f" (at {Path(ours[-1].filename).name}:{ours[-1].lineno})" if ours else ""
    return f"{type(err).__name__}: {msg}{at}"


def _task_header(task: Task) -> dict[str, Any]:
    return {
        "key": task.key, "sweep": task.sweep, "point": task.point, "mode": _mode_of(task),
        "replication": task.replication, "seed": task.scenario.run.seed,
        "scenario_hash": task.key.rsplit("-r", 1)[0],
        **{f"set:{k}": _column_value(v) for k, v in task.changes.items()},
    }


def run_task(task: Task) -> dict[str, Any]:
    """Run one task; a raising run gives a record with status `error` and the message."""
    t0 = time.perf_counter()
    record = _task_header(task)
    try:
        result = run(task.scenario, replication=task.replication)
        kpis = run_record(result)
        for label, changes in task.recost.items():
            kpis[f"recost:{label}:cost_per_order"] = recost_cost_per_order(result, changes)
    except Exception as err:  # a failing run is recorded; the sweep goes on
        record.update(status="error", error=_error_text(err))
    else:
        record.update(status="ok", error="", **kpis)
    record["elapsed_s"] = time.perf_counter() - t0
    return record


def failed_record(task: Task, err: BaseException) -> dict[str, Any]:
    """The record of a task whose worker died or whose result could not be fetched."""
    return {**_task_header(task), "status": "error", "error": _error_text(err),
            "elapsed_s": float("nan")}


# ---------------------------------------------------------------- executors


def _serial(tasks: Sequence[Task]) -> Iterator[dict[str, Any]]:
    for t in tasks:
        yield run_task(t)


def _local(tasks: Sequence[Any], workers: int, fn: Callable[[Any], dict[str, Any]] = run_task,
           failed: Callable[[Any, BaseException], dict[str, Any]] = failed_record,
           ) -> Iterator[dict[str, Any]]:
    """`fn(task)` for every task on `workers` processes; a task whose worker dies gets
    `failed(task, error)`, and only that task."""
    # forkserver: workers fork from a clean process that has imported the model once, so
    # neither the parent's threads (progress bar, DuckDB) nor a re-import per task get in.
    ctx = get_context("forkserver")
    ctx.set_forkserver_preload(["sim.sweep"])
    todo = list(tasks)
    while todo:
        broken: list[int] = []
        yield from _pool_round(todo, ProcessPoolExecutor(workers, mp_context=ctx), fn, failed,
                               broken)
        # A dead worker (killed, out of memory) breaks the whole pool and every unfinished
        # task with it. The pool feeds its workers in submission order, so the task that died
        # is among the first workers + 1 unfinished ones: run each of those alone, where a
        # death is its own; send the rest to a fresh pool.
        broken.sort()
        for i in broken[:workers + 1]:
            yield from _pool_round([todo[i]], ProcessPoolExecutor(1, mp_context=ctx), fn,
                                   failed, None)
        todo = [todo[i] for i in broken[workers + 1:]]


def _pool_round(tasks: Sequence[Any], pool: ProcessPoolExecutor,
                fn: Callable[[Any], dict[str, Any]],
                failed: Callable[[Any, BaseException], dict[str, Any]],
                broken: list[int] | None) -> Iterator[dict[str, Any]]:
    """The records of `tasks` on `pool`; with `broken` given, tasks lost to a broken pool are
    listed there (by index) instead of recorded as failed."""
    try:
        futures = {pool.submit(fn, t): i for i, t in enumerate(tasks)}
        for fut in as_completed(futures):
            try:
                yield fut.result()
            except BrokenProcessPool as err:
                if broken is None:
                    yield failed(tasks[futures[fut]], err)
                else:
                    broken.append(futures[fut])
            except Exception as err:  # the result could not be sent back
                yield failed(tasks[futures[fut]], err)
    finally:
        pool.shutdown(wait=False, cancel_futures=True)


def _dask(tasks: Sequence[Task], client: Any) -> Iterator[dict[str, Any]]:
    from distributed import as_completed as dask_completed

    futures = {client.submit(run_task, t, key=f"fulfil-run-{t.key}", pure=False): t
               for t in tasks}
    try:
        for fut in dask_completed(list(futures)):
            try:
                yield fut.result()
            except Exception as err:  # KilledWorker and the like
                yield failed_record(futures[fut], err)
    finally:
        for fut in futures:
            fut.cancel()


def execute(tasks: Sequence[Task], store: ResultStore, workers: int | None = None,
            scheduler: str | None = None, client: Any = None,
            progress: ProgressArg = True,
            retry_failed: bool = True) -> ExecutionReport:
    """Run the tasks not stored yet (failed ones again if `retry_failed`), writing each record
    as it arrives. On local processes by default (`workers`, default all cores; 0 = in this
    process), on a Dask cluster if `client` or a `scheduler` address is given."""
    t0 = time.perf_counter()
    store.remove_orphans()
    done = store.keys("ok") if retry_failed else store.keys(None)
    todo = [t for t in tasks if t.key not in done]
    if len({t.key for t in todo}) != len(todo):
        seen: set[str] = set()
        todo = [t for t in todo if not (t.key in seen or seen.add(t.key))]
    own_client = None
    if client is None and scheduler is not None:
        from distributed import Client

        client = own_client = Client(scheduler)
    if client is not None:
        records = _dask(todo, client)
    elif workers == 0 or len(todo) <= 1:
        records = _serial(todo)
    else:
        records = _local(todo, min(workers or os.cpu_count() or 1, len(todo)))
    failed = 0
    try:
        with StepProgress(progress, len(todo), "runs", failed_column=True, stderr=False,
                          lines=False) as bar:
            for rec in records:
                store.write(rec)
                failed += rec["status"] != "ok"
                bar.advance(failed=failed)
    finally:
        records.close()
        if own_client is not None:
            own_client.close()
    return ExecutionReport(len(tasks), len(tasks) - len(todo), len(todo), failed,
                           time.perf_counter() - t0)


# ---------------------------------------------------------------- front doors


def plan_sweep(spec: SweepSpec) -> list[Task]:
    """The tasks of a sweep definition (scenario loaded, every point validated)."""
    base = load_scenario(spec.scenario)
    if spec.changes:
        base = with_changes(base, spec.changes)
    points = expand_points(spec.grid, spec.points, spec.modes)
    return make_tasks(base, points, spec.replications, spec.name, spec.first_replication)


def run_sweep(spec: SweepSpec | str | Path, out: str | Path, workers: int | None = None,
              scheduler: str | None = None, client: Any = None,
              progress: ProgressArg = True) -> pd.DataFrame:
    """Run a sweep (definition or YAML path) into the store at `out`; one row per replication
    of every point, stored runs skipped."""
    if not isinstance(spec, SweepSpec):
        spec = load_sweep(spec)
    tasks = plan_sweep(spec)
    store = ResultStore(out)
    execute(tasks, store, workers=workers, scheduler=scheduler, client=client,
            progress=progress)
    return store.table(t.key for t in tasks)


def replicate(scenario: Scenario, replications: int, modes: Sequence[str] | None = None,
              out: str | Path | None = None, workers: int | None = None,
              client: Any = None, progress: bool = False) -> pd.DataFrame:
    """Replications 0..n-1 of the scenario (or of each mode, on common random numbers); one
    row per replication, stored in `out` if given (else a temporary store)."""
    points = [{MODE: m} for m in modes] if modes else [{}]
    tasks = make_tasks(scenario, points, replications, sweep="replicate")
    with tempfile.TemporaryDirectory() as tmp:
        store = ResultStore(out if out is not None else tmp)
        execute(tasks, store, workers=workers, client=client, progress=progress)
        return store.table(t.key for t in tasks)
