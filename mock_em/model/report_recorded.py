"""What the summary report says of VMs and restore points in a recorded world (`World.recorded`):
counted from the task sessions and the backup catalogue its source showed, as `report_vms` counts
a generated world's from its jobs' runs. Nothing is drawn: a recorded world has no runs.

The two agree on a recorded copy of a generated world at the instant it was recorded:

* a task that has ended (its `EndTimeUTC` shown) is one `report_vms` walks; one that left a
  point (`point_id`) counts its `point_bytes`, a full's where its run is Sunday's synthetic full
  (its VM point's `PointType` says so where the catalogue keeps it);
* a backup job holds a point of a VM while its backup keeps one of the VM's points; a
  replication job while one of its tasks left one (its points are on its DR host, shown by no
  catalogue) and it keeps any at all;
* a VM's provisioned size is a task's `TotalSize` (its disks, 0 for a task that failed).

Times are compared cut to the second, as the runs' own are drawn: where a release shows
fractions of a second (`World.instants`), the model added them to whole seconds (and a source's
own fractions matter to no count here).
A recorded world holds the last days' sessions only (`job_history.HISTORY`): a VM whose job has
run in none of them counts no latest state, as its source would show no session of it.
"""

from __future__ import annotations

from collections.abc import Iterable
from datetime import UTC, datetime, timedelta
from typing import Any
from uuid import UUID

from mock_em.model.entities import BackupTaskSession, Job, JobType, SessionResult
from mock_em.model.report_vms import DAY, PointsMade, VmKey, VmState
from mock_em.model.world import World

TASK_KINDS = ("BackupTaskSession", "ReplicaTaskSession")
SESSION_KINDS = ("BackupJobSession", "ReplicaJobSession")
SUNDAY = 6


def _ended(world: World, at: datetime) -> dict[UUID, list[tuple[datetime, BackupTaskSession]]]:
    """Each job's tasks that had ended by `at`, with their end as the runs' instants have it."""
    found: dict[UUID, list[tuple[datetime, BackupTaskSession]]] = {}
    for kind in TASK_KINDS:
        for task in world.all(kind).values():
            end = task.end_time
            if end is None:
                continue
            end = end.replace(microsecond=0)
            if end <= at:
                found.setdefault(task.job_id, []).append((end, task))
    return found


def _later(
    known: tuple[datetime, SessionResult] | None, end: datetime, result: SessionResult
) -> tuple[datetime, SessionResult]:
    return known if known is not None and known[0] >= end else (end, result)


def _kept_vms(world: World) -> dict[UUID, set[str]]:
    """The VMs of which each backup job's backup keeps a point, by job."""
    jobs_of_backups = {b.id: b.job_id for b in world.all("Backup").values()}
    job_of_point = {p.id: jobs_of_backups.get(p.backup_id) for p in world.all("RestorePoint").values()}
    kept: dict[UUID, set[str]] = {}
    for point in world.all("VmRestorePoint").values():
        job_id = job_of_point.get(point.restore_point_id)
        if job_id is not None:
            kept.setdefault(job_id, set()).add(point.vm_name)
    return kept


def recorded_vm_states(world: World, jobs: Iterable[Job], at: datetime) -> dict[VmKey, VmState]:
    """`report_vms.vm_states` of a recorded world: every VM of every job (in store order)."""
    ended = _ended(world, at)
    kept = _kept_vms(world)
    states: dict[VmKey, VmState] = {}
    for job in jobs:
        backup = job.job_type is JobType.Backup
        latest: dict[str, tuple[datetime, SessionResult]] = {}
        sizes: dict[str, int] = {}
        held: set[str] = set(kept.get(job.id, ())) if backup else set()
        for end, task in ended.get(job.id, ()):
            name = task.vm_name
            known = latest.get(name)
            if known is None or end > known[0]:
                latest[name] = (end, task.result)
            if task.total_size:
                sizes.setdefault(name, task.total_size)
            if not backup and job.retention > 0 and task.point_id is not None:
                held.add(name)
        for vm in job.vms:
            state = states.setdefault((job.backup_server_id, vm.name), VmState())
            last = latest.get(vm.name)
            if last is not None:
                state.latest = _later(state.latest, *last)
                if backup:
                    state.latest_backup = _later(state.latest_backup, *last)
            if vm.name in held:
                if not state.protected:
                    state.provisioned = sizes.get(vm.name, 0)
                if backup:
                    state.backed_up = True
                else:
                    state.replicated = True
    return states


