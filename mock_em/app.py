"""`create_app`: the ASGI application that answers as Enterprise Manager on port 9399.

Paths are matched case-insensitively and with or without a trailing slash (the docs write
`/api/sessionMngr/` and `/api/backupservers`; clients send both), by rewriting each known segment
to its canonical camelCase before routing.
"""

from __future__ import annotations

from collections.abc import Callable
from datetime import UTC, datetime
from email.utils import format_datetime
from functools import cache, lru_cache

from fastapi import FastAPI
from starlette.middleware.errors import ServerErrorMiddleware
from starlette.types import ASGIApp, Message, Receive, Scope, Send

from mock_em import __version__, registry
from mock_em.api import errors, lookup, members, query, reports, resources, root, sessions, tenant_resources
from mock_em.api.fastpath import FastPath
from mock_em.api.recorder import Recorder
from mock_em.control import PREFIX
from mock_em.control.router import control_router
from mock_em.model.enterprise_manager import EnterpriseManager
from mock_em.model.faults import FaultRules
from mock_em.model.journal import Journal
from mock_em.model.query import QueryCache
from mock_em.model.reports import ReportCache
from mock_em.settings import Settings
from mock_em.wire.cache import ResponseCache


@cache
def canonical_paths(release: str) -> Callable[[str], str]:
    """The path canonicaliser of a release: the segments of the families it serves are matched
    in any case; a newer family's segments are unknown to it, and kept as sent."""
    segments = registry.canonical_segments(release)
    # Collections whose next path segment is an object id, which is kept exactly as sent.
    id_collections = registry.id_collections(release)

    @lru_cache(maxsize=16_384)  # the recorder and CanonicalPaths both ask, for every request
    def canonical_path(path: str) -> str:
        """`/API/BackupServers/` → `/api/backupServers`; ids and unknown segments are kept as sent."""
        parts = path.split("/")
        previous = ""
        for i, part in enumerate(parts):
            if previous not in id_collections:
                parts[i] = segments.get(part.casefold(), part)
            previous = parts[i] if previous not in id_collections else ""
        canonical = "/".join(parts)
        if len(canonical) > 1 and canonical.endswith("/"):
            canonical = canonical.rstrip("/") or "/"
        return canonical

    return canonical_path


class CanonicalPaths:
    """ASGI middleware applying a release's canonical paths (`canonical_paths`) to every HTTP request."""

    def __init__(self, app: ASGIApp, canonical: Callable[[str], str]) -> None:
        self.app = app
        self.canonical = canonical

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] == "http":
            path = self.canonical(scope["path"])
            if path != scope["path"]:
                scope = dict(scope, path=path, raw_path=path.encode("utf-8"))
        await self.app(scope, receive, send)


@lru_cache(maxsize=4)
def _http_date(second: int) -> bytes:
    return format_datetime(datetime.fromtimestamp(second, UTC), usegmt=True).encode("ascii")


def http_date(moment: datetime) -> bytes:
    """An HTTP `Date` value (`Sat, 05 Dec 2026 09:24:33 GMT`) for an aware instant; the last few
    seconds' values are kept, since every answer carries one."""
    return _http_date(int(moment.timestamp()))


class EmApp(FastAPI):
    """FastAPI with mock-em's own middleware right inside Starlette's ServerErrorMiddleware:
    Recorder (outermost of ours: sees /api requests as sent), CanonicalPaths, then FastPath,
    then FastAPI's remaining wrappers (exception telemetry, body limits, exception handlers) and
    the router. Placed there, the fast path answers without passing through the wrappers it
    does not need, while any error still ends as a Veeam Error from ServerErrorMiddleware.

    Every answer carries a `Date` header read from the EM's clock, as a real EM's comes from its
    system clock: a client that takes the server's time from it (`mock-em import` does) sees the
    virtual time the world lives in (the servers' own date header is off).

    HTTP requests skip FastAPI's per-request OpenTelemetry check (a mock is not traced, and the
    check costs more than a kept answer); other scopes (lifespan) go through FastAPI as usual.
    """

    def build_middleware_stack(self) -> ASGIApp:
        stack = super().build_middleware_stack()
        release = self.state.settings.release
        if isinstance(stack, ServerErrorMiddleware):
            stack.app = ours(stack.app, release)
            return stack
        return ours(stack, release)  # a FastAPI that builds its stack otherwise: ours outermost

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await super().__call__(scope, receive, send)
            return
        if self.root_path:
            scope["root_path"] = self.root_path
        scope["app"] = self
        if self.middleware_stack is None:
            self.middleware_stack = self.build_middleware_stack()
        clock = self.state.em.clock

        async def dated(message: Message) -> None:
            if message["type"] == "http.response.start":
                message["headers"] = [*message.get("headers", ()), (b"date", http_date(clock.now()))]
            await send(message)

        await self.middleware_stack(scope, receive, dated)


def ours(app: ASGIApp, release: str) -> ASGIApp:
    """mock-em's middleware around `app`, outermost first: Recorder, CanonicalPaths, FastPath."""
    fast = FastPath(app)
    canonical = canonical_paths(release)
    return Recorder(CanonicalPaths(fast, canonical), canonical=canonical, fast=fast)


def create_app(em: EnterpriseManager, settings: Settings | None = None) -> FastAPI:
    """An app answering from `em`."""
    app = EmApp(
        title="mock-em",
        version=__version__,
        description="A test double of Veeam Backup Enterprise Manager's REST API",
        redirect_slashes=False,
        docs_url=f"{PREFIX}/docs",
        redoc_url=None,
        openapi_url=f"{PREFIX}/openapi.json",
    )
    app.state.em = em
    app.state.settings = settings or Settings()
    app.state.reset_hooks = []  # what else a control-plane reset clears (journal, faults)
    app.state.journal = Journal(app.state.settings.journal_size)
    app.state.faults = FaultRules()
    app.state.reset_hooks += [app.state.journal.reset, app.state.faults.reset]
    # Rendered answers and query orders, kept per world version (see wire/cache.py, model/query.py).
    app.state.response_cache = ResponseCache()
    app.state.query_cache = QueryCache()
    app.state.report_cache = ReportCache()  # the summary report's counts, per world version and world time
    app.state.fast_path = True  # False: every request goes through FastAPI (tests compare the two)
    app.state.reset_hooks += [app.state.response_cache.clear, app.state.query_cache.clear, app.state.report_cache.clear]
    errors.install(app)
    app.include_router(root.router)
    app.include_router(sessions.router)
    release = app.state.settings.release  # the families this release serves, and their members
    app.include_router(resources.router_for(release))
    app.include_router(tenant_resources.router)
    app.include_router(members.router_for(release))
    for module in (query, reports, lookup):
        app.include_router(module.router)
    app.include_router(control_router())
    return app  # the middleware (Recorder, CanonicalPaths, FastPath) is placed by EmApp
