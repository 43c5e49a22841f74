"""The backup catalogue as EM shows it at the world's time: each backup job's backup, the
restore points its runs left, each VM's point in them and the file holding each restore point
(`/api/backups`, `/api/restorePoints`, `/api/vmRestorePoints`, `/api/backupFiles`).

Like the sessions, the catalogue is derived, never stored in fixtures: a backup job's backup
holds each VM's newest `Retention` points and the rest of their chain back to its full
(`job_history.kept_tasks`), a restore point is kept
while any of its VM points is, and a backup exists for every backup job (empty until its first
run ends). Ids come from the runs' draws (`Run.restore_point_id`, `TaskRun.point_id`) and the
backup's from the job's id, so nothing moves as the clock runs on; a world generated at T0 and
run on to T1 shows the catalogue of a world generated at T1.
"""

from __future__ import annotations

from datetime import datetime
from itertools import groupby
from operator import attrgetter, itemgetter
from typing import Any
from uuid import UUID, uuid5

from mock_em.model.backup_files import backup_file, backup_file_id
from mock_em.model.entities import (
    Backup,
    BackupFile,
    Job,
    JobType,
    Repository,
    RepositoryKind,
    RestorePoint,
    VmRestorePoint,
    stamp,
)
from mock_em.model.instants import WHOLE_SECONDS, Instants
from mock_em.model.inventory import RootIndex, vm_ref
from mock_em.model.job_history import Run, TaskRun

CATALOGUE_KINDS = ("Backup", "RestorePoint", "VmRestorePoint", "BackupFile")
_RUN = itemgetter(0)  # a kept point's run


def backup_id(job_id: UUID) -> UUID:
    """A backup job's backup's id: one per job, never moving."""
    return uuid5(job_id, "Backup")


def sql_time(when: datetime) -> str:
    """A restore point's name: SQL Server's default datetime text, space-padded, in UTC
    (`Jul  2 2019  1:50AM`; em-api-monitoring.md §2.2)."""
    hour = when.hour % 12 or 12  # (not `strftime`: tens of thousands are made at each refresh)
    noon = "AM" if when.hour < 12 else "PM"
    return f"{_MONTHS[when.month]} {when.day:2d} {when.year} {hour:2d}:{when.minute:02d}{noon}"


_MONTHS = ("", "Jan", "Feb", "Mar", "Apr", "May", "Jun", "Jul", "Aug", "Sep", "Oct", "Nov", "Dec")  # as `%b` in C


def vm_refs(job: Job, roots: RootIndex) -> dict[str, str]:
    """Each of the job's VMs as its host names it, by name, in the vendor's form ("Constructing
    HierarchyObjRefType"): `urn:VMware:Vm:<hierarchy root id>.vm-<n>`, `urn:HyperV:Vm:<hierarchy
    root id>.<VM guid>`, on the root of the job's backup server and platform
    (`mock_em.model.inventory`): its VM points' `HierarchyObjRef` and its tasks' `VmUid`."""
    return {vm.name: vm_ref(job.backup_server_id, job.platform, vm.name, roots) for vm in job.vms}


def is_full(point: RestorePoint) -> bool:
    """Whether a run's points are fulls: the weekly synthetic full runs on Sundays
    (`job_history._run`), so its restore point's day says it."""
    return point.backup_date.weekday() == 6


def backup_of(job: Job) -> Backup:
    """A backup job's backup, named as the job, on the job's repository."""
    return Backup(
        id=backup_id(job.id), name=job.name, backup_server_id=job.backup_server_id, job_id=job.id,
        repository_id=job.repository_id, platform=job.platform,
    )  # fmt: skip


