"""What "served" means: a distance threshold, or a carrier's transit-day bands plus a cut-off."""

from __future__ import annotations

import math
from dataclasses import dataclass

import numpy as np
from numpy.typing import ArrayLike

from optimize.errors import FieldProblem, InvalidInput
from optimize.geo import distance_matrix_km

__all__ = [
    "COVER_TOLERANCE_KM",
    "ServiceLevel",
    "TransitBand",
    "TransitBands",
    "road_distance_matrix_km",
    "service_levels",
]

# A point at exactly the threshold is covered; this absorbs floating-point noise in the
# haversine (a micrometre), never a real shortfall.
COVER_TOLERANCE_KM = 1e-9


@dataclass(frozen=True)
class TransitBand:
    """Shipments travelling at most `max_km` (road km; `inf` for the open last band) take
    `days` transit days."""

    max_km: float
    days: int


@dataclass(frozen=True)
class TransitBands:
    """A carrier service's transit days by distance band, in increasing `max_km`; the
    simulation's carriers read the same definition (`upper_bounds_km`, `transit_days`)."""

    bands: tuple[TransitBand, ...]

    def __post_init__(self) -> None:
        problems = []
        if not self.bands:
            problems.append(FieldProblem("bands", "at least one band is needed", []))
        for i, b in enumerate(self.bands):
            if not (b.max_km > 0):
                problems.append(FieldProblem(f"bands[{i}].max_km", "must be > 0", b.max_km))
            if int(b.days) != b.days or b.days < 0:
                problems.append(FieldProblem(f"bands[{i}].days", "must be an integer >= 0",
                                             b.days))
            if i and not b.max_km > self.bands[i - 1].max_km:
                problems.append(FieldProblem(f"bands[{i}].max_km", "bands must increase",
                                             b.max_km))
            if i and b.days < self.bands[i - 1].days:
                problems.append(FieldProblem(f"bands[{i}].days", "days must not decrease "
                                             "with distance", b.days))
        if problems:
            raise InvalidInput(problems)

    @classmethod
    def from_pairs(cls, pairs: list[tuple[float, int]] | tuple[tuple[float, int], ...]
                   ) -> TransitBands:
        """From (max_km, days) pairs."""
        return cls(tuple(TransitBand(float(km), int(d)) for km, d in pairs))

    @classmethod
    def from_carrier(cls, upper_bounds_km: list[float], transit_days: list[int]
                     ) -> TransitBands:
        """From a scenario's `distance_bands_km` (upper bounds; the last band is open) and a
        service's `transit_days` (one more value than bounds)."""
        if len(transit_days) != len(upper_bounds_km) + 1:
            raise InvalidInput(FieldProblem("transit_days", f"needs {len(upper_bounds_km) + 1}"
                                            " values (one per band)", transit_days))
        return cls.from_pairs([*zip([*upper_bounds_km, math.inf], transit_days, strict=True)])

    @classmethod
    def parse(cls, text: str) -> TransitBands:
        """From text `250:1,650:2,inf:5` (max_km:days, comma-separated)."""
        pairs, problems = [], []
        for i, part in enumerate(p for p in text.split(",") if p.strip()):
            try:
                km, days = part.split(":")
                pairs.append((float(km), int(days)))
            except ValueError:
                problems.append(FieldProblem(f"bands[{i}]", "expected max_km:days", part))
        if problems:
            raise InvalidInput(problems)
        return cls.from_pairs(pairs)

    @classmethod
    def ground_us(cls) -> TransitBands:
        """US parcel ground: 1 day to 400 km, 2 to 965 (600 miles), 3 to 1,600, 4 to 2,250,
        else 5 (about parcel zones 2-3, 4, 5, 6, 7-8; the `ground` service of
        scenarios/us_two_node_black_friday.yaml)."""
        return cls.from_carrier([400.0, 965.0, 1600.0, 2250.0], [1, 2, 3, 4, 5])

    @classmethod
    def ground_fr(cls) -> TransitBands:
        """French parcel standard: 1 day to 150 km, 2 to 700, else 3 (the `standard` service
        of scenarios/fr_one_node.yaml)."""
        return cls.from_carrier([150.0, 400.0, 700.0], [1, 2, 2, 3])

    @property
    def upper_bounds_km(self) -> list[float]:
        """Band upper bounds in km without the open last band (a scenario's
        `distance_bands_km`)."""
        return [b.max_km for b in self.bands if math.isfinite(b.max_km)]

    @property
    def transit_days(self) -> list[int]:
        """Transit days per band, the open last band included when present."""
        return [b.days for b in self.bands]

    def days_for(self, distance_km: ArrayLike) -> np.ndarray:
        """Transit days for each distance (km); `inf` beyond the last closed band."""
        d = np.asarray(distance_km, float)
        bounds = np.array([b.max_km for b in self.bands]) + COVER_TOLERANCE_KM
        days = np.array([b.days for b in self.bands] + [math.inf], float)
        return days[np.searchsorted(bounds, d, side="left")]

    def reach_km(self, days: float) -> float:
        """Farthest distance (km) delivered within `days` transit days; 0 when none is."""
        within = [b.max_km for b in self.bands if b.days <= days]
        return max(within, default=0.0)


@dataclass(frozen=True)
class ServiceLevel:
    """A share of each point's weight counts as served when a chosen site is within
    `radius_km`."""

    radius_km: float
    share: float


def service_levels(*, max_km: float | None = None, bands: TransitBands | None = None,
                   days: float | None = None, cutoff_share: float = 1.0
                   ) -> tuple[ServiceLevel, ...]:
    """Coverage radii with the weight share each serves.

    Either `max_km` (one level), or `bands` with `days`: orders placed before the cut-off
    (`cutoff_share` of them) ship the same day and need transit <= `days`; the rest ship
    the next day and need transit <= `days` - 1. This is the simulation's "delivered within
    N days of the order" on a day with a pickup."""
    problems = []
    if (max_km is None) == (bands is None):
        problems.append(FieldProblem("service", "give either max_km or bands with days",
                                     {"max_km": max_km, "bands": bands}))
    if max_km is not None and not (max_km > 0 and math.isfinite(max_km)):
        problems.append(FieldProblem("max_km", "must be a finite number > 0", max_km))
    if bands is not None and (days is None or not days >= 0):
        problems.append(FieldProblem("days", "must be >= 0 with bands", days))
    if not 0.0 <= cutoff_share <= 1.0:
        problems.append(FieldProblem("cutoff_share", "must be in [0, 1]", cutoff_share))
    if problems:
        raise InvalidInput(problems)
    if max_km is not None:
        return (ServiceLevel(float(max_km), 1.0),)
    assert bands is not None and days is not None
    levels = [ServiceLevel(bands.reach_km(days), cutoff_share),
              ServiceLevel(bands.reach_km(days - 1), 1.0 - cutoff_share)]
    return tuple(lv for lv in levels if lv.share > 0 and lv.radius_km > 0)


def road_distance_matrix_km(lat_points: ArrayLike, lon_points: ArrayLike, lat_sites: ArrayLike,
                            lon_sites: ArrayLike, circuity: float = 1.0) -> np.ndarray:
    """Matrix [point, site] of road km: great-circle km times a circuity factor (>= 1; about
    1.2 for US roads)."""
    if not (circuity >= 1.0 and math.isfinite(circuity)):
        raise InvalidInput(FieldProblem("circuity", "must be a finite number >= 1", circuity))
    return circuity * distance_matrix_km(lat_points, lon_points, lat_sites, lon_sites)
