"""Postcodes to coordinates, offline, from the tables bundled in sim/data (US ZIP codes and
French postcodes; sources and licences in sim/data/postcodes_SOURCES.md)."""

from __future__ import annotations

from functools import cache
from importlib import resources

import numpy as np
import pandas as pd
import pyarrow as pa
import pyarrow.compute as pc

__all__ = ["COUNTRIES", "lookup_postcodes", "normalise_country", "normalise_postcode",
           "place", "postcode_table"]

COUNTRIES = ("US", "FR")
# Country names a client export may carry, normalised (upper case, letters only).
_COUNTRY_NAMES = {
    "US": "US", "USA": "US", "UNITEDSTATES": "US", "UNITEDSTATESOFAMERICA": "US",
    "AMERICA": "US", "ETATSUNIS": "US",
    "FR": "FR", "FRA": "FR", "FRANCE": "FR", "FRANCEMETROPOLITAINE": "FR",
}


@cache
def postcode_table(country: str) -> pd.DataFrame:
    """Bundled table for `country` (US or FR): lat, lon in degrees, indexed by 5-digit postcode."""
    name = {"US": "postcodes_us.csv", "FR": "postcodes_fr.csv"}[country]
    with resources.files("sim").joinpath("data", name).open("rb") as f:
        t = pd.read_csv(f, dtype={"postcode": str}, usecols=["postcode", "lat", "lon"])
    return t.set_index("postcode")


def normalise_country(values: pd.Series) -> pd.Series:
    """ISO code (US, FR) for each country name or code; NaN where not recognised."""
    s = values.astype(object).astype("string").str.upper().str.replace(r"[^A-Z]", "", regex=True)
    return s.map(_COUNTRY_NAMES, na_action="ignore").astype(object)


def normalise_postcode(values: pd.Series, country: pd.Series) -> pd.Series:
    """5-digit postcode: ZIP+4 cut to 5 digits, a leading zero lost in a spreadsheet put back
    (4-digit ZIPs and French postcodes such as 1000 -> 01000), spaces removed."""
    s = values.astype(object).astype("string").str.strip().str.replace(r"\.0+$", "", regex=True)
    s = s.str.replace(r"\s", "", regex=True)
    us = country.eq("US").fillna(False).to_numpy(bool)
    # ZIP+4: 12345-6789 or 123456789
    s = s.where(~us, s.str.replace(r"^(\d{3,5})-\d{4}$", r"\1", regex=True))
    s = s.where(~(us & s.str.fullmatch(r"\d{9}").fillna(False).to_numpy()), s.str[:5])
    short = s.str.fullmatch(r"\d{3,4}").fillna(False).to_numpy()
    return s.where(~short, s.str.zfill(5))


def lookup_postcodes(postcode: pd.Series, country: pd.Series) -> tuple[np.ndarray, np.ndarray]:
    """(lat, lon) in degrees for normalised postcodes and ISO countries; NaN where not found."""
    lat = np.full(len(postcode), np.nan)
    lon = np.full(len(postcode), np.nan)
    for c in COUNTRIES:
        mask = country.eq(c).fillna(False).to_numpy(bool)
        if mask.any():
            found = postcode_table(c).reindex(postcode[mask].astype(object))
            lat[mask] = found["lat"].to_numpy()
            lon[mask] = found["lon"].to_numpy()
    return lat, lon


def _encode(values: pd.Series) -> tuple[np.ndarray, np.ndarray]:
    """(int64 code per value, distinct values as objects with None for blanks), via Arrow."""
    arr = pa.array(values.astype(pd.StringDtype("pyarrow")).array)
    if isinstance(arr, pa.ChunkedArray):
        arr = arr.combine_chunks()
    arr = pc.dictionary_encode(pc.fill_null(arr, ""))
    uniq = np.array([v or None for v in arr.dictionary.to_pylist()], dtype=object)
    return arr.indices.to_numpy(zero_copy_only=False).astype(np.int64), uniq


def place(postcode: pd.Series, country: pd.Series) -> tuple[pd.Series, pd.Series, np.ndarray,
                                                            np.ndarray]:
    """(normalised postcode, ISO country, lat, lon) for each line's raw postcode and country."""
    # Work on the distinct pairs: a large file repeats the same few thousand many times.
    pc_codes, pc_uniq = _encode(postcode)
    c_codes, c_uniq = _encode(country)
    key = pc_codes * len(c_uniq) + c_codes
    inverse, pairs = pd.factorize(key)  # hashing: no sort of a million keys
    iso = normalise_country(pd.Series(c_uniq[pairs % len(c_uniq)]))
    code = normalise_postcode(pd.Series(pc_uniq[pairs // len(c_uniq)]), iso)
    lat, lon = lookup_postcodes(code, iso)
    return (pd.Series(code.to_numpy(object)[inverse], index=postcode.index),
            pd.Series(iso.to_numpy(object)[inverse], index=postcode.index),
            lat[inverse], lon[inverse])
