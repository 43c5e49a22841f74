"""The query service: `GET /api/querySvc` and `GET /api/query?type=…` (filter, sort, pages)."""

from __future__ import annotations

from collections.abc import Callable
from typing import Annotated, Any

from fastapi import APIRouter, Depends, Request
from starlette.responses import Response

from mock_em.api.context import Caller, caller, em, hrefs, param, respond
from mock_em.api.errors import VeeamError
from mock_em.model.query import QueryError, run_query
from mock_em.model.scope import Scope
from mock_em.model.world import World
from mock_em.wire import documents as doc
from mock_em.wire import links
from mock_em.wire.template import Node

router = APIRouter()
Who = Annotated[Caller, Depends(caller)]

Render = Callable[[links.Hrefs, World, Any, Scope], Node]

# How each query type renders: its reference, its entity (as a list item) and its entity list.
RENDERERS: dict[str, tuple[Render, Render, str]] = {
    "CloudVmReplicaPoint": (
        doc.point_ref,
        lambda h, w, p, s: doc.point_entity(h, w, p, s, in_list=True),
        "CloudVmReplicaPoints",
    ),
    "CloudReplica": (doc.replica_ref, doc.replica_entity, "CloudReplicas"),
    "CloudTenant": (doc.tenant_ref, doc.tenant_entity, "CloudTenants"),
    "BackupServer": (
        lambda h, w, b, s: doc.backup_server_ref(h, b),
        lambda h, w, b, s: doc.backup_server_entity(h, b),
        "BackupServers",
    ),
}


def readable_types(scope: Scope) -> list[str]:
    """The query types this caller may run, in the vendor's spelling."""
    names = ["CloudVmReplicaPoint", "CloudReplica"]
    if scope.reads_tenants:
        names.append("CloudTenant")
    if scope.reads_backup_servers:
        names.append("BackupServer")
    return names


@router.get("/api/querySvc")
async def query_service(request: Request, who: Who) -> Response:
    """The query service, with a preset query per type the caller may read."""
    return respond(request, doc.query_svc(hrefs(request), who.session.session_id, readable_types(who.scope)))


def _entities_wanted(request: Request) -> bool:
    value = param(request, "format")
    if value is None or value.casefold() in ("references", "reference", "refs", ""):
        return False
    if value.casefold() in ("entities", "entity"):
        return True
    raise VeeamError(400, f"Unknown query format '{value}': use References or Entities")


@router.get("/api/query")
async def query(request: Request, who: Who) -> Response:
    """One page of the objects of a type that match the filter, in the asked order."""
    type_name = param(request, "type")
    if not type_name:
        raise VeeamError(400, f"The query needs a type parameter, one of: {', '.join(RENDERERS)}")
    entities = _entities_wanted(request)
    world = em(request).world
    try:
        page = run_query(
            world,
            who.scope,
            type_name,
            filter_text=param(request, "filter"),
            sort_asc=param(request, "sortAsc"),
            sort_desc=param(request, "sortDesc"),
            page=param(request, "page"),
            page_size=param(request, "pageSize"),
        )
    except QueryError as exc:
        raise VeeamError(400, str(exc)) from None
    h = hrefs(request)
    ref, entity, list_name = RENDERERS[page.type.name]
    render = entity if entities else ref
    items = [render(h, world, item, who.scope) for item in page.items]
    paging = links.paging_links(h, request.url.query, page.page, page.page_size, page.pages_count)
    node = doc.query_result(items, list_name if entities else None, paging, page.page, page.page_size, page.pages_count)
    return respond(request, node)
