"""The recorder: journals every vendor request and applies the fault rules to it.

It is a pure ASGI middleware and the outermost one the app adds (inside only Starlette's
ServerErrorMiddleware, which passes `receive` through untouched, so under uvicorn it is still
uvicorn's own callable; see `mock_em.app.EmApp` for the order), so it sees every request under
`/api` exactly as it arrived, including those the routers answer with 401, 404 or 405. It is
outside path canonicalisation: the journal keeps the path as the client sent it, and fault rules
and journal filters see the canonical path as well (`/API/Cloud/` is `/api/cloud` to a rule).
Control-plane requests (`/mock`) and anything outside `/api` are neither journaled nor faulted.

Who sent a request is the session its token names, looked up without touching it (`peek`) before
the request is answered, so that a logon or logoff is journaled with the session it opened or
ended. A GET neither opens nor ends a session, so when no fault rule needs to know the caller
first, the recorder learns it afterwards: from the fast path, which looked the session up anyway
and leaves it in the scope under `SESSION_SCOPE_KEY`, or else by peeking then. (That saves a
session lookup on every answer the fast path gives.)

Connection faults break the real connection. Under uvicorn, the `receive` callable an ASGI app is
handed is a bound method of uvicorn's RequestResponseCycle (httptools_impl.py and h11_impl.py
alike), and the cycle's `transport` is the connection's asyncio (or uvloop) transport:

* `reset`: set SO_LINGER to zero, then `transport.abort()`: the kernel sends a TCP RST, so the
  client's read fails with "connection reset by peer" (abort alone may just close with a FIN);
* `empty`: `transport.close()` before writing anything: the client reads end-of-file where the
  status line should be ("server disconnected without sending a response");
* `truncated`: the request is answered by the app, then its status and headers go out with the
  full `Content-Length` but only the first half of the body, and the transport is closed: the
  client sees an incomplete body. (A bodiless answer such as 204 goes out as 200 with
  `Content-Length: 1` and no body, so the client still sees a body cut short.)

After breaking a connection the recorder waits until uvicorn has seen it go (its `receive`
returns `http.disconnect`), so uvicorn neither logs an unfinished response nor tries a 500.
In-process clients (Starlette's TestClient, httpx's ASGITransport) have no transport to break:
there a connection fault raises `InjectedConnectionFault`, a `ConnectionError` the client's
caller sees in place of a response.
"""

from __future__ import annotations

import asyncio
import contextlib
import socket
import struct
import time
from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime
from http import HTTPStatus
from typing import TYPE_CHECKING, Any

import orjson
from lxml import etree
from starlette.requests import cookie_parser
from starlette.types import ASGIApp, Message, Receive, Scope, Send

from mock_em.api.errors import STATUS_NAMES, unavailable_message
from mock_em.api.request import SESSION_HEADER, Facts, read_facts
from mock_em.model.enterprise_manager import EnterpriseManager
from mock_em.model.entities import LogonSession
from mock_em.model.faults import ConnectionFault, Fault, FaultRules, Requester
from mock_em.model.journal import Journal
from mock_em.store.outage import describe, is_store_error
from mock_em.wire import documents as doc
from mock_em.wire.render import notation, render

if TYPE_CHECKING:
    from mock_em.api.fastpath import FastPath

REDACTED = "[redacted]"
SESSION_KEY = SESSION_HEADER.lower()
_SESSION_KEY_BYTES = SESSION_KEY.encode()
SESSION_SCOPE_KEY = "mock_em.session"  # where the fast path leaves the live session it used
# Headers whose values are secrets: credentials, session tokens, the control token.
SECRET_HEADERS = frozenset({"authorization", "proxy-authorization", SESSION_KEY, "x-mock-token"})
MAX_ERROR_BODY = 16_384  # bytes of an error answer kept to read its Message
DISCONNECT_WAIT = 2.0  # seconds to wait for uvicorn to notice a connection we broke
OUTAGE = "outage"  # the journal's `fault` for a 503 answered because the shared store was away


class InjectedConnectionFault(ConnectionError):
    """A connection fault fired where there is no connection to break (an in-process client)."""


