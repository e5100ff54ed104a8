"""The `fulfil` Typer application; command modules register themselves on `app`."""

from __future__ import annotations

import typer

app = typer.Typer(
    name="fulfil",
    help="Fulfilment workbench: simulate (SimPy) and optimise (OR-Tools) order fulfilment.",
    no_args_is_help=True,
    add_completion=False,
    pretty_exceptions_enable=False,
)
