"""Routes and their answers: the caller of a request, and the hot GET routes written once.

The hot GET routes are written once, as plain functions of an `Ask` (the request as a route body
sees it: EM, caller, Hrefs, parameters, notation) that return the document to send. `get`
registers such a body as a FastAPI route; the fast path (`mock_em.api.fastpath`) finds the same
body on that route and calls it without FastAPI. What both paths read from a request (token,
Accept, base URL, query parameters) is `mock_em.api.request`'s, one function each, and the key a
kept answer is found by is `cache_key`'s, so the two paths cannot disagree.
"""

from __future__ import annotations

import inspect
import re
from collections.abc import Callable, Hashable
from dataclasses import dataclass, replace
from datetime import datetime
from typing import Annotated, Any, NamedTuple
from uuid import UUID

from fastapi import APIRouter, Depends, Request
from starlette.datastructures import URL
from starlette.responses import Response
from starlette.types import Scope as AsgiScope

from mock_em.api.errors import unauthorized
from mock_em.api.request import (
    SESSION_HEADER,
    em,
    entity_form,
    hrefs,
    json_requested,
    param_in,
    query_pairs,
    response_cache,
    token_of,
)
from mock_em.model.access import Access
from mock_em.model.enterprise_manager import EnterpriseManager
from mock_em.model.entities import LogonSession
from mock_em.wire import documents as doc
from mock_em.wire.cache import Doc, FragmentCache, ResponseCache, render_doc
from mock_em.wire.links import Hrefs
from mock_em.wire.render import JSON_TYPE, XML_TYPE, render
from mock_em.wire.template import Node

# -- the caller -----------------------------------------------------------------------------------


class Caller(NamedTuple):
    """The logged-on session making a request and what it may see."""

    session: LogonSession
    access: Access


def live_session(manager: EnterpriseManager, token: str | None) -> LogonSession | None:
    """The live session a token names, marked used, with the EM's world run up to now in demo
    mode; None when the token is missing, unknown, ended or expired. (The fast path calls this
    too: same order of effects, same answer.)"""
    if not token:
        return None
    if manager.live:  # demo mode: the replication jobs run as the clock moves
        manager.catch_up()
    return manager.sessions.use(token)


def caller_of(session: LogonSession) -> Caller:
    """The caller behind a live session."""
    return Caller(session, Access.of(session.account))


class _Undeclared:
    """Stands for the session in the `Ask` of a route that did not declare that it reads it: its
    answers are kept per role and tenant, so reading the session there would be a cache key that
    misses an input. Any use fails loudly (in tests), instead of serving one caller's answer to another."""

    __slots__ = ()

    def __getattr__(self, name: str) -> Any:
        raise AttributeError(f"this route reads the session ({name}) without declaring session_bound=True")


UNDECLARED_SESSION: Any = _Undeclared()


def caller_for(route: ApiRoute, session: LogonSession) -> Caller:
    """What a route's body gets of its caller: the access always, the session only where the route
    declares that it reads it (`session_bound`), as its cache key then names the session."""
    access = Access.of(session.account)
    return Caller(session if route.session_bound else UNDECLARED_SESSION, access)


async def caller(request: Request) -> Caller:
    """Dependency: the caller's live session, or 401."""
    token = token_of(request)
    if not token:
        raise unauthorized(f"Authentication required: send the {SESSION_HEADER} header of a logon session")
    session = live_session(em(request), token)
    if session is None:
        raise unauthorized("The logon session does not exist, has been closed or has expired")
    return caller_of(session)


def respond(request: Request, node: Node, status_code: int = 200, headers: dict[str, str] | None = None) -> Response:
    """A document in the notation the client asked for."""
    body, media_type = render(node, json_requested(request))
    return Response(body, status_code, headers=headers, media_type=media_type)


# -- route bodies shared by FastAPI and the fast path ----------------------------------------------


@dataclass(slots=True)
class Ask:
    """A request as a route body sees it, however it arrived (FastAPI or the fast path)."""

    em: EnterpriseManager
    who: Caller
    h: Hrefs
    json: bool
    asgi: AsgiScope
    cache: ResponseCache | None = None  # where list fragments are kept (None or disabled: none)
    _pairs: list[tuple[str, str]] | None = None

    def param(self, name: str) -> str | None:
        """A query parameter by case-insensitive name (the first, if repeated)."""
        if self._pairs is None:
            self._pairs = query_pairs(self.asgi.get("query_string", b""))
        return param_in(self._pairs, name)

    @property
    def entity(self) -> bool:
        """`?format=Entity` asks for the entity form (400 for a format EM does not know)."""
        return entity_form(self.param("format"))

    @property
    def release(self) -> str:
        """The Enterprise Manager release the app emulates (`Settings.release`)."""
        return self.asgi["app"].state.settings.release

    @property
    def fragments(self) -> FragmentCache | None:
        """Where rendered list items are kept, when the app keeps them."""
        return self.cache.fragments if self.cache is not None and self.cache.enabled else None

    @property
    def raw_query(self) -> str:
        """The query string as `request.url.query` gives it (paging links repeat it)."""
        return URL(scope=self.asgi).query


Body = Callable[..., Doc]


@dataclass(frozen=True, slots=True)
class ApiRoute:
    """A GET route answered by `body`: what the fast path needs to serve it without FastAPI.

    `session_bound` routes show the caller's own SessionId, so their answers are kept per session
    rather than per scope; `timed` routes count from the world's time (the summary report's last
    24 hours), so their answers are kept per world time too, which moves without a new world
    version when nothing in the world changed.
    """

    path: str
    body: Body
    params: tuple[str, ...]
    session_bound: bool = False
    timed: bool = False


