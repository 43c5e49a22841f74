"""The replication log: every control-plane change, in the one order all processes apply it.

A Redis list: each process appends the mutating control requests it receives (RPUSH gives the
entry its place) and applies every entry, its own and the others', in list order. World, clock,
snapshots, fault rules and the ids drawn from the EM's RNG thus go through the same changes in
every process. The entry keeps what re-applying the request needs (method, path, query, body, the
headers that shape parsing) and the wall time it was logged at (see `mock_em.store.clock`); never
credentials: a process re-applying an entry presents its own control token.
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


class ReplicationLog:
    """The shared, append-only list of control commands."""

    def __init__(self, client: Redis, key: str) -> None:
        self._client = client
        self.key = key

    def append(self, command: Command) -> int:
        """Log a command; returns its index (0 for the first ever)."""
        return int(self._client.rpush(self.key, command.encode())) - 1

    def length(self) -> int:
        """How many commands have been logged (one cheap round trip: asked before every request)."""
        return int(self._client.llen(self.key))

    def read(self, start: int, stop: int) -> list[Command]:
        """The commands with index start..stop-1 (fewer if the log is shorter)."""
        if stop <= start:
            return []
        return [Command.decode(raw) for raw in self._client.lrange(self.key, start, stop - 1)]
