"""`fulfil compare`: every fulfilment mode on the same demand, with intervals, a break-even
chart and a tornado of assumptions, written as index.html (self-contained), report.md and CSVs.

Three groups of runs, all in the results store (so a re-run skips what is done):
- `compare`: each mode x replications on the scenario (condensed to fewer quiet days unless
  asked not to), KPIs after warm-up, in the normal period and under the spikes;
- `sensitivity`: each mode on the normal period at several volumes (crews scaled with the
  volume, 3PL capacity follows the load) for the break-even chart, and at a low and a high
  return rate;
- cost assumptions (fees, labour rate, rent, holding rate) are priced again on the base
  sensitivity runs (`recost`), as they change costs but not the flow.
Every number in the report is computed from the stored rows.
"""

from __future__ import annotations

import base64
import html
import math
import re
from collections.abc import Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import pandas as pd

from sim import report_plots as plots
from sim.experiments import (
    HEADLINE_KPIS,
    condense,
    paired_differences,
    periods,
    summarise,
    without_spikes,
)
from sim.modes import MODES
from sim.scenario import Scenario
from sim.store import ResultStore
from sim.sweep import MODE, Task, execute, make_tasks, point_scenario

__all__ = ["ComparePlan", "CompareSettings", "build_report", "compare", "plan_compare"]

CATEGORY = "cost_per_order_by_category."
LABELS = {
    "cost_per_order": "cost per order",
    "on_time_pct": "on time %",
    "two_day_pct": "delivered within 2 days %",
    "click_to_door_p95_days": "click-to-door p95 (days)",
    "unit_fill_rate_pct": "unit fill rate %",
    "backorder_pct": "orders backordered %",
    "avg_on_hand_value": "working capital in stock",
}
PERIOD_NAMES = {"all": "whole run after warm-up", "normal": "normal period",
                "spike": "under the spikes (first spike to end of run)"}



@dataclass(frozen=True)
class Assumption:
    """A tornado assumption: field paths scaled together by (1 - swing) and (1 + swing);
    `*` = every numeric field of that section, `[*]` = every item. Paths under `costs.` are
    priced again on the base runs; others change the flow (or are used inside the run) and
    are simulated, for each mode whose resolved scenario they change."""

    name: str
    patterns: tuple[str, ...]
    swing: str = "cost_swing"  # the CompareSettings field giving the range

    @property
    def simulated(self) -> bool:
        """Whether this assumption needs new runs (not only new prices)."""
        return not all(p.startswith("costs.") for p in self.patterns)


ASSUMPTIONS = (
    Assumption("labour rate", ("costs.in_house.labour_per_hour",)),
    Assumption("rent and equipment", ("costs.in_house.rent_per_month",
                                      "costs.in_house.equipment_per_month")),
    Assumption("3PL fees", ("costs.three_pl.*",)),
    Assumption("dropship fees", ("costs.dropship.*",)),
    Assumption("marketplace fees", ("alternatives.marketplace.fee_per_unit",
                                    "alternatives.marketplace.storage_per_m3_month",
                                    "alternatives.marketplace.storage_peak_per_m3_month")),
    Assumption("holding rate", ("costs.holding_rate_per_year",)),
    Assumption("return rate", ("skus.categories[*].return_rate",), "return_rate_swing"),
)
NOT_A_FEE = ("discount",)  # a larger discount lowers cost: not scaled with the fees


@dataclass(frozen=True)
class CompareSettings:
    """What `compare` runs: modes, replications, volumes (multiples of the scenario's
    orders/day) for the break-even chart, and the tornado's ranges."""

    modes: tuple[str, ...] = MODES
    replications: int = 5
    condense: bool = True  # drop quiet days before the first spike (weekdays kept)
    sensitivity: bool = True
    volumes: tuple[float, ...] = (0.25, 0.5, 1.0, 1.5)
    sensitivity_replications: int = 1
    sensitivity_days: int = 7  # days after warm-up in the break-even and tornado runs
    cost_swing: float = 0.2  # cost assumptions at x(1 - swing) and x(1 + swing)
    return_rate_swing: float = 0.5


