"""The staffing model: data, integer coefficients, and the evaluation of a plan.

The model (a fluid backlog per station, one day in two periods):

- Each day d of the plan, labour-hours of work arrive at station s: `pre_h[d]` from orders
  confirmed before the cut-off, `post_h[d]` after it (full-speed hours, the forecast at the
  stated probability's quantile, `quantile_work`).
- A worked day's capacity before the carrier pickup is cap1 = P * h1 + sum over temp
  bookings (a, b) covering d of x_ab * rho(d - a) * h1 + overtime o1[d]; after it, cap2 the
  same with h2 and o2[d]. P is the permanent head count per shift (the same every worked
  day), x_ab the temps booked from day a to before day b (ramping on the learning curve
  rho), h1/h2 the worker-hours a head works before/after pickup (times the share present).
- Backlog: R[d] = max(0, B[d-1] + pre[d] - cap1[d]) is left at pickup; on a pickup day it
  must be 0 (every order confirmed before the cut-off, and the backlog, leave that day).
  B[d] = max(0, R[d] + post[d] - cap2[d]) carries into the next day.
- Overtime: o1[d] <= P * (overtime hours a head can add before pickup), o2 the same after
  (only the permanent crew works overtime); whole hours.
- Cost: wage per paid hour (permanent and temps on every worked day of their booking, the
  temps at the agency premium) plus overtime at its premium. A temp starts no earlier than
  the hiring lead time after day 0.

Everything is in integers (work and capacity in 1/SCALE labour-hours rounded in the
conservative direction, cost in cents), so the CP-SAT solver and the enumeration solve the
same problem exactly.
"""

from __future__ import annotations

import math
from dataclasses import dataclass, field

import numpy as np
from scipy import stats

from optimize.errors import FieldProblem, InvalidInput
from optimize.result import SolverResult

__all__ = ["SCALE", "StaffingPlan", "StaffingProblem", "StationLoad", "evaluate",
           "quantile_work"]

SCALE = 100  # work and capacity in 1/100 labour-hours
CENTS = 100


def quantile_work(mean_orders: np.ndarray, hours_per_order: float, probability: float
                  ) -> np.ndarray:
    """Labour-hours of work at the `probability` quantile of Poisson order counts with the
    given means (one per period), at `hours_per_order` hours each."""
    mean = np.asarray(mean_orders, float)
    q = stats.poisson.ppf(probability, np.maximum(mean, 0.0))
    return np.where(mean > 0, q, 0.0) * hours_per_order


@dataclass(frozen=True)
class StationLoad:
    """One station (a node's crew) over the plan's days: its work (labour-hours at full
    speed, per day before and after the cut-off), when it works and ships, and its hours."""

    name: str
    pre_h: tuple[float, ...]
    post_h: tuple[float, ...]
    works: tuple[bool, ...]  # the crew works that day
    ships: tuple[bool, ...]  # a pickup day: its cut-off's work must be done by the pickup
    hours_before_pickup: float  # worker-hours a head works on a worked day before pickup
    hours_after_pickup: float
    overtime_before_h: float = 0.0  # overtime hours a permanent head may add before pickup
    overtime_after_h: float = 0.0
    max_permanent: int = 0  # 0: derived from the work (`upper_bounds`)
    max_temps: int = 0  # per booking; 0: derived
    hiring_lead_days: int = 0
    start_share: float = 1.0  # learning curve of the temps
    ramp_days: float = 0.0
    presence: float = 1.0  # share of the booked heads present (1 - absenteeism)

    def __post_init__(self) -> None:
        n = len(self.pre_h)
        problems = [FieldProblem(f"{self.name}.{f}", f"needs one value per day ({n})",
                                 len(getattr(self, f)))
                    for f in ("post_h", "works", "ships") if len(getattr(self, f)) != n]
        for f in ("pre_h", "post_h"):
            bad = [v for v in getattr(self, f) if not (math.isfinite(v) and v >= 0)]
            if bad:
                problems.append(FieldProblem(f"{self.name}.{f}", "must be finite and >= 0",
                                             bad[0]))
        if not 0 < self.start_share <= 1:
            problems.append(FieldProblem(f"{self.name}.start_share", "must be in (0, 1]",
                                         self.start_share))
        if not 0 <= self.presence <= 1:
            problems.append(FieldProblem(f"{self.name}.presence", "must be in [0, 1]",
                                         self.presence))
        if problems:
            raise InvalidInput(problems)

    @property
    def days(self) -> int:
        """Days in the plan."""
        return len(self.pre_h)

    def productivity(self, days_in: int) -> float:
        """A temp's share of full speed `days_in` days after its start."""
        if self.ramp_days <= 0 or days_in >= self.ramp_days:
            return 1.0
        return self.start_share + (1.0 - self.start_share) * days_in / self.ramp_days


