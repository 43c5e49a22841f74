"""A kind's fixture section declared as a table of fields instead of a pair of hand-written
functions: each `JsonField` names its JSON key, the attribute it fills and how its value is written
and read, so the JSON out and the object in can never disagree on a key, and a family's module
states its fixture shape in one place.

    fixture=records("CloudGateways", CloudGateway,
        JsonField("Id", "id", GUID),
        JsonField("Name", "name"),
        JsonField("Enabled", "enabled", FLAG, True),
    )

Keys are written in the order of the fields. A field without a default is required (its absence
is a KeyError the fixture reader names); a default is a JSON value, read like any other (so a
missing `Schedule` is `{}` and makes a fresh schedule of defaults). Every read checks the JSON
type and says which field was wrong.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from enum import Enum
from typing import Any
from uuid import UUID

from mock_em.model.fixture_values import format_time, parse_time, typed
from mock_em.model.kinds import FixtureSection

REQUIRED: Any = object()


@dataclass(frozen=True, slots=True)
class Codec:
    """How one JSON value is written from the model (`dump`) and read back (`load`, given the
    field's key for its message)."""

    dump: Callable[[Any], Any]
    load: Callable[[Any, str], Any]

    @property
    def optional(self) -> Codec:
        """The same, where null stands for None."""
        return Codec(lambda v: None if v is None else self.dump(v), lambda v, k: None if v is None else self.load(v, k))


def _same(value: Any) -> Any:
    return value


def _checked(kind: type, what: str) -> Callable[[Any, str], Any]:
    return lambda value, key: typed(value, kind, f"{what} ({key})")


def _real(value: Any, key: str) -> float:
    """A JSON number, whole or not (bools are not numbers)."""
    if isinstance(value, bool) or not isinstance(value, int | float):
        raise ValueError(f"{value!r} is not a number ({key})")
    return float(value)


TEXT = Codec(_same, _checked(str, "a string"))
NUMBER = Codec(_same, _checked(int, "a whole number"))
REAL = Codec(_same, _real)
FLAG = Codec(_same, _checked(bool, "true or false"))
GUID = Codec(str, lambda value, key: UUID(typed(value, str, f"a GUID ({key})")))
TIME: Codec = Codec(format_time, lambda value, key: parse_time(typed(value, str, f"a time ({key})")))


def enum(kind: type[Enum]) -> Codec:
    """An enumeration by its vendor value (`'Xen' is not a valid Platform` when unknown)."""
    return Codec(lambda v: v.value, lambda value, key: kind(value))


def one_of(*allowed: str) -> Codec:
    """A string from a closed set the model keeps as text (`NetworkMode`: `Direct` or `NAT`)."""
    names = " or ".join(allowed)

    def load(value: Any, key: str) -> str:
        if typed(value, str, f"a string ({key})") not in allowed:
            raise ValueError(f"{key} {value!r} is not {names}")
        return value

    return Codec(_same, load)


@dataclass(frozen=True, slots=True)
class JsonField:
    """One JSON key of a fixture object and the model attribute it holds."""

    key: str
    attr: str
    codec: Codec = TEXT
    default: Any = REQUIRED


@dataclass(frozen=True, slots=True)
class Record:
    """An object of `model` as a JSON object of `fields`; `check` refuses a loaded object the
    world cannot take (ValueError), beyond what the fields' types say."""

    model: type
    fields: tuple[JsonField, ...]
    check: Callable[[Any], None] | None = None

    def dump(self, obj: Any) -> dict[str, Any]:
        """The object as JSON, keys in the fields' order."""
        return {f.key: f.codec.dump(getattr(obj, f.attr)) for f in self.fields}

    def load(self, data: dict[str, Any]) -> Any:
        """The object from JSON; KeyError for a required key that is missing."""
        values = {}
        for f in self.fields:
            raw = data[f.key] if f.default is REQUIRED else data.get(f.key, f.default)
            values[f.attr] = f.codec.load(raw, f.key)
        obj = self.model(**values)
        if self.check is not None:
            self.check(obj)
        return obj

    @property
    def codec(self) -> Codec:
        """This record as one value of an enclosing record (`Schedule`)."""
        return Codec(self.dump, lambda value, key: self.load(typed(value, dict, f"an object ({key})")))

    @property
    def many(self) -> Codec:
        """A JSON list of these records (a plan's `Storages`, a job's `Vms`)."""
        return Codec(
            lambda objs: [self.dump(o) for o in objs],
            lambda value, key: [self.load(typed(v, dict, f"an object ({key})")) for v in typed(value, list, key)],
        )


Check = Callable[[Any], None]


def records(section: str, model: type, *fields: JsonField, check: Check | None = None) -> FixtureSection:
    """A kind's fixture section from its fields."""
    record = Record(model, fields, check)
    return FixtureSection(section, record.dump, record.load)
