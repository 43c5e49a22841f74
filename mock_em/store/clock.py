"""A clock that several processes read alike, and the pin that makes them change it alike.

The base `Clock` reckons running time from this process's `time.monotonic()`, which no other
process (let alone another container) shares, so two processes given the same `--clock` and
`--demo` would drift apart by however far apart they started. `ReplicatedClock` keeps the same
state (an anchor time, frozen or running, a rate) but reckons running time from wall-clock epoch
seconds, starting from an epoch every process reads from the shared store. Processes whose clocks
went through the same changes therefore read the same time.

Changes are where it gets subtle: `advance`, `freeze`, `resume` and `reset` are relative to "now",
and so is everything else a control command does with the clock (catching the world up, adding a
point "now", regenerating "at now"). Each process applies a command a little later than the one
that received it; were "now" read then, a running clock would end up in a slightly different
state in each. So every change reads its "now" from `wall_now()`, which inside `pinned(wall)`
is the pinned wall time: the replication middleware pins each command to the wall time at which
it entered the log (made monotonic along the log), and every process, applying it whenever it
does, computes exactly the same new state. A frozen clock needs none of this; a running one does.
"""

from __future__ import annotations

import time
from collections.abc import Iterator
from contextlib import contextmanager
from contextvars import ContextVar
from datetime import UTC, datetime, timedelta

from mock_em.model.clock import Clock

# The wall time (epoch seconds) that stands for "now" while a replicated command is applied.
PINNED_WALL: ContextVar[float | None] = ContextVar("mock_em_pinned_wall", default=None)


@contextmanager
def pinned(wall: float) -> Iterator[None]:
    """Within the block (and the tasks it starts), clock changes happen at wall time `wall`."""
    token = PINNED_WALL.set(wall)
    try:
        yield
    finally:
        PINNED_WALL.reset(token)


def wall_now() -> float:
    """The pinned wall time, or the real one (epoch seconds)."""
    pin = PINNED_WALL.get()
    return time.time() if pin is None else pin


def from_wall(wall: float) -> datetime:
    """Epoch seconds as an aware UTC datetime."""
    return datetime.fromtimestamp(wall, UTC)


class ReplicatedClock(Clock):
    """A `Clock` whose running time is anchored to shared wall-clock seconds (see the module doc).

    `epoch` is the wall time every process agreed on (the first to start wrote it to the store);
    it is "now" for a real-time clock's start, as `--clock` is for a virtual one.
    """

    def __init__(self, start: datetime | None = None, *, frozen: bool = False, rate: float = 1.0, epoch: float) -> None:
        super().__init__(start, frozen=frozen, rate=rate)
        self.epoch = epoch
        self._wall = epoch  # the wall time at which `_anchor` was the time
        self._anchor = (start or from_wall(epoch)).astimezone(UTC)

    def _at(self, wall: float) -> datetime:
        if self._frozen:
            return self._anchor
        return self._anchor + timedelta(seconds=(wall - self._wall) * self._rate)

    def _now(self) -> datetime:
        return self._at(wall_now())

    def _begin(self) -> None:
        """Start as made, anchored to shared wall time: a real-time clock's "now" is the wall's."""
        super()._begin()
        start = self._initial[0]
        self._wall = wall_now()
        self._anchor = (start or from_wall(self._wall)).astimezone(UTC)

    def set(self, when: datetime) -> None:
        """Jump to `when` (keeps running or frozen as before)."""
        wall = wall_now()
        with self._lock:
            self._anchor = when.astimezone(UTC)
            self._wall = wall
            self.virtual = True

    def advance(self, delta: timedelta) -> datetime:
        """Move time forward by `delta` and return the new time."""
        wall = wall_now()
        with self._lock:
            self._anchor = self._at(wall) + delta
            self._wall = wall
            self.virtual = True
            return self._anchor

    def freeze(self) -> None:
        """Stop time at the current instant."""
        wall = wall_now()
        with self._lock:
            self._anchor = self._at(wall)
            self._wall = wall
            self._frozen = True
            self.virtual = True

    def resume(self, rate: float | None = None) -> None:
        """Let time run again from where it stands, optionally at another rate."""
        wall = wall_now()
        with self._lock:
            self._anchor = self._at(wall)
            self._wall = wall
            self._frozen = False
            if rate is not None:
                self._rate = rate