@dataclass(frozen=True)
class StaffingProblem:
    """Stations to staff and the prices: wage per paid hour (currency), the overtime and
    agency premiums on it (0.5: +50 %), and the longest temp booking (days; None: any)."""

    stations: tuple[StationLoad, ...]
    wage: float
    overtime_premium: float = 0.5
    agency_premium: float = 0.3
    max_booking_days: int | None = None

    def __post_init__(self) -> None:
        problems = []
        if not self.stations:
            problems.append(FieldProblem("stations", "needs at least one station", 0))
        elif len({s.days for s in self.stations}) > 1:
            problems.append(FieldProblem("stations", "must all cover the same days",
                                         sorted({s.days for s in self.stations})))
        for f in ("wage", "overtime_premium", "agency_premium"):
            v = getattr(self, f)
            if not (math.isfinite(v) and v >= 0):
                problems.append(FieldProblem(f, "must be finite and >= 0", v))
        if problems:
            raise InvalidInput(problems)

    @property
    def days(self) -> int:
        """Days in the plan."""
        return self.stations[0].days


@dataclass(frozen=True)
class Coefficients:
    """A station's integer data: work and capacity in 1/SCALE hours, cost in cents."""

    pre: list[int]
    post: list[int]
    works: list[bool]
    ships: list[bool]
    h1: int  # a permanent head's capacity before pickup on a worked day
    h2: int
    ot1: int  # overtime a head may add before pickup, 1/SCALE hours
    ot2: int
    bookings: list[tuple[int, int]]  # (a, b): temps from day a to before day b
    ramp1: dict[tuple[int, int], int]  # (a, d) -> a temp's capacity before pickup on day d
    ramp2: dict[tuple[int, int], int]
    max_p: int
    max_t: int
    perm_cost: int  # cents per permanent head per worked day
    temp_cost: int  # cents per temp per worked day
    ot_cost: int  # cents per overtime hour


