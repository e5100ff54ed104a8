"""Interactive versions of the report's cost charts (plotly, drawn in the page with plotly.js
inlined once, so the report stays one file and requests nothing): hovering a bar or a point
gives its mode, category and value with the 95 % interval. The PNGs stay beside the report.
"""

from __future__ import annotations

import pandas as pd

from sim.labels import MODE_COLOURS, category_label, mode_label, ordered_modes
from sim.report_plots import category_colours

__all__ = ["break_even_html", "cost_breakdown_html"]

_CONFIG = {"displaylogo": False, "responsive": True,
           "modeBarButtonsToRemove": ["select2d", "lasso2d"]}


def _html(fig, include_js: bool, div_id: str) -> str:
    fig.update_layout(template="simple_white", height=430, margin={"l": 60, "r": 20, "t": 50,
                                                                   "b": 50},
                      legend={"x": 1.02, "y": 1.0, "xanchor": "left"}, hovermode="closest")
    # a fixed id (plotly's default is random) keeps the page the same for the same tables
    return fig.to_html(full_html=False, include_plotlyjs=include_js, config=_CONFIG,
                       div_id=div_id)


def cost_breakdown_html(costs: pd.DataFrame, totals: pd.DataFrame, currency: str, title: str,
                        include_js: bool, div_id: str) -> str:
    """Stacked cost per order by category for each mode, the total's 95 % interval on top
    (an HTML fragment; `include_js`: inline plotly.js, once per page; `div_id`: unique in
    the page)."""
    import plotly.graph_objects as go

    modes = ordered_modes(totals["mode"])
    totals = totals.set_index("mode").reindex(modes)
    wide = costs.pivot_table(index="mode", columns="category", values="mean", aggfunc="sum")
    wide = wide.reindex(modes).fillna(0.0)
    wide = wide.loc[:, (wide != 0).any(axis=0)]
    names = [mode_label(m) for m in modes]
    fig = go.Figure()
    for cat, colour in zip(wide.columns, category_colours(list(wide.columns)), strict=True):
        fig.add_bar(x=names, y=wide[cat], name=category_label(cat), marker_color=colour,
                    hovertemplate=f"%{{x}}<br>{category_label(cat)}: %{{y:,.2f}} {currency}"
                                  "/order<extra></extra>")
    lo = (totals["mean"] - totals["lo"]).fillna(0.0) if "lo" in totals else totals["half_width"]
    hi = (totals["hi"] - totals["mean"]).fillna(0.0) if "hi" in totals else totals["half_width"]
    fig.add_scatter(x=names, y=totals["mean"], mode="markers", name="total, 95 % CI",
                    marker={"color": "black", "symbol": "line-ew-open", "size": 14},
                    error_y={"type": "data", "array": hi, "arrayminus": lo, "color": "black"},
                    customdata=pd.concat([totals["lo"], totals["hi"]], axis=1).to_numpy()
                    if {"lo", "hi"} <= set(totals.columns) else None,
                    hovertemplate=f"%{{x}}<br>total %{{y:,.2f}} {currency}/order<br>95 % CI "
                                  "%{customdata[0]:,.2f} to %{customdata[1]:,.2f}<extra></extra>")
    fig.update_layout(barmode="stack", title=title,
                      yaxis_title=f"cost per order ({currency})")
    return _html(fig, include_js, div_id)


def break_even_html(curve: pd.DataFrame, currency: str, include_js: bool, div_id: str,
                    quantity: str = "cost per order") -> str:
    """Cost (or the curve's other `quantity`, e.g. profit) per order vs orders per day, one
    line per mode with its 95 % band where there are replications (an HTML fragment)."""
    import plotly.graph_objects as go

    fig = go.Figure()
    for mode in ordered_modes(curve["mode"]):
        d = curve[curve["mode"] == mode].sort_values("orders_per_day")
        colour, name = MODE_COLOURS.get(mode, "#555555"), mode_label(mode)
        if d["half_width"].notna().any():
            fig.add_scatter(x=[*d["orders_per_day"], *d["orders_per_day"][::-1]],
                            y=[*d["hi"], *d["lo"][::-1]], fill="toself", opacity=0.15,
                            line={"width": 0}, fillcolor=colour, hoverinfo="skip",
                            showlegend=False, legendgroup=mode)
        fig.add_scatter(x=d["orders_per_day"], y=d["mean"], mode="lines+markers", name=name,
                        line={"color": colour}, legendgroup=mode,
                        customdata=d[["multiplier", "n"]].to_numpy(),
                        hovertemplate=f"{name}<br>%{{x:,.0f}} orders/day (x%{{customdata[0]:g}}"
                                      f")<br>%{{y:,.2f}} {currency}/order, "
                                      "%{customdata[1]} run(s)<extra></extra>")
    fig.update_layout(title=f"Break-even: {quantity} by volume (normal period)",
                      xaxis_title="orders per day", yaxis_title=f"{quantity} ({currency})")
    return _html(fig, include_js, div_id)
