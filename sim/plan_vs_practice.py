"""Plan vs practice: a coverage plan's N-day share beside what the simulated network delivers.

The plan (`fulfil coverage --region us --days 2 --k 3`) counts a customer as served when a
chosen site lies within the transit bands' N-day reach. The simulation runs the network
`--scenario-out` writes for that plan and counts the orders delivered within N calendar
days of the order day (`floor(delivered_h / 24) - floor(created_h / 24) <= N`). Both draw
customers from the same population weights, so the two shares are comparable.

The gap (planned minus simulated, in percentage points of the week's live orders) is split
order by order. An order the plan serves but that arrives late is lost, in this order of
precedence, to:

- `cut_off`: placed after the node's cut-off or on a day without carrier pickup, so its
  first possible pickup (next pickup day) plus the nominal transit already misses the N days;
- `stockout`: backordered, or shipped (wholly or in part) from a farther node for want of
  stock at the nearest one;
- `review_hold`: held for payment/fraud review and shipped after its first possible pickup;
- `capacity`: shipped after its first possible pickup (or not shipped at all): the crews
  did not clear it in time;
- `transit`: shipped in time but the carrier took longer than nominal (a delay);
- `other`: anything else (in practice nothing: a point on the band edge, say).

An order the plan does not serve but that arrives in time (a faster paid service) is a gain,
`outside_plan_pp` (negative). `sampling_pp` is the planned share over the population minus
the planned share over the week's sampled orders. The parts add up to the gap exactly:

    gap_pp = sampling_pp + cut_off_pp + stockout_pp + review_hold_pp + capacity_pp
             + transit_pp + other_pp + outside_plan_pp
"""

from __future__ import annotations

import math
from collections.abc import Callable
from contextlib import nullcontext
from dataclasses import dataclass
from pathlib import Path

import numpy as np
import pandas as pd

from optimize.geo import distance_matrix_km
from optimize.network import DEFAULT_BACKEND, CoverageResult, max_coverage
from sim.api import RunResult, run, with_changes
from sim.carriers import CarrierTable
from sim.coverage import CoveragePlan, coverage_plan, network_scenario, write_scenario
from sim.experiments import window_kpis
from sim.geography_source import demand_points_for
from sim.kpis import utilisation_table
from sim.progress import ProgressArg, StepProgress
from sim.scenario import Scenario

__all__ = [
    "LOSSES",
    "STAFFED_WEEK",
    "WEEKS",
    "PlannedNetwork",
    "first_pickup_day",
    "gap_decomposition",
    "order_outcomes",
    "plan_network",
    "plan_vs_practice",
    "practice_runs",
    "practice_steps",
    "practice_table",
    "scale_crews",
    "size_crews",
    "week_scenario",
]

WEEKS = ("normal", "black_friday")
STAFFED_WEEK = "black_friday_staffed"  # the Black Friday week with seasonal crews
LOSSES = ("cut_off", "stockout", "review_hold", "capacity", "transit", "other")
GAIN = "outside_plan"
SIZED_CREWS = ("pickers", "packers")
WEEK_DAYS = 7
# The measured week runs Thursday to Wednesday, so Black Friday is its second day (Black
# Friday to Cyber Monday: four days).
THURSDAY = 3
SPIKE_DAYS = 4
# A crew is never sized above this utilisation, whatever the rounding to whole workers.
MAX_UTILISATION = 0.9
PILOT_CREW_FACTOR = 4  # the pilot run's crews: large enough never to saturate


@dataclass(frozen=True)
class PlannedNetwork:
    """A coverage plan solved at k sites and the runnable scenario of its network."""

    plan: CoveragePlan
    result: CoverageResult
    scenario: Scenario
    days: int

    @property
    def planned_share(self) -> float:
        """Share (0-1) of the demand weight the plan serves within `days`."""
        return self.result.covered_share

    def covered(self) -> pd.Series:
        """Per demand point id: True when a chosen site lies within the plan's reach (its
        first service level: the whole N-day reach without a cut-off)."""
        served = self.plan.instance.point_cover[0][:, list(self.result.sites)].any(axis=1)
        return pd.Series(served, index=self.plan.points["id"].astype(str).to_numpy())


