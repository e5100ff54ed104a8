"""Command line: `fulfil validate|run|pick-route|route-orders|safety-stock|coverage|pack ...`."""

from __future__ import annotations

from sim.cli.app import app

# Each module registers its commands on `app` when imported; `fulfil --help` lists them in
# this order, so the imports keep it rather than the alphabetical one.
# isort: off
from sim.cli import scenario_commands
from sim.cli import pick_route_command
from sim.cli import route_orders_command
from sim.cli import safety_stock_command
from sim.cli import coverage_command
from sim.cli import sweep_command
from sim.cli import compare_command
from sim.cli import calibrate_command
from sim.cli import forecast_command
from sim.cli import pack_command
from sim.cli import staff
# isort: on

__all__ = ["COMMAND_MODULES", "app", "main"]

COMMAND_MODULES = (scenario_commands, pick_route_command, route_orders_command,
                   safety_stock_command, coverage_command, sweep_command, compare_command,
                   calibrate_command, forecast_command, pack_command, staff)


def main() -> None:
    """Entry point of the `fulfil` console script."""
    app()
