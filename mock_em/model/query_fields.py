"""The vocabulary of the query service: the query types, their fields and kinds, how a filter's
value text becomes a key, and the error every bad query raises.

Kept apart from the filter grammar (`query_filter`), the compiled filters (`query_nodes`) and the
engine (`query`) because each type's declaration (in its family's module) needs only this module and the
column helpers (`query_columns`), not the machinery that runs them.
"""

from __future__ import annotations

import enum
import math
import re
from collections.abc import Callable, Iterable, Mapping, Sequence
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta, timezone
from typing import Any, Protocol

from mock_em.model.access import Access
from mock_em.model.world import World

_INT64 = (-(2**63), 2**63 - 1)


class QueryError(ValueError):
    """A query the service cannot run; `str(exc)` is the message the client sees (HTTP 400)."""


class Kind(enum.Enum):
    """How a field's values are read from a filter and compared."""

    STRING = "String"  # case-insensitive, also for < and >
    UID = "UidType"  # `urn:veeam:<Type>:<guid>`, case-insensitive
    DATETIME = "DateTime"  # UTC instants; a date alone is midnight UTC
    INT = "Int64"
    DOUBLE = "Double"  # a finite number, whole or not (a backup file's `CompressRatio`)
    BOOL = "Boolean"  # true / false in any case
    ENUM = "Enum"  # compared by the value's index in the vendor's enum


Column = Callable[[World, Sequence[Any]], Iterable[Any]]
"""Reads one field of many objects at once: (world, objects) -> their keys, in order.

Keys are normalised so that Python's own comparison is the vendor's: casefolded strings, UTC
datetimes, enum indexes, and UUIDs as their 128-bit ints (a type's UIDs share one prefix, so the
int order is the UID string order)."""


Narrow = Callable[[Any], "list[tuple[Field, str, Any]] | None"]
"""Cheap necessary conditions for `field == key` (a conjunction of comparisons on other fields),
or None when there are none; used where the field itself is expensive to read."""

Head = Callable[[World, Sequence[Any], bool, int], "list[int] | None"]
"""(world, objects, descending, count) -> the indexes of the first `count` objects in the field's
order (descending when asked; ties in store order), or None when the shortcut does not apply.
For fields whose structure finds the start of the order without reading the whole column."""

Compare = Callable[[World, Sequence[Any], str, Any], "list[bool] | None"]
"""(world, objects, operator, key) -> for each object whether `field <operator> key` holds, or
None when the shortcut does not apply. For fields that are expensive to read but whose structure
decides most comparisons."""

Tests = Callable[[World, Sequence[Any], Sequence[tuple[str, Any]]], "list[bool] | None"]
"""(world, objects, [(operator, key), …]) -> for each object whether every comparison holds: a
`Compare` shortcut's form for a range of one field (`Name>=a;Name<b`), which reads the field's
inputs once rather than once per bound. A `Compare` function offers it as its `tests` attribute."""


@dataclass(frozen=True, eq=False)
class Field:
    """One filterable (and sortable) field of a query type."""

    name: str  # the vendor's spelling, e.g. `CreationTime`
    kind: Kind
    column: Column
    values: tuple[str, ...] = ()  # ENUM: the vendor's values, in enum order
    uid_prefix: str = ""  # UID: e.g. `urn:veeam:CloudReplica:`
    lookup: Callable[[World, int], Any] | None = None  # UID of the object itself: (world, uid int) -> it
    narrow: Narrow | None = None
    head: Head | None = None
    compare: Compare | None = None
    # The model keeps the type's store in ascending order of this field (the catalogue and the
    # sessions are sorted by time as they are made): a sort by it with no filter is the store's
    # order, or its end read backwards, and needs no read of the column (`in_store_order`).
    store_order: bool = False

    @property
    def tests(self) -> Tests | None:
        """The `compare` shortcut for several comparisons at once, when it has one."""
        return getattr(self.compare, "tests", None)

    def literal(self, text: str) -> Any:
        """The key a filter value stands for; ValueError (with a client-facing message) if none."""
        if self.kind is Kind.STRING:
            return text.casefold()
        if self.kind is Kind.UID:
            return text.strip().casefold()
        return _LITERALS[self.kind](self, text.strip())