def plan_network(region: str = "us", days: int = 2, k: int = 3, *,
                 scenario_out: Path | None = None, backend: str = DEFAULT_BACKEND
                 ) -> PlannedNetwork:
    """Solve maximum coverage for `k` sites serving within `days` days (the region's ground
    bands, no cut-off: the planner's view) and build the scenario `--scenario-out` writes
    (written to `scenario_out` when given)."""
    plan = coverage_plan(region, days=days)
    result = max_coverage(plan.instance, k, backend=backend)
    if scenario_out is not None:
        data = write_scenario(plan, result.sites, None, Path(scenario_out))
    else:
        data = network_scenario(plan, result.sites, points_csv=None,
                                out_path=Path("network.yaml"))
    return PlannedNetwork(plan, result, Scenario.model_validate(data), days)


def week_scenario(base: Scenario, *, orders_per_day: float | None = None,
                  spike_multiplier: float | None = None, warmup_days: int = 7,
                  days: int = 2, ground_only: bool = True, seed: int | None = None
                  ) -> Scenario:
    """`base` cut to a warm-up, one measured week (Thursday to Wednesday) and `days` more
    days for its last orders to be judged; with `spike_multiplier`, Black Friday to Cyber
    Monday (days 2-5 of the week) run at that multiple of the normal rate. With
    `ground_only`, every order takes the first carrier's first (ground) service: the
    service the plan's bands describe."""
    changes: dict[str, object] = {
        "run.warmup_days": warmup_days,
        "run.horizon_days": warmup_days + WEEK_DAYS + days,
        "run.start_weekday": (THURSDAY - warmup_days) % 7,  # the warm-up ends on a Thursday
        "run.start_date": None,
        "demand.spikes": [] if spike_multiplier is None else [
            {"name": "black_friday_to_cyber_monday", "start_day": warmup_days + 1,
             "duration_days": SPIKE_DAYS, "multiplier": spike_multiplier}],
        "disruptions": [],
    }
    if orders_per_day is not None:
        changes["demand.orders_per_day"] = orders_per_day
    if seed is not None:
        changes["run.seed"] = seed
    if ground_only:
        first = base.carriers.carriers[0]
        changes["carriers.carriers"] = [{"id": first.id,
                                         "services": [first.services[0].model_dump()]}]
        promise = max(s.promise_days for s in base.demand.service_levels)
        changes["demand.service_levels"] = [{"name": "standard", "share": 1.0,
                                             "promise_days": promise}]
    return with_changes(base, changes)


def _week_utilisation(result: RunResult) -> pd.DataFrame:
    warm = result.scenario.run.warmup_days
    daily = result.tables["daily"]
    return utilisation_table(daily[daily["day"] <= warm + WEEK_DAYS], warm)


def size_crews(scenario: Scenario, *, target_utilisation: float = 0.75,
               replication: int = 0, progress: Callable[[float], None] | None = None
               ) -> Scenario:
    """Picker and packer counts per node for `target_utilisation` (busy / available hours)
    in the scenario's measured week: a pilot run with ample crews measures each crew's work
    hours, then each count becomes the whole number of workers nearest to the target (at
    least one, and never above 90 % utilisation). `progress` gets the pilot run's share done
    (0-1)."""
    if not 0 < target_utilisation <= MAX_UTILISATION:
        raise ValueError(f"target_utilisation must be in (0, {MAX_UTILISATION}], "
                         f"got {target_utilisation}")
    pilot_changes = {}
    for i, node in enumerate(scenario.nodes):
        for crew in SIZED_CREWS:
            count = getattr(node.resources, crew).count
            pilot_changes[f"nodes[{i}].resources.{crew}.count"] = PILOT_CREW_FACTOR * max(count, 1)
    pilot = run(with_changes(scenario, pilot_changes), replication, progress=progress)
    util = _week_utilisation(pilot).set_index(["node", "resource"])
    ids = [n.id for n in scenario.nodes]
    changes = {}
    for (node, crew), row in util.iterrows():
        if crew not in SIZED_CREWS:
            continue
        i = ids.index(node)
        staffed_per_worker = row["staffed_h"] / pilot_changes[f"nodes[{i}].resources.{crew}.count"]
        need = row["busy_h"] / staffed_per_worker  # workers fully busy over the week
        count = max(1, round(need / target_utilisation),
                    math.ceil(need / MAX_UTILISATION - 1e-9))
        changes[f"nodes[{i}].resources.{crew}.count"] = int(count)
    return with_changes(scenario, changes)


