"""`fulfil pick-route`: picker tours for pick lists in a parallel-aisle layout."""

from __future__ import annotations

import json
from pathlib import Path

import numpy as np
import typer
from rich.console import Console
from rich.table import Table

from optimize.errors import FieldProblem, InvalidInput
from optimize.pick_routing import METHODS, Layout, TourResult, check_pick_lists, route, tour_path_m
from sim.cli.app import app
from sim.cli.errors import bad_input_exits

__all__ = ["load_request", "pick_route"]


def load_request(path: Path) -> tuple[Layout, list[np.ndarray]]:
    """Read `{"layout": {...}, "pick_lists": [[[aisle, y], ...], ...]}`; InvalidInput if bad."""
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
    if layout is not None:
        arrays, list_problems = check_pick_lists(layout, lists)
        problems += list_problems
    if problems:
        raise InvalidInput(problems)
    assert layout is not None
    return layout, arrays


def plot_tour(layout: Layout, tour: TourResult, path: Path) -> None:
    """Draw the layout (aisles, cross aisles, depot), the picks and the tour as a PNG."""
    import matplotlib

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
    request: Path = typer.Argument(..., help="REQUEST.json: {layout: {...}, pick_lists: [...]}."),
    method: str = typer.Option("optimal", "--method", help=f"One of: {', '.join(METHODS)}."),
    as_json: bool = typer.Option(False, "--json", help="Print the tours as JSON."),
    plot: Path | None = typer.Option(None, "--plot", help="Draw the first pick list's tour."),
    time_limit_s: float = typer.Option(1.0, "--time-limit-s",
                                       help="OR-Tools time limit per tour (s)."),
) -> None:
    """Pick tours (m) for each pick list by a routing method; JSON, a table and a plot."""
    with bad_input_exits(str(request)):
        if method not in METHODS:
            raise InvalidInput(FieldProblem("--method", f"must be one of {', '.join(METHODS)}",
                                            method))
        layout, lists = load_request(request)
    tours = [route(layout, pl, method, time_limit_s=time_limit_s) for pl in lists]
    if as_json:
        typer.echo(json.dumps({"tours": [t.to_dict() for t in tours]}))
    else:
        table = Table(title=f"pick tours ({method})", header_style="bold")
        for col in ("#", "picks", "length (m)", "optimal", "time (ms)", "sequence"):
            table.add_column(col, justify="right" if col != "sequence" else "left")
        for i, t in enumerate(tours):
            seq = " ".join(f"({int(a)},{y:g})" for a, y in t.sequence)
            table.add_row(str(i), str(len(t.sequence)), f"{t.length_m:,.2f}",
                          "yes" if t.optimal else "no", f"{t.time_s * 1e3:.2f}", seq)
        Console().print(table)
    if plot is not None and tours:
        plot_tour(layout, tours[0], plot)
