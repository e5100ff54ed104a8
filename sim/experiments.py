"""Experiments: a run as a flat record, KPIs by period, and confidence intervals.

Replication r of every compared strategy uses the same seed and replication index, so its
orders are the same (common random numbers, see `sim.streams`); the warm-up is already left
out by `sim.kpis`. Intervals are Student t intervals of replication means:

    mean ± t(1 - α/2, n - 1) · s / √n

and a paired difference between two strategies is that interval applied to the per-replication
differences, which common random numbers make much narrower than the difference of two
independent intervals.
"""

from __future__ import annotations

import math
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from datetime import timedelta

import numpy as np
import pandas as pd
from scipy import stats

from sim.api import RunResult, with_changes
from sim.costs import cost_ledger
from sim.kpis import summary_kpis, utilisation_table
from sim.scenario import Scenario

__all__ = [
    "HEADLINE_KPIS",
    "MIN_REPLICATIONS",
    "Interval",
    "condense",
    "flatten_summary",
    "paired_differences",
    "periods",
    "recost_cost_per_order",
    "replications_needed",
    "run_record",
    "summarise",
    "t_interval",
    "window_kpis",
    "without_spikes",
]

# The KPIs a comparison reports, each with its interval (cost categories come on top).
HEADLINE_KPIS = (
    "cost_per_order", "fulfilment_cost_per_order", "shipping_cost_per_order",
    "on_time_pct", "two_day_pct", "click_to_door_p95_days", "unit_fill_rate_pct",
    "backorder_pct", "avg_on_hand_value",
)  # fmt: skip


@dataclass(frozen=True)
class Interval:
    """A Student t confidence interval of a mean: n values, mean, sd, half-width, bounds."""

    n: int
    mean: float
    sd: float
    half_width: float
    lo: float
    hi: float


def t_interval(values: Iterable[float], level: float = 0.95) -> Interval:
    """Student t interval for the mean of independent values (NaN values left out; the
    half-width is NaN with fewer than two values)."""
    x = np.asarray([v for v in values if v is not None], dtype=float)
    x = x[~np.isnan(x)]
    n = len(x)
    if n == 0:
        return Interval(0, math.nan, math.nan, math.nan, math.nan, math.nan)
    mean = float(x.mean())
    if n == 1:
        return Interval(1, mean, math.nan, math.nan, math.nan, math.nan)
    sd = float(x.std(ddof=1))
    half = float(stats.t.ppf(0.5 + level / 2.0, n - 1) * sd / math.sqrt(n))
    return Interval(n, mean, sd, half, mean - half, mean + half)


# An interval is trusted from this many replications, when its half-width is within the
# precision below: 5 % of the mean, or 1 percentage point for a share (`_pct`).
MIN_REPLICATIONS = 5
RELATIVE_PRECISION = 0.05
SHARE_PRECISION_PP = 1.0


def replications_needed(metric: str, ci: Interval) -> int:
    """Replications for the interval's half-width to reach the precision target, by the
    usual approximation n * (half-width / target)^2 (Law and Kelton); at least
    MIN_REPLICATIONS, and 0 when the values give no interval."""
    if ci.n < 2 or math.isnan(ci.half_width):
        return 0
    target = (SHARE_PRECISION_PP if metric.endswith("_pct")
              else RELATIVE_PRECISION * abs(ci.mean))
    if ci.half_width == 0 or target == 0:
        return MIN_REPLICATIONS
    return max(MIN_REPLICATIONS, math.ceil(ci.n * (ci.half_width / target) ** 2))


def summarise(df: pd.DataFrame, by: Sequence[str], metrics: Sequence[str],
              level: float = 0.95) -> pd.DataFrame:
    """One row per group and metric: n, mean, sd, half_width, lo, hi of the replication
    values (a long table; metrics missing from `df` are skipped), whether the interval is
    `enough` (at least MIN_REPLICATIONS and within the precision target) and the
    `replications_needed` for that; a share's bounds (`_pct`) are kept within [0, 100]."""
    rows = []
    present = [m for m in metrics if m in df.columns]
    for keys, g in df.groupby(list(by), sort=False, dropna=False):
        keys = keys if isinstance(keys, tuple) else (keys,)
        for m in present:
            ci = t_interval(g[m], level)
            row = {**dict(zip(by, keys, strict=True)), "metric": m, **ci.__dict__}
            if m.endswith("_pct"):
                row["lo"], row["hi"] = max(ci.lo, 0.0), min(ci.hi, 100.0)
            needed = replications_needed(m, ci)
            row["enough"] = bool(ci.n >= MIN_REPLICATIONS and 0 < needed <= ci.n)
            row["replications_needed"] = needed
            rows.append(row)
    return pd.DataFrame(rows, columns=[*by, "metric", "n", "mean", "sd", "half_width",
                                       "lo", "hi", "enough", "replications_needed"])


