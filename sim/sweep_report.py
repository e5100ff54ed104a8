"""A sweep's answer: per point, its swept values (numbers sorted as numbers), the means and
95 % intervals of the headline KPIs over its replications, and a chart of them against the
swept variable, one line per mode (or per value of the other swept fields)."""

from __future__ import annotations

import math
import re
import textwrap
from collections.abc import Mapping, Sequence
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd
from matplotlib.figure import Figure

from sim.experiments import summarise
from sim.sweep import MODE, Task

__all__ = ["CHARTED", "METRICS", "plot_sweep", "short_name", "sweep_question",
           "sweep_summary", "swept_paths"]

# The KPIs a sweep reports: per shipped order after the warm-up, shares of the orders of
# the window after the warm-up (0-100).
METRICS = {"cost_per_order": "cost per shipped order", "two_day_pct": "delivered within 2 days %",
           "on_time_pct": "on time %", "unit_fill_rate_pct": "unit fill rate %"}
CHARTED = ("cost_per_order", "two_day_pct")  # the chart's panels
MODE_NAMES = {"in_house": "in-house", "3pl": "3PL", "dropship": "dropship",
              "marketplace": "marketplace", "hybrid": "hybrid"}
# A path's last part that says little alone: the part before it goes with it.
GENERIC = {"count", "value", "multiplier", "share", "mean", "days", "h"}


def swept_paths(tasks: Sequence[Task]) -> list[str]:
    """The field paths the sweep's points change (the mode last), in the file's order."""
    paths = list(dict.fromkeys(p for t in tasks for p in t.changes))
    return [p for p in paths if p != MODE] + ([MODE] if MODE in paths else [])


def short_name(path: str) -> str:
    """A column header for a field path: `demand.orders_per_day` -> `orders/day`,
    `nodes[1].resources.pickers.count` -> `pickers count`."""
    parts = [re.sub(r"\[\d+\]", "", p) for p in path.split(".")]
    name = " ".join(parts[-2:]) if parts[-1] in GENERIC and len(parts) > 1 else parts[-1]
    return name.replace("_per_", "/").replace("_", " ")


def _is_number(v: Any) -> bool:
    return isinstance(v, int | float | np.number) and not isinstance(v, bool)


def _order(points: Mapping[str, Mapping[str, Any]], paths: Sequence[str]) -> list[str]:
    """Point labels sorted by their swept values, path by path: numbers as numbers, other
    values in the order they first appear in the sweep (modes as listed)."""
    ranks = {}
    for path in paths:
        values = [ch.get(path) for ch in points.values()]
        if all(v is None or _is_number(v) for v in values):
            ranks[path] = lambda v: (v is not None, float(v) if v is not None else 0.0)
        else:
            seen = list(dict.fromkeys(map(repr, values)))
            ranks[path] = lambda v, seen=seen: (True, float(seen.index(repr(v))))
    return sorted(points, key=lambda p: [ranks[k](points[p].get(k)) for k in paths])


def sweep_summary(df: pd.DataFrame, tasks: Sequence[Task],
                  metrics: Sequence[str] = tuple(METRICS)) -> pd.DataFrame:
    """One row per point (sorted by its swept values) and metric over the point's successful
    runs: the swept values (a column per path), then `summarise`'s n, mean, half-width,
    interval and whether the replications are enough."""
    paths = swept_paths(tasks)
    points = {t.point: t.changes for t in tasks}
    ok = df[df["status"] == "ok"] if len(df) else df
    long = summarise(ok, ["point"], metrics) if len(ok) else summarise(
        pd.DataFrame(columns=["point"]), ["point"], metrics)
    order = {p: i for i, p in enumerate(_order(points, paths))}
    rank = {m: i for i, m in enumerate(metrics)}
    long = long.sort_values(["point", "metric"], key=lambda s: s.map(
        order if s.name == "point" else rank), kind="stable").reset_index(drop=True)
    swept = pd.DataFrame([{p: points[pt].get(p) for p in paths} for pt in long["point"]],
                         columns=paths)
    return pd.concat([long[["point"]], swept, long.drop(columns="point")], axis=1)


def sweep_question(path: str | Path) -> str:
    """The question a sweep file asks in its leading comment (`# Question: ...?`), or ""."""
    lines = []
    for line in Path(path).read_text(encoding="utf-8").splitlines():
        if not line.startswith("#"):
            break
        lines.append(line.lstrip("#").strip())
    text = " ".join(lines).removeprefix("Question:").strip()
    text = text[:text.index("?") + 1] if "?" in text else text
    return text[:1].upper() + text[1:]


