"""The answer of a pick-routing call: a tour's length, visiting sequence and provenance."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

import numpy as np

from optimize.result import SolverResult

__all__ = ["TourResult"]


@dataclass(frozen=True, kw_only=True)
class TourResult(SolverResult):
    """A pick tour from the depot through every distinct location and back.

    `sequence` is an (n, 2) array of the distinct pick locations [aisle_index, y_m] in visiting
    order, depot excluded; walking between consecutive entries (and from and to the depot) by
    shortest paths gives `length_m` (= `objective`). `optimal` is True only when proven.
    """

    sequence: np.ndarray = field(default_factory=lambda: np.zeros((0, 2)))
    method: str = ""

    @property
    def length_m(self) -> float:
        """Tour length in metres."""
        return self.objective

    def to_dict(self) -> dict[str, Any]:
        """The JSON shape of one tour: length_m, sequence, optimal, method, then the shared
        keys (status, objective, bound, gap, time_s, time_limit_hit, message)."""
        return {
            "length_m": float(self.length_m),
            "sequence": [[int(a), float(y)] for a, y in self.sequence],
            "optimal": self.optimal,
            "method": self.method,
            **self.contract_dict(),
        }
