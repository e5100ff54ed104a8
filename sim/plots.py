"""PNG plots of a run: orders vs shipments per day, backlog, on-time % per day, utilisation."""

from __future__ import annotations

from pathlib import Path

import matplotlib

matplotlib.use("Agg")  # files only: runs on machines without a display
import matplotlib.pyplot as plt
import numpy as np
import pandas as pd

from sim.scenario import Scenario
from sim.tables import station_names

__all__ = ["COLUMNS_READ", "plot_run"]


def _shade_events(ax: plt.Axes, scenario: Scenario) -> None:
    for s in scenario.demand.spikes:
        ax.axvspan(s.start_day, s.start_day + s.duration_days, color="tab:red", alpha=0.12,
                   label=f"{s.name} x{s.multiplier:g}")
    for d in scenario.disruptions:
        ax.axvspan(d.start_day, d.start_day + d.duration_days, color="tab:gray", alpha=0.2,
                   label=f"{d.kind} {d.node or d.carrier or ''}".strip())
    if scenario.run.warmup_days:
        ax.axvline(scenario.run.warmup_days, color="k", ls=":", lw=1, label="end of warm-up")


# The columns of the large tables the plots read (a run kept on disk loads only these).
COLUMNS_READ = {"orders": ("created_h", "cancelled", "delivered_h", "on_time", "within_2_days"),
                "shipments": ("shipped_h",)}


def plot_run(scenario: Scenario, tables: dict[str, pd.DataFrame], out_dir: str | Path
             ) -> list[Path]:
    """Write the run's plots into `out_dir`; return their paths."""
    out = Path(out_dir)
    out.mkdir(parents=True, exist_ok=True)
    orders, ships, hourly = tables["orders"], tables["shipments"], tables["hourly"]
    days = np.arange(scenario.run.horizon_days)
    paths = []

    fig, ax = plt.subplots(figsize=(9, 4))
    created = np.bincount((orders["created_h"] // 24).astype(int), minlength=len(days))
    shipped_h = ships["shipped_h"].dropna()
    shipped = np.bincount((shipped_h // 24).astype(int), minlength=len(days))
    ax.plot(days, created[: len(days)], label="orders created", marker=".")
    ax.plot(days, shipped[: len(days)], label="shipments handed to carriers", marker=".")
    _shade_events(ax, scenario)
    ax.set(xlabel="day", ylabel="per day", title=f"{scenario.name}: orders vs shipments")
    ax.legend(fontsize=8)
    paths.append(_save(fig, out / "orders_vs_shipments.png"))

    fig, ax = plt.subplots(figsize=(9, 4))
    for node, h in hourly.groupby("node"):
        ax.plot(h["t_h"] / 24.0, h["open_shipments"], label=f"{node}: open shipments", lw=1)
        ax.plot(h["t_h"] / 24.0, h["backordered_units"], ls="--", lw=1,
                label=f"{node}: backordered units")
    _shade_events(ax, scenario)
    ax.set(xlabel="day", ylabel="count", title="Backlog at each node (sampled hourly)")
    ax.legend(fontsize=8)
    paths.append(_save(fig, out / "backlog.png"))

    fig, ax = plt.subplots(figsize=(9, 4))
    live = orders[~orders["cancelled"] & orders["delivered_h"].notna()]
    by_day = live.groupby((live["created_h"] // 24).astype(int))
    ax.plot(by_day["on_time"].mean().index, 100 * by_day["on_time"].mean(), marker=".",
            label="on time (by promise)")
    ax.plot(by_day["within_2_days"].mean().index, 100 * by_day["within_2_days"].mean(),
            marker=".", label="delivered within 2 days")
    _shade_events(ax, scenario)
    ax.set(xlabel="day the order was placed", ylabel="% of delivered orders", ylim=(0, 105),
           title="Service by order day")
    ax.legend(fontsize=8)
    paths.append(_save(fig, out / "on_time.png"))

    fig, ax = plt.subplots(figsize=(9, 4))
    daily = tables["daily"].sort_values("t_h")
    for node, d in daily.groupby("node"):
        for r in station_names(daily):
            avail = np.diff(d[f"{r}_available_h"].to_numpy())
            if avail.sum() == 0:
                continue
            busy = np.diff(d[f"{r}_busy_h"].to_numpy())
            with np.errstate(invalid="ignore", divide="ignore"):
                util = np.where(avail > 0, 100 * busy / avail, np.nan)
            ax.plot(d["day"].to_numpy()[:-1], util, label=f"{node}.{r}", lw=1)
    _shade_events(ax, scenario)
    ax.set(xlabel="day", ylabel="% of available hours busy", title="Utilisation per crew")
    ax.legend(fontsize=8, ncol=2)
    paths.append(_save(fig, out / "utilisation.png"))
    return paths


def _save(fig: plt.Figure, path: Path) -> Path:
    fig.tight_layout()
    fig.savefig(path, dpi=110)
    plt.close(fig)
    return path