@dataclass
class ComparePlan:
    """The scenarios and tasks of a comparison."""

    scenario: Scenario
    main: Scenario
    normal: Scenario
    settings: CompareSettings
    tasks: list[Task] = field(default_factory=list)
    roles: dict[str, tuple[str, str, float]] = field(default_factory=dict)  # key -> role


def _slug(text: str) -> str:
    return re.sub(r"[^a-z0-9]+", "_", text.lower()).strip("_")


def _expand(scenario: Scenario, pattern: str) -> list[tuple[str, Any]]:
    """(path, value) of every numeric field matching the pattern in the scenario."""
    data = scenario.model_dump(mode="python")
    out: list[tuple[str, Any]] = []

    def walk(node: Any, parts: list[str], path: str) -> None:
        if not parts:
            if isinstance(node, int | float | list) and not isinstance(node, bool):
                out.append((path, node))
            return
        head, rest = parts[0], parts[1:]
        name, *idx = head.replace("]", "").split("[")
        if name == "*":
            for k, v in (node or {}).items():
                if isinstance(v, int | float) and not isinstance(v, bool) and not any(
                        w in k for w in NOT_A_FEE):
                    walk(v, rest, f"{path}.{k}" if path else k)
            return
        if not isinstance(node, dict) or node.get(name) is None:
            return
        node, path = node[name], f"{path}.{name}" if path else name
        for i in idx:
            items = range(len(node)) if i == "*" else [int(i)]
            for j in items:
                walk(node[j], rest, f"{path}[{j}]")
            return
        walk(node, rest, path)

    walk(data, pattern.split("."), "")
    return out


def _scaled(scenario: Scenario, patterns: Sequence[str], factor: float) -> dict[str, Any]:
    changes: dict[str, Any] = {}
    for pattern in patterns:
        for path, value in _expand(scenario, pattern):
            scaled = [v * factor for v in value] if isinstance(value, list) else value * factor
            # a share (return rate) stays a share
            changes[path] = min(1.0, scaled) if path.endswith("return_rate") else scaled
    return changes


def _levels(settings: CompareSettings, a: Assumption) -> tuple[tuple[str, float], ...]:
    swing = getattr(settings, a.swing)
    return ("low", 1 - swing), ("high", 1 + swing)


def _recost(mode_scenario: Scenario, settings: CompareSettings) -> dict[str, dict[str, Any]]:
    out = {}
    for a in ASSUMPTIONS:
        if a.simulated:
            continue
        for level, factor in _levels(settings, a):
            changes = _scaled(mode_scenario, a.patterns, factor)
            if changes:
                out[f"{_slug(a.name)}-{level}"] = changes
    return out


def _run_inputs(scenario: Scenario) -> dict:
    # What a run reads once a mode is resolved (sim.modes alone reads `alternatives`).
    return scenario.model_dump(mode="json", exclude={"alternatives", "name"})


def _volume_changes(scenario: Scenario, multiplier: float) -> dict[str, Any]:
    if multiplier == 1.0:
        return {}
    changes: dict[str, Any] = {"demand.orders_per_day": scenario.demand.orders_per_day
                               * multiplier}
    for i, node in enumerate(scenario.nodes):
        for crew in ("receivers", "pickers", "packers"):
            count = getattr(node.resources, crew).count
            if count:  # an in-house node is staffed for its volume
                changes[f"nodes[{i}].resources.{crew}.count"] = max(1, math.ceil(count
                                                                                 * multiplier))
    return changes


