"""The backup catalogue as EM shows it at the world's time: each backup job's backup, the
restore points its runs left and each VM's point in them (`/api/backups`, `/api/restorePoints`,
`/api/vmRestorePoints`).

Like the sessions, the catalogue is derived, never stored in fixtures: a backup job's backup
holds each VM's newest `Retention` points (`job_history.kept_tasks`), a restore point is kept
while any of its VM points is, and a backup exists for every backup job (empty until its first
run ends). Ids come from the runs' draws (`Run.restore_point_id`, `TaskRun.point_id`) and the
backup's from the job's id, so nothing moves as the clock runs on; a world generated at T0 and
run on to T1 shows the catalogue of a world generated at T1.
"""

from __future__ import annotations

from datetime import datetime
from operator import attrgetter
from typing import Any
from uuid import UUID, uuid5

from mock_em.model.entities import Backup, Job, JobType, RestorePoint, Vm, VmRestorePoint
from mock_em.model.inventory import vm_ref
from mock_em.model.job_history import Run, TaskRun

CATALOGUE_KINDS = ("Backup", "RestorePoint", "VmRestorePoint")


def backup_id(job_id: UUID) -> UUID:
    """A backup job's backup's id: one per job, never moving."""
    return uuid5(job_id, "Backup")


def sql_time(when: datetime) -> str:
    """A restore point's name: SQL Server's default datetime text, space-padded, in UTC
    (`Jul  2 2019  1:50AM`; em-api-monitoring.md §2.2)."""
    hour = when.hour % 12 or 12
    return f"{when:%b} {when.day:2d} {when.year} {hour:2d}:{when:%M}{'AM' if when.hour < 12 else 'PM'}"


def hierarchy_obj_ref(job: Job, vm: Vm) -> str:
    """The VM as its host names it, in the vendor's form ("Constructing HierarchyObjRefType"):
    `urn:VMware:Vm:<hierarchy root id>.vm-<n>`, `urn:HyperV:Vm:<hierarchy root id>.<VM guid>`, on
    the root of the job's backup server and platform (`mock_em.model.inventory`)."""
    return vm_ref(job.backup_server_id, job.platform, vm.name)


def backup_of(job: Job) -> Backup:
    """A backup job's backup, named as the job, on the job's repository."""
    return Backup(
        id=backup_id(job.id), name=job.name, backup_server_id=job.backup_server_id, job_id=job.id,
        repository_id=job.repository_id, platform=job.platform,
    )  # fmt: skip


def catalogue_of(job: Job, kept: list[tuple[Run, TaskRun]]) -> tuple[list[RestorePoint], list[VmRestorePoint]]:
    """The restore points and VM restore points of a job's `kept` points (`kept_tasks`)."""
    points: dict[UUID, RestorePoint] = {}
    vm_points: list[VmRestorePoint] = []
    backup = backup_id(job.id)
    refs = {vm.name: hierarchy_obj_ref(job, vm) for vm in job.vms}  # each VM's, once
    server = job.backup_server_id
    for run, task in kept:
        if run.restore_point_id is None or task.point_id is None:
            continue
        if run.restore_point_id not in points:
            points[run.restore_point_id] = RestorePoint(
                id=run.restore_point_id, name=sql_time(run.start), backup_server_id=job.backup_server_id,
                backup_id=backup, backup_date=run.start,
            )  # fmt: skip
        vm = task.vm
        # in field order: id, backup_server_id, restore_point_id, creation_time, vm_name,
        # vm_display_name, full, hierarchy_obj_ref
        vm_points.append(VmRestorePoint(
            task.point_id, server, run.restore_point_id, task.start, vm.name, vm.display_name, task.full, refs[vm.name]
        ))  # fmt: skip
    return list(points.values()), vm_points


def catalogue_at(jobs: list[Job], kept: dict[UUID, list[tuple[Run, TaskRun]]]) -> dict[str, dict[UUID, Any]]:
    """Every backup job's backup, restore points and VM restore points, by kind: backups in the
    jobs' order, points by time (then id, for ties)."""
    backups: list[Backup] = []
    points: list[RestorePoint] = []
    vm_points: list[VmRestorePoint] = []
    for job in jobs:
        if job.job_type is not JobType.Backup:
            continue
        backups.append(backup_of(job))
        found, vms = catalogue_of(job, kept.get(job.id, []))
        points.extend(found)
        vm_points.extend(vms)
    points.sort(key=attrgetter("backup_date", "id"))
    vm_points.sort(key=attrgetter("creation_time", "id"))
    return {
        "Backup": {b.id: b for b in backups},
        "RestorePoint": {p.id: p for p in points},
        "VmRestorePoint": {p.id: p for p in vm_points},
    }
