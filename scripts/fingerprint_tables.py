"""Fingerprint every table column of every bundled scenario, to prove a refactor changes
nothing (or only the columns it means to).

    .venv/bin/python scripts/fingerprint_tables.py --out before.json
    (change the code)
    .venv/bin/python scripts/fingerprint_tables.py --out after.json --compare before.json

Each column is hashed row by row (pandas' `hash_pandas_object`), so equal hashes mean equal
values bit for bit; `--compare` lists the columns whose hash changed, per scenario and table.
"""

from __future__ import annotations

import argparse
import hashlib
import json
import sys
from pathlib import Path

import pandas as pd

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from sim.api import run  # noqa: E402
from sim.scenario import load_scenario  # noqa: E402


def column_hash(col: pd.Series) -> str:
    """sha256 of a column's per-row hashes (index ignored)."""
    h = pd.util.hash_pandas_object(col.reset_index(drop=True), index=False).to_numpy()
    return hashlib.sha256(h.tobytes()).hexdigest()[:16]


def fingerprint(path: Path, days: int | None) -> dict[str, dict[str, str]]:
    """{table: {column: hash}} for one scenario's replication 0."""
    sc = load_scenario(path)
    if days is not None and days < sc.run.horizon_days:
        sc = sc.model_copy(update={"run": sc.run.model_copy(update={"horizon_days": days})})
    res = run(sc)
    out = {name: {c: column_hash(df[c]) for c in df.columns} | {"__rows__": str(len(df))}
           for name, df in res.tables.items()}
    out["summary"] = {"json": hashlib.sha256(json.dumps(res.summary, sort_keys=True,
                                                        default=str).encode()).hexdigest()[:16]}
    return out


def main() -> None:
    """Fingerprint the bundled scenarios; optionally compare with an earlier file."""
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--out", required=True, type=Path)
    ap.add_argument("--compare", type=Path)
    ap.add_argument("--days", type=int, default=None, help="cap each horizon (days)")
    ap.add_argument("--only", nargs="*", default=None, help="scenario file stems")
    args = ap.parse_args()
    paths = sorted((ROOT / "scenarios").glob("*.yaml"))
    if args.only:
        paths = [p for p in paths if p.stem in args.only]
    result = {}
    for p in paths:
        print(f"{p.stem} ...", file=sys.stderr, flush=True)
        result[p.stem] = fingerprint(p, args.days)
    args.out.write_text(json.dumps(result, indent=1, sort_keys=True))
    if args.compare:
        before = json.loads(args.compare.read_text())
        same = True
        for sc, tables in result.items():
            for t, cols in tables.items():
                old = before.get(sc, {}).get(t, {})
                for c in sorted(set(cols) | set(old)):
                    if cols.get(c) != old.get(c):
                        same = False
                        print(f"{sc}.{t}.{c}: {old.get(c)} -> {cols.get(c)}")
        print("identical" if same else "differs")


if __name__ == "__main__":
    main()
