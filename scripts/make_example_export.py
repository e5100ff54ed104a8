"""Write the bundled example client export (scenarios/data/): a year of order lines with
returns under a client's column names, and its SKU master, drawn from a known scenario
(`sim.client_data.synthetic.example_truth`) so calibration can be checked against the truth.

    .venv/bin/python scripts/make_example_export.py
"""

from __future__ import annotations

from pathlib import Path

from sim.client_data.synthetic import CLIENT_COLUMNS, example_truth, synthetic_history

OUT = Path(__file__).parents[1] / "scenarios" / "data"


def main() -> None:
    """Write example_orders.csv.gz and example_skus.csv."""
    OUT.mkdir(parents=True, exist_ok=True)
    lines, master = synthetic_history(example_truth())
    lines = lines.rename(columns=CLIENT_COLUMNS)
    lines.to_csv(OUT / "example_orders.csv.gz", index=False,
                 compression={"method": "gzip", "mtime": 0})  # same bytes on every run
    master.to_csv(OUT / "example_skus.csv", index=False)
    print(f"{len(lines):,} order lines, {len(master):,} SKUs -> {OUT}")


if __name__ == "__main__":
    main()
