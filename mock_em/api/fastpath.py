"""The fast path: the happy path of the hot GET routes, answered without FastAPI.

A mock that slows a test suite or a load test down gets replaced. FastAPI's routing, dependency
solving and Response objects cost more per request than answering from kept bytes does, so this
ASGI middleware sits just inside the recorder and path canonicalisation, in front of FastAPI, and
answers a request itself only when everything about it is ordinary:

* a GET whose path matches a route registered with `api.context.get` (the routes are collected
  from the app, their paths compiled with Starlette's own `compile_path`, and the route of a path
  is looked up once per path, first match in the app's order, as Starlette's router does; no
  other route of the app shares a path with them, which the tests check by sending every route
  both ways);
* a live session token (checked by `api.context.live_session`, as the FastAPI dependency does:
  demo mode runs the world up to now first);
* a body that renders without raising (unknown ids, bad parameters and roles that may not read
  something raise in the route body).

Then it sends the bytes `api.context.answer` gives for the route's body, the same function the
FastAPI route calls, from the same response cache. Anything else (no or a dead token, an unknown
route, another method, any error) is passed on to FastAPI unchanged, so every error answer is
the one FastAPI gives, by construction.

Logon (`POST /api/sessionMngr`) and logoff (`DELETE /api/logonSessions/{id}`) are served here too,
with the functions their FastAPI routes call (`api.sessions`). The fast path hands a request to
FastAPI only before it has changed anything (credentials that do not match, an unknown session,
a body too large), replaying the body it read; once a session is opened or ended, the answer is
its own, and an exception from then on ends as the same Veeam 500 that FastAPI would give.
"""

from __future__ import annotations

import re
from collections.abc import Iterable
from typing import Any

from starlette.routing import compile_path
from starlette.types import ASGIApp, Message, Receive, Scope, Send

from mock_em.api.context import ApiRoute, Ask, answer, cache_key, caller_for, fresh, live_session
from mock_em.api.login_spec import MAX_BODY
from mock_em.api.recorder import SESSION_SCOPE_KEY
from mock_em.api.request import Facts, hrefs_for, parse_id, query_pairs, request_facts
from mock_em.api.sessions import LOGON_PATH, SESSION_PATH, end_session, logged_on, open_session, presented
from mock_em.model.entities import LogonSession
from mock_em.wire.render import JSON_TYPE, XML_TYPE, notation

MAX_PATHS = 65_536  # paths whose route is remembered (clients choose paths: keep it bounded)
_CONTENT_TYPES = {False: XML_TYPE.encode("latin-1"), True: JSON_TYPE.encode("latin-1")}

Matched = tuple[ApiRoute, tuple[str, ...]] | None
Ready = tuple[LogonSession, Message, bytes]  # a fast answer: who asked, its start message, its body
_SESSION_ROUTE = compile_path(SESSION_PATH)[0]


def _header(headers: list[tuple[bytes, bytes]], name: bytes) -> str | None:
    """The first header of that name, as Starlette's `request.headers.get` reads it."""
    for key, value in headers:
        if key == name:
            return value.decode("latin-1")
    return None


def _replaying(messages: list[Message], receive: Receive) -> Receive:
    """`receive` with the messages already read from it put back in front."""
    pending = list(messages)

    async def replay() -> Message:
        return pending.pop(0) if pending else await receive()

    return replay