def _axis(summary: pd.DataFrame, paths: Sequence[str]) -> tuple[str | None, list[str]]:
    """The x-axis path (the first numeric path that varies; None: the points one by one)
    and the paths whose values make the lines."""
    varying = [p for p in paths if summary[p].astype(str).nunique() > 1]
    numeric = [p for p in varying if all(_is_number(v) for v in summary[p])]
    x = numeric[0] if numeric else None
    return x, [p for p in varying if p != x]


def _series_label(values: Sequence[Any], paths: Sequence[str]) -> str:
    return ", ".join(MODE_NAMES.get(v, str(v)) if p == MODE else f"{short_name(p)} {v}"
                     for p, v in zip(paths, values, strict=True)) or "all points"


def plot_sweep(summary: pd.DataFrame, out_path: str | Path, *, title: str = "",
               currency: str = "", metrics: Sequence[str] = CHARTED) -> Path:
    """Write the sweep's chart (PNG): one panel per metric, its mean against the swept
    variable with the 95 % interval as error bars, one line per mode or other swept value;
    a hollow marker flags an interval resting on too few replications. Returns the path."""
    paths = [c for c in summary.columns[1:summary.columns.get_loc("metric")]]
    x_path, line_paths = _axis(summary, paths)
    point_order = list(dict.fromkeys(summary["point"]))
    # A Figure without pyplot: no backend chosen, so importing this in a notebook leaves
    # its inline plots alone.
    fig = Figure(figsize=(5.2 * len(metrics), 4.2))
    axes = fig.subplots(1, len(metrics), squeeze=False)
    groups = (summary.groupby(line_paths, sort=False, dropna=False) if line_paths
              else [((), summary)])
    n_lines = len(groups) if line_paths else 1
    few = False
    for j, (values, g) in enumerate(groups):
        values = values if isinstance(values, tuple) else (values,)
        label = _series_label(values, line_paths)
        for ax, metric in zip(axes[0], metrics, strict=True):
            d = g[g["metric"] == metric]
            if d.empty:
                continue
            if x_path is None:
                x = np.array([point_order.index(p) for p in d["point"]], float)
                step = 1.0
            else:
                x = d[x_path].astype(float).to_numpy()
                xs = np.unique(summary[x_path].astype(float))
                step = float(np.min(np.diff(xs))) if len(xs) > 1 else 1.0
            x = x + (j - (n_lines - 1) / 2) * 0.04 * step  # side by side, bars apart
            mean = d["mean"].to_numpy(float)
            lo = np.where(np.isnan(d["lo"].to_numpy(float)), mean, d["lo"].to_numpy(float))
            hi = np.where(np.isnan(d["hi"].to_numpy(float)), mean, d["hi"].to_numpy(float))
            colour = f"C{j % 10}"
            ax.errorbar(x, mean, yerr=[mean - lo, hi - mean], color=colour, marker="o",
                        capsize=4, label=label if metric == metrics[0] else None)
            thin = ~d["enough"].to_numpy(bool)
            few |= bool(thin.any())
            ax.plot(x[thin], mean[thin], "o", mfc="white", mec=colour, ms=5, zorder=3)
    for ax, metric in zip(axes[0], metrics, strict=True):
        name = METRICS.get(metric, metric)
        ax.set_ylabel(f"{name} ({currency})" if currency and not metric.endswith("_pct")
                      else name)
        if metric.endswith("_pct"):
            low, high = ax.get_ylim()
            ax.set_ylim(max(low, 0.0), min(high, 100.0))
        if x_path is None:
            ax.set_xticks(range(len(point_order)), point_order, rotation=30, ha="right",
                          fontsize=8)
        else:
            ax.set_xlabel(f"{short_name(x_path)} ({x_path})")
            ax.set_xticks(np.unique(summary[x_path].astype(float)))
        ax.grid(alpha=0.3)
    n = summary["n"].max() if len(summary) else 0
    note = (f"means over {n:g} replications per point with 95 % intervals"
            if not math.isnan(n) else "no successful run")
    if few:
        note += "; hollow marker: too few replications for the interval to be trusted"
    fig.suptitle("\n".join(textwrap.wrap(title, 90)) if title else "sweep", fontsize=11)
    fig.text(0.5, 0.01, note, ha="center", fontsize=8, color="0.35")
    if line_paths:
        fig.legend(loc="upper center", bbox_to_anchor=(0.5, 0.89 if "\n" in title else 0.935),
                   ncol=min(n_lines, 5), frameon=False, fontsize=9)
    fig.tight_layout(rect=(0, 0.04, 1, (0.82 if "\n" in title else 0.9) if line_paths
                           else 0.92))
    out = Path(out_path)
    out.parent.mkdir(parents=True, exist_ok=True)
    fig.savefig(out, dpi=110)
    return out
