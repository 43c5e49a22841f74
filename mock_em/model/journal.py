"""The request journal: what clients sent to the vendor API and what they got back.

A test asserts on it the way it would read a packet capture ("the client logged on once, then
sent three GETs with the session header"), so it keeps what a request looked like on arrival and
how it ended, never a secret: the recorder redacts credentials and tokens before an entry is made,
and sessions appear by their SessionId, not by their token.

The journal is bounded (`Settings.journal_size`, newest kept; 0 keeps nothing) so a long-running
server cannot grow without limit. Sequence numbers are given when an entry is recorded, that is
when its response ends, so they rise in the order entries appear: a client polling with
`since=<last sequence seen>` never misses an entry. Clearing keeps the counter for the same reason;
only a control-plane reset starts it again at 1.

The journal is written on every request and read rarely, so a request leaves a plain tuple and
each entry becomes a `JournalEntry` the first time it is read: making a 16-field frozen dataclass
per request cost more than answering a kept response did.
"""

from __future__ import annotations

import threading
from collections import deque
from dataclasses import dataclass
from datetime import datetime
from fnmatch import fnmatchcase
from typing import Any
from uuid import UUID

GLOB_CHARS = frozenset("*?[")


@dataclass(frozen=True, slots=True)
class JournalEntry:
    """One vendor request, as received, and how it ended.

    `status` is None when the connection was broken instead of answered (a connection fault);
    `token_rejected` is True when the request carried a session token that named no live session
    (unknown, logged off or expired), the case a client's re-logon logic must handle.
    """

    sequence: int
    time: datetime
    method: str
    path: str  # as received, before case and trailing-slash canonicalisation
    canonical_path: str
    query: str
    headers: tuple[tuple[str, str], ...]  # already redacted
    session_id: UUID | None
    user_name: str | None
    token_rejected: bool
    status: int | None
    latency_ms: float
    fault_id: str | None = None
    # What the fault did: "status", "latency", "reset", "empty", "truncated"; or "outage" (no fault
    # id): a 503 a shared EM answered because Redis was away (`mock_em.api.recorder.OutageJournal`).
    fault: str | None = None
    delay_ms: float | None = None  # the delay the fault added (drawn from the rule's RNG when random)
    error: str | None = None  # the Message of the Veeam Error an error status carried


@dataclass(frozen=True, slots=True)
class JournalFilter:
    """Which entries to return; every given criterion must hold.

    `path` is a glob (`/api/cloud/*`) when it holds `*`, `?` or `[`, else a substring; either way
    it is tried against the path as received and the canonical path, case-insensitively, because
    EM matches paths case-insensitively too.
    """

    method: str | None = None
    path: str | None = None
    status: int | None = None
    session_id: UUID | None = None
    since: int | None = None  # only entries with a greater sequence number
    since_time: datetime | None = None  # only requests received at or after this time

    def matches(self, entry: JournalEntry) -> bool:
        """True when `entry` satisfies every criterion."""
        if self.method is not None and entry.method.upper() != self.method.upper():
            return False
        if self.status is not None and entry.status != self.status:
            return False
        if self.session_id is not None and entry.session_id != self.session_id:
            return False
        if self.since is not None and entry.sequence <= self.since:
            return False
        if self.since_time is not None and entry.time < self.since_time:
            return False
        return self.path is None or self._path_matches(entry)

    def _path_matches(self, entry: JournalEntry) -> bool:
        assert self.path is not None
        wanted = self.path.casefold()
        candidates = (entry.path.casefold(), entry.canonical_path.casefold())
        if GLOB_CHARS.intersection(wanted):
            return any(fnmatchcase(c, wanted) for c in candidates)
        return any(wanted in c for c in candidates)


def _entry(row: tuple[Any, ...]) -> JournalEntry:
    """The entry a journal row stands for (its latency rounded to a microsecond, as recorded)."""
    return JournalEntry(*row[:11], round(row[11], 3), *row[12:])


class Journal:
    """A bounded, thread-safe log of vendor requests, newest last inside, newest first out.

    Requests are journaled from the server's event loop while the control plane reads and clears
    from the same loop or (in-process test clients) from other threads, hence the lock.
    """

    def __init__(self, size: int) -> None:
        if size < 0:
            raise ValueError("journal size must not be negative")
        self.size = size
        self._lock = threading.Lock()
        self._entries: deque[JournalEntry | tuple[Any, ...]] = deque(maxlen=size)
        self._raw = 0  # how many of the newest entries are still tuples
        self._sequence = 0

    @property
    def enabled(self) -> bool:
        """False when the journal keeps nothing (size 0), so the recorder can skip the work."""
        return self.size > 0

    def append(
        self,
        time: datetime,
        method: str,
        path: str,
        canonical_path: str,
        query: str,
        headers: tuple[tuple[str, str], ...],
        session_id: UUID | None,
        user_name: str | None,
        token_rejected: bool,
        status: int | None,
        latency_ms: float,
        fault_id: str | None,
        fault: str | None,
        delay_ms: float | None,
        error: str | None,
        /,
    ) -> None:
        """Add an entry with the next sequence number, every field given in `JournalEntry`'s order
        (after `sequence`): positionally, as the recorder writes one per request, where fifteen
        keywords would cost more than the entry itself. Nothing is kept when the journal is off."""
        if self.size > 0:
            with self._lock:
                self._sequence += 1
                self._entries.append((
                    self._sequence, time, method, path, canonical_path, query, headers, session_id, user_name,
                    token_rejected, status, latency_ms, fault_id, fault, delay_ms, error,
                ))  # fmt: skip
                if self._raw < self._entries.maxlen:  # type: ignore[operator]  # maxlen is the size
                    self._raw += 1

    def _snapshot(self) -> list[JournalEntry]:
        """Every kept entry, oldest first, made JournalEntries (each tuple only once)."""
        with self._lock:
            if self._raw:
                entries = self._entries
                for i in range(len(entries) - self._raw, len(entries)):
                    row = entries[i]
                    if isinstance(row, tuple):
                        entries[i] = _entry(row)
                self._raw = 0
            return list(self._entries)  # type: ignore[arg-type]  # all JournalEntries now

    def entries(self, where: JournalFilter | None = None, limit: int | None = None) -> list[JournalEntry]:
        """Matching entries, newest first, at most `limit` of them."""
        snapshot = self._snapshot()
        found: list[JournalEntry] = []
        for entry in reversed(snapshot):
            if limit is not None and len(found) >= limit:
                break
            if where is None or where.matches(entry):
                found.append(entry)
        return found

    def count(self, where: JournalFilter | None = None) -> int:
        """How many kept entries match."""
        if where is None:
            with self._lock:
                return len(self._entries)
        snapshot = self._snapshot()
        return sum(1 for entry in snapshot if where.matches(entry))

    def clear(self) -> int:
        """Forget every entry (sequence numbers keep rising); returns how many there were."""
        with self._lock:
            count = len(self._entries)
            self._entries.clear()
            self._raw = 0
            return count

    def reset(self) -> None:
        """Empty, with numbering from 1 again: the journal as a freshly started server has it."""
        with self._lock:
            self._entries.clear()
            self._raw = 0
            self._sequence = 0
