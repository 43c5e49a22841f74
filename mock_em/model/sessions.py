"""Logon sessions: created by logon, found by token, ended by logoff or idle expiry.

A SessionId is a random version-4 GUID from the operating system's secure source (`secrets`), as
a real EM's is: a session is a credential, and anyone who could predict the next id could use an
administrator's session without a password. Everything else about an EM stays deterministic.

With `deterministic` on (the `deterministic_sessions` setting) ids are drawn from a seeded RNG
instead, so the same seed and the same sequence of requests give the same bytes, tokens included.
Each logon draws two GUIDs from it, the SessionId and one more that is discarded (it was once the
token), so the n-th id of a seed is the same as in every earlier version of mock-em.

The token is base64 of the SessionId's lower-case hyphenated text (48 characters, no padding), the
same in the `X-RestSvcSessionId` header and cookie: scripts that send base64(SessionId) without
reading the header work against real EMs, so they must work here (em-api-monitoring.md §6).

`Sessions` is what the EM needs of a session store. `InMemorySessionStore` (also known by its old
name `SessionStore`) keeps them in this process; `mock_em.store.sessions.RedisSessionStore` keeps
them in Redis so that several processes are one EM. In deterministic mode both draw the n-th
logon's id the same way (`draw_session_id`), so one process with either store gives the same bytes.
"""

from __future__ import annotations

import base64
import random
import secrets
import threading
from datetime import datetime, timedelta
from typing import Any, Protocol, runtime_checkable
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
    deterministic: bool  # ids drawn from the seed (predictable) rather than from `secrets`

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
    """The RNG the session ids of an EM with this seed are drawn from in deterministic mode, in logon order."""
    return random.Random(f"sessions:{seed}")


BITS_PER_LOGON = 256  # bits each deterministic logon takes from `session_rng`: two GUIDs


def draw_session_id(rng: random.Random) -> UUID:
    """The next logon's SessionId from a seeded `rng` (deterministic mode).

    Two GUIDs are drawn and the second discarded: it used to be the token, and drawing it keeps
    the n-th SessionId of a seed what it has always been (stored captures compare against it)."""
    session_id = guid(rng)
    guid(rng)
    return session_id


def random_session_id() -> UUID:
    """A SessionId no one can predict: a version-4 GUID from the operating system's secure source."""
    return UUID(bytes=secrets.token_bytes(16), version=4)


def token_for(session_id: UUID) -> str:
    """The `X-RestSvcSessionId` token of a session: base64 of its SessionId's lower-case hyphenated
    text (48 characters), as real EMs accept from scripts that never read the header."""
    return base64.b64encode(str(session_id).encode("ascii")).decode("ascii")


def is_idle(last_used: datetime, now: datetime, idle_timeout: timedelta) -> bool:
    """Whether a session last used at `last_used` has ended by `now`."""
    return now - last_used > idle_timeout


class InMemorySessionStore:
    """The live sessions of one Enterprise Manager, kept in this process."""

    def __init__(
        self,
        clock: Clock,
        seed: int,
        idle_timeout: timedelta = timedelta(minutes=15),
        *,
        deterministic: bool = False,
    ) -> None:
        self._clock = clock
        self._rng = session_rng(seed)  # used in deterministic mode only
        self.deterministic = deterministic
        self._lock = threading.Lock()
        self._by_token: dict[str, LogonSession] = {}
        self._by_id: dict[UUID, LogonSession] = {}
        self.idle_timeout = idle_timeout

    def logon(self, account: Account, user_name: str) -> LogonSession:
        """Open a session for an authenticated account."""
        now = self._clock.now()
        with self._lock:
            self._purge(now)
            session_id = self._next_id()
            token = token_for(session_id)
            session = LogonSession(session_id, token, user_name, account, now, now)
            self._by_token[token] = session
            self._by_id[session_id] = session
            return session

    def use(self, token: str) -> LogonSession | None:
        """The live session for a token, marking it used now; None if unknown, ended or idle."""
        now = self._clock.now()
        with self._lock:  # (asked on every request: `_expired` written out, the rest as in `peek`)
            session = self._by_token.get(token)
            if session is None:
                return None
            if now - session.last_used > self.idle_timeout:
                self._drop(session)
                return None
            session.last_used = now
            return session

    def peek(self, token: str) -> LogonSession | None:
        """The live session for a token without marking it used or dropping it (the request
        journal and fault rules look at who is calling; only the API's own check counts as use)."""
        return self._find(self._by_token, token)

    def get(self, session_id: UUID) -> LogonSession | None:
        """A live session by its SessionId (without touching it)."""
        return self._find(self._by_id, session_id)

    def _find(self, table: dict[Any, LogonSession], key: Any) -> LogonSession | None:
        now = self._clock.now()
        with self._lock:
            session = table.get(key)
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

    def _next_id(self) -> UUID:
        """The next logon's SessionId (called under the lock)."""
        if self.deterministic:
            return draw_session_id(self._rng)
        session_id = random_session_id()
        while session_id in self._by_id:  # 122 random bits never collide in practice; never twice live
            session_id = random_session_id()
        return session_id

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