class FieldSet(Protocol):
    """What the parser needs of a query type: its vendor name and its fields by casefolded name."""

    @property
    def name(self) -> str: ...

    @property
    def fields(self) -> Mapping[str, Field]: ...


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


# -- reading values -------------------------------------------------------------------------

_DATETIME = re.compile(
    r"(?P<y>[0-9]{4})-(?P<mo>[0-9]{2})-(?P<d>[0-9]{2})"
    r"(?:[T ]?(?P<h>[0-9]{2}):(?P<mi>[0-9]{2})(?::(?P<s>[0-9]{2})(?:\.(?P<f>[0-9]{1,7}))?)?)?"
    r" ?(?P<tz>Z|[+-][0-9]{2}:?[0-9]{2})?",
    re.IGNORECASE,
)
_INTEGER = re.compile(r"[+-]?[0-9]{1,19}")


def _datetime(field: Field, text: str) -> datetime:
    """A UTC instant. The separator between date and time is optional because an unquoted
    `2019-06-30 12:00:00` reaches us as `2019-06-3012:00:00` (the vendor ignores its spaces).
    The vendor asks for UTC; an explicit offset (`+02:00`) is unambiguous, so it is converted."""
    match = _DATETIME.fullmatch(text)
    try:
        if match is None:
            raise ValueError
        tz = UTC
        if match["tz"] and match["tz"].upper() != "Z":
            sign = -1 if match["tz"][0] == "-" else 1
            digits = match["tz"][1:].replace(":", "")
            tz = timezone(sign * timedelta(hours=int(digits[:2]), minutes=int(digits[2:])))
        value = datetime(
            int(match["y"]),
            int(match["mo"]),
            int(match["d"]),
            int(match["h"] or 0),
            int(match["mi"] or 0),
            int(match["s"] or 0),
            int((match["f"] or "0")[:6].ljust(6, "0")),
            tzinfo=tz,
        )
        return value.astimezone(UTC)
    except OverflowError:
        raise ValueError(f"{field.name} '{excerpt(text)}' is out of the range of dates") from None
    except ValueError:
        raise ValueError(
            f'{field.name} needs a UTC date and time such as 2019-06-30, "2019-06-30 12:00:00" or '
            f"2019-06-30T12:00:00Z, found '{excerpt(text)}'"
        ) from None


def _int(field: Field, text: str) -> int:
    if _INTEGER.fullmatch(text) and _INT64[0] <= int(text) <= _INT64[1]:
        return int(text)
    raise ValueError(f"{field.name} needs a whole number, found '{excerpt(text)}'")


_NUMBER = re.compile(r"[+-]?(?:[0-9]{1,19}(?:\.[0-9]{0,17})?|\.[0-9]{1,17})(?:[eE][+-]?[0-9]{1,3})?")


def _double(field: Field, text: str) -> float:
    if _NUMBER.fullmatch(text) and math.isfinite(float(text)):
        return float(text)
    raise ValueError(f"{field.name} needs a number such as 1.5, found '{excerpt(text)}'")


def _bool(field: Field, text: str) -> bool:
    folded = text.casefold()
    if folded in ("true", "false"):
        return folded == "true"
    raise ValueError(f"{field.name} needs true or false, found '{excerpt(text)}'")


def _enum(field: Field, text: str) -> int:
    folded = text.casefold()
    for index, value in enumerate(field.values):
        if value.casefold() == folded:
            return index
    raise ValueError(f"{field.name} needs one of {', '.join(field.values)}, found '{excerpt(text)}'")


_LITERALS: dict[Kind, Callable[[Field, str], Any]] = {
    Kind.DATETIME: _datetime,
    Kind.INT: _int,
    Kind.DOUBLE: _double,
    Kind.BOOL: _bool,
    Kind.ENUM: _enum,
}


# -- messages ---------------------------------------------------------------------------------


def excerpt(text: str, limit: int = 40) -> str:
    """Text fit to quote in a message: shortened, control and other unprintable characters
    escaped (error messages end up in XML attributes, where most control characters are illegal)."""
    short = text if len(text) <= limit else text[:limit] + "..."
    return "".join(ch if ch.isprintable() else ch.encode("unicode_escape").decode("ascii") for ch in short)