def catalogue_of(
    job: Job,
    kept: list[tuple[Run, TaskRun]],
    kind: RepositoryKind | None,
    refs: dict[str, str],
    instants: Instants = WHOLE_SECONDS,
) -> tuple[list[RestorePoint], list[VmRestorePoint], list[BackupFile]]:
    """The restore points, VM restore points and backup files of a job's `kept` points
    (`kept_tasks`); `kind` is the job's repository's (the files' paths), `refs` its VMs'
    references (`vm_refs`). Where the release shows fractions of a second
    (`instants`), a restore point is made when its job session started and a VM point when its
    task did, to the microsecond."""
    points: list[RestorePoint] = []
    sizes: list[int] = []  # what each restore point's kept VM points take: its file's size
    vm_points: list[VmRestorePoint] = []
    backup = backup_id(job.id)
    server = job.backup_server_id
    digits, fine, added = instants.digits, instants.fine_names, instants.added
    # a run's points come together (`kept_tasks` reads run by run); `groupby` tells runs apart
    # by identity first, so a run is compared with the next one only
    for run, pairs in groupby(kept, key=_RUN):
        point_id = run.restore_point_id
        if point_id is None:
            continue
        file_id = backup_file_id(point_id)
        # in field order: id, backup_server_id, restore_point_id, creation_time, vm_name,
        # vm_display_name, full, hierarchy_obj_ref, backup_file_id
        tasks = [t for _, t in pairs if t.point_id is not None]
        if not tasks:
            continue
        sizes.append(sum([t.point_bytes for t in tasks]))
        made = added(run.start, run.id.int) if digits else run.start
        points.append(RestorePoint(
            id=point_id, name=stamp(made, fine=True) if fine else sql_time(made), backup_server_id=server,
            backup_id=backup, backup_date=made, backup_file_id=file_id,
        ))  # fmt: skip
        vm_points.extend([
            VmRestorePoint(
                t.point_id, server, point_id, added(t.start, t.id_bits) if digits else t.start, t.vm.name,
                t.vm.display_name, t.full, refs[t.vm.name], file_id, fine,
            )
            for t in tasks
        ])  # fmt: skip
    files = [  # a run's tasks are all fulls or all increments (Sunday's or not)
        backup_file(p.id, backup, server, job.name, p.backup_date, kind, size, is_full(p))
        for p, size in zip(points, sizes, strict=True)
    ]
    return points, vm_points, files


def catalogue_at(
    jobs: list[Job],
    kept: dict[UUID, list[tuple[Run, TaskRun]]],
    repositories: dict[UUID, Repository],
    refs: dict[UUID, dict[str, str]],
    instants: Instants = WHOLE_SECONDS,
) -> dict[str, dict[UUID, Any]]:
    """Every backup job's backup, restore points, VM restore points and backup files, by kind:
    backups in the jobs' order, points by time (ties in the jobs' order), files in their restore
    points' order (no sort of their own: a file's time is its restore point's); `refs` are each
    job's VMs' references (`vm_refs`)."""
    backups: list[Backup] = []
    points: list[RestorePoint] = []
    vm_points: list[VmRestorePoint] = []
    files: dict[UUID, BackupFile] = {}  # by restore point
    for job in jobs:
        if job.job_type is not JobType.Backup:
            continue
        backups.append(backup_of(job))
        repository = repositories.get(job.repository_id)
        kind = repository.kind if repository else None
        found, vms, written = catalogue_of(job, kept.get(job.id, []), kind, refs[job.id], instants)
        points.extend(reversed(found))  # oldest first: the sort below then merges ordered runs
        vm_points.extend(reversed(vms))
        files.update((f.restore_point_id, f) for f in written)
    points.sort(key=attrgetter("backup_date"))  # stable: ties stay in the jobs' order (a
    vm_points.sort(key=attrgetter("creation_time"))  # time alone sorts a million in a third of the time)
    return {
        "Backup": {b.id: b for b in backups},
        "RestorePoint": {p.id: p for p in points},
        "VmRestorePoint": {p.id: p for p in vm_points},
        "BackupFile": {p.backup_file_id: files[p.id] for p in points},
    }
