"""Logon (`POST /api/sessionMngr/`), the logon sessions collection, and logoff."""

from __future__ import annotations

import base64
import binascii
from typing import Annotated

from fastapi import APIRouter, Depends, Request
from starlette.responses import Response

from mock_em.api.context import SESSION_HEADER, Caller, bounded_body, caller, em, hrefs, param, parse_id, respond
from mock_em.api.errors import VeeamError, unauthorized
from mock_em.api.login_spec import MAX_BODY, parse_login_spec
from mock_em.model.scope import Scope
from mock_em.settings import API_VERSIONS
from mock_em.wire import documents as doc

router = APIRouter()

BAD_CREDENTIALS = "Authentication failed: the user name or password is incorrect"


def basic_credentials(request: Request) -> tuple[str, str]:
    """User name and password from an HTTP Basic `Authorization` header, or 401."""
    header = request.headers.get("authorization")
    if not header:
        raise unauthorized("Authentication required: send HTTP Basic credentials to log on")
    scheme, _, encoded = header.partition(" ")
    if scheme.casefold() != "basic" or not encoded.strip():
        raise unauthorized("Authentication failed: only HTTP Basic authentication is supported")
    try:
        raw = base64.b64decode(encoded.strip(), validate=True)
    except (binascii.Error, ValueError):
        raise unauthorized("Authentication failed: the Basic credentials are not valid base64") from None
    try:
        text = raw.decode("utf-8")
    except UnicodeDecodeError:
        text = raw.decode("latin-1")
    user, sep, password = text.partition(":")
    if not sep:
        raise unauthorized("Authentication failed: the Basic credentials lack a ':' between user and password")
    return user, password


def check_version(request: Request) -> None:
    """`?v=latest`, a known version such as `v1_4`, or no `v` at all (treated as latest)."""
    version = param(request, "v")
    if version is None or version == "" or version.casefold() == "latest":
        return
    if version.casefold() not in {v.casefold() for v in API_VERSIONS}:
        raise VeeamError(400, f"Unsupported API version '{version}'; supported: latest, {', '.join(API_VERSIONS)}")


@router.post("/api/sessionMngr")
async def logon(request: Request) -> Response:
    """Basic credentials (or a tenant's LoginSpec) in, a LogonSession and its token out (201)."""
    check_version(request)
    tenant = parse_login_spec(await bounded_body(request, MAX_BODY), request.headers.get("content-type"))
    if tenant is not None:
        session = em(request).logon_tenant(tenant.username, tenant.password)
    else:
        user, password = basic_credentials(request)
        session = em(request).logon(user, password)
    if session is None:
        raise unauthorized(BAD_CREDENTIALS)
    h = hrefs(request)
    headers = {
        SESSION_HEADER: session.token,
        "Set-Cookie": f"{SESSION_HEADER}={session.token}; Path=/api;",
        "Location": h.logon_session(session.session_id),
    }
    return respond(request, doc.logon_session(h, session, Scope.of(session.account)), 201, headers)


@router.get("/api/logonSessions")
async def logon_sessions(request: Request, who: Annotated[Caller, Depends(caller)]) -> Response:
    """The caller's own session first, then the others it may see."""
    return respond(request, doc.logon_sessions(hrefs(request), em(request).visible_sessions(who.session)))


@router.get("/api/logonSessions/{session_id}")
async def logon_session(request: Request, session_id: str, who: Annotated[Caller, Depends(caller)]) -> Response:
    """One logon session."""
    found = em(request).find_session(who.session, parse_id(session_id, "Logon session"))
    return respond(request, doc.logon_session(hrefs(request), found, Scope.of(found.account)))


@router.delete("/api/logonSessions/{session_id}")
async def logoff(request: Request, session_id: str, who: Annotated[Caller, Depends(caller)]) -> Response:
    """End a session (204); its token is dead afterwards."""
    found = em(request).find_session(who.session, parse_id(session_id, "Logon session"))
    em(request).sessions.logoff(found.session_id)
    return Response(status_code=204)