def is_vendor_path(canonical: str) -> bool:
    """True for the emulated vendor API: `/api` and everything under it."""
    return canonical == "/api" or canonical.startswith("/api/")


def status_name(status: int) -> str:
    """The .NET `HttpStatusCode` name EM writes in an Error's `Status` (`BadGateway` for 502)."""
    return STATUS_NAMES.get(status) or "".join(w.capitalize() for w in HTTPStatus(status).name.split("_"))


def redact(name: str, value: str) -> str:
    """A header value fit for the journal: secrets replaced, their shape (scheme, cookie names) kept."""
    if name in ("authorization", "proxy-authorization"):
        scheme, sep, _ = value.partition(" ")
        return f"{scheme} {REDACTED}" if sep else REDACTED
    if name in SECRET_HEADERS:
        return REDACTED
    if name == "cookie":
        return "; ".join(f"{key}={REDACTED}" for key in cookie_parser(value))
    return value


def journal_headers(headers: list[tuple[bytes, bytes]]) -> tuple[tuple[str, str], ...]:
    """A request's headers as text, secrets redacted."""
    decoded = ((k.decode("latin-1").lower(), v.decode("latin-1")) for k, v in headers)
    return tuple((name, redact(name, value)) for name, value in decoded)


def _header(headers: list[tuple[bytes, bytes]], name: bytes) -> str | None:
    for key, value in headers:
        if key.lower() == name:
            return value.decode("latin-1")
    return None


_SEEN_HEADERS: dict[tuple[Any, ...], tuple[tuple[tuple[str, str], ...], Facts]] = {}
_MAX_SEEN_HEADERS = 4096


def header_facts(headers: list[tuple[bytes, bytes]]) -> tuple[tuple[tuple[str, str], ...], Facts]:
    """`journal_headers` and `read_facts` of a request's headers, remembered per header list: a
    client sends the same headers request after request, and decoding and redacting them anew each
    time was most of what journaling cost. Bounded, and exact: same headers, same answer.

    The token is read as authentication reads it (every Cookie header merged, the cookie winning
    over the header), so the journal names the session that was authenticated; the fast lane hands
    the same facts to the fast path, so one lookup serves both."""
    try:
        key = tuple(headers)
        found = _SEEN_HEADERS.get(key)
    except TypeError:  # header items that are not tuples: nothing to remember them by
        return journal_headers(headers), read_facts(headers)
    if found is None:
        found = (journal_headers(headers), read_facts(headers))
        if len(_SEEN_HEADERS) >= _MAX_SEEN_HEADERS:
            _SEEN_HEADERS.clear()
        _SEEN_HEADERS[key] = found
    return found


def transport_of(receive: Receive) -> asyncio.BaseTransport | None:
    """The transport behind uvicorn's `receive`, or None for in-process clients.

    `receive` is normally uvicorn's bound `RequestResponseCycle.receive`; a wrapper such as
    uvicorn's trace-level message logger closes over it, so closures are searched a few levels deep.
    """
    pending: list[Any] = [receive]
    for _ in range(4):
        found: list[Any] = []
        for fn in pending:
            transport = getattr(getattr(fn, "__self__", None), "transport", None)
            # Duck-typed: uvloop's transports do not derive from asyncio's classes.
            if all(hasattr(transport, name) for name in ("abort", "close", "get_extra_info", "write")):
                return transport
            for cell in getattr(fn, "__closure__", None) or ():
                with contextlib.suppress(ValueError):  # an empty cell
                    if callable(cell.cell_contents):
                        found.append(cell.cell_contents)
        pending = found
    return None


@dataclass(slots=True)
class _Outcome:
    """What became of a request, filled in while it is answered."""

    status: int | None = None
    headers: list[tuple[bytes, bytes]] | None = None  # the answer's (a logon's names the session it opened)
    broken: bool = False  # no status reached the client
    closed: bool = False  # the recorder closed the transport: wait for the server to notice
    error_body: bytearray | None = None  # the start of an error answer's body, for its Message


