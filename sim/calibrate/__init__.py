"""Fit a scenario to a client's order history (`fulfil calibrate`).

The demand section comes out in the generator's own form (rate, trend, profiles, spikes,
basket distributions, SKUs, returns, services, demand points) so a planner can edit it; the
network, carriers and costs come from a template scenario, crews scaled to the fitted volume.
Every fitted value is listed with its standard error where there is one and its source.
"""

from __future__ import annotations

import copy
import math
from dataclasses import dataclass, field, replace
from datetime import timedelta
from pathlib import Path

import numpy as np
import pandas as pd

from sim.calibrate.baskets import (
    CountFit,
    demand_points,
    drawn_lines_mean,
    fit_count,
    fit_returns,
    service_mix,
    sku_items,
)
from sim.calibrate.rate import DemandFit, DetectedSpike, black_friday, fit_demand_rate
from sim.client_data import OrderLines

__all__ = ["Calibration", "Fitted", "calibrate", "template_region"]

DEFAULT_HORIZON_DAYS = 35


@dataclass(frozen=True)
class Fitted:
    """One fitted value: scenario field, value, standard error (if any), where it came from."""

    field: str
    value: object
    std_error: float | None
    source: str


@dataclass
class Calibration:
    """A fitted scenario (as YAML-ready data), its demand points and what each value is."""

    scenario: dict
    points: pd.DataFrame
    fitted: list[Fitted]
    rate: DemandFit
    lines_per_order: CountFit
    units_per_line: CountFit
    line_counts: np.ndarray  # lines of each order (for the report's plot)
    units_counts: np.ndarray
    sku_lines: np.ndarray  # order lines per SKU, largest first
    return_delays: pd.Series  # days from order to return, observed, indexed by category
    notes: list[str] = field(default_factory=list)

    def table(self) -> pd.DataFrame:
        """The fitted values as a table: field, value, std_error, source."""
        return pd.DataFrame([{"field": f.field, "value": _show(f.value),
                              "std_error": f.std_error, "source": f.source}
                             for f in self.fitted])


def _show(value: object) -> str:
    if isinstance(value, float):
        return f"{value:.6g}"
    if isinstance(value, list) and value and isinstance(value[0], float):
        return "[" + ", ".join(f"{v:.4g}" for v in value) + "]"
    return str(value)


def template_region(lines: pd.DataFrame) -> str:
    """"fr" when most destinations are in metropolitan France, else "us"."""
    lat, lon = lines["lat"].to_numpy(), lines["lon"].to_numpy()
    in_france = (lat > 41.0) & (lat < 51.5) & (lon > -5.5) & (lon < 10.0)
    return "fr" if in_france.mean() > 0.5 else "us"


def _future_spikes(found: list[DetectedSpike], start, horizon_days: int) -> list[dict]:
    """Recurring spikes at their next dates inside the run [start, start + horizon)."""
    out = []
    end = start + timedelta(horizon_days)
    for s in found:
        if s.recurs == "once":
            continue
        for year in (start.year, start.year + 1):
            day = black_friday(year) + timedelta(3 if s.recurs == "cyber_monday" else 0)
            if start <= day < end:
                out.append({"name": s.recurs, "start_day": (day - start).days,
                            "duration_days": s.days, "multiplier": round(s.multiplier, 3)})
    return out


def _scale_crews(nodes: list[dict], factor: float) -> None:
    for node in nodes:
        for crew in (node.get("resources") or {}).values():
            if isinstance(crew, dict) and "count" in crew:
                crew["count"] = max(1, math.ceil(crew["count"] * factor))


def _gamma_delay(delays: np.ndarray, transit_days: float) -> dict | None:
    # The scenario's delay is delivery to drop-off; the file's is order to receipt, so the
    # return's transit back and about two days of delivery are taken off.
    d = delays - transit_days - 2.0
    d = d[d > 0]
    if len(d) < 30:
        return None
    return {"dist": "gamma", "mean": round(float(d.mean()), 3),
            "cv": round(float(d.std() / d.mean()), 3)}


def _differs(own: np.ndarray, pooled: np.ndarray) -> bool:
    """A category's delays differ from all returns' by more than 3 standard errors of its
    mean (so the sampling noise of one category does not split the delay)."""
    return abs(own.mean() - pooled.mean()) > 3.0 * own.std(ddof=1) / math.sqrt(len(own))


