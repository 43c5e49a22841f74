"""`/api/backupServers`: the Veeam Backup & Replication servers connected to EM.

Each route is a body function of an `Ask` (see `api.context.get`): FastAPI and the fast path both
answer from it.
"""

from __future__ import annotations

from fastapi import APIRouter

from mock_em.api.context import Ask, get, parse_id
from mock_em.wire import documents as doc
from mock_em.wire.cache import Doc, Whole

router = APIRouter()


@get(router, "/api/backupServers")
def backup_servers(ask: Ask) -> Doc:
    """All backup servers."""
    found = ask.em.backup_servers(ask.who.scope)
    if ask.entity:
        return Whole(doc.entity_list("BackupServers", (doc.backup_server_entity(ask.h, s) for s in found)))
    return Whole(doc.references(doc.backup_server_ref(ask.h, s) for s in found))


@get(router, "/api/backupServers/{server_id}")
def backup_server(ask: Ask, server_id: str) -> Doc:
    """One backup server."""
    found = ask.em.backup_server(ask.who.scope, parse_id(server_id, "Backup server"))
    if ask.entity:
        return Whole(doc.backup_server_entity(ask.h, found))
    return Whole(doc.backup_server_ref(ask.h, found, root=True))
