"""The `fulfil` Typer application; command modules register themselves on `app`."""

from __future__ import annotations

from importlib.metadata import PackageNotFoundError, version

import typer

from sim.cli.errors import SuggestingGroup

DISTRIBUTION = "fulfilment-workbench"

app = typer.Typer(
    name="fulfil",
    help="Fulfilment workbench: simulate (SimPy) and optimise (OR-Tools) order fulfilment.",
    no_args_is_help=True,
    add_completion=False,
    pretty_exceptions_enable=False,
    cls=SuggestingGroup,
)


def package_version() -> str:
    """The installed version of the workbench (`unknown` when run from an uninstalled tree)."""
    try:
        return version(DISTRIBUTION)
    except PackageNotFoundError:
        return "unknown"


def _print_version(value: bool) -> None:
    if value:
        typer.echo(f"fulfil {package_version()}")
        raise typer.Exit()


@app.callback()
def _main(
    _version: bool = typer.Option(False, "--version", callback=_print_version, is_eager=True,
                                  help="Print the version and exit."),
) -> None:
    """Fulfilment workbench: simulate (SimPy) and optimise (OR-Tools) order fulfilment."""
