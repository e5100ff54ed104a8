"""A piecewise-constant level (stock on hand, open shipments) integrated exactly over time."""

from __future__ import annotations

__all__ = ["TimeWeighted"]


class TimeWeighted:
    """A level that changes at events; `area` is its integral (level x hours) up to `since`."""

    __slots__ = ("area", "level", "since")

    def __init__(self, level: float = 0.0) -> None:
        self.level = level
        self.area = 0.0
        self.since = 0.0

    def move(self, now_h: float, delta: float) -> None:
        """Change the level by `delta` at time `now_h` (hours, never before the last change)."""
        self.area += self.level * (now_h - self.since)
        self.since = now_h
        self.level += delta

    def area_until(self, t_h: float) -> float:
        """Integral of the level from the start up to `t_h` (>= the last change), level-hours."""
        return self.area + self.level * (t_h - self.since)
