"""Fitted against observed, as plots and a table (`fulfil calibrate --report DIR`)."""

from __future__ import annotations

from pathlib import Path

import numpy as np

from sim.calibrate import Calibration
from sim.calibrate.baskets import _pmf

__all__ = ["write_report"]


def _count_panel(ax, counts: np.ndarray, dist: dict, title: str) -> None:
    values, freq = np.unique(counts, return_counts=True)
    k = np.arange(1, min(values.max(), 15) + 1)
    obs = np.array([freq[values == v].sum() for v in k]) / freq.sum()
    ax.bar(k - 0.2, obs, width=0.4, label="observed")
    if dist["dist"] in ("geometric", "poisson"):
        ax.bar(k + 0.2, _pmf(dist["dist"], dist["mean"], k), width=0.4,
               label=f"fitted {dist['dist']}")
    ax.set(title=title, xlabel="count", ylabel="share")
    ax.legend(frameon=False)


def write_report(cal: Calibration, out_dir: Path) -> list[Path]:
    """Write fitted_values.csv and calibration.png (six panels) to `out_dir`."""
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    out_dir = Path(out_dir)
    out_dir.mkdir(parents=True, exist_ok=True)
    table = out_dir / "fitted_values.csv"
    cal.table().to_csv(table, index=False)

    r, daily = cal.rate, cal.rate.daily
    fig, axes = plt.subplots(3, 2, figsize=(13, 12))
    ax = axes[0, 0]
    ax.plot(daily["date"], daily["orders"], lw=0.8, label="observed")
    ax.plot(daily["date"], daily["expected"], lw=1.2, label="fitted (no spike)")
    spikes = daily[daily["spike"]]
    ax.scatter(spikes["date"], spikes["orders"], color="C3", s=18, zorder=3,
               label="spike days")
    ax.set(title="Orders per day", ylabel="orders")
    ax.legend(frameon=False)
    ax.tick_params(axis="x", rotation=30)

    ax = axes[0, 1]
    quiet = daily[~daily["spike"]]
    weekday = quiet["date"].dt.day_of_week
    ratio = (quiet["orders"] / quiet["expected"] * np.take(r.weekday_profile, weekday)
             ).groupby(weekday).mean()
    names = ["Mon", "Tue", "Wed", "Thu", "Fri", "Sat", "Sun"]
    ax.bar(np.arange(7) - 0.2, ratio.reindex(range(7)).to_numpy(), width=0.4,
           label="observed")
    ax.bar(np.arange(7) + 0.2, r.weekday_profile, width=0.4, label="fitted")
    ax.set(title="Weekday profile (mean 1)", xticks=range(7), xticklabels=names,
           ylim=(0, 1.3 * max(r.weekday_profile)))
    ax.legend(frameon=False, loc="upper center", ncol=2)

    ax = axes[1, 0]
    ax.bar(range(24), 100 * np.array(r.intraday_profile))
    ax.set(title="Orders by hour of day (outside spikes)", xlabel="hour", ylabel="% of orders")

    _count_panel(axes[1, 1], cal.line_counts, cal.lines_per_order.dist, "Lines per order")

    ax = axes[2, 0]
    share = np.cumsum(cal.sku_lines) / cal.sku_lines.sum()
    ax.plot(np.arange(1, len(share) + 1) / len(share) * 100, share * 100)
    ax.set(title="SKU Pareto curve", xlabel="% of SKUs (by order lines)",
           ylabel="% of order lines")
    ax.grid(alpha=0.3)

    ax = axes[2, 1]
    if len(cal.return_delays):
        ax.hist(cal.return_delays, bins=40)
        ax.set(title="Days from order to return", xlabel="days", ylabel="returns")
    else:
        _count_panel(ax, cal.units_counts, cal.units_per_line.dist, "Units per line")
    fig.tight_layout()
    png = out_dir / "calibration.png"
    fig.savefig(png, dpi=90)
    plt.close(fig)
    return [table, png]
