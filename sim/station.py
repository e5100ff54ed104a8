"""A crewed work station: a first-come-first-served multi-server queue whose server count
follows a shift calendar, overtime while work waits, and disruptions.

Jobs run as SimPy timeouts with a completion callback rather than one process per job:
the same queueing behaviour as `simpy.Resource` with a fraction of the events, which is
what lets a month of 100k orders a day run in minutes.
"""

from __future__ import annotations

import math
from collections import deque
from collections.abc import Callable

import numpy as np
import simpy

from sim.scenario import Crew

__all__ = ["Station", "crew_schedule", "flex_workers", "shift_change_points",
           "temp_hours_by_day"]


def _shift_blocks(crew: Crew, horizon_days: int, start_weekday: int):
    """Each worked (day, shift): its day, shift number, start and end (h), the permanent
    head count and the temps on it as (count, days since their start)."""
    for day in range(horizon_days + 1):
        if (day + start_weekday) % 7 not in crew.days:
            continue
        for j, (start, end) in enumerate(crew.shifts):
            temps = [(t.count, day - t.start_day) for t in crew.temps
                     if t.start_day <= day < t.end_day and t.shift in (None, j)]
            yield day, j, 24.0 * day + start, 24.0 * day + end, crew.count, temps


def crew_schedule(crew: Crew, horizon_days: int, start_weekday: int,
                  rng: np.random.Generator | None = None
                  ) -> list[tuple[float, int, int, float]]:
    """Times (h) at which the crew changes, each with the head count then scheduled (paid),
    the number present (less absentees, drawn from `rng` when `crew.absent_share` > 0) and
    their mean productivity (share of full speed, temps on their learning curve)."""
    heads: dict[float, int] = {}
    present: dict[float, int] = {}
    speed: dict[float, float] = {}  # present workers x productivity
    for _day, _j, t0, t1, perm, temps in _shift_blocks(crew, horizon_days, start_weekday):
        n = perm + sum(c for c, _ in temps)
        work = float(perm) + sum(c * crew.learning.productivity(k) for c, k in temps)
        here = n
        if crew.absent_share > 0 and rng is not None and n:
            here = n - int(rng.binomial(n, crew.absent_share))
            work *= here / n  # absentees are as likely new as trained
        for t, sign in ((t0, 1), (t1, -1)):
            heads[t] = heads.get(t, 0) + sign * n
            present[t] = present.get(t, 0) + sign * here
            speed[t] = speed.get(t, 0.0) + sign * work
    points: list[tuple[float, int, int, float]] = []
    level, level_present, level_speed = 0, 0, 0.0
    for t in sorted(heads):
        if heads[t] or present[t] or speed[t]:
            level += heads[t]
            level_present += present[t]
            level_speed += speed[t]
            prod = level_speed / level_present if level_present else 1.0
            prod = 1.0 if abs(prod - 1.0) < 1e-9 else prod  # no drift from float sums
            points.append((t, level, level_present, prod))
    if not points or points[0][0] > 0.0:
        points.insert(0, (0.0, 0, 0, 1.0))
    return points


def shift_change_points(crew: Crew, horizon_days: int, start_weekday: int
                        ) -> list[tuple[float, int]]:
    """Times (h) at which the scheduled head count changes, with the new head count."""
    return [(t, level) for t, level, _, _ in crew_schedule(crew, horizon_days, start_weekday)]


def temp_hours_by_day(crew: Crew, horizon_days: int, start_weekday: int) -> np.ndarray:
    """Paid temp worker-hours on each day of the run (agency-billed, absent or not)."""
    out = np.zeros(horizon_days + 1)
    for day, _j, t0, t1, _perm, temps in _shift_blocks(crew, horizon_days, start_weekday):
        out[day] += (t1 - t0) * sum(c for c, _ in temps)
    return out[:horizon_days]


