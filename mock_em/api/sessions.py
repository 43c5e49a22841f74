"""Logon (`POST /api/sessionMngr/`), the logon sessions collection, and logoff.

Logon and logoff are written as plain functions of what a request says (`presented`, `open_session`,
`logged_on`, `end_session`) that the FastAPI routes below and the fast path
(`mock_em.api.fastpath`) both call: a load test logs on and off thousands of times a second.
"""

from __future__ import annotations

import base64
import binascii
from dataclasses import dataclass
from typing import Annotated

from fastapi import APIRouter, Depends, Request
from starlette.responses import Response

from mock_em.api.context import Caller, caller, media_type, respond, session_document
from mock_em.api.errors import VeeamError, unauthorized
from mock_em.api.login_spec import MAX_BODY, parse_login_spec
from mock_em.api.request import (
    SESSION_HEADER,
    bounded_body,
    em,
    hrefs,
    json_requested,
    param,
    param_in,
    parse_id,
    response_cache,
    settings,
)
from mock_em.model.enterprise_manager import EnterpriseManager
from mock_em.model.entities import LogonSession
from mock_em.releases import ReleaseProfile
from mock_em.wire import documents as doc
from mock_em.wire.cache import ResponseCache
from mock_em.wire.links import Hrefs

router = APIRouter()

BAD_CREDENTIALS = "Authentication failed: the user name or password is incorrect"
LOGON_PATH = "/api/sessionMngr"
SESSION_PATH = "/api/logonSessions/{session_id}"


def basic_credentials_of(header: str | None) -> tuple[str, str]:
    """User name and password from an HTTP Basic `Authorization` header value, or 401."""
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


def basic_credentials(request: Request) -> tuple[str, str]:
    """User name and password from an HTTP Basic `Authorization` header, or 401."""
    return basic_credentials_of(request.headers.get("authorization"))


def check_version_of(version: str | None, release: ReleaseProfile) -> None:
    """`?v=latest`, a version the release lists (`v1_4` in 9.5 U4, `v1_7` in 12), or no `v` at all
    (treated as latest); any other is a 400 naming the versions this release supports, whether EM
    ever had it or not (em-api-monitoring.md §7: 12 and 13 refuse `v1_4`, 9.5 U4 refuses `v1_5`).
    The release comes from the caller (the app's settings), so that two apps of different releases
    in one process each answer as theirs."""
    if not release.accepts(version):
        supported = ", ".join(release.api_versions)
        raise VeeamError(400, f"Unsupported API version '{version}'; supported: latest, {supported}")


def check_version(request: Request) -> None:
    """`check_version_of` for a request, by the app's release profile."""
    check_version_of(param(request, "v"), settings(request).profile)


@dataclass(frozen=True, slots=True)
class Presented:
    """What a logon presents: a tenant's LoginSpec credentials, or an EM user's Basic ones."""

    name: str
    password: str
    tenant: bool


def presented(
    params: list[tuple[str, str]],
    body: bytes,
    content_type: str | None,
    authorization: str | None,
    release: ReleaseProfile,
) -> Presented:
    """The credentials of a logon request, checked in the order EM checks them (API version, by
    the release's profile; LoginSpec body; Basic header); VeeamError (400 or 401) when they are
    unusable. Changes nothing."""
    check_version_of(param_in(params, "v"), release)
    tenant = parse_login_spec(body, content_type)
    if tenant is not None:
        return Presented(tenant.username, tenant.password, tenant=True)
    user, password = basic_credentials_of(authorization)
    return Presented(user, password, tenant=False)


def open_session(manager: EnterpriseManager, credentials: Presented) -> LogonSession | None:
    """A new session for these credentials; None (and no session) when they do not match."""
    if credentials.tenant:
        return manager.logon_tenant(credentials.name, credentials.password)
    return manager.logon(credentials.name, credentials.password)


def logged_on(cache: ResponseCache | None, h: Hrefs, session: LogonSession, json: bool, release: str) -> Response:
    """The 201 answer to a logon: the LogonSession, its token in a header and a cookie, its Location."""
    headers = {
        SESSION_HEADER: session.token,
        "Set-Cookie": f"{SESSION_HEADER}={session.token}; Path=/api;",
        "Location": h.logon_session(session.session_id),
    }
    return Response(
        session_document(cache, h, session, json, release), 201, headers=headers, media_type=media_type(json)
    )


def end_session(manager: EnterpriseManager, session: LogonSession) -> Response:
    """End a session the caller may see; the 204 answer."""
    manager.sessions.logoff(session.session_id)
    return Response(status_code=204)


@router.post(LOGON_PATH)
async def logon(request: Request) -> Response:
    """Basic credentials (or a tenant's LoginSpec) in, a LogonSession and its token out (201)."""
    check_version(request)  # before the body is read: a bad version is refused whatever the body
    body = await bounded_body(request, MAX_BODY)
    headers = request.headers
    credentials = presented(
        request.query_params.multi_items(),
        body,
        headers.get("content-type"),
        headers.get("authorization"),
        settings(request).profile,
    )
    session = open_session(em(request), credentials)
    if session is None:
        raise unauthorized(BAD_CREDENTIALS)
    return logged_on(
        response_cache(request), hrefs(request), session, json_requested(request), settings(request).release
    )


@router.get("/api/logonSessions")
async def logon_sessions(request: Request, who: Annotated[Caller, Depends(caller)]) -> Response:
    """The caller's own session first, then the others it may see."""
    return respond(
        request,
        doc.logon_sessions(hrefs(request), em(request).visible_sessions(who.session), settings(request).release),
    )


@router.get(SESSION_PATH)
async def logon_session(request: Request, session_id: str, who: Annotated[Caller, Depends(caller)]) -> Response:
    """One logon session."""
    found = em(request).find_session(who.session, parse_id(session_id, "Logon session"))
    json = json_requested(request)
    body = session_document(response_cache(request), hrefs(request), found, json, settings(request).release)
    return Response(body, media_type=media_type(json))


@router.delete(SESSION_PATH)
async def logoff(request: Request, session_id: str, who: Annotated[Caller, Depends(caller)]) -> Response:
    """End a session (204); its token is dead afterwards."""
    found = em(request).find_session(who.session, parse_id(session_id, "Logon session"))
    return end_session(em(request), found)
