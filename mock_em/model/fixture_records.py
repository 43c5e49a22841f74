"""A kind's fixture section declared by its JSON keys instead of a pair of hand-written functions.

The model's dataclass already says each attribute's type and default, so a section names only
its keys, in the order they are written (`"Id Name BackupServerId ExternalIP"`): each key holds
the attribute of the same name in snake case (`ExternalIP` is `external_ip`), or the one it
names (`CreationTimeUTC=creation_time`). How a value is written and read follows from the
attribute's type (GUIDs, times, enumerations, nested dataclasses and lists of them), so the JSON
out and the object in cannot disagree on a key. A key left out of a file takes the dataclass's
default, or the section's own `defaults` (JSON values) where the file may omit what the model
requires; without either it is required, and its absence is a KeyError the fixture reader names.
Every read checks the JSON type and says which field was wrong: a fixture is edited by hand.
"""

from __future__ import annotations

import dataclasses
import re
import types
import typing
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from datetime import datetime
from enum import Enum
from functools import cache
from typing import Any
from uuid import UUID

from mock_em.model.fixture_values import format_time, parse_time, typed

Check = Callable[[Any], None]


@dataclass(frozen=True, slots=True)
class Codec:
    """How one JSON value is written from the model (`dump`) and read back (`load`, given the
    field's key for its message)."""

    dump: Callable[[Any], Any]
    load: Callable[[Any, str], Any]

    @property
    def optional(self) -> Codec:
        """The same, where null stands for None."""
        dump, load = self.dump, self.load
        return Codec(lambda v: None if v is None else dump(v), lambda v, k: None if v is None else load(v, k))


def _same(value: Any) -> Any:
    return value


def _checked(kind: type, what: str) -> Codec:
    return Codec(_same, lambda value, key: typed(value, kind, f"{what} ({key})"))


def _real(value: Any, key: str) -> float:
    """A JSON number, whole or not (bools are not numbers)."""
    if isinstance(value, bool) or not isinstance(value, int | float):
        raise ValueError(f"{value!r} is not a number ({key})")
    return float(value)


SIMPLE: dict[type, Codec] = {
    str: _checked(str, "a string"),
    int: _checked(int, "a whole number"),
    bool: _checked(bool, "true or false"),
    float: Codec(_same, _real),
    UUID: Codec(str, lambda value, key: UUID(typed(value, str, f"a GUID ({key})"))),
    datetime: Codec(format_time, lambda value, key: parse_time(typed(value, str, f"a time ({key})"))),
}


def one_of(*allowed: str) -> Codec:
    """A string from a closed set the model keeps as text (`NetworkMode`: `Direct` or `NAT`)."""
    names = " or ".join(allowed)

    def load(value: Any, key: str) -> str:
        if typed(value, str, f"a string ({key})") not in allowed:
            raise ValueError(f"{key} {value!r} is not {names}")
        return value

    return Codec(_same, load)


def codec_for(hint: Any) -> Codec:
    """The codec of an attribute's type: simple values, enumerations by their vendor value (an
    unknown one says `'Xen' is not a valid Platform`), `X | None`, dataclasses and lists of them
    or of simple values."""
    if hint in SIMPLE:
        return SIMPLE[hint]
    args = typing.get_args(hint)
    if isinstance(hint, types.UnionType) and type(None) in args:
        (inner,) = (a for a in args if a is not type(None))
        return codec_for(inner).optional
    if typing.get_origin(hint) is list and args[0] in SIMPLE:
        return _values(SIMPLE[args[0]])
    if typing.get_origin(hint) is list:
        return listed(record_of(args[0]))
    if isinstance(hint, type) and issubclass(hint, Enum):
        return Codec(lambda v: v.value, lambda value, key: hint(value))
    if dataclasses.is_dataclass(hint):
        record = record_of(hint)
        return Codec(record.dump, lambda value, key: record.load(typed(value, dict, f"an object ({key})")))
    raise TypeError(f"no fixture codec for {hint!r}")


def snake(key: str) -> str:
    """`BackupServerId` -> `backup_server_id`, `ExternalIP` -> `external_ip`."""
    return re.sub(r"(?<=[a-z0-9])(?=[A-Z])|(?<=[A-Z])(?=[A-Z][a-z])", "_", key).lower()


@dataclass(frozen=True, slots=True)
class Key:
    """One JSON key of a record, the attribute it holds, how it is read, and its default (a JSON
    value), if the file may leave it out where the model has none."""

    name: str
    attr: str
    codec: Codec
    default: Any
    required: bool


