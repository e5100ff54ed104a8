"""Build sim/data/outlines.json, the country outlines the network maps are drawn on (run by
hand; the repository carries the JSON so nothing is fetched at run time).

Source: Natural Earth 1:110m admin-0 countries (public domain), as the shapefile
`naturalearth_lowres` shipped inside the PyPI wheel of geopandas 0.14.4 (BSD-3-Clause; the
dataset left the package in 1.0). Read with pyshp (MIT):

    pip download "geopandas==0.14.4" --no-deps -d /tmp/ne
    pip install "pyshp>=2.3"
    python scripts/build_map_outlines.py /tmp/ne/geopandas-0.14.4-py3-none-any.whl

For each region the file keeps the country's rings inside the map frame (the lower 48 states;
mainland France and Corsica) and, drawn in grey for context, the rings of other countries that
reach into the frame. Coordinates are degrees (lon, lat) rounded to 0.001.
"""

from __future__ import annotations

import argparse
import io
import itertools
import json
import zipfile
from pathlib import Path

OUT = Path(__file__).resolve().parents[1] / "sim" / "data" / "outlines.json"
SHP = "geopandas/datasets/naturalearth_lowres/naturalearth_lowres"
# region: (ISO 3166 alpha-3, frame lon0, lon1, lat0, lat1)
REGIONS = {"us": ("USA", -126.0, -65.0, 23.0, 50.5), "fr": ("FRA", -5.8, 10.0, 41.0, 51.6)}


def _rings(shape) -> list[list[tuple[float, float]]]:
    bounds = [*shape.parts, len(shape.points)]
    return [[(round(x, 3), round(y, 3)) for x, y in shape.points[a:b]]
            for a, b in itertools.pairwise(bounds)]


def _inside(ring, lon0, lon1, lat0, lat1) -> bool:
    x = sum(p[0] for p in ring) / len(ring)
    y = sum(p[1] for p in ring) / len(ring)
    return lon0 <= x <= lon1 and lat0 <= y <= lat1


def _touches(ring, lon0, lon1, lat0, lat1) -> bool:
    xs, ys = [p[0] for p in ring], [p[1] for p in ring]
    return min(xs) <= lon1 and max(xs) >= lon0 and min(ys) <= lat1 and max(ys) >= lat0


def main() -> None:
    """Read the wheel's shapefile, write sim/data/outlines.json."""
    import shapefile  # pyshp, needed only here

    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("wheel", type=Path, help="geopandas-0.14.4-py3-none-any.whl")
    args = ap.parse_args()
    with zipfile.ZipFile(args.wheel) as whl:
        files = {ext: io.BytesIO(whl.read(f"{SHP}.{ext}")) for ext in ("shp", "shx", "dbf")}
    reader = shapefile.Reader(**files, encoding="latin-1")  # as the .cpg says
    countries = [(rec["iso_a3"], _rings(shp)) for rec, shp in
                 zip(reader.records(), reader.shapes(), strict=True)]
    out = {"source": "Natural Earth 1:110m admin-0 countries (public domain), from the "
                     "naturalearth_lowres dataset of the geopandas 0.14.4 wheel",
           "regions": {}}
    for region, (iso, *frame) in REGIONS.items():
        country = [r for code, rings in countries if code == iso for r in rings
                   if _inside(r, *frame)]
        others = [r for code, rings in countries if code != iso for r in rings
                  if _touches(r, *frame)]
        out["regions"][region] = {"frame": frame, "country": country, "neighbours": others}
        print(f"{region}: {len(country)} ring(s), {sum(map(len, country))} points; "
              f"{len(others)} neighbouring ring(s)")
    OUT.write_text(json.dumps(out, separators=(",", ":")) + "\n", encoding="utf-8")
    print(f"wrote {OUT} ({OUT.stat().st_size / 1024:.0f} KB)")


if __name__ == "__main__":
    main()
