"""Compare fulfilment modes: plan the runs, run them into the results store, and compute
the comparison's tables from the stored rows (`sim.report` renders them).

Three groups of runs, all in the results store (so a re-run skips what is done):
- `compare`: each mode x replications on the scenario (condensed to fewer quiet days unless
  asked not to), KPIs after warm-up, in the normal period and under the spikes;
- `sensitivity`: each mode on the normal period at several volumes (crews scaled with the
  volume, 3PL capacity follows the load) for the break-even chart, and at a low and a high
  return rate;
- cost assumptions (fees, labour rate, rent, holding rate) are priced again on the base
  sensitivity runs (`recost`), as they change costs but not the flow.
Every number in the tables is computed from the stored rows.
"""

from __future__ import annotations

import math
import re
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from typing import Any

import pandas as pd

from sim.experiments import (
    HEADLINE_KPIS,
    condense,
    paired_differences,
    periods,
    summarise,
    without_spikes,
)
from sim.fulfilment_modes import rule_for
from sim.modes import MODES
from sim.scenario import Scenario
from sim.store import ResultStore
from sim.sweep import MODE, ExecutionReport, Task, execute, make_tasks, point_scenario

__all__ = [
    "ASSUMPTIONS",
    "BREAK_EVEN_ON",
    "CATEGORY",
    "PROFIT_KPIS",
    "SERVICE_KPIS",
    "Assumption",
    "ComparePlan",
    "CompareRun",
    "CompareSettings",
    "CompareTables",
    "break_even_note",
    "build_tables",
    "plan_compare",
    "run_compare",
    "same_service_pairs",
    "tornado_bars",
]

CATEGORY = "cost_per_order_by_category."  # prefix of the cost-by-category KPI columns
# Money beside the cost: revenue and profit per shipped order, and the sales lost at stockouts
# (sim.kpis gives their bases), shown after the cost per order in the KPI tables.
PROFIT_KPIS = ("revenue_per_order", "profit_per_order", "lost_sales_value", "lost_demand_pct")
# What the break-even curve is drawn on, and whether the best mode has the least or most.
BREAK_EVEN_ON = {"cost": ("cost_per_order", "cheapest"),
                 "profit": ("profit_per_order", "most profitable")}


@dataclass(frozen=True)
class Assumption:
    """A tornado assumption: field paths scaled together by (1 - swing) and (1 + swing);
    `*` = every numeric field of that section, `[*]` = every item. Paths under `costs.` are
    priced again on the base runs; others change the flow (or are used inside the run) and
    are simulated, for each mode whose resolved scenario they change."""

    name: str
    patterns: tuple[str, ...]
    swing: str = "cost_swing"  # the CompareSettings field giving the range
    # For `costs.` inputs the run itself applies (pricing again would miss them): what a
    # run reads of them, so a mode's run is made only when that changes.
    in_run: Callable[[Scenario], object] | None = None

    @property
    def simulated(self) -> bool:
        """Whether this assumption needs new runs (not only new prices)."""
        return self.in_run is not None or not all(p.startswith("costs.")
                                                   for p in self.patterns)

    def changes_run(self, point: Scenario, base: Scenario) -> bool:
        """Whether a mode's run at this point differs from its base run."""
        if self.in_run is not None:
            return self.in_run(point) != self.in_run(base)
        return _run_inputs(point) != _run_inputs(base)


def _carrier_rate_factors(scenario: Scenario) -> list[float]:
    """What a run reads of the carrier discounts: each node's factor on the list rate."""
    return [rule_for(n).carrier_rate_factor(scenario) for n in scenario.nodes]


ASSUMPTIONS = (
    Assumption("labour rate", ("costs.in_house.labour_per_hour",)),
    Assumption("rent and equipment", ("costs.in_house.rent_per_month",
                                      "costs.in_house.equipment_per_month")),
    Assumption("3PL fees", ("costs.three_pl.*",)),
    Assumption("dropship fees", ("costs.dropship.*",)),
    Assumption("marketplace fees", tuple(f"alternatives.marketplace.{f}" for f in (
        "fee_per_unit", "storage_per_m3_month", "storage_peak_per_m3_month",
        "oversize_base_per_unit", "oversize_per_kg", "inbound_placement_per_unit",
        "prep_label_per_unit", "returns_per_unit", "inbound_transport_per_pallet"))),
    Assumption("holding rate", ("costs.holding_rate_per_year",)),
    Assumption("return rate", ("skus.categories[*].return_rate",), "return_rate_swing"),
    # Each parcel's price is set in the run, so a discount is simulated, not priced again.
    Assumption("carrier discount", ("costs.in_house.carrier_discount",
                                    "costs.three_pl.carrier_discount"),
               "carrier_discount_swing", in_run=_carrier_rate_factors),
)
# A larger discount or a pallet's larger usable volume lowers cost: not scaled with the fees.
NOT_A_FEE = ("discount", "usable")
SHARES = ("return_rate", "discount")  # scaled, they stay shares (at most 1)


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
    # Low: list rates (a merchant that cannot negotiate); high: twice the scenario's discount.
    carrier_discount_swing: float = 1.0
    break_even_on: str = "cost"  # the break-even curve's quantity: cost or profit per order

    def __post_init__(self) -> None:
        if self.break_even_on not in BREAK_EVEN_ON:
            raise ValueError(f"break_even_on must be one of {sorted(BREAK_EVEN_ON)}, got "
                             f"{self.break_even_on!r}")


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
            changes[path] = min(1.0, scaled) if path.endswith(SHARES) else scaled
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
        for crew, spec in node.resources.crews().items():
            count = spec.count
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
                if len(point) > 1 and a.changes_run(point_scenario(normal, point), base):
                    add([point], (a.name, level, factor))
    return plan


