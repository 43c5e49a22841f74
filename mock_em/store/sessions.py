"""Logon sessions kept in Redis, so that a session opened through one process is valid in all.

Three hashes under the EM's prefix hold them: `sessions:data` (token → the session as JSON),
`sessions:used` (token → when it was last used) and `sessions:ids` (SessionId → token), beside a
counter `sessions:logons`. Times are microseconds since 0001-01-01 written as 20-digit text, so
that Lua compares them exactly as text (a Lua number is a double and would round far-future
virtual times).

Idle expiry is judged against the EM's clock, which may be virtual, so Redis's own key expiry is
of no use: `use` checks and touches a session atomically in one script (a logoff through another
process can never be undone by a late touch), and expired sessions are dropped when found, when
sessions are listed, and every `PURGE_EVERY` logons.

A counter (`sessions:logons`) numbers logons across processes; sessions are listed in its order.
By default a SessionId is a random GUID from `secrets` (`mock_em.model.sessions.random_session_id`):
no process needs to ask another, and 122 random bits do not collide. In deterministic mode the n-th
logon gets the n-th id that `mock_em.model.sessions.draw_session_id` draws from the seed's session
RNG: the very id the in-memory store would give it, so one process answers the same bytes with
either store, and no two processes ever hand out the same id. Each process keeps its own copy of
that RNG and skips forward over the logons other processes made. The token is always base64 of the
SessionId (`token_for`).

An account's password is not stored: nothing needs it after logon (sessions compare accounts by
name, role and tenant, all of which are kept).
"""

from __future__ import annotations

import threading
from datetime import UTC, datetime, timedelta
from typing import TYPE_CHECKING
from uuid import UUID

import orjson

from mock_em.model.clock import Clock
from mock_em.model.entities import Account, LogonSession, Role
from mock_em.model.sessions import (
    BITS_PER_LOGON,
    draw_session_id,
    is_idle,
    random_session_id,
    session_rng,
    token_for,
)
from mock_em.store.log import REPLAYING

if TYPE_CHECKING:
    from redis import Redis

PURGE_EVERY = 64  # logons between sweeps of expired sessions
SKIP_CHUNK = 4096  # logons skipped per RNG call when catching up with other processes
_ORIGIN = datetime(1, 1, 1, tzinfo=UTC)
_MICROSECOND = timedelta(microseconds=1)

# KEYS: data, used, ids. ARGV: token, now (stamp), idle threshold (stamp: used before it = expired).
_USE = """
local raw = redis.call('HGET', KEYS[1], ARGV[1])
if not raw then return false end
local used = redis.call('HGET', KEYS[2], ARGV[1])
if (not used) or used < ARGV[3] then
  redis.call('HDEL', KEYS[1], ARGV[1])
  redis.call('HDEL', KEYS[2], ARGV[1])
  redis.call('HDEL', KEYS[3], cjson.decode(raw)['id'])
  return false
end
redis.call('HSET', KEYS[2], ARGV[1], ARGV[2])
return raw
"""

# KEYS: data, used, ids. ARGV: session id. Returns {raw, used} or nil.
_GET = """
local token = redis.call('HGET', KEYS[3], ARGV[1])
if not token then return false end
local raw = redis.call('HGET', KEYS[1], token)
if not raw then return false end
return {raw, redis.call('HGET', KEYS[2], token) or ''}
"""

# KEYS: data, used, ids. ARGV: session id. Returns 1 if a session was ended.
_LOGOFF = """
local token = redis.call('HGET', KEYS[3], ARGV[1])
if not token then return 0 end
redis.call('HDEL', KEYS[1], token)
redis.call('HDEL', KEYS[2], token)
redis.call('HDEL', KEYS[3], ARGV[1])
return 1
"""

# KEYS: data, used, ids. ARGV: idle threshold (stamp). Drops expired sessions; returns the others
# as a flat list {raw, used, raw, used, ...}.
_SWEEP = """
local kept = {}
local pairs_ = redis.call('HGETALL', KEYS[2])
for i = 1, #pairs_, 2 do
  local token, used = pairs_[i], pairs_[i + 1]
  local raw = redis.call('HGET', KEYS[1], token)
  if not raw then
    redis.call('HDEL', KEYS[2], token)
  elseif used < ARGV[1] then
    redis.call('HDEL', KEYS[1], token)
    redis.call('HDEL', KEYS[2], token)
    redis.call('HDEL', KEYS[3], cjson.decode(raw)['id'])
  else
    kept[#kept + 1] = raw
    kept[#kept + 1] = used
  end
end
return kept
"""


def stamp(when: datetime) -> str:
    """A time as 20-digit microseconds since 0001-01-01 UTC (text compares as time does)."""
    return f"{(when - _ORIGIN) // _MICROSECOND:020d}"


def unstamp(text: bytes | str) -> datetime:
    """The time a `stamp` wrote."""
    return _ORIGIN + int(text) * _MICROSECOND