def plan_compare(scenario: Scenario, settings: CompareSettings = CompareSettings()) -> ComparePlan:
    """The runs of a comparison (every point validated up front)."""
    main = condense(scenario) if settings.condense else scenario
    normal = without_spikes(scenario, settings.sensitivity_days)
    plan = ComparePlan(scenario, main, normal, settings)
    modes = list(settings.modes)
    plan.tasks += make_tasks(main, [{MODE: m} for m in modes], settings.replications, "compare")
    if not settings.sensitivity:
        return plan
    reps = settings.sensitivity_replications

    def add(points: list[dict[str, Any]], role: tuple[str, str, float],
            recost: dict | None = None) -> None:
        for t in make_tasks(normal, points, reps, "sensitivity", recost=recost):
            plan.tasks.append(t)
            plan.roles[t.key] = role

    for m in modes:
        base = point_scenario(normal, {MODE: m})
        # The base point carries the cost assumptions priced again on its flow.
        add([{MODE: m}], ("volume", "base", 1.0), _recost(base, settings))
        for v in settings.volumes:
            if v != 1.0:
                add([{**_volume_changes(normal, v), MODE: m}], ("volume", f"x{v:g}", v))
        for a in ASSUMPTIONS:
            if not a.simulated:
                continue
            for level, factor in _levels(settings, a):
                point = {**_scaled(normal, a.patterns, factor), MODE: m}
                if len(point) > 1 and _run_inputs(point_scenario(normal, point)) != \
                        _run_inputs(base):
                    add([point], (a.name, level, factor))
    return plan


# ---------------------------------------------------------------- tables from the store


@dataclass
class ReportTables:
    """Everything the report shows, as DataFrames (also written as CSVs)."""

    kpis: pd.DataFrame  # period, mode, metric, n, mean, sd, half_width, lo, hi
    differences: pd.DataFrame  # period, mode, baseline, metric, n, mean, ... (paired)
    break_even: pd.DataFrame  # mode, multiplier, orders_per_day, n, mean, ..., of cost/order
    crossings: pd.DataFrame  # orders_per_day, cheapest_below, cheapest_above
    tornado: pd.DataFrame  # assumption, level, mode, cost_per_order
    runs: pd.DataFrame
    headline_period: str


def _metric_columns(df: pd.DataFrame, prefix: str) -> list[str]:
    cats = sorted(c for c in df.columns if c.startswith(prefix + CATEGORY))
    return [prefix + m for m in HEADLINE_KPIS] + cats


def _kpis(ok: pd.DataFrame, period_names: Sequence[str]) -> pd.DataFrame:
    parts = []
    for p in period_names:
        prefix = "" if p == "all" else f"{p}/"
        cols = _metric_columns(ok, prefix)
        s = summarise(ok, ["mode"], cols)
        s["metric"] = s["metric"].str.slice(len(prefix))
        parts.append(s.assign(period=p))
    out = pd.concat(parts, ignore_index=True)
    return out[["period", *[c for c in out.columns if c != "period"]]]


def _differences(ok: pd.DataFrame, kpis: pd.DataFrame, period_names: Sequence[str]
                 ) -> pd.DataFrame:
    parts = []
    for p in period_names:
        prefix = "" if p == "all" else f"{p}/"
        cost = kpis[(kpis["period"] == p) & (kpis["metric"] == "cost_per_order")]
        if cost["mean"].notna().sum() < 2:
            continue
        best = cost.loc[cost["mean"].idxmin(), "mode"]
        cols = [prefix + m for m in HEADLINE_KPIS]
        d = paired_differences(ok, "mode", best, cols)
        d["metric"] = d["metric"].str.slice(len(prefix))
        parts.append(d.assign(period=p))
    if not parts:
        return pd.DataFrame()
    out = pd.concat(parts, ignore_index=True)
    return out[["period", *[c for c in out.columns if c != "period"]]]


def _crossings(curve: pd.DataFrame) -> pd.DataFrame:
    """Volumes where the cheapest mode changes, by linear interpolation of the gap."""
    wide = curve.pivot_table(index="orders_per_day", columns="mode", values="mean")
    wide = wide.dropna(axis=1, how="any")
    rows = []
    if wide.shape[1] >= 2:
        xs = wide.index.to_numpy(float)
        cheapest = wide.idxmin(axis=1).to_numpy()
        for k in range(len(xs) - 1):
            a, b = cheapest[k], cheapest[k + 1]
            if a == b:
                continue
            g0 = wide.iloc[k][b] - wide.iloc[k][a]  # > 0: a cheaper at the lower volume
            g1 = wide.iloc[k + 1][b] - wide.iloc[k + 1][a]
            x = xs[k] + (xs[k + 1] - xs[k]) * g0 / (g0 - g1) if g0 != g1 else xs[k]
            rows.append({"orders_per_day": float(x), "cheapest_below": a, "cheapest_above": b})
    return pd.DataFrame(rows, columns=["orders_per_day", "cheapest_below", "cheapest_above"])


