"""What the readers of a world's history share (`history.sessions`, `history.catalogue`): the job
sessions, task sessions and backup catalogue an import reads become a recorded world's
(`World.recorded`), kept as the source showed them.

Each reader is the inverse of its family's `values` and links; the little they have in common is
here (the server an object is on and an enumeration's member are `Entity`'s): members' values
of the right type, and whether a name carries the fraction of a second (13 writes
`job@2026-01-05 22:00:14.659559`, where 12 and earlier cut names at the second: `model.instants`).
"""

from __future__ import annotations

from datetime import datetime

from mock_em.importer.entity import Entity, Unreadable


def fine_name(entity: Entity) -> bool:
    """Whether its name (`<what>@<time>`) shows the time to the microsecond (13)."""
    return "." in entity.name.rpartition("@")[2]


def whole(entity: Entity, key: str, default: int = 0) -> int:
    """A whole-number member (`TotalSize`, `Progress`), `default` where absent (Unreadable for
    another value: a bool or text is no number)."""
    value = entity.get(key, default)
    if isinstance(value, bool) or not isinstance(value, int | float) or value != int(value):
        raise Unreadable(f"{entity.name!r}: {key} {value!r} is not a whole number")
    return int(value)


def real(entity: Entity, key: str, default: float) -> float:
    """A number member (`CompressRatio`), `default` where absent (Unreadable for another value)."""
    value = entity.get(key, default)
    if isinstance(value, bool) or not isinstance(value, int | float):
        raise Unreadable(f"{entity.name!r}: {key} {value!r} is not a number")
    return float(value)


def text(entity: Entity, key: str) -> str:
    """A text member, "" where absent (Unreadable for another value)."""
    value = entity.get(key, "")
    if not isinstance(value, str):
        raise Unreadable(f"{entity.name!r}: {key} {value!r} is not text")
    return value


def time_of(entity: Entity, key: str) -> datetime:
    """A time member that must be there (Unreadable otherwise)."""
    found = entity.time(key)
    if found is None:
        raise Unreadable(f"{entity.name!r} lacks {key}")
    return found
