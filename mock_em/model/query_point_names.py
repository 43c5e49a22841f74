"""Shortcuts for the `Name` of a restore point, which the model does not store: it is
`<vm>@<yyyy-MM-dd HH:mm:ss>` of the point's UTC creation time, and formatting a million of them
takes seconds. Every shortcut here is exact: it only decides what the name's structure decides,
and leaves the rest to the real Name column.
"""

from __future__ import annotations

import re
from datetime import UTC, datetime, timedelta
from typing import Any

from mock_em.model.query_columns import plain
from mock_em.model.query_fields import Field, Kind

CREATION_TIME = Field("CreationTime", Kind.DATETIME, plain("creation_time"))
"""The points' `CreationTime` field, which the Name shortcuts narrow by."""

_POINT_STAMP = re.compile(r"[0-9]{4}-[0-9]{2}-[0-9]{2} [0-9]{2}:[0-9]{2}:[0-9]{2}")


def name_window(key: str) -> list[tuple[Field, str, Any]] | None:
    """`Name==<vm>@<stamp>` first keeps the points created within that second (the stamp has no
    `@`, so the last `@` splits the name), and only those have their Name read and compared
    exactly. Other values get no shortcut (and stay exact)."""
    _, at, stamp = key.rpartition("@")
    if not at or not _POINT_STAMP.fullmatch(stamp):
        return None
    try:
        second = datetime.strptime(stamp, "%Y-%m-%d %H:%M:%S").replace(tzinfo=UTC)
    except ValueError:
        return None
    return [(CREATION_TIME, ">=", second), (CREATION_TIME, "<", second + timedelta(seconds=1))]
