"""Staffing plans for a scenario: the optimiser's problem from the scenario's forecast and
standard rates, its plan as a table (a row per day and station), and a plan put back into the
scenario's crews for the simulation to run.

Standard rates: a short pilot run (`PILOT_DAYS`, no spikes nor disruptions, crews tripled so
work never waits) measures each crew's busy hours per order created in the network; the
forecast is the planners' expected orders by hour (`sim.demand.rate_per_hour` on the
scenario as they know it: announced spikes at their expected multiplier, unannounced ones
not at all, unless `demand.forecast` is oracle), split at each node's cut-off, at the stated
probability's Poisson quantile per period. Receivers are not planned (their work follows
purchase orders, not the cut-off): they keep the scenario's crew.

Simulated workload (`pilot_workload`): the forecast holds the orders, not the work the
inventory plan releases: backorders from a peak's stock-outs go to picking in one wave when
their purchase orders land. A pilot simulation of the scenario as its planners know it (the
same `_known_scenario`: announced spikes at their expected multiplier, no disruptions, which
no plan can know of) with ample planned crews, so no labour bottleneck delays the work,
records the order lines released to picking each hour at each node (backorder releases
among them; a wave counted in the hour its orders became ready, so the cut-off splits them
as it splits the orders) over several replications; each crew's work is lines x its busy
hours per line in the pilot, and the plan covers, per day and period (before and after
the cut-off), the stated probability's quantile of that work across the replications.
Receivers keep the scenario's crews in the pilot as in the plan, so purchase orders are put
away (and backorders released) when they would be.
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from pathlib import Path

import numpy as np
import pandas as pd

from optimize.errors import FieldProblem, InvalidInput
from optimize.options import SolveOptions
from optimize.staffing import StaffingPlan, StaffingProblem, StationLoad, quantile_work
from optimize.staffing import solve_staffing as solve_problem
from sim.demand import day_zero, rate_per_hour
from sim.demand_forecast import planning_scenario
from sim.fulfilment_modes import rule_for
from sim.scenario import Crew, Node, Scenario

__all__ = [
    "PILOT_DAYS",
    "PLAN_COLUMNS",
    "WORKLOADS",
    "PilotWorkload",
    "StaffingStudy",
    "apply_plan",
    "cutoff_days",
    "hourly_lines",
    "pilot_workload",
    "plan_table",
    "planned_crews",
    "read_plan",
    "solve_staffing",
    "staffing_problem",
    "standard_hours",
]

PILOT_DAYS = 7
PILOT_CREW_FACTOR = 3
PLAN_COLUMNS = ("date", "day", "node", "crew", "permanent", "temps", "temps_new",
                "overtime_h", "capacity_h", "workload_h", "backlog_h", "cost")
_PLAN_NUMBERS = ("day", "permanent", "temps", "temps_new")
WORKLOADS = ("forecast", "simulated")
# Ample in the workload pilot: a peak's orders and a backorder wave on top must not queue.
WORKLOAD_PILOT_CREW_FACTOR = 10


def planned_crews(node: Node) -> list[str]:
    """The crews a plan staffs at a node: pickers, packers and its outbound stages' crews."""
    return list(dict.fromkeys(["pickers", "packers", *(s.crew for s in node.stages)]))


def _staffed_nodes(scenario: Scenario) -> list[int]:
    return [i for i, n in enumerate(scenario.nodes)
            if n.mode.kind == "in_house" and rule_for(n).stocks]


