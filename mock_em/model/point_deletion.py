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

A recorded world (`World.recorded`) draws no catalogue to leave the points out of: there the
deletion removes the restore points, their VM points and files from the world itself, its
sessions stop naming them (no `Related` link, no point left by their tasks, so the summary report
counts them no more) and the repository gets the files' bytes back, as in a generated world.
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
    recorded: World | None = None  # the recorded world it removes them from (None: a generated one)

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
    kept_files = tuple(_file_of(files, p) for p in doomed)
    return Deletion(job, tuple(doomed), kept_files, vm_points, world if world.recorded else None)


def _file_of(files: dict[UUID, BackupFile], point: RestorePoint) -> BackupFile:
    return files[point.backup_file_id]  # type: ignore[index]


def delete(deletion: Deletion) -> None:
    """Keep the deletion on the job (the caller shows the catalogue anew); in a recorded world,
    remove what it takes from the world (`_remove_recorded`)."""
    deletion.job.deleted_points.extend(_new(deletion.job, (p.id for p in deletion.points)))
    if deletion.recorded is not None:
        _remove_recorded(deletion.recorded, deletion)


def _remove_recorded(world: World, deletion: Deletion) -> None:
    """The points, their VM points and files leave the recorded world; the job sessions that left
    them name them no more, nor do those sessions' tasks; the repository gets the bytes back."""
    ids = {p.id for p in deletion.points}
    for point_id in ids:
        del world.store["RestorePoint"][point_id]
    for file in deletion.files:
        del world.store["BackupFile"][file.id]
    vm_points = world.store["VmRestorePoint"]
    gone = {v.id for v in vm_points.values() if v.restore_point_id in ids}
    for vm_point_id in gone:
        del vm_points[vm_point_id]
    sessions: set[UUID] = set()
    for kind in ("BackupJobSession", "ReplicaJobSession"):
        for session in world.all(kind).values():
            if session.restore_point_id in ids:
                session.restore_point_id = None
                sessions.add(session.id)
    for kind in ("BackupTaskSession", "ReplicaTaskSession"):
        for task in world.all(kind).values():
            if task.point_id is not None and (task.session_id in sessions or task.point_id in gone):
                task.point_id = None
    repository = world.all("Repository").get(deletion.job.repository_id)
    if repository is not None and repository.free_space != -1:
        repository.free_space += deletion.freed


def _new(job: Job, ids: Iterable[UUID]) -> list[UUID]:
    known = set(job.deleted_points)
    return [i for i in ids if i not in known]
