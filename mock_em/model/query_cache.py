"""What recent queries found, kept for one world at one version (see `QueryCache`)."""

from __future__ import annotations

import threading
from collections import OrderedDict
from collections.abc import Hashable, Sequence
from typing import Any

from mock_em.model.world import Stamp, World


class QueryCache:
    """What recent queries found, for one world at one version: the objects a scope sees, the
    matches of a filter, a sort order. Paging through a query over a million points then sorts
    them once, not once per page; any change to the world (`World.version`) forgets it all.

    Bounded by the number of object references kept (a million-point order is one such list).
    """

    def __init__(self, max_items: int = 8_000_000) -> None:
        self.max_items = max_items
        self._lock = threading.Lock()
        self._stamp = Stamp()
        self._entries: OrderedDict[Hashable, Sequence[Any]] = OrderedDict()
        self._items = 0

    def get(self, world: World, key: Hashable) -> Sequence[Any] | None:
        """A kept result for `key`, if it was computed from this world at its current version."""
        with self._lock:
            if not self._stamp.holds(world):
                self._entries.clear()
                self._items = 0
                self._stamp = Stamp(world)
                return None
            found = self._entries.get(key)
            if found is not None:
                self._entries.move_to_end(key)
            return found

    def put(self, world: World, key: Hashable, value: Sequence[Any]) -> Sequence[Any]:
        """Keep `value` (computed from `world` as it is now) and return it."""
        if len(value) > self.max_items:
            return value
        with self._lock:
            if not self._stamp.holds(world):
                self._entries.clear()
                self._items = 0
                self._stamp = Stamp(world)
            old = self._entries.pop(key, None)
            self._items += len(value) - (len(old) if old is not None else 0)
            self._entries[key] = value
            while self._items > self.max_items and self._entries:
                _, dropped = self._entries.popitem(last=False)
                self._items -= len(dropped)
        return value

    def clear(self) -> None:
        """Forget everything kept."""
        with self._lock:
            self._entries.clear()
            self._items = 0
            self._stamp = Stamp()