def cache_key(
    route: ApiRoute, asgi: AsgiScope, json: bool, h: Hrefs, session: LogonSession, world_time: datetime
) -> Hashable:
    """What a kept answer of `route` is found by: everything the body reads from the request.

    The canonical path (ids as sent), the raw query string (paging links repeat it verbatim), the
    notation, the Hrefs root, and the caller's role and tenant (what links and visibility depend
    on: its `Access`), or the session itself where the answer names it; and the world's time for
    a `timed` route."""
    account = session.account
    viewer: Hashable = session.session_id if route.session_bound else (account.role._value_, account.tenant_id)
    if route.timed:
        return (asgi["path"], asgi.get("query_string", b""), json, h.api, viewer, world_time)
    return (asgi["path"], asgi.get("query_string", b""), json, h.api, viewer)


def media_type(json: bool) -> str:
    """The Content-Type of an answer in that notation."""
    return JSON_TYPE if json else XML_TYPE


def answer(
    route: ApiRoute, ask: Ask, args: tuple[str, ...], cache: ResponseCache | None, session: LogonSession
) -> bytes:
    """The body of `route`'s answer for the caller's `session`: kept bytes when the world has not
    changed since they were rendered, else rendered now (splicing kept list fragments) and kept."""
    if cache is None or not cache.enabled:
        return render_doc(route.body(ask, *args), ask.json)
    key = cache_key(route, ask.asgi, ask.json, ask.h, session, ask.em.world_time)
    body = cache.get(ask.em.world, key)
    return body if body is not None else fresh(route, ask, args, cache, key)


def fresh(route: ApiRoute, ask: Ask, args: tuple[str, ...], cache: ResponseCache, key: Hashable) -> bytes:
    """Render `route`'s answer now (splicing kept list fragments) and keep it under `key`."""
    world = ask.em.world  # the world the body reads: what the kept bytes are valid for
    body = render_doc(route.body(ask, *args), ask.json, cache.fragments)
    cache.put(world, key, body)
    return body


def session_document(cache: ResponseCache | None, h: Hrefs, session: LogonSession, json: bool, release: str) -> bytes:
    """A `LogonSession` document's bytes: rendered once per account and base URL, then with each
    session's id put in (`IdDocuments`); a logon renders a new session every time. (A cache
    belongs to one app, hence to one release.)"""
    access = Access.of(session.account)

    def build(session_id: UUID) -> Node:
        return doc.logon_session(h, replace(session, session_id=session_id), access, release)

    if cache is None or not cache.enabled:
        return render(build(session.session_id), json)[0]
    # The document shows the session's id and user name, and links by its account's scope.
    shape = (h.api, session.user_name, session.account)
    return cache.id_documents.render(shape, json, build, session.session_id)


_PATH_PARAM = re.compile(r"{(\w+)}")
Who = Annotated[Caller, Depends(caller)]


def vendor_operation(query: tuple[str, ...] = ("format",)) -> dict[str, Any]:
    """What OpenAPI should say of a vendor GET: the session header, `Accept`, the query parameters
    EM reads (by name; any case works), and that the answer is XML by default or JSON on request.
    The route bodies read these from the request, so FastAPI cannot see them by itself."""
    headers = [
        {
            "name": SESSION_HEADER,
            "in": "header",
            "required": False,
            "description": "The token of a logon session (or the cookie of the same name, which wins).",
            "schema": {"type": "string"},
        },
        {
            "name": "Accept",
            "in": "header",
            "required": False,
            "description": "`application/json` anywhere gives JSON; anything else XML.",
            "schema": {"type": "string"},
        },
    ]
    queries = [
        {"name": name, "in": "query", "required": name == "type", "schema": {"type": "string"}} for name in query
    ]
    body = {"application/xml": {"schema": {"type": "string"}}, "application/json": {"schema": {"type": "object"}}}
    return {"parameters": headers + queries, "responses": {"200": {"description": "OK", "content": body}}}


def get(
    router: APIRouter,
    path: str,
    *,
    session_bound: bool = False,
    timed: bool = False,
    query: tuple[str, ...] = ("format",),
) -> Callable[[Body], Body]:
    """Register the decorated body as `GET path` on `router`; the fast path serves it too.

    The FastAPI endpoint is made here (with the path's parameters as `str` arguments and the
    session check as a dependency), so a route has one body and no second implementation."""

    def register(body: Body) -> Body:
        params = tuple(_PATH_PARAM.findall(path))
        route = ApiRoute(path, body, params, session_bound, timed)

        async def endpoint(request: Request, who: Caller, **ids: str) -> Response:
            cache = response_cache(request)
            mine = caller_for(route, who.session)
            ask = Ask(em(request), mine, hrefs(request), json_requested(request), request.scope, cache)
            content = answer(route, ask, tuple(ids[name] for name in params), cache, who.session)
            return Response(content, media_type=media_type(ask.json))

        signature = [inspect.Parameter("request", inspect.Parameter.POSITIONAL_OR_KEYWORD, annotation=Request)]
        signature += [inspect.Parameter(n, inspect.Parameter.KEYWORD_ONLY, annotation=str) for n in params]
        signature.append(inspect.Parameter("who", inspect.Parameter.KEYWORD_ONLY, annotation=Who))
        endpoint.__signature__ = inspect.Signature(signature, return_annotation=Response)  # type: ignore[attr-defined]
        endpoint.__name__ = endpoint.__qualname__ = body.__name__
        endpoint.__doc__ = body.__doc__
        endpoint.api_route = route  # type: ignore[attr-defined]  # how the fast path finds the body
        router.add_api_route(path, endpoint, methods=["GET"], name=body.__name__, openapi_extra=vendor_operation(query))
        return body

    return register
