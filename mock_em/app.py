"""`create_app`: the ASGI application that answers as Enterprise Manager on port 9399.

Paths are matched case-insensitively and with or without a trailing slash (the docs write
`/api/sessionMngr/` and `/api/backupservers`; clients send both), by rewriting each known segment
to its canonical camelCase before routing.
"""

from __future__ import annotations

from fastapi import FastAPI
from starlette.types import ASGIApp, Receive, Scope, Send

from mock_em import __version__
from mock_em.api import backup_servers, cloud, errors, query, root, sessions
from mock_em.api.recorder import Recorder
from mock_em.control import PREFIX
from mock_em.control.router import control_router
from mock_em.model.enterprise_manager import EnterpriseManager
from mock_em.model.faults import FaultRules
from mock_em.model.journal import Journal
from mock_em.settings import Settings

CANONICAL_SEGMENTS = {
    s.casefold(): s
    for s in (
        "api",
        "sessionMngr",
        "logonSessions",
        "backupServers",
        "cloud",
        "tenants",
        "replicas",
        "vmReplicaPoints",
        "querySvc",
        "query",
    )
}


# Collections whose next path segment is an object id, which is kept exactly as sent.
ID_COLLECTIONS = frozenset({"tenants", "replicas", "vmReplicaPoints", "backupServers", "logonSessions"})


def canonical_path(path: str) -> str:
    """`/API/BackupServers/` → `/api/backupServers`; ids and unknown segments are kept as sent."""
    parts = path.split("/")
    previous = ""
    for i, part in enumerate(parts):
        if previous not in ID_COLLECTIONS:
            parts[i] = CANONICAL_SEGMENTS.get(part.casefold(), part)
        previous = parts[i] if previous not in ID_COLLECTIONS else ""
    canonical = "/".join(parts)
    if len(canonical) > 1 and canonical.endswith("/"):
        canonical = canonical.rstrip("/") or "/"
    return canonical


class CanonicalPaths:
    """ASGI middleware applying `canonical_path` to every HTTP request."""

    def __init__(self, app: ASGIApp) -> None:
        self.app = app

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] == "http":
            path = canonical_path(scope["path"])
            if path != scope["path"]:
                scope = dict(scope, path=path, raw_path=path.encode("utf-8"))
        await self.app(scope, receive, send)


def create_app(em: EnterpriseManager, settings: Settings | None = None) -> FastAPI:
    """An app answering from `em`."""
    app = FastAPI(
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
    errors.install(app)
    for module in (root, sessions, cloud, backup_servers, query):
        app.include_router(module.router)
    app.include_router(control_router())
    app.add_middleware(CanonicalPaths)
    app.add_middleware(Recorder, canonical=canonical_path)  # outermost: sees /api requests as sent
    return app
