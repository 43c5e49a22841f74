"""How precise the times an Enterprise Manager shows are (`Instants`), and the fractions of a
second the derived sessions and catalogue carry where a release shows them.

The jobs' runs are drawn to the second (`job_history`), as 9.5 U4 shows them. Releases 12 and 13
write fractions of a second (`.173Z`, `.659559Z`; em-api-monitoring.md §7), so in their worlds
each session, task and point is made at its run's instant plus a fraction drawn from its own id,
to the release's digits: the same object always has the same fraction, no draw of the runs
moves, and everything that reads the instant (the wire, the query service's filters and sorts,
the stores' order) reads the one the client is shown. Only the derived objects carry it: the
runs (and so the job events, reports and retention) stay on whole seconds. The fraction is under
a second, so a run's times keep their order (its tasks start ten seconds after it at the
soonest, and last five at the least); a session may show its end up to a second after the
instant the clock saw it end.

13 also writes the fraction in names (`job@2026-06-16 06:33:10.659559`, restore points
`2026-06-16 06:33:10.659559`), where 12 and earlier cut names at the second.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta

MICROSECONDS = 1_000_000


@dataclass(frozen=True, slots=True)
class Instants:
    """`digits`: the digits of a second's fraction that sessions and the catalogue carry (0; 3 in
    12, whose times show milliseconds; 6 in 13, microseconds), so that a time read from an answer
    is exactly the instant a filter compares; `fine_names`: names show the fraction, to the
    microsecond (13)."""

    digits: int = 0
    fine_names: bool = False

    def span(self, start: datetime, end: datetime | None, bits: int) -> tuple[datetime, datetime | None]:
        """A session's start and end (None while it runs) as shown: each with its own fraction,
        the start's from `bits` (its id's), the end's from others of them."""
        if not self.digits:
            return start, end
        return self.added(start, bits), None if end is None else self.added(end, bits >> 20)

    def added(self, when: datetime, bits: int) -> datetime:
        """`when` plus the fraction of a second that `bits` (an id's) stand for, to `digits`."""
        scale = 10 ** (6 - self.digits)
        return when + timedelta(microseconds=bits % (MICROSECONDS // scale) * scale)


WHOLE_SECONDS = Instants()
