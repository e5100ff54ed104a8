"""The comparison report's charts, each returned as PNG bytes (embedded in the HTML).

Modes appear in one order and one colour in every chart (`sim.labels`), named as a client
reads them; a share's error bar stops at 0 and 100 %; legends sit outside the data.
"""

from __future__ import annotations

import io

import matplotlib

matplotlib.use("Agg")
import matplotlib.pyplot as plt
import numpy as np
import pandas as pd

from sim.labels import MODE_COLOURS, category_label, mode_label, ordered_modes

__all__ = ["break_even_png", "category_colours", "cost_breakdown_png", "legend_outside",
           "periods_png",
           "service_png", "tornado_png", "yerr"]

PERIOD_LABELS = {"normal": "normal period", "spike": "under the spikes"}


def _png(fig: plt.Figure) -> bytes:
    buf = io.BytesIO()
    # "tight" keeps a legend placed outside the axes inside the picture
    fig.savefig(buf, format="png", dpi=110, bbox_inches="tight")
    plt.close(fig)
    return buf.getvalue()


def legend_outside(ax: plt.Axes, fontsize: float = 8, **kwargs) -> None:
    """The axes' legend to the right of the plot, where it cannot cover data."""
    ax.legend(loc="upper left", bbox_to_anchor=(1.01, 1.0), borderaxespad=0.0,
              fontsize=fontsize, **kwargs)


def yerr(df: pd.DataFrame, share: bool = False) -> np.ndarray:
    """Error bar lengths (2 x n, below and above the mean) of the 95 % intervals in `df`
    (mean, half_width and, when given, lo and hi); a share's interval is cut to [0, 100]."""
    mean = df["mean"].to_numpy(float)
    half = np.nan_to_num(df["half_width"].to_numpy(float))
    lo = df["lo"].to_numpy(float) if "lo" in df else mean - half
    hi = df["hi"].to_numpy(float) if "hi" in df else mean + half
    lo, hi = np.where(np.isnan(lo), mean - half, lo), np.where(np.isnan(hi), mean + half, hi)
    if share:
        lo, hi = np.clip(lo, 0.0, 100.0), np.clip(hi, 0.0, 100.0)
    err = np.vstack([mean - lo, hi - mean])
    return np.nan_to_num(np.maximum(err, 0.0))


def category_colours(categories: list[str]) -> list[str]:
    """One colour (hex) per cost category in the order given, as every cost chart uses."""
    cmap = plt.get_cmap("tab20")
    return [matplotlib.colors.to_hex(cmap(i % 20)) for i in range(len(categories))]


def cost_breakdown_png(costs: pd.DataFrame, totals: pd.DataFrame, currency: str,
                       title: str) -> bytes:
    """Stacked cost per order by category for each mode, the total's 95 % interval on top.
    `costs`: mode, category, mean; `totals`: mode, mean, half_width (lo, hi)."""
    modes = ordered_modes(totals["mode"])
    totals = totals.set_index("mode").reindex(modes).reset_index()
    wide = costs.pivot_table(index="mode", columns="category", values="mean", aggfunc="sum")
    wide = wide.reindex(modes).fillna(0.0)
    wide = wide.loc[:, (wide != 0).any(axis=0)]  # a category no mode pays is noise
    fig, ax = plt.subplots(figsize=(8, 4.5))
    x = np.arange(len(modes))
    bottom = np.zeros(len(modes))
    for cat, colour in zip(wide.columns, category_colours(list(wide.columns)), strict=True):
        ax.bar(x, wide[cat], bottom=bottom, label=category_label(cat), color=colour)
        bottom += wide[cat].to_numpy()
    ax.errorbar(x, totals["mean"], yerr=yerr(totals), fmt="none", ecolor="black",
                capsize=6, label="total, 95 % CI")
    ax.set_xticks(x, [mode_label(m) for m in modes])
    ax.set_ylabel(f"cost per order ({currency})")
    ax.set_title(title)
    legend_outside(ax, fontsize=7)
    return _png(fig)


