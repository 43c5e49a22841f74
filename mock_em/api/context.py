"""What every router needs from a request: the EM, the caller's session, Hrefs, parameters.

Query parameter names and the `format` value are case-insensitive (clients send `Format=entity`
and `Type=`), and unknown parameters are ignored, as real EM does.
"""

from __future__ import annotations

from dataclasses import dataclass
from uuid import UUID

from fastapi import Request
from starlette.responses import Response

from mock_em.api.errors import VeeamError, unauthorized
from mock_em.model.enterprise_manager import EnterpriseManager, NotFound
from mock_em.model.entities import LogonSession
from mock_em.model.scope import Scope
from mock_em.settings import Settings
from mock_em.wire.links import Hrefs
from mock_em.wire.render import render, wants_json
from mock_em.wire.template import Node

SESSION_HEADER = "X-RestSvcSessionId"


def em(request: Request) -> EnterpriseManager:
    """The emulated Enterprise Manager behind this app."""
    return request.app.state.em


def settings(request: Request) -> Settings:
    """The app's settings."""
    return request.app.state.settings


def hrefs(request: Request) -> Hrefs:
    """Hrefs under the base URL the client used (scheme and Host), or the configured public URL."""
    public = settings(request).public_url
    if public:
        return Hrefs(public)
    return Hrefs(str(request.base_url))


def param(request: Request, name: str) -> str | None:
    """A query parameter by case-insensitive name (the first, if repeated)."""
    wanted = name.casefold()
    for key, value in request.query_params.multi_items():
        if key.casefold() == wanted:
            return value
    return None


def wants_entity(request: Request) -> bool:
    """`?format=Entity` (any case) asks for the entity form; the reference form is the default."""
    value = param(request, "format")
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


@dataclass(frozen=True, slots=True)
class Caller:
    """The logged-on session making a request and what it may see."""

    session: LogonSession
    scope: Scope


def token_of(request: Request) -> str | None:
    """The session token: the cookie wins over the header, as on real EM."""
    return request.cookies.get(SESSION_HEADER) or request.headers.get(SESSION_HEADER)


async def caller(request: Request) -> Caller:
    """Dependency: the caller's live session, or 401."""
    token = token_of(request)
    if not token:
        raise unauthorized(f"Authentication required: send the {SESSION_HEADER} header of a logon session")
    manager = em(request)
    if manager.live:  # demo mode: the replication jobs run as the clock moves
        manager.catch_up()
    session = manager.sessions.use(token)
    if session is None:
        raise unauthorized("The logon session does not exist, has been closed or has expired")
    return Caller(session, Scope.of(session.account))


def json_requested(request: Request) -> bool:
    """The client asked for JSON (`application/json` anywhere in `Accept`)."""
    return wants_json(request.headers.get("accept"))


def respond(request: Request, node: Node, status_code: int = 200, headers: dict[str, str] | None = None) -> Response:
    """A document in the notation the client asked for."""
    body, media_type = render(node, json_requested(request))
    return Response(body, status_code, headers=headers, media_type=media_type)


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
