"""The one clock of mock-em: real time by default, virtual (set, advanced, frozen) on request.

Session idle expiry and the replication schedule read it; nothing else in mock-em calls
`datetime.now()`, so a test that sets the clock controls every time-dependent answer.
"""

from __future__ import annotations

import threading
import time
from datetime import UTC, datetime, timedelta

END_OF_TIME = datetime.max.replace(tzinfo=UTC)
LATEST_SETTABLE = datetime(9000, 1, 1, tzinfo=UTC)  # leaves the schedule and sessions room to run


class Clock:
    """Wall-clock time, shifted and optionally frozen.

    The virtual time is `anchor + (monotonic() - started) * rate` while running and `anchor` while
    frozen, so a clock set to a date keeps ticking from it unless frozen.
    """

    def __init__(self, start: datetime | None = None, *, frozen: bool = False, rate: float = 1.0) -> None:
        self._lock = threading.Lock()
        self._initial = (start, frozen, rate)
        self._begin()

    def reset(self) -> None:
        """Back to how the clock was made: real time, or the same virtual start, frozen or running."""
        with self._lock:
            self._begin()

    def _begin(self) -> None:
        """Start as made: from the given instant (or now), frozen or running at the given rate."""
        start, frozen, rate = self._initial
        self._rate = rate
        self._frozen = frozen
        self._anchor = (start or datetime.now(UTC)).astimezone(UTC)
        self._started = time.monotonic()
        self.virtual = start is not None or frozen or rate != 1.0

    def now(self) -> datetime:
        """The current time, timezone-aware UTC."""
        with self._lock:
            return self._now()

    def _now(self) -> datetime:
        if self._frozen:
            return self._anchor
        try:
            # (seconds given by position: keyword parsing made this twice as slow, on every request)
            return self._anchor + timedelta(0, (time.monotonic() - self._started) * self._rate)
        except OverflowError:  # a fast clock run past the end of datetime stops there
            return END_OF_TIME

    @property
    def frozen(self) -> bool:
        """True while time stands still."""
        return self._frozen

    @property
    def rate(self) -> float:
        """How many virtual seconds pass per real second while running."""
        return self._rate

    def set(self, when: datetime) -> None:
        """Jump to `when` (keeps running or frozen as before)."""
        with self._lock:
            self._anchor = when.astimezone(UTC)
            self._started = time.monotonic()
            self.virtual = True

    def advance(self, delta: timedelta) -> datetime:
        """Move time forward by `delta` and return the new time."""
        with self._lock:
            self._anchor = self._now() + delta
            self._started = time.monotonic()
            self.virtual = True
            return self._anchor

    def freeze(self) -> None:
        """Stop time at the current instant."""
        with self._lock:
            self._anchor = self._now()
            self._frozen = True
            self.virtual = True

    def resume(self, rate: float | None = None) -> None:
        """Let time run again from where it stands, optionally at another rate."""
        with self._lock:
            self._anchor = self._now()
            self._started = time.monotonic()
            self._frozen = False
            if rate is not None:
                self._rate = rate
