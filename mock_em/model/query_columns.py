"""Column helpers: how a query type's fields are read from many objects at once, and the short
builders its declaration is written with (each family declares its own: `Kind.query`).

A column maps C-level functions (`operator.attrgetter`, `str.casefold`, a dict's `__getitem__`)
over the objects instead of calling Python once per object, because a query may read one field of
a million restore points; keys come out normalised so that Python's comparison is the vendor's.
"""

from __future__ import annotations

import enum
from collections.abc import Callable, Iterable, Sequence
from itertools import repeat
from operator import attrgetter
from typing import Any
from uuid import UUID

from mock_em.model.access import Access, visible
from mock_em.model.kinds import Kind as ModelKind
from mock_em.model.query_fields import Column, Field, Kind, QueryType
from mock_em.model.world import World

__all__ = [
    "constant",
    "enum_field",
    "field_table",
    "own_uid_field",
    "plain",
    "ranked",
    "string_field",
    "text",
    "uid_field",
    "via",
]


def text(attr: str) -> Column:
    """A string attribute, casefolded (filters and sorting ignore case).

    Stored names repeat (a VM's name is on each of its points), so each distinct value is folded
    once, and when folding changes none of them the values are their own keys: a third less time
    over a million points than folding every value."""
    get = attrgetter(attr)

    def column(world: World, items: Sequence[Any]) -> Iterable[Any]:
        values = list(map(get, items))
        distinct = list(set(values))
        folded = list(map(str.casefold, distinct))
        if folded == distinct:
            return values
        return map(dict(zip(distinct, folded, strict=True)).__getitem__, values)

    return column


def plain(attr: str) -> Column:
    """An attribute that compares as it is (datetime, int, bool, a UUID's `.int`)."""
    get = attrgetter(attr)
    return lambda world, items: map(get, items)


def ranked(attr: str, enum_type: type[enum.Enum]) -> Column:
    """An enum attribute as its index in the vendor's enum order. Reads the member's `_value_`
    (a plain attribute, hashed in C) rather than hashing the member (a Python-level __hash__)."""
    get = attrgetter(f"{attr}._value_")
    rank = {member._value_: i for i, member in enumerate(enum_type)}.__getitem__
    return lambda world, items: map(rank, map(get, items))


def via(key_attr: str, table: Callable[[World], dict[int, Any]]) -> Column:
    """A value of a related object (a point's replica name, a tenant's server name): the table
    (id int -> key) is built once per query, from the few related objects, not once per item."""
    get = attrgetter(key_attr)
    return lambda world, items: map(table(world).__getitem__, map(get, items))


def constant(value: Any) -> Column:
    """The same key for every object (a field the model does not vary)."""
    return lambda world, items: repeat(value, len(items))


def uid_field(name: str, attr: str, vendor_type: str) -> Field:
    """A UID of a related object, read from `attr` (an int: the UUID's `.int`)."""
    return Field(name, Kind.UID, plain(attr), uid_prefix=f"urn:veeam:{vendor_type}:")


def own_uid_field(vendor_type: str, store: Callable[[World], dict[UUID, Any]]) -> Field:
    """The `UID` field of a type whose objects the world keys by id: `UID==…` is a dict lookup."""
    return Field(
        "UID",
        Kind.UID,
        plain("id.int"),
        uid_prefix=f"urn:veeam:{vendor_type}:",
        lookup=lambda world, uid: store(world).get(UUID(int=uid)),
    )


def string_field(name: str, column: Column) -> Field:
    """A text field: compared and sorted case-insensitively."""
    return Field(name, Kind.STRING, column)


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