def standard_hours(scenario: Scenario, replication: int = 0) -> dict[tuple[str, str], float]:
    """Busy labour-hours per order created in the network, per (node, crew), from a pilot
    run of `PILOT_DAYS` days with ample crews and no spikes or disruptions."""
    from sim.api import run, with_changes

    changes: dict[str, object] = {"run.horizon_days": PILOT_DAYS, "run.warmup_days": 0,
                                  "demand.spikes": [], "disruptions": []}
    for i in _staffed_nodes(scenario):
        for crew, spec in scenario.nodes[i].resources.crews().items():
            changes[f"nodes[{i}].resources.{crew}.count"] = PILOT_CREW_FACTOR * max(spec.count, 1)
            changes[f"nodes[{i}].resources.{crew}.temps"] = []
    pilot = run(with_changes(scenario, changes), replication)
    # per order shipped: orders still in the building at the end (the last day's, a Sunday's)
    # did not cost their hours yet
    ships = pilot.tables["shipments"]
    orders = ships.loc[ships["shipped_h"].notna(), "order"].nunique()
    util = pilot.tables["utilisation"]
    out = {}
    for i in _staffed_nodes(scenario):
        node = scenario.nodes[i]
        for crew in planned_crews(node):
            busy = util.loc[(util["node"] == node.id) & (util["resource"] == crew), "busy_h"]
            out[node.id, crew] = float(busy.sum()) / max(orders, 1)
    return out


def _known_scenario(scenario: Scenario) -> Scenario:
    """The scenario as its planners know it (base rate, and spikes as they know them)."""
    known = planning_scenario(scenario)
    if scenario.demand.forecast == "oracle":
        return known
    spikes = [s.model_copy(update={"multiplier": s.expected_multiplier})
              for s in scenario.demand.spikes if s.announced]
    return known.model_copy(update={"demand": known.demand.model_copy(
        update={"spikes": spikes})})


def hourly_lines(tours: pd.DataFrame, shipments: pd.DataFrame, nodes: list[str],
                 hours: int, lag_h: dict[str, float] | None = None) -> pd.DataFrame:
    """Order lines released to picking per node and hour (0 to `hours` - 1, from day 0),
    and the share of them that were backorders (shipments short on arrival, released when
    their stock came), split by units: a row per node and hour. A release is counted at
    its time less the node's `lag_h` (hours; the wave interval when a node releases in
    waves: the 12:00 wave carries the orders ready from 11:00, before a 12:00 cut-off)."""
    lag = lag_h or {}

    def binned(frame: pd.DataFrame, value: str) -> np.ndarray:
        out = np.zeros((len(nodes), hours))
        h = np.floor(frame["released_h"].to_numpy(float)
                     - frame["node"].map(lambda n: lag.get(n, 0.0)).to_numpy(float))
        keep = (h >= 0) & (h < hours) & frame["node"].isin(nodes).to_numpy()
        row = pd.Index(nodes).get_indexer(frame["node"].to_numpy()[keep])
        np.add.at(out, (row, h[keep].astype(int)), frame[value].to_numpy(float)[keep])
        return out

    lines = binned(tours, "lines")
    units = binned(tours, "units")
    short = shipments.loc[shipments["filled_on_arrival"] < shipments["units"]]
    bo_units = np.minimum(binned(short, "units"), units)
    bo_lines = np.divide(lines * bo_units, units, out=np.zeros_like(lines), where=units > 0)
    return pd.DataFrame({"node": np.repeat(nodes, hours), "hour": np.tile(np.arange(hours),
                                                                          len(nodes)),
                         "lines": lines.ravel(), "backorder_lines": bo_lines.ravel()})


@dataclass(frozen=True)
class PilotWorkload:
    """The workload pilot's record: `hourly` has a row per replication, node and hour with
    the order lines released to picking and how many were backorder releases; each
    (node, crew)'s busy hours per line and per order shipped in the pilot; its days."""

    hourly: pd.DataFrame
    hours_per_line: dict[tuple[str, str], float]
    hours_per_order: dict[tuple[str, str], float]
    days: int
    replications: int

    def without_backorders(self) -> PilotWorkload:
        """The same pilot with no backorder release (its lines taken out of the work)."""
        h = self.hourly.assign(lines=self.hourly["lines"] - self.hourly["backorder_lines"],
                               backorder_lines=0.0)
        return PilotWorkload(h, self.hours_per_line, self.hours_per_order, self.days,
                             self.replications)

    def work(self, node: str, crew: str) -> np.ndarray:
        """The crew's work (labour-hours at full speed) per replication, day and hour."""
        h = self.hourly.loc[self.hourly["node"] == node].sort_values(["replication", "hour"])
        lines = h["lines"].to_numpy(float).reshape(self.replications, self.days, 24)
        return lines * self.hours_per_line[node, crew]