def build_tables(plan: ComparePlan, store: ResultStore) -> ReportTables:
    """The report's tables, computed from the stored rows of the plan's tasks."""
    runs = store.table(t.key for t in plan.tasks)
    ok = runs[runs["status"] == "ok"] if len(runs) else runs
    main = ok[ok["sweep"] == "compare"]
    period_names = list(periods(plan.main))
    kpis = _kpis(main, period_names)
    headline = "normal" if "normal" in period_names else "all"
    differences = _differences(main, kpis, period_names)

    sens = ok[ok["sweep"] == "sensitivity"] if len(ok) else ok
    base_opd = plan.normal.demand.orders_per_day
    curve = pd.DataFrame(columns=["mode", "multiplier", "orders_per_day", "n", "mean", "sd",
                                  "half_width", "lo", "hi"])
    tornado = pd.DataFrame(columns=["assumption", "level", "mode", "cost_per_order"])
    if len(sens):
        role = sens["key"].map(plan.roles)
        sens = sens.assign(role=role.str[0], level=role.str[1], factor=role.str[2])
        volume_runs = sens[sens["role"] == "volume"]
        volume_runs = volume_runs.assign(orders_per_day=base_opd * volume_runs["factor"])
        curve = summarise(volume_runs, ["mode", "orders_per_day"], ["cost_per_order"])
        curve.insert(1, "multiplier", curve["orders_per_day"] / base_opd)
        curve = curve.drop(columns="metric").sort_values(["mode", "orders_per_day"])
        tornado = _tornado_rows(plan, sens)
    return ReportTables(kpis, differences, curve.reset_index(drop=True), _crossings(curve),
                        tornado, runs, headline)


def _tornado_rows(plan: ComparePlan, sens: pd.DataFrame) -> pd.DataFrame:
    """Mean cost per order of each mode at the base and at each assumption's low and high;
    an assumption that does not touch a mode leaves it at its base value."""
    rows = []
    vols = sorted(v for v in plan.settings.volumes if v != 1.0)
    low_v = max((v for v in vols if v < 1.0), default=None)
    high_v = min((v for v in vols if v > 1.0), default=None)
    both = low_v is not None and high_v is not None
    volume_name = f"volume (x{low_v:g} to x{high_v:g})" if both else ""
    for mode, g in sens.groupby("mode"):
        base_runs = g[(g["role"] == "volume") & (g["level"] == "base")]
        base = base_runs["cost_per_order"].mean()
        rows.append({"assumption": "base", "level": "base", "mode": mode,
                     "cost_per_order": base})
        for a in ASSUMPTIONS:
            for level, _ in _levels(plan.settings, a):
                if a.simulated:
                    d = g[(g["role"] == a.name) & (g["level"] == level)]
                    value = d["cost_per_order"].mean() if len(d) else base
                else:
                    col = f"recost:{_slug(a.name)}-{level}:cost_per_order"
                    value = base_runs[col].mean() if col in base_runs else base
                rows.append({"assumption": a.name, "level": level, "mode": mode,
                             "cost_per_order": value})
        if both:
            for level, v in (("low", low_v), ("high", high_v)):
                d = g[(g["role"] == "volume") & (g["factor"] == v)]
                rows.append({"assumption": volume_name, "level": level, "mode": mode,
                             "cost_per_order": d["cost_per_order"].mean()})
    return pd.DataFrame(rows, columns=["assumption", "level", "mode", "cost_per_order"])