def first_pickup_day(day: np.ndarray, hour: np.ndarray, cutoff_h: np.ndarray,
                     pickup: np.ndarray, start_weekday: int) -> np.ndarray:
    """First day an order could leave (day numbers from the run's start): its own day when
    placed before the cut-off (`hour` < `cutoff_h`) on a pickup day, else the next pickup
    day. `pickup[i, w]` is True when order i's node has a carrier pickup on weekday w (0 =
    Monday); every row needs one."""
    day = np.asarray(day, np.int64)
    rows = np.arange(len(day))
    out = np.full(len(day), -1, np.int64)
    for offset in range(8):
        today = pickup[rows, (day + offset + start_weekday) % 7]
        ok = today & (out < 0) & ((offset > 0) | (np.asarray(hour) < cutoff_h))
        out[ok] = day[ok] + offset
    return out


def order_outcomes(result: RunResult, covered: pd.Series, *, days: int = 2,
                   start_day: int | None = None, end_day: int | None = None) -> pd.DataFrame:
    """One row per live order created in [start_day, end_day) (default: the measured week
    after the warm-up): whether the plan serves it (`planned`), whether it arrived within
    `days` days (`within`), and the cause (`LOSSES`, `outside_plan`, or "" when plan and
    practice agree). `covered` maps demand point id -> served by the plan."""
    sc = result.scenario
    start_day = sc.run.warmup_days if start_day is None else start_day
    end_day = start_day + WEEK_DAYS if end_day is None else end_day
    orders = result.tables["orders"]
    o = orders[(orders["created_h"] >= 24.0 * start_day) & (orders["created_h"] < 24.0 * end_day)
               & ~orders["cancelled"]].copy()

    points = demand_points_for(sc.geography)
    point_index = pd.Series(np.arange(len(points)), index=points["id"].astype(str).to_numpy())
    p = point_index.loc[o["point"].astype(str)].to_numpy()
    lat = np.array([n.location.lat for n in sc.nodes])
    lon = np.array([n.location.lon for n in sc.nodes])
    dist = distance_matrix_km(lat, lon, points["lat"].to_numpy(), points["lon"].to_numpy())
    nearest = np.argsort(dist.T, axis=1, kind="stable")[:, 0]  # as the model ranks nodes
    near = nearest[p]
    near_km = dist[near, p]
    carriers = CarrierTable.from_scenario(sc.carriers)
    nominal = carriers.transit_days[0, carriers.band(near_km)]  # the ground service

    created = o["created_h"].to_numpy()
    day = np.floor(created / 24.0).astype(np.int64)
    cutoff = np.array([n.cutoff_h for n in sc.nodes])[near]
    pickup = np.array([[w in n.pickup_days for w in range(7)] for n in sc.nodes], bool)
    first_pickup = first_pickup_day(day, created - 24.0 * day, cutoff, pickup[near],
                                    sc.run.start_weekday)
    shipped_day = np.floor(o["shipped_h"].to_numpy() / 24.0)  # NaN: not shipped
    delivered_day = np.floor(o["delivered_h"].to_numpy() / 24.0)
    ids = np.array([n.id for n in sc.nodes])
    away = (o["node"].to_numpy() != ids[near]) | o["split"].to_numpy(bool)
    short = (o["filled_on_arrival"].fillna(0).to_numpy() < o["units"].to_numpy()) | away

    planned = covered.reindex(o["point"].astype(str)).fillna(False).to_numpy(bool)
    within = np.nan_to_num(delivered_day - day, nan=np.inf) <= days
    late_ship = ~(shipped_day <= first_pickup)  # NaN (not shipped) counts as late
    delayed = np.nan_to_num(delivered_day - shipped_day, nan=np.inf) > nominal
    lost = planned & ~within
    cause = np.select(
        [lost & (first_pickup > day) & (first_pickup + nominal > day + days),
         lost & short,
         lost & o["held"].to_numpy(bool) & late_ship,
         lost & late_ship,
         lost & delayed,
         lost,
         ~planned & within],
        [*LOSSES, GAIN], default="")
    return pd.DataFrame({
        "order": o["order"].to_numpy(), "created_h": created, "day": day,
        "point": o["point"].to_numpy(), "nearest_node": ids[near], "nearest_km": near_km,
        "nominal_transit_days": nominal, "first_pickup_day": first_pickup,
        "shipped_day": shipped_day, "delivered_day": delivered_day, "node": o["node"].to_numpy(),
        "planned": planned, "within": within, "cause": cause,
    })