def pilot_workload(scenario: Scenario, weeks: int, replications: int = 4, *,
                   as_planned: bool = True) -> PilotWorkload:
    """Run the workload pilot (the scenario as planned, ample planned crews, no disruptions)
    for `weeks` weeks and `replications` replications; see the module's docstring.
    `as_planned=False` is an oracle for benchmarks: the pilot draws the true demand (the
    inventory plan still built on what the planners know, as in the run)."""
    from sim.api import run, with_changes

    if weeks <= 0:
        raise InvalidInput(FieldProblem("weeks", "must be a whole number >= 1", weeks))
    if replications < 2:
        raise InvalidInput(FieldProblem("pilot_replications", "needs at least 2 replications "
                                        "for a quantile across them", replications))
    days = 7 * weeks
    # a day more than the plan, so the plan's last day's work is done and counted
    changes: dict[str, object] = {"run.horizon_days": days + 1, "run.warmup_days": 0,
                                  "disruptions": []}
    staffed = _staffed_nodes(scenario)
    for i in staffed:
        node = scenario.nodes[i]
        for crew in planned_crews(node):
            spec = node.resources.crews()[crew]
            changes[f"nodes[{i}].resources.{crew}.count"] = (WORKLOAD_PILOT_CREW_FACTOR
                                                             * max(spec.count, 1))
            changes[f"nodes[{i}].resources.{crew}.temps"] = []
    pilot_sc = with_changes(_known_scenario(scenario) if as_planned else scenario, changes)
    ids = [scenario.nodes[i].id for i in staffed]
    lags = {n.id: n.release.wave_interval_h if n.release.mode == "waves" else 0.0
            for n in scenario.nodes}
    frames, busy, lines, orders = [], {}, dict.fromkeys(ids, 0.0), dict.fromkeys(ids, 0.0)
    for rep in range(replications):
        t = run(pilot_sc, rep).tables
        frames.append(hourly_lines(t["pick_tours"], t["shipments"], ids, 24 * days, lags)
                      .assign(replication=rep))
        tours = t["pick_tours"]
        shipped = t["shipments"].loc[t["shipments"]["shipped_h"].notna()]
        util = t["utilisation"]
        for i in staffed:
            n = scenario.nodes[i].id
            lines[n] += float(tours.loc[tours["node"] == n, "lines"].sum())
            orders[n] += float(shipped.loc[shipped["node"] == n, "order"].nunique())
            for crew in planned_crews(scenario.nodes[i]):
                busy[n, crew] = busy.get((n, crew), 0.0) + float(util.loc[
                    (util["node"] == n) & (util["resource"] == crew), "busy_h"].sum())
    hourly = pd.concat(frames, ignore_index=True)[["replication", "node", "hour", "lines",
                                                   "backorder_lines"]]
    per_line = {k: v / max(lines[k[0]], 1.0) for k, v in busy.items()}
    per_order = {k: v / max(orders[k[0]], 1.0) for k, v in busy.items()}
    return PilotWorkload(hourly, per_line, per_order, days, replications)


def _simulated_periods(work: np.ndarray, cutoff_h: float, probability: float
                       ) -> tuple[np.ndarray, np.ndarray]:
    """Work before and after the cut-off per day, each at the `probability` quantile across
    the replications (`work`: replication x day x hour). An empirical quantile is monotone
    in every replication's work, so more released work never lowers it."""
    before = np.clip(cutoff_h - np.arange(24), 0.0, 1.0)
    pre = work @ before
    post = work.sum(axis=2) - pre
    return (np.quantile(pre, probability, axis=0), np.quantile(post, probability, axis=0))


def _orders_by_period(scenario: Scenario, days: int, cutoff_h: float
                      ) -> tuple[np.ndarray, np.ndarray]:
    """Expected orders per day before and after the cut-off (the rate is constant within
    each hour, as the arrivals draw it)."""
    rate = rate_per_hour(scenario, np.arange(24 * days, dtype=float)).reshape(days, 24)
    hour = np.arange(24)
    before = np.clip(cutoff_h - hour, 0.0, 1.0)  # the share of each hour before the cut-off
    pre = rate @ before
    return pre, rate.sum(axis=1) - pre


