"""The comparison report: `sim.compare`'s tables rendered as index.html (self-contained,
charts embedded), report.md, CSVs and PNGs. Nothing here plans or runs: every number shown
comes from the tables given, themselves computed from the stored rows.
"""

from __future__ import annotations

import base64
import html
import math
import re
from collections.abc import Sequence
from pathlib import Path

import pandas as pd

from sim import report_interactive as charts
from sim import report_plots as plots
from sim import report_tables as tables
from sim.compare import (
    BREAK_EVEN_ON,
    CATEGORY,
    PROFIT_KPIS,
    ComparePlan,
    CompareTables,
    tornado_bars,
)
from sim.experiments import HEADLINE_KPIS, periods
from sim.labels import MODE_LABELS, category_label, mode_label, ordered_modes
from sim.network_map import network_map_png
from sim.scenario import Scenario

__all__ = ["LABELS", "PERIOD_NAMES", "WORKBOOK", "findings", "write_report"]

LABELS = {
    "cost_per_order": "cost per shipped order",
    "fulfilment_cost_per_order": "  fulfilment (all but carrier)",
    "shipping_cost_per_order": "  shipping (carrier)",
    "revenue_per_order": "revenue per shipped order (after refunds, with shipping fees)",
    "profit_per_order": "profit per shipped order (revenue less product cost and costs)",
    "lost_sales_value": "sales lost at stockouts (value at selling price)",
    "lost_demand_pct": "units ordered lost at stockouts %",
    "on_time_pct": "on time %",
    "two_day_pct": "delivered within 2 days %",
    "click_to_door_p95_days": "click-to-door p95 (days)",
    "unit_fill_rate_pct": "unit fill rate %",
    "backorder_pct": "orders backordered %",
    "avg_on_hand_value": "working capital in stock",
}
WORKBOOK = "report.xlsx"  # the report's tables, one sheet each, beside index.html
PERIOD_NAMES = {"all": "whole run after warm-up", "normal": "normal period",
                "spike": "under the spikes (first spike to end of run)"}


def _fmt(x: float, digits: int = 2) -> str:
    return "-" if x is None or (isinstance(x, float) and math.isnan(x)) else f"{x:,.{digits}f}"


def _ci_text(mean: float, half: float) -> str:
    if isinstance(mean, float) and math.isnan(mean):
        return "-"
    return _fmt(mean) if math.isnan(half) else f"{_fmt(mean)} ± {_fmt(half)}"


def _kpi_table(kpis: pd.DataFrame, period: str, modes: Sequence[str]) -> pd.DataFrame:
    d = kpis[kpis["period"] == period]
    rows = []
    cats = sorted((m for m in d["metric"].unique() if m.startswith(CATEGORY)),
                  key=_metric_label)
    for metric in [*_with_profit(HEADLINE_KPIS), *cats]:
        g = d[d["metric"] == metric].set_index("mode")
        if g["mean"].isna().all():
            continue
        label = ("  " if metric.startswith(CATEGORY) else "") + _metric_label(metric)
        rows.append({"KPI (mean ± 95 % CI half-width)": label,
                     **{m: _ci_text(g.loc[m, "mean"], g.loc[m, "half_width"]) if m in g.index
                        else "-" for m in modes}})
    return pd.DataFrame(rows)


def _with_profit(metrics: Sequence[str]) -> list[str]:
    """The KPIs in table order: the profit lines right after the cost per order's split."""
    out = [m for m in metrics if m not in PROFIT_KPIS]
    at = out.index("shipping_cost_per_order") + 1 if "shipping_cost_per_order" in out else 0
    return [*out[:at], *PROFIT_KPIS, *out[at:]]


def _md_table(df: pd.DataFrame) -> str:
    cols = [str(c) for c in df.columns]
    lines = ["| " + " | ".join(cols) + " |", "|" + "---|" * len(cols)]
    lines += ["| " + " | ".join(str(v) for v in row) + " |" for row in df.itertuples(index=False)]
    return "\n".join(lines)


