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
"""

from __future__ import annotations

import base64
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


# KEYS: log, base. ARGV: start, stop (absolute). Returns {base, entries...}; only {base} when
# `start` was trimmed away.
_READ = """
local base = tonumber(redis.call('GET', KEYS[2]) or '0')
local start, stop = tonumber(ARGV[1]), tonumber(ARGV[2])
if start < base then return {base} end
local out = redis.call('LRANGE', KEYS[1], start - base, stop - 1 - base)
table.insert(out, 1, base)
return out
"""


class Trimmed(Exception):
    """The entries asked for were compacted into the snapshot (`mock_em.store.compaction`)."""

    def __init__(self, base: int) -> None:
        super().__init__(f"the control log now starts at entry {base}")
        self.base = base


class ReplicationLog:
    """The shared list of control commands. Indexes are absolute: `base` (kept in `<key>:base`)
    counts the entries compaction trimmed from its head, so an entry keeps its index for good."""

    def __init__(self, client: Redis, key: str) -> None:
        self._client = client
        self.key = key
        self.base_key = f"{key}:base"
        self.base = 0  # the base as last seen
        self._read = client.register_script(_READ)

    def append(self, command: Command) -> int:
        """Log a command; returns its index (0 for the first ever)."""
        pipe = self._client.pipeline(transaction=True)
        pipe.rpush(self.key, command.encode())
        pipe.get(self.base_key)
        length, base = pipe.execute()
        self.base = int(base or 0)
        return self.base + int(length) - 1

    def length(self) -> int:
        """How many commands have ever been logged (one cheap round trip: asked before every request)."""
        pipe = self._client.pipeline(transaction=True)
        pipe.get(self.base_key)
        pipe.llen(self.key)
        base, length = pipe.execute()
        self.base = int(base or 0)
        return self.base + int(length)

    def read(self, start: int, stop: int) -> list[Command]:
        """The commands with index start..stop-1 (fewer if the log is shorter); Trimmed if `start`
        is before the base."""
        if stop <= start:
            return []
        found = self._read(keys=[self.key, self.base_key], args=[start, stop])
        self.base = int(found[0])
        if start < self.base:
            raise Trimmed(self.base)
        return [Command.decode(raw) for raw in found[1:]]