def _hours_around(crew: Crew, pickup_h: float) -> tuple[float, float, float, float]:
    """Worker-hours per head on a worked day before and after pickup, and the overtime a
    head may add before and after it (overtime runs on from the end of a shift no other
    shift starts at: the simulation keeps workers on only when the head count falls, so
    back-to-back shifts of one crew hand over with no overtime between them)."""
    before = after = ot_before = ot_after = 0.0
    starts = {start for start, _end in crew.shifts}
    for start, end in crew.shifts:
        before += max(0.0, min(end, pickup_h) - start)
        after += max(0.0, end - max(start, pickup_h))
        ot = crew.overtime_max_h if end not in starts else 0.0
        ot_in = max(0.0, min(end + ot, pickup_h) - end)
        ot_before += ot_in
        ot_after += ot - ot_in
    return before, after, ot_before, ot_after


@dataclass(frozen=True)
class StaffingStudy:
    """A scenario's staffing problem and what it was built from."""

    problem: StaffingProblem
    stations: tuple[tuple[int, str], ...]  # (node index, crew) of each problem station
    hours_per_order: dict[tuple[str, str], float]
    probability: float


def staffing_problem(scenario: Scenario, weeks: int, probability: float = 0.95,
                     hours_per_order: dict[tuple[str, str], float] | None = None,
                     max_booking_days: int | None = 21, *,
                     workload: PilotWorkload | None = None,
                     handoff_h: float = 0.0) -> StaffingStudy:
    """The optimiser's problem for the scenario's first `weeks` weeks: every in-house
    node's planned crews, their work at the `probability` quantile of the forecast (or of
    the simulated `workload`, `pilot_workload`, when given). `handoff_h` (hours): the
    pickers finish the pickup's work that long before it, so packing has the last picks
    in time (0: the stations are planned as if independent)."""
    if weeks <= 0:
        raise InvalidInput(FieldProblem("weeks", "must be a whole number >= 1", weeks))
    if not 0 < probability < 1:
        raise InvalidInput(FieldProblem("probability", "must be strictly between 0 and 1",
                                        probability))
    if not (math.isfinite(handoff_h) and 0 <= handoff_h < 24):
        raise InvalidInput(FieldProblem("handoff_h", "must be in [0, 24) hours", handoff_h))
    days = 7 * weeks
    if workload is not None:
        if workload.days != days:
            raise InvalidInput(FieldProblem("workload", f"covers {workload.days} days, the "
                                            f"plan {days}", workload.days))
        hours_per_order = workload.hours_per_order
    elif hours_per_order is None:
        hours_per_order = standard_hours(scenario)
    known = _known_scenario(scenario)
    wd = scenario.run.start_weekday
    weekday = (np.arange(days) + wd) % 7
    loads, where = [], []
    for i in _staffed_nodes(scenario):
        node = scenario.nodes[i]
        pre_orders, post_orders = _orders_by_period(known, days, node.cutoff_h)
        ships = tuple(bool(w in node.pickup_days) for w in weekday)
        for name in planned_crews(node):
            crew = node.resources.crews()[name]
            if workload is None:
                h = hours_per_order[node.id, name]
                pre = quantile_work(pre_orders, h, probability)
                post = quantile_work(post_orders, h, probability)
            else:
                pre, post = _simulated_periods(workload.work(node.id, name), node.cutoff_h,
                                               probability)
            due = node.pickup_h - (handoff_h if name == "pickers" else 0.0)
            before, after, ot_before, ot_after = _hours_around(crew, due)
            loads.append(StationLoad(
                name=f"{node.id}.{name}",
                pre_h=tuple(pre.tolist()), post_h=tuple(post.tolist()),
                works=tuple(bool(w in crew.days) for w in weekday), ships=ships,
                hours_before_pickup=before, hours_after_pickup=after,
                overtime_before_h=ot_before, overtime_after_h=ot_after,
                hiring_lead_days=crew.hiring_lead_days,
                start_share=crew.learning.start_share, ramp_days=crew.learning.ramp_days,
                presence=1.0 - crew.absent_share))
            where.append((i, name))
    if not loads:
        raise InvalidInput(FieldProblem("nodes", "no in-house node with crews to staff",
                                        [n.id for n in scenario.nodes]))
    c = scenario.costs.in_house
    problem = StaffingProblem(stations=tuple(loads), wage=c.labour_per_hour,
                              overtime_premium=c.overtime_premium,
                              agency_premium=c.agency_premium,
                              max_booking_days=max_booking_days)
    return StaffingStudy(problem, tuple(where), hours_per_order, probability)


