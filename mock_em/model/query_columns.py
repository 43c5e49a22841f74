"""Column helpers: how a query type's fields are read from many objects at once, and the short
builders its declaration is written with (each family declares its own: `Kind.query`).

A column reads a field of all the objects in one list comprehension compiled for that field (see
`reader`) or maps C-level functions (`str.casefold`, a dict's `__getitem__`) over them, instead of
calling Python once per object, because a query may read one field of a million restore points;
keys come out normalised so that Python's comparison is the vendor's.
"""

from __future__ import annotations

import enum
import re
from collections.abc import Callable, Iterable, Sequence
from itertools import compress, repeat
from typing import Any
from uuid import UUID

from mock_em.model.access import Access, visible
from mock_em.model.kinds import Kind as ModelKind
from mock_em.model.query_fields import Column, Field, Kind, QueryType
from mock_em.model.world import World

__all__ = [
    "StoreOrder",
    "constant",
    "enum_field",
    "field_table",
    "own_uid_field",
    "plain",
    "positions",
    "ranked",
    "reader",
    "string_field",
    "text",
    "uid_field",
    "via",
]


_PATH = re.compile(r"[A-Za-z_][A-Za-z0-9_]*(?:\.[A-Za-z_][A-Za-z0-9_]*)*")


def reader(path: str, *, table: bool = False) -> Callable[..., list[Any]]:
    """`[x.<path> for x in items]`, compiled for one attribute path (`id.int`, `state._value_`);
    with `table`, `[table[x.<path>] for x in items]` (called as `read(items, table)`).

    Why not `map(attrgetter(path), items)`: CPython 3.11 specialises a comprehension's attribute
    load for slotted classes (every entity is a slots dataclass, a UUID has slots), while
    `attrgetter` takes the generic lookup for every object. Over a million restore points the
    comprehension reads a field in about 60% of the time (`id.int`: ~230 ms against ~400). The
    specialisation is per code site, so each path gets its own function, built once at import
    from a checked dotted name (as `dataclasses` builds its methods)."""
    if not _PATH.fullmatch(path):
        raise ValueError(f"not an attribute path: {path!r}")
    if table:
        source = f"def read(items, table):\n    return [table[x.{path}] for x in items]\n"
    else:
        source = f"def read(items):\n    return [x.{path} for x in items]\n"
    namespace: dict[str, Any] = {}
    exec(compile(source, f"<column {path}>", "exec"), namespace)
    return namespace["read"]


def positions(mask: list[bool]) -> list[int]:
    """The indexes at which `mask` is True: `list(compress(range(len(mask)), mask))`.

    Iterating a range makes an int object for every index, hits or not (about 100 ms over a
    million); when few are True, `list.index` scans the mask in C from one hit to the next."""
    hits = mask.count(True)
    if hits * 8 > len(mask):
        return list(compress(range(len(mask)), mask))
    index = mask.index
    found = []
    i = -1
    for _ in range(hits):
        i = index(True, i + 1)
        found.append(i)
    return found


def text(attr: str) -> Column:
    """A string attribute, casefolded (filters and sorting ignore case).

    Stored names repeat (a VM's name is on each of its points), so each distinct value is folded
    once, and when folding changes none of them the values are their own keys: a third less time
    over a million points than folding every value."""
    read = reader(attr)

    def column(world: World, items: Sequence[Any]) -> Iterable[Any]:
        values = read(items)
        distinct = list(set(values))
        folded = list(map(str.casefold, distinct))
        if folded == distinct:
            return values
        return map(dict(zip(distinct, folded, strict=True)).__getitem__, values)

    column.raw = read  # type: ignore[attr-defined]  # the values before folding: see `query_nodes.In`
    return column


def plain(attr: str) -> Column:
    """An attribute that compares as it is (datetime, int, bool, a UUID's `.int`)."""
    read = reader(attr)

    def column(world: World, items: Sequence[Any]) -> Iterable[Any]:
        return read(items)

    return column


def ranked(attr: str, enum_type: type[enum.Enum]) -> Column:
    """An enum attribute as its index in the vendor's enum order. Reads the member's `_value_`
    (a plain attribute, hashed in C) rather than hashing the member (a Python-level __hash__)."""
    read = reader(f"{attr}._value_", table=True)
    rank = {member._value_: i for i, member in enumerate(enum_type)}
    return lambda world, items: read(items, rank)