def tornado_bars(tornado: pd.DataFrame) -> tuple[pd.DataFrame, str, str, float]:
    """Per assumption, the cost-per-order advantage of the base case's cheapest mode over the
    runner-up at the low and high setting (negative: the answer changes)."""
    base = tornado[tornado["level"] == "base"].set_index("mode")["cost_per_order"].dropna()
    if len(base) < 2:
        return pd.DataFrame(columns=["assumption", "low", "high"]), "", "", math.nan
    order = base.sort_values()
    best, second = order.index[0], order.index[1]
    rows = []
    for name, g in tornado[tornado["level"] != "base"].groupby("assumption", sort=False):
        w = g.pivot_table(index="level", columns="mode", values="cost_per_order")
        if {best, second} <= set(w.columns) and {"low", "high"} <= set(w.index):
            rows.append({"assumption": name,
                         "low": w.loc["low", second] - w.loc["low", best],
                         "high": w.loc["high", second] - w.loc["high", best]})
    bars = pd.DataFrame(rows, columns=["assumption", "low", "high"])
    bars = bars.assign(swing=(bars["high"] - bars["low"]).abs())
    return bars.sort_values("swing", ascending=False), best, second, order.iloc[1] - order.iloc[0]


# ---------------------------------------------------------------- writing


def _fmt(x: float, digits: int = 2) -> str:
    return "-" if x is None or (isinstance(x, float) and math.isnan(x)) else f"{x:,.{digits}f}"


def _ci_text(mean: float, half: float) -> str:
    if isinstance(mean, float) and math.isnan(mean):
        return "-"
    return _fmt(mean) if math.isnan(half) else f"{_fmt(mean)} ± {_fmt(half)}"


def _kpi_table(kpis: pd.DataFrame, period: str, modes: Sequence[str]) -> pd.DataFrame:
    d = kpis[kpis["period"] == period]
    rows = []
    for metric in [*HEADLINE_KPIS, *sorted(m for m in d["metric"].unique()
                                            if m.startswith(CATEGORY))]:
        g = d[d["metric"] == metric].set_index("mode")
        if g["mean"].isna().all():
            continue
        label = LABELS.get(metric, "  cost: " + metric.removeprefix(CATEGORY))
        rows.append({"KPI (mean ± 95 % CI half-width)": label,
                     **{m: _ci_text(g.loc[m, "mean"], g.loc[m, "half_width"]) if m in g.index
                        else "-" for m in modes}})
    return pd.DataFrame(rows)


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
        f"orders): {', '.join(st.modes)}; {st.replications} replications each.",
        f"Run: {main.run.horizon_days} days with the first {main.run.warmup_days} discarded "
        f"as warm-up" + (f" (condensed from {sc.run.horizon_days} days: quiet days before the "
                         "first spike dropped, weekdays kept)" if main.run.horizon_days
                         != sc.run.horizon_days else "") + ".",
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
        f"packaging {h.packaging_per_order:g}/order.",
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
            f"warm-up, no spikes), {st.sensitivity_replications} replication(s) per point; "
            f"volumes x{', x'.join(f'{v:g}' for v in st.volumes)} of the scenario's orders/day "
            f"with in-house crews scaled to the volume; cost assumptions at "
            f"±{st.cost_swing:.0%}, priced again on the same runs; return rates at "
            f"x{1 - st.return_rate_swing:g} and x{1 + st.return_rate_swing:g}, simulated.")
        r = sc.returns
        if st.sensitivity_days < r.delay_days.mean + r.transit_days:
            out.append(f"Returns reach the node about {r.delay_days.mean + r.transit_days:g} "
                       f"days after delivery, so the {st.sensitivity_days}-day tornado runs see "
                       "few of them: the return-rate bar understates its effect.")
    return out


