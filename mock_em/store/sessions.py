"""Logon sessions kept in Redis, so that a session opened through one process is valid in all.

Each session is a hash `sessions:s:<token>` (its record as JSON, and when it was last used), with
`sessions:id:<SessionId>` → token beside it, and a sorted set `sessions:index` of live tokens
(scored by when their keys expire) to list them; a counter `sessions:logons` numbers logons. Times
are microseconds since 0001-01-01 written as 20-digit text, so that Lua compares them exactly as
text (a Lua number is a double and would round far-future virtual times).

Idle expiry is judged against the EM's clock, which may be virtual: `use` checks and touches a
session atomically in one script (a logoff through another process can never be undone by a late
touch). What keeps Redis bounded is real time: every key of a session carries the idle timeout as
its Redis expiry, renewed in that same script on each use, so a session nobody logs off is gone
from Redis one idle timeout (of real time) after its last use, whatever the EM's clock says; the
index drops the tokens whose keys expired at every logon and listing, and expires itself when no
session is left. A logoff deletes the keys. With a frozen or slow virtual clock a session may thus
end (in real time) before the virtual clock calls it idle: the bound wins over the fiction.

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

SKIP_CHUNK = 4096  # logons skipped per RNG call when catching up with other processes
_ORIGIN = datetime(1, 1, 1, tzinfo=UTC)
_MICROSECOND = timedelta(microseconds=1)

# The Lua below builds a session's key names from the prefix (ARGV[1]) and its token or id: a
# session's keys are found from what a request carries, in one round trip.
_KEYS = """
local prefix = ARGV[1]
local function skey(token) return prefix .. 'sessions:s:' .. token end
local function ikey(id) return prefix .. 'sessions:id:' .. id end
local index = prefix .. 'sessions:index'
local function now_ms()
  local t = redis.call('TIME')
  return tonumber(t[1]) * 1000 + math.floor(tonumber(t[2]) / 1000)
end
local function drop(token, id)
  redis.call('DEL', skey(token))
  if id then redis.call('DEL', ikey(id)) end
  redis.call('ZREM', index, token)
end
local function keep(token, id, ttl)
  redis.call('PEXPIRE', skey(token), ttl)
  redis.call('PEXPIRE', ikey(id), ttl)
  redis.call('ZADD', index, now_ms() + ttl, token)
  redis.call('PEXPIRE', index, ttl)
end
"""

# ARGV: prefix, token, session id, record, stamp, ttl (ms).
_LOGON = (
    _KEYS
    + """
local ttl = tonumber(ARGV[6])
redis.call('HSET', skey(ARGV[2]), 'r', ARGV[4], 'u', ARGV[5])
redis.call('SET', ikey(ARGV[3]), ARGV[2])
redis.call('ZREMRANGEBYSCORE', index, '-inf', now_ms())
keep(ARGV[2], ARGV[3], ttl)
return 1
"""
)

# ARGV: prefix, token, now (stamp), idle threshold (stamp: used before it = expired), ttl (ms).
_USE = (
    _KEYS
    + """
local found = redis.call('HMGET', skey(ARGV[2]), 'r', 'u')
local raw, used = found[1], found[2]
if not raw then return false end
local id = cjson.decode(raw)['id']
if (not used) or used < ARGV[4] then
  drop(ARGV[2], id)
  return false
end
redis.call('HSET', skey(ARGV[2]), 'u', ARGV[3])
keep(ARGV[2], id, tonumber(ARGV[5]))
return raw
"""
)

# ARGV: prefix, session id. Returns {raw, used} or nil.
_GET = (
    _KEYS
    + """
local token = redis.call('GET', ikey(ARGV[2]))
if not token then return false end
local found = redis.call('HMGET', skey(token), 'r', 'u')
if not found[1] then return false end
return {found[1], found[2] or ''}
"""
)

# ARGV: prefix, session id. Returns 1 if a session was ended.
_LOGOFF = (
    _KEYS
    + """