def _assumptions(plan: ComparePlan) -> list[str]:
    sc, st, main = plan.scenario, plan.settings, plan.main
    c = sc.costs
    out = [
        f"Scenario {sc.name!r}: {sc.demand.orders_per_day:,.0f} orders/day, "
        f"{len(sc.nodes)} node(s) ({', '.join(n.id for n in sc.nodes)}), "
        f"seed {sc.run.seed}, currency {c.currency}.",
        f"Modes compared on common random numbers (replication r of every mode sees the same "
        f"orders): {', '.join(mode_label(m) for m in st.modes)}; {st.replications} "
        "replications each.",
        f"Run: {main.run.horizon_days} days with the first {main.run.warmup_days} discarded "
        f"as warm-up" + _shortened(sc, main) + ".",
        "KPI windows: " + "; ".join(f"{PERIOD_NAMES[p]} days {a}-{b} ({b - a} days)"
                                    for p, (a, b) in periods(main).items()) + ".",
        "Cost per shipped order: every cost incurred in the KPI window divided by the orders "
        "whose last parcel left in it, split into fulfilment (all but the carrier) and "
        "shipping (the carrier's bill at the node's negotiated rate); a marketplace's fee per "
        "unit covers its delivery and counts as fulfilment.",
    ]
    for s in main.demand.spikes:
        out.append(f"Spike {s.name!r}: x{s.multiplier:g} orders for {s.duration_days:g} days "
                   f"from day {s.start_day:g} of the run.")
    for d in main.disruptions:
        out.append(f"Disruption: {d.kind} at {d.node or 'all'} from day {d.start_day:g} for "
                   f"{d.duration_days:g} days.")
    h, t, ds = c.in_house, c.three_pl, c.dropship
    out += [
        f"In-house: labour {h.labour_per_hour:g}/h (overtime +{h.overtime_premium:.0%}), rent "
        f"{h.rent_per_month:,.0f}/month, equipment {h.equipment_per_month:,.0f}/month, "
        f"packaging {h.packaging_per_order:g}/order, carrier discount {h.carrier_discount:.0%} "
        "off list.",
        f"3PL: pick and pack {t.pick_pack_per_order:g}/order + {t.pick_per_extra_unit:g}/extra "
        f"unit, storage {t.storage_per_pallet_month:g}/pallet-month, receiving "
        f"{t.receiving_per_pallet:g}/pallet, account {t.account_fee_per_month:,.0f}/month, "
        f"returns {t.returns_per_unit:g}/unit, carrier discount {t.carrier_discount:.0%}; SLA "
        f"capacity {sc.alternatives.three_pl_capacity_factor:g}x the node's mean load.",
        f"Dropship: {ds.fee_per_order:g}/order plus {ds.product_markup:.0%} on product cost.",
        f"Inventory holding {c.holding_rate_per_year:.0%} of unit value a year; return rates: "
        + ", ".join(f"{k.name} {k.return_rate:.0%}" for k in sc.skus.categories) + ".",
        "Costs are counted when incurred within the run (returns when received), KPIs on "
        "orders created after the warm-up; service is judged where the run decided it.",
    ]
    if st.sensitivity:
        out.append(
            f"Break-even and tornado: the normal period ({st.sensitivity_days} days after "
            f"warm-up, no spikes: KPI window days {plan.normal.run.warmup_days}-"
            f"{plan.normal.run.horizon_days}), {st.sensitivity_replications} replication(s) "
            "per point, so their x1 point estimates the main table's normal-period cost per "
            "order on a shorter window and fewer replications; "
            f"volumes x{', x'.join(f'{v:g}' for v in st.volumes)} of the scenario's orders/day "
            f"with in-house crews scaled to the volume; cost assumptions at "
            f"±{st.cost_swing:.0%}, priced again on the same runs; return rates at "
            f"x{1 - st.return_rate_swing:g} and x{1 + st.return_rate_swing:g}, simulated; "
            f"carrier discounts at x{1 - st.carrier_discount_swing:g} and "
            f"x{1 + st.carrier_discount_swing:g} of the scenario's (x0: list rates), simulated "
            "(each parcel is priced in the run). The tornado shows the advantage in "
            f"{LABELS[BREAK_EVEN_ON[st.break_even_on][0]].split(' (')[0]}.")
        r = sc.returns
        if st.sensitivity_days < r.delay_days.mean + r.transit_days:
            out.append(f"Returns reach the node about {r.delay_days.mean + r.transit_days:g} "
                       f"days after delivery, so the {st.sensitivity_days}-day tornado runs see "
                       "few of them: the return-rate bar understates its effect.")
    return out


