"""The replication log: every control-plane change, in the one order all processes apply it.

A Redis list: each process appends the mutating control requests it receives (RPUSH gives the
entry its place) and applies every entry, its own and the others', in list order. World, clock,
snapshots, fault rules and the ids drawn from the EM's RNG thus go through the same changes in
every process. The entry keeps what re-applying the request needs (method, path, query, body, the
headers that shape parsing) and the wall time it was logged at (see `mock_em.store.clock`); never
credentials: a process re-applying an entry presents its own control token.

The list does not grow forever: compaction (`mock_em.store.compaction`) trims its head behind a
snapshot of the state it built. Indexes stay absolute (`<key>:base` counts the trimmed entries),
and reading entries that were trimmed raises `Trimmed`, telling the reader to load the snapshot.

A Redis can also come back empty (restarted without persistence, or flushed): the list, its base
and the snapshot are gone, and indexes would start again below what every process applied. Each
of this EM's lineages of the log carries a token (`<key>:generation`: the entry it begins at and
random bits, written at start and anew whenever the state is written back). Every read of the log
(the per-request length, an append, a batch of entries) returns the token in the same round trip,
and one that is missing or not the one this process follows raises `Rewritten`
(`mock_em.api.replication` then writes its state back, or takes the one another process wrote).
"""

from __future__ import annotations

import base64
import secrets
from contextvars import ContextVar
from dataclasses import dataclass
from typing import TYPE_CHECKING

import orjson

if TYPE_CHECKING:
    from redis import Redis

# True while this process re-applies a command another process received. What that command did
# to shared state (the session store in Redis) already happened there, once; the session store
# skips its own changes meanwhile, or a late `reset` would end sessions opened after it.
REPLAYING: ContextVar[bool] = ContextVar("mock_em_replaying", default=False)


@dataclass(frozen=True, slots=True)
class Command:
    """One logged control request."""

    method: str
    path: str
    raw_path: bytes
    query: bytes
    headers: tuple[tuple[bytes, bytes], ...]
    body: bytes
    wall: float  # epoch seconds when it was logged

    def encode(self) -> bytes:
        """The entry as stored (JSON; bytes as latin-1 text, the body as base64)."""
        return orjson.dumps(
            {
                "method": self.method,
                "path": self.path,
                "rawPath": self.raw_path.decode("latin-1"),
                "query": self.query.decode("latin-1"),
                "headers": [[k.decode("latin-1"), v.decode("latin-1")] for k, v in self.headers],
                "body": base64.b64encode(self.body).decode("ascii"),
                "wall": self.wall,
            }
        )

    @classmethod
    def decode(cls, raw: bytes) -> Command:
        """An entry as stored back into a Command."""
        data = orjson.loads(raw)
        return cls(
            method=data["method"],
            path=data["path"],
            raw_path=data["rawPath"].encode("latin-1"),
            query=data["query"].encode("latin-1"),
            headers=tuple((k.encode("latin-1"), v.encode("latin-1")) for k, v in data["headers"]),
            body=base64.b64decode(data["body"]),
            wall=float(data["wall"]),
        )


# KEYS: log, base, generation. ARGV: start, stop (absolute). Returns {base, generation,
# entries...} (generation '' when missing); only {base, generation} when `start` was trimmed away.
_READ = """
local base = tonumber(redis.call('GET', KEYS[2]) or '0')
local generation = redis.call('GET', KEYS[3]) or ''
local start, stop = tonumber(ARGV[1]), tonumber(ARGV[2])
if start < base then return {base, generation} end
local out = redis.call('LRANGE', KEYS[1], start - base, stop - 1 - base)
table.insert(out, 1, generation)
table.insert(out, 1, base)
return out
"""


# KEYS: base, log, generation. Returns {base, length, generation or ''}: one command, atomic (a
# MULTI of the three reads costs the client and Redis five, on every request).
_LENGTH = """
return {tonumber(redis.call('GET', KEYS[1]) or '0'), redis.call('LLEN', KEYS[2]), redis.call('GET', KEYS[3]) or ''}
"""