def error_message(body: bytes) -> str | None:
    """The `Message` of a Veeam Error body (XML or JSON), or None when it is not one."""
    text = body.lstrip()
    try:
        if text.startswith(b"{"):
            value = orjson.loads(text).get("Message")
        else:
            value = etree.fromstring(text, etree.XMLParser(resolve_entities=False, no_network=True)).get("Message")
    except (orjson.JSONDecodeError, etree.XMLSyntaxError, AttributeError, ValueError):
        return None
    return value if isinstance(value, str) else None


class Recorder:
    """ASGI middleware: journal each vendor request (see `mock_em.model.journal`) and apply the
    first fault rule that fires (see `mock_em.model.faults`).

    The journal, the rules and the EM are read from `app.state` on each request (the app sets
    them in `create_app`), so a control-plane reset that clears them is seen at once.
    """

    def __init__(
        self, app: ASGIApp, canonical: Callable[[str], str] = lambda path: path, fast: FastPath | None = None
    ) -> None:
        self.app = app
        self.canonical = canonical
        self.fast = fast  # the fast path inside `app` (behind path canonicalisation), for the fast lane

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        path: str = scope["path"]
        canonical = self.canonical(path)
        state = scope["app"].state
        values: dict[str, Any] = getattr(state, "_state", None) or vars(state)  # Starlette keeps them here
        journal: Journal = values["journal"]
        faults: FaultRules = values["faults"]
        journaled = journal.enabled
        faulty = bool(faults)
        if not (canonical == "/api" or canonical.startswith("/api/")) or not (journaled or faulty):  # is_vendor_path
            await self.app(scope, receive, send)
            return
        em: EnterpriseManager = values["em"]
        started = time.perf_counter()
        arrived = em.clock.now()
        headers, facts = header_facts(scope["headers"])
        token = facts.token
        method = scope["method"]
        later = not faulty and method == "GET"  # no one needs the caller before the answer
        app = self.app
        fast = self.fast
        if later and fast is not None and canonical == path and not scope.get("root_path"):
            # The fast lane: what the fast path would do behind path canonicalisation (a no-op for
            # this path), called directly. Answered, it leaves one journal entry, as below would.
            # (Here no fault rule is set, so the journal is on.)
            try:
                ready = fast.prepare(scope, values, facts)
            except Exception as exc:  # what ServerErrorMiddleware answers next, journaled as below
                if is_store_error(exc):  # a 503, and no session can be looked up
                    why = unavailable_message(describe(exc))
                    self._journal(journal, scope, arrived, canonical, headers, None, 503, started, None, OUTAGE, why)
                    raise
                who = scope.get(SESSION_SCOPE_KEY) or (em.sessions.peek(token) if token else None)
                self._journal(journal, scope, arrived, canonical, headers, token, 500, started, who)
                raise
            if ready is not None:
                session, start, body = ready
                try:
                    await send(start)
                    await send({"type": "http.response.body", "body": body})
                finally:  # (`_journal` written out: this is every fast answer)
                    journal.append(
                        arrived, method, path, canonical, scope.get("query_string", b"").decode("latin-1"), headers,
                        session.session_id, session.user_name, False, 200, (time.perf_counter() - started) * 1000,
                        None, None, None, None,
                    )  # fmt: skip
                return
            app = fast.app  # FastAPI, as the fast path hands it on (and without trying it twice)
        session = em.sessions.peek(token) if token and not later else None
        fault = faults.decide(method, canonical, self._requester(em, session)) if faulty else None
        outcome = _Outcome()
        away: BaseException | None = None  # the store error the app raised before answering

        async def recording_send(message: Message) -> None:
            if message["type"] == "http.response.start":
                outcome.status = message["status"]
                outcome.headers = message.get("headers")
                if outcome.status >= 400:
                    outcome.error_body = bytearray()
            elif outcome.error_body is not None and len(outcome.error_body) < MAX_ERROR_BODY:
                outcome.error_body += message.get("body", b"")
            await send(message)

        try:
            if fault is None:
                await app(scope, receive, recording_send)
            else:
                await self._apply(fault, scope, receive, recording_send, outcome)
        except Exception as exc:
            if outcome.status is None and not outcome.broken:
                # What Starlette's ServerErrorMiddleware answers next: 503 if Redis is away (a
                # shared EM; see `mock_em.api.errors`), else 500.
                away = exc if is_store_error(exc) else None
                outcome.status = 500 if away is None else 503
            raise
        finally:
            if later and token and away is None:  # (with Redis away, who sent it cannot be known)
                session = scope.get(SESSION_SCOPE_KEY) or em.sessions.peek(token)
            if journaled:
                # A logon's entry names the session it opened (the token it answered with).
                new_token = None if session or not outcome.headers else _header(outcome.headers, _SESSION_KEY_BYTES)
                who = session or (em.sessions.peek(new_token) if new_token else None)
                journal.append(
                    arrived, method, path, canonical, scope.get("query_string", b"").decode("latin-1"), headers,
                    who.session_id if who else None, who.user_name if who else None,
                    token is not None and session is None,
                    None if outcome.broken else outcome.status,
                    (time.perf_counter() - started) * 1000,  # rounded when read
                    fault.rule_id if fault else None, fault.kind if fault else (None if away is None else OUTAGE),
                    round(fault.delay_ms, 3) if fault and fault.delay_ms is not None else None,
                    error_message(bytes(outcome.error_body)) if outcome.error_body
                    else None if away is None else unavailable_message(describe(away)),
                )  # fmt: skip
        if outcome.closed:
            # Journaled first: a client that saw the connection break may ask the journal at once.
            await _until_disconnected(receive)

    @staticmethod
    def _journal(
        journal: Journal,
        scope: Scope,
        arrived: datetime,
        canonical: str,
        headers: tuple[tuple[str, str], ...],
        token: str | None,
        status: int,
        started: float,
        session: LogonSession | None,
        fault: str | None = None,
        error: str | None = None,
    ) -> None:
        """The entry of a request the fast lane saw end (no fault rule), as the general path below
        writes it: for now, one whose fast answer raised before anything was sent (a 500, or a 503
        with `fault` "outage" when Redis was away)."""
        journal.append(
            arrived, scope["method"], scope["path"], canonical, scope.get("query_string", b"").decode("latin-1"),
            headers, session.session_id if session else None, session.user_name if session else None,
            token is not None and session is None, status, (time.perf_counter() - started) * 1000,
            None, fault, None, error,
        )  # fmt: skip

    @staticmethod
    def _requester(em: EnterpriseManager, session: LogonSession | None) -> Requester:
        if session is None:
            return Requester()
        tenant_id = session.account.tenant_id
        tenant = em.world.tenants.get(tenant_id) if tenant_id is not None else None
        return Requester(session.user_name, tenant_id, tenant.name if tenant else None)

    async def _apply(self, fault: Fault, scope: Scope, receive: Receive, send: Send, outcome: _Outcome) -> None:
        """Delay, then answer with an error, break the connection, or let the app answer."""
        if fault.delay_ms:
            try:
                await asyncio.sleep(fault.delay_ms / 1000)
            except asyncio.CancelledError:
                # The server is stopping and its grace period ran out: answer instead of dying mid-request.
                await self._error(503, "The server is shutting down", scope, send)
                return
        if fault.connection is not None:
            await self._break(fault, scope, receive, send, outcome)
        elif fault.status is not None:
            await self._error(fault.status, fault.message or "", scope, send)
        else:
            await self.app(scope, receive, send)

    @staticmethod
    async def _error(status: int, message: str, scope: Scope, send: Send) -> None:
        """A Veeam Error in the notation the request asked for, as the API's own errors are."""
        node = doc.error(status, status_name(status), message)
        style = scope["app"].state.settings.profile.json
        body, media_type = render(node, notation(_header(scope["headers"], b"accept"), style))
        headers = [(b"content-type", media_type.encode()), (b"content-length", str(len(body)).encode())]
        if status == 401:
            headers.append((b"www-authenticate", b"Basic Realm=RestSvc"))
        await send({"type": "http.response.start", "status": status, "headers": headers})
        await send({"type": "http.response.body", "body": body, "more_body": False})

    async def _break(self, fault: Fault, scope: Scope, receive: Receive, send: Send, outcome: _Outcome) -> None:
        """Break the client's connection the way `fault.connection` says."""
        kind = fault.connection
        transport = transport_of(receive)
        if transport is None:
            outcome.broken = True
            raise InjectedConnectionFault(
                f"fault rule {fault.rule_id}: connection {kind.value if kind else ''} "
                "(this ASGI server has no transport to break; under uvicorn the connection itself breaks)"
            )
        if kind is ConnectionFault.reset:
            outcome.broken = True
            sock = transport.get_extra_info("socket")
            if sock is not None:
                with contextlib.suppress(OSError):  # no RST then, but still an abrupt close
                    sock.setsockopt(socket.SOL_SOCKET, socket.SO_LINGER, struct.pack("ii", 1, 0))
            transport.abort()
        elif kind is ConnectionFault.empty:
            outcome.broken = True
            transport.close()
        else:
            await self._truncate(scope, receive, send, transport)
        outcome.closed = True

    async def _truncate(self, scope: Scope, receive: Receive, send: Send, transport: asyncio.BaseTransport) -> None:
        """Let the app answer, then send its headers and only half its body."""
        start: Message | None = None
        chunks: list[bytes] = []

        async def capture(message: Message) -> None:
            nonlocal start
            if message["type"] == "http.response.start":
                start = message
            elif message["type"] == "http.response.body":
                chunks.append(message.get("body", b""))

        await self.app(scope, receive, capture)
        assert start is not None, "the app returned without answering"
        body = b"".join(chunks)
        status = start["status"]
        if not body and status in (204, 304):
            status = 200
        declared = max(len(body), 1)
        kept = [
            (k, v) for k, v in start.get("headers", []) if k.lower() not in (b"content-length", b"transfer-encoding")
        ]
        kept.append((b"content-length", str(declared).encode()))
        await send({"type": "http.response.start", "status": status, "headers": kept})
        part = body[: len(body) // 2]
        if part:
            await send({"type": "http.response.body", "body": part, "more_body": True})
        transport.close()  # flushes what was written, then closes: the client sees the body end early


async def _until_disconnected(receive: Receive) -> None:
    """Wait (briefly) until the server has seen the connection go, so it does not answer it."""
    loop = asyncio.get_running_loop()
    deadline = loop.time() + DISCONNECT_WAIT
    while (left := deadline - loop.time()) > 0:
        try:
            message = await asyncio.wait_for(receive(), left)
        except (TimeoutError, OSError):
            return
        if message["type"] == "http.disconnect":
            return


class OutageJournal:
    """Journals the 503s `mock_em.store.outage.OutageGuard` answers while Redis is away.

    Those requests never reach the recorder (the guard answers before replication, which would
    need Redis), yet a test reading the journal must see them as it sees every other answer: one
    entry each, of the same shape, written to this process's journal (it lives in memory, so Redis
    is not needed to write it). What differs is only what cannot be known without Redis:

    * `sessionId` and `userName` are null and `tokenRejected` false: sessions live in Redis, so who
      sent the request is unknown, and its token was not rejected, just not looked at;
    * `fault` is `"outage"` and `faultId` null: no fault rule fired (rules are not consulted), but
      the answer is the environment's failure rather than the EM's, which is what the field says
      for injected faults; `error` is the Error's Message, which names the Redis and why.

    Only vendor requests (`/api`) are journaled, as by the recorder.
    """

    def __init__(self, app: Any, canonical: Callable[[str], str]) -> None:
        self.app = app  # the FastAPI app whose state holds the journal and the EM
        self.canonical = canonical

    def arrival(self) -> tuple[datetime, float]:
        """When a request arrived: the EM's time, and a counter for its latency."""
        return self.app.state.em.clock.now(), time.perf_counter()

    def record(self, scope: Scope, arrival: tuple[datetime, float], status: int, body: bytes) -> None:
        """One entry for a request the guard answered with `status` and `body`."""
        journal: Journal = self.app.state.journal
        path: str = scope["path"]
        canonical = self.canonical(path)
        if not journal.enabled or not is_vendor_path(canonical):
            return
        arrived, started = arrival
        headers, _ = header_facts(scope["headers"])
        journal.append(
            arrived, scope["method"], path, canonical, scope.get("query_string", b"").decode("latin-1"), headers,
            None, None, False, status, (time.perf_counter() - started) * 1000, None, OUTAGE, None,
            error_message(body[:MAX_ERROR_BODY]),
        )  # fmt: skip
