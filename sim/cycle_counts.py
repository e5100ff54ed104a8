"""The stock record against the shelf, record drift, and the cycle counts that correct it.

A node's stock array (`on_hand`) is its record: what routing and allocation believe. The
shelf holds `on_hand - lost - misplaced` per location (one location per SKU at the node):
drift events take a unit off the shelf and not off the record, as shrinkage or damage
(`lost`: gone) or misplacement (`misplaced`: a count finds it again). Every other stock
move (allocation, put-away, restock) changes record and shelf alike, so only drift,
counts and pick exceptions move the gap.

Drift is a Poisson process of `drift_per_location_day` events per location and day (an
event at an empty shelf takes nothing). A pick that needs more than the shelf holds is an
exception: the record is set to the shelf (the gap written off) and the order waits for
stock as a backorder; with `on_discrepancy` a count of the location is queued. A cycle
count of a location (every A/B/C days by its demand class, at COUNT_HOUR, on the
counting crew) finds its misplaced units and writes off the lost ones: record = shelf.

The model behind the count frequency: with Poisson drift at rate l per location-day and a
count every T days that restores exactness, a location is exact from a count until the
next drift event, so the expected share of time it is in error is
1 - (1 - e^{-lT}) / (lT) (about lT/2 for small lT); with a share of locations under
each T, the network's share in error is the mix of these.
"""

from __future__ import annotations

import math
from typing import TYPE_CHECKING

import numpy as np

from sim.accuracy import location_frame, log_of
from sim.record import TimeWeighted
from sim.scenario import Accuracy
from sim.streams import Sampler

if TYPE_CHECKING:
    from sim.node import NodeSim

__all__ = ["COUNT_HOUR", "ShelfRecord", "abc_classes", "expected_error_share_counted"]

COUNT_HOUR = 7.0  # counts are issued after the morning's stock review
S_TO_H = 1.0 / 3600.0


def expected_error_share_counted(rate_per_day: float, interval_days: float) -> float:
    """Expected time-average share of locations in error, Poisson drift at `rate_per_day`
    per location, a count every `interval_days` restoring exactness."""
    x = rate_per_day * interval_days
    return 0.0 if x == 0 else 1.0 - (1.0 - math.exp(-x)) / x


def abc_classes(popularity: np.ndarray, a_share: float, b_share: float) -> np.ndarray:
    """ABC class per SKU (0 A, 1 B, 2 C) by its share of order lines: A the most popular
    SKUs making the first `a_share` of lines, B the next up to `b_share`, C the rest."""
    order = np.argsort(-popularity, kind="stable")
    before = np.cumsum(popularity[order]) - popularity[order]  # share of the more popular
    total = popularity.sum() or 1.0
    cls = np.where(before < a_share * total, 0, np.where(before < b_share * total, 1, 2))
    out = np.empty(len(popularity), np.int64)
    out[order] = cls
    return out