def calibrate(data: OrderLines, template: dict, horizon_days: int | None = None,
              replay: bool = False) -> Calibration:
    """Fit the template scenario's demand, SKUs, returns, services and geography to `data`.
    `replay`: the scenario will replay the history itself, so its run covers the history
    (start date and horizon from the file) and its spikes sit where they happened."""
    lines = data.lines
    sc = copy.deepcopy(template)
    sc["name"] = f"calibrated-{Path(data.source).name.split('.')[0] or 'orders'}"
    sc["description"] = (f"Demand, SKUs, returns and customers fitted to {data.source}; "
                         f"network, carriers and costs from the {template.get('name')} template.")
    fitted: list[Fitted] = []
    notes = list(data.notes)

    rate = fit_demand_rate(lines["created_at"], lines["order_id"])
    start = rate.last_day + timedelta(1)
    horizon = horizon_days or sc.get("run", {}).get("horizon_days", DEFAULT_HORIZON_DAYS)
    span = f"{rate.first_day} to {rate.last_day}, {len(rate.daily)} days"
    fitted += [
        Fitted("demand.orders_per_day", round(rate.orders_per_day, 2), rate.orders_per_day_se,
               f"quasi-Poisson log-linear fit of daily orders outside spikes ({span}), "
               f"level extrapolated to {start}"),
        Fitted("demand.trend_per_year", round(rate.trend_per_year, 4), rate.trend_per_year_se,
               "same fit: exp(slope per year) - 1"),
        Fitted("demand.weekday_profile", [round(w, 4) for w in rate.weekday_profile],
               max(rate.weekday_se), "same fit: weekday effects, mean 1 (Monday first); "
               "std_error is the largest"),
        Fitted("demand.intraday_profile", [round(100 * h, 3) for h in rate.intraday_profile],
               None, "share of orders by hour of day (%), days outside spikes"),
    ]
    if rate.annual_profile is not None:
        fitted.append(Fitted("demand.annual_profile", [round(m, 4) for m in
                                                       rate.annual_profile], None,
                             "same fit: month effects, mean 1 (January first)"))
    else:
        notes.append("annual seasonality not fitted: under two years of history it cannot be "
                     "told apart from the trend")
    for s in rate.spikes:
        fitted.append(Fitted(f"spike {s.start}", round(s.multiplier, 3), s.multiplier_se,
                             f"{s.days} day(s) above the model's 99.99 % quantile and 1.3x; "
                             f"recurs: {s.recurs}"))
    if replay:
        days = horizon_days or len(rate.daily)
        spikes = [{"name": s.recurs if s.recurs != "once" else f"spike_{s.start}",
                   "start_day": (s.start - rate.first_day).days, "duration_days": s.days,
                   "multiplier": round(s.multiplier, 3)} for s in rate.spikes
                  if (s.start - rate.first_day).days < days]
    else:
        spikes = _future_spikes(rate.spikes, start, horizon)

    per_order = lines.groupby("order_id", sort=False)
    line_counts = per_order["sku"].nunique().to_numpy()
    units_counts = lines.groupby(["order_id", "sku"], sort=False, observed=True)[
        "quantity"].sum().to_numpy()
    lpo, upl = fit_count(line_counts, "lines per order"), fit_count(units_counts,
                                                                     "units per line")
    generator = (sc.get("skus") or {}).get("generator") or {}
    defaults = {k: (generator.get(k) or {}).get("mean", v) for k, v in
                (("weight_kg", 1.0), ("cube_m3", 0.005), ("unit_value", 30.0))}
    items, sku_notes = sku_items(lines, data.skus, defaults)
    notes += sku_notes
    if lpo.dist["dist"] != "empirical":
        # The generator merges a SKU drawn twice into one line: draw a little more.
        popularity = np.array([it["popularity"] for it in items], float)
        drawn = drawn_lines_mean(float(line_counts.mean()), lpo.dist["dist"], popularity)
        units_per_order = float(units_counts.sum()) / len(line_counts)
        lpo = replace(lpo, dist={**lpo.dist, "mean": round(drawn, 4)},
                      note=lpo.note + f"; mean drawn {drawn:.4f} so that baskets hold "
                      f"{line_counts.mean():.4f} distinct SKUs after repeats merge")
        if upl.dist["dist"] != "empirical":
            upl = replace(upl, dist={**upl.dist, "mean": round(units_per_order / drawn, 4)},
                          note=upl.note + "; mean = units per order / drawn lines per order")
    fitted += [Fitted("demand.lines_per_order", lpo.dist, None, lpo.note),
               Fitted("demand.units_per_line", upl.dist, None, upl.note)]
    fitted.append(Fitted("skus.items", f"{len(items)} SKUs", None,
                         "popularity = order lines per SKU" + (
                             "; weight, cube (L x W x H), value and category from the master"
                             if data.skus is not None else "")))

    categories = {it["id"]: it["category"] for it in items}
    rates, delays, rate_source = fit_returns(lines, categories, pd.Timestamp(rate.last_day))
    template_cats = {c["name"]: c for c in (sc.get("skus") or {}).get("categories", [])}
    used = sorted({it["category"] for it in items})
    cats = []
    for name in used:
        if name in rates:
            r, n = rates[name]
            cats.append({"name": name, "return_rate": round(r, 4)})
            fitted.append(Fitted(f"skus.categories[{name}].return_rate", round(r, 4),
                                 math.sqrt(max(r * (1 - r), 1e-12) / max(n, 1)), rate_source))
        else:
            rr = template_cats.get(name, {}).get("return_rate", 0.0)
            cats.append({"name": name, "return_rate": rr})
    sc["skus"] = {"items": items, "categories": cats}
    transit = (sc.get("returns") or {}).get("transit_days", 4.0)
    delay = _gamma_delay(delays.to_numpy(), transit)
    how = (f"gamma by moments of order-to-return days minus the return transit "
           f"({transit:g} d) and 2 d of delivery")
    if delay is not None:
        sc.setdefault("returns", {})["delay_days"] = delay
        fitted.append(Fitted("returns.delay_days", delay, None,
                             f"{how}, {len(delays)} returns"))
        for c in cats:  # a category whose returns come back at a pace of its own
            own = delays[delays.index == c["name"]].to_numpy()
            fit = _gamma_delay(own, transit)
            if fit is None or not _differs(own, delays.to_numpy()):
                continue
            c["return_delay_days"] = fit
            fitted.append(Fitted(f"skus.categories[{c['name']}].return_delay_days", fit, None,
                                 f"{how}, {len(own)} returns of the category (its mean is "
                                 "more than 3 standard errors from all returns')"))

    demand = dict(sc.get("demand") or {})
    demand.update(orders_per_day=round(rate.orders_per_day, 2),
                  trend_per_year=round(rate.trend_per_year, 4),
                  weekday_profile=[round(w, 4) for w in rate.weekday_profile],
                  intraday_profile=[round(100 * h, 3) for h in rate.intraday_profile],
                  lines_per_order=lpo.dist, units_per_line=upl.dist, spikes=spikes)
    if rate.annual_profile is not None:
        demand["annual_profile"] = [round(m, 4) for m in rate.annual_profile]
    mix = service_mix(lines)
    if mix is not None:
        known = {s["name"]: s for s in demand.get("service_levels", [])}
        levels = []
        for name, share in mix.items():
            promise = known.get(name, {}).get("promise_days")
            if promise is None:
                promise = 2 if any(w in name.lower() for w in ("exp", "next", "fast")) else 5
                notes.append(f"service {name!r}: promise_days {promise} assumed (not in the "
                             "template)")
            levels.append({"name": name, "share": round(share, 6), "promise_days": promise})
        total = sum(lv["share"] for lv in levels)
        levels[0]["share"] = round(levels[0]["share"] + 1.0 - total, 6)
        demand["service_levels"] = levels
        fitted.append(Fitted("demand.service_levels", {k: round(v, 4) for k, v in mix.items()},
                             None, "share of orders by service"))
    sc["demand"] = demand

    template_opd = (template.get("demand") or {}).get("orders_per_day")
    if template_opd:
        factor = rate.orders_per_day / template_opd
        _scale_crews(sc.get("nodes", []), factor)
        notes.append(f"crew counts scaled from the template by {factor:.3g} (fitted "
                     f"{rate.orders_per_day:,.0f} vs the template's {template_opd:,.0f} orders "
                     "per day): check them against the client's shifts")
    points = demand_points(lines)
    fitted.append(Fitted("geography.points_csv", f"{len(points)} points", None,
                         "ship-to points grouped on a 0.5 degree grid, weight = orders"))
    run = dict(sc.get("run") or {})
    run.pop("start_weekday", None)
    if replay:  # the file sets them (its first day and span) unless asked otherwise
        run.pop("start_date", None)
        run.pop("horizon_days", None)
        horizon = horizon_days or len(rate.daily)
        if horizon_days:
            run["horizon_days"] = horizon_days
    else:
        run.update(start_date=start.isoformat(), horizon_days=horizon)
        fitted.append(Fitted("run.start_date", start.isoformat(), None,
                             "the day after the history ends"))
    if run.get("warmup_days", 0) >= horizon:
        run["warmup_days"] = horizon // 5
    sc["run"] = run
    return Calibration(
        scenario=sc, points=points, fitted=fitted, rate=rate, lines_per_order=lpo,
        units_per_line=upl, line_counts=line_counts, units_counts=units_counts,
        sku_lines=np.array([it["popularity"] for it in items]), return_delays=delays,
        notes=notes)
