"""What a request says: its headers (`Host`, `Accept`, the session token), the base URL its Hrefs
hang from, its query parameters and form, the ids in its path, its body; and the app state a
route reads (`em`, `settings`, the response cache).

Query parameter names and the `format` value are case-insensitive (clients send `Format=entity`
and `Type=`), and unknown parameters are ignored, as real EM does.

Both ways a request is answered (a FastAPI route, or the fast path straight from the ASGI scope)
read it through these functions, one for each fact, so the two cannot disagree. Registering the
routes and making their answers is `mock_em.api.context`'s part.
"""

from __future__ import annotations

from typing import Any, NamedTuple
from urllib.parse import parse_qsl
from uuid import UUID

from fastapi import Request
from starlette.datastructures import URL
from starlette.requests import cookie_parser
from starlette.types import Scope as AsgiScope

from mock_em.api.errors import VeeamError
from mock_em.model.enterprise_manager import EnterpriseManager, NotFound
from mock_em.settings import Settings
from mock_em.wire.cache import ResponseCache
from mock_em.wire.links import Hrefs
from mock_em.wire.render import Notation, notation

SESSION_HEADER = "X-RestSvcSessionId"
_SESSION_KEY = SESSION_HEADER.lower().encode("latin-1")


def em(request: Request) -> EnterpriseManager:
    """The emulated Enterprise Manager behind this app."""
    return request.app.state.em


def settings(request: Request) -> Settings:
    """The app's settings."""
    return request.app.state.settings


# -- what a request says, read once from the ASGI scope -----------------------------------------


class Facts(NamedTuple):
    """The request headers the API reads: `Host`, `Accept` and the session token."""

    host: bytes | None
    accept: str | None
    token: str | None


_SEEN_FACTS: dict[tuple[Any, ...], Facts] = {}
_MAX_SEEN_FACTS = 4096


def request_facts(headers: list[tuple[bytes, bytes]]) -> Facts:
    """`read_facts`, remembered per header list (a client sends the same headers again and again)."""
    try:
        key = tuple(headers)
        found = _SEEN_FACTS.get(key)
    except TypeError:  # header items that are not tuples: nothing to remember them by
        return read_facts(headers)
    if found is None:
        found = read_facts(headers)
        if len(_SEEN_FACTS) >= _MAX_SEEN_FACTS:
            _SEEN_FACTS.clear()
        _SEEN_FACTS[key] = found
    return found


def read_facts(headers: list[tuple[bytes, bytes]]) -> Facts:
    """One pass over the raw headers, with Starlette's semantics: the first `Host` and `Accept`;
    the token from the `X-RestSvcSessionId` cookie (all Cookie headers merged, later ones winning,
    as `request.cookies`), else from the first header of that name (the cookie wins, as on real EM)."""
    host = accept = header = None
    cookies: list[bytes] = []
    for key, value in headers:
        if key == b"host":
            if host is None:
                host = value
        elif key == b"accept":
            if accept is None:
                accept = value
        elif key == _SESSION_KEY:
            if header is None:
                header = value
        elif key == b"cookie":
            cookies.append(value)
    token = None
    if cookies:
        jar: dict[str, str] = {}
        for value in cookies:
            jar.update(cookie_parser(value.decode("latin-1")))
        token = jar.get(SESSION_HEADER)
    if not token and header is not None:
        token = header.decode("latin-1")
    return Facts(host, accept.decode("latin-1") if accept is not None else None, token)


def token_of(request: Request) -> str | None:
    """The session token: the cookie wins over the header, as on real EM."""
    return request_facts(request.scope["headers"]).token


_HREFS: dict[tuple[Any, ...], Hrefs] = {}
_MAX_HREFS = 1024


def base_url(scope: AsgiScope, host: bytes | None) -> str:
    """`str(request.base_url)`: Starlette's own answer for this scope, whose `Host` is `host`."""
    root = scope.get("app_root_path", scope.get("root_path", ""))
    base_scope = dict(scope, path=root if root.endswith("/") else root + "/", query_string=b"", root_path=root)
    return str(URL(scope=base_scope))


def hrefs_for(app_settings: Settings, scope: AsgiScope, host: bytes | None) -> Hrefs:
    """Hrefs under the base URL the client used (scheme and Host), or the configured public URL.

    Remembered per (public URL, scheme, Host, server, root path): the only parts of a request the
    base URL depends on, so the memo gives what `base_url` would."""
    public = app_settings.public_url
    server = scope.get("server")
    key = (
        public,
        scope.get("scheme", "http"),
        host,
        server if type(server) is tuple else tuple(server) if server is not None else None,
        scope.get("app_root_path", scope.get("root_path", "")),
    )
    found = _HREFS.get(key)
    if found is None:
        found = Hrefs(public if public else base_url(scope, host))
        if len(_HREFS) >= _MAX_HREFS:  # clients choose Host headers: keep the memo bounded
            _HREFS.clear()
        _HREFS[key] = found
    return found


def hrefs(request: Request) -> Hrefs:
    """Hrefs under the base URL the client used (scheme and Host), or the configured public URL."""
    return hrefs_for(settings(request), request.scope, request_facts(request.scope["headers"]).host)


def query_pairs(query_string: bytes) -> list[tuple[str, str]]:
    """The query parameters as sent, in order: what Starlette's `request.query_params` holds."""
    return parse_qsl(query_string.decode("latin-1"), keep_blank_values=True) if query_string else []


def param_in(pairs: list[tuple[str, str]], name: str) -> str | None:
    """A query parameter by case-insensitive name (the first, if repeated)."""
    wanted = name.casefold()
    for key, value in pairs:
        if key.casefold() == wanted:
            return value
    return None


def param(request: Request, name: str) -> str | None:
    """A query parameter by case-insensitive name (the first, if repeated)."""
    return param_in(request.query_params.multi_items(), name)


def entity_form(value: str | None) -> bool:
    """`?format=Entity` (any case) asks for the entity form; the reference form is the default."""
    if value is None:
        return False
    folded = value.casefold()
    if folded in ("entity", "entities"):
        return True
    if folded in ("reference", "references", "ref", "refs", ""):
        return False
    raise VeeamError(400, f"Unknown format '{value}': use Entity or References")


def parse_id(text: str, what: str) -> UUID:
    """A GUID from a path segment; anything else names no object, so it is not found."""
    try:
        return UUID(text)
    except ValueError:
        raise NotFound(f"{what} {text} was not found") from None


def json_requested(request: Request) -> Notation:
    """The notation of the answer: JSON when the client asked for it (`application/json` anywhere
    in `Accept`), else XML, as the app's release writes them (true when JSON)."""
    return notation(request.headers.get("accept"), settings(request).profile.json)


async def bounded_body(request: Request, limit: int) -> bytes:
    """The request body, refusing (400) more than `limit` bytes without reading them all."""
    chunks: list[bytes] = []
    size = 0
    async for chunk in request.stream():
        size += len(chunk)
        if size > limit:
            raise VeeamError(400, f"The request body is larger than {limit} bytes")
        chunks.append(chunk)
    return b"".join(chunks)


def response_cache(request: Request) -> ResponseCache | None:
    """The app's response cache (None: render every answer)."""
    return getattr(request.app.state, "response_cache", None)