def solve_staffing(study: StaffingStudy, *, options: SolveOptions | None = None,
                   time_limit_s: float | None = None) -> StaffingPlan:
    """The least-cost plan of the study's problem (CP-SAT)."""
    return solve_problem(study.problem, options=options, time_limit_s=time_limit_s)


def plan_table(scenario: Scenario, study: StaffingStudy, plan: StaffingPlan) -> pd.DataFrame:
    """The plan as a table: a row per date and station (node, crew) with head counts,
    overtime, capacity, workload and backlog (hours) and cost (currency)."""
    rows = pd.DataFrame(list(plan.rows))
    name_of = {s.name: where for s, where in zip(study.problem.stations, study.stations,
                                                 strict=True)}
    rows["node"] = [scenario.nodes[name_of[s][0]].id for s in rows["station"]]
    rows["crew"] = [name_of[s][1] for s in rows["station"]]
    start = day_zero(scenario.run.start_date, scenario.run.start_weekday)
    rows["date"] = [(start + pd.Timedelta(days=int(d))).isoformat() for d in rows["day"]]
    return rows[list(PLAN_COLUMNS)]


def _lifo_bookings(days: list[int], temps: list[int], new: list[int], where: str
                   ) -> list[dict[str, int]]:
    """Temp bookings from the plan's daily counts: those starting each day (`new`), and
    leavers taken from the latest hired first, which keeps the most practised temps (the
    optimiser's capacity is a lower bound on the simulated one)."""
    open_: list[list[int]] = []  # [start day, count], oldest first
    out: list[dict[str, int]] = []
    before, last = 0, None
    for day, n, k in zip(days, temps, new, strict=True):
        if last is not None and day != last + 1:
            raise InvalidInput(FieldProblem(f"{where}: day", "days must follow one another "
                                            f"(after {last})", day))
        leaving = before + k - n
        if leaving < 0:
            raise InvalidInput(FieldProblem(f"{where}, day {day}: temps", "exceeds the day "
                                            f"before's temps ({before}) plus temps_new ({k})",
                                            n))
        while leaving:
            take = min(leaving, open_[-1][1])
            out.append({"count": take, "start_day": open_[-1][0], "end_day": day})
            open_[-1][1] -= take
            leaving -= take
            if not open_[-1][1]:
                open_.pop()
        if k:
            open_.append([day, k])
        before, last = n, day
    out += [{"count": c, "start_day": a, "end_day": last + 1} for a, c in open_]
    return sorted(out, key=lambda b: (b["start_day"], b["end_day"]))


def read_plan(path: str | Path) -> pd.DataFrame:
    """A plan CSV as `fulfil staff` writes it (InvalidInput naming the file when it is empty,
    not text or does not parse)."""
    name = Path(path).name
    try:
        return pd.read_csv(path, dtype={"node": str, "crew": str})
    except pd.errors.EmptyDataError:
        raise InvalidInput(FieldProblem("(file)", "no columns: the file is empty", name)) \
            from None
    except (pd.errors.ParserError, UnicodeDecodeError) as err:
        raise InvalidInput(FieldProblem("(file)", f"not a plan CSV: {err}", name)) from None