# ---------------------------------------------------------------- tables from the store


@dataclass
class CompareTables:
    """Everything the report shows, as DataFrames (the report also writes them as CSVs)."""

    kpis: pd.DataFrame  # period, mode, metric, n, mean, ..., window_days
    differences: pd.DataFrame  # period, mode, baseline, metric, n, mean, ... (paired)
    break_even: pd.DataFrame  # mode, multiplier, orders_per_day, n, mean, ..., window_days
    crossings: pd.DataFrame  # orders_per_day, cheapest_below, cheapest_above
    tornado: pd.DataFrame  # TORNADO_COLUMNS
    runs: pd.DataFrame
    headline_period: str
    break_even_on: str = "cost"  # the curve's quantity (BREAK_EVEN_ON): cost or profit

    @property
    def break_even_metric(self) -> tuple[str, str]:
        """(KPI the break-even curve shows, the word for the best mode on it)."""
        return BREAK_EVEN_ON[self.break_even_on]

    def failed(self) -> pd.DataFrame:
        """The stored rows of the runs that failed (left out of every other table)."""
        return self.runs[self.runs["status"] != "ok"] if len(self.runs) else self.runs

    def break_even_note(self) -> str:
        """One sentence on the break-even over the volumes run: where the cheapest mode
        changes, or that none does (and which mode is cheapest throughout); "" without a
        break-even curve."""
        return break_even_note(self.break_even, self.crossings, self.break_even_on)

    def crossings_table(self) -> pd.DataFrame:
        """The crossings with a `note` column, or, when there is none in the range, one row
        saying so (orders_per_day empty): the CSV is never silent."""
        best = self.break_even_metric[1]
        out = self.crossings.assign(note=[
            f"{c.cheapest_below} {best} below, {c.cheapest_above} above"
            for c in self.crossings.itertuples()])
        if len(out) or not len(self.break_even):
            return out
        cheapest = _cheapest_by_volume(self.break_even, self.break_even_on)
        mode = cheapest.iloc[0] if len(cheapest) and cheapest.nunique() == 1 else ""
        return pd.DataFrame([{"orders_per_day": math.nan, "cheapest_below": mode,
                              "cheapest_above": mode, "note": self.break_even_note()}])

    def same_service(self) -> list[tuple[str, str]]:
        """Pairs of modes whose service KPIs are equal in every replication of the main runs
        (the same orders moving through the same node the same way: only the bill differs)."""
        return same_service_pairs(self.runs)


def _metric_columns(df: pd.DataFrame, prefix: str) -> list[str]:
    cats = sorted(c for c in df.columns if c.startswith(prefix + CATEGORY))
    return [prefix + m for m in (*HEADLINE_KPIS, *PROFIT_KPIS)] + cats


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
        cols = [prefix + m for m in (*HEADLINE_KPIS, *PROFIT_KPIS)]
        d = paired_differences(ok, "mode", best, cols)
        d["metric"] = d["metric"].str.slice(len(prefix))
        parts.append(d.assign(period=p))
    if not parts:
        return pd.DataFrame()
    out = pd.concat(parts, ignore_index=True)
    return out[["period", *[c for c in out.columns if c != "period"]]]


def _crossings(curve: pd.DataFrame, on: str = "cost") -> pd.DataFrame:
    """Volumes where the best mode (cheapest; most profitable `on` profit) changes, by
    linear interpolation of the gap."""
    wide = _best_first(curve, "orders_per_day", on)
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


def _best_first(curve: pd.DataFrame, index: str, on: str) -> pd.DataFrame:
    """The curve's means by `index` and mode (modes at every point only), negated for a
    profit so that the best mode is always the smallest."""
    wide = curve.pivot_table(index=index, columns="mode", values="mean")
    wide = wide.dropna(axis=1, how="any")
    return -wide if on == "profit" else wide


