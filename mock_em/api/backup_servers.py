"""`/api/backupServers`: the Veeam Backup & Replication servers connected to EM."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Depends, Request
from starlette.responses import Response

from mock_em.api.context import Caller, caller, em, hrefs, parse_id, respond, wants_entity
from mock_em.wire import documents as doc

router = APIRouter()
Who = Annotated[Caller, Depends(caller)]


@router.get("/api/backupServers")
async def backup_servers(request: Request, who: Who) -> Response:
    """All backup servers."""
    h = hrefs(request)
    found = em(request).backup_servers(who.scope)
    if wants_entity(request):
        return respond(request, doc.entity_list("BackupServers", (doc.backup_server_entity(h, s) for s in found)))
    return respond(request, doc.references(doc.backup_server_ref(h, s) for s in found))


@router.get("/api/backupServers/{server_id}")
async def backup_server(request: Request, server_id: str, who: Who) -> Response:
    """One backup server."""
    found = em(request).backup_server(who.scope, parse_id(server_id, "Backup server"))
    h = hrefs(request)
    if wants_entity(request):
        return respond(request, doc.backup_server_entity(h, found))
    return respond(request, doc.backup_server_ref(h, found, root=True))
