"""Replication: every process of one EM applies the same control commands in the same order.

Only with a shared store (`--redis-url`); it wraps the whole app, outside the recorder.

* A mutating control request (POST, PUT, PATCH or DELETE under `/mock`) is not handled directly.
  The process that received it appends it to the shared log (`mock_em.store.log`), applies every
  entry it has not applied yet in log order by dispatching it in-process to the app behind it,
  and then its own entry, whose answer goes to the client. Entries of other processes are
  answered into the void. One asyncio lock per process keeps this in order.
* Every other request first applies the entries this process has not applied (one `LLEN` per
  request tells whether there are any), so a client that changed the world through one process
  sees the change through any other at once.

Each entry is applied with the clock pinned to the wall time it was logged at (made monotonic
along the log; see `mock_em.store.clock`), so relative clock changes and "now" reads give the same
state everywhere, for a running clock too. While an entry of another process is applied,
`REPLAYING` is set: its effect on the shared sessions happened once already, where it was sent.

Requests that the control token would refuse are passed to the app (which refuses them) without
being logged, and logged entries keep no credentials: a process re-applying one presents its own
token. Each answer carries `X-Mock-Em-Worker: host:pid`, so a client (or a test) can tell which
process answered.

What stays per process, by design or for now:

* the request journal: `GET /mock/journal` lists the requests this process answered (a clear
  through any process clears them all, as it is a logged command);
* fault-rule statistics: every process has the same rules, but counts matches on its own, so a
  rule with `maxCount`, `skipFirst` or a `probability` acts per process (`maxCount: 1` with two
  workers can fire twice);
* in demo mode, the world also runs forward whenever a process answers a vendor request; a world
  edit logged within the same few milliseconds as a scheduled run may then meet that run in one
  process and miss it in another. With a frozen clock (the default with `--clock`) and with real
  time outside demo mode the processes stay identical.

The log is compacted (`mock_em.store.compaction`): every `compact_every` entries a process writes
a snapshot of the state the log built, and the log's head is trimmed. A process that starts late
(a restarted worker, a new container) loads the snapshot and applies the entries after it; a
running one that finds the entries it still needed trimmed away does the same.

Redis may come back empty (restarted without persistence, or flushed while the EM runs): the log,
the snapshot, the settings and the epoch are gone, and the log's indexes would start again below
what each process applied. The log's generation token (`mock_em.store.log`) tells at once, in the
round trip every request makes anyway. The processes that notice within a moment (`ELECTION`)
offer their positions, and the one that applied the most writes back, under a lock and a WATCH
(`Compactor.reseed`), the settings and the epoch as they were, a snapshot of its own state at its
position and a new token, with the log empty from there; every other process takes that snapshot,
so all agree again, and new entries follow from that position. One that had applied more entries
than the writer (it was idle meanwhile) writes its own state back instead, as long as nothing was
logged since; once something was, it drops back to the snapshot like the rest, and the changes
only it had applied are gone. Each says what it did in one line. The sessions are gone, as after
an EM restart: their tokens are answered 401 and clients log on again. A control change whose
entry went into the lost log is logged again once the state is back; one made through a process
that started on the empty Redis before anyone noticed is lost with that process's fresh world.
"""

from __future__ import annotations

import asyncio
import hmac
import logging
import os
import secrets
import socket
import time
from collections.abc import Mapping

from starlette.types import ASGIApp, Message, Receive, Scope, Send

from mock_em.api.errors import STATUS_NAMES
from mock_em.control import PREFIX
from mock_em.store.clock import pinned
from mock_em.store.compaction import Compactor, Lineage, SharedState, Snapshot
from mock_em.store.log import REPLAYING, Command, ReplicationLog, Rewritten, Trimmed, new_generation, starts_at
from mock_em.store.outage import is_store_error
from mock_em.wire import documents as doc
from mock_em.wire.render import render

MUTATING = frozenset({"POST", "PUT", "PATCH", "DELETE"})
WORKER_HEADER = b"x-mock-em-worker"
# Headers an entry keeps: those that shape how the body is parsed and how errors are written.
KEPT_HEADERS = frozenset({b"content-type", b"accept"})
READ_CHUNK = 256  # entries fetched per round trip while catching up
REJOIN_WAIT = 25.0  # seconds to wait for another process writing the state back (its lock lasts 10)
REJOIN_POLL = 0.05
ELECTION = 0.3  # seconds the processes that noticed an emptied Redis offer their positions
APPEND_ATTEMPTS = 3  # appends into a log that keeps being lost before the client gets a 503