class Trimmed(Exception):
    """The entries asked for were compacted into the snapshot (`mock_em.store.compaction`)."""

    def __init__(self, base: int) -> None:
        super().__init__(f"the control log now starts at entry {base}")
        self.base = base


def new_generation(start: int) -> str:
    """A generation token for a lineage of the log that begins at entry `start` (0 for a new EM,
    the position whose state was written back otherwise), made unique by random bits."""
    return f"{start}-{secrets.token_hex(8)}"


def starts_at(generation: str | None) -> int:
    """The entry a lineage begins at, as its token says (0 if it says none)."""
    head, _, _ = (generation or "").partition("-")
    return int(head) if head.isdigit() else 0


class Rewritten(Exception):
    """The log is not the one this process was following: Redis lost it (`generation` None) or
    another process wrote the state back since (`generation`: the token it wrote). `index` is where
    an append put its entry (in a lost log: the entry is gone again once the state is written back)."""

    def __init__(self, generation: str | None, index: int | None = None) -> None:
        super().__init__("Redis lost the control log" if generation is None else "the control log was written back")
        self.generation = generation
        self.index = index


def reply_text(value: bytes | str | None) -> str | None:
    """A Redis reply as text; None for a missing key (or the script's '')."""
    if value is None:
        return None
    text = value.decode() if isinstance(value, bytes) else str(value)
    return text or None


class ReplicationLog:
    """The shared list of control commands. Indexes are absolute: `base` (kept in `<key>:base`)
    counts the entries compaction trimmed from its head, so an entry keeps its index for good.

    With a `generation`, every read also checks that `<key>:generation` still names it (see the
    module doc) and raises `Rewritten` if not; without one, nothing is checked."""

    def __init__(self, client: Redis, key: str, generation: str | None = None) -> None:
        self._client = client
        self.key = key
        self.base_key = f"{key}:base"
        self.generation_key = f"{key}:generation"
        self.generation = generation  # the lineage this process follows (None: not checked)
        self.base = 0  # the base as last seen
        self._read = client.register_script(_READ)
        self._length = client.register_script(_LENGTH)

    def current(self) -> str | None:
        """The generation Redis holds now (None: none, Redis lost it)."""
        return reply_text(self._client.get(self.generation_key))

    def _check(self, seen: bytes | str | None, index: int | None = None) -> None:
        if self.generation is None:
            return
        generation = reply_text(seen)
        if generation != self.generation:
            raise Rewritten(generation, index)

    def append(self, command: Command) -> int:
        """Log a command; returns its index (0 for the first ever). Rewritten if the log is not the
        one this process follows (the entry was pushed all the same: see `Rewritten.index`)."""
        pipe = self._client.pipeline(transaction=True)
        pipe.rpush(self.key, command.encode())
        pipe.get(self.base_key)
        pipe.get(self.generation_key)
        length, base, generation = pipe.execute()
        self.base = int(base or 0)
        index = self.base + int(length) - 1
        self._check(generation, index)
        return index

    def length(self) -> int:
        """How many commands have ever been logged (one cheap round trip: asked before every
        request); Rewritten if the log is not the one this process follows."""
        base, length, generation = self._length(keys=[self.base_key, self.key, self.generation_key])
        self._check(generation)
        self.base = int(base)
        return self.base + int(length)

    def read(self, start: int, stop: int) -> list[Command]:
        """The commands with index start..stop-1 (fewer if the log is shorter); Trimmed if `start`
        is before the base, Rewritten if the log is not the one this process follows."""
        if stop <= start:
            return []
        found = self._read(keys=[self.key, self.base_key, self.generation_key], args=[start, stop])
        self._check(found[1])
        self.base = int(found[0])
        if start < self.base:
            raise Trimmed(self.base)
        return [Command.decode(raw) for raw in found[2:]]