def _shortened(sc: Scenario, main: Scenario) -> str:
    """Why the compared run is shorter than the scenario's, in words ("" when it is not)."""
    if main.run.horizon_days == sc.run.horizon_days:
        return ""
    if not sc.demand.spikes:
        return (f" (shortened from {sc.run.horizon_days} days: no spikes, so the KPI window "
                f"is the first {main.run.horizon_days - main.run.warmup_days} days after "
                "warm-up; --full-horizon keeps every day)")
    return (f" (condensed from {sc.run.horizon_days} days: quiet days before the first spike "
            "dropped, weekdays kept)")


def _cost_split(k: pd.DataFrame, mode: str) -> str:
    """': x fulfilment and y shipping' for a mode's cost per order, or ''."""
    parts = k[k["mode"] == mode].set_index("metric")["mean"]
    f, s = parts.get("fulfilment_cost_per_order"), parts.get("shipping_cost_per_order")
    if f is None or s is None or math.isnan(f) or math.isnan(s):
        return ""
    return f": {_fmt(f)} fulfilment and {_fmt(s)} shipping"


def _same_service_text(plan: ComparePlan, t: CompareTables) -> list[str]:
    """Why two modes give the very same service, when they do."""
    out = []
    factor = plan.scenario.alternatives.three_pl_capacity_factor
    for a, b in t.same_service():
        why = ("the 3PL works the same node with the same crews, stock policy and carrier "
               "choices, and its SLA cap (" f"{factor:g}x the node's mean orders/day) never "
               "bound, so each order moves through both exactly alike"
               if {a, b} == {"in_house", "3pl"} else
               "the two run the same orders through the same nodes and crews")
        out.append(f"**{a}** and **{b}** give the same service in every replication (on time, "
                   f"two-day, fill rate, backorders, click-to-door): replication r of every mode "
                   f"sees the same orders and stock draws (common random numbers) and {why}; "
                   "only the bill differs. A tighter SLA "
                   "(alternatives.three_pl_capacity_factor) would make them differ.")
    return out


def findings(plan: ComparePlan, t: CompareTables) -> list[str]:
    """The report's findings, one sentence group each (Markdown bold around mode names)."""
    cur = plan.scenario.costs.currency
    out = []
    for p in [q for q in ("normal", "spike", "all") if q in set(t.kpis["period"])]:
        if p == "all" and "normal" in set(t.kpis["period"]):
            continue
        k = t.kpis[t.kpis["period"] == p]
        cost = k[k["metric"] == "cost_per_order"].dropna(subset=["mean"]).sort_values("mean")
        two = k[k["metric"] == "two_day_pct"].dropna(subset=["mean"]).sort_values(
            "mean", ascending=False)
        if cost.empty:
            continue
        best = cost.iloc[0]
        text = (f"{PERIOD_NAMES[p].capitalize()}: **{best['mode']}** is cheapest at "
                f"{_fmt(best['mean'])} {cur} per shipped order{_cost_split(k, best['mode'])}"
                f" (95 % CI {_fmt(best['lo'])} to {_fmt(best['hi'])})")
        if len(cost) > 1 and len(t.differences):
            second = cost.iloc[1]
            d = t.differences[(t.differences["period"] == p)
                              & (t.differences["mode"] == second["mode"])
                              & (t.differences["metric"] == "cost_per_order")]
            if len(d):
                d = d.iloc[0]
                sure = ("a difference the replications confirm" if d["lo"] > 0 else
                        "a difference within the noise of these replications")
                text += (f"; **{second['mode']}** costs {_fmt(d['mean'])} {cur} more per "
                         "shipped order "
                         f"(paired 95 % CI {_fmt(d['lo'])} to {_fmt(d['hi'])}, {sure})")
        if len(two):
            b = two.iloc[0]
            mine = two[two["mode"] == best["mode"]]
            if len(mine) and mine.iloc[0]["mean"] == b["mean"]:  # a tie goes to the cheapest
                b = mine.iloc[0]
            text += (f". Best two-day service: **{b['mode']}**, {_fmt(b['mean'], 1)} % of orders "
                     f"delivered within two days")
            if len(mine) and b["mode"] != best["mode"]:
                text += f" (the cheapest mode: {_fmt(mine.iloc[0]['mean'], 1)} %)"
        out.append(text + ".")
    out.extend(_profit_findings(t, cur))
    note = t.break_even_note()
    if note:
        quantity = LABELS[t.break_even_metric[0]].split(" (")[0]
        out.append(f"Break-even (normal period, {quantity}): {note}.")
    out.extend(_same_service_text(plan, t))
    out.extend(_precision_caution(t.kpis))
    bars, best, second, gap = tornado_bars(t.tornado, t.break_even_on)
    if len(bars):
        top = bars.iloc[0]
        flips = bars[(bars[["low", "high"]] < 0).any(axis=1)]
        quantity = LABELS[t.break_even_metric[0]].split(" (")[0]
        out.append(f"Most influential assumption for the choice of **{best}** over "
                   f"**{second}** (base advantage {_fmt(gap)} {cur}/order in {quantity}): "
                   f"{top['assumption']} (advantage {_fmt(top['low'])} to "
                   f"{_fmt(top['high'])}). " + (
                       "The answer changes within the tested range of: "
                       + ", ".join(flips["assumption"]) + "." if len(flips) else
                       "No single tested assumption changes the answer."))
    return out


