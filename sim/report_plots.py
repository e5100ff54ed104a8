"""The comparison report's charts, each returned as PNG bytes (embedded in the HTML)."""

from __future__ import annotations

import io

import matplotlib

matplotlib.use("Agg")
import matplotlib.pyplot as plt
import numpy as np
import pandas as pd

__all__ = ["break_even_png", "cost_breakdown_png", "periods_png", "service_png", "tornado_png"]


def _png(fig: plt.Figure) -> bytes:
    buf = io.BytesIO()
    fig.tight_layout()
    fig.savefig(buf, format="png", dpi=110)
    plt.close(fig)
    return buf.getvalue()


def _err(df: pd.DataFrame) -> np.ndarray:
    return np.nan_to_num(df["half_width"].to_numpy(float))


def cost_breakdown_png(costs: pd.DataFrame, totals: pd.DataFrame, currency: str,
                       title: str) -> bytes:
    """Stacked cost per order by category for each mode, the total's 95 % interval on top.
    `costs`: mode, category, mean; `totals`: mode, mean, half_width."""
    modes = list(totals["mode"])
    wide = costs.pivot_table(index="mode", columns="category", values="mean", aggfunc="sum")
    wide = wide.reindex(modes).fillna(0.0)
    fig, ax = plt.subplots(figsize=(8, 4.5))
    bottom = np.zeros(len(modes))
    cmap = plt.get_cmap("tab20")
    for i, cat in enumerate(wide.columns):
        ax.bar(modes, wide[cat], bottom=bottom, label=cat, color=cmap(i % 20))
        bottom += wide[cat].to_numpy()
    ax.errorbar(modes, totals["mean"], yerr=_err(totals), fmt="none", ecolor="black",
                capsize=6, label="total, 95 % CI")
    ax.set_ylabel(f"cost per order ({currency})")
    ax.set_title(title)
    ax.legend(fontsize=7, loc="upper left", bbox_to_anchor=(1.0, 1.0))
    return _png(fig)


def service_png(kpis: pd.DataFrame, metrics: dict[str, str], title: str) -> bytes:
    """Grouped bars of service KPIs (%) per mode with 95 % intervals. `kpis`: mode, metric,
    mean, half_width."""
    modes = list(dict.fromkeys(kpis["mode"]))
    fig, ax = plt.subplots(figsize=(8, 4))
    width = 0.8 / max(1, len(metrics))
    x = np.arange(len(modes))
    for i, (metric, label) in enumerate(metrics.items()):
        d = kpis[kpis["metric"] == metric].set_index("mode").reindex(modes)
        ax.bar(x + i * width, d["mean"].fillna(0.0), width, yerr=_err(d), capsize=4,
               label=label)
    ax.set_xticks(x + width * (len(metrics) - 1) / 2, modes)
    ax.set_ylim(0, 105)
    ax.set_ylabel("%")
    ax.set_title(title)
    ax.legend(fontsize=8)
    return _png(fig)


def periods_png(kpis: pd.DataFrame, currency: str) -> bytes:
    """Normal period vs under the spikes: cost per order and two-day % per mode.
    `kpis`: period, mode, metric, mean, half_width."""
    fig, axes = plt.subplots(1, 2, figsize=(10, 4))
    for ax, metric, label in zip(axes, ("cost_per_order", "two_day_pct"),
                                 (f"cost per order ({currency})", "delivered within 2 days %"),
                                 strict=True):
        d = kpis[kpis["metric"] == metric]
        modes = list(dict.fromkeys(d["mode"]))
        x = np.arange(len(modes))
        for i, period in enumerate(("normal", "spike")):
            p = d[d["period"] == period].set_index("mode").reindex(modes)
            ax.bar(x + 0.4 * i, p["mean"].fillna(0.0), 0.4, yerr=_err(p), capsize=4,
                   label=period)
        ax.set_xticks(x + 0.2, modes)
        ax.set_title(label)
        ax.legend(fontsize=8)
    return _png(fig)


def break_even_png(curve: pd.DataFrame, crossings: pd.DataFrame, currency: str) -> bytes:
    """Cost per order vs orders per day, one line per mode (band = 95 % interval where there
    are replications); dotted lines where the cheapest mode changes."""
    fig, ax = plt.subplots(figsize=(8, 4.5))
    for mode, d in curve.groupby("mode", sort=False):
        d = d.sort_values("orders_per_day")
        ax.plot(d["orders_per_day"], d["mean"], marker="o", label=mode)
        if d["half_width"].notna().any():
            ax.fill_between(d["orders_per_day"], d["lo"], d["hi"], alpha=0.15)
    for c in crossings.itertuples():
        ax.axvline(c.orders_per_day, color="grey", linestyle=":")
        ax.annotate(f"{c.cheapest_below} → {c.cheapest_above}\n≈{c.orders_per_day:,.0f}/day",
                    (c.orders_per_day, ax.get_ylim()[1]), fontsize=7, ha="center", va="top")
    ax.set_xlabel("orders per day")
    ax.set_ylabel(f"cost per order ({currency})")
    ax.set_title("Break-even: cost per order by volume (normal period)")
    ax.legend(fontsize=8)
    return _png(fig)


def tornado_png(bars: pd.DataFrame, base: float, title: str, xlabel: str) -> bytes:
    """Horizontal bars from `base` to the value at each assumption's low and high setting,
    largest swing on top. `bars`: assumption, low, high (values of the charted quantity)."""
    bars = bars.assign(swing=(bars["high"] - bars["low"]).abs()).sort_values("swing")
    fig, ax = plt.subplots(figsize=(8, 0.5 * len(bars) + 1.8))
    y = np.arange(len(bars))
    ax.barh(y, bars["low"] - base, left=base, color="#4c72b0", label="assumption low")
    ax.barh(y, bars["high"] - base, left=base, color="#dd8452", label="assumption high")
    ax.axvline(base, color="black", linewidth=1)
    if (bars[["low", "high"]].to_numpy() < 0).any() or base < 0:
        ax.axvline(0, color="red", linestyle="--", linewidth=1, label="the answer changes")
    ax.set_yticks(y, bars["assumption"])
    ax.set_xlabel(xlabel)
    ax.set_title(title, fontsize=10)
    ax.legend(fontsize=7)
    return _png(fig)
