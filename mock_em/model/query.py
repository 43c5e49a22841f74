"""The query service behind `GET /api/query?type=…`: scoping, filtering, sorting and paging over
the query types. Pure functions over the World: no HTTP, no XML.

The types and their fields are declared in `query_types`, the filter language in `query_filter`,
what is kept between queries in `query_cache`; this module runs a query and re-exports the
names callers use.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

from mock_em.model import query_types
from mock_em.model.access import Access, Forbidden
from mock_em.model.query_ascending import in_store_order
from mock_em.model.query_cache import QueryCache
from mock_em.model.query_columns import StoreOrder
from mock_em.model.query_fields import Field, Kind, QueryError, QueryType, excerpt
from mock_em.model.query_filter import MAX_DEPTH, MAX_FILTER_LENGTH, Filter, parse_filter
from mock_em.model.query_order import first_in_order, full_order
from mock_em.model.query_types import query_type
from mock_em.model.world import World

__all__ = [
    "DEFAULT_PAGE_SIZE",
    "MAX_DEPTH",
    "MAX_FILTER_LENGTH",
    "Field",
    "Filter",
    "Forbidden",
    "Kind",
    "QueryCache",
    "QueryError",
    "QueryPage",
    "QueryType",
    "parse_filter",
    "query_type",
    "run_query",
]


def __getattr__(name: str) -> Any:
    """`QUERY_TYPES`, from the families on first use (see `query_types`)."""
    if name == "QUERY_TYPES":
        return query_types.query_types()
    raise AttributeError(name)


DEFAULT_PAGE_SIZE = 100
"""Real servers answer `PageSize="100"` when the client gives none (em-api.md §6)."""

_MAX_PAGE_NUMBER = 2**31 - 1  # EM is .NET: page and pageSize are Int32 there


# -- paging and the query itself --------------------------------------------------------------


@dataclass(frozen=True)
class QueryPage:
    """One page of a query's answer; `total` counts the matches on all pages."""

    type: QueryType
    items: list[Any]
    page: int
    page_size: int
    pages_count: int
    total: int


def _whole_number(raw: str | None, name: str, default: int, minimum: int) -> int:
    """`page` / `pageSize` as sent in the query string; QueryError for anything but a whole number
    from `minimum` to 2**31-1."""
    if raw is None:
        return default
    text = raw.strip()
    if text.isascii() and text.isdigit() and len(text) <= 10 and minimum <= int(text) <= _MAX_PAGE_NUMBER:
        return int(text)
    raise QueryError(f"{name} must be a whole number from {minimum} to {_MAX_PAGE_NUMBER}, got '{excerpt(raw, 20)}'")


_SHALLOW = 50_000  # a page starting this deep in all points is cheaper to skip to than to index
# (beyond it, the list of them all is kept: a client paging through a million would otherwise
# skip half a million points per page, ~13 ms each)
_HEAD = 5_000  # the start of a sort order kept after a first page: fifty pages of the default size
_HEAD_MAX = 100_000  # a page ending deeper than this has the whole order built (and kept)