def recorded_points_made(world: World, jobs: Iterable[Job], at: datetime, period: timedelta, days: int) -> PointsMade:
    """`report_vms.points_made` of a recorded world: the points its tasks left in the period, and
    the VMs that got one on each of the last `days` UTC days (today first)."""
    days_shown = [at.date() - DAY * i for i in range(days)]
    made = PointsMade(backed_up_by_day={d: set() for d in days_shown}, replicated_by_day={d: set() for d in days_shown})
    since = at - period
    first = datetime.combine(days_shown[-1], datetime.min.time(), UTC) if days_shown else at
    sessions: dict[UUID, Any] = {}
    for kind in SESSION_KINDS:
        sessions.update(world.all(kind))
    vm_points = world.all("VmRestorePoint")
    ended = _ended(world, at)
    for job in jobs:
        replica = job.job_type is JobType.Replica
        by_day = made.replicated_by_day if replica else made.backed_up_by_day
        for end, task in ended.get(job.id, ()):
            if task.point_id is None:
                continue
            if end > since:
                made.count += 1
                if replica:
                    made.replica_bytes += task.point_bytes
                elif _is_full(task, vm_points, sessions):
                    made.full_bytes += task.point_bytes
                else:
                    made.incremental_bytes += task.point_bytes
            bucket = by_day.get(end.astimezone(UTC).date()) if end >= first else None
            if bucket is not None:
                bucket.add((job.backup_server_id, task.vm_name))
    return made


def _is_full(task: BackupTaskSession, vm_points: dict[UUID, Any], sessions: dict[UUID, Any]) -> bool:
    """Whether a backup task's point is a full: as its VM point says while the catalogue keeps it,
    else by its run's day (the weekly synthetic full runs on Sundays: `job_history`)."""
    point = vm_points.get(task.point_id)
    if point is not None:
        return point.full
    session = sessions.get(task.session_id)
    if session is None:
        return False
    return session.creation_time.replace(microsecond=0).weekday() == SUNDAY


def match_point_sizes(world: World, at: datetime, full: int, incremental: int, replica: int) -> None:
    """Give the points the tasks left in the report's period what the source's report says they
    hold (its `vms_overview`: `FullBackupPointsSize`, `IncrementalBackupPointsSize`,
    `ReplicaRestorePointsSize`), each sum shared equally among its points (the remainder to the
    first): no entity shows a point's size, so an import that read the source's report at `at`
    makes the recorded world's report say the same at that instant."""
    from mock_em.model.reports import PERIOD  # the report's window (`reports` imports this module)

    sessions: dict[UUID, Any] = {}
    for kind in SESSION_KINDS:
        sessions.update(world.all(kind))
    vm_points = world.all("VmRestorePoint")
    since = at - PERIOD
    groups: dict[str, list[BackupTaskSession]] = {"full": [], "incremental": [], "replica": []}
    jobs = world.all("Job")
    for tasks in _ended(world, at).values():
        for end, task in tasks:
            job = jobs.get(task.job_id)
            if task.point_id is None or end <= since or job is None:
                continue
            if job.job_type is JobType.Replica:
                groups["replica"].append(task)
            else:
                groups["full" if _is_full(task, vm_points, sessions) else "incremental"].append(task)
    for name, total in (("full", full), ("incremental", incremental), ("replica", replica)):
        found = groups[name]
        if not found:
            continue
        each, left = divmod(total, len(found))
        for i, task in enumerate(found):
            task.point_bytes = each + (left if i == 0 else 0)
    world.changed()