def via(
    key_attr: str, table: Callable[[World], dict[int, Any]], owners: Callable[[World], dict[UUID, Any]] | None = None
) -> Column:
    """A value of a related object (a point's replica name, a tenant's server name): the table
    (id int -> key) is built once per query, from the few related objects, not once per item.

    Looking up a 128-bit int hashes it anew each time (the int does not keep its hash): over a
    million points that is about half the column. When `key_attr` is a related id's `.int`, the ids
    are read as objects instead, and each point shares its replica's UUID object, so the table is
    looked up once per distinct object (by identity: `id()` of objects the read list keeps alive)
    and each point through a small-int dict: ~340 ms against ~420 over a million points.

    With `owners` (the related objects' store), the ids to expect are the store's own keys, which
    the objects normally share: looked up by identity with no pass to find the distinct ids; any
    object holding an equal copy instead sends the column the way above."""
    read = reader(key_attr, table=True)
    owner, _, last = key_attr.rpartition(".")
    read_owner = reader(owner) if owner and last == "int" else None

    def column(world: World, items: Sequence[Any]) -> Iterable[Any]:
        values = table(world)
        if read_owner is None:
            return read(items, values)
        related = read_owner(items)
        identities = list(map(id, related))
        if owners is not None:  # the store's keys are alive meanwhile, so an id names one of them
            expected = {id(u): values[u.int] for u in owners(world) if u.int in values}
            keys = list(map(expected.get, identities))
            if None not in keys:
                return keys
        one_each = dict(zip(identities, related, strict=True))
        if len(one_each) * 4 > len(items):  # hardly shared: the plain lookup is cheaper
            return read(items, values)
        by_identity = {i: values[u.int] for i, u in one_each.items()}
        return map(by_identity.__getitem__, identities)

    return column


def constant(value: Any) -> Column:
    """The same key for every object (a field the model does not vary)."""
    return lambda world, items: repeat(value, len(items))


def uid_field(name: str, attr: str, vendor_type: str) -> Field:
    """A UID of a related object, read from `attr` (an int: the UUID's `.int`)."""
    return Field(name, Kind.UID, plain(attr), uid_prefix=f"urn:veeam:{vendor_type}:")


class StoreOrder(list[Any]):
    """Every object of one world store (a dict by id), in store order, as a list that says so: the
    `UID` column of such a list is read from the dict's keys, which are the ids, one attribute
    away rather than two (`[u.int for u in store]`: ~140 ms over a million points, against ~230
    through the points)."""

    __slots__ = ("store",)

    def __init__(self, store: dict[UUID, Any]) -> None:
        super().__init__(store.values())
        self.store = store


def own_uid_field(vendor_type: str, store: Callable[[World], dict[UUID, Any]]) -> Field:
    """The `UID` field of a type whose objects the world keys by id: `UID==…` is a dict lookup, and
    the column of a whole store in store order (`StoreOrder`) its keys' ints."""
    read = reader("id.int")

    def column(world: World, items: Sequence[Any]) -> Iterable[Any]:
        if type(items) is StoreOrder and items.store is store(world) and len(items) == len(items.store):
            return [u.int for u in items.store]
        return read(items)

    return Field(
        "UID",
        Kind.UID,
        column,
        uid_prefix=f"urn:veeam:{vendor_type}:",
        lookup=lambda world, uid: store(world).get(UUID(int=uid)),
    )


def string_field(name: str, column: Column) -> Field:
    """A text field: compared and sorted case-insensitively."""
    return Field(name, Kind.STRING, column)


def identity_fields(vendor_type: str, store: Callable[[World], dict[UUID, Any]] | None = None) -> tuple[Field, Field]:
    """`UID` and `Name`, the two fields every type's table starts with; `store` is where the world
    keeps the type's objects (by default its own store, `world.all(vendor_type)`)."""
    where = store or (lambda world: world.all(vendor_type))
    return own_uid_field(vendor_type, where), string_field("Name", text("name"))


def enum_field(name: str, column: Column, values: Iterable[str]) -> Field:
    """An enum field whose column gives each object's index in `values` (the vendor's order)."""
    return Field(name, Kind.ENUM, column, values=tuple(values))


def field_table(*fields: Field) -> dict[str, Field]:
    """Fields by casefolded name, in the order given (the order error messages list them in)."""
    return {f.name.casefold(): f for f in fields}


def query_for(
    kind: ModelKind, *fields: Field, objects: Callable[[World, Access], Sequence[Any]] | None = None
) -> QueryType:
    """The query type of a kind: its fields; what a caller sees of it and whether its role may read it
    come from the access policy (`objects` where a kind has a faster way to the same answer)."""

    def seen(world: World, access: Access) -> Sequence[Any]:
        return visible(world, kind, access)

    return QueryType(
        kind.name,
        field_table(*fields),
        objects or seen,
        lambda access: access.reads(kind),
        kind.denied if kind.readers is not None else "",
    )


def reference_fields(vendor_type: str, attr: str, store: Callable[[World], dict[UUID, Any]]) -> tuple[Field, Field]:
    """`<Type>Uid` and `<Type>Name` of a type whose objects hold the id of a `vendor_type` object
    in `attr` (`BackupServerUid` and `BackupServerName` from `backup_server_id`), the names
    casefolded as every string column is."""

    def names(world: World) -> dict[int, str]:
        return {object_id.int: obj.name.casefold() for object_id, obj in store(world).items()}

    return (
        uid_field(f"{vendor_type}Uid", f"{attr}.int", vendor_type),
        string_field(f"{vendor_type}Name", via(f"{attr}.int", names)),
    )