class Station:
    """FCFS queue served by a crew on shifts; records busy, staffed and overtime hours."""

    def __init__(self, env: simpy.Environment, name: str, crew: Crew, horizon_days: int,
                 start_weekday: int = 0, rng: np.random.Generator | None = None):
        self.env = env
        self.name = name
        self.overtime_max_h = crew.overtime_max_h
        self.queue: deque = deque()
        self.busy = 0
        self.scheduled = 0  # head count on shift now
        self.present = 0  # of them, not absent
        self.productivity = 1.0  # mean share of full speed of those present (job times / it)
        self.factor = 1.0  # disruptions: share of the crew able to work
        self.overtime = 0  # workers kept past their shift end
        self.lent = 0  # own workers working at another station (cross-training)
        self.borrowed = 0  # another station's workers working here
        self.capacity = 0  # workers able to take a job now
        self._overtime_id = 0  # invalidates stale overtime timers
        # Worker-hours integrated exactly from the start to `_last_t`; `_account` brings them
        # up to now before any level changes, and `hours` before anyone reads them.
        self.busy_h = 0.0
        self.staffed_h = 0.0  # paid scheduled worker-hours
        self.available_h = 0.0  # worker-hours able to work (after disruptions, with overtime)
        self.overtime_h = 0.0
        self.jobs_done = 0
        self.units_inside = 0  # units in the queue and in service (for conservation)
        self.running: set[simpy.Event] = set()  # jobs in service
        self._last_t = 0.0
        self._points = crew_schedule(crew, horizon_days, start_weekday, rng)
        env.process(self._calendar())

    # ------------------------------------------------------------ capacity
    def _set_capacity(self) -> None:
        own = math.floor(self.present * self.factor + 1e-9)
        self.capacity = max(0, own - self.lent) + self.borrowed + self.overtime

    def _account(self) -> None:
        now = self.env.now
        dt = now - self._last_t
        if dt > 0:
            self.staffed_h += dt * self.scheduled
            self.available_h += dt * self.capacity
            self.busy_h += dt * self.busy
            self.overtime_h += dt * self.overtime
            self._last_t = now

    def hours(self) -> tuple[float, float, float, float]:
        """(staffed, overtime, busy, available) worker-hours from the start up to now."""
        self._account()
        return self.staffed_h, self.overtime_h, self.busy_h, self.available_h

    def _calendar(self):
        for t, level, present, productivity in self._points:
            if t > self.env.now:
                yield self.env.timeout(t - self.env.now)
            self._account()
            leaving = self.present - present
            self._end_overtime()
            if leaving > 0 and self.queue and self.overtime_max_h > 0 and self.factor > 0:
                self._start_overtime(leaving)
            self.scheduled, self.present, self.productivity = level, present, productivity
            self._set_capacity()
            self._start_jobs()

    def _start_overtime(self, workers: int) -> None:
        self.overtime = workers
        self._set_capacity()
        self._overtime_id += 1
        token = self._overtime_id
        timer = self.env.timeout(self.overtime_max_h)
        timer.callbacks.append(lambda _ev: self._overtime_timer(token))

    def _overtime_timer(self, token: int) -> None:
        if token == self._overtime_id:
            self._account()
            self._end_overtime()

    def _end_overtime(self) -> None:
        # Callers have brought the hours up to now.
        if self.overtime:
            self.overtime = 0
            self._set_capacity()
            self._overtime_id += 1

    def set_factor(self, factor: float) -> None:
        """Share of the crew able to work (1 normal, 0 outage, 0.5 a capacity cut)."""
        self._account()
        self.factor = factor
        self._set_capacity()
        if factor == 0:
            self._end_overtime()
        self._start_jobs()

    def own_idle(self) -> int:
        """Own workers present and free now (neither busy nor lent out)."""
        own = math.floor(self.present * self.factor + 1e-9) - self.lent
        return max(0, min(own, own + self.borrowed + self.overtime - self.busy))

    def lend(self, workers: int) -> None:
        """Send `workers` own workers elsewhere (negative: they come back)."""
        self._account()
        self.lent += workers
        self._set_capacity()
        self._start_jobs()

    def borrow(self, workers: int) -> None:
        """Take `workers` from another station (negative: they go back)."""
        self._account()
        self.borrowed += workers
        self._set_capacity()
        self._start_jobs()

    # ------------------------------------------------------------ jobs
    def submit(self, duration_h: float, on_done: Callable[[object], None], job: object,
               units: int = 0) -> None:
        """Queue a job taking `duration_h` hours and holding `units` units; `on_done(job)`
        runs when it completes."""
        self.units_inside += units
        self.queue.append((duration_h, on_done, job, units))
        if self.busy < self.capacity:
            self._start_jobs()

    def _start_jobs(self) -> None:
        if not self.queue or self.busy >= self.capacity:
            return
        self._account()
        env = self.env
        while self.queue and self.busy < self.capacity:
            duration_h, on_done, job, units = self.queue.popleft()
            self.busy += 1
            ev = env.timeout(duration_h / self.productivity, (on_done, job, units))
            ev.callbacks.append(self._finish)
            self.running.add(ev)

    def _finish(self, ev: simpy.Event) -> None:
        self._account()
        self.running.discard(ev)
        self.busy -= 1
        self.jobs_done += 1
        on_done, job, units = ev.value
        self.units_inside -= units
        on_done(job)
        if self.overtime and not self.queue:
            self._end_overtime()
        self._start_jobs()

    def close(self) -> None:
        """Bring the hour counters up to the current time (call at the end of a run)."""
        self._account()
        self._end_overtime()

    def jobs(self) -> list[object]:
        """The jobs in the station now: waiting in the queue, then in service."""
        return [q[2] for q in self.queue] + [ev.value[1] for ev in self.running]

    @property
    def waiting(self) -> int:
        """Jobs waiting in the queue."""
        return len(self.queue)


def flex_workers(env: simpy.Environment, src: Station, dst: Station, count: int,
                 threshold: int, check_h: float):
    """SimPy process: while `dst` has more than `threshold` jobs waiting, up to `count` idle
    workers of `src` work at `dst`; they return when its queue is empty or when `src` has
    fewer workers present than it lent (their shift ended), checked every `check_h` hours."""
    lent = 0
    while True:
        present = math.floor(src.present * src.factor + 1e-9)
        back = lent - min(lent, present) if dst.waiting else lent
        if back:
            src.lend(-back)
            dst.borrow(-back)
            lent -= back
        if dst.waiting > threshold and lent < count:
            move = min(count - lent, src.own_idle())
            if move:
                src.lend(move)
                dst.borrow(move)
                lent += move
        yield env.timeout(check_h)
