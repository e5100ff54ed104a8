"""Input errors that name the offending field and value."""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass

__all__ = ["FieldProblem", "InvalidInput"]


@dataclass(frozen=True)
class FieldProblem:
    """One problem: where (a field path such as `nodes[1].stock.A`), what, and the value."""

    path: str
    message: str
    value: object = None

    def __str__(self) -> str:
        return f"{self.path}: {self.message}, got {self.value!r}"


class InvalidInput(ValueError):
    """Raised before any solving when input is bad; lists every problem found."""

    def __init__(self, problems: Iterable[FieldProblem] | FieldProblem):
        if isinstance(problems, FieldProblem):
            problems = [problems]
        self.problems: list[FieldProblem] = list(problems)
        super().__init__("\n".join(str(p) for p in self.problems))
