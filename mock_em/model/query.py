"""The query service behind `GET /api/query?type=…`: the query types and their fields, scoping,
filtering (the language lives in `query_filter`), sorting and paging. Pure functions over the
World: no HTTP, no XML.

Fields follow the vendor's "Optional Parameters" tables for each query type (get_query_*.md),
with the enum orders of the vendor's enums, because filters compare enum values by index
(`State>=Failover` means Failover, Failback or PermanentFailover). Where the tables and the
9.5-era model part ways:

* CloudVmReplicaPoint `Type` takes Full, ReverseIncrement, Increment, Snapshot; today's table
  also lists CDP (first), which came with v11 continuous data protection and which no 9.5 point
  can have, so `Type==CDP` is refused like any unknown value.
* CloudVmReplicaPoint `BackupServerUid` / `BackupServerName` are those of the point's replica.
* CloudTenant `Type` (vCD, Standalone, ActiveDirectory) is Standalone for every tenant, and
  `OrganizationReference` (vCD tenants only) is left out.
* BackupServer `IpOrDnsName` is the server's Name: EM names a server by the address it was added with.
"""

from __future__ import annotations

import enum
import re
import threading
from collections import OrderedDict
from collections.abc import Callable, Hashable, Iterable, Sequence
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from itertools import islice, repeat
from operator import attrgetter
from typing import Any
from uuid import UUID

from mock_em.model.access import Access, Forbidden, visible
from mock_em.model.entities import Platform, PointState, PointType
from mock_em.model.kinds import kind
from mock_em.model.query_filter import (
    MAX_DEPTH,
    MAX_FILTER_LENGTH,
    Column,
    Field,
    Filter,
    Kind,
    QueryError,
    excerpt,
    parse_filter,
)
from mock_em.model.world import Stamp, World