def _profit_findings(t: CompareTables, cur: str) -> list[str]:
    """The most profitable mode of the headline period, with the sales each mode lost."""
    k = t.kpis[t.kpis["period"] == t.headline_period]
    profit = k[k["metric"] == "profit_per_order"].dropna(subset=["mean"]).sort_values(
        "mean", ascending=False)
    if profit.empty:
        return []
    best = profit.iloc[0]
    text = (f"{PERIOD_NAMES[t.headline_period].capitalize()}: **{best['mode']}** is the most "
            f"profitable at {_fmt(best['mean'])} {cur} profit per shipped order (95 % CI "
            f"{_fmt(best['lo'])} to {_fmt(best['hi'])}; revenue after refunds and fees less "
            "product cost and every cost line)")
    lost = k[(k["metric"] == "lost_sales_value") & k["mean"].notna()].set_index("mode")
    if len(lost) and (lost["mean"] > 0).any():
        text += "; sales lost at stockouts over the window: " + ", ".join(
            f"**{m}** {_fmt(v, 0)} {cur}" for m, v in lost["mean"].items())
    return [text + "."]


def _precision_caution(kpis: pd.DataFrame) -> list[str]:
    """A caution when headline intervals are too wide or rest on too few replications, with
    the replications the two deciding KPIs would need."""
    if "enough" not in kpis:
        return []
    headline = kpis[kpis["metric"].isin(HEADLINE_KPIS) & kpis["mean"].notna()]
    shaky = headline[~headline["enough"].astype(bool)]
    if shaky.empty:
        return []
    n = int(headline["n"].max())
    text = (f"Caution: {len(shaky)} of the {len(headline)} headline intervals are not to be "
            f"trusted: they rest on {n} replications (at least 5 are needed) or are wider than "
            "5 % of the mean (1 percentage point for a share).")
    needs = []
    for metric, target in (("cost_per_order", "within 5 %"), ("two_day_pct", "within 1 pp")):
        need = headline.loc[headline["metric"] == metric, "replications_needed"]
        if len(need) and need.max() > 0:
            needs.append(f"{LABELS.get(metric, metric).strip()} {target} needs about "
                         f"{int(need.max())}")
    if needs:
        text += " " + "; ".join(needs) + " replications (--replications)."
    return [text]


def _readable(text: str) -> str:
    """Markdown text with the mode names the findings set in bold as a client reads them."""
    def name(m: re.Match) -> str:
        return f"**{mode_label(m[1])}**" if m[1] in MODE_LABELS else m[0]

    text = re.sub(r"\*\*(.+?)\*\*", name, text)
    # Codes that read as code even unbolded (in sentences built elsewhere, e.g. the
    # break-even note); `3pl_pick_pack` and other longer names are left alone.
    return re.sub(r"(?<![\w*])(in_house|3pl)(?![\w*])", lambda m: mode_label(m[1]), text)


def _img(png: bytes, alt: str) -> str:
    return (f'<img alt="{html.escape(alt)}" src="data:image/png;base64,'
            f'{base64.b64encode(png).decode()}">')