class Record:
    """Objects of one dataclass as JSON objects with the given keys."""

    def __init__(
        self,
        model: type,
        keys: str,
        defaults: Mapping[str, Any] | None = None,
        codecs: Mapping[str, Codec] | None = None,
        check: Check | None = None,
    ) -> None:
        hints = typing.get_type_hints(model)
        fields = {f.name: f for f in dataclasses.fields(model)}
        defaults, codecs = defaults or {}, codecs or {}
        self.model, self.check, self.keys = model, check, []
        for token in keys.split():
            name, _, attr = token.partition("=")
            attr = attr or snake(name)
            field = fields[attr]
            has_default = field.default is not dataclasses.MISSING or field.default_factory is not dataclasses.MISSING
            codec = codecs.get(name) or codec_for(hints[attr])
            required = name not in defaults and not has_default
            self.keys.append(Key(name, attr, codec, defaults.get(name), required))

    def dump(self, obj: Any) -> dict[str, Any]:
        """The object as JSON, keys in the declared order."""
        return {k.name: k.codec.dump(getattr(obj, k.attr)) for k in self.keys}

    def load(self, data: dict[str, Any]) -> Any:
        """The object from JSON; KeyError for a required key that is missing."""
        values = {}
        for k in self.keys:
            if k.name in data or k.required:
                values[k.attr] = k.codec.load(data[k.name], k.name)
            elif k.default is not None:
                values[k.attr] = k.codec.load(k.default, k.name)
        obj = self.model(**values)
        if self.check is not None:
            self.check(obj)
        return obj


def listed(record: Record) -> Codec:
    """A JSON list of records (a plan's `Storages`, a job's `Vms`)."""
    return Codec(
        lambda objs: [record.dump(o) for o in objs],
        lambda value, key: [record.load(typed(v, dict, f"an object ({key})")) for v in typed(value, list, key)],
    )


def _values(codec: Codec) -> Codec:
    """A JSON list of simple values (a job's `DeletedPoints`, GUIDs)."""
    return Codec(
        lambda values: [codec.dump(v) for v in values],
        lambda value, key: [codec.load(v, key) for v in typed(value, list, key)],
    )


def many(model: type, keys: str) -> Codec:
    """A list of a nested dataclass under keys of its own (`FailoverPlanVMId=id ReplicaId`), where
    the vendor names them otherwise than the dataclass."""
    return listed(Record(model, keys))


@cache
def record_of(model: type) -> Record:
    """A nested dataclass (a plan's storage, a job's schedule) with every attribute, in the
    dataclass's order, under its name in Pascal case."""
    keys = " ".join("".join(p.capitalize() for p in f.name.split("_")) for f in dataclasses.fields(model))
    return Record(model, keys)


@dataclass(frozen=True, slots=True)
class FixtureSection:
    """A kind's section of a fixture file (`CloudReplicas`): each object as JSON and back. `load`
    raises KeyError, TypeError or ValueError for data it cannot take; the fixture reader says where.

    A recorded world (`World.recorded`: its history as its source recorded it, not drawn from
    schedules) writes more: `dump_recorded` adds the keys a generated world derives (a job's
    `NextRun`), and a `recorded` section (the sessions, the catalogue) is written for such a world
    alone, so a generated world's fixture stays as it always was."""

    name: str
    dump: Callable[[Any], dict[str, Any]]
    load: Callable[[dict[str, Any]], Any]
    dump_recorded: Callable[[Any], dict[str, Any]]
    recorded: bool = False


@dataclass(frozen=True, slots=True)
class Records:
    """A kind's fixture keys, before the kind names its model and section (`records`)."""

    keys: str
    defaults: Mapping[str, Any] | None = None
    codecs: Mapping[str, Codec] | None = None
    check: Check | None = None
    recorded: bool = False
    recorded_keys: str = ""

    def section(self, name: str, model: type) -> FixtureSection:
        """The section `name` of objects of `model`: a file may hold the recorded keys or not."""
        record = Record(model, self.keys, self.defaults, self.codecs, self.check)
        if not self.recorded_keys:
            return FixtureSection(name, record.dump, record.load, record.dump, self.recorded)
        full = Record(model, f"{self.keys} {self.recorded_keys}", self.defaults, self.codecs, self.check)
        return FixtureSection(name, record.dump, full.load, full.dump, self.recorded)


def records(
    keys: str,
    *,
    defaults: Mapping[str, Any] | None = None,
    codecs: Mapping[str, Codec] | None = None,
    check: Check | None = None,
    recorded: bool = False,
    recorded_keys: str = "",
) -> Records:
    """A kind's fixture keys (`"Id Name BackupServerId"`); `check` refuses a loaded object the
    world cannot take (ValueError), beyond what the types say. A kind a generated world derives
    is `recorded` (its section is written for a recorded world only); `recorded_keys` are keys
    written for a recorded world only, after the others (a job's `NextRun`)."""
    return Records(keys, defaults, codecs, check, recorded, recorded_keys)