def paired_differences(df: pd.DataFrame, strategy: str, baseline: str,
                       metrics: Sequence[str], pair_on: Sequence[str] = ("replication",),
                       level: float = 0.95) -> pd.DataFrame:
    """Strategy minus `baseline`, paired on `pair_on` (same replication = same demand), with
    a t interval of the differences; one row per other strategy and metric."""
    rows = []
    pair_on = list(pair_on)
    base = df[df[strategy] == baseline].set_index(pair_on)
    for other, g in df[df[strategy] != baseline].groupby(strategy, sort=False):
        g = g.set_index(pair_on)
        common = g.index.intersection(base.index)
        for m in metrics:
            if m not in df.columns:
                continue
            d = g.loc[common, m].astype(float) - base.loc[common, m].astype(float)
            ci = t_interval(d, level)
            rows.append({strategy: other, "baseline": baseline, "metric": m, **ci.__dict__})
    return pd.DataFrame(rows, columns=[strategy, "baseline", "metric", "n", "mean", "sd",
                                       "half_width", "lo", "hi"])


# ---------------------------------------------------------------- periods


def periods(scenario: Scenario) -> dict[str, tuple[int, int]]:
    """KPI windows in days [start, end): `all` after the warm-up; with spikes, `normal` from
    the warm-up to the first spike and `spike` from the first spike to the end (recovery
    included, as a backlog is part of a spike's cost)."""
    warm, end = scenario.run.warmup_days, scenario.run.horizon_days
    out = {"all": (warm, end)}
    starts = [s.start_day for s in scenario.demand.spikes if s.start_day < end]
    if starts:
        first = max(warm, math.floor(min(starts)))
        if first > warm:
            out["normal"] = (warm, first)
        if first < end:
            out["spike"] = (first, end)
    return out


def _daily_window(daily: pd.DataFrame, end_day: int) -> pd.DataFrame:
    # The snapshot at end_day closes the window (crew hours to then); its time averages are
    # of the day after the window, so they are left out.
    cut = daily[daily["day"] <= end_day].copy()
    cut.loc[cut["day"] >= end_day, [c for c in cut.columns if c.endswith("_avg")]] = np.nan
    return cut


def window_kpis(scenario: Scenario, tables: dict[str, pd.DataFrame], start_day: int,
                end_day: int) -> dict:
    """`sim.kpis.summary_kpis` over orders created and costs incurred in [start_day, end_day);
    service is still judged up to the end of the run."""
    hi_h = 24.0 * end_day
    o, s, inb = tables["orders"], tables["shipments"], tables["inbound"]
    daily, costs = tables["daily"], tables["costs"]
    cut = dict(tables)  # tables this window does not know are passed whole
    cut.update({
        "orders": o[o["created_h"] < hi_h],
        "shipments": s[s["created_h"] < hi_h],
        "inbound": inb[inb["dock_h"] < hi_h],
        "daily": _daily_window(daily, end_day),
        "costs": costs[costs["day"] < end_day],
    })
    tours = tables.get("pick_tours")
    if tours is not None and "released_h" in tours.columns:
        cut["pick_tours"] = tours[tours["released_h"] < hi_h]
    cut["utilisation"] = utilisation_table(cut["daily"], start_day)
    # summary_kpis drops what comes before the warm-up: the window's start plays that role.
    run = scenario.run.model_copy(update={"warmup_days": start_day})
    kpis = summary_kpis(scenario.model_copy(update={"run": run}), cut, end_day=end_day)
    # summary_kpis spreads turns over the days to the end of the run; this window is shorter.
    kpis["inventory_turns"] *= (scenario.run.horizon_days - start_day) / (end_day - start_day)
    return kpis