def _metric_label(metric: str) -> str:
    if metric.startswith(CATEGORY):
        return "cost: " + category_label(metric.removeprefix(CATEGORY))
    return LABELS.get(metric, metric)


def _write_workbook(plan: ComparePlan, csvs: dict[str, pd.DataFrame], path: Path) -> None:
    """The CSVs as one Excel workbook (sheet per CSV, readable headers, same numbers)."""
    cur = plan.scenario.costs.currency
    sheets = {}
    for name, table in csvs.items():
        if name == "runs.csv":  # the store's rows as they are: one column per stored field
            sheets[tables.SHEETS[name]] = table
            continue
        quantity = "profit" if plan.settings.break_even_on == "profit" else "cost"
        value = {"break_even.csv": f"{quantity} per order ({cur})",
                 "differences.csv": "difference (mode minus baseline)"}.get(name)
        sheets[tables.SHEETS[name]] = tables.readable(table, cur, _metric_label, PERIOD_NAMES,
                                                      value)
    about = [("Report", f"Fulfilment comparison: {plan.scenario.name}"),
             ("Currency", cur),
             ("Intervals", "95 % t intervals over replications (common random numbers)"),
             *[(tables.SHEETS[n], f"the report's {n}") for n in csvs]]
    tables.write_workbook(sheets, path, about)


