"""Shortcuts for the `Name` of a restore point, which the model does not store: it is
`<vm>@<yyyy-MM-dd HH:mm:ss>` of the point's UTC creation time, and formatting a million of them
takes seconds. Every shortcut here is exact: it only decides what the name's structure decides,
and leaves the rest to the real Name column.
"""

from __future__ import annotations

import heapq
import re
from collections.abc import Callable, Iterable, Sequence
from datetime import UTC, datetime, timedelta
from itertools import compress, repeat
from typing import Any

from mock_em.model.query_columns import plain, positions, reader
from mock_em.model.query_fields import Field, Kind
from mock_em.model.query_nodes import COMPARE
from mock_em.model.world import World

CREATION_TIME = Field("CreationTime", Kind.DATETIME, plain("creation_time"))
"""The points' `CreationTime` field, which the Name shortcuts narrow by."""

_NAMES = reader("name")


def name_column(world: World, points: Sequence[Any]) -> Iterable[str]:
    """The exact Name column: each point's name formatted and casefolded (each is unique, so
    unlike `query_columns.text` there is nothing to fold once for many)."""
    return map(str.casefold, _NAMES(points))


_VM_NAMES = reader("vm_name")
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


def name_head(world: World, points: Sequence[Any], descending: bool, count: int) -> list[int] | None:
    """The indexes of the first `count` points in Name order, reading VM names rather than names.

    A casefolded name is `<prefix><stamp>` where the prefix is the casefolded VM name and `@`.
    When no VM name holds an `@`, no prefix is the start of another, so points with different
    prefixes compare as their prefixes do, whatever their stamps. The points of the VMs with the
    smallest prefixes (largest, descending), enough of them to hold `count` points, are then the
    only ones that can come first: only their names are formatted and sorted. None (use the
    column) when some VM name holds an `@`.
    """
    n = len(points)
    vms = _VM_NAMES(points)
    distinct = list(set(vms))
    folded = list(map(str.casefold, distinct))
    if "@" in "".join(folded):
        return None
    prefixes = list(map(str.__add__, folded, repeat("@")))
    unique = set(prefixes)
    first = heapq.nlargest if descending else heapq.nsmallest  # the few first of 100,000 VMs, not all sorted
    take = 8 + -(-count * len(unique) * 5 // (4 * n))  # a quarter more VMs than `count` needs on average
    while True:
        chosen = set(first(take, unique))
        wanted = set(compress(distinct, map(chosen.__contains__, prefixes)))
        found = positions(list(map(wanted.__contains__, vms)))
        if len(found) >= count or take >= len(unique):
            break
        take *= 4
    keys = list(name_column(world, [points[i] for i in found]))
    order = sorted(range(len(found)), key=keys.__getitem__, reverse=descending)
    return [found[i] for i in order[:count]]


_OPEN = 2
"""A mark that is neither True nor False (equal to neither): the point's name decides."""


def name_compare(world: World, points: Sequence[Any], op: str, key: str) -> list[bool]:
    """`Name <op> key` for each point (see `name_tests`)."""
    return name_tests(world, points, [(op, key)])


def name_tests(world: World, points: Sequence[Any], tests: Sequence[tuple[str, str]]) -> list[bool]:
    """For each point, whether `Name <op> key` holds for every `(op, key)` of `tests` (a range such
    as `Name>=srv0001;Name<srv0002` reads the VM names once, not once per bound).

    Only the names whose prefix (casefolded VM name and `@`) some key starts with are formatted.
    For any other point the prefix alone decides each test: the name and the key differ within the
    prefix (or the key ends inside it), exactly as the prefix and the key do."""
    checks = [(COMPARE[op], key) for op, key in tests]
    vms = _VM_NAMES(points)
    distinct = list(set(vms))
    prefixes = list(map(str.__add__, map(str.casefold, distinct), repeat("@")))
    # one C-level pass over the prefixes per comparison (a million points may have 100,000 VMs)
    verdicts = _each(all, [list(map(compare, prefixes, repeat(key))) for compare, key in checks])
    opened = _each(any, [list(map(key.startswith, prefixes)) for _, key in checks])
    if not any(opened) and (not any(verdicts) or all(verdicts)):
        return [bool(verdicts and verdicts[0])] * len(points)
    # One pass over the points: each gets its VM's verdict, or _OPEN where only its name can tell
    # (an int, which `list.index` compares with the bools in C, where None would take the slow way).
    table = {vm: _OPEN if is_open else verdict for vm, verdict, is_open in zip(distinct, verdicts, opened, strict=True)}
    marks: list[Any] = list(map(table.__getitem__, vms))
    if any(opened):
        exact = []
        index = marks.index
        i = -1
        for _ in range(marks.count(_OPEN)):
            i = index(_OPEN, i + 1)
            exact.append(i)
        names = list(name_column(world, [points[i] for i in exact]))
        for i, name in zip(exact, names, strict=True):
            marks[i] = all(compare(name, key) for compare, key in checks)
    return marks  # every _OPEN is a bool by now


def _each(combine: Callable[[Iterable[bool]], bool], columns: list[list[bool]]) -> list[bool]:
    """Per position, `combine` (all / any) of the columns' verdicts there."""
    if len(columns) == 1:
        return columns[0]
    return list(map(combine, zip(*columns, strict=True)))


name_compare.tests = name_tests  # type: ignore[attr-defined]  # see query_fields.Tests
