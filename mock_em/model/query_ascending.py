"""Comparisons over a column whose keys are already in ascending order, found by bisection.

Restore points are stored as they were made, oldest first, so their `CreationTime` column is
usually ascending. Over such a column a comparison such as `CreationTime>=a;CreationTime<b` (or
the creation-second window that `Name==<vm>@<stamp>` narrows by) holds on one contiguous run of
keys, which two bisections find, instead of a million comparisons of timezone-aware datetimes
(about 200 ms). Checking the order costs a C-level pass (~25 ms) and, for a column that is not in
order, stops at the first key out of it.
"""

from __future__ import annotations

from bisect import bisect_left, bisect_right
from collections.abc import Iterable, Sequence
from itertools import islice
from operator import le
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from mock_em.model.query_fields import Field
    from mock_em.model.world import World

ORDERED_OPS = frozenset(("==", "<", "<=", ">", ">="))
"""The operators whose matches over ascending keys form one run (`!=` leaves a hole)."""


def ascending(keys: Sequence[Any]) -> bool:
    """Whether every key is at most the next one (a stable sort would leave them where they are)."""
    return all(map(le, keys, islice(keys, 1, None)))


def run_of(keys: Sequence[Any], tests: Sequence[tuple[str, Any]]) -> tuple[int, int]:
    """`(lo, hi)`: the keys of an ascending `keys` for which every `key <op> value` of `tests`
    holds are exactly `keys[lo:hi]` (lo == hi when none do). Each operator must be in `ORDERED_OPS`."""
    lo, hi = 0, len(keys)
    for op, value in tests:
        if op in (">=", "=="):
            lo = max(lo, bisect_left(keys, value))
        if op == ">":
            lo = max(lo, bisect_right(keys, value))
        if op in ("<=", "=="):
            hi = min(hi, bisect_right(keys, value))
        if op == "<":
            hi = min(hi, bisect_left(keys, value))
    return lo, max(lo, hi)


def run_within(keys: Sequence[Any], tests: Sequence[tuple[str, Any]]) -> tuple[int, int] | None:
    """`run_of` when `keys` are ascending and every operator keeps the matches in one run; None
    otherwise (compare key by key)."""
    if not tests or any(op not in ORDERED_OPS for op, _ in tests) or not ascending(keys):
        return None
    return run_of(keys, tests)


class Ascending(list[Any]):
    """Objects whose keys of `field` are known to be ascending (a filter's run of matches, see
    `query_nodes.Run`), as a list that says so: the start of their order by that field needs no
    read of the whole column (`head`)."""

    __slots__ = ("field",)

    def __init__(self, items: Iterable[Any], field: Field) -> None:
        super().__init__(items)
        self.field = field


def last_runs(keys: Sequence[Any], count: int) -> list[int]:
    """The first `count` indexes of a descending stable sort of ascending keys: runs of equal keys
    from the end, each run in store order, each found by bisection."""
    found: list[int] = []
    hi = len(keys)
    while len(found) < count and hi > 0:
        lo = bisect_left(keys, keys[hi - 1], 0, hi)
        found.extend(range(lo, min(hi, lo + count - len(found))))
        hi = lo
    return found


def in_store_order(
    world: World, store: dict[Any, Any], field: Field | None, descending: bool, start: int, stop: int
) -> list[Any]:
    """Items `start:stop` of a stable sort of `store`'s objects by `field`, whose keys are
    ascending in store order (`Field.store_order`; None: store order itself). Ascending, that is
    the store's own order. Descending, it is the end of the store read backwards, each run of
    equal keys in store order: a tail window is sorted (stably, so ties stay in store order), and
    doubles until the last key taken is above the window's first (so that no equal key before
    the window is missed)."""
    if field is None or not descending:
        return list(islice(store.values(), start, stop))
    width = stop + 1
    while True:
        tail = list(islice(reversed(store.values()), width))
        tail.reverse()
        keys = list(field.column(world, tail))
        order = sorted(range(len(keys)), key=keys.__getitem__, reverse=True)[:stop]
        if len(tail) == len(store) or keys[0] < keys[order[-1]]:
            return [tail[i] for i in order[start:stop]]
        width *= 2


def head(world: World, items: Ascending, count: int, *, descending: bool) -> list[int]:
    """The first `count` indexes of a stable sort of `items` by `items.field` (count < len(items)).

    Ascending, the first `count` themselves. Descending, runs of equal keys from the end, each in
    store order: only the keys of a tail window are read, and the window doubles until the last
    run taken starts inside it (so that no equal key before the window is missed)."""
    if not descending:
        return list(range(count))
    n = len(items)
    width = count + 1
    while True:
        lo = max(0, n - width)
        found = last_runs(list(items.field.column(world, items[lo:])), count)
        if lo == 0 or min(found) > 0:
            return [lo + i for i in found]
        width *= 2