def _findings(plan: ComparePlan, t: ReportTables) -> list[str]:
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
                f"{_fmt(best['mean'])} {cur} per order (95 % CI {_fmt(best['lo'])} to "
                f"{_fmt(best['hi'])})")
        if len(cost) > 1 and len(t.differences):
            second = cost.iloc[1]
            d = t.differences[(t.differences["period"] == p)
                              & (t.differences["mode"] == second["mode"])
                              & (t.differences["metric"] == "cost_per_order")]
            if len(d):
                d = d.iloc[0]
                sure = ("a difference the replications confirm" if d["lo"] > 0 else
                        "a difference within the noise of these replications")
                text += (f"; **{second['mode']}** costs {_fmt(d['mean'])} {cur} more per order "
                         f"(paired 95 % CI {_fmt(d['lo'])} to {_fmt(d['hi'])}, {sure})")
        if len(two):
            b = two.iloc[0]
            mine = two[two["mode"] == best["mode"]]
            text += (f". Best two-day service: **{b['mode']}**, {_fmt(b['mean'], 1)} % of orders "
                     f"delivered within two days")
            if len(mine) and b["mode"] != best["mode"]:
                text += f" (the cheapest mode: {_fmt(mine.iloc[0]['mean'], 1)} %)"
        out.append(text + ".")
    for c in t.crossings.itertuples():
        out.append(f"Break-even: below about {c.orders_per_day:,.0f} orders/day "
                   f"**{c.cheapest_below}** is cheapest, above it **{c.cheapest_above}** "
                   f"(normal period).")
    bars, best, second, gap = tornado_bars(t.tornado)
    if len(bars):
        top = bars.iloc[0]
        flips = bars[(bars[["low", "high"]] < 0).any(axis=1)]
        out.append(f"Most influential assumption for the choice of {best} over {second} (base "
                   f"advantage {_fmt(gap)} {cur}/order): {top['assumption']} (advantage "
                   f"{_fmt(top['low'])} to {_fmt(top['high'])}). " + (
                       "The answer changes within the tested range of: "
                       + ", ".join(flips["assumption"]) + "." if len(flips) else
                       "No single tested assumption changes the answer."))
    return out


def _img(png: bytes, alt: str) -> str:
    return (f'<img alt="{html.escape(alt)}" src="data:image/png;base64,'
            f'{base64.b64encode(png).decode()}">')


