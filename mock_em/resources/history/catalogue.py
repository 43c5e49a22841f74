"""Readers of the backup catalogue (`mock-em import`): the inverse of the values and links of
`backups`, `restore_points`, `backup_files` and `vm_restore_points`, making a recorded world's
catalogue (`World.recorded`).

The entities show most of what the model keeps; what they link only through a list is recovered
once all are read (`complete_catalogue`):

* a backup shows no job: its job is the one whose backup it is (mock-em names a job's backup
  `uuid5(job id, "Backup")`), else the job of its name on its backup server; a backup of no job
  the source showed (an agent's, an imported one) is left out with the objects in it;
* a restore point and its file name each other through lists only (`/restorePoints/{id}/backupFiles`,
  `/backupFiles/{id}/restorePoints`): a point's file is `uuid5(point id, "BackupFile")` where the
  source is a mock-em, else the file of its backup made when the point was (a file's
  `CreationTimeUtc` is its point's `BackupDateUTC`); its VM points are in that file.
"""

from __future__ import annotations

import dataclasses
from typing import Any
from uuid import UUID

from mock_em.importer.entity import Entity, Found, Reading, Unreadable
from mock_em.model.backup_files import backup_file_id
from mock_em.model.catalogue import backup_id
from mock_em.model.entities import Backup, BackupFile, Job, Platform, RestorePoint, VmRestorePoint
from mock_em.resources.history.common import fine_name, real, text, time_of, whole
from mock_em.resources.managed_servers import server_of

FULL = "Full"


def read_backup(entity: Entity, reading: Reading) -> Backup:
    """A backup, on its repository (Up) and server, of the job whose backup it is."""
    obj_id = entity.id
    server = server_of(entity)
    repository = entity.up("RepositoryReference")
    jobs = reading.of("Job")
    job = _by_backup(jobs).get(obj_id) or next(
        (j for j in jobs.values() if j.name == entity.name and j.backup_server_id == server), None
    )
    if job is None:
        raise Unreadable(f"no job the source showed made the backup {entity.name!r}")
    return Backup(
        id=obj_id, name=entity.name, backup_server_id=server, job_id=job.id, repository_id=repository,
        platform=entity.member("Platform", Platform),
    )  # fmt: skip


def _by_backup(jobs: dict[UUID, Job]) -> dict[UUID, Job]:
    """The jobs by the id mock-em gives their backup, worked out once per jobs read (the last
    asked is kept: one import reads every backup against the same jobs)."""
    known, size, found = _BY_BACKUP
    if known is not jobs or size != len(jobs):
        found = {backup_id(job_id): job for job_id, job in jobs.items()}
        _BY_BACKUP[:] = [jobs, len(jobs), found]
    return found  # type: ignore[no-any-return]


_BY_BACKUP: list[Any] = [None, 0, {}]  # the jobs asked last, how many, and them by backup


def read_restore_point(entity: Entity, reading: Reading) -> RestorePoint:
    """A restore point in its backup (Up), made at `BackupDateUTC`; its file found later."""
    return RestorePoint(
        id=entity.id, name=entity.name, backup_server_id=server_of(entity),
        backup_id=entity.up("BackupReference"), backup_date=time_of(entity, "BackupDateUTC"),
    )  # fmt: skip


def read_backup_file(entity: Entity, reading: Reading) -> BackupFile:
    """A backup file of its backup (Up); the restore point it holds is found once all are read."""
    return BackupFile(
        id=entity.id, name=entity.name, backup_server_id=server_of(entity), backup_id=entity.up("BackupReference"),
        restore_point_id=None,  # type: ignore[arg-type]  # `complete_catalogue` names it
        file_path=text(entity, "FilePath"), backup_size=whole(entity, "BackupSize"),
        data_size=whole(entity, "DataSize"), deduplication_ratio=real(entity, "DeduplicationRatio", 1.0),
        compress_ratio=real(entity, "CompressRatio", 1.0), creation_time=time_of(entity, "CreationTimeUtc"),
        file_type=text(entity, "FileType"),
    )  # fmt: skip


def read_vm_restore_point(entity: Entity, reading: Reading) -> VmRestorePoint:
    """A VM's point in its restore point (Up): a full where its `PointType` says so."""
    vm_name = text(entity, "VmName") or entity.name.rpartition("@")[0]
    return VmRestorePoint(
        entity.id, server_of(entity), entity.up("RestorePointReference"), time_of(entity, "CreationTimeUTC"),
        vm_name, text(entity, "VmDisplayName") or vm_name, entity.get("PointType") == FULL,
        text(entity, "HierarchyObjRef"), None, fine_name(entity),
    )  # fmt: skip


def complete_catalogue(found: Found, reading: Reading) -> None:
    """Each restore point's file, each file's restore point and each VM point's file (the
    module's docstring says how); a file holding no point the source showed keeps none, and
    is left out as dangling."""
    files: dict[UUID, Any] = found.get("BackupFile", {})
    by_time = {(f.backup_id, f.creation_time): f for f in files.values()}
    point_of_file: dict[UUID, UUID] = {}
    for point in found.get("RestorePoint", {}).values():
        file = files.get(backup_file_id(point.id))
        if file is None or file.backup_id != point.backup_id:
            file = by_time.get((point.backup_id, point.backup_date))
        if file is not None and file.id not in point_of_file:
            point.backup_file_id = file.id
            point_of_file[file.id] = point.id
    for file_id, file in files.items():
        if file.restore_point_id is None and file_id in point_of_file:
            files[file_id] = dataclasses.replace(file, restore_point_id=point_of_file[file_id])
    points = found.get("RestorePoint", {})
    for vm_point in found.get("VmRestorePoint", {}).values():
        parent = points.get(vm_point.restore_point_id)
        vm_point.backup_file_id = parent.backup_file_id if parent is not None else None