def _cheapest_by_volume(curve: pd.DataFrame, on: str = "cost") -> pd.Series:
    wide = _best_first(curve, "multiplier", on)
    return wide.idxmin(axis=1) if wide.shape[1] else pd.Series(dtype=object)


def break_even_note(curve: pd.DataFrame, crossings: pd.DataFrame, on: str = "cost") -> str:
    """The break-even in words (see `CompareTables.break_even_note`); `on`: the curve's
    quantity, cost (the cheapest mode wins) or profit (the most profitable)."""
    if not len(curve):
        return ""
    best = BREAK_EVEN_ON[on][1]
    lo, hi = curve["multiplier"].min(), curve["multiplier"].max()
    opd_lo, opd_hi = curve["orders_per_day"].min(), curve["orders_per_day"].max()
    span = f"between x{lo:g} and x{hi:g} ({opd_lo:,.0f} to {opd_hi:,.0f} orders/day)"
    if len(crossings):
        return "; ".join(f"below about {c.orders_per_day:,.0f} orders/day {c.cheapest_below} "
                         f"is {best}, above it {c.cheapest_above}"
                         for c in crossings.itertuples()) + (
            f" (volumes run: x{lo:g} to x{hi:g}, {opd_lo:,.0f} to {opd_hi:,.0f} orders/day)")
    cheapest = _cheapest_by_volume(curve, on)
    if cheapest.nunique() != 1 or curve["mode"].nunique() < 2:
        return f"no break-even {span}: fewer than two modes ran at every volume"
    return f"no break-even {span}: {cheapest.iloc[0]} is {best} throughout"


SERVICE_KPIS = ("on_time_pct", "two_day_pct", "unit_fill_rate_pct", "backorder_pct",
                "click_to_door_p95_days")


def same_service_pairs(runs: pd.DataFrame) -> list[tuple[str, str]]:
    """Pairs of modes (in their first-seen order) whose service KPIs, in every period, are
    equal in every replication both ran in the main comparison."""
    if not len(runs) or "mode" not in runs:
        return []
    main = runs[(runs["sweep"] == "compare") & (runs["status"] == "ok")]
    cols = [c for c in main.columns if c.rsplit("/", 1)[-1] in SERVICE_KPIS]
    by_mode = {m: g.set_index("replication")[cols] for m, g in main.groupby("mode", sort=False)}
    modes = list(by_mode)
    pairs = []
    for i, a in enumerate(modes):
        for b in modes[i + 1:]:
            common = by_mode[a].index.intersection(by_mode[b].index)
            x, y = by_mode[a].loc[common], by_mode[b].loc[common]
            if len(common) and x.notna().any().any() and ((x == y) | (x.isna() & y.isna())
                                                          ).all().all():
                pairs.append((a, b))
    return pairs


def build_tables(plan: ComparePlan, store: ResultStore) -> CompareTables:
    """The report's tables, computed from the stored rows of the plan's tasks."""
    runs = store.table(t.key for t in plan.tasks)
    ok = runs[runs["status"] == "ok"] if len(runs) else runs
    main = ok[ok["sweep"] == "compare"]
    period_names = list(periods(plan.main))
    kpis = _kpis(main, period_names)
    # Every number says its horizon: the days of its KPI window.
    kpis["window_days"] = kpis["period"].map({p: b - a for p, (a, b) in
                                              periods(plan.main).items()})
    headline = "normal" if "normal" in period_names else "all"
    differences = _differences(main, kpis, period_names)
    if len(differences):
        differences["window_days"] = differences["period"].map(
            kpis.drop_duplicates("period").set_index("period")["window_days"])

    sens = ok[ok["sweep"] == "sensitivity"] if len(ok) else ok
    base_opd = plan.normal.demand.orders_per_day
    curve = pd.DataFrame(columns=["mode", "multiplier", "orders_per_day", "n", "mean", "sd",
                                  "half_width", "lo", "hi", "enough", "replications_needed",
                                  "window_days"])
    tornado = pd.DataFrame(columns=TORNADO_COLUMNS)
    if len(sens):
        role = sens["key"].map(plan.roles)
        sens = sens.assign(role=role.str[0], level=role.str[1], factor=role.str[2])
        volume_runs = sens[sens["role"] == "volume"]
        volume_runs = volume_runs.assign(orders_per_day=base_opd * volume_runs["factor"])
        metric = BREAK_EVEN_ON[plan.settings.break_even_on][0]
        curve = summarise(volume_runs, ["mode", "orders_per_day"], [metric])
        curve.insert(1, "multiplier", curve["orders_per_day"] / base_opd)
        curve = curve.drop(columns="metric").sort_values(["mode", "orders_per_day"])
        curve["window_days"] = plan.normal.run.horizon_days - plan.normal.run.warmup_days
        tornado = _tornado_rows(plan, sens)
    on = plan.settings.break_even_on
    return CompareTables(kpis, differences, curve.reset_index(drop=True),
                         _crossings(curve, on), tornado, runs, headline, on)


