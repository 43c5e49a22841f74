"""`job_events.quiet_until` and the refresh it lets the clock skip: nothing the jobs show changes
before the instant it names, and a clock that runs the world on in steps, skipping where it may,
shows what a world refreshed in full at each step shows."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from mock_em.generator import WorldSize, generate_world
from mock_em.model import job_sessions
from mock_em.model.job_events import quiet_until
from mock_em.model.job_sessions import refresh_jobs
from mock_em.model.world import World

START = datetime(2026, 1, 5, 21, 40, tzinfo=UTC)  # by night: runs start, tasks end, progress ticks
DERIVED = ("BackupJobSession", "BackupTaskSession", "ReplicaJobSession", "ReplicaTaskSession", "Backup",
           "RestorePoint", "VmRestorePoint")  # fmt: skip


def shown(world: World) -> tuple:
    """What the jobs show: their derived objects, next runs, backups' sizes and repositories."""
    derived = tuple((kind, tuple(map(repr, world.all(kind).values()))) for kind in DERIVED)
    jobs = tuple((j.id, j.next_run, j.backup_bytes) for j in world.all("Job").values())
    repositories = tuple((r.id, r.free_space) for r in world.all("Repository").values())
    return derived, jobs, repositories


def fresh(seed: int, at: datetime) -> World:
    """A world of `seed` refreshed in full at `at`."""
    world = generate_world(seed, WorldSize(backup_servers=2, tenants=1), START)
    refresh_jobs(world, at)
    return world


@settings(max_examples=12, deadline=None)
@given(seed=st.integers(1, 50), minutes=st.integers(0, 600), share=st.floats(0, 0.999))
def test_nothing_changes_before_the_quiet_instant(seed: int, minutes: int, share: float) -> None:
    """At any instant between a refresh and `quiet_until`, a full refresh shows what the first
    one showed; and the quiet instant is after the refresh."""
    at = START + timedelta(minutes=minutes)
    world = fresh(seed, at)
    until = quiet_until(world.all("Job").values(), at)
    assert until > at
    later = at + (min(until, at + timedelta(days=1)) - at) * share
    assert shown(fresh(seed, later)) == shown(world)


def test_a_clock_that_skips_shows_what_full_refreshes_show(monkeypatch: pytest.MonkeyPatch) -> None:
    """The clock's refresh (`if_due`) skips some steps of a night run in 20-second steps, and after
    every step the world shows exactly what a world refreshed in full there shows."""
    world = generate_world(3, WorldSize(backup_servers=2, tenants=1), START)
    refresh_jobs(world, START)
    done = []
    full = job_sessions._refresh
    monkeypatch.setattr(job_sessions, "_refresh", lambda *args: done.append(args[1]) or full(*args))
    for step in range(1, 400):
        at = START + timedelta(seconds=20 * step)
        refresh_jobs(world, at, if_due=True)
        if step % 40 == 0:
            assert shown(world) == shown(fresh(3, at)), at
    assert shown(world) == shown(fresh(3, START + timedelta(seconds=20 * 399)))
    assert 0 < len(done) < 399


def test_an_edit_of_the_jobs_is_never_skipped() -> None:
    """Removing a job changes what the jobs show at once, however quiet the instant."""
    world = fresh(5, START)
    at = START + timedelta(microseconds=1)
    job = next(j for j in world.all("Job").values() if world.all("BackupJobSession") and j.job_type.value == "Backup")
    world.remove("Job", job.id)
    refresh_jobs(world, at, if_due=True)
    assert all(s.job_id != job.id for s in world.all("BackupJobSession").values())
