"""Properties of the backup catalogue over generated worlds and instants: every VM restore point
comes from a task that backed its VM up; files add up to what the backups hold, to the
repositories' usage and to the summary report; retention holds however far the clock runs; a
deleted restore point or file stays deleted and gives its bytes back."""

from __future__ import annotations

from collections import defaultdict
from datetime import UTC, datetime, timedelta
from typing import Any
from uuid import UUID

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from mock_em.generator import WorldSize, generate_world
from mock_em.model.entities import Job, JobType, SessionResult
from mock_em.model.job_history import TaskRun, kept_tasks, runs_between
from mock_em.model.job_sessions import refresh_jobs
from mock_em.model.point_deletion import delete, deletion_of
from mock_em.model.query import QUERY_TYPES
from mock_em.model.reports import PERIOD, Summary
from mock_em.model.world import World

AT = datetime(2026, 1, 5, 12, 0, 0, tzinfo=UTC)
SIZE = WorldSize(backup_servers=2, tenants=0)
INSTANTS = {"seed": st.integers(0, 10_000), "minutes": st.integers(0, 7 * 24 * 60)}
LOOKBACK = timedelta(days=62)  # as far back as a job's points are looked for


def world_at(seed: int, at: datetime) -> World:
    world = generate_world(seed, SIZE, at)
    refresh_jobs(world, at, taken_over=True)
    return world


def tasks_by_point(world: World, at: datetime) -> dict[UUID, TaskRun]:
    """Each kept VM point's task."""
    return {t.point_id: t for job in world.all("Job").values() for _, t in kept_tasks(job, at)}  # type: ignore[misc]


def used(world: World) -> dict[UUID, int]:
    """Each repository of known size's `Capacity − FreeSpace`."""
    return {r.id: r.capacity - r.free_space for r in world.all("Repository").values() if r.free_space != -1}


def files_on(world: World) -> dict[UUID, int]:
    """What the backup files on each repository take."""
    found: dict[UUID, int] = defaultdict(int)
    backups = world.all("Backup")
    for file in world.all("BackupFile").values():
        found[backups[file.backup_id].repository_id] += file.backup_size
    return found


def check_membership(world: World, at: datetime) -> None:
    """Every VM point is in a restore point of a backup job's backup, left by that job's run whose
    task for the VM ended well by `at`."""
    points, backups, jobs = world.all("RestorePoint"), world.all("Backup"), world.all("Job")
    runs: dict[UUID, Any] = {}
    for vm_point in world.all("VmRestorePoint").values():
        point = points[vm_point.restore_point_id]
        job = jobs[backups[point.backup_id].job_id]
        assert job.job_type is JobType.Backup
        if point.id not in runs:
            (runs[point.id],) = [
                r for r in runs_between(job, point.backup_date - timedelta(seconds=1), point.backup_date)
                if r.restore_point_id == point.id
            ]  # fmt: skip
        (task,) = [t for t in runs[point.id].tasks if t.point_id == vm_point.id]
        assert task.vm.name == vm_point.vm_name and task.end <= at
        assert task.result in (SessionResult.Success, SessionResult.Warning)
        assert vm_point.backup_file_id == point.backup_file_id


def check_sums(world: World, at: datetime) -> None:
    """A file holds its VM points' bytes; a backup's files what its job holds; the report's point
    sizes are those of the files' VM points made in its period."""
    tasks = tasks_by_point(world, at)
    per_file: dict[UUID, int] = defaultdict(int)
    full = incremental = 0
    for vm_point in world.all("VmRestorePoint").values():
        task = tasks[vm_point.id]
        per_file[vm_point.backup_file_id] += task.point_bytes  # type: ignore[index]
        if task.end > at - PERIOD:
            full += task.point_bytes if task.full else 0
            incremental += 0 if task.full else task.point_bytes
    files = world.all("BackupFile")
    assert {f: s.backup_size for f, s in files.items()} == dict(per_file)
    for backup in world.all("Backup").values():
        job: Job = world.all("Job")[backup.job_id]
        assert sum(f.backup_size for f in files.values() if f.backup_id == backup.id) == job.backup_bytes
    vms = Summary(world, at).vms_overview
    assert (vms.full_backup_points_size, vms.incremental_backup_points_size) == (full, incremental)