def flatten_summary(summary: dict, prefix: str = "") -> dict[str, float]:
    """Numeric KPIs as one flat dict of floats; nested dicts become `name.key.subkey`."""
    out: dict[str, float] = {}
    for k, v in summary.items():
        if isinstance(v, dict):
            out.update(flatten_summary(v, f"{prefix}{k}."))
        elif isinstance(v, int | float | np.number) and not isinstance(v, bool):
            out[f"{prefix}{k}"] = float(v)
    return out


def run_record(result: RunResult) -> dict[str, float]:
    """A run's KPIs as one flat row: the whole post-warm-up KPIs unprefixed, and with spikes
    the same KPIs of the `normal/` and `spike/` windows."""
    record = flatten_summary(result.summary)
    for name, (a, b) in periods(result.scenario).items():
        if name != "all":
            record.update(flatten_summary(window_kpis(result.scenario, result.tables, a, b),
                                          f"{name}/"))
    return record


def recost_cost_per_order(result: RunResult, changes: dict[str, object]) -> float:
    """Cost per order shipped after the warm-up had the run's cost inputs been changed
    (`costs.*` paths): the same flow priced again, no new simulation."""
    scenario = with_changes(result.scenario, changes)
    ledger = cost_ledger(scenario, result.tables)
    total = float(ledger.loc[ledger["day"] >= scenario.run.warmup_days, "amount"].sum())
    shipped = result.summary["orders_shipped_in_window"]  # the denominator of cost_per_order
    return total / shipped if shipped else math.nan


# ---------------------------------------------------------------- shorter runs


def condense(scenario: Scenario, normal_days: int = 7, recovery_days: int = 7) -> Scenario:
    """The same scenario in fewer days: quiet days before the first spike are dropped (keeping
    `normal_days` after the warm-up), spikes and disruptions move earlier with the weekday
    kept, and the run ends `recovery_days` after the last spike (never later than before).
    A replay scenario is left as it is (its orders are the file's, day for day)."""
    if scenario.demand.orders_file is not None:
        return scenario  # replayed orders keep their own days: nothing to drop or move
    spikes = scenario.demand.spikes
    warm, horizon = scenario.run.warmup_days, scenario.run.horizon_days
    if not spikes:
        end = min(horizon, warm + normal_days + recovery_days)
        return _with_run(scenario, horizon_days=end)
    shift = max(0, math.floor(min(s.start_day for s in spikes)) - warm - normal_days)
    last_end = max(s.start_day + s.duration_days for s in spikes) - shift
    end = min(horizon - shift, math.ceil(last_end) + recovery_days)
    data = scenario.model_dump(mode="python")
    for s in data["demand"]["spikes"]:
        s["start_day"] -= shift
    kept = []
    for d in data["disruptions"]:
        if d["start_day"] + d["duration_days"] > shift:
            d["duration_days"] -= max(0.0, shift - d["start_day"])
            d["start_day"] = max(0.0, d["start_day"] - shift)
            kept.append(d)
    data["disruptions"] = kept
    data["run"]["horizon_days"] = max(end, warm + 1)
    # Day 0 moves `shift` days later in the week, so every spike keeps its weekday.
    data["run"]["start_weekday"] = (scenario.run.start_weekday + shift) % 7
    if scenario.run.start_date is not None:  # the calendar moves too (peak-season fees)
        data["run"]["start_date"] = scenario.run.start_date + timedelta(days=shift)
    return Scenario.model_validate(data)


def without_spikes(scenario: Scenario, days_after_warmup: int | None = None) -> Scenario:
    """The scenario's normal period: no spikes; optionally `days_after_warmup` days long."""
    data = scenario.model_dump(mode="python")
    data["demand"]["spikes"] = []
    if days_after_warmup is not None:
        data["run"]["horizon_days"] = min(scenario.run.horizon_days,
                                          scenario.run.warmup_days + days_after_warmup)
    return Scenario.model_validate(data)


def _with_run(scenario: Scenario, **changes: object) -> Scenario:
    data = scenario.model_dump(mode="python")
    data["run"].update(changes)
    return Scenario.model_validate(data)