class ShelfRecord:
    """One node's shelf against its record: drift, pick exceptions and cycle counts."""

    def __init__(self, node: NodeSim, spec: Accuracy) -> None:
        self.node, self.spec = node, spec
        net = node.net
        n = len(node.on_hand)
        self.lost = np.zeros(n, np.int64)
        self.misplaced = np.zeros(n, np.int64)
        self.rng = net.streams[f"accuracy.drift.{node.id}"]
        self.in_error = TimeWeighted()  # locations whose record is not the shelf
        self.since = np.full(n, np.nan)  # in error since (h), from the KPI window's start
        self.error_h = np.zeros(n)  # hours in error within the KPI window
        self.counts = np.zeros(n, np.int64)
        self.warm_h = 24.0 * net.scenario.run.warmup_days
        cc = spec.cycle_counts
        self.cls = (abc_classes(net.catalogue.popularity, cc.a_demand_share, cc.b_demand_share)
                    if cc is not None else np.full(n, 2))
        self.locations = np.zeros(0, np.int64)
        if cc is not None:
            self.station = next(s for s in node.stations if s.name == f"{node.id}.{cc.crew}")
            self.count_h = Sampler(net.streams[f"accuracy.count.{node.id}"], cc.s_per_location,
                                   S_TO_H)
            self.queued: set[int] = set()
        node.env.process(self._start())

    def gap(self, s: int) -> int:
        """Units the record shows and the shelf does not hold, at SKU `s`."""
        return int(self.lost[s] + self.misplaced[s])

    def _start(self):
        # The locations are the SKUs the node carries, known once the network is built.
        self.locations = np.flatnonzero(self.node.net.view.carries[self.node.index])
        if len(self.locations) and self.spec.drift_per_location_day > 0:
            self.node.env.process(self._drift())
        if self.spec.cycle_counts is not None and len(self.locations):
            self.node.env.process(self._cycle_counts())
        if self.warm_h > 0:
            yield self.node.env.timeout(self.warm_h)
        self.error_h[:] = 0.0  # the window starts: in-error times count from here
        self.since[~np.isnan(self.since)] = self.node.env.now

    # ------------------------------------------------------------ drift
    def _drift(self):
        env, rng, locs = self.node.env, self.rng, self.locations
        mean_gap_h = 24.0 / (self.spec.drift_per_location_day * len(locs))
        shrink, damage = self.spec.shrinkage_share, self.spec.damage_share
        log = log_of(self.node.net.record)
        while True:
            yield env.timeout(rng.exponential(mean_gap_h))
            s = int(locs[rng.integers(len(locs))])
            u = rng.random()
            if self.node.on_hand[s] - self.gap(s) <= 0:
                continue  # nothing on the shelf to lose
            kind = "shrinkage" if u < shrink else "damage" if u < shrink + damage \
                else "misplaced"
            was = self.gap(s)
            if kind == "misplaced":
                self.misplaced[s] += 1
            else:
                self.lost[s] += 1
            if not was:
                self._error_starts(s)
            log.drift.append((env.now, self.node.index, s, kind))

    def _error_starts(self, s: int) -> None:
        now = self.node.env.now
        self.in_error.move(now, 1)
        self.since[s] = now

    def _error_ends(self, s: int) -> None:
        now = self.node.env.now
        self.in_error.move(now, -1)
        if now > self.warm_h:
            self.error_h[s] += now - max(self.since[s], self.warm_h)
        self.since[s] = np.nan

    # ------------------------------------------------------------ picks and counts
    def check(self, s: int, need: int) -> None:
        """A pick needs `need` units of SKU `s`: if the shelf holds fewer than that and the
        record more, it is an exception and the record is set to the shelf."""
        gap = self.gap(s)
        if gap and self.node.on_hand[s] - gap < need:
            self._correct(s, "exception", found=False, hours=0.0)
            if self.spec.cycle_counts is not None and self.spec.cycle_counts.on_discrepancy:
                self._queue_count(s, "discrepancy")

    def _correct(self, s: int, reason: str, found: bool, hours: float) -> None:
        """Set the record to the shelf: a count finds misplaced units back (`found`); an
        exception writes them off with the lost ones."""
        node = self.node
        record = int(node.on_hand[s])
        back = int(self.misplaced[s]) if found else 0
        off = min(self.gap(s) - back, record)
        if off:
            node.on_hand[s] = record - off
            node._stock_moved(s, -off)
        if self.gap(s):
            self._error_ends(s)
        self.lost[s] = self.misplaced[s] = 0
        self.counts[s] += 1
        log_of(node.net.record).counts.append(
            (node.env.now, node.index, s, reason, "ABC"[self.cls[s]], record,
             record - off, off, back, hours))

    def _queue_count(self, s: int, reason: str) -> None:
        if s in self.queued:
            return
        self.queued.add(s)
        hours = self.count_h()
        self.station.submit(hours, lambda _job: self._counted(s, reason, hours), ("count", s))

    def _counted(self, s: int, reason: str, hours: float) -> None:
        self.queued.discard(s)
        self._correct(s, reason, found=True, hours=hours)

    def _cycle_counts(self):
        cc, env = self.spec.cycle_counts, self.node.env
        locs = self.locations
        interval = np.array([cc.a_days, cc.b_days, cc.c_days])[self.cls[locs]]
        # spread each class's counts evenly over its interval: the k-th location of a class
        # is counted on days k, k + T, k + 2T, ... (mod T)
        phase = np.zeros(len(locs), np.int64)
        for k, days in enumerate((cc.a_days, cc.b_days, cc.c_days)):
            mine = self.cls[locs] == k
            phase[mine] = np.arange(mine.sum()) % days
        day = 0
        while True:
            t = 24.0 * day + COUNT_HOUR
            if t > self.node.net.horizon_h:
                return
            yield env.timeout(t - env.now)
            for s in locs[day % interval == phase].tolist():
                self._queue_count(s, "cycle")
            day += 1

    # ------------------------------------------------------------ end of the run
    def close(self) -> None:
        """Log every location's end state (record, shelf, gap, hours in error in the KPI
        window) to the run's accuracy log."""
        node, now = self.node, self.node.env.now
        locs = self.locations
        open_ = ~np.isnan(self.since[locs])
        err = self.error_h[locs].copy()
        err[open_] += np.maximum(now - np.maximum(self.since[locs][open_], self.warm_h), 0.0)
        record = node.on_hand[locs].astype(np.int64)
        gap = self.lost[locs] + self.misplaced[locs]
        log_of(node.net.record).locations.append(location_frame(node.index, locs, {
            "abc": np.array(list("ABC"))[self.cls[locs]], "record": record,
            "physical": record - gap, "lost": self.lost[locs],
            "misplaced": self.misplaced[locs], "error_h": err,
            "window_h": np.full(len(locs), max(now - self.warm_h, 0.0)),
            "counts": self.counts[locs]}))