def gap_decomposition(outcomes: pd.DataFrame, planned_share: float) -> dict[str, float]:
    """Planned and simulated shares (%), the gap (planned minus simulated, percentage
    points) and its parts (`sampling_pp`, one `<loss>_pp` per loss, `outside_plan_pp` <= 0),
    which add up to the gap."""
    n = len(outcomes)
    pct = 100.0 / n if n else math.nan
    planned_pct = 100.0 * planned_share
    simulated = float(outcomes["within"].sum()) * pct
    counts = outcomes["cause"].value_counts()
    out = {
        "planned_pct": planned_pct,
        "planned_on_orders_pct": float(outcomes["planned"].sum()) * pct,
        "simulated_pct": simulated,
        "gap_pp": planned_pct - simulated,
    }
    out["sampling_pp"] = planned_pct - out["planned_on_orders_pct"]
    for loss in LOSSES:
        out[f"{loss}_pp"] = float(counts.get(loss, 0)) * pct
    out[f"{GAIN}_pp"] = -float(counts.get(GAIN, 0)) * pct
    return out


def _crew_utilisation(util: pd.DataFrame, crew: str) -> float:
    rows = util[util["resource"] == crew]
    return float(rows["busy_h"].sum() / rows["available_h"].sum()) if len(rows) else math.nan


def _week_row(network: PlannedNetwork, result: RunResult, week: str) -> dict:
    sc = result.scenario
    warm = sc.run.warmup_days
    outcomes = order_outcomes(result, network.covered(), days=network.days)
    kpis = window_kpis(sc, result.tables, warm, warm + WEEK_DAYS)
    util = _week_utilisation(result)
    return {
        "week": week, "replication": result.replication, "orders": len(outcomes),
        **gap_decomposition(outcomes, network.planned_share),
        "shipped_by_cutoff_pct": kpis["shipped_by_cutoff_pct"],
        "picker_utilisation": _crew_utilisation(util, "pickers"),
        "packer_utilisation": _crew_utilisation(util, "packers"),
        "backorder_pct": kpis["backorder_pct"],
        "click_to_door_p50_days": kpis["click_to_door_p50_days"],
    }


def scale_crews(scenario: Scenario, factor: float) -> Scenario:
    """Picker and packer counts at every node times `factor` (rounded, at least one): a
    seasonal staffing plan."""
    return with_changes(scenario, {
        f"nodes[{i}].resources.{crew}.count":
            max(1, round(factor * getattr(node.resources, crew).count))
        for i, node in enumerate(scenario.nodes) for crew in SIZED_CREWS})


def practice_steps(replications: int = 1, peak_crew_factor: float | None = None) -> int:
    """The simulation runs `practice_runs` makes: the crew-sizing pilot, then each week
    once per replication."""
    return 1 + replications * (len(WEEKS) + (peak_crew_factor is not None))


