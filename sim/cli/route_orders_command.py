"""`fulfil route-orders`: route a batch of orders over nodes (exact, LP bound or greedy)."""

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
    from optimize.order_routing import RoutingResult

__all__ = ["route_orders"]


class Method(StrEnum):
    """Which routing method the command runs."""

    optimal = "optimal"
    greedy = "greedy"
    lp = "lp"


@app.command("route-orders")
def route_orders(
    instance: Path = typer.Argument(..., help="Instance JSON: nodes, orders, cost.",
                                    callback=input_file),
    as_json: bool = typer.Option(False, "--json", help="Print the result as JSON."),
    method: Method = typer.Option(Method.optimal, "--method",
                                  help="optimal (MIP), greedy (myopic) or lp (relaxation bound)."),
    time_limit: float = typer.Option(60.0, "--time-limit", callback=at_least(0.0),
                                     help="Solver time limit in seconds."),
) -> None:
    """Decide which node ships which order: shipments, unfilled units, cost and bound."""
    from optimize.order_routing import greedy, load_instance, lp_bound, solve

    with bad_input_exits(str(instance)):
        inst = load_instance(instance)
    with solver_output_to_stderr(as_json):
        if method is Method.optimal:
            result = solve(inst, time_limit_s=time_limit)
        elif method is Method.lp:
            result = lp_bound(inst, time_limit_s=time_limit)
        else:
            result = greedy(inst)
    if as_json:
        if result.message and result.status in ("infeasible", "unknown"):
            print(result.message, file=sys.stderr)
        typer.echo(json.dumps(result.to_dict()))
    else:
        typer.echo(_summary(inst.name or instance.name, result))


def _summary(name: str, r: RoutingResult) -> str:
    units_by_node: dict[str, int] = {}
    for s in r.shipments:
        units_by_node[s.node] = units_by_node.get(s.node, 0) + sum(s.units.values())
    gap = "n/a" if r.gap != r.gap else f"{100 * r.gap:.3f} %"
    lines = [
        f"{name}: {r.method} -> {r.status}",
        f"  objective  {r.objective:,.2f}" if r.objective == r.objective else "  objective  n/a",
        f"  bound      {r.bound:,.2f}   gap {gap}" if r.bound == r.bound else "  bound      n/a",
        f"  shipments  {len(r.shipments)}   split orders {r.split_orders}",
        f"  unfilled   {sum(u.units for u in r.unfilled)} units on {len(r.unfilled)} lines",
        f"  time       {r.time_s:.2f} s" + ("   (time limit hit)" if r.time_limit_hit else ""),
    ]
    lines += [f"    {node:<16} {units:>8} units" for node, units in sorted(units_by_node.items())]
    if r.message:
        lines.append(f"  {r.message}")
    return "\n".join(lines)