def build_report(plan: ComparePlan, store: ResultStore, out: str | Path) -> ReportTables:
    """Write index.html, report.md, the CSVs and the PNGs for a finished comparison."""
    out = Path(out)
    out.mkdir(parents=True, exist_ok=True)
    t = build_tables(plan, store)
    cur = plan.scenario.costs.currency
    modes = [m for m in plan.settings.modes if m in set(t.kpis["mode"])]
    t.kpis.to_csv(out / "kpis.csv", index=False)
    cats = t.kpis[t.kpis["metric"].str.startswith(CATEGORY)]
    cats.assign(category=cats["metric"].str.slice(len(CATEGORY))).to_csv(
        out / "cost_by_category.csv", index=False)
    t.differences.to_csv(out / "differences.csv", index=False)
    t.break_even.to_csv(out / "break_even.csv", index=False)
    t.crossings.to_csv(out / "break_even_crossings.csv", index=False)
    t.tornado.to_csv(out / "tornado.csv", index=False)
    t.runs.to_csv(out / "runs.csv", index=False)

    figures: list[tuple[str, str, bytes]] = []  # (file, caption, png)
    for p in [q for q in ("normal", "spike", "all") if q in set(t.kpis["period"])]:
        k = t.kpis[t.kpis["period"] == p]
        c = k[k["metric"].str.startswith(CATEGORY)]
        c = c.assign(category=c["metric"].str.slice(len(CATEGORY)))
        tot = k[k["metric"] == "cost_per_order"].set_index("mode").reindex(modes).reset_index()
        caption = f"Cost per order by category, {PERIOD_NAMES[p]}"
        figures.append((f"cost_{p}.png", caption,
                        plots.cost_breakdown_png(c, tot, cur, caption)))
        figures.append((f"service_{p}.png", f"Service, {PERIOD_NAMES[p]}", plots.service_png(
            k, {"on_time_pct": "on time", "two_day_pct": "within 2 days",
                "unit_fill_rate_pct": "unit fill rate"}, f"Service, {PERIOD_NAMES[p]}")))
    if {"normal", "spike"} <= set(t.kpis["period"]):
        figures.append(("periods.png", "Normal period vs under the spikes",
                        plots.periods_png(t.kpis[t.kpis["period"].isin(["normal", "spike"])],
                                          cur)))
    if len(t.break_even):
        figures.append(("break_even.png", "Break-even: cost per order vs orders per day",
                        plots.break_even_png(t.break_even, t.crossings, cur)))
    bars, best, second, gap = tornado_bars(t.tornado)
    if len(bars):
        figures.append(("tornado.png", "Tornado: what could change the answer",
                        plots.tornado_png(bars, gap, f"Advantage of {best} over {second} "
                                          f"(cost per order, {cur}); below 0 the answer changes",
                                          f"{second} minus {best}, {cur} per order")))
    for name, _, png in figures:
        (out / name).write_bytes(png)

    findings, assumptions = _findings(plan, t), _assumptions(plan)
    title = f"Fulfilment comparison: {plan.scenario.name}"
    period_tables = [(p, _kpi_table(t.kpis, p, modes)) for p in ("normal", "spike", "all")
                     if p in set(t.kpis["period"])]
    failed = t.runs[t.runs["status"] != "ok"] if len(t.runs) else t.runs

    md = [f"# {title}", "", "## Findings", "", *[f"- {f}" for f in findings], "",
          "## Assumptions", "", *[f"- {a}" for a in assumptions], ""]
    for p, table in period_tables:
        md += [f"## KPIs, {PERIOD_NAMES[p]}", "", _md_table(table), ""]
    if len(t.crossings):
        md += ["## Break-even volumes", "", _md_table(t.crossings.round(0)), ""]
    if len(bars):
        md += ["## Tornado", "", _md_table(bars.round(2)), ""]
    md += [f"![{cap}]({name})" for name, cap, _ in figures]
    if len(failed):
        md += ["", f"**{len(failed)} run(s) failed** and are left out; see runs.csv."]
    (out / "report.md").write_text("\n".join(md) + "\n", encoding="utf-8")

    def bold(text: str) -> str:
        return re.sub(r"\*\*(.+?)\*\*", r"<b>\1</b>", html.escape(text))

    body = [f"<h1>{html.escape(title)}</h1>", "<h2>Findings</h2><ul>",
            *[f"<li>{bold(f)}</li>" for f in findings], "</ul>", "<h2>Assumptions</h2><ul>",
            *[f"<li>{html.escape(a)}</li>" for a in assumptions], "</ul>"]
    for p, table in period_tables:
        body += [f"<h2>KPIs, {html.escape(PERIOD_NAMES[p])}</h2>",
                 table.to_html(index=False, border=0, classes="kpis")]
    for _, cap, png in figures:
        body += [f"<figure>{_img(png, cap)}<figcaption>{html.escape(cap)}</figcaption></figure>"]
    if len(failed):
        body.append(f"<p><b>{len(failed)} run(s) failed</b> and are left out; see runs.csv.</p>")
    style = ("body{font-family:sans-serif;max-width:1000px;margin:2em auto;color:#222}"
             "table{border-collapse:collapse;font-size:0.85em}td,th{padding:3px 8px;"
             "border-bottom:1px solid #ddd;text-align:right}td:first-child{text-align:left}"
             "img{max-width:100%}figcaption{font-size:0.85em;color:#555}")
    page = (f"<!DOCTYPE html>\n<html lang=\"en\"><head><meta charset=\"utf-8\"><title>"
            f"{html.escape(title)}</title><style>{style}</style></head><body>\n"
            + "\n".join(body) + "\n</body></html>\n")
    (out / "index.html").write_text(page, encoding="utf-8")
    return t


def compare(scenario: Scenario, out: str | Path, settings: CompareSettings = CompareSettings(),
            workers: int | None = None, scheduler: str | None = None, client: Any = None,
            progress: bool = True) -> ReportTables:
    """Run (or resume) the comparison into `out/store` and write the report in `out`."""
    plan = plan_compare(scenario, settings)
    store = ResultStore(Path(out) / "store")
    execute(plan.tasks, store, workers=workers, scheduler=scheduler, client=client,
            progress=progress)
    return build_report(plan, store, out)
