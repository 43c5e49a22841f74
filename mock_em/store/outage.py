"""Redis outages: answer 503 at once while the store is away, and come back by itself.

A process of a shared EM cannot answer a vendor request without Redis: it must catch up with the
control log first, and sessions live there. While Redis is unreachable, every such request gets a
Veeam `Error` 503 (`ServiceUnavailable`) instead of a 500, and in bounded time:

* the Redis client has short socket and connect timeouts (`CLIENT_TIMEOUT`), so the request that
  meets the outage first waits at most about that long;
* from then on, `Outage` is "down": `OutageGuard` answers every request but `/mock/health`,
  `/mock/ready` and reads of `/mock/journal` with the 503 before anything touches Redis (the
  client is synchronous, and a stopped server would otherwise hold the event loop for a timeout
  per request); those 503s carry `X-Mock-Em-Worker` and are journaled like any other answer;
* a probe thread pings Redis every `PROBE_EVERY` seconds with a client of its own; when it answers,
  the outage ends, and the next request catches up with the log as usual. Sessions Redis kept are
  valid again: nothing in this process forgot them. A Redis that comes back empty is noticed by
  that request too, whether or not an outage was seen: the EM's state is written back from the
  processes' memory and said so once per process (`mock_em.api.replication`).

The outage is logged once when it begins and once when it ends, never per request. `/mock/ready`
answers 503 with the reason meanwhile; `/mock/health` (the process answers) stays 200.
"""

from __future__ import annotations

import asyncio
import logging
import sys
import threading
import time
from collections.abc import Callable
from typing import TYPE_CHECKING, Any, Protocol

from starlette.types import ASGIApp, Message, Receive, Scope, Send

if TYPE_CHECKING:
    from redis import Redis

CLIENT_TIMEOUT = 1.0  # seconds a Redis connect or reply may take before the store counts as away
PROBE_EVERY = 0.25  # seconds between pings while Redis is away
OPEN_PATHS = frozenset({"/mock/health", "/mock/ready"})  # answered from this process alone
LOCAL_READS = frozenset({"/mock/journal", "/mock/journal/count"})  # GETs answered from this process's memory
WORKER_HEADER = b"x-mock-em-worker"  # as `mock_em.api.replication` tags every other answer

logger = logging.getLogger("mock_em.store")


def is_store_error(exc: BaseException) -> bool:
    """An error of the Redis client (unreachable, timed out, refused, loading): the store is away.

    Looked up without importing `redis`, which is an optional dependency."""
    redis = sys.modules.get("redis")
    return redis is not None and isinstance(exc, redis.RedisError)


def describe(exc: BaseException) -> str:
    """A short, password-free reason (the client's messages never carry the URL's password)."""
    text = str(exc).strip().splitlines()[0] if str(exc).strip() else ""
    return f"{type(exc).__name__}: {text}" if text else type(exc).__name__


class Outage:
    """Whether this process can reach its Redis; begins on the first store error, ends by probing."""

    def __init__(self, probe_client: Redis, url: str) -> None:
        self._probe = probe_client  # a client of its own: the probe never queues behind requests
        self.url = url  # redacted
        self._lock = threading.Lock()
        self.reason: str | None = None
        self.since: float | None = None
        self._thread: threading.Thread | None = None

    @property
    def down(self) -> bool:
        """Redis is known to be away."""
        return self.reason is not None

    def begin(self, exc: BaseException) -> None:
        """Note a store error: the first starts the outage (logged once) and the probe."""
        with self._lock:
            if self.reason is not None:
                return
            self.reason = f"Redis at {self.url} is unreachable ({describe(exc)})"
            self.since = time.monotonic()
            logger.error("%s; vendor requests answer 503 until it is back", self.reason)
            self._thread = threading.Thread(target=self._watch, name="mock-em-redis-probe", daemon=True)
            self._thread.start()

    def ping(self) -> bool:
        """Redis answers now (at most about `CLIENT_TIMEOUT`; call from a thread, not the event loop)."""
        try:
            return bool(self._probe.ping())
        except Exception:  # any failure: still away
            return False

    async def check(self) -> None:
        """Ping off the event loop; a failure begins the outage (readiness asks this)."""
        if self.down:
            return
        try:
            await asyncio.to_thread(self._probe.ping)
        except Exception as exc:
            if is_store_error(exc):
                self.begin(exc)
            else:
                raise

    def _watch(self) -> None:
        while not self.ping():
            time.sleep(PROBE_EVERY)
        with self._lock:
            lasted = time.monotonic() - (self.since or time.monotonic())
            self.reason, self.since, self._thread = None, None, None
        logger.warning("Redis at %s is reachable again after %.1fs; serving", self.url, lasted)


