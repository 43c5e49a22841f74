"""Sort orders of query answers: the whole order, or only its first `count` items, exactly as the
whole order starts.

Sorting a million restore points takes seconds (a sort by Name formats a million names), while a
first page needs only its first hundred. `first_in_order` reads the sort column once and keeps
what can be among the first `count` keys with a few C-level passes, and sorts only those; a
field's `head` shortcut may skip even the column (see `query_point_names`).

Every order here is the one of a stable sort over store order (`sorted(..., reverse=descending)`,
which keeps equal keys in store order both ways), so the first items of it are unique and the
shortcuts must, and do, return exactly them.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from itertools import compress, islice, repeat
from math import isqrt
from operator import eq, ge, gt, le, lt
from typing import Any

from mock_em.model.query_ascending import Ascending, last_runs
from mock_em.model.query_ascending import head as ascending_head
from mock_em.model.query_columns import positions
from mock_em.model.query_fields import Field
from mock_em.model.world import World

_SAMPLE = 4096
"""Keys sampled to guess the key at which the first `count` end: a sort of a few thousand."""


def full_order(world: World, items: Sequence[Any], field: Field, *, descending: bool) -> list[Any]:
    """All items in field order. Sorting indexes by a precomputed key list reads each key once,
    through the same column functions the filter uses."""
    keys = list(field.column(world, items))
    return [items[i] for i in sorted(range(len(items)), key=keys.__getitem__, reverse=descending)]


def first_in_order(world: World, items: Sequence[Any], field: Field, *, descending: bool, count: int) -> list[Any]:
    """The first `count` items of `full_order` (all of it when there are fewer)."""
    if count >= len(items):
        return full_order(world, items, field, descending=descending)
    if type(items) is Ascending and items.field is field:
        return [items[i] for i in ascending_head(world, items, count, descending=descending)]
    if field.head is not None:
        found = field.head(world, items, descending, count)
        if found is not None:
            return [items[i] for i in found]
    keys = list(field.column(world, items))
    return [items[i] for i in first_indexes(keys, count, descending=descending)]


def first_indexes(keys: Sequence[Any], count: int, *, descending: bool) -> list[int]:
    """The first `count` of `sorted(range(len(keys)), key=keys.__getitem__, reverse=descending)`.

    Picks a threshold key `t` from a sorted sample such that at least `count` keys sort at or
    before it; the keys strictly before `t` are then sorted (few), and the ties at `t` follow in
    store order, which is where a stable sort puts them. Every key after `t` sorts after all of
    those, so nothing beyond them can be among the first `count`."""
    n = len(keys)
    if count * 4 > n:
        return sorted(range(n), key=keys.__getitem__, reverse=descending)[:count]
    if all(map(le, keys, islice(keys, 1, None))):  # already in order (restore points by CreationTime)
        return _head_of_ascending(keys, count, descending=descending)
    at_or_before, before = (ge, gt) if descending else (le, lt)
    step = max(1, n // _SAMPLE)
    sample = sorted(keys[::step], reverse=descending)
    expected = count // step  # the sample's rank of the count-th key, give or take its square root
    j = min(len(sample) - 1, expected + 4 + 4 * isqrt(expected))  # a second pass costs more than a few more keys
    while True:
        t = sample[j]
        mask = list(map(at_or_before, keys, repeat(t)))
        hits = mask.count(True)
        if hits >= count:
            break
        if j == len(sample) - 1:  # the sample misled us (keys far from uniform): sort it all
            return sorted(range(n), key=keys.__getitem__, reverse=descending)[:count]
        j = min(len(sample) - 1, 2 * j + 1)
    if hits * 8 > n:  # many ties at t (few distinct keys: a server, a state)
        return _with_ties(keys, t, count, before, descending=descending)
    near = positions(mask)
    near_keys = list(map(keys.__getitem__, near))
    head = sorted(compress(near, map(before, near_keys, repeat(t))), key=keys.__getitem__, reverse=descending)
    if len(head) >= count:
        return head[:count]
    return head + list(islice(compress(near, map(eq, near_keys, repeat(t))), count - len(head)))


def _with_ties(
    keys: Sequence[Any], t: Any, count: int, before: Callable[[Any, Any], bool], *, descending: bool
) -> list[int]:
    """`first_indexes` when at least `count` keys sort at or before `t` and most of them tie with
    it: the keys strictly before `t` sorted, then the first ties in store order, each found by
    `index` (a C scan) rather than listing the positions of a quarter of a million ties."""
    head = sorted(positions(list(map(before, keys, repeat(t)))), key=keys.__getitem__, reverse=descending)
    if len(head) >= count:
        return head[:count]
    index = keys.index
    i = -1
    for _ in range(count - len(head)):
        i = index(t, i + 1)
        head.append(i)
    return head


def _head_of_ascending(keys: Sequence[Any], count: int, *, descending: bool) -> list[int]:
    """The first `count` indexes of a stable sort of keys that are already in ascending order:
    the first `count` themselves, or, descending, runs of equal keys from the end, each run in
    store order (found by bisection, so a run of a million equal keys costs nothing)."""
    if not descending:
        return list(range(count))
    return last_runs(keys, count)
