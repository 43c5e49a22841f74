"""Every failure reaches the client as a Veeam `Error`, never a framework page or a stack trace.

The `Status` attribute carries .NET's `HttpStatusCode` name, as EM (a .NET service) writes it.
"""

from __future__ import annotations

import logging
import re

from fastapi import FastAPI, Request
from fastapi.exceptions import RequestValidationError
from starlette.exceptions import HTTPException as StarletteHTTPException
from starlette.responses import Response

from mock_em.model.enterprise_manager import Forbidden, NotFound
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


def error_response(request: Request, status_code: int, message: str, headers: dict[str, str] | None = None) -> Response:
    """The Error body for a status code, in the notation the client asked for."""
    node = doc.error(status_code, STATUS_NAMES.get(status_code, "InternalServerError"), message)
    # The control plane speaks JSON only (mock-em's own, PascalCase); the vendor API answers in
    # the notation asked for, as the app's release writes it.
    if request.url.path.startswith(CONTROL_PREFIX):
        body, media_type = render(node, True)
    else:
        style = request.app.state.settings.profile.json
        body, media_type = render(node, notation(request.headers.get("accept"), style))
    return Response(body, status_code, headers=headers, media_type=media_type)


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
        log.exception("unhandled error on %s %s", request.method, request.url.path)
        return error_response(request, 500, "Internal server error")
