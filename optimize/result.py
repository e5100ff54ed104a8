"""The one result shape every solver in `optimize` returns, and its JSON form."""

from __future__ import annotations

import dataclasses
import math
import numbers
from dataclasses import dataclass
from enum import Enum, StrEnum
from typing import Any

import numpy as np

from optimize.errors import FieldProblem

__all__ = ["OPTIMAL_GAP", "SHARED_KEYS", "InvalidResult", "SolverResult", "Status", "json_ready"]

# An optimal result's objective and finite bound may differ by this much relative to
# max(|objective|, 1): OR-Tools' linear-solver wrapper stops SCIP at a 1e-4 relative gap.
OPTIMAL_GAP = 1e-4
# The keys every result's `to_dict()` carries, whatever its decision looks like.
SHARED_KEYS = ("status", "objective", "bound", "gap", "time_s", "time_limit_hit", "message")


class Status(StrEnum):
    """Outcome of a solve, in the words a planner uses.

    Whether the clock stopped the search is a separate flag, `SolverResult.time_limit_hit`:
    feasible with the flag is "best plan when time ran out", without it "a heuristic's plan".
    """

    OPTIMAL = "optimal"  # proven optimal (bound == objective within tolerance)
    FEASIBLE = "feasible"  # a solution, not proven optimal (time limit or heuristic)
    INFEASIBLE = "infeasible"  # proven that no solution exists; `message` says why
    UNKNOWN = "unknown"  # no solution found and nothing proven (e.g. time limit)


class InvalidResult(ValueError):
    """Raised when a result is built with fields that contradict each other or the contract."""

    def __init__(self, problems: list[FieldProblem]):
        self.problems = problems
        super().__init__("\n".join(str(p) for p in problems))


def json_ready(value: Any) -> Any:
    """`value` as plain JSON types: non-finite floats become None, arrays and tuples lists."""
    if isinstance(value, Enum):
        return json_ready(value.value)
    if value is None or isinstance(value, str | bool):
        return value
    if isinstance(value, np.bool_):
        return bool(value)
    if isinstance(value, numbers.Integral):
        return int(value)
    if isinstance(value, numbers.Real):
        return float(value) if math.isfinite(value) else None
    if isinstance(value, np.ndarray):
        return json_ready(value.tolist())
    if isinstance(value, dict):
        return {str(k): json_ready(v) for k, v in value.items()}
    if isinstance(value, list | tuple | set | frozenset):
        return [json_ready(v) for v in value]
    if isinstance(value, SolverResult):
        return value.to_dict()
    if dataclasses.is_dataclass(value) and not isinstance(value, type):
        return {f.name: json_ready(getattr(value, f.name)) for f in dataclasses.fields(value)}
    raise TypeError(f"no JSON form for {type(value).__name__}: {value!r}")


def _real(value: object) -> bool:
    return isinstance(value, numbers.Real) and not isinstance(value, bool | np.bool_)


@dataclass(frozen=True, kw_only=True)
class SolverResult:
    """Common fields of a solver's answer; each solver subclasses it with its decision.

    `objective` is in the problem's own units (metres, currency, weight); `bound` is the
    best proven bound on it (a lower bound when minimising, an upper bound when
    maximising; `nan` when none); `time_s` is wall-clock seconds. `time_limit_hit` is True
    when the solver's time limit stopped the search before it proved optimality or
    infeasibility: with status feasible it marks the best plan found in time (unlike a
    heuristic's plan, feasible without the flag), with status unknown a search that found
    nothing in time. Every result checks these rules when built (`InvalidResult`) and
    serialises by `to_dict()`.
    """

    status: Status
    objective: float
    bound: float
    time_s: float
    message: str = ""
    time_limit_hit: bool = False

    def __post_init__(self) -> None:
        problems: list[FieldProblem] = []
        if not isinstance(self.status, Status):
            problems.append(FieldProblem("status", "must be a Status", self.status))
        for name in ("objective", "bound", "time_s"):
            value = getattr(self, name)
            if _real(value):
                object.__setattr__(self, name, float(value))
            else:
                problems.append(FieldProblem(name, "must be a real number (nan when none)",
                                             value))
        if isinstance(self.time_limit_hit, np.bool_):
            object.__setattr__(self, "time_limit_hit", bool(self.time_limit_hit))
        if not isinstance(self.time_limit_hit, bool):
            problems.append(FieldProblem("time_limit_hit", "must be a bool",
                                         self.time_limit_hit))
        if not isinstance(self.message, str):
            problems.append(FieldProblem("message", "must be a str", self.message))
        if problems:
            raise InvalidResult(problems)
        if not (math.isfinite(self.time_s) and self.time_s >= 0):
            problems.append(FieldProblem("time_s", "must be finite and >= 0", self.time_s))
        if self.status in (Status.OPTIMAL, Status.FEASIBLE) and not math.isfinite(
                self.objective):
            problems.append(FieldProblem("objective", f"a {self.status} result needs a "
                                         "finite objective", self.objective))
        if self.time_limit_hit and self.status in (Status.OPTIMAL, Status.INFEASIBLE):
            problems.append(FieldProblem("time_limit_hit", f"a {self.status} result was "
                                         "proven, not stopped by the clock", True))
        if (self.status is Status.OPTIMAL and math.isfinite(self.objective)
                and math.isfinite(self.bound) and abs(self.objective - self.bound)
                > OPTIMAL_GAP * max(abs(self.objective), 1.0)):
            problems.append(FieldProblem("bound", f"an optimal result's bound must meet its "
                                         f"objective {self.objective!r}", self.bound))
        if problems:
            raise InvalidResult(problems)

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

    def contract_dict(self) -> dict[str, Any]:
        """The shared keys (`SHARED_KEYS`) as JSON values; nan and inf become None."""
        return {"status": str(self.status), "objective": json_ready(self.objective),
                "bound": json_ready(self.bound), "gap": json_ready(self.gap),
                "time_s": self.time_s, "time_limit_hit": self.time_limit_hit,
                "message": self.message}

    def to_dict(self) -> dict[str, Any]:
        """JSON-ready dict: the shared keys, then every decision field of the subclass."""
        out = self.contract_dict()
        for f in dataclasses.fields(self):
            if f.name not in out:
                out[f.name] = json_ready(getattr(self, f.name))
        return out
