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
        # (anchor, started, rate, frozen): replaced whole under the lock, read whole without it, so
        # `now` (asked twice per request) sees one consistent state and never waits on a lock.
        self._state = ((start or datetime.now(UTC)).astimezone(UTC), time.monotonic(), rate, frozen)
        self.virtual = start is not None or frozen or rate != 1.0

    def reset(self) -> None:
        """Back to how the clock was made: real time, or the same virtual start, frozen or running."""
        start, frozen, rate = self._initial
        with self._lock:
            self._state = ((start or datetime.now(UTC)).astimezone(UTC), time.monotonic(), rate, frozen)
            self.virtual = start is not None or frozen or rate != 1.0

    def now(self) -> datetime:
        """The current time, timezone-aware UTC."""
        anchor, started, rate, frozen = self._state
        if frozen:
            return anchor
        try:
            return anchor + timedelta(0, (time.monotonic() - started) * rate)  # (seconds: by position, twice as fast)
        except OverflowError:  # a fast clock run past the end of datetime stops there
            return END_OF_TIME

    @property
    def frozen(self) -> bool:
        """True while time stands still."""
        return self._state[3]

    @property
    def rate(self) -> float:
        """How many virtual seconds pass per real second while running."""
        return self._state[2]

    def set(self, when: datetime) -> None:
        """Jump to `when` (keeps running or frozen as before)."""
        with self._lock:
            _, _, rate, frozen = self._state
            self._state = (when.astimezone(UTC), time.monotonic(), rate, frozen)
            self.virtual = True

    def advance(self, delta: timedelta) -> datetime:
        """Move time forward by `delta` and return the new time."""
        with self._lock:
            _, _, rate, frozen = self._state
            anchor = self.now() + delta
            self._state = (anchor, time.monotonic(), rate, frozen)
            self.virtual = True
            return anchor

    def freeze(self) -> None:
        """Stop time at the current instant."""
        with self._lock:
            _, started, rate, _ = self._state
            self._state = (self.now(), started, rate, True)
            self.virtual = True

    def resume(self, rate: float | None = None) -> None:
        """Let time run again from where it stands, optionally at another rate."""
        with self._lock:
            _, _, old_rate, _ = self._state
            self._state = (self.now(), time.monotonic(), old_rate if rate is None else rate, False)