logger = logging.getLogger("mock_em.replication")


def worker_name() -> str:
    """`host:pid`: unique across the processes of one machine and across containers."""
    return f"{socket.gethostname()}:{os.getpid()}"


def is_control_change(method: str, path: str) -> bool:
    """A request that changes control-plane state: a mutating method under `/mock`."""
    return method in MUTATING and (path == PREFIX or path.startswith(PREFIX + "/"))


def presented_token(headers: list[tuple[bytes, bytes]]) -> str | None:
    """The control token a request presents (`X-Mock-Token`, else `Authorization: Bearer`), as
    `mock_em.control.auth` reads it."""
    bearer = None
    for key, value in headers:
        name = key.lower()
        if name == b"x-mock-token":
            return value.decode("latin-1")
        if name == b"authorization" and bearer is None:
            scheme, _, rest = value.decode("latin-1").partition(" ")
            if scheme.casefold() == "bearer":
                bearer = rest.strip()
    return bearer


class _Gone(Exception):
    """The client went away before its request body arrived."""


async def read_body(receive: Receive) -> bytes:
    """The whole request body."""
    chunks: list[bytes] = []
    while True:
        message = await receive()
        if message["type"] == "http.disconnect":
            raise _Gone
        chunks.append(message.get("body", b""))
        if not message.get("more_body", False):
            return b"".join(chunks)


def replay_receive(body: bytes, then: Receive | None = None) -> Receive:
    """A `receive` that yields `body` once, then defers to `then` (or waits: nobody disconnects)."""
    sent = False

    async def receive() -> Message:
        nonlocal sent
        if not sent:
            sent = True
            return {"type": "http.request", "body": body, "more_body": False}
        if then is not None:
            return await then()
        await asyncio.Event().wait()  # a replayed request has no client to lose
        return {"type": "http.disconnect"}  # pragma: no cover

    return receive


LOST_ANSWER = "The change was applied, but its answer was lost to control log compaction; read the state back"
LOST_LOG = "Redis keeps losing the control log; the change was not applied, try again"


async def _lost(send: Send, message: str = LOST_ANSWER) -> None:
    """The answer to a control change whose effect arrived through a snapshot: it happened, but
    what it answered is unknown; a 503 Error (JSON, as the control plane speaks) says to read the
    state back. (With `LOST_LOG`: one that could not be logged at all.)"""
    body, media_type = render(doc.error(503, STATUS_NAMES[503], message), True)
    await send(
        {
            "type": "http.response.start",
            "status": 503,
            "headers": [(b"content-type", media_type.encode()), (b"content-length", str(len(body)).encode())],
        }
    )
    await send({"type": "http.response.body", "body": body})


async def _discard(message: Message) -> None:
    """Where the answers to other processes' commands go."""


