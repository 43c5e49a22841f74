"""What an imported job's entity does not show, from the kinds that name it.

A job's entity shows its type, platform, schedule and next run (`jobs.reads`); the rest of what
the model keeps of it the source shows elsewhere, and is read here once every kind is read:

* its **repository**: its backup's Up `RepositoryReference` (a `Backup` names its job). A job
  with no backup read (a replication job: its replicas are on its DR host) writes to the first
  repository of its backup server that no tenant's backup resource names (where the generator
  puts jobs), else to the server's first;
* its **VMs**: the VMs of its task sessions (`VmDisplayName`) and of its backup's VM restore
  points (`VmName`, `VmDisplayName`), a task's VM named as a point of the same display name
  names it, else by its display name. Their order is the job's: a mock-em source draws each
  task's id from its run and the VM's position in the job (`job_history._run`), so a scheduled
  run's task ids give the positions back; VMs no such run places follow in the order their
  tasks and points began. A job whose VMs have no task and no point left (one that never ran
  in the source's history: disabled, or added since) takes its VMs from the lookup on its
  root, where the crawl read it (`hierarchy_roots.LOOKUP_VMS`): the lookup lists the VMs of the
  server's jobs of the root's platform in the jobs' order, so the names between those of the
  jobs around it are its (where several such jobs follow each other, the first takes them all:
  the lookup cannot tell them apart, and shows them alike). Such VMs are named alike in full and
  for display. Without the lookup, the job is read without VMs;
* its **retention**: each VM's newest `Retention` points are kept, and where the oldest of them
  is an increment, the older ones of its chain back to a full. So a VM with `n` points whose
  newest full before its oldest point is its `j`-th newest keeps any retention from `j + 1` to
  `n` alike; the smallest retention every VM of the job keeps alike is read (the catalogue at
  the source's instant is the same whichever is chosen). A job without points keeps the
  model's default of 14.
"""

from __future__ import annotations

from collections.abc import Iterable
from datetime import UTC, datetime
from operator import attrgetter
from typing import Any
from uuid import UUID

from mock_em.importer.entity import Found, Reading
from mock_em.model.catalogue import backup_id
from mock_em.model.day_random import DayRandom
from mock_em.model.entities import Job, Platform, Vm
from mock_em.model.ids import guid_of
from mock_em.model.inventory import root_index
from mock_em.model.job_history import MASK_128, TASK_BYTES
from mock_em.resources.hierarchy_roots import LOOKUP_VMS

TASK_KINDS = ("BackupTaskSession", "ReplicaTaskSession")
SESSION_KINDS = ("BackupJobSession", "ReplicaJobSession")


def complete_jobs(found: Found, reading: Reading) -> None:
    """Each job's repository, VMs and retention, from the other kinds read."""
    jobs: dict[UUID, Job] = found.get("Job", {})
    if not jobs:
        return
    backups = _backups_by_job(found, jobs)
    _set_repositories(found, jobs, backups)
    points = _points_by_job(found, backups)
    tasks = _tasks_by_job(found)
    sessions = {sid: s for kind in SESSION_KINDS for sid, s in found.get(kind, {}).items()}
    for job in jobs.values():
        job.vms = _vms(job, tasks.get(job.id, []), points.get(job.id, []), sessions)
        retention = _retention(points.get(job.id, []))
        if retention is not None:
            job.retention = retention
    lookups = reading.notes.get(LOOKUP_VMS, {})
    if lookups:
        _vms_from_lookups(jobs, root_index(found.get("HierarchyRoot", {})), lookups)


def _vms_from_lookups(
    jobs: dict[UUID, Job], roots: dict[tuple[UUID, Platform], UUID], lookups: dict[UUID, Any]
) -> None:
    """The VMs of the jobs without any, from the lookup on their root (the module's docstring)."""
    on_root: dict[tuple[UUID, Platform], list[Job]] = {}
    for job in jobs.values():
        on_root.setdefault((job.backup_server_id, job.platform), []).append(job)
    for where, its_jobs in on_root.items():
        names = lookups.get(roots.get(where))  # type: ignore[arg-type]
        if not names or all(job.vms for job in its_jobs):
            continue
        seen: set[str] = set()
        cursor, waiting = 0, None
        for job in its_jobs:
            if not job.vms:
                waiting = waiting or job
                continue
            new = [vm.name for vm in job.vms if vm.name not in seen]
            seen.update(vm.name for vm in job.vms)
            if not new or new[0] not in names[cursor:]:
                continue
            at = names.index(new[0], cursor)
            if waiting is not None:
                waiting.vms = [Vm(name) for name in names[cursor:at]]
                waiting = None
            cursor = at + len(new)
        if waiting is not None:
            waiting.vms = [Vm(name) for name in names[cursor:]]


def _backups_by_job(found: Found, jobs: dict[UUID, Job]) -> dict[UUID, Any]:
    """Each job's backup: the one naming the job, else the one of the job's backup id."""
    by_id = {backup_id(job_id): job_id for job_id in jobs}
    found_backups: dict[UUID, Any] = {}
    for backup in found.get("Backup", {}).values():
        job_id = backup.job_id if backup.job_id in jobs else by_id.get(backup.id)
        if job_id is not None:
            found_backups.setdefault(job_id, backup)
    return found_backups


