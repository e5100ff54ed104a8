"""Up-front checks of array inputs that name the field and the first offending elements."""

from __future__ import annotations

from collections.abc import Callable

import numpy as np

from optimize.errors import FieldProblem, InvalidInput

__all__ = ["ArrayChecks"]

_MAX_SHOWN = 5  # per field: enough to locate the problem without flooding the terminal


class ArrayChecks:
    """Collect problems over several arrays, then raise them all at once."""

    def __init__(self) -> None:
        self.problems: list[FieldProblem] = []

    def require(self, name: str, values: object, ok: Callable[[np.ndarray], np.ndarray],
                message: str) -> None:
        """Record `name[i]: message` for elements where `ok` is False (NaN fails too)."""
        arr = np.asarray(values, dtype=float)
        with np.errstate(invalid="ignore"):
            bad = ~np.asarray(ok(arr), bool) | np.isnan(arr)
        if arr.ndim == 0:
            if bool(bad):
                self.problems.append(FieldProblem(name, message, float(arr)))
            return
        for idx in np.argwhere(bad)[:_MAX_SHOWN]:
            where = "".join(f"[{int(i)}]" for i in idx)
            self.problems.append(FieldProblem(f"{name}{where}", message, float(arr[tuple(idx)])))

    def add(self, path: str, message: str, value: object = None) -> None:
        """Record one problem."""
        self.problems.append(FieldProblem(path, message, value))

    def raise_if_any(self) -> None:
        """Raise InvalidInput listing every recorded problem."""
        if self.problems:
            raise InvalidInput(self.problems)
