"""Logon sessions: created by logon, found by token, ended by logoff or idle expiry.

Session ids and tokens are GUIDs drawn from their own seeded RNG, so the same seed and the same
sequence of requests give the same bytes. The token is base64 of a GUID's text, the form the
vendor's sample token has; it is deliberately not the SessionId.

`Sessions` is what the EM needs of a session store. `InMemorySessionStore` (also known by its old
name `SessionStore`) keeps them in this process; `mock_em.store.sessions.RedisSessionStore` keeps
them in Redis so that several processes are one EM. Both draw the n-th logon's id and token the
same way (`draw_ids`), so one process with either store gives the same bytes.
"""

from __future__ import annotations

import base64
import random
import threading
from datetime import datetime, timedelta
from typing import Protocol, runtime_checkable
from uuid import UUID

from mock_em.model.clock import Clock
from mock_em.model.entities import Account, LogonSession
from mock_em.model.ids import guid


@runtime_checkable
class Sessions(Protocol):
    """The live sessions of one Enterprise Manager, wherever they are kept.

    Expiry is judged against the EM's clock (which may be virtual), never against a store's own
    timers: a test that moves the clock past the idle timeout must see the session end.
    """

    idle_timeout: timedelta

    def logon(self, account: Account, user_name: str) -> LogonSession:
        """Open a session for an authenticated account."""
        ...

    def use(self, token: str) -> LogonSession | None:
        """The live session for a token, marking it used now; None if unknown, ended or idle."""
        ...

    def peek(self, token: str) -> LogonSession | None:
        """The live session for a token without marking it used or dropping it."""
        ...

    def get(self, session_id: UUID) -> LogonSession | None:
        """A live session by its SessionId (without touching it)."""
        ...

    def live(self) -> list[LogonSession]:
        """All live sessions, oldest first."""
        ...

    def logoff(self, session_id: UUID) -> bool:
        """End a session; False if there was none."""
        ...

    def expire_all(self) -> int:
        """End every session (as an EM restart would); returns how many there were."""
        ...


def session_rng(seed: int) -> random.Random:
    """The RNG the session ids and tokens of an EM with this seed are drawn from, in logon order."""
    return random.Random(f"sessions:{seed}")


def draw_ids(rng: random.Random) -> tuple[UUID, str]:
    """The next logon's SessionId and token from `rng` (two GUIDs: 256 bits)."""
    session_id = guid(rng)
    token = base64.b64encode(str(guid(rng)).encode("ascii")).decode("ascii")
    return session_id, token


def is_idle(last_used: datetime, now: datetime, idle_timeout: timedelta) -> bool:
    """Whether a session last used at `last_used` has ended by `now`."""
    return now - last_used > idle_timeout


class InMemorySessionStore:
    """The live sessions of one Enterprise Manager, kept in this process."""

    def __init__(self, clock: Clock, seed: int, idle_timeout: timedelta = timedelta(minutes=15)) -> None:
        self._clock = clock
        self._rng = session_rng(seed)
        self._lock = threading.Lock()
        self._by_token: dict[str, LogonSession] = {}
        self._by_id: dict[UUID, LogonSession] = {}
        self.idle_timeout = idle_timeout

    def logon(self, account: Account, user_name: str) -> LogonSession:
        """Open a session for an authenticated account."""
        now = self._clock.now()
        with self._lock:
            self._purge(now)
            session_id, token = draw_ids(self._rng)
            session = LogonSession(session_id, token, user_name, account, now, now)
            self._by_token[token] = session
            self._by_id[session_id] = session
            return session

    def use(self, token: str) -> LogonSession | None:
        """The live session for a token, marking it used now; None if unknown, ended or idle."""
        now = self._clock.now()
        with self._lock:
            session = self._by_token.get(token)
            if session is None:
                return None
            if self._expired(session, now):
                self._drop(session)
                return None
            session.last_used = now
            return session

    def peek(self, token: str) -> LogonSession | None:
        """The live session for a token without marking it used or dropping it (the request
        journal and fault rules look at who is calling; only the API's own check counts as use)."""
        now = self._clock.now()
        with self._lock:
            session = self._by_token.get(token)
            if session is None or self._expired(session, now):
                return None
            return session

    def get(self, session_id: UUID) -> LogonSession | None:
        """A live session by its SessionId (without touching it)."""
        now = self._clock.now()
        with self._lock:
            session = self._by_id.get(session_id)
            if session is None or self._expired(session, now):
                return None
            return session

    def live(self) -> list[LogonSession]:
        """All live sessions, oldest first."""
        now = self._clock.now()
        with self._lock:
            self._purge(now)
            return list(self._by_id.values())

    def logoff(self, session_id: UUID) -> bool:
        """End a session; False if there was none."""
        with self._lock:
            session = self._by_id.get(session_id)
            if session is None:
                return False
            self._drop(session)
            return True

    def expire_all(self) -> int:
        """End every session (as an EM restart would); returns how many there were."""
        with self._lock:
            count = len(self._by_id)
            self._by_id.clear()
            self._by_token.clear()
            return count

    def _expired(self, session: LogonSession, now: datetime) -> bool:
        return is_idle(session.last_used, now, self.idle_timeout)

    def _drop(self, session: LogonSession) -> None:
        self._by_token.pop(session.token, None)
        self._by_id.pop(session.session_id, None)

    def _purge(self, now: datetime) -> None:
        for session in [s for s in self._by_id.values() if self._expired(s, now)]:
            self._drop(session)


# The name `EnterpriseManager.create` builds: the in-memory store is the default.
SessionStore = InMemorySessionStore
