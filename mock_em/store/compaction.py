"""Compacting the control log: a snapshot of the shared state, and the log's tail after it.

Every process applies the control log (`mock_em.store.log`) in order, so the state it holds after
applying the first `n` entries is the same in every process: that state, written down, can stand
in for those `n` entries. Once `compact_every` entries were logged since the last snapshot, the
process that just applied its own entry writes such a snapshot under `control-snapshot` (a hash:
`pos`, the log position it covers, and `state`) and, in the same MULTI, trims the entries before
the *previous* snapshot's position from the list and sets `control-log:base` to it, so entry
indexes stay what they were. The log thus keeps between one and two rounds of `compact_every`
entries. Keeping one round more than the snapshot needs is deliberate: a process that appended
its own entry and has not yet applied the ones before it must still find them, or its client's
answer would be lost inside a snapshot. A process that starts late loads the snapshot and applies
the tail; one whose position was trimmed away reloads it (`mock_em.api.replication`).

Two guards keep compactions apart: a lock key (`control-log:compacting`, SET NX with an expiry, so
a process killed mid-way cannot hold it) saves the work of a second snapshot, and a WATCH on the
base makes the trim itself correct even if a lock expired. Appends never race a trim: LTRIM
counts from the head, appends go to the tail, and readers read base and entries in one script.

The state is what replaying the log rebuilds, and nothing the settings already give every process
alike (`mock_em.store.shared_state`). It is JSON, never a pickle: a snapshot comes from Redis, and
whoever can write there must not be able to run code in the EM's processes.
"""

from __future__ import annotations

import logging
import secrets
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from typing import TYPE_CHECKING

from mock_em.store.log import reply_text
from mock_em.store.shared_state import SharedState

if TYPE_CHECKING:
    from redis import Redis

__all__ = ["Compactor", "SharedState", "Snapshot"]

LOCK_MS = 60_000  # how long a compaction may hold the lock before another may start
RESEED_LOCK_MS = 10_000  # how long writing the state back may hold its lock before another may try
CANDIDATES_MS = 30_000  # how long the processes' positions, offered to write the state back, are kept
logger = logging.getLogger("mock_em.compaction")

_RELEASE = """
if redis.call('GET', KEYS[1]) == ARGV[1] then return redis.call('DEL', KEYS[1]) end
return 0
"""


@dataclass(frozen=True)
class Snapshot:
    """The shared state as of log position `pos` (entries 0..pos-1 applied)."""

    pos: int
    state: bytes


