"""PNG plots of a run: orders vs shipments per day, backlog, on-time % per day, utilisation,
the network map, and storage occupancy by day when a node has storage locations
(crews named as a client reads them, legends outside the data)."""

from __future__ import annotations

from pathlib import Path

import matplotlib

matplotlib.use("Agg")  # files only: runs on machines without a display
import matplotlib.pyplot as plt
import numpy as np
import pandas as pd

from sim.labels import crew_label, humanise
from sim.network_map import write_network_map
from sim.report_plots import legend_outside
from sim.scenario import Scenario
from sim.tables import station_names

__all__ = ["COLUMNS_READ", "plot_run"]


def _shade_events(ax: plt.Axes, scenario: Scenario) -> None:
    for s in scenario.demand.spikes:
        ax.axvspan(s.start_day, s.start_day + s.duration_days, color="tab:red", alpha=0.12,
                   label=f"{humanise(s.name)} x{s.multiplier:g}")
    for d in scenario.disruptions:
        ax.axvspan(d.start_day, d.start_day + d.duration_days, color="tab:gray", alpha=0.2,
                   label=f"{humanise(d.kind)} {d.node or d.carrier or ''}".strip())
    if scenario.run.warmup_days:
        ax.axvline(scenario.run.warmup_days, color="k", ls=":", lw=1, label="end of warm-up")


# The columns of the large tables the plots read (a run kept on disk loads only these).
COLUMNS_READ = {"orders": ("created_h", "cancelled", "promised_day", "on_time",
                           "within_2_days"),
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
    legend_outside(ax)
    paths.append(_save(fig, out / "orders_vs_shipments.png"))

    fig, ax = plt.subplots(figsize=(9, 4))
    for node, h in hourly.groupby("node"):
        ax.plot(h["t_h"] / 24.0, h["open_shipments"], label=f"{node}: open shipments", lw=1)
        ax.plot(h["t_h"] / 24.0, h["backordered_units"], ls="--", lw=1,
                label=f"{node}: backordered units")
    _shade_events(ax, scenario)
    ax.set(xlabel="day", ylabel="count", title="Backlog at each node (sampled hourly)")
    legend_outside(ax)
    paths.append(_save(fig, out / "backlog.png"))

    fig, ax = plt.subplots(figsize=(9, 4))
    live = orders[~orders["cancelled"]]
    order_day = (live["created_h"] // 24).astype(int)
    horizon = scenario.run.horizon_days
    for flag, due, label in (("on_time", live["promised_day"], "on time (by promise)"),
                             ("within_2_days", order_day + 2, "delivered within 2 days")):
        share = _share_by_order_day(live[flag], order_day, due, horizon)
        ax.plot(share.index, share.to_numpy(), marker=".", label=label)
    _shade_events(ax, scenario)
    ax.set(xlabel="day the order was placed", ylabel="% of the day's orders", ylim=(0, 105),
           title="Service by order day (a day is shown once all its orders are delivered "
                 "or past due)")
    legend_outside(ax)
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
            ax.plot(d["day"].to_numpy()[:-1], util, label=f"{node}: {crew_label(r)}", lw=1)
    _shade_events(ax, scenario)
    ax.axhline(100, color="k", lw=0.5)
    ax.set(xlabel="day", ylabel="% of available worker-hours busy", title="Utilisation per crew")
    ax.annotate("above 100 %: jobs in hand finished after the shift ended",
                (0.0, -0.22), xycoords="axes fraction", fontsize=7, color="#555555")
    legend_outside(ax)
    paths.append(_save(fig, out / "utilisation.png"))
    paths.append(write_network_map(scenario, out / "network_map.png"))
    if "storage" in tables:
        paths.append(_occupancy(scenario, tables["storage"], out / "storage_occupancy.png"))
    return paths


def _occupancy(scenario: Scenario, storage: pd.DataFrame, path: Path) -> Path:
    """Occupancy of each node's location types by day (end of day, and the day's peak),
    against the capacity line."""
    fig, ax = plt.subplots(figsize=(9, 4))
    for (node, kind), d in storage.groupby(["node", "location_type"], sort=True):
        line, = ax.plot(d["day"], d["occupancy_pct"], marker=".", lw=1,
                        label=f"{node}: {humanise(kind)} (end of day)")
        ax.plot(d["day"], d["peak_occupancy_pct"], ls="--", lw=1, color=line.get_color(),
                label=f"{node}: {humanise(kind)} (day's peak)")
    _shade_events(ax, scenario)
    ax.axhline(100, color="k", lw=1, label="capacity (every location in use)")
    ax.set(xlabel="day", ylabel="% of locations in use", ylim=(0, 105),
           title="Storage occupancy by day")
    legend_outside(ax)
    return _save(fig, path)


def _share_by_order_day(flag: pd.Series, order_day: pd.Series, due_day: pd.Series,
                        horizon_days: int) -> pd.Series:
    """% of each order day's orders with `flag` 1, on days whose every order is settled: a
    flag is known once delivered (1 or 0) or once its due day has ended undelivered (0);
    later days would count only the orders delivered so far and rise towards 100 %."""
    late = flag.isna() & (due_day < horizon_days)
    known = flag.notna() | late
    value = flag.fillna(0.0)
    by_day = pd.DataFrame({"day": order_day, "v": value, "known": known}).groupby("day")
    share = 100.0 * by_day["v"].mean()
    return share[by_day["known"].all()]


def _save(fig: plt.Figure, path: Path) -> Path:
    fig.savefig(path, dpi=110, bbox_inches="tight")
    plt.close(fig)
    return path