def practice_runs(network: PlannedNetwork, *, orders_per_day: float = 3000.0,
                  spike_multiplier: float = 3.5, replications: int = 1,
                  target_utilisation: float = 0.75, warmup_days: int = 7,
                  ground_only: bool = True, seed: int | None = None,
                  peak_crew_factor: float | None = None,
                  progress: ProgressArg | StepProgress = True) -> list[tuple[str, RunResult]]:
    """Run the network's normal week and Black Friday week (`spike_multiplier` times the
    normal rate from Black Friday to Cyber Monday) with the same seed and crews, sized to
    `target_utilisation` in the normal week; with `peak_crew_factor`, the Black Friday week
    once more with pickers and packers times that factor (`black_friday_staffed`).
    Returns (week, result) per week and replication. `progress`: a bar (a line per run
    outside a terminal) on stderr, a callback `(runs finished, runs in all)`, or a
    caller's `StepProgress` to advance."""
    own = not isinstance(progress, StepProgress)
    steps = StepProgress(progress, practice_steps(replications, peak_crew_factor),
                         "plan vs practice") if own else progress
    with steps if own else nullcontext(steps) as bar:
        normal = week_scenario(network.scenario, orders_per_day=orders_per_day,
                               warmup_days=warmup_days, days=network.days,
                               ground_only=ground_only, seed=seed)
        normal = size_crews(normal, target_utilisation=target_utilisation,
                            progress=bar.within)
        bar.advance("crews sized (pilot run)")
        black_friday = week_scenario(normal, spike_multiplier=spike_multiplier,
                                     warmup_days=warmup_days, days=network.days,
                                     ground_only=ground_only)
        weeks = [(WEEKS[0], normal), (WEEKS[1], black_friday)]
        if peak_crew_factor is not None:
            weeks.append((STAFFED_WEEK, scale_crews(black_friday, peak_crew_factor)))
        out = []
        for r in range(replications):
            for week, sc in weeks:
                out.append((week, run(sc, r, progress=bar.within)))
                bar.advance(f"{week.replace('_', ' ')} week, replication {r}")
    return out


def practice_table(network: PlannedNetwork, runs: list[tuple[str, RunResult]]
                   ) -> pd.DataFrame:
    """One row per (week, replication): planned and simulated shares (%), the gap's parts
    (percentage points), shipped-by-cut-off %, picker/packer utilisation (0-1)."""
    return pd.DataFrame([_week_row(network, result, week) for week, result in runs])


def plan_vs_practice(region: str = "us", days: int = 2, k: int = 3, *,
                     orders_per_day: float = 3000.0, spike_multiplier: float = 3.5,
                     replications: int = 1, target_utilisation: float = 0.75,
                     warmup_days: int = 7, ground_only: bool = True, seed: int | None = None,
                     scenario_out: Path | None = None, peak_crew_factor: float | None = None,
                     network: PlannedNetwork | None = None, progress: ProgressArg = True
                     ) -> pd.DataFrame:
    """The plan's `days`-day share at `k` sites beside the simulated share in a normal week
    and a Black Friday week (see `practice_runs`), with shipped-by-cut-off %, picker/packer
    utilisation and the gap's parts: one row per week and replication (shares in %, parts
    in percentage points; `network` skips the solve when already planned). `progress`: a
    bar (a line per step outside a terminal) on stderr, or a callback `(steps finished,
    steps in all)`; the steps are the solve (unless `network` is given) and each run."""
    steps = practice_steps(replications, peak_crew_factor) + (network is None)
    with StepProgress(progress, steps, "plan vs practice") as bar:
        if network is None:
            network = plan_network(region, days, k, scenario_out=scenario_out)
            bar.advance(f"coverage plan solved (k = {k})")
        runs = practice_runs(network, orders_per_day=orders_per_day,
                             spike_multiplier=spike_multiplier, replications=replications,
                             target_utilisation=target_utilisation, warmup_days=warmup_days,
                             ground_only=ground_only, seed=seed,
                             peak_crew_factor=peak_crew_factor, progress=bar)
    return practice_table(network, runs)
