"""Solve options shared by the solvers that search under a clock: time, threads, backend, log."""

from __future__ import annotations

import math
import numbers
from dataclasses import dataclass, replace

from optimize.errors import FieldProblem, InvalidInput

__all__ = ["SolveOptions", "resolve_options"]


@dataclass(frozen=True)
class SolveOptions:
    """How to run a solver, separate from what it solves.

    `time_limit_s` is wall-clock seconds (None: the solver's own default, which is no limit
    for the network MIPs); `threads` the search workers the backend may use; `backend` the
    solver's engine by name (None: its default, e.g. "highs" for order routing, "scip" for
    coverage; "dp" or "cpsat" for the guaranteed-service model); `log` prints the backend's
    own progress log.
    """

    time_limit_s: float | None = None
    threads: int = 1
    backend: str | None = None
    log: bool = False

    def __post_init__(self) -> None:
        problems = []
        t = self.time_limit_s
        if t is not None and (not isinstance(t, numbers.Real) or isinstance(t, bool)
                              or math.isnan(t) or t < 0):
            problems.append(FieldProblem("time_limit_s", "must be a number >= 0 or None", t))
        if (not isinstance(self.threads, numbers.Integral) or isinstance(self.threads, bool)
                or self.threads < 1):
            problems.append(FieldProblem("threads", "must be an integer >= 1", self.threads))
        if self.backend is not None and (not isinstance(self.backend, str) or not self.backend):
            problems.append(FieldProblem("backend", "must be a non-empty name or None",
                                         self.backend))
        if not isinstance(self.log, bool):
            problems.append(FieldProblem("log", "must be True or False", self.log))
        if problems:
            raise InvalidInput(problems)


def resolve_options(options: SolveOptions | None, defaults: SolveOptions, *,
                    time_limit_s: float | None = None, threads: int | None = None,
                    backend: str | None = None, log: bool | None = None) -> SolveOptions:
    """The options a solve runs with: `defaults`, then what `options` sets (its None fields
    keep the defaults), then any keyword a caller passed explicitly (not None)."""
    out = defaults
    if options is not None:
        out = replace(options, time_limit_s=(options.time_limit_s
                                             if options.time_limit_s is not None
                                             else defaults.time_limit_s),
                      backend=options.backend if options.backend is not None
                      else defaults.backend)
    given = {k: v for k, v in (("time_limit_s", time_limit_s), ("threads", threads),
                               ("backend", backend), ("log", log)) if v is not None}
    return replace(out, **given) if given else out