def apply_plan(scenario: Scenario, plan: pd.DataFrame) -> Scenario:
    """The scenario with its crews as the plan books them: each planned crew's count is the
    plan's permanent head count per shift, and its temps the plan's bookings (their lead
    time and learning curve those of the scenario's crew)."""
    from sim.api import with_changes

    missing = [c for c in ("day", "node", "crew", "permanent", "temps", "temps_new")
               if c not in plan.columns]
    if missing:
        raise InvalidInput([FieldProblem("columns", "missing required column", c)
                            for c in missing])
    for c in _PLAN_NUMBERS:
        values = pd.to_numeric(plan[c], errors="coerce")
        bad = ~(np.isfinite(values) & (values >= 0) & (values == np.round(values)))
        if bad.any():
            row = int(np.flatnonzero(bad.to_numpy())[0])
            raise InvalidInput(FieldProblem(f"row {row + 2}: {c}", "must be a whole number "
                                            ">= 0", plan[c].iloc[row]))
    ids = [n.id for n in scenario.nodes]
    changes: dict[str, object] = {}
    for (node, crew), rows in plan.groupby(["node", "crew"], sort=False):
        first = int(rows.index[0]) + 2  # the CSV line (after the header)
        if node not in ids:
            raise InvalidInput(FieldProblem(f"row {first}: node", "is not a node of the "
                                            f"scenario ({', '.join(ids)})", node))
        i = ids.index(node)
        crews = scenario.nodes[i].resources.crews()
        if crew not in crews:
            raise InvalidInput(FieldProblem(f"row {first}: crew", f"is not a crew of node "
                                            f"{node} ({', '.join(crews)})", crew))
        rows = rows.sort_values("day")
        perm = sorted({int(p) for p in rows["permanent"] if p > 0})
        if len(perm) > 1:
            raise InvalidInput(FieldProblem(f"{node}.{crew}: permanent", "must be the same on "
                                            "every worked day (a head count per shift)", perm))
        bookings = _lifo_bookings([int(d) for d in rows["day"]],
                                  [int(t) for t in rows["temps"]],
                                  [int(t) for t in rows["temps_new"]], f"{node}.{crew}")
        horizon = scenario.run.horizon_days
        bookings = [{**b, "end_day": min(b["end_day"], horizon)} for b in bookings
                    if b["start_day"] < horizon]
        path = f"nodes[{i}].resources.{crew}"
        changes[f"{path}.count"] = perm[0] if perm else 0
        changes[f"{path}.temps"] = bookings
    return with_changes(scenario, changes)



def cutoff_days(scenario: Scenario, shipments: pd.DataFrame, orders: pd.DataFrame,
                first_day: int = 0) -> pd.DataFrame:
    """Per node and pickup day from `first_day` (whole days inside the horizon): the
    shipments of orders confirmed before that day's cut-off that labour alone decides (in
    stock on arrival, not held for review), how many left that day, and whether all did
    (`hit`: what the plan promises)."""
    spec = {n.id: n for n in scenario.nodes}
    held = set(orders.loc[orders["held"], "order"])
    s = shipments.loc[(shipments["filled_on_arrival"] >= shipments["units"])
                      & ~shipments["order"].isin(held), ["node", "created_h", "shipped_h"]]
    day = np.floor(s["created_h"].to_numpy() / 24.0)
    cutoff = s["node"].map({k: v.cutoff_h for k, v in spec.items()}).to_numpy(float)
    weekday = ((day + scenario.run.start_weekday) % 7).astype(int)
    pickup = np.array([wd in spec[n].pickup_days for n, wd in zip(s["node"], weekday,
                                                                  strict=True)], bool)
    horizon = scenario.run.horizon_days
    keep = ((s["created_h"].to_numpy() - 24.0 * day < cutoff) & pickup
            & (day >= first_day) & (day < horizon))
    same = (np.floor(s["shipped_h"].to_numpy(float) / 24.0) == day)  # nan: not shipped
    frame = pd.DataFrame({"node": s["node"].to_numpy()[keep], "day": day[keep].astype(int),
                          "same_day": same[keep]})
    out = frame.groupby(["node", "day"], as_index=False).agg(
        eligible=("same_day", "size"), shipped_same_day=("same_day", "sum"))
    out["hit"] = out["shipped_same_day"] == out["eligible"]
    return out
