"""OR-Tools solvers as plain functions; knows nothing of SimPy or the scenario schema."""

from optimize.errors import FieldProblem, InvalidInput
from optimize.geo import distance_matrix_km, haversine_km
from optimize.result import SolverResult, Status

__all__ = [
    "FieldProblem",
    "InvalidInput",
    "SolverResult",
    "Status",
    "distance_matrix_km",
    "haversine_km",
]
