"""Readers of the job sessions and task sessions (`mock-em import`): the inverse of
`job_session_families`' values and links, making a recorded world's sessions (`World.recorded`).

A job session shows all it is: its job (`JobUid`, `JobName`), times, state, result, progress,
retry, its backup server (Up) and the restore point it left (its `Related` link, while that point
is kept). A task session shows less than the model keeps, and the rest is recovered so that the
world shows the same again:

* its job and job name are its job session's (`JobSessionUid`);
* `vm_name` (the VM as its job names it; the wire shows the display name alone) is the job's VM
  of that display name, else the display name;
* `point_id`, the VM restore point it left (shown by no entity), is the catalogue's VM point of
  that VM made when the task began (a VM point's `CreationTimeUTC` is its task's); a task that
  ended well whose point the catalogue no longer keeps left one no entity shows, and is given the
  id `uuid5(task id, "VmRestorePoint")`: the summary report counts it, as the source's did;
* `point_bytes`, what that point holds, is shown by no entity either: a kept point takes an equal
  share of its file's `BackupSize` (a file holds its restore point's VM points), any other 0, so an
  imported world's report sizes are the source's only as far as its files tell them;
* `VmUid` (10 and later) is read as shown; before 10 no entity shows it, and it is the VM's
  `HierarchyObjRef` on its VM points, else the reference mock-em gives the VM on its host
  (`inventory.vm_ref`), so that the world serves the same were it served as a later release.
"""

from __future__ import annotations

from typing import Any
from uuid import UUID, uuid5

from mock_em.importer.entity import Entity, Found, Reading, Reads, Unreadable
from mock_em.model.entities import JobType, SessionResult, SessionState, TaskState
from mock_em.model.inventory import ROOT_KIND, root_index, vm_ref
from mock_em.resources.history.common import fine_name, text, time_of, whole
from mock_em.resources.managed_servers import server_of

RESTORE_POINT_LINK = "RestorePointReference"
NO_JOB = UUID(int=0)  # a task whose job session the source did not show (left out: its session dangles)


def session_reader(model: type) -> Reads:
    """The reader of one job type's sessions (`BackupJobSession`, `ReplicaJobSession`)."""

    def reads(entity: Entity, reading: Reading) -> Any:
        job_id = entity.uid("JobUid")
        if job_id is None:
            raise Unreadable(f"{entity.name!r} lacks JobUid")
        point = entity.link_id(RESTORE_POINT_LINK, "Related")
        return model(
            id=entity.id, job_id=job_id, backup_server_id=server_of(entity), job_name=text(entity, "JobName"),
            creation_time=time_of(entity, "CreationTimeUTC"), end_time=entity.time("EndTimeUTC"),
            result=entity.member("Result", SessionResult), job_type=entity.member("JobType", JobType),
            state=entity.member("State", SessionState), progress=whole(entity, "Progress"),
            is_retry=bool(entity.get("IsRetry", False)), restore_point_id=point, fine_name=fine_name(entity),
        )  # fmt: skip

    return reads


def task_reader(model: type, session_kind: str) -> Reads:
    """The reader of one job type's task sessions; `session_kind` is its job sessions' kind."""

    def reads(entity: Entity, reading: Reading) -> Any:
        session_id = entity.uid("JobSessionUid")
        if session_id is None:
            raise Unreadable(f"{entity.name!r} lacks JobSessionUid")
        session = reading.of(session_kind).get(session_id)
        display = text(entity, "VmDisplayName") or entity.name.rpartition("@")[0]
        return model(
            entity.id, session.job_id if session else NO_JOB, server_of(entity), session.job_name if session else "",
            time_of(entity, "CreationTimeUTC"), entity.time("EndTimeUTC"), entity.member("Result", SessionResult),
            session_id, display, display, entity.member("State", TaskState), text(entity, "Reason"),
            whole(entity, "TotalSize"), None, text(entity, "VmUid"), fine_name(entity),
        )  # fmt: skip

    return reads


ENDED_WELL = (SessionResult.Success, SessionResult.Warning)
TASK_KINDS = ("BackupTaskSession", "ReplicaTaskSession")


def complete_tasks(found: Found, reading: Reading) -> None:
    """Once the jobs and the catalogue are read: each task's VM name, the point it left and what
    that point holds (the module's docstring says how)."""
    jobs = found.get("Job", {})
    names = {job.id: {vm.display_name: vm.name for vm in job.vms} for job in jobs.values()}
    vm_points = found.get("VmRestorePoint", {})
    made = {(p.backup_server_id, p.vm_display_name, p.creation_time): p for p in vm_points.values()}
    refs = {(p.backup_server_id, p.vm_name): p.hierarchy_obj_ref for p in vm_points.values()}
    roots = root_index(found.get(ROOT_KIND, {}))
    shares = _shares(found)
    for kind in TASK_KINDS:
        for task in found.get(kind, {}).values():
            task.vm_name = names.get(task.job_id, {}).get(task.vm_display_name, task.vm_display_name)
            job = jobs.get(task.job_id)
            if not task.vm_uid and job is not None:
                ref = refs.get((task.backup_server_id, task.vm_name))
                task.vm_uid = ref or vm_ref(job.backup_server_id, job.platform, task.vm_name, roots)
            point = made.get((task.backup_server_id, task.vm_display_name, task.creation_time))
            if point is not None:
                task.point_id, task.point_bytes = point.id, shares.get(point.id, 0)
            elif task.state is TaskState.Completed and task.result in ENDED_WELL:
                task.point_id = uuid5(task.id, "VmRestorePoint")


def _shares(found: Found) -> dict[UUID, int]:
    """Each VM point's equal share of its file's `BackupSize` (the remainder to the first)."""
    by_file: dict[UUID, list[UUID]] = {}
    for point in found.get("VmRestorePoint", {}).values():
        if point.backup_file_id is not None:
            by_file.setdefault(point.backup_file_id, []).append(point.id)
    files = found.get("BackupFile", {})
    shares: dict[UUID, int] = {}
    for file_id, points in by_file.items():
        file = files.get(file_id)
        if file is None:
            continue
        each, left = divmod(file.backup_size, len(points))
        for i, point_id in enumerate(points):
            shares[point_id] = each + (left if i == 0 else 0)
    return shares
