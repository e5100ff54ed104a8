"""The one result shape every solver in `optimize` returns."""

from __future__ import annotations

import math
from dataclasses import dataclass
from enum import StrEnum

__all__ = ["SolverResult", "Status"]


class Status(StrEnum):
    """Outcome of a solve, in the words a planner uses."""

    OPTIMAL = "optimal"  # proven optimal (bound == objective within tolerance)
    FEASIBLE = "feasible"  # a solution, not proven optimal (time limit or heuristic)
    INFEASIBLE = "infeasible"  # proven that no solution exists; `message` says why
    UNKNOWN = "unknown"  # no solution found and nothing proven (e.g. time limit)


@dataclass(frozen=True, kw_only=True)
class SolverResult:
    """Common fields of a solver's answer; each solver subclasses it with its decision.

    `objective` is in the problem's own units (metres, currency, weight); `bound` is the
    best proven bound on it (a lower bound when minimising, an upper bound when
    maximising; `nan` when none); `time_s` is wall-clock seconds.
    """

    status: Status
    objective: float
    bound: float
    time_s: float
    message: str = ""

    @property
    def optimal(self) -> bool:
        """True when the solver proved optimality."""
        return self.status is Status.OPTIMAL

    @property
    def gap(self) -> float:
        """Relative gap |objective - bound| / max(|objective|, 1e-9); nan without a bound."""
        if math.isnan(self.bound) or math.isnan(self.objective):
            return math.nan
        return abs(self.objective - self.bound) / max(abs(self.objective), 1e-9)
