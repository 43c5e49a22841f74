"""A backup job's backup files (`/api/backupFiles`): one file per restore point, as VBR writes a
per-job chain by default. Sunday's synthetic full is a `.vbk`, every other run's point an
increment `.vib`, named as the vendor names them, `<job>D<yyyy-MM-ddTHHmmss>.<ext>` of the run's
start (`Webserver BackupD2025-09-21T180331.vib`; mock-em's times are UTC).

A file's `BackupSize` is the bytes its kept VM points take (`TaskRun.point_bytes`), so a backup's
files add up to what its job holds on the repository (`Job.backup_bytes`, in the repository's
`Capacity − FreeSpace`). Its `DataSize` is the source data read into it, before the 2:1 reduction
the model's points take (a synthetic full keeps half its VMs' used data): twice `BackupSize`. The
reduction splits into `DeduplicationRatio` × `CompressRatio`, the share drawn from the file's id
alone. A VM point adds its bytes to one sum; a file is made once per restore point and kept
while what it holds stays, so a million VM points cost little more than without files.
"""

from __future__ import annotations

from datetime import datetime
from functools import lru_cache
from uuid import UUID, uuid5

from mock_em.model.entities import BackupFile, RepositoryKind

VBK, VIB = "vbk", "vib"
KEPT = 1 << 19  # files (and their ids) kept made: more than the restore points of a million VM points
REDUCTION = 2  # source data over bytes kept: a synthetic full keeps half its VMs' used data
# Repositories whose files have Windows paths (a scale-out repository's extents, here Windows
# servers; an SMB share by its UNC path); the others are Linux servers or appliances.
WINDOWS_ROOTS = {
    RepositoryKind.WindowsLocal: "E:\\Backups",
    RepositoryKind.Extendable: "E:\\Backups",
    RepositoryKind.CifsShare: "\\\\nas01\\Backups",
}
LINUX_ROOT = "/mnt/backups"


@lru_cache(maxsize=KEPT)
def backup_file_id(restore_point_id: UUID) -> UUID:
    """The file holding a restore point: one per point, never moving (kept: a point is shown on
    every refresh of its retention's weeks, and a name-based UUID is dear to make)."""
    return uuid5(restore_point_id, "BackupFile")


def file_name(job_name: str, start: datetime, full: bool) -> str:
    """The vendor's name of a run's file: the job's name, `D`, the run's start, the extension."""
    return f"{job_name}D{start:%Y-%m-%dT%H%M%S}.{VBK if full else VIB}"


def file_path(kind: RepositoryKind | None, job_name: str, name: str) -> str:
    """Where the file is on its repository: in a folder named as the job, as VBR lays it out."""
    root = WINDOWS_ROOTS.get(kind) if kind is not None else None
    if root is not None:
        return f"{root}\\{job_name}\\{name}"
    return f"{LINUX_ROOT}/{job_name}/{name}"


@lru_cache(maxsize=KEPT)
def backup_file(
    point_id: UUID, backup_id: UUID, server_id: UUID, job_name: str, start: datetime,
    kind: RepositoryKind | None, backup_size: int, full: bool,
) -> BackupFile:  # fmt: skip
    """The file of one restore point holding `backup_size` bytes of VM points. Kept made: the
    same point shows the same file on every refresh until retention or a deletion changes what
    it holds (the catalogue treats its objects as read-only)."""
    file_id = backup_file_id(point_id)
    name = file_name(job_name, start, full)
    dedup = 1.0 + (file_id.int % 4096) / 8192  # 1.0 to 1.5: the share of the reduction deduplication takes
    return BackupFile(
        id=file_id, name=name, backup_server_id=server_id, backup_id=backup_id, restore_point_id=point_id,
        file_path=file_path(kind, job_name, name), backup_size=backup_size,
        data_size=REDUCTION * backup_size, deduplication_ratio=round(dedup, 2),
        compress_ratio=round(REDUCTION / dedup, 2), creation_time=start,
        file_type=VBK if full else VIB,
    )  # fmt: skip
