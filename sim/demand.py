"""The SKU catalogue and the whole horizon's orders, drawn up front in numpy blocks.

Demand is exogenous to fulfilment decisions, so it is drawn once per replication from its
own streams: every strategy run on the same seed sees the very same orders.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, timedelta

import numpy as np
import pandas as pd

from sim.scenario import Scenario
from sim.streams import Streams, draw, draw_count

__all__ = [
    "Catalogue",
    "OrderBook",
    "build_catalogue",
    "day_zero",
    "draw_services",
    "generate_orders",
    "order_book",
    "rate_per_hour",
    "sku_ids",
]


@dataclass(frozen=True)
class Catalogue:
    """SKU attributes as arrays indexed by SKU number."""

    ids: np.ndarray  # str
    popularity: np.ndarray  # share of order lines, sums to 1
    weight_kg: np.ndarray
    cube_m3: np.ndarray
    unit_value: np.ndarray
    category: np.ndarray  # index into category_names
    category_names: tuple[str, ...]
    return_rate: np.ndarray  # per SKU, from its category

    @property
    def n(self) -> int:
        """Number of SKUs."""
        return len(self.ids)


def sku_ids(scenario: Scenario) -> np.ndarray:
    """SKU ids: the explicit list's, or SKU000.. numbered by popularity rank."""
    if scenario.skus.items is not None:
        return np.array([s.id for s in scenario.skus.items])
    n = scenario.skus.generator.count
    width = len(str(n - 1))
    return np.array([f"SKU{i:0{width}d}" for i in range(n)])


def build_catalogue(scenario: Scenario, streams: Streams) -> Catalogue:
    """SKUs from the scenario's explicit list or generator."""
    skus = scenario.skus
    cats = skus.categories
    names = tuple(c.name for c in cats)
    rates = np.array([c.return_rate for c in cats])
    if skus.items is not None:
        items = skus.items
        pop = np.array([s.popularity for s in items], float)
        cat = np.array([names.index(s.category) for s in items])
        return Catalogue(
            ids=np.array([s.id for s in items]),
            popularity=pop / pop.sum(),
            weight_kg=np.array([s.weight_kg for s in items], float),
            cube_m3=np.array([s.cube_m3 for s in items], float),
            unit_value=np.array([s.unit_value for s in items], float),
            category=cat,
            category_names=names,
            return_rate=rates[cat],
        )
    gen = skus.generator
    rng = streams["skus"]
    n = gen.count
    pop = 1.0 / np.arange(1, n + 1) ** gen.zipf_s  # SKU 0 is the fastest mover
    shares = np.array([c.share for c in cats], float)
    cat = rng.choice(len(cats), size=n, p=shares / shares.sum())
    return Catalogue(
        ids=sku_ids(scenario),
        popularity=pop / pop.sum(),
        weight_kg=np.maximum(draw(rng, gen.weight_kg, n), 0.01),
        cube_m3=np.maximum(draw(rng, gen.cube_m3, n), 1e-5),
        unit_value=draw(rng, gen.unit_value, n),
        category=cat,
        category_names=names,
        return_rate=rates[cat],
    )


def rate_per_hour(scenario: Scenario, t_h: np.ndarray) -> np.ndarray:
    """Expected orders per hour at times `t_h` (hours from the start of the run)."""
    d = scenario.demand
    t_h = np.asarray(t_h, float)
    day = np.floor(t_h / 24.0)
    hour = np.floor(t_h % 24.0).astype(int)
    intraday = np.asarray(d.intraday_profile) / np.sum(d.intraday_profile)
    weekday = np.asarray(d.weekday_profile) / np.mean(d.weekday_profile)
    wd = ((day + scenario.run.start_weekday) % 7).astype(int)
    rate = d.orders_per_day * intraday[hour] * weekday[wd]
    rate = rate * (1.0 + d.trend_per_year) ** (t_h / (24.0 * 365.0))
    if d.annual_profile is not None:
        annual = np.asarray(d.annual_profile) / np.mean(d.annual_profile)
        rate = rate * annual[_calendar_month(scenario, day)]
    t_days = t_h / 24.0
    for s in d.spikes:
        inside = (t_days >= s.start_day) & (t_days < s.start_day + s.duration_days)
        rate = np.where(inside, rate * s.multiplier, rate)
    return rate


# With no run.start_date, day 0 is dated in the week of Monday 2024-01-01, on the weekday
# the run starts, so an exported history keeps its weekday pattern.
_EPOCH_MONDAY = date(2024, 1, 1)


def day_zero(start_date: date | None, start_weekday: int) -> date:
    """Calendar date of the run's day 0."""
    return start_date if start_date is not None else _EPOCH_MONDAY + timedelta(start_weekday)


def _calendar_month(scenario: Scenario, day: np.ndarray) -> np.ndarray:
    """Month (0 = January) of each run day."""
    start = np.datetime64(day_zero(scenario.run.start_date, scenario.run.start_weekday), "D")
    dates = start + np.asarray(day, np.int64).astype("timedelta64[D]")
    return dates.astype("datetime64[M]").astype(np.int64) % 12