class Compactor:
    """Writes and reads one EM's control snapshot and trims its log (see the module doc)."""

    def __init__(self, client: Redis, prefix: str, every: int) -> None:
        self._client = client
        self.every = every
        self.log_key = f"{prefix}control-log"
        self.base_key = f"{prefix}control-log:base"
        self.snapshot_key = f"{prefix}control-snapshot"
        self.lock_key = f"{prefix}control-log:compacting"
        self.generation_key = f"{prefix}control-log:generation"
        self.reseed_lock_key = f"{prefix}control-log:reseeding"
        self.candidates_key = f"{prefix}control-log:candidates"
        self.known = 0  # the latest snapshot position this process has seen
        self._release = client.register_script(_RELEASE)

    def due(self, applied: int) -> bool:
        """Whether a process that has applied `applied` entries should write a snapshot."""
        return self.every > 0 and applied - self.known >= self.every

    def load(self) -> Snapshot | None:
        """The latest snapshot, or None if the log was never compacted."""
        pos, state = self._client.hmget(self.snapshot_key, "pos", "state")
        if pos is None or state is None:
            return None
        self.known = max(self.known, int(pos))
        return Snapshot(int(pos), bytes(state))

    def compact(self, pos: int, state: bytes, generation: str | None = None) -> bool:
        """Store `state` as the snapshot at `pos` and trim the log before the previous snapshot;
        False if another process is compacting or compacted lately, or if the log's generation is
        no longer `generation` (the state was written back meanwhile: `state` belongs to the log
        before; None: not checked)."""
        import redis

        token = secrets.token_hex(8)
        if not self._client.set(self.lock_key, token, nx=True, px=LOCK_MS):
            return False
        try:
            with self._client.pipeline(transaction=True) as pipe:
                pipe.watch(self.base_key, self.snapshot_key, self.generation_key)
                if generation is not None and reply_text(pipe.get(self.generation_key)) != generation:
                    return False
                base = int(pipe.get(self.base_key) or 0)
                previous = int(pipe.hget(self.snapshot_key, "pos") or 0)
                self.known = max(self.known, previous)
                if pos - previous < self.every or previous < base:
                    return False
                pipe.multi()
                pipe.hset(self.snapshot_key, mapping={"pos": pos, "state": state})
                pipe.hdel(self.snapshot_key, "from")  # no longer the snapshot written back (`Lineage`)
                pipe.ltrim(self.log_key, previous - base, -1)
                pipe.set(self.base_key, previous)
                pipe.execute()
            self.known = pos
            logger.info(
                "control log compacted: snapshot at entry %d (%d bytes), log from %d", pos, len(state), previous
            )
            return True
        except redis.WatchError:
            return False
        finally:
            self._release(keys=[self.lock_key], args=[token])

    def lineage(self) -> Lineage:
        """The log's generation now, with the snapshot and the entries that go with it (read together)."""
        pipe = self._client.pipeline(transaction=True)
        pipe.get(self.generation_key)
        pipe.hmget(self.snapshot_key, "pos", "state", "from")
        pipe.llen(self.log_key)
        generation, (pos, state, origin), held = pipe.execute()
        snapshot = None if pos is None or state is None else Snapshot(int(pos), bytes(state))
        return Lineage(reply_text(generation), snapshot, int(held), reply_text(origin))

    def stand(self, member: str, applied: int) -> tuple[bool, str]:
        """Offer (again) to write the state back into an emptied Redis, with the entries applied:
        whether the offer is new (none was there: not made yet, or lost with Redis again), and the
        candidate that applied the most entries (ties: the greatest name)."""
        pipe = self._client.pipeline(transaction=True)
        pipe.zadd(self.candidates_key, {member: applied})
        pipe.pexpire(self.candidates_key, CANDIDATES_MS)
        pipe.zrevrange(self.candidates_key, 0, 0)
        added, _, leader = pipe.execute()
        return bool(added), leader[0].decode()

    def reseed(
        self,
        pos: int,
        state: Callable[[], bytes],
        kept: Mapping[str, bytes],
        generation: str,
        replacing: str | None = None,
        *,
        origin: str | None = None,
        unused: bool = False,
    ) -> bool:
        """Write this EM's keys back into a Redis that lost them: `kept` (its config and epoch, as
        they were), the snapshot `state()` at `pos` with the log empty from there, and the new
        `generation`; False if another process is doing so, or the generation is no longer
        `replacing` (None: missing), i.e. someone else did it first. With `unused`, also False if
        an entry was logged after the snapshot that `replacing` wrote (it must not be dropped).
        `origin` (the generation the writer followed before) is kept with the snapshot (`Lineage`).

        `state` is called only once this process holds the lock (a capture is not cheap); the
        WATCH on the generation and the log makes the write correct even if that lock expired."""
        import redis

        token = secrets.token_hex(8)
        if not self._client.set(self.reseed_lock_key, token, nx=True, px=RESEED_LOCK_MS):
            return False
        try:
            with self._client.pipeline(transaction=True) as pipe:
                pipe.watch(self.generation_key, self.log_key)
                if reply_text(pipe.get(self.generation_key)) != replacing:
                    return False
                if unused and pipe.llen(self.log_key) > 0:
                    return False
                blob = state()
                pipe.multi()
                for key, value in kept.items():
                    pipe.set(key, value)
                pipe.delete(self.log_key, self.snapshot_key, self.candidates_key)
                pipe.hset(self.snapshot_key, mapping={"pos": pos, "state": blob, "from": origin or ""})
                pipe.set(self.base_key, pos)
                pipe.set(self.generation_key, generation)
                pipe.execute()
            self.known = pos
            return True
        except redis.WatchError:
            return False
        finally:
            self._release(keys=[self.reseed_lock_key], args=[token])


@dataclass(frozen=True)
class Lineage:
    """What `Compactor.lineage` read: the log's `generation` (None: Redis lost it), the snapshot
    (None: none), how many entries the log `held`, and `origin`: the generation followed by the
    process that wrote the snapshot back into an emptied Redis (None: not written back so)."""

    generation: str | None
    snapshot: Snapshot | None
    held: int
    origin: str | None