def _path(scope: Scope) -> str:
    path: str = scope["path"]
    return path.rstrip("/") if len(path) > 1 else path


def answered_locally(scope: Scope) -> bool:
    """A request this process answers from its own memory while Redis is away: health, readiness,
    and reading the request journal (see `OutageGuard`)."""
    path = _path(scope)
    return path in OPEN_PATHS or (scope["method"] in ("GET", "HEAD") and path in LOCAL_READS)


class Refusals(Protocol):
    """Where `OutageGuard` journals the 503s it answers in the app's place (the recorder's side:
    `mock_em.api.recorder.OutageJournal`)."""

    def arrival(self) -> Any:
        """What to note when a request arrives (its time), handed back to `record`."""

    def record(self, scope: Scope, arrival: Any, status: int, body: bytes) -> None:
        """Journal the answer `status` with `body` that the guard gave to `scope`."""


class OutageGuard:
    """ASGI middleware outside everything that touches Redis (see the module doc).

    `app` is the whole shared app (replication first); `local` the app behind it, which answers
    `/mock/health`, `/mock/ready` and reads of `/mock/journal` from this process while Redis is
    away; `unavailable(scope)` gives the 503's start message and body (a Veeam Error in the notation
    the request asks for).

    Answers that bypass replication still look like every other answer of a shared EM: each
    carries `X-Mock-Em-Worker: <worker>` (replication tags the rest), and each 503 the guard gives
    a vendor request is journaled through `refusals`, as the recorder would have journaled the
    answer had the request reached it. The journal lives in this process's memory, so it can be
    written, and read, while Redis is away.

    Reading the journal during an outage is answered locally for that reason: it needs nothing
    from Redis, and it is what a test wants to see while the outage lasts (the 503s it got). The
    only thing such a read can miss is a journal clear another process logged just before the
    outage that this one had not yet applied; it is applied with the next request once Redis is
    back. Clearing the journal is a logged control change and answers 503 meanwhile.
    """

    def __init__(
        self,
        app: ASGIApp,
        local: ASGIApp,
        outage: Outage,
        unavailable: Callable[[Scope, str], tuple[Message, bytes]],
        *,
        worker: bytes | None = None,
        refusals: Refusals | None = None,
    ) -> None:
        self.app = app
        self.local = local
        self.outage = outage
        self.unavailable = unavailable
        self.worker = worker  # the X-Mock-Em-Worker value of this process
        self.refusals = refusals

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        local = answered_locally(scope)
        if self.outage.down:
            if local:
                await self.local(scope, receive, self._tagged(send))
            else:
                await self._refuse(scope, send, self.refusals.arrival() if self.refusals else None)
            return
        arrival = self.refusals.arrival() if self.refusals else None  # (the first to meet an outage waits)
        started = False

        async def watched(message: Message) -> None:
            nonlocal started
            started = started or message["type"] == "http.response.start"
            await send(message)

        try:
            await self.app(scope, receive, watched)
        except Exception as exc:
            if not is_store_error(exc):
                raise
            self.outage.begin(exc)
            if started:  # the app answered it already (a 503 from the error handler)
                return
            if local:
                await self.local(scope, receive, self._tagged(send))
            else:
                await self._refuse(scope, send, arrival)

    def _tagged(self, send: Send) -> Send:
        """`send`, with this process's name added to the answer's headers."""
        if self.worker is None:
            return send
        worker = self.worker

        async def tagged(message: Message) -> None:
            if message["type"] == "http.response.start":
                message = {**message, "headers": [*message.get("headers", []), (WORKER_HEADER, worker)]}
            await send(message)

        return tagged

    async def _refuse(self, scope: Scope, send: Send, arrival: Any) -> None:
        start, body = self.unavailable(scope, self.outage.reason or "Redis is unreachable")
        if self.worker is not None:
            start = {**start, "headers": [*start.get("headers", []), (WORKER_HEADER, self.worker)]}
        try:
            await send(start)
            await send({"type": "http.response.body", "body": body})
        finally:  # journaled even when the client went away meanwhile, as the recorder does
            if self.refusals is not None:
                self.refusals.record(scope, arrival, start["status"], body)


def state_of(app: Any) -> Outage | None:
    """The outage tracker an app's state holds (None: no shared store)."""
    return getattr(app.state, "outage", None)
