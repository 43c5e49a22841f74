"""The world's objects are frozen out of the cyclic collector once built (`collector_paused`):
that is only safe while they form no garbage cycles, so each object a refresh replaces must be
freed by reference counting alone, and the frozen heap must stay the same size however long the
clock runs the world on."""

from __future__ import annotations

import gc
from datetime import UTC, datetime, timedelta

from mock_em.generator import WorldSize, generate_world
from mock_em.model.collector import collector_paused
from mock_em.model.job_sessions import refresh_jobs

AT = datetime(2026, 1, 5, 21, 0, tzinfo=UTC)  # by night: runs start, go on and end as the clock runs


def test_the_frozen_heap_stays_flat_as_the_clock_runs() -> None:
    world = generate_world(3, WorldSize(backup_servers=2, tenants=2, jobs_per_server=6), AT)
    refresh_jobs(world, AT, taken_over=True)
    sizes = []
    for step in range(1, 41):
        refresh_jobs(world, AT + timedelta(minutes=20 * step))  # a new catalogue and sessions each time
        sizes.append(gc.get_freeze_count())
    objects = sum(len(world.all(kind)) for kind in ("VmRestorePoint", "BackupTaskSession", "BackupJobSession"))
    assert objects > 1_000
    # had the replaced objects been kept alive by cycles, each refresh would add them all
    assert max(sizes[10:]) - min(sizes[10:]) < objects // 4, sizes


def test_garbage_cycles_made_before_a_build_are_collected_not_frozen() -> None:
    class Node:
        pass

    collected = []
    node = Node()
    node.self = node  # type: ignore[attr-defined]  # a cycle, unreachable once dropped
    gc.callbacks.append(lambda phase, info: collected.append(info["collected"]) if phase == "stop" else None)
    try:
        del node
        with collector_paused():
            assert not gc.isenabled()
        assert gc.isenabled()
    finally:
        gc.callbacks.pop()
    assert sum(collected) >= 1


def test_a_nested_block_leaves_the_collector_to_the_outer_one() -> None:
    with collector_paused():
        with collector_paused():
            pass
        assert not gc.isenabled()
    assert gc.isenabled()