def write_report(plan: ComparePlan, t: CompareTables, out: str | Path,
                 interactive: bool = True) -> None:
    """Write index.html, report.md, the CSVs, report.xlsx (the CSVs as sheets) and the PNGs
    of a comparison's tables in `out`; `interactive`: the cost and break-even charts drawn
    with plotly in the page (plotly.js inlined once, about 5 MB), else as pictures."""
    out = Path(out)
    out.mkdir(parents=True, exist_ok=True)
    cur = plan.scenario.costs.currency
    modes = ordered_modes(m for m in plan.settings.modes if m in set(t.kpis["mode"]))
    cats = t.kpis[t.kpis["metric"].str.startswith(CATEGORY)]
    csvs = {"kpis.csv": t.kpis,
            "cost_by_category.csv": cats.assign(category=cats["metric"].str.slice(
                len(CATEGORY))),
            "differences.csv": t.differences, "break_even.csv": t.break_even,
            "break_even_crossings.csv": t.crossings_table(), "tornado.csv": t.tornado,
            "runs.csv": t.runs}
    for name, table in csvs.items():
        table.to_csv(out / name, index=False)
    _write_workbook(plan, csvs, out / WORKBOOK)
    live: dict[str, str] = {}

    # (file, caption, png); interactive versions of some by file name, for the HTML
    figures: list[tuple[str, str, bytes]] = [
        ("network_map.png", "The network: nodes, demand points sized by their share of demand, "
         "and how far a node delivers within two transit days",
         network_map_png(plan.scenario))]
    for p in [q for q in ("normal", "spike", "all") if q in set(t.kpis["period"])]:
        k = t.kpis[t.kpis["period"] == p]
        c = k[k["metric"].str.startswith(CATEGORY)]
        c = c.assign(category=c["metric"].str.slice(len(CATEGORY)))
        tot = k[k["metric"] == "cost_per_order"].set_index("mode").reindex(modes).reset_index()
        caption = f"Cost per order by category, {PERIOD_NAMES[p]}"
        figures.append((f"cost_{p}.png", caption,
                        plots.cost_breakdown_png(c, tot, cur, caption)))
        if interactive:
            live[f"cost_{p}.png"] = charts.cost_breakdown_html(c, tot, cur, caption,
                                                               include_js=not live,
                                                               div_id=f"cost-{p}")
        figures.append((f"service_{p}.png", f"Service, {PERIOD_NAMES[p]}", plots.service_png(
            k, {"on_time_pct": "on time", "two_day_pct": "within 2 days",
                "unit_fill_rate_pct": "unit fill rate"}, f"Service, {PERIOD_NAMES[p]}")))
    if {"normal", "spike"} <= set(t.kpis["period"]):
        figures.append(("periods.png", "Normal period vs under the spikes",
                        plots.periods_png(t.kpis[t.kpis["period"].isin(["normal", "spike"])],
                                          cur)))
    if len(t.break_even):
        quantity = f"{t.break_even_on} per order"
        figures.append(("break_even.png", f"Break-even: {quantity} vs orders per day",
                        plots.break_even_png(t.break_even, t.crossings, cur, quantity)))
        if interactive:
            live["break_even.png"] = charts.break_even_html(t.break_even, cur,
                                                            include_js=not live,
                                                            div_id="break-even",
                                                            quantity=quantity)
    bars, best, second, gap = tornado_bars(t.tornado, t.break_even_on)
    if len(bars):
        b, s = mode_label(best), mode_label(second)
        on = t.break_even_on
        figures.append(("tornado.png", "Tornado: what could change the answer",
                        plots.tornado_png(bars, gap, f"Advantage of {b} over {s} "
                                          f"({on} per order, {cur}); below 0 the answer changes",
                                          (f"{s} minus {b}" if on == "cost" else
                                           f"{b} minus {s}") + f", {cur} per order")))
    for name, _, png in figures:
        (out / name).write_bytes(png)

    found, assumptions = [_readable(f) for f in findings(plan, t)], _assumptions(plan)
    title = f"Fulfilment comparison: {plan.scenario.name}"
    period_tables = [(p, _kpi_table(t.kpis, p, modes).rename(
        columns={m: mode_label(m) for m in modes}))
                     for p in ("normal", "spike", "all") if p in set(t.kpis["period"])]
    crossings = t.crossings.round(0).assign(
        cheapest_below=t.crossings["cheapest_below"].map(mode_label),
        cheapest_above=t.crossings["cheapest_above"].map(mode_label))
    failed = t.failed()

    md = [f"# {title}", "", "## Findings", "", *[f"- {f}" for f in found], "",
          "## Assumptions", "", *[f"- {a}" for a in assumptions], ""]
    for p, table in period_tables:
        md += [f"## KPIs, {PERIOD_NAMES[p]}", "", _md_table(table), ""]
    if len(t.crossings):
        md += ["## Break-even volumes", "", _md_table(crossings), ""]
    if len(bars):
        md += ["## Tornado", "", _md_table(bars.round(2)), ""]
    md += [f"![{cap}]({name})" for name, cap, _ in figures]
    if len(failed):
        md += ["", f"**{len(failed)} run(s) failed** and are left out; see runs.csv."]
    (out / "report.md").write_text("\n".join(md) + "\n", encoding="utf-8")

    def bold(text: str) -> str:
        return re.sub(r"\*\*(.+?)\*\*", r"<b>\1</b>", html.escape(text))

    body = [f"<h1>{html.escape(title)}</h1>", "<h2>Findings</h2><ul>",
            *[f"<li>{bold(f)}</li>" for f in found], "</ul>", "<h2>Assumptions</h2><ul>",
            *[f"<li>{html.escape(a)}</li>" for a in assumptions], "</ul>"]
    for p, table in period_tables:
        body += [f"<h2>KPIs, {html.escape(PERIOD_NAMES[p])}</h2>",
                 table.to_html(index=False, border=0, classes="kpis")]
    for name, cap, png in figures:
        if name in live:
            body += [f"<figure>{live[name]}<figcaption>{html.escape(cap)} (hover for values; "
                     f"as a picture: {name})</figcaption></figure>"]
        else:
            body += [f"<figure>{_img(png, cap)}<figcaption>{html.escape(cap)}</figcaption>"
                     "</figure>"]
    if len(failed):
        body.append(f"<p><b>{len(failed)} run(s) failed</b> and are left out; see runs.csv.</p>")
    style = ("body{font-family:sans-serif;max-width:1100px;margin:2em auto;padding:0 1em;"
             "color:#222}table{border-collapse:collapse;font-size:0.85em}td,th{padding:3px "
             "8px;border-bottom:1px solid #ddd;text-align:right;white-space:nowrap}"
             "td:first-child,th:first-child{text-align:left}"
             "tbody tr:hover{background:#f3f6fa}img{max-width:100%}figure{margin:1.5em 0}"
             "figcaption{font-size:0.85em;color:#555}")
    page = (f"<!DOCTYPE html>\n<html lang=\"en\"><head><meta charset=\"utf-8\"><title>"
            f"{html.escape(title)}</title><style>{style}</style></head><body>\n"
            + "\n".join(body) + "\n</body></html>\n")
    (out / "index.html").write_text(page, encoding="utf-8")
