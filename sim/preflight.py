"""Checks that need more than the schema (data files, SKU references), run before a run."""

from __future__ import annotations

from typing import TYPE_CHECKING

from optimize.errors import FieldProblem, InvalidInput

if TYPE_CHECKING:
    from sim.scenario import Scenario

__all__ = ["preflight"]


def preflight(scenario: Scenario) -> None:
    """Raise InvalidInput naming every field that refers to data that is not there."""
    # imported here: the CLI imports this module at start-up, these pull in numpy, pandas
    # and OR-Tools
    from optimize.pick_routing import METHODS
    from sim.demand import sku_ids
    from sim.geography_source import demand_points_for

    problems = []
    for i, node in enumerate(scenario.nodes):
        if node.picking.routing not in METHODS:
            problems.append(FieldProblem(f"nodes[{i}].picking.routing",
                                         f"must be one of {', '.join(METHODS)}",
                                         node.picking.routing))
    known = set(sku_ids(scenario).tolist())
    for field in ("order_up_to", "reorder_point"):
        for node, per_sku in (getattr(scenario.inventory, field) or {}).items():
            for sku in per_sku:
                if sku not in known:
                    problems.append(FieldProblem(f"inventory.{field}.{node}.{sku}",
                                                 "unknown SKU id", sku))
    try:
        points = demand_points_for(scenario.geography)
    except InvalidInput as err:
        problems.extend(err.problems)
    else:
        if len(points) == 0 or float(points["weight"].sum()) <= 0:
            problems.append(FieldProblem("geography", "demand points need a positive total "
                                         "weight", len(points)))
    if problems:
        raise InvalidInput(problems)
