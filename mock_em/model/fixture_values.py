"""The values of fixture files: times as the vendor writes them, and typed reads of JSON fields
that say what is wrong (a fixture is hand-edited, so its errors must be readable)."""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any


def format_time(value: datetime, digits: int = 6) -> str:
    """UTC time as the vendor writes it: `2015-12-25T20:00:47Z`, a fraction only when non-zero, cut
    to `digits` (a release writes at most milliseconds or microseconds; .NET cuts, not rounds)."""
    utc = value.astimezone(UTC)
    text = f"{utc.year:04d}{utc:-%m-%dT%H:%M:%S}"  # strftime's %Y drops leading zeros before 1000
    fraction = f"{value.microsecond:06d}"[:digits].rstrip("0")
    if fraction:
        text += "." + fraction
    return text + "Z"


def parse_time(text: str) -> datetime:
    """Read a time written by `format_time` (or any ISO 8601 form with an offset) as aware UTC;
    ValueError for anything else, including times that leave datetime's range once in UTC."""
    value = datetime.fromisoformat(text.replace("Z", "+00:00"))
    if value.tzinfo is None:
        value = value.replace(tzinfo=UTC)
    try:
        return value.astimezone(UTC)
    except OverflowError:
        raise ValueError(f"{text!r} is outside the range of times") from None


def opt_time(value: datetime | None) -> str | None:
    return None if value is None else format_time(value)


def opt_parse(value: str | None) -> datetime | None:
    return None if value is None else parse_time(typed(value, str, "a time"))


def typed(value: Any, kind: type, what: str) -> Any:
    """`value` if it has the JSON type the world needs, else ValueError (bools are not numbers)."""
    if not isinstance(value, kind) or (kind is int and isinstance(value, bool)):
        raise ValueError(f"{value!r} is not {what}")
    return value


def text(data: dict[str, Any], key: str, default: str | None = None) -> str:
    value = data[key] if default is None else data.get(key, default)
    return typed(value, str, f"a string ({key})")


def flag(data: dict[str, Any], key: str, default: bool) -> bool:
    return typed(data.get(key, default), bool, f"true or false ({key})")


def number(data: dict[str, Any], key: str, default: int) -> int:
    return typed(data.get(key, default), int, f"a whole number ({key})")