TORNADO_COLUMNS = ["assumption", "level", "mode", "cost_per_order", "profit_per_order"]


def _tornado_rows(plan: ComparePlan, sens: pd.DataFrame) -> pd.DataFrame:
    """Mean cost and profit per order of each mode at the base and at each assumption's low
    and high; an assumption that does not touch a mode leaves it at its base value. A cost
    priced again on the base flow moves profit by as much as it moves cost, the other way
    (both per shipped order in the window)."""
    rows = []
    vols = sorted(v for v in plan.settings.volumes if v != 1.0)
    low_v = max((v for v in vols if v < 1.0), default=None)
    high_v = min((v for v in vols if v > 1.0), default=None)
    both = low_v is not None and high_v is not None
    volume_name = f"volume (x{low_v:g} to x{high_v:g})" if both else ""
    if "profit_per_order" not in sens:
        sens = sens.assign(profit_per_order=math.nan)

    def row(assumption: str, level: str, mode: str, runs: pd.DataFrame,
            recost: str | None = None) -> dict:
        cost, profit = runs["cost_per_order"], runs["profit_per_order"]
        if recost is not None:
            profit = profit + cost - runs[recost]
            cost = runs[recost]
        return {"assumption": assumption, "level": level, "mode": mode,
                "cost_per_order": cost.mean(), "profit_per_order": profit.mean()}

    for mode, g in sens.groupby("mode"):
        base_runs = g[(g["role"] == "volume") & (g["level"] == "base")]
        rows.append(row("base", "base", mode, base_runs))
        for a in ASSUMPTIONS:
            for level, _ in _levels(plan.settings, a):
                if a.simulated:
                    d = g[(g["role"] == a.name) & (g["level"] == level)]
                    rows.append(row(a.name, level, mode, d if len(d) else base_runs))
                else:
                    col = f"recost:{_slug(a.name)}-{level}:cost_per_order"
                    rows.append(row(a.name, level, mode, base_runs,
                                    col if col in base_runs else None))
        if both:
            for level, v in (("low", low_v), ("high", high_v)):
                d = g[(g["role"] == "volume") & (g["factor"] == v)]
                rows.append(row(volume_name, level, mode, d))
    return pd.DataFrame(rows, columns=TORNADO_COLUMNS)


def tornado_bars(tornado: pd.DataFrame, on: str = "cost"
                 ) -> tuple[pd.DataFrame, str, str, float]:
    """Per assumption, the advantage (per order, in `on`: cost or profit) of the base case's
    best mode over the runner-up at the low and high setting (negative: the answer
    changes); the best mode, the runner-up and the base advantage."""
    metric = BREAK_EVEN_ON[on][0]
    sign = 1.0 if on == "cost" else -1.0  # least cost, or most profit, is best
    if metric not in tornado:
        tornado = tornado.assign(**{metric: math.nan})
    base = tornado[tornado["level"] == "base"].set_index("mode")[metric].dropna()
    if len(base) < 2:
        return pd.DataFrame(columns=["assumption", "low", "high"]), "", "", math.nan
    order = (sign * base).sort_values()
    best, second = order.index[0], order.index[1]
    rows = []
    for name, g in tornado[tornado["level"] != "base"].groupby("assumption", sort=False):
        w = sign * g.pivot_table(index="level", columns="mode", values=metric)
        if {best, second} <= set(w.columns) and {"low", "high"} <= set(w.index):
            rows.append({"assumption": name,
                         "low": w.loc["low", second] - w.loc["low", best],
                         "high": w.loc["high", second] - w.loc["high", best]})
    bars = pd.DataFrame(rows, columns=["assumption", "low", "high"])
    bars = bars.assign(swing=(bars["high"] - bars["low"]).abs())
    return bars.sort_values("swing", ascending=False), best, second, order.iloc[1] - order.iloc[0]


@dataclass(frozen=True)
class CompareRun:
    """A comparison run (or resumed) into a store: what the executor did and the tables."""

    plan: ComparePlan
    execution: ExecutionReport
    tables: CompareTables


def run_compare(plan: ComparePlan, store: ResultStore, workers: int | None = None,
                scheduler: str | None = None, client: Any = None,
                progress: bool = True) -> CompareRun:
    """Run the plan's tasks not stored yet into `store`; the tables from its stored rows."""
    execution = execute(plan.tasks, store, workers=workers, scheduler=scheduler, client=client,
                        progress=progress)
    return CompareRun(plan, execution, build_tables(plan, store))
