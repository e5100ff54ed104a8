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
    errors = scenario.inventory.forecast_errors
    if errors is not None and not errors.is_file():
        problems.append(FieldProblem("inventory.forecast_errors", "no such file", str(errors)))
    if scenario.demand.orders_file is not None:
        problems.extend(_replay_problems(scenario, known))
    if any(n.storage is not None for n in scenario.nodes):
        problems.extend(_storage_problems(scenario))
    if problems:
        raise InvalidInput(problems)


def _replay_problems(scenario: Scenario, known: set[str]) -> list[FieldProblem]:
    """SKUs and services of a replayed file that the scenario does not have."""
    from sim.replay import read_replay_file

    lines = read_replay_file(scenario.demand).lines
    out = []
    checks = [("sku", known, "skus.items")]
    if "service" in lines.columns:
        checks.append(("service", {s.name for s in scenario.demand.service_levels},
                       "demand.service_levels"))
    for column, names, where in checks:
        given = lines[column].dropna().astype(str)
        missing = sorted(set(given.unique()) - names)
        if missing:
            share = 100.0 * given.isin(missing).mean()
            out.append(FieldProblem(
                "demand.orders_file",
                f"{len(missing)} {column} values ({share:.1f} % of lines) are not in {where}: "
                f"{', '.join(missing[:5])}{', ...' if len(missing) > 5 else ''} "
                "(fulfil calibrate writes a scenario that lists them)",
                str(scenario.demand.orders_file)))
    return out


def _storage_problems(scenario: Scenario) -> list[FieldProblem]:
    """Carried SKUs that fit no storage location type of their node (sim.storage), for the
    first replication's catalogue."""
    from sim.demand import build_catalogue
    from sim.storage import scenario_storage_problems
    from sim.streams import Streams

    cat = build_catalogue(scenario, Streams(scenario.run.seed, 0))
    return scenario_storage_problems(scenario, cat)