@dataclass(frozen=True)
class OrderBook:
    """Every order of the horizon, sorted by creation time; lines in CSR layout."""

    created_h: np.ndarray
    ready_h: np.ndarray  # verified and confirmed: routing may start
    cancelled: np.ndarray  # bool: rejected at payment/fraud review
    held: np.ndarray  # bool: held for review
    point: np.ndarray  # demand point index (customer location)
    service: np.ndarray  # service level index
    line_start: np.ndarray  # lines of order i are line_start[i]:line_start[i+1]
    line_sku: np.ndarray
    line_qty: np.ndarray

    @property
    def n(self) -> int:
        """Number of orders."""
        return len(self.created_h)

    def append(self, created_h: float, point: int, service: int, sku: np.ndarray,
               qty: np.ndarray) -> int:
        """Add an order made during the run (an exchange, sim.returns_cost) at the end of the
        book, ready at once; its index. The book is frozen against stray edits, not this one:
        everything that holds it sees the order."""
        for name, value in (("created_h", created_h), ("ready_h", created_h),
                            ("cancelled", False), ("held", False), ("point", point),
                            ("service", service)):
            old = getattr(self, name)
            object.__setattr__(self, name, np.append(old, np.asarray(value, old.dtype)))
        object.__setattr__(self, "line_start", np.append(
            self.line_start, np.asarray(self.line_start[-1] + len(sku), self.line_start.dtype)))
        object.__setattr__(self, "line_sku", np.append(self.line_sku, np.asarray(
            sku, self.line_sku.dtype)))
        object.__setattr__(self, "line_qty", np.append(self.line_qty, np.asarray(
            qty, self.line_qty.dtype)))
        return self.n - 1

    def lines(self, i: int) -> tuple[np.ndarray, np.ndarray]:
        """(SKU indices, quantities) of order `i`."""
        a, b = self.line_start[i], self.line_start[i + 1]
        return self.line_sku[a:b], self.line_qty[a:b]

    def units_per_order(self) -> np.ndarray:
        """Units in each order."""
        return np.add.reduceat(self.line_qty, self.line_start[:-1]) if self.n else np.zeros(0)

    def to_frame(self) -> pd.DataFrame:
        """One row per order line (order, created_h, sku, qty)."""
        order = np.repeat(np.arange(self.n), np.diff(self.line_start))
        return pd.DataFrame({"order": order, "created_h": self.created_h[order],
                             "sku": self.line_sku, "qty": self.line_qty})


def _arrival_times(scenario: Scenario, rng: np.random.Generator) -> np.ndarray:
    # Piecewise-constant rate per hour (spikes split at hour starts): a Poisson count per
    # hour and uniform times inside it is an exact non-homogeneous Poisson process.
    n_hours = 24 * scenario.run.horizon_days
    starts = np.arange(n_hours, dtype=float)
    counts = rng.poisson(rate_per_hour(scenario, starts))
    times = np.repeat(starts, counts) + rng.random(int(counts.sum()))
    return np.sort(times)


def _merge_duplicate_lines(order: np.ndarray, sku: np.ndarray, qty: np.ndarray
                           ) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    # A customer's basket holds a SKU once: lines drawn twice become one line.
    idx = np.lexsort((sku, order))
    order, sku, qty = order[idx], sku[idx], qty[idx]
    first = np.ones(len(order), bool)
    first[1:] = (order[1:] != order[:-1]) | (sku[1:] != sku[:-1])
    starts = np.flatnonzero(first)
    return order[starts], sku[starts], np.add.reduceat(qty, starts)


def generate_orders(scenario: Scenario, catalogue: Catalogue, point_weights: np.ndarray,
                    streams: Streams) -> OrderBook:
    """Draw every order of the horizon: times, baskets, destinations, services, checks."""
    d = scenario.demand
    created = _arrival_times(scenario, streams["demand.arrivals"])
    n = len(created)
    rng = streams["demand.baskets"]
    n_lines = draw_count(rng, d.lines_per_order, n)
    order = np.repeat(np.arange(n), n_lines)
    sku = rng.choice(catalogue.n, size=len(order), p=catalogue.popularity)
    qty = draw_count(rng, d.units_per_line, len(order))

    w = np.asarray(point_weights, float)
    point = streams["demand.destinations"].choice(len(w), size=n, p=w / w.sum())
    service = draw_services(scenario, n, streams)
    return order_book(scenario, created, point, service, order, sku, qty, streams)


def draw_services(scenario: Scenario, n: int, streams: Streams) -> np.ndarray:
    """Service level index of `n` orders, drawn by the scenario's shares."""
    shares = np.array([s.share for s in scenario.demand.service_levels])
    return streams["demand.services"].choice(len(shares), size=n, p=shares / shares.sum())


def order_book(scenario: Scenario, created: np.ndarray, point: np.ndarray,
               service: np.ndarray, order: np.ndarray, sku: np.ndarray, qty: np.ndarray,
               streams: Streams) -> OrderBook:
    """Orders (sorted by `created`, hours) and their lines (order number, SKU index, units)
    into an order book, with the payment and fraud checks drawn for each order."""
    n = len(created)
    order, sku, qty = _merge_duplicate_lines(order, sku, qty)
    line_start = np.zeros(n + 1, np.int64)
    np.cumsum(np.bincount(order, minlength=n), out=line_start[1:])
    v = scenario.demand.verification
    rng = streams["demand.verification"]
    held = rng.random(n) < v.hold_share
    review_h = np.where(held, draw(rng, v.review_time_h, n), 0.0)
    cancelled = held & (rng.random(n) < v.reject_share_of_held)
    ready = created + v.check_time_min / 60.0 + review_h
    return OrderBook(created_h=created, ready_h=ready, cancelled=cancelled, held=held,
                     point=point, service=service, line_start=line_start,
                     line_sku=sku.astype(np.int64), line_qty=qty)
