"""Deleting restore points and backup files from a backup (the control plane's
`DELETE /mock/world/restorePoints/{id}` and `/backupFiles/{id}`), as "Delete from disk" does.

A deletion is kept on the job (`Job.deleted_points`, the restore points' ids, in fixtures as
`DeletedPoints`), never on the derived catalogue: `refresh_jobs` takes the points the job's
retention keeps (`job_history.kept_tasks`, whose draws stay cached) and leaves out the deleted
ones, so a deleted point stays deleted as the clock runs on, in every worker and after a snapshot.
A deleted point still counts towards its VMs' `Retention`: deleting a point brings no older one
back, as on a real repository.

A restore point and its file go together. A full (`vbk`) takes with it the increments that depend
on it: the backup's points after it up to its next full (mock-em takes each increment to depend
on the full before it alone).
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from uuid import UUID

from mock_em.model.backup_files import VBK
from mock_em.model.entities import BackupFile, Job, RestorePoint
from mock_em.model.job_history import Run, TaskRun
from mock_em.model.world import World


def without_deleted(job: Job, kept: list[tuple[Run, TaskRun]]) -> list[tuple[Run, TaskRun]]:
    """The kept points less those of the restore points deleted from the job's backup."""
    if not job.deleted_points:
        return kept
    gone = set(job.deleted_points)
    return [(run, task) for run, task in kept if run.restore_point_id not in gone]


@dataclass(frozen=True, slots=True)
class Deletion:
    """What deleting one restore point (or its file) removes from its job's backup."""

    job: Job
    points: tuple[RestorePoint, ...]
    files: tuple[BackupFile, ...]
    vm_points: int

    @property
    def freed(self) -> int:
        """The bytes the repository gets back."""
        return sum(f.backup_size for f in self.files)

    def counts(self) -> dict[str, int]:
        """The control plane's answer's counts."""
        return {
            "restorePointsRemoved": len(self.points),
            "vmRestorePointsRemoved": self.vm_points,
            "backupFilesRemoved": len(self.files),
            "bytesFreed": self.freed,
        }


def deletion_of(world: World, point: RestorePoint) -> Deletion:
    """What deleting `point` removes: it and its file, and after a full the increments up to the
    backup's next full."""
    files = world.all("BackupFile")
    backup = world.all("Backup")[point.backup_id]
    job = world.all("Job")[backup.job_id]
    chain = sorted(
        (p for p in world.all("RestorePoint").values() if p.backup_id == point.backup_id),
        key=lambda p: (p.backup_date, p.id),
    )
    doomed = [point]
    if _file_of(files, point).file_type == VBK:
        for later in chain[chain.index(point) + 1 :]:
            if _file_of(files, later).file_type == VBK:
                break
            doomed.append(later)
    ids = {p.id for p in doomed}
    vm_points = sum(1 for v in world.all("VmRestorePoint").values() if v.restore_point_id in ids)
    return Deletion(job, tuple(doomed), tuple(_file_of(files, p) for p in doomed), vm_points)


def _file_of(files: dict[UUID, BackupFile], point: RestorePoint) -> BackupFile:
    return files[point.backup_file_id]  # type: ignore[index]


def delete(deletion: Deletion) -> None:
    """Keep the deletion on the job (the caller shows the catalogue anew)."""
    deletion.job.deleted_points.extend(_new(deletion.job, (p.id for p in deletion.points)))


def _new(job: Job, ids: Iterable[UUID]) -> list[UUID]:
    known = set(job.deleted_points)
    return [i for i in ids if i not in known]
