"""Staffing a peak: permanent head count, temps booked by date and overtime at least cost so
that each cut-off's work is done by its carrier pickup (optimize.staffing.model states the
model); an exact enumeration for tiny instances checks the CP-SAT solver."""

from optimize.staffing.exact import solve_by_enumeration
from optimize.staffing.model import (
    SCALE,
    StaffingPlan,
    StaffingProblem,
    StationLoad,
    evaluate,
    quantile_work,
)
from optimize.staffing.solve import solve_staffing

__all__ = ["SCALE", "StaffingPlan", "StaffingProblem", "StationLoad", "evaluate",
           "quantile_work", "solve_by_enumeration", "solve_staffing"]