def _set_repositories(found: Found, jobs: dict[UUID, Job], backups: dict[UUID, Any]) -> None:
    repositories = found.get("Repository", {})
    cloud = {resource.repository_id for resource in found.get("CloudTenantResource", {}).values()}
    firsts: dict[UUID, UUID] = {}
    for repository in repositories.values():  # own repositories first, then the tenants'
        if repository.id not in cloud:
            firsts.setdefault(repository.backup_server_id, repository.id)
    for repository in repositories.values():
        firsts.setdefault(repository.backup_server_id, repository.id)
    for job in jobs.values():
        backup = backups.get(job.id)
        if backup is not None and backup.repository_id in repositories:
            job.repository_id = backup.repository_id
        elif job.backup_server_id in firsts:
            job.repository_id = firsts[job.backup_server_id]


def _points_by_job(found: Found, backups: dict[UUID, Any]) -> dict[UUID, list[Any]]:
    """Each backup job's VM restore points, oldest first."""
    job_of_backup = {backup.id: job_id for job_id, backup in backups.items()}
    job_of_point = {
        point.id: job_of_backup[point.backup_id]
        for point in found.get("RestorePoint", {}).values()
        if point.backup_id in job_of_backup
    }
    by_job: dict[UUID, list[Any]] = {}
    for vm_point in found.get("VmRestorePoint", {}).values():
        job_id = job_of_point.get(vm_point.restore_point_id)
        if job_id is not None:
            by_job.setdefault(job_id, []).append(vm_point)
    for points in by_job.values():
        points.sort(key=attrgetter("creation_time"))
    return by_job


def _tasks_by_job(found: Found) -> dict[UUID, list[Any]]:
    """Each job's task sessions, oldest first."""
    by_job: dict[UUID, list[Any]] = {}
    for kind in TASK_KINDS:
        for task in found.get(kind, {}).values():
            by_job.setdefault(task.job_id, []).append(task)
    for tasks in by_job.values():
        tasks.sort(key=attrgetter("creation_time"))
    return by_job


def _vms(job: Job, tasks: list[Any], points: list[Any], sessions: dict[UUID, Any]) -> list[Vm]:
    """The job's VMs in the job's order (the module's docstring)."""
    names = {p.vm_display_name: p.vm_name for p in points}
    vms: dict[str, Vm] = {}
    for shown in _by_start(tasks, points):
        display = shown.vm_display_name
        name = names.get(display) or getattr(shown, "vm_name", "") or display
        vms.setdefault(name, Vm(name, display))
    positions = _positions(job, tasks, sessions, names)
    if not positions:
        return list(vms.values())
    placed = sorted((vm for vm in vms.values() if vm.name in positions), key=lambda vm: positions[vm.name])
    return placed + [vm for vm in vms.values() if vm.name not in positions]


def _by_start(tasks: list[Any], points: list[Any]) -> Iterable[Any]:
    """Tasks and points by when they began (tasks first on a tie: a point is a task's)."""
    return sorted([*tasks, *points], key=attrgetter("creation_time"))


def _positions(job: Job, tasks: list[Any], sessions: dict[UUID, Any], names: dict[str, str]) -> dict[str, int]:
    """Each VM's position in the job, by name, from the ids of its scheduled runs' tasks: a
    mock-em run's task at position `i` has the id drawn from the run's scheduled start and `i`
    (`job_history._run`). Empty for a source whose ids are not so drawn."""
    by_session: dict[UUID, list[Any]] = {}
    for task in tasks:
        by_session.setdefault(task.session_id, []).append(task)
    positions: dict[str, int] = {}
    known = len({t.vm_display_name for t in tasks})
    firsts = [s for s in (sessions.get(sid) for sid in by_session) if s is not None and not s.is_retry]
    firsts.sort(key=lambda s: -len(by_session[s.id]))  # the fullest runs first: they place the most
    for session in firsts:
        own = by_session[session.id]
        start = session.creation_time.astimezone(UTC).replace(second=0, microsecond=0)
        rng = DayRandom(f"{job.id}:{datetime.isoformat(start)}")
        wanted = {task.id: task for task in own}
        for index in range(max(len(own), known) + 8):  # a run's VMs are the job's: some may not have begun
            task = wanted.pop(guid_of(rng.side_bits(index, TASK_BYTES) & MASK_128), None)
            if task is not None:
                display = task.vm_display_name
                positions.setdefault(names.get(display) or getattr(task, "vm_name", "") or display, index)
            if not wanted:
                break
        if len(positions) >= known:
            break
    return positions


def _retention(points: list[Any]) -> int | None:
    """The smallest retention that keeps each VM's points as read (the module's docstring);
    None for a job without points."""
    by_vm: dict[str, list[bool]] = {}
    for point in reversed(points):  # newest first
        by_vm.setdefault(point.vm_name, []).append(point.full)
    if not by_vm:
        return None
    lowest = 1
    for fulls in by_vm.values():
        older_full = max((i + 1 for i, full in enumerate(fulls[:-1]) if full), default=0)
        lowest = max(lowest, older_full + 1)
    return lowest