class RedisSessionStore:
    """The live sessions of one Enterprise Manager, shared by every process that serves it
    (see the module doc); the same interface as `mock_em.model.sessions.InMemorySessionStore`."""

    def __init__(
        self,
        client: Redis,
        prefix: str,
        clock: Clock,
        seed: int,
        idle_timeout: timedelta = timedelta(minutes=15),
        *,
        deterministic: bool = False,
    ) -> None:
        self._client = client
        self._clock = clock
        self._seed = seed
        self.deterministic = deterministic
        self._keys = [f"{prefix}sessions:data", f"{prefix}sessions:used", f"{prefix}sessions:ids"]
        self._counter = f"{prefix}sessions:logons"
        self._rng = session_rng(seed)  # deterministic mode only
        self._drawn = 0  # logons whose ids this process's RNG has passed
        self._rng_lock = threading.Lock()
        self._use = client.register_script(_USE)
        self._get = client.register_script(_GET)
        self._logoff = client.register_script(_LOGOFF)
        self._sweep = client.register_script(_SWEEP)
        self.idle_timeout = idle_timeout

    # -- the interface ------------------------------------------------------------------------

    def logon(self, account: Account, user_name: str) -> LogonSession:
        """Open a session for an authenticated account."""
        now = self._clock.now()
        number = int(self._client.incr(self._counter))
        session_id = self._id(number) if self.deterministic else random_session_id()
        token = token_for(session_id)
        record = {
            "n": number,
            "id": str(session_id),
            "token": token,
            "user": user_name,
            "account": [account.user_name, account.role.value, str(account.tenant_id) if account.tenant_id else None],
            "created": stamp(now),
        }
        data, used, ids = self._keys
        pipe = self._client.pipeline(transaction=True)
        pipe.hset(data, token, orjson.dumps(record))
        pipe.hset(used, token, stamp(now))
        pipe.hset(ids, str(session_id), token)
        pipe.execute()
        if number % PURGE_EVERY == 0:
            self._sweep(keys=self._keys, args=[self._threshold(now)])
        return LogonSession(session_id, token, user_name, account, now, now)

    def use(self, token: str) -> LogonSession | None:
        """The live session for a token, marking it used now; None if unknown, ended or idle."""
        now = self._clock.now()
        raw = self._use(keys=self._keys, args=[token, stamp(now), self._threshold(now)])
        return None if raw is None else self._session(raw, now)

    def peek(self, token: str) -> LogonSession | None:
        """The live session for a token without marking it used or dropping it."""
        now = self._clock.now()
        data, used, _ = self._keys
        pipe = self._client.pipeline(transaction=True)
        pipe.hget(data, token)
        pipe.hget(used, token)
        raw, last = pipe.execute()
        if raw is None or last is None:
            return None
        session = self._session(raw, unstamp(last))
        return None if is_idle(session.last_used, now, self.idle_timeout) else session

    def get(self, session_id: UUID) -> LogonSession | None:
        """A live session by its SessionId (without touching it)."""
        now = self._clock.now()
        found = self._get(keys=self._keys, args=[str(session_id)])
        if not found or not found[1]:
            return None
        raw, last = found
        session = self._session(raw, unstamp(last))
        return None if is_idle(session.last_used, now, self.idle_timeout) else session

    def live(self) -> list[LogonSession]:
        """All live sessions, oldest first (expired ones are dropped on the way)."""
        now = self._clock.now()
        flat = self._sweep(keys=self._keys, args=[self._threshold(now)])
        pairs = sorted(zip(flat[::2], flat[1::2], strict=True), key=lambda pair: orjson.loads(pair[0])["n"])
        return [self._session(raw, unstamp(last)) for raw, last in pairs]

    def logoff(self, session_id: UUID) -> bool:
        """End a session; False if there was none (or while re-applying another process's command)."""
        if REPLAYING.get():
            return False
        return bool(self._logoff(keys=self._keys, args=[str(session_id)]))

    def expire_all(self) -> int:
        """End every session, in every process; returns how many there were (0 while re-applying
        another process's command: that process ended them, and later sessions must stay)."""
        if REPLAYING.get():
            return 0
        data, used, ids = self._keys
        pipe = self._client.pipeline(transaction=True)
        pipe.hlen(ids)
        pipe.delete(data, used, ids)
        count, _ = pipe.execute()
        return int(count)

    # -- helpers ------------------------------------------------------------------------------

    def _threshold(self, now: datetime) -> str:
        """Sessions last used before this stamp are idle at `now`."""
        try:
            return stamp(now - self.idle_timeout)
        except OverflowError:  # a clock set near year 1: nothing has been idle that long
            return stamp(_ORIGIN)

    def _id(self, number: int) -> UUID:
        """The SessionId of the `number`-th logon (1-based) of this EM in deterministic mode."""
        with self._rng_lock:
            if number - 1 < self._drawn:  # the counter went back (the store was emptied): start over
                self._rng, self._drawn = session_rng(self._seed), 0
            skip = number - 1 - self._drawn
            while skip > 0:  # the same bits per logon as draw_session_id takes
                chunk = min(skip, SKIP_CHUNK)
                self._rng.getrandbits(BITS_PER_LOGON * chunk)
                skip -= chunk
            self._drawn = number
            return draw_session_id(self._rng)

    @staticmethod
    def _session(raw: bytes, last_used: datetime) -> LogonSession:
        record = orjson.loads(raw)
        name, role, tenant = record["account"]
        account = Account(name, "", Role(role), UUID(tenant) if tenant else None)
        created = unstamp(record["created"])
        return LogonSession(UUID(record["id"]), record["token"], record["user"], account, created, last_used)