def service_png(kpis: pd.DataFrame, metrics: dict[str, str], title: str) -> bytes:
    """Grouped bars of service KPIs (%) per mode with 95 % intervals cut to [0, 100].
    `kpis`: mode, metric, mean, half_width (lo, hi)."""
    modes = ordered_modes(kpis["mode"])
    fig, ax = plt.subplots(figsize=(8, 4))
    width = 0.8 / max(1, len(metrics))
    x = np.arange(len(modes))
    for i, (metric, label) in enumerate(metrics.items()):
        d = kpis[kpis["metric"] == metric].set_index("mode").reindex(modes)
        ax.bar(x + i * width, d["mean"].fillna(0.0), width, yerr=yerr(d, share=True),
               capsize=4, label=label)
    ax.set_xticks(x + width * (len(metrics) - 1) / 2, [mode_label(m) for m in modes])
    ax.set_ylim(0, 105)
    ax.set_ylabel("% of orders (units for the fill rate)")
    ax.set_title(title)
    legend_outside(ax)
    return _png(fig)


def periods_png(kpis: pd.DataFrame, currency: str) -> bytes:
    """Normal period vs under the spikes: cost per order and two-day % per mode.
    `kpis`: period, mode, metric, mean, half_width (lo, hi)."""
    fig, axes = plt.subplots(1, 2, figsize=(10, 4))
    for ax, metric, label in zip(axes, ("cost_per_order", "two_day_pct"),
                                 (f"cost per order ({currency})", "delivered within 2 days %"),
                                 strict=True):
        d = kpis[kpis["metric"] == metric]
        modes = ordered_modes(d["mode"])
        x = np.arange(len(modes))
        for i, period in enumerate(("normal", "spike")):
            p = d[d["period"] == period].set_index("mode").reindex(modes)
            ax.bar(x + 0.4 * i, p["mean"].fillna(0.0), 0.4,
                   yerr=yerr(p, share=metric.endswith("_pct")), capsize=4,
                   label=PERIOD_LABELS[period], color=("#4c72b0", "#dd8452")[i])
        ax.set_xticks(x + 0.2, [mode_label(m) for m in modes], rotation=20, ha="right")
        ax.set_title(label)
        if metric.endswith("_pct"):
            ax.set_ylim(0, 105)
    legend_outside(axes[-1])
    return _png(fig)


def break_even_png(curve: pd.DataFrame, crossings: pd.DataFrame, currency: str,
                   quantity: str = "cost per order") -> bytes:
    """Cost (or the curve's other `quantity`, e.g. profit) per order vs orders per day, one
    line per mode (band = 95 % interval where there are replications); dotted lines where
    the best mode changes."""
    fig, ax = plt.subplots(figsize=(8, 4.5))
    for mode in ordered_modes(curve["mode"]):
        d = curve[curve["mode"] == mode].sort_values("orders_per_day")
        colour = MODE_COLOURS.get(mode)
        ax.plot(d["orders_per_day"], d["mean"], marker="o", label=mode_label(mode),
                color=colour)
        if d["half_width"].notna().any():
            ax.fill_between(d["orders_per_day"], d["lo"], d["hi"], alpha=0.15, color=colour)
    for c in crossings.itertuples():
        ax.axvline(c.orders_per_day, color="grey", linestyle=":")
        ax.annotate(f"{mode_label(c.cheapest_below)} → {mode_label(c.cheapest_above)}\n"
                    f"≈{c.orders_per_day:,.0f}/day",
                    (c.orders_per_day, ax.get_ylim()[1]), fontsize=7, ha="center", va="top")
    ax.set_xlabel("orders per day")
    ax.set_ylabel(f"{quantity} ({currency})")
    ax.set_title(f"Break-even: {quantity} by volume (normal period)")
    legend_outside(ax)
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
    legend_outside(ax, fontsize=7)
    return _png(fig)
