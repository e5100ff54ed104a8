"""`fulfil calibrate ORDERS [--skus SKUS] [--template BASE.yaml] --out SCENARIO.yaml
[--report DIR]`."""

from __future__ import annotations

import json
import sys
from dataclasses import asdict
from pathlib import Path

import typer

from sim.cli.app import app
from sim.cli.client_data_options import COLUMNS_OPTION, DROP_BAD_ROWS_OPTION, TZ_OPTION, read_orders
from sim.cli.errors import at_least, bad_input_exits, existing_file, input_file

__all__ = ["calibrate"]


@app.command("calibrate")
def calibrate(
    orders: Path = typer.Argument(..., callback=existing_file,
                                  help="Order-lines file (CSV, Parquet or .xlsx): order_id, "
                                  "created_at, sku, quantity, lat/lon or postcode/country."),
    out: Path = typer.Option(..., "--out", help="Scenario YAML to write (its demand points "
                             "go beside it as <name>.points.csv)."),
    skus: Path | None = typer.Option(None, "--skus", callback=existing_file,
                                     help="SKU master: sku, weight_kg, length_cm, width_cm, "
                                     "height_cm, unit_cost, category."),
    template: Path | None = typer.Option(None, "--template", callback=input_file,
                                         help="Scenario whose network, carriers and costs to "
                                         "keep (default: the bundled US or France one, by "
                                         "where customers are)."),
    report: Path | None = typer.Option(None, "--report", help="Folder for fitted-vs-observed "
                                       "plots and the table of fitted values."),
    horizon_days: int | None = typer.Option(None, "--horizon-days", callback=at_least(1),
                                            help="Run length of the scenario (default: the "
                                            "template's)."),
    replay: bool = typer.Option(False, "--replay", help="Also replay the file's orders "
                                "(demand.orders_file) instead of drawing new ones."),
    columns: str | None = COLUMNS_OPTION,
    tz: str | None = TZ_OPTION,
    drop_bad_rows: bool = DROP_BAD_ROWS_OPTION,
    as_json: bool = typer.Option(False, "--json", help="Print the fitted values as JSON."),
) -> None:
    """Fit a scenario to a client's order history: rate, trend, profiles, spikes, baskets,
    SKUs, returns, services and customers."""
    from sim.calibrate import calibrate as fit
    from sim.calibrate import template_region
    from sim.calibrate.report import write_report
    from sim.calibrate.write import write_calibration
    from sim.client_data import parse_column_map
    from sim.coverage import template_scenario
    from sim.scenario import load_scenario, read_yaml_mapping

    data = read_orders(orders, columns, tz, skus, drop_bad_rows)
    if template is not None:
        with bad_input_exits(str(template)):
            load_scenario(template)  # a template must be a scenario that runs
            base = read_yaml_mapping(template)
    else:
        base = template_scenario(template_region(data.lines))
    with bad_input_exits("calibrated scenario"):
        cal = fit(data, base, horizon_days, replay=replay)
        # A replay scenario reads the file as this command did.
        written = write_calibration(cal, out, orders.name, orders if replay else None,
                                    columns=parse_column_map(columns), tz=tz)
    if report is not None:
        written += write_report(cal, report)
    if as_json:
        print(json.dumps({"scenario": str(out), "written": [str(p) for p in written],
                          "fitted": [asdict(f) for f in cal.fitted], "notes": cal.notes},
                         default=str))
        return
    print(cal.table().to_string(index=False, max_colwidth=70))
    for note in cal.notes:
        print(f"note: {note}")
    print("wrote " + ", ".join(str(p) for p in written), file=sys.stderr)