local token = redis.call('GET', ikey(ARGV[2]))
if not token then return 0 end
drop(token, ARGV[2])
return 1
"""
)

# ARGV: prefix, idle threshold (stamp), or '' to end every session. Drops expired sessions (and
# index entries whose keys Redis expired); returns the others as a flat list {raw, used, ...}
# (nothing when ending all, but their count).
_SWEEP = (
    _KEYS
    + """
redis.call('ZREMRANGEBYSCORE', index, '-inf', now_ms())
local kept, ended = {}, 0
for _, token in ipairs(redis.call('ZRANGE', index, 0, -1)) do
  local found = redis.call('HMGET', skey(token), 'r', 'u')
  local raw, used = found[1], found[2]
  if not raw then
    redis.call('ZREM', index, token)
  elseif ARGV[2] == '' or (not used) or used < ARGV[2] then
    drop(token, cjson.decode(raw)['id'])
    ended = ended + 1
  else
    kept[#kept + 1] = raw
    kept[#kept + 1] = used
  end
end
if ARGV[2] == '' then return ended end
return kept
"""
)


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
        self._prefix = prefix
        self._counter = f"{prefix}sessions:logons"
        self._rng = session_rng(seed)  # deterministic mode only
        self._drawn = 0  # logons whose ids this process's RNG has passed
        self._rng_lock = threading.Lock()
        self._logon = client.register_script(_LOGON)
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
        self._logon(args=[self._prefix, token, str(session_id), orjson.dumps(record), stamp(now), self._ttl()])
        return LogonSession(session_id, token, user_name, account, now, now)

    def use(self, token: str) -> LogonSession | None:
        """The live session for a token, marking it used now; None if unknown, ended or idle."""
        now = self._clock.now()
        raw = self._use(args=[self._prefix, token, stamp(now), self._threshold(now), self._ttl()])
        return None if raw is None else self._session(raw, now)

    def peek(self, token: str) -> LogonSession | None:
        """The live session for a token without marking it used or dropping it."""
        now = self._clock.now()
        raw, last = self._client.hmget(f"{self._prefix}sessions:s:{token}", "r", "u")
        if raw is None or last is None:
            return None
        session = self._session(raw, unstamp(last))
        return None if is_idle(session.last_used, now, self.idle_timeout) else session

    def get(self, session_id: UUID) -> LogonSession | None:
        """A live session by its SessionId (without touching it)."""
        now = self._clock.now()
        found = self._get(args=[self._prefix, str(session_id)])
        if not found or not found[1]:
            return None
        raw, last = found
        session = self._session(raw, unstamp(last))
        return None if is_idle(session.last_used, now, self.idle_timeout) else session

    def live(self) -> list[LogonSession]:
        """All live sessions, oldest first (expired ones are dropped on the way)."""
        now = self._clock.now()
        flat = self._sweep(args=[self._prefix, self._threshold(now)])
        pairs = sorted(zip(flat[::2], flat[1::2], strict=True), key=lambda pair: orjson.loads(pair[0])["n"])
        return [self._session(raw, unstamp(last)) for raw, last in pairs]

    def logoff(self, session_id: UUID) -> bool:
        """End a session; False if there was none (or while re-applying another process's command)."""
        if REPLAYING.get():
            return False
        return bool(self._logoff(args=[self._prefix, str(session_id)]))

    def expire_all(self) -> int:
        """End every session, in every process; returns how many there were (0 while re-applying
        another process's command: that process ended them, and later sessions must stay)."""
        if REPLAYING.get():
            return 0
        return int(self._sweep(args=[self._prefix, ""]))

    # -- helpers ------------------------------------------------------------------------------

    def _ttl(self) -> int:
        """The keys' expiry in milliseconds: the idle timeout (at least 1 ms), in real time."""
        return max(1, self.idle_timeout // timedelta(milliseconds=1))

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
