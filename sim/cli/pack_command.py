"""`fulfil pack`: the cheapest cartons for an order, billed on dimensional weight."""

from __future__ import annotations

import json
import sys
from enum import StrEnum
from pathlib import Path
from typing import TYPE_CHECKING

import typer

from sim.cli.app import app
from sim.cli.errors import at_least, bad_input_exits, input_file, solver_output_to_stderr

if TYPE_CHECKING:
    from optimize.packing import PackingResult

__all__ = ["PACK_METHODS", "pack"]

# optimize.packing.METHODS, spelled out so that `fulfil --help` need not import the solver
PACK_METHODS = ("auto", "exact", "heuristic")
PackMethod = StrEnum("PackMethod", {name: name for name in PACK_METHODS})


@app.command("pack")
def pack(
    request: Path = typer.Argument(..., help="REQUEST.json: {cartons: [...], items: [...], "
                                   "dim_divisor_cm3_per_kg, rate_per_billable_kg}.",
                                   callback=input_file),
    as_json: bool = typer.Option(False, "--json", help="Print the packing as JSON."),
    method: PackMethod = typer.Option("auto", "--method",
                                      help="auto (exact up to 12 units, else heuristic), "
                                      "exact (CP-SAT) or heuristic (extreme points)."),
    time_limit: float = typer.Option(10.0, "--time-limit", callback=at_least(0.0),
                                     help="CP-SAT time limit in seconds."),
) -> None:
    """Pack an order's items into the cheapest cartons (carton cost + rate x billable kg)."""
    from optimize.packing import load_request
    from optimize.packing import pack as pack_order

    with bad_input_exits(str(request)):
        inst = load_request(request)
    with solver_output_to_stderr(as_json):
        result = pack_order(inst, method.value, time_limit_s=time_limit)
    if as_json:
        if result.message and result.status == "infeasible":
            print(result.message, file=sys.stderr)
        typer.echo(json.dumps(result.to_dict()))
    else:
        _print_table(request.name, result)


def _print_table(name: str, r: PackingResult) -> None:
    from rich.console import Console
    from rich.table import Table

    console = Console()
    proven = {"optimal": "proven optimal", "feasible": "not proven optimal"}.get(r.status, "")
    console.print(f"{name}: {r.method} -> {r.status}" + (f" ({proven})" if proven else ""))
    if r.cartons:
        table = Table(header_style="bold")
        for col in ("#", "carton", "items", "actual kg", "billable kg", "fill %", "charge"):
            table.add_column(col, justify="left" if col in ("carton", "items") else "right")
        for i, c in enumerate(r.cartons):
            items = ", ".join(f"{sku} x{n}" for sku, n in c.items.items())
            table.add_row(str(i), c.carton, items, f"{c.actual_kg:,.3f}",
                          f"{c.billable_kg:,.3f}", f"{100 * c.fill_share:.1f}",
                          f"{c.charge:,.2f}")
        console.print(table)
        console.print(f"objective {r.objective:,.4f} (carton costs + rate x billable kg over "
                      f"{len(r.cartons)} cartons)")
        if r.bound == r.bound and not r.optimal:
            console.print(f"bound     {r.bound:,.4f}   gap {100 * r.gap:.2f} %")
    console.print(f"time {r.time_s:.2f} s" + ("   (time limit hit)" if r.time_limit_hit else ""))
    if r.message:
        console.print(r.message, markup=False)
