"""Progress of long library calls over a known number of steps (runs): a rich bar, one line
per step, a callback `(finished, total)`, or nothing."""

from __future__ import annotations

import sys
import time
from collections.abc import Callable
from typing import Any

__all__ = ["ProgressArg", "StepProgress"]

# True: show it; a callable: called with (steps finished, steps in all) after each step.
ProgressArg = bool | Callable[[int, int], None]


class StepProgress:
    """Progress over `total` steps. With `progress=True`: a rich bar (on stderr, or stdout
    when `stderr` is False) where the console is a terminal; elsewhere (a notebook, a log)
    one line per step on stderr when `lines`, else the bar's final state. A callable is
    called with `(finished, total)` after each step; False shows nothing."""

    def __init__(self, progress: ProgressArg, total: int, label: str, *,
                 failed_column: bool = False, stderr: bool = True, lines: bool = True):
        self.callback = progress if callable(progress) else None
        self.show = progress is True and total > 0
        self.total, self.label, self.finished = total, label, 0
        self.failed_column, self.stderr, self.lines = failed_column, stderr, lines
        self.bar: Any = None
        self.task: Any = None
        self.as_lines = False
        self.t0 = time.perf_counter()

    def __enter__(self) -> StepProgress:
        if not self.show:
            return self
        from rich.console import Console

        console = Console(stderr=self.stderr)
        if self.lines and not console.is_terminal:
            self.as_lines = True
            return self
        from rich.progress import (
            BarColumn,
            MofNCompleteColumn,
            Progress,
            TextColumn,
            TimeElapsedColumn,
            TimeRemainingColumn,
        )

        columns = [TextColumn(self.label), BarColumn(), MofNCompleteColumn()]
        if self.failed_column:
            columns.append(TextColumn("{task.fields[failed]} failed"))
        columns += [TextColumn("{task.description}"), TimeElapsedColumn(),
                    TimeRemainingColumn()]
        self.bar = Progress(*columns, console=console)
        self.bar.start()
        self.task = self.bar.add_task("", total=self.total, failed=0)
        return self

    def within(self, fraction: float) -> None:
        """How far (0-1) the step under way has gone: moves the bar between steps."""
        if self.bar is not None:
            self.bar.update(self.task, completed=self.finished + min(max(fraction, 0.0), 1.0))

    def advance(self, done: str = "", failed: int = 0) -> None:
        """One more step finished (`done` says which; `failed`: failed steps so far)."""
        self.finished += 1
        if self.bar is not None:
            self.bar.update(self.task, completed=self.finished, failed=failed, description=done)
        if self.as_lines:
            note = f": {done}" if done else ""
            print(f"{self.label} {self.finished}/{self.total}{note} "
                  f"({time.perf_counter() - self.t0:.0f} s)", file=sys.stderr, flush=True)
        if self.callback is not None:
            self.callback(self.finished, self.total)

    def __exit__(self, *exc: object) -> None:
        if self.bar is not None:
            self.bar.stop()