def check_retention(world: World, at: datetime) -> None:
    """Each VM of each backup job keeps its newest `Retention` points (by its runs, newest last)
    and, where the oldest of them is an increment, the older points of its chain back to the full
    it builds on; a restore point is kept while any of its VM points is, its file with it."""
    kept = defaultdict(set)
    for vm_point in world.all("VmRestorePoint").values():
        kept[vm_point.restore_point_id].add(vm_point.id)
    for job in world.all("Job").values():
        if job.job_type is not JobType.Backup:
            continue
        made: dict[str, list[tuple[UUID, bool]]] = defaultdict(list)
        for run in runs_between(job, at - LOOKBACK, at):
            for task in run.tasks:
                if task.point_id is not None and task.end <= at:
                    made[task.vm.name].append((task.point_id, task.full))
        shown = {p.id for p in world.all("VmRestorePoint").values()}
        for name, ids in made.items():
            cut = max(0, len(ids) - job.retention)
            while cut > 0 and not ids[cut][1]:  # the oldest kept is an increment: back to its full
                cut -= 1
            assert {i for i, _ in ids if i in shown} == {i for i, _ in ids[cut:]}, name
    assert set(world.all("RestorePoint")) == set(kept)
    assert {f.restore_point_id for f in world.all("BackupFile").values()} == set(kept)


def check_store_order(world: World) -> None:
    """Each store the query service reads in order of a field (`Field.store_order`: restore
    points, VM points and files by time, sessions by start) holds its objects in that order."""
    ordered = [(t.name, f) for t in QUERY_TYPES.values() for f in t.fields.values() if f.store_order]
    assert {name for name, _ in ordered} >= {"VmRestorePoint", "RestorePoint", "BackupFile", "BackupTaskSession"}
    for name, field in ordered:
        keys = list(field.column(world, list(world.all(name).values())))
        assert keys == sorted(keys), (name, field.name)


@settings(max_examples=10, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(**INSTANTS, later=st.integers(1, 40 * 24 * 60))
def test_the_catalogue_holds_together_as_the_clock_runs(seed: int, minutes: int, later: int) -> None:
    """At any instant and after any run of the clock: membership, sums and retention hold, and
    each repository's usage moves by exactly what its backups' files grew or shrank by."""
    at = AT + timedelta(minutes=minutes)
    world = world_at(seed, at)
    assert world.all("VmRestorePoint") and world.all("BackupFile")
    for check in (check_membership, check_sums, check_retention):
        check(world, at)
    check_store_order(world)
    before_used, before_files = used(world), files_on(world)
    then = at + timedelta(minutes=later)
    refresh_jobs(world, then)
    for check in (check_membership, check_sums, check_retention):
        check(world, then)
    check_store_order(world)
    after_files = files_on(world)
    for repository, usage in used(world).items():
        assert usage - before_used[repository] == after_files[repository] - before_files[repository]


@settings(max_examples=10, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(**INSTANTS, pick=st.integers(0, 10_000), later=st.integers(0, 20 * 24 * 60))
def test_a_deletion_frees_its_bytes_and_stays(seed: int, minutes: int, pick: int, later: int) -> None:
    """Deleting any restore point frees exactly its files' bytes on the repository and in the
    report; a full takes the increments up to the next full; none comes back as the clock runs."""
    at = AT + timedelta(minutes=minutes)
    world = world_at(seed, at)
    points = list(world.all("RestorePoint").values())
    point = points[pick % len(points)]
    deletion = deletion_of(world, point)
    chain = [p for p in points if p.backup_id == point.backup_id]
    doomed = chain[chain.index(point) : chain.index(point) + len(deletion.points)]
    assert list(deletion.points) == doomed
    types = [world.all("BackupFile")[p.backup_file_id].file_type for p in doomed]
    assert types[1:] == ["vib"] * (len(types) - 1) and (types[0] == "vbk" or len(types) == 1)
    repository = world.all("Repository")[world.all("Backup")[point.backup_id].repository_id]
    free = repository.free_space
    delete(deletion)
    refresh_jobs(world, at)
    gone = {p.id for p in doomed}
    assert not gone & set(world.all("RestorePoint"))
    assert not {f.id for f in deletion.files} & set(world.all("BackupFile"))
    assert not any(v.restore_point_id in gone for v in world.all("VmRestorePoint").values())
    if free != -1:
        assert repository.free_space == free + deletion.freed
    check_sums(world, at)
    check_store_order(world)
    then = at + timedelta(minutes=later)
    refresh_jobs(world, then)
    assert not gone & set(world.all("RestorePoint"))
    check_sums(world, then)
    check_store_order(world)
