"""The stretch of time a dashboard timeline spans, and where an instant falls on it.

The tenants' restore points and the jobs' sessions are drawn on timelines of this kind: each
mark's place is a percentage of the row's width, so the page needs no script to lay them out.
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any

from mock_em.model.fixture import format_time


@dataclass(frozen=True, slots=True)
class Window:
    """The stretch of time the timelines span; `x` places an instant on it in percent."""

    start: datetime
    end: datetime

    def x(self, when: datetime) -> float:
        """0 at the start, 100 at the end; instants outside are pinned to an edge."""
        share = (when - self.start) / (self.end - self.start)
        return round(min(max(share, 0.0), 1.0) * 100, 2)

    def ticks(self) -> list[dict[str, Any]]:
        """A grid line at each midnight (UTC), labelled often enough to read, never crowded."""
        days = (self.end - self.start).days
        step = 1 if days <= 31 else 7
        first = self.start.replace(hour=0, minute=0, second=0, microsecond=0) + timedelta(days=1)
        stamps = [first + timedelta(days=i) for i in range(0, days + 1, step)]
        stamps = [s for s in stamps if s < self.end]
        every = max(1, math.ceil(len(stamps) / 8))
        return [
            {"x": self.x(s), "time": format_time(s), "label": f"{s:%b} {s.day}" if i % every == 0 else ""}
            for i, s in enumerate(stamps)
        ]
