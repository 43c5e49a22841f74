"""`collector_paused`: the cyclic garbage collector kept off a big world while it is built.

A million restore points are a few million new objects. Each batch of them made the collector
rescan the growing heap (a third of the time), and once it ran again its first pass walked all
of them anew (most of a second), for objects that hold no cycles and are all still wanted. So
the build runs with the collector paused, and what it made is then frozen (`gc.freeze`): later
passes skip it, and reference counting still frees each object when a later build replaces it.
Freezing keeps garbage cycles alive for good, so the heap is collected first: a world's objects
form none (a test checks that a frozen world's objects are freed as the clock runs it on).
"""

from __future__ import annotations

import gc
from collections.abc import Iterator
from contextlib import contextmanager


@contextmanager
def collector_paused() -> Iterator[None]:
    """Pause the cyclic collector for the block and freeze what it built (nested uses leave it
    to the outermost, and a block run while the collector is off leaves it off, unfrozen)."""
    collecting = gc.isenabled()
    if collecting:
        gc.collect()  # cheap: what earlier builds made is frozen already
    gc.disable()
    try:
        yield
    finally:
        if collecting:
            gc.freeze()
            gc.enable()
