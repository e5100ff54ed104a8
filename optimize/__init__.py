"""OR-Tools solvers as plain functions; knows nothing of SimPy or the scenario schema."""

from optimize.errors import FieldProblem, InvalidInput
from optimize.geo import distance_matrix_km, haversine_km
from optimize.options import SolveOptions
from optimize.result import InvalidResult, SolverResult, Status

__all__ = [
    "FieldProblem",
    "InvalidInput",
    "InvalidResult",
    "SolveOptions",
    "SolverResult",
    "Status",
    "distance_matrix_km",
    "haversine_km",
]
