"""The query service: `GET /api/querySvc` and `GET /api/query?type=…` (filter, sort, pages).

Each route is a body function of an `Ask` (see `api.context.get`): FastAPI and the fast path both
answer from it. Each family declares its query type (`Kind.query`); a first page is found from the
start of the sort order only, and matches and order starts are kept per world version
(`model.query.QueryCache`), so later pages only slice.
"""

from __future__ import annotations

from typing import Any

from fastapi import APIRouter

from mock_em import registry
from mock_em.api.context import Ask, get
from mock_em.api.errors import VeeamError
from mock_em.model.access import Access
from mock_em.model.query import QueryCache, QueryError, run_query
from mock_em.model.query_types import served_types
from mock_em.releases import profile
from mock_em.wire import documents as doc
from mock_em.wire import links
from mock_em.wire.cache import Doc, Listing, Whole, content_key
from mock_em.wire.template import Node

router = APIRouter()


def readable_types(access: Access, release: str) -> list[str]:
    """The query types of the release's families this caller may run, in the vendor's spelling."""
    return [t.name for t in served_types(registry.kind_names(release)) if t.readable(access)]


@get(router, "/api/querySvc", session_bound=True, query=())
def query_service(ask: Ask) -> Doc:
    """The query service, with a preset query per type the caller may read."""
    return Whole(doc.query_svc(ask.h, ask.who.session.session_id, readable_types(ask.who.access, ask.release)))


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
    served = registry.kind_names(ask.release)
    if not type_name:
        raise VeeamError(
            400, f"The query needs a type parameter, one of: {', '.join(t.name for t in served_types(served))}"
        )
    entities = _entities_wanted(ask)
    world, scope = ask.em.world, ask.who.access
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
            served=served,
        )
    except QueryError as exc:
        raise VeeamError(400, str(exc)) from None
    h, release = ask.h, ask.release
    family = registry.family(page.type.name)
    list_name = family.list_name if entities else None
    upper = profile(ask.release).upper_escapes
    paging = links.paging_links(h, ask.raw_query, page.page, page.page_size, page.pages_count, upper_escapes=upper)

    def build(items: list[Node]) -> Node:
        return doc.query_result(items, list_name, paging, page.page, page.page_size, page.pages_count)

    def render(item: Any) -> Node:
        if entities:
            return doc.entity(h, family, world, item, scope, release, in_list=True)
        return doc.reference(h, family, world, item, scope, release)

    fragments = ask.fragments
    return Listing(
        build,
        page.items,
        render,
        ("QueryResult", list_name, h.api, scope, release),  # the release as in `resources.listing`
        content_key(family.kind, world, fragments) if family.fragments and fragments is not None else None,
    )