def run_query(
    world: World,
    scope: Access,
    type_name: str,
    *,
    filter_text: str | None = None,
    sort_asc: str | None = None,
    sort_desc: str | None = None,
    page: str | None = None,
    page_size: str | None = None,
    cache: QueryCache | None = None,
    served: frozenset[str] | None = None,
) -> QueryPage:
    """Answer `GET /api/query`: the asked page of the objects of `type_name` that the scope may
    see and the filter matches, in store order or sorted (stably: ties keep store order). `served`
    names the kinds the EM serves (None: every kind): another kind's type is unknown.

    QueryError (HTTP 400) for an unknown type, field, bad filter or paging value; Forbidden
    (HTTP 403) when the scope's role may not read the type at all. The role is checked before the
    parameters, so a caller who may not read a type learns nothing about its fields.

    With a `cache`, what the scope sees, the filter's matches and the sort order (or its start,
    see `_ordered`) are kept for the world's current version: later pages mostly only slice.
    """
    qtype = query_type(type_name, served)
    if not qtype.readable(scope):
        raise Forbidden(qtype.denied)
    if sort_asc is not None and sort_desc is not None:
        raise QueryError("Use either sortAsc or sortDesc, not both")
    sort_name = sort_asc if sort_asc is not None else sort_desc
    sort_field = None if sort_name is None else qtype.field(sort_name, purpose="sort by")
    size = _whole_number(page_size, "pageSize", DEFAULT_PAGE_SIZE, 1)
    number = _whole_number(page, "page", 1, 1)
    flt = None if filter_text is None else parse_filter(filter_text, qtype)

    start = (number - 1) * size
    descending = sort_desc is not None
    # "list everything" (or "the newest first"), over a big world: paged through the store itself
    # when the sort is the store's order (`Field.store_order`), and shallow enough to skip to
    plain = flt is None and scope.tenant_id is None and (sort_field is None or sort_field.store_order)
    shallow = start + size <= _HEAD if descending else start < _SHALLOW
    kept = None
    if cache is not None:
        base = (qtype.name, scope.tenant_id, filter_text)
        kept = cache.get(world, base if sort_field is None else (*base, sort_field.name, descending))
    if kept is not None:
        total = len(kept)
        items = list(kept[start : start + size])
    elif plain and (cache is None or shallow):
        # No need to copy a million points, nor to read their creation times (~200 ms).
        everything = world.all(qtype.name)
        total = len(everything)
        items = in_store_order(world, everything, sort_field, descending, start, start + size)
    else:
        stop = start + size
        matches, total = _sorted_matches(world, scope, qtype, flt, filter_text, sort_field, descending, stop, cache)
        items = list(matches[start : start + size])
    pages = max(1, -(-total // size))
    return QueryPage(qtype, items, number, size, pages, total)


def _sorted_matches(
    world: World,
    scope: Access,
    qtype: QueryType,
    flt: Filter | None,
    filter_text: str | None,
    sort_field: Field | None,
    descending: bool,
    stop: int,
    cache: QueryCache | None,
) -> tuple[Sequence[Any], int]:
    """At least the first `stop` matches in the asked order, and how many match in all. A kept
    head of the order long enough for the page answers alone (with the count of everything the
    type holds, when neither a filter nor a tenant narrows it: then nothing need be listed)."""
    if sort_field is None:
        matches = _matches(world, scope, qtype, flt, filter_text, cache, keep_all=True)
        return matches, len(matches)
    order_key = (qtype.name, scope.tenant_id, filter_text, sort_field.name, descending)
    head = cache.get(world, (*order_key, "head")) if cache is not None else None
    if head is not None and flt is None and scope.tenant_id is None:
        total = len(world.all(qtype.name))
        if len(head) >= min(stop, total):
            return head, total
    if flt is None and scope.tenant_id is None and sort_field.store_order and stop <= _HEAD_MAX:
        # the order's start read from the store's end, with no list of the whole store made
        store = world.all(qtype.name)
        count = min(len(store), max(2 * stop, _HEAD, 2 * len(head or ())))
        found = in_store_order(world, store, sort_field, descending, 0, count)
        return (cache.put(world, (*order_key, "head"), found) if cache is not None else found), len(store)
    matches = _matches(world, scope, qtype, flt, filter_text, cache, keep_all=False)
    if head is not None and len(head) >= min(stop, len(matches)):
        return head, len(matches)
    return _ordered(world, matches, sort_field, descending, stop, cache, order_key, head), len(matches)


def _matches(
    world: World,
    scope: Access,
    qtype: QueryType,
    flt: Filter | None,
    filter_text: str | None,
    cache: QueryCache | None,
    *,
    keep_all: bool,
) -> Sequence[Any]:
    """The objects the scope sees that the filter matches, in store order (kept when cached).

    Everything of a type, as a scope without a tenant sees it, is kept only for paging through it
    unsorted (`keep_all`): otherwise listing it again from the store costs less (~30 ms over a
    million points) than keeping it does. A kept list of a million objects is young until the
    collector has walked it a few times (about as long again, on a first page over a big world),
    and a sorted query's later pages need only the start of its order, which is kept."""
    if cache is None or (flt is None and scope.tenant_id is None and not keep_all):
        matches = _objects(world, scope, qtype)
        return flt.select(world, matches) if flt is not None else matches
    key = (qtype.name, scope.tenant_id, filter_text)
    found = cache.get(world, key)
    if found is not None:
        return found
    seen = cache.get(world, (qtype.name, scope.tenant_id, None))
    if seen is None:
        seen = _objects(world, scope, qtype)
        if scope.tenant_id is not None or (flt is None and keep_all):
            cache.put(world, (qtype.name, scope.tenant_id, None), seen)
    if flt is None:
        return seen
    return cache.put(world, key, flt.select(world, seen))


def _objects(world: World, scope: Access, qtype: QueryType) -> Sequence[Any]:
    """What the scope sees of the type, in store order. A scope without a tenant sees every object
    of a kind its role may read (the access policy; `run_query`'s plain path relies on it too), so
    those come as a `StoreOrder`, whose UID column is read from the store's keys."""
    if scope.tenant_id is None:
        return StoreOrder(world.all(qtype.name))
    return qtype.objects(world, scope)


def _ordered(
    world: World,
    matches: Sequence[Any],
    field: Field,
    descending: bool,
    stop: int,
    cache: QueryCache | None,
    order_key: tuple[Any, ...],
    head: Sequence[Any] | None = None,
) -> Sequence[Any]:
    """At least the first `stop` matches in field order (Python's sort is stable, also with
    reverse=True, so equal keys keep store order both ways).

    A page near the start needs only the start of the order, which costs a pass over the sort
    column instead of a sort of every match: the first query of a kind then answers quickly. With
    a cache the start is kept, longer than asked (at least `_HEAD`, twice what the page needs, and
    doubling as pages go deeper), so the next pages only slice; a page deeper than `_HEAD_MAX`
    has the whole order built and kept.
    `head` is the start kept already (too short for this page), if any.
    """
    total = len(matches)
    if cache is None:
        if stop * 4 <= total:
            return first_in_order(world, matches, field, descending=descending, count=stop)
        return full_order(world, matches, field, descending=descending)
    head_key = (*order_key, "head")
    if stop <= _HEAD_MAX and stop * 4 <= total:
        count = min(total, max(2 * stop, _HEAD, 2 * len(head or ())))
        return cache.put(world, head_key, first_in_order(world, matches, field, descending=descending, count=count))
    return cache.put(world, order_key, full_order(world, matches, field, descending=descending))
