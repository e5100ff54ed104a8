"""Command line: `fulfil validate|run|pick-route|route-orders|safety-stock|coverage ...`."""

from __future__ import annotations

import importlib

from sim.cli.app import app

__all__ = ["app", "main"]

# Each module registers its commands on `app` when imported.
_COMMAND_MODULES = (
    "sim.cli.scenario_commands",
    "sim.cli.pick_route_command",
    "sim.cli.route_orders_command",
    "sim.cli.safety_stock_command",
    "sim.cli.coverage_command",
    "sim.cli.sweep_command",
    "sim.cli.compare_command",
)

for _name in _COMMAND_MODULES:
    importlib.import_module(_name)


def main() -> None:
    """Entry point of the `fulfil` console script."""
    app()
