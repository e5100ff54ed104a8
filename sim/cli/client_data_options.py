"""Options and reading shared by the commands that take a client's order-lines export."""

from __future__ import annotations

import sys
from pathlib import Path

import typer

from sim.cli.errors import EXIT_BAD_INPUT

__all__ = ["COLUMNS_OPTION", "DROP_BAD_ROWS_OPTION", "TZ_OPTION", "read_orders"]

COLUMNS_OPTION = typer.Option(
    None, "--columns", help="Map our column names to the file's, e.g. "
    "created_at=OrderDate,sku=ItemCode,quantity=Qty.")
TZ_OPTION = typer.Option(None, "--tz", help="Time zone of the business (e.g. Europe/Paris): "
                         "timestamps with an offset are converted to it.")
DROP_BAD_ROWS_OPTION = typer.Option(
    False, "--drop-bad-rows", help="Leave out orders with a bad line (up to 5 % of lines) "
    "instead of stopping; what was dropped is reported.")


def read_orders(path: Path, columns: str | None, tz: str | None, skus: Path | None = None,
                drop_bad_rows: bool = False):
    """Read an order-lines file; on bad input print every problem and exit 2."""
    from sim.client_data import ClientDataError, load_order_lines, parse_column_map

    try:
        data = load_order_lines(path, columns=parse_column_map(columns), tz=tz, skus=skus,
                                drop_bad_rows=drop_bad_rows)
    except (ClientDataError, ValueError, OSError) as err:
        print(f"error: {err}", file=sys.stderr)
        raise typer.Exit(EXIT_BAD_INPUT) from None
    for problem in data.dropped[:10]:
        print(f"dropped: {problem}", file=sys.stderr)
    for note in data.notes:
        print(f"note: {note}", file=sys.stderr)
    return data
