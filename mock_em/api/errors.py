"""Every failure reaches the client as a Veeam `Error`, never a framework page or a stack trace.

The `Status` attribute carries .NET's `HttpStatusCode` name, as EM (a .NET service) writes it.
"""

from __future__ import annotations

import logging
import re
from collections.abc import Callable
from typing import Any

from fastapi import FastAPI, Request
from fastapi.exceptions import RequestValidationError
from starlette.exceptions import HTTPException as StarletteHTTPException
from starlette.responses import Response
from starlette.types import Message, Scope

from mock_em.model.enterprise_manager import Forbidden, NotFound
from mock_em.store.outage import describe, is_store_error
from mock_em.wire import documents as doc
from mock_em.wire.render import notation, render

log = logging.getLogger("mock_em")
CONTROL_PREFIX = "/mock"

STATUS_NAMES = {
    400: "BadRequest",
    401: "Unauthorized",
    403: "Forbidden",
    404: "NotFound",
    405: "MethodNotAllowed",
    406: "NotAcceptable",
    413: "RequestEntityTooLarge",
    415: "UnsupportedMediaType",
    500: "InternalServerError",
    501: "NotImplemented",
    503: "ServiceUnavailable",
}


class VeeamError(Exception):
    """An answer with an HTTP error status and a Veeam Error body."""

    def __init__(self, status_code: int, message: str, headers: dict[str, str] | None = None) -> None:
        super().__init__(message)
        self.status_code = status_code
        self.message = message
        self.headers = headers or {}


def unauthorized(message: str) -> VeeamError:
    """401 with the challenge EM sends, so Basic-auth clients know to log on."""
    return VeeamError(401, message, {"WWW-Authenticate": "Basic Realm=RestSvc"})


def error_body(path: str, accept: str | None, style: Any, status_code: int, message: str) -> tuple[bytes, str]:
    """The Error body and its media type for a status code, in the notation the client asked for."""
    node = doc.error(status_code, STATUS_NAMES.get(status_code, "InternalServerError"), message)
    # The control plane speaks JSON only (mock-em's own, PascalCase); the vendor API answers in
    # the notation asked for, as the app's release writes it.
    if path.startswith(CONTROL_PREFIX):
        return render(node, True)
    return render(node, notation(accept, style))


def error_response(request: Request, status_code: int, message: str, headers: dict[str, str] | None = None) -> Response:
    """The Error body for a status code, in the notation the client asked for."""
    style = request.app.state.settings.profile.json
    body, media_type = error_body(request.url.path, request.headers.get("accept"), style, status_code, message)
    return Response(body, status_code, headers=headers, media_type=media_type)


def unavailable_message(reason: str) -> str:
    """The Message of the 503 a shared EM answers while its Redis is away (the journal repeats it)."""
    return f"The service is unavailable: {reason}"


def unavailable(app: FastAPI) -> Callable[[Scope, str], tuple[Message, bytes]]:
    """The 503 that `mock_em.store.outage.OutageGuard` answers while Redis is away, as the app
    would write it (Veeam Error by `Accept`, dated by the EM's clock)."""
    from mock_em.app import http_date  # the app module builds on this one

    def answer(scope: Scope, reason: str) -> tuple[Message, bytes]:
        accept = next((v.decode("latin-1") for k, v in scope["headers"] if k.lower() == b"accept"), None)
        style = app.state.settings.profile.json
        body, media_type = error_body(scope["path"], accept, style, 503, unavailable_message(reason))
        headers = [
            (b"content-type", media_type.encode("latin-1")),
            (b"content-length", b"%d" % len(body)),
            (b"date", http_date(app.state.em.clock.now())),
        ]
        return {"type": "http.response.start", "status": 503, "headers": headers}, body

    return answer


def allowed_methods(request: Request) -> str:
    """Every method the resource at this path answers (each method is its own route, and the
    router's 405 names only the first that matched), from the documented route table."""
    table = getattr(request.app.state, "method_table", None)
    if table is None:
        table = []
        for template, operations in request.app.openapi()["paths"].items():
            pattern = re.compile("^" + re.sub(r"\\{[^/]+?\\}", "[^/]+", re.escape(template)) + "$")
            table.append((pattern, {method.upper() for method in operations}))
        request.app.state.method_table = table
    path = request.scope["path"]
    methods = set().union(*(methods for pattern, methods in table if pattern.match(path)))
    return ", ".join(sorted(methods))


def install(app: FastAPI) -> None:
    """Route every exception through a Veeam Error."""

    @app.exception_handler(VeeamError)
    async def _veeam(request: Request, exc: VeeamError) -> Response:
        return error_response(request, exc.status_code, exc.message, exc.headers)

    @app.exception_handler(NotFound)
    async def _not_found(request: Request, exc: NotFound) -> Response:
        return error_response(request, 404, str(exc))

    @app.exception_handler(Forbidden)
    async def _forbidden(request: Request, exc: Forbidden) -> Response:
        return error_response(request, 403, str(exc))

    @app.exception_handler(StarletteHTTPException)
    async def _http(request: Request, exc: StarletteHTTPException) -> Response:
        if exc.status_code == 404:
            message = f"The resource '{request.url.path}' was not found"
        elif exc.status_code == 405:
            message = f"The method '{request.method}' is not allowed on '{request.url.path}'"
        else:
            message = str(exc.detail)
        headers = dict(exc.headers or {})
        if exc.status_code == 405:
            headers["Allow"] = allowed_methods(request) or headers.get("Allow", "")
        return error_response(request, exc.status_code, message, headers)

    @app.exception_handler(RequestValidationError)
    async def _invalid(request: Request, exc: RequestValidationError) -> Response:
        first = exc.errors()[0] if exc.errors() else {}
        where = ".".join(str(p) for p in first.get("loc", ()))
        return error_response(request, 400, f"Invalid request: {where}: {first.get('msg', 'malformed')}")

    @app.exception_handler(Exception)
    async def _crash(request: Request, exc: Exception) -> Response:
        if is_store_error(exc):  # Redis is away: the outage guard logs it once (mock_em.store.outage)
            return error_response(request, 503, unavailable_message(describe(exc)))
        log.exception("unhandled error on %s %s", request.method, request.url.path)
        return error_response(request, 500, "Internal server error")