def upper_bounds(st: StationLoad, h1: int, h2: int, pre: list[int], post: list[int]
                 ) -> tuple[int, int]:
    """Head counts no optimum exceeds in practice: enough for three days' work in one day."""
    work = np.asarray(pre) + np.asarray(post)
    three = max((int(work[max(0, d - 2):d + 1].sum()) for d in range(len(work))), default=0)
    per_head = max(h1, 1)
    need = -(-three // per_head) + 1
    return (st.max_permanent or need), (st.max_temps or need)


def coefficients(problem: StaffingProblem, st: StationLoad) -> Coefficients:
    """The integer form of a station (conservative roundings: work up, capacity down)."""
    n = st.days
    pre = [math.ceil(v * SCALE - 1e-9) for v in st.pre_h]
    post = [math.ceil(v * SCALE - 1e-9) for v in st.post_h]
    h1 = math.floor(st.hours_before_pickup * st.presence * SCALE + 1e-9)
    h2 = math.floor(st.hours_after_pickup * st.presence * SCALE + 1e-9)
    # Without a learning curve a booking of several days has the capacity and cost of
    # one-day bookings on its worked days, so those alone lose nothing (and tighten the
    # model); with one, a longer booking keeps its practised temps.
    longest = 1 if st.ramp_days <= 0 or st.start_share >= 1 else (problem.max_booking_days
                                                                   or n)
    bookings = [(a, b) for a in range(st.hiring_lead_days, n) if st.works[a]
                for b in range(a + 1, min(n, a + longest) + 1) if st.works[b - 1]]
    starts = {a for a, _ in bookings}
    ramp1, ramp2 = {}, {}
    for a in starts:
        for d in range(a, n):
            rho = st.productivity(d - a)
            ramp1[a, d] = math.floor(rho * st.hours_before_pickup * st.presence * SCALE + 1e-9)
            ramp2[a, d] = math.floor(rho * st.hours_after_pickup * st.presence * SCALE + 1e-9)
    max_p, max_t = upper_bounds(st, h1, h2, pre, post)
    day_h = st.hours_before_pickup + st.hours_after_pickup
    return Coefficients(
        pre=pre, post=post, works=list(st.works), ships=list(st.ships), h1=h1, h2=h2,
        ot1=round(st.overtime_before_h * SCALE), ot2=round(st.overtime_after_h * SCALE),
        bookings=bookings, ramp1=ramp1, ramp2=ramp2, max_p=max_p, max_t=max_t,
        perm_cost=round(problem.wage * day_h * CENTS),
        temp_cost=round(problem.wage * (1 + problem.agency_premium) * day_h * CENTS),
        ot_cost=round(problem.wage * (1 + problem.overtime_premium) * CENTS))


@dataclass(frozen=True)
class StationDays:
    """A station's plan evaluated day by day (hours; cost in cents)."""

    feasible: bool
    cost: int
    temps: list[int]
    temps_new: list[int]
    capacity: list[int]  # 1/SCALE hours, both periods with overtime
    backlog: list[int]  # carried into the next day, 1/SCALE hours
    cost_by_day: list[int]


def evaluate(c: Coefficients, permanent: int, bookings: dict[tuple[int, int], int],
             ot1: list[int], ot2: list[int]) -> StationDays:
    """A station's plan checked against the model: feasible (every pickup day clears and
    overtime within its caps) and its cost, with the day-by-day numbers."""
    n = len(c.pre)
    ok = permanent >= 0 and all(v >= 0 for v in (*ot1, *ot2, *bookings.values()))
    temps, new, cap, back, cost = [0] * n, [0] * n, [0] * n, [0] * n, [0] * n
    carried = 0
    for d in range(n):
        worked = c.works[d]
        if not worked and (ot1[d] or ot2[d]):
            ok = False
        if ot1[d] * SCALE > permanent * c.ot1 or ot2[d] * SCALE > permanent * c.ot2:
            ok = False
        cap1 = cap2 = 0
        # temps count while booked (a weekend inside a booking too), work on worked days
        for (a, b), x in bookings.items():
            if x and a <= d < b:
                temps[d] += x
                if worked:
                    cap1 += x * c.ramp1[a, d]
                    cap2 += x * c.ramp2[a, d]
        new[d] = sum(x for (a, _b), x in bookings.items() if a == d)
        if worked:
            cap1 += permanent * c.h1 + ot1[d] * SCALE
            cap2 += permanent * c.h2 + ot2[d] * SCALE
            cost[d] = (permanent * c.perm_cost + temps[d] * c.temp_cost
                       + (ot1[d] + ot2[d]) * c.ot_cost)
        left = max(0, carried + c.pre[d] - cap1)
        if c.ships[d] and left > 0:
            ok = False
        carried = max(0, left + c.post[d] - cap2)
        cap[d], back[d] = cap1 + cap2, carried
    return StationDays(ok, sum(cost), temps, new, cap, back, cost)


@dataclass(frozen=True, kw_only=True)
class StaffingPlan(SolverResult):
    """The plan: per station, permanent heads per shift, temp bookings (start day, end day
    exclusive, count), overtime hours per day before and after pickup; `objective` is its
    cost (currency) and `rows` the day-by-day table (hours, currency)."""

    stations: tuple[str, ...] = ()
    permanent: tuple[int, ...] = ()
    bookings: tuple[tuple[tuple[int, int, int], ...], ...] = ()
    overtime_h: tuple[tuple[int, ...], ...] = ()
    rows: tuple[dict, ...] = field(default=(), repr=False)


def plan_rows(problem: StaffingProblem, coeffs: list[Coefficients], permanent: list[int],
              bookings: list[dict[tuple[int, int], int]], ot1: list[list[int]],
              ot2: list[list[int]]) -> tuple[int, tuple[dict, ...]]:
    """Total cost (cents) and one row per day and station of a plan."""
    rows, total = [], 0
    for st, c, p, bk, o1, o2 in zip(problem.stations, coeffs, permanent, bookings, ot1, ot2,
                                    strict=True):
        ev = evaluate(c, p, bk, o1, o2)
        total += ev.cost
        for d in range(st.days):
            rows.append({"day": d, "station": st.name,
                         "permanent": p if st.works[d] else 0,
                         "temps": ev.temps[d], "temps_new": ev.temps_new[d],
                         "overtime_h": float(o1[d] + o2[d]),
                         "capacity_h": ev.capacity[d] / SCALE,
                         "workload_h": (c.pre[d] + c.post[d]) / SCALE,
                         "backlog_h": ev.backlog[d] / SCALE,
                         "cost": ev.cost_by_day[d] / CENTS})
    order = {s.name: i for i, s in enumerate(problem.stations)}
    rows.sort(key=lambda r: (r["day"], order[r["station"]]))
    return total, tuple(rows)