class Replication:
    """ASGI middleware: apply the shared control log before anything else (see the module doc)."""

    def __init__(
        self,
        app: ASGIApp,
        log: ReplicationLog,
        *,
        control_token: str | None = None,
        floor: float = 0.0,
        worker: str | None = None,
        compactor: Compactor | None = None,
        state: SharedState | None = None,
        kept: Mapping[str, bytes] | None = None,
    ) -> None:
        self.app = app
        self.log = log
        self.applied = 0  # entries of the log this process has applied
        self.control_token = control_token
        self.worker = (worker or worker_name()).encode("latin-1")
        self._last_pin = floor  # pins never go back: the epoch, then each entry's
        self._lock = asyncio.Lock()
        self.compactor = compactor if state is not None else None
        self.state = state
        self.kept = dict(kept or {})  # keys written back with the state if Redis loses them
        self._candidate = f"{self.worker.decode('latin-1')}:{secrets.token_hex(4)}"  # unique per instance
        self.resync()

    def resync(self) -> bool:
        """Load the latest snapshot if it lies past what this process applied (at start, and
        when the entries it needed were trimmed); False if there is none to load."""
        if self.compactor is None or self.state is None:
            return False
        snapshot = self.compactor.load()
        if snapshot is None or snapshot.pos <= self.applied:
            return False
        pin = self.state.restore(snapshot.state)
        self.applied = snapshot.pos
        self._last_pin = max(self._last_pin, pin)
        logger.info("loaded the control snapshot at entry %d", snapshot.pos)
        return True

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        send = self._tagged(send)
        if is_control_change(scope["method"], scope["path"]) and self._authorized(scope["headers"]):
            try:
                body = await read_body(receive)
            except _Gone:
                return
            await self._command(scope, body, receive, send)
            return
        await self.catch_up()
        await self.app(scope, receive, send)

    def _tagged(self, send: Send) -> Send:
        async def tagged(message: Message) -> None:
            if message["type"] == "http.response.start":
                message = {**message, "headers": [*message.get("headers", []), (WORKER_HEADER, self.worker)]}
            await send(message)

        return tagged

    def _authorized(self, headers: list[tuple[bytes, bytes]]) -> bool:
        if not self.control_token:
            return True
        presented = presented_token(headers)
        return presented is not None and hmac.compare_digest(presented.encode(), self.control_token.encode())

    async def catch_up(self) -> None:
        """Apply the entries other processes logged since this one last looked."""
        try:
            if self.log.length() <= self.applied:
                return
        except Rewritten:
            pass  # `_apply_pending` meets it again under the lock, and rejoins
        async with self._lock:
            await self._apply_pending(None)

    async def _command(self, scope: Scope, body: bytes, receive: Receive, send: Send) -> None:
        """Log a control request, apply what precedes it, then apply it and answer the client."""
        headers = tuple((k.lower(), v) for k, v in scope["headers"] if k.lower() in KEPT_HEADERS)
        command = Command(
            method=scope["method"],
            path=scope["path"],
            raw_path=scope.get("raw_path") or scope["path"].encode("utf-8"),
            query=scope.get("query_string", b""),
            headers=headers,
            body=body,
            wall=time.time(),
        )
        async with self._lock:
            index = await self._log(command)
            if index is None:
                await _lost(send, LOST_LOG)
                return
            if self.applied > index:  # only if this process stalled a whole round of compaction
                logger.warning("%s %s was applied from a snapshot; its answer is lost", command.method, command.path)
                await _lost(send)
                return
            await self._apply(command, (scope, replay_receive(body, receive), send))
            self._maybe_compact()

    def _maybe_compact(self) -> None:
        """Write a snapshot of the state after this process's own entry, when one is due."""
        if self.compactor is None or self.state is None or not self.compactor.due(self.applied):
            return
        try:
            blob = self.state.capture(self._last_pin)
        except Exception:  # a state it cannot write (a bug, not a race: it runs between two entries): next time
            logger.warning("control snapshot not taken; will retry", exc_info=True)
            return
        self.compactor.compact(self.applied, blob, self.log.generation)

    async def _log(self, command: Command) -> int | None:
        """Log a command and apply the entries before it; returns its index. An entry that went
        into a log Redis lost, before or after the append, is gone once the state is written back,
        unless the state written back holds it (it began past the entry: `applied` is past it
        too): it is logged again then. None if the log kept being lost."""
        for _ in range(APPEND_ATTEMPTS):
            try:
                index = self.log.append(command)
            except Rewritten as rewritten:
                await self._rejoin()
                landed = rewritten.generation is not None and rewritten.generation == self.log.generation
                if not landed or rewritten.index is None:
                    continue  # it went into the log that was lost
                index = rewritten.index  # it went into the log this process follows now
            generation = self.log.generation
            await self._apply_pending(index)
            if self.log.generation == generation and self.log.current() != generation:
                await self._rejoin()  # lost since the append (one GET per change: changes are rare)
            if self.log.generation == generation or starts_at(self.log.generation) > index:
                return index
        return None

    async def _apply_pending(self, stop: int | None) -> None:
        """Apply logged entries from `applied` up to (not including) `stop`, or to the log's end."""
        while stop is None or self.applied < stop:
            upto = self.applied + READ_CHUNK if stop is None else min(stop, self.applied + READ_CHUNK)
            try:
                batch = self.log.read(self.applied, upto)
            except Trimmed:
                if not self.resync():
                    raise
                continue
            except Rewritten:
                await self._rejoin()
                continue
            if not batch:
                return
            for command in batch:
                await self._apply(command, None)

    async def _rejoin(self) -> None:
        """Follow the log Redis holds now, which is not the one this process followed (see the
        module doc): write this process's state back if Redis lost it, else take the snapshot
        written back. Called under the lock; bounded by `REJOIN_WAIT`."""
        if self.compactor is None or self.state is None:
            raise RuntimeError("a shared log without a compactor cannot be rejoined")
        began = stood = time.monotonic()
        deadline = began + REJOIN_WAIT
        while True:
            found = self.compactor.lineage()
            generation, snapshot = found.generation, found.snapshot
            if generation is not None and generation == self.log.generation:
                return  # rejoined already (another request of this process did)
            if generation is not None and snapshot is not None:
                if not self._ahead_of(found):
                    self._adopt(generation, snapshot)
                    return
                # Written back by a process of the same lineage that had applied fewer entries,
                # and nothing logged since: this one's state (those entries and more) replaces it.
                if self._write_back(generation, unused=True):
                    return
            elif generation is None:
                # Redis lost the keys: the processes that notice within `ELECTION` offer their
                # positions, and the one that applied the most writes its state back (any, if
                # it does not within half the wait). Offers lost with Redis are made again.
                added, leader = self.compactor.stand(self._candidate, self.applied)
                now = time.monotonic()
                if added:
                    stood = now
                chosen = leader == self._candidate or now - began > REJOIN_WAIT / 2
                if now - stood >= ELECTION and chosen and self._write_back(None):
                    return
            # A process started on the empty Redis before anyone noticed (a generation with no
            # snapshot: a fresh world, nothing to take): write ours back over it.
            elif self._write_back(generation):
                return
            if time.monotonic() >= deadline:
                import redis

                raise redis.TimeoutError("no process wrote this EM's state back into Redis in time")
            await asyncio.sleep(REJOIN_POLL)

    def _ahead_of(self, found: Lineage) -> bool:
        """Whether this process's state holds everything the snapshot written back holds, and more."""
        return (
            found.snapshot is not None
            and found.held == 0
            and found.origin == self.log.generation
            and self.applied > found.snapshot.pos
        )

    def _write_back(self, replacing: str | None, *, unused: bool = False) -> bool:
        """Write this process's state back as the snapshot at its position; False if another
        process is doing so or did (see `Compactor.reseed`)."""
        assert self.compactor is not None and self.state is not None
        generation = new_generation(self.applied)
        state = self.state
        try:
            written = self.compactor.reseed(
                self.applied,
                lambda: state.capture(self._last_pin),
                self.kept,
                generation,
                replacing,
                origin=self.log.generation,
                unused=unused,
            )
        except Exception as exc:
            if is_store_error(exc):
                raise
            logger.warning("writing the control state back failed; will retry", exc_info=True)
            return False
        if written:
            self.log.generation = generation
            logger.error(
                "Redis lost this EM's keys (restarted without persistence, or flushed): wrote back the state at "
                "entry %d from this process; sessions are gone, clients get 401 and log on again; run Redis with "
                "persistence (appendonly yes) to keep them",
                self.applied,
            )
        return written

    def _adopt(self, generation: str, snapshot: Snapshot) -> None:
        """Take the state another process wrote back. Loaded even at this process's own position,
        which a compaction since may have reached with entries this process never saw."""
        assert self.compactor is not None and self.state is not None
        had = self.applied
        self._last_pin = self.state.restore(snapshot.state)
        self.applied = snapshot.pos
        self.compactor.known = snapshot.pos
        self.log.generation = generation
        logger.error(
            "Redis lost this EM's keys (restarted without persistence, or flushed): took the state at entry %d "
            "another process wrote back (this process had applied %d); sessions are gone, clients get 401 and "
            "log on again",
            snapshot.pos,
            had,
        )

    async def _apply(self, command: Command, own: tuple[Scope, Receive, Send] | None) -> None:
        """Apply one entry at its pinned time: this process's own (answering its client) or another's."""
        pin = max(command.wall, self._last_pin)
        self._last_pin = pin
        replaying = REPLAYING.set(own is None)
        applied = True
        try:
            with pinned(pin):
                if own is not None:
                    await self.app(*own)
                else:
                    await self.app(self._scope(command), replay_receive(command.body), _discard)
        except Exception as exc:
            if own is not None:
                raise
            if is_store_error(exc):  # Redis went away mid-entry: the entry is applied again once it is back
                applied = False
                raise
            logger.warning("re-applying %s %s failed", command.method, command.path, exc_info=True)
        finally:
            REPLAYING.reset(replaying)
            if applied:
                self.applied += 1

    def _scope(self, command: Command) -> Scope:
        """The ASGI scope of another process's entry, as this process's app should see it."""
        headers = [*command.headers, (b"content-length", str(len(command.body)).encode())]
        if self.control_token:
            headers.append((b"x-mock-token", self.control_token.encode()))
        return {
            "type": "http",
            "asgi": {"version": "3.0", "spec_version": "2.3"},
            "http_version": "1.1",
            "method": command.method,
            "scheme": "http",
            "path": command.path,
            "raw_path": command.raw_path,
            "root_path": "",
            "query_string": command.query,
            "headers": headers,
            "client": None,
            "server": None,
            "state": {},
        }
