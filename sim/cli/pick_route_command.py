"""`fulfil pick-route`: picker tours for pick lists in a parallel-aisle layout."""

from __future__ import annotations

import json
from enum import StrEnum
from pathlib import Path
from typing import TYPE_CHECKING

import typer

from optimize.errors import FieldProblem, InvalidInput
from sim.cli.app import app
from sim.cli.errors import at_least, bad_input_exits, input_file, solver_output_to_stderr

if TYPE_CHECKING:
    import numpy as np

    from optimize.pick_routing import Layout, TourResult

__all__ = ["PICK_METHODS", "load_request", "pick_route"]

# optimize.pick_routing.METHODS, spelled out so that `fulfil --help` need not import OR-Tools
# (tests/test_bad_inputs.py checks the two agree)
PICK_METHODS = ("optimal", "s_shape", "return", "midpoint", "largest_gap", "combined", "ortools")
PickMethod = StrEnum("PickMethod", {name: name for name in PICK_METHODS})


def _bool_coordinates(lists: object) -> list[FieldProblem]:
    """JSON true/false where an aisle or a position is expected (Python would take them for
    1 and 0)."""
    if not isinstance(lists, list):
        return []
    return [FieldProblem(f"pick_lists[{i}][{j}][{k}]", "must be a number, not true/false", v)
            for i, pl in enumerate(lists) if isinstance(pl, list)
            for j, pick in enumerate(pl) if isinstance(pick, list)
            for k, v in enumerate(pick) if isinstance(v, bool)]


def load_request(path: Path) -> tuple[Layout, list[np.ndarray]]:
    """Read `{"layout": {...}, "pick_lists": [[[aisle, y], ...], ...]}`; InvalidInput if bad."""
    from optimize.pick_routing import Layout, check_pick_lists

    try:
        data = json.loads(path.read_text())
    except json.JSONDecodeError as err:
        raise InvalidInput(FieldProblem(
            "(file)", f"not valid JSON at line {err.lineno} column {err.colno}", err.msg)) from None
    if not isinstance(data, dict):
        raise InvalidInput(FieldProblem("(root)", "must be an object with layout and pick_lists",
                                        data))
    problems = [FieldProblem(k, "unknown field", data[k]) for k in data
                if k not in ("layout", "pick_lists")]
    problems += [FieldProblem(k, "missing", None) for k in ("layout", "pick_lists")
                 if k not in data]
    layout = None
    try:
        layout = Layout.validated(data.get("layout", {}), prefix="layout")
    except InvalidInput as err:
        problems += [p for p in err.problems if "layout" in data or p.message != "missing"]
    lists = data.get("pick_lists", [])
    if not isinstance(lists, list):
        problems.append(FieldProblem("pick_lists", "must be a list of pick lists", lists))
        lists = []
    arrays = []
    flags = _bool_coordinates(lists)
    problems += flags
    if layout is not None and not flags:
        arrays, list_problems = check_pick_lists(layout, lists)
        problems += list_problems
    if problems:
        raise InvalidInput(problems)
    assert layout is not None
    return layout, arrays


def plot_tour(layout: Layout, tour: TourResult, path: Path) -> None:
    """Draw the layout (aisles, cross aisles, depot), the picks and the tour as a PNG."""
    import matplotlib

    from optimize.pick_routing import tour_path_m

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    w, length = layout.aisle_spacing_m, layout.aisle_length_m
    fig, ax = plt.subplots(figsize=(max(4.0, 0.4 * layout.n_aisles + 2), 6))
    for i in range(layout.n_aisles):
        ax.plot([i * w, i * w], [0, length], color="0.8", lw=4, zorder=1)
    for y in layout.cross_aisle_y_m:
        ax.plot([0, layout.width_m], [y, y], color="0.8", lw=4, zorder=1)
    route_xy = tour_path_m(layout, tour.sequence)
    ax.plot(route_xy[:, 0], route_xy[:, 1], color="tab:blue", lw=1.5, zorder=2,
            label=f"{tour.method}: {tour.length_m:.1f} m")
    seq = tour.sequence
    ax.scatter(seq[:, 0] * w, seq[:, 1], color="tab:red", s=25, zorder=3, label="picks")
    ax.scatter([layout.depot_x_m], [0], marker="s", color="black", s=60, zorder=3, label="depot")
    ax.set_xlabel("x (m)")
    ax.set_ylabel("y (m)")
    ax.set_title("Pick tour of the first pick list")
    ax.legend(loc="upper right", fontsize=8)
    fig.tight_layout()
    fig.savefig(path, dpi=120)
    plt.close(fig)


@app.command("pick-route")
def pick_route(
    request: Path = typer.Argument(..., help="REQUEST.json: {layout: {...}, pick_lists: [...]}.",
                                   callback=input_file),
    method: PickMethod = typer.Option("optimal", "--method", help="Routing method."),
    as_json: bool = typer.Option(False, "--json", help="Print the tours as JSON."),
    plot: Path | None = typer.Option(None, "--plot", help="Draw the first pick list's tour."),
    time_limit: float = typer.Option(1.0, "--time-limit", callback=at_least(0.0),
                                     help="OR-Tools time limit per tour (s)."),
    time_limit_s: float | None = typer.Option(None, "--time-limit-s", hidden=True,
                                              callback=at_least(0.0),
                                              help="Old name of --time-limit."),
) -> None:
    """Pick tours (m) for each pick list by a routing method; JSON, a table and a plot."""
    from rich.console import Console
    from rich.table import Table

    from optimize.pick_routing import route

    with bad_input_exits(str(request)):
        layout, lists = load_request(request)
    limit = time_limit if time_limit_s is None else time_limit_s
    with solver_output_to_stderr(as_json):
        tours = [route(layout, pl, method.value, time_limit_s=limit) for pl in lists]
    if as_json:
        typer.echo(json.dumps({"tours": [t.to_dict() for t in tours]}))
    else:
        table = Table(title=f"pick tours ({method.value})", header_style="bold")
        for col in ("#", "picks", "length (m)", "optimal", "time (ms)", "sequence"):
            table.add_column(col, justify="right" if col != "sequence" else "left")
        for i, t in enumerate(tours):
            seq = " ".join(f"({int(a)},{y:g})" for a, y in t.sequence)
            table.add_row(str(i), str(len(t.sequence)), f"{t.length_m:,.2f}",
                          "yes" if t.optimal else "no", f"{t.time_s * 1e3:.2f}", seq)
        Console().print(table)
    if plot is not None and tours:
        plot_tour(layout, tours[0], plot)