__all__ = [
    "DEFAULT_PAGE_SIZE",
    "MAX_DEPTH",
    "MAX_FILTER_LENGTH",
    "QUERY_TYPES",
    "TENANT_TYPES",
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

DEFAULT_PAGE_SIZE = 100
"""Real servers answer `PageSize="100"` when the client gives none (em-api.md §6)."""

_MAX_PAGE_NUMBER = 2**31 - 1  # EM is .NET: page and pageSize are Int32 there

TENANT_TYPES = ("vCD", "Standalone", "ActiveDirectory")
"""CloudTenant `Type` values in the order get_query_cloudtenant.md lists them. Every tenant of the
9.5-era world is `Standalone` (the model has no vCD or AD tenants)."""


# -- columns: how a field is read from many objects at once -----------------------------------


def _text(attr: str) -> Column:
    """A string attribute, casefolded (filters and sorting ignore case)."""
    get = attrgetter(attr)
    return lambda world, items: map(str.casefold, map(get, items))


def _plain(attr: str) -> Column:
    """An attribute that compares as it is (datetime, int, bool, a UUID's `.int`)."""
    get = attrgetter(attr)
    return lambda world, items: map(get, items)


def _ranked(attr: str, enum_type: type[enum.Enum]) -> Column:
    """An enum attribute as its index in the vendor's enum order. Reads the member's `_value_`
    (a plain attribute, hashed in C) rather than hashing the member (a Python-level __hash__)."""
    get = attrgetter(f"{attr}._value_")
    rank = {member._value_: i for i, member in enumerate(enum_type)}.__getitem__
    return lambda world, items: map(rank, map(get, items))


def _via(key_attr: str, table: Callable[[World], dict[int, Any]]) -> Column:
    """A value of a related object (a point's replica name, a tenant's server name): the table
    (id int -> key) is built once per query, from the few related objects, not once per item."""
    get = attrgetter(key_attr)
    return lambda world, items: map(table(world).__getitem__, map(get, items))


def _constant(value: Any) -> Column:
    return lambda world, items: repeat(value, len(items))


def _replica_names(world: World) -> dict[int, str]:
    return {rid.int: r.name.casefold() for rid, r in world.replicas.items()}


def _replica_server_uids(world: World) -> dict[int, int]:
    return {rid.int: r.backup_server_id.int for rid, r in world.replicas.items()}


def _replica_server_names(world: World) -> dict[int, str]:
    servers = world.backup_servers
    return {rid.int: servers[r.backup_server_id].name.casefold() for rid, r in world.replicas.items()}


def _server_names(world: World) -> dict[int, str]:
    return {sid.int: s.name.casefold() for sid, s in world.backup_servers.items()}


def _uid(name: str, attr: str, vendor_type: str) -> Field:
    return Field(name, Kind.UID, _plain(f"{attr}.int"), uid_prefix=f"urn:veeam:{vendor_type}:")


def _own_uid(vendor_type: str, store: Callable[[World], dict[UUID, Any]]) -> Field:
    """The `UID` field of a type whose objects the world keys by id: `UID==…` is a dict lookup."""
    return Field(
        "UID",
        Kind.UID,
        _plain("id.int"),
        uid_prefix=f"urn:veeam:{vendor_type}:",
        lookup=lambda world, uid: store(world).get(UUID(int=uid)),
    )


def _string(name: str, column: Column) -> Field:
    return Field(name, Kind.STRING, column)


def _enum(name: str, column: Column, values: Iterable[str]) -> Field:
    return Field(name, Kind.ENUM, column, values=tuple(values))


# -- query types ------------------------------------------------------------------------------


@dataclass(frozen=True, eq=False)
class QueryType:
    """A type the query service answers for, with its fields by casefolded name."""

    name: str  # the vendor's spelling, e.g. `CloudVmReplicaPoint`
    fields: dict[str, Field]
    objects: Callable[[World, Access], Sequence[Any]]  # what the scope may see, in store order
    readable: Callable[[Access], bool]
    denied: str  # the Forbidden message for scopes that may not read this type

    def field(self, name: str, *, purpose: str) -> Field:
        """A field by case-insensitive name, or QueryError naming the type's fields."""
        found = self.fields.get(name.casefold())
        if found is None:
            known = ", ".join(f.name for f in self.fields.values())
            raise QueryError(
                f"Cannot {purpose} '{excerpt(name)}': {self.name} has no such field; its fields are {known}"
            )
        return found


def _fields(*fields: Field) -> dict[str, Field]:
    return {f.name.casefold(): f for f in fields}


def _points(world: World, scope: Access) -> Sequence[Any]:
    if scope.tenant_id is None:
        return list(world.points.values())
    return visible(world, kind("CloudVmReplicaPoint"), scope)


def _replicas(world: World, scope: Access) -> Sequence[Any]:
    return visible(world, kind("CloudReplica"), scope)


def _tenants(world: World, scope: Access) -> Sequence[Any]:
    return visible(world, kind("CloudTenant"), scope)


def _servers(world: World, scope: Access) -> Sequence[Any]:
    return list(world.backup_servers.values())


_CREATION_TIME = Field("CreationTime", Kind.DATETIME, _plain("creation_time"))
_POINT_STAMP = re.compile(r"[0-9]{4}-[0-9]{2}-[0-9]{2} [0-9]{2}:[0-9]{2}:[0-9]{2}")


def _point_name_window(key: str) -> list[tuple[Field, str, Any]] | None:
    """A point's Name is `<vm>@<yyyy-MM-dd HH:mm:ss>` of its UTC creation time, and formatting
    a million of them takes seconds. So `Name==<vm>@<stamp>` first keeps the points created
    within that second (the stamp has no `@`, so the last `@` splits the name), and only those
    have their Name read and compared exactly. Other values get no shortcut (and stay exact)."""
    _, at, stamp = key.rpartition("@")
    if not at or not _POINT_STAMP.fullmatch(stamp):
        return None
    try:
        second = datetime.strptime(stamp, "%Y-%m-%d %H:%M:%S").replace(tzinfo=UTC)
    except ValueError:
        return None
    return [(_CREATION_TIME, ">=", second), (_CREATION_TIME, "<", second + timedelta(seconds=1))]


def _everyone(scope: Access) -> bool:
    return True


_TYPES = (
    QueryType(
        "CloudVmReplicaPoint",
        _fields(
            _own_uid("CloudVmReplicaPoint", attrgetter("points")),
            Field("Name", Kind.STRING, _text("name"), narrow=_point_name_window),
            _CREATION_TIME,
            _string("VmName", _text("vm_name")),
            _enum("Type", _ranked("point_type", PointType), (t.value for t in PointType)),
            _uid("ReplicaUid", "replica_id", "CloudReplica"),
            _string("ReplicaName", _via("replica_id.int", _replica_names)),
            _string("VmDisplayName", _text("vm_display_name")),
            Field(
                "BackupServerUid",
                Kind.UID,
                _via("replica_id.int", _replica_server_uids),
                uid_prefix="urn:veeam:BackupServer:",
            ),
            _string("BackupServerName", _via("replica_id.int", _replica_server_names)),
            _enum("State", _ranked("state", PointState), (s.value for s in PointState)),
        ),
        _points,
        _everyone,
        "",
    ),
    QueryType(
        "CloudReplica",
        _fields(
            _own_uid("CloudReplica", attrgetter("replicas")),
            _string("Name", _text("name")),
            _enum("Platform", _ranked("platform", Platform), (p.value for p in Platform)),
        ),
        _replicas,
        _everyone,
        "",
    ),
    QueryType(
        "CloudTenant",
        _fields(
            _own_uid("CloudTenant", attrgetter("tenants")),
            _string("Name", _text("name")),
            Field("Enabled", Kind.BOOL, _plain("enabled")),
            _uid("BackupServerUid", "backup_server_id", "BackupServer"),
            _string("BackupServerName", _via("backup_server_id.int", _server_names)),
            _enum("Type", _constant(TENANT_TYPES.index("Standalone")), TENANT_TYPES),
        ),
        _tenants,
        lambda scope: scope.reads("CloudTenant"),
        "Access denied: your role may not read cloud tenants",
    ),
    QueryType(
        "BackupServer",
        _fields(
            _own_uid("BackupServer", attrgetter("backup_servers")),
            _string("Name", _text("name")),
            _string("Description", _text("description")),
            _string("IpOrDnsName", _text("name")),  # EM names a server by the address it was added with
            Field("Port", Kind.INT, _plain("port")),
            _string("Version", _text("version")),  # a String in the vendor table: compared as text
        ),
        _servers,
        lambda scope: scope.reads("BackupServer"),
        "Access denied: your role may not read backup servers",
    ),
)

QUERY_TYPES: dict[str, QueryType] = {t.name.casefold(): t for t in _TYPES}


def query_type(name: str) -> QueryType:
    """A query type by case-insensitive name (`type=backupServer` works, as in the vendor's examples)."""
    found = QUERY_TYPES.get(name.casefold())
    if found is None:
        supported = ", ".join(sorted(t.name for t in _TYPES))
        raise QueryError(f"Unknown query type '{excerpt(name)}'; supported types are {supported}")
    return found


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


class QueryCache:
    """What recent queries found, for one world at one version: the objects a scope sees, the
    matches of a filter, a sort order. Paging through a query over a million points then sorts
    them once, not once per page; any change to the world (`World.version`) forgets it all.

    Bounded by the number of object references kept (a million-point order is one such list).
    """

    def __init__(self, max_items: int = 8_000_000) -> None:
        self.max_items = max_items
        self._lock = threading.Lock()
        self._stamp = Stamp()
        self._entries: OrderedDict[Hashable, Sequence[Any]] = OrderedDict()
        self._items = 0

    def get(self, world: World, key: Hashable) -> Sequence[Any] | None:
        """A kept result for `key`, if it was computed from this world at its current version."""
        with self._lock:
            if not self._stamp.holds(world):
                self._entries.clear()
                self._items = 0
                self._stamp = Stamp(world)
                return None
            found = self._entries.get(key)
            if found is not None:
                self._entries.move_to_end(key)
            return found

    def put(self, world: World, key: Hashable, value: Sequence[Any]) -> Sequence[Any]:
        """Keep `value` (computed from `world` as it is now) and return it."""
        if len(value) > self.max_items:
            return value
        with self._lock:
            if not self._stamp.holds(world):
                self._entries.clear()
                self._items = 0
                self._stamp = Stamp(world)
            old = self._entries.pop(key, None)
            self._items += len(value) - (len(old) if old is not None else 0)
            self._entries[key] = value
            while self._items > self.max_items and self._entries:
                _, dropped = self._entries.popitem(last=False)
                self._items -= len(dropped)
        return value

    def clear(self) -> None:
        """Forget everything kept."""
        with self._lock:
            self._entries.clear()
            self._items = 0
            self._stamp = Stamp()


_SHALLOW = 50_000  # a page starting this deep in all points is cheaper to skip to than to index


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
) -> QueryPage:
    """Answer `GET /api/query`: the asked page of the objects of `type_name` that the scope may
    see and the filter matches, in store order or sorted (stably: ties keep store order).

    QueryError (HTTP 400) for an unknown type, field, bad filter or paging value; Forbidden
    (HTTP 403) when the scope's role may not read the type at all. The role is checked before the
    parameters, so a caller who may not read a type learns nothing about its fields.

    With a `cache`, what the scope sees, the filter's matches and the sort order are kept for the
    world's current version: the first query builds them, later pages only slice.
    """
    qtype = query_type(type_name)
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
    plain = flt is None and sort_field is None and scope.tenant_id is None and qtype.objects is _points
    kept = None
    if cache is not None:
        base = (qtype.name, scope.tenant_id, filter_text)
        kept = cache.get(world, base if sort_field is None else (*base, sort_field.name, descending))
    if kept is not None:
        total = len(kept)
        items = list(kept[start : start + size])
    elif plain and (cache is None or start < _SHALLOW):
        # The common "list everything" query over a big world: no need to copy a million points.
        total = len(world.points)
        items = list(islice(world.points.values(), start, start + size))
    else:
        matches = _matches(world, scope, qtype, flt, filter_text, cache)
        total = len(matches)
        if sort_field is not None:
            if cache is None:
                matches = _sorted_page(world, matches, sort_field, descending=descending, stop=start + size)
            else:
                ordered = _sorted_page(world, matches, sort_field, descending=descending, stop=len(matches))
                order_key = (qtype.name, scope.tenant_id, filter_text, sort_field.name, descending)
                matches = cache.put(world, order_key, ordered)
        items = list(matches[start : start + size])
    pages = max(1, -(-total // size))
    return QueryPage(qtype, items, number, size, pages, total)


def _matches(
    world: World, scope: Access, qtype: QueryType, flt: Filter | None, filter_text: str | None, cache: QueryCache | None
) -> Sequence[Any]:
    """The objects the scope sees that the filter matches, in store order (kept when cached)."""
    if cache is None:
        matches = qtype.objects(world, scope)
        return flt.select(world, matches) if flt is not None else matches
    key = (qtype.name, scope.tenant_id, filter_text)
    found = cache.get(world, key)
    if found is not None:
        return found
    seen = cache.get(world, (qtype.name, scope.tenant_id, None))
    if seen is None:
        seen = cache.put(world, (qtype.name, scope.tenant_id, None), qtype.objects(world, scope))
    if flt is None:
        return seen
    return cache.put(world, key, flt.select(world, seen))


def _sorted_page(world: World, items: Sequence[Any], field: Field, *, descending: bool, stop: int) -> Sequence[Any]:
    """The first `stop` items in field order (all when fewer): Python's sort is stable, also with
    reverse=True, so equal keys keep store order both ways. Sorting indexes by a precomputed key
    list reads each key once, through the same column functions the filter uses."""
    keys = list(field.column(world, items))
    order = sorted(range(len(items)), key=keys.__getitem__, reverse=descending)
    return [items[i] for i in islice(order, stop)]