class FastPath:
    """ASGI middleware answering the happy path of `api.context.get` routes from kept bytes.

    The app state it reads (set by `create_app`): `em`, `settings`, `response_cache`, and
    `fast_path` (False hands every request to FastAPI, as tests comparing the two paths do).
    """

    def __init__(self, app: ASGIApp) -> None:
        self.app = app
        self._paths: dict[str, Matched] = {}
        self._table: list[tuple[ApiRoute, re.Pattern[str], dict[str, Any]]] | None = None
        self.served = 0  # requests answered here (tests and benchmarks read it)

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http" or scope["method"] != "GET" or scope.get("root_path"):
            # (Behind a root path Starlette matches routes on the path less that prefix: let it.)
            method = scope.get("method")
            if scope["type"] == "http" and not scope.get("root_path") and method in ("POST", "DELETE"):
                if method == "POST" and scope["path"] == LOGON_PATH:
                    await self._logon(scope, receive, send)
                    return
                found = _SESSION_ROUTE.match(scope["path"]) if method == "DELETE" else None
                if found is not None:
                    await self._logoff(scope, receive, send, found.group("session_id"))
                    return
            await self.app(scope, receive, send)
            return
        ready = self.prepare(scope, _values(scope), request_facts(scope["headers"]))
        if ready is None:
            await self.app(scope, receive, send)
            return
        _, start, body = ready
        await send(start)
        await send({"type": "http.response.body", "body": body})

    def prepare(self, scope: Scope, values: dict[str, Any], facts: Facts) -> Ready | None:
        """The answer to a GET (its path canonical, no root path) when the fast path gives it: the
        caller's live session, the `http.response.start` message and the body; or None, having
        sent nothing, when FastAPI is to answer. Synchronous, so that the recorder can call it with no ASGI layer in
        between (`Recorder`'s fast lane), and `__call__` is this plus sending.

        `facts` are `request_facts(scope["headers"])`; `values` the app's state (`_values`)."""
        path: str = scope["path"]
        matched = self._paths.get(path, False)
        if matched is False:
            matched = self._match(scope)
        if matched is None or not values.get("fast_path", True):
            return None
        route, params = matched
        manager = values["em"]
        session = live_session(manager, facts.token)
        if session is None:  # FastAPI answers 401 (and checks the token again, to no other effect)
            return None
        scope[SESSION_SCOPE_KEY] = session  # the recorder journals who asked without looking again
        json = notation(facts.accept, values["settings"].profile.json)
        h = hrefs_for(values["settings"], scope, facts.host)
        cache = values.get("response_cache")
        try:
            if cache is not None and cache.enabled:
                key = cache_key(route, scope, json, h, session, manager.world_time)
                body = cache.get(manager.world, key)
                if body is None:
                    body = fresh(
                        route, Ask(manager, caller_for(route, session), h, json, scope, cache), params, cache, key
                    )
            else:
                ask = Ask(manager, caller_for(route, session), h, json, scope, cache)
                body = answer(route, ask, params, cache, session)
        except Exception:  # an error answer: FastAPI's, exactly as without the fast path
            return None
        self.served += 1
        headers = [(b"content-length", b"%d" % len(body)), (b"content-type", _CONTENT_TYPES[bool(json)])]
        return session, {"type": "http.response.start", "status": 200, "headers": headers}, body

    async def _logon(self, scope: Scope, receive: Receive, send: Send) -> None:
        """`api.sessions.logon`, without FastAPI."""
        values = _values(scope)
        if not values.get("fast_path", True):
            await self.app(scope, receive, send)
            return
        messages: list[Message] = []
        size = 0
        while True:  # the body (a tenant's LoginSpec, or nothing), at most MAX_BODY bytes of it
            message = await receive()
            messages.append(message)
            if message["type"] != "http.request" or (size := size + len(message.get("body", b""))) > MAX_BODY:
                await self.app(scope, _replaying(messages, receive), send)
                return
            if not message.get("more_body", False):
                break
        replay = _replaying(messages, receive)
        headers = scope["headers"]
        try:
            credentials = presented(
                query_pairs(scope.get("query_string", b"")),
                b"".join(m.get("body", b"") for m in messages),
                _header(headers, b"content-type"),
                _header(headers, b"authorization"),
                values["settings"].profile,
            )
        except Exception:  # FastAPI refuses them, in its own order of checks
            await self.app(scope, replay, send)
            return
        manager = values["em"]
        session = open_session(manager, credentials)
        if session is None:  # no match, nothing opened: FastAPI answers the 401
            await self.app(scope, replay, send)
            return
        host, accept, _ = request_facts(headers)
        h = hrefs_for(values["settings"], scope, host)
        self.served += 1
        release = values["settings"].release
        json = notation(accept, values["settings"].profile.json)
        await logged_on(values.get("response_cache"), h, session, json, release)(scope, replay, send)

    async def _logoff(self, scope: Scope, receive: Receive, send: Send, session_id: str) -> None:
        """`api.sessions.logoff`, without FastAPI."""
        values = _values(scope)
        manager = values["em"]
        enabled = values.get("fast_path", True)
        session = live_session(manager, request_facts(scope["headers"]).token) if enabled else None
        if session is None:
            await self.app(scope, receive, send)
            return
        try:
            found = manager.find_session(session, parse_id(session_id, "Logon session"))
        except Exception:  # not a session this caller may see: FastAPI answers the 404
            await self.app(scope, receive, send)
            return
        self.served += 1
        await end_session(manager, found)(scope, receive, send)

    def _match(self, scope: Scope) -> Matched:
        """The fast route and its path parameters for this path (first match in the app's order),
        or None when no `api.context.get` route serves it."""
        if self._table is None:
            self._table = [(route, *compile_path(route.path)[::2]) for route in api_routes(scope["app"].routes)]
        path = scope["path"]
        matched: Matched = None
        for route, regex, convertors in self._table:
            found = regex.match(path)
            if found is not None:
                values = {name: convertors[name].convert(text) for name, text in found.groupdict().items()}
                matched = (route, tuple(str(values[name]) for name in route.params))
                break
        if len(self._paths) >= MAX_PATHS:
            self._paths.clear()
        self._paths[path] = matched
        return matched


def _values(scope: Scope) -> dict[str, Any]:
    """The app's state (em, settings, caches) as the dict Starlette keeps it in."""
    state = scope["app"].state
    return getattr(state, "_state", None) or vars(state)


def api_routes(routes: Iterable[Any]) -> list[ApiRoute]:
    """The `api.context.get` routes among an app's routes, in order: FastAPI keeps an included
    router's routes flat in older releases and behind the router (`original_router`) in newer
    ones; both are walked."""
    found: list[ApiRoute] = []
    for route in routes:
        api_route = getattr(getattr(route, "endpoint", None), "api_route", None)
        if isinstance(api_route, ApiRoute):
            found.append(api_route)
        inner = getattr(route, "original_router", None)
        if inner is not None:
            found += api_routes(inner.routes)
    return found
