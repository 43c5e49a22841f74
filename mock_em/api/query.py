"""The query service: `GET /api/querySvc` and `GET /api/query?type=…` (filter, sort, pages).

Each route is a body function of an `Ask` (see `api.context.get`): FastAPI and the fast path both
answer from it. Matches and sort orders are kept per world version (`model.query.QueryCache`), so
paging through a million points sorts them once.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from fastapi import APIRouter

from mock_em.api.context import Ask, get
from mock_em.api.errors import VeeamError
from mock_em.model.query import QueryCache, QueryError, run_query
from mock_em.model.scope import Scope
from mock_em.model.world import World
from mock_em.wire import documents as doc
from mock_em.wire import links
from mock_em.wire.cache import Doc, Listing, Whole, point_content
from mock_em.wire.template import Node

router = APIRouter()

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


@get(router, "/api/querySvc", session_bound=True, query=())
def query_service(ask: Ask) -> Doc:
    """The query service, with a preset query per type the caller may read."""
    return Whole(doc.query_svc(ask.h, ask.who.session.session_id, readable_types(ask.who.scope)))


def _entities_wanted(ask: Ask) -> bool:
    value = ask.param("format")
    if value is None or value.casefold() in ("references", "reference", "refs", ""):
        return False
    if value.casefold() in ("entities", "entity"):
        return True
    raise VeeamError(400, f"Unknown query format '{value}': use References or Entities")


def query_cache(ask: Ask) -> QueryCache | None:
    """Where this app keeps query matches and orders (None: compute them on every query)."""
    app = ask.asgi.get("app")
    return getattr(app.state, "query_cache", None) if app is not None else None


@get(router, "/api/query", query=("type", "format", "filter", "sortAsc", "sortDesc", "page", "pageSize"))
def query(ask: Ask) -> Doc:
    """One page of the objects of a type that match the filter, in the asked order."""
    type_name = ask.param("type")
    if not type_name:
        raise VeeamError(400, f"The query needs a type parameter, one of: {', '.join(RENDERERS)}")
    entities = _entities_wanted(ask)
    world, scope = ask.em.world, ask.who.scope
    try:
        page = run_query(
            world,
            scope,
            type_name,
            filter_text=ask.param("filter"),
            sort_asc=ask.param("sortAsc"),
            sort_desc=ask.param("sortDesc"),
            page=ask.param("page"),
            page_size=ask.param("pageSize"),
            cache=query_cache(ask),
        )
    except QueryError as exc:
        raise VeeamError(400, str(exc)) from None
    h = ask.h
    ref, entity, list_name = RENDERERS[page.type.name]
    render = entity if entities else ref
    paging = links.paging_links(h, ask.raw_query, page.page, page.page_size, page.pages_count)

    def build(items: list[Node]) -> Node:
        return doc.query_result(
            items, list_name if entities else None, paging, page.page, page.page_size, page.pages_count
        )

    fragments = ask.fragments
    points = page.type.name == "CloudVmReplicaPoint" and fragments is not None
    return Listing(
        build,
        page.items,
        lambda item: render(h, world, item, scope),
        ("QueryResult", list_name if entities else None, h.api, scope),
        point_content(world, fragments) if points and fragments is not None else None,
    )
