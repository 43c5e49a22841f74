"""`collector_paused`: the cyclic garbage collector paused while a big world is built.

A million restore points are a few million new objects; each batch of them made the collector
rescan the growing heap (a third of the time, for objects that hold no cycles and are all still
wanted). Generation and the jobs' refresh build under it; it runs again, as it was, afterwards.
"""

from __future__ import annotations

import gc
from collections.abc import Iterator
from contextlib import contextmanager


@contextmanager
def collector_paused() -> Iterator[None]:
    """Pause the cyclic collector for the block (nested uses leave it as the outermost found it)."""
    collecting = gc.isenabled()
    gc.disable()
    try:
        yield
    finally:
        if collecting:
            gc.enable()
