"""The backup servers' job and task sessions as EM shows them at the world's time.

Sessions are derived, not stored in a generated world's fixture: `refresh_jobs` draws each job's runs of the last
`HISTORY` (`mock_em.model.job_history`) and shows each as it stands at the world's time: a run
that has ended is `Stopped` with its result and `Progress` 100; one still going is `Working`
(`Starting` before its first task, `Stopping` after its last), `Result` `None`, no end time, its
progress the share of its time gone by; its tasks that have begun are `InProgress` (reading
`Success`, as EM shows them) or `Completed`. It runs whenever the world's time moves (at
generation, when the EM takes a world and when the clock runs it on), with the jobs' `NextRun`
and what their backups hold on their repositories.
"""

from __future__ import annotations

from collections.abc import Callable
from datetime import datetime
from operator import attrgetter
from typing import Any
from uuid import UUID
from weakref import ref

from mock_em.model.catalogue import catalogue_at, vm_refs
from mock_em.model.collector import collector_paused
from mock_em.model.entities import (
    BackupJobSession,
    BackupTaskSession,
    Job,
    JobType,
    ReplicaJobSession,
    ReplicaTaskSession,
    SessionResult,
    SessionState,
    TaskState,
)
from mock_em.model.instants import WHOLE_SECONDS, Instants
from mock_em.model.inventory import roots_of
from mock_em.model.job_events import quiet_until
from mock_em.model.job_history import Run, TaskRun, history, kept_tasks, vm_sizes
from mock_em.model.job_runs import JOB_KIND, refresh_next_runs
from mock_em.model.point_deletion import without_deleted
from mock_em.model.world import World

SESSION_KINDS = {JobType.Backup: ("BackupJobSession", "BackupTaskSession"),
                 JobType.Replica: ("ReplicaJobSession", "ReplicaTaskSession")}  # fmt: skip
MODELS = {JobType.Backup: (BackupJobSession, BackupTaskSession),
          JobType.Replica: (ReplicaJobSession, ReplicaTaskSession)}  # fmt: skip
REPOSITORY_KIND = "Repository"
COMPLETED = TaskState.Completed  # named once: a member's lookup through its enum is dear, per task


def session_of(
    job: Job, run: Run, now: datetime, kept: frozenset[UUID] = frozenset(), instants: Instants = WHOLE_SECONDS
) -> BackupJobSession:
    """The run as its job session shows it at `now`; once it has ended, it names the restore
    point it left while that point is `kept` (its `Related` link must resolve). Its times carry
    the fractions of a second its id draws where the release shows them (`instants`)."""
    model = MODELS[job.job_type][0]
    if now >= run.end:
        state, result, progress, end = SessionState.Stopped, run.result, 100, run.end
    else:
        first = min((t.start for t in run.tasks), default=run.start)  # a job may have no VMs
        last = max((t.end for t in run.tasks), default=run.start)
        state = SessionState.Starting if now < first else SessionState.Stopping if now >= last else SessionState.Working
        span = (run.end - run.start).total_seconds()
        progress = min(99, int(100 * (now - run.start).total_seconds() / span))
        result, end = SessionResult.None_, None
    point = run.restore_point_id if end is not None and run.restore_point_id in kept else None
    start, end = instants.span(run.start, end, run.id.int)
    return model(
        id=run.id, job_id=job.id, backup_server_id=job.backup_server_id, job_name=job.name,
        creation_time=start, end_time=end, result=result, job_type=job.job_type, state=state, progress=progress,
        is_retry=run.is_retry, restore_point_id=point, fine_name=instants.fine_names,
    )  # fmt: skip


def task_of(
    job: Job, run: Run, task: TaskRun, now: datetime, vm_uid: str = "", instants: Instants = WHOLE_SECONDS
) -> BackupTaskSession:
    """A task that has begun, as its task session shows it at `now`; `vm_uid` names its VM on its
    host (`vm_ref`); its times carry the fractions its id draws where the release shows them."""
    model = MODELS[job.job_type][1]
    if now >= task.end:
        state, result, end, reason, point = COMPLETED, task.result, task.end, task.reason, task.point_id
        size, held = task.total_size, task.point_bytes or task.replica_bytes
    else:
        state, result, end, reason, point = TaskState.InProgress, SessionResult.Success, None, "", None
        size, held = vm_sizes(job.id, task.vm.name)[0], 0  # the VM's size until the task ends (0 only if it fails)
    start, end = instants.span(task.start, end, task.id_bits)
    # in field order: id, job_id, backup_server_id, job_name, creation_time, end_time, result,
    # session_id, vm_name, vm_display_name, state, reason, total_size, point_id, vm_uid, fine_name, point_bytes
    return model(
        task.id, job.id, job.backup_server_id, job.name, start, end, result,
        run.id, task.vm.name, task.vm.display_name, state, reason, size, point, vm_uid, instants.fine_names, held,
    )  # fmt: skip


def sessions_at(
    world: World, now: datetime, kept: frozenset[UUID], refs: dict[UUID, dict[str, str]]
) -> dict[str, dict[UUID, Any]]:
    """Every job's sessions and task sessions at `now`, by kind, each kind by creation time;
    `kept` are the restore points the catalogue holds, `refs` each job's VMs' references
    (`catalogue.vm_refs`: its tasks' `VmUid`)."""
    found: dict[str, list[Any]] = {name: [] for pair in SESSION_KINDS.values() for name in pair}
    instants = world.instants
    for job in world.all(JOB_KIND).values():
        session_kind, task_kind = SESSION_KINDS[job.job_type]
        uid_of = refs[job.id]
        for run in history(job, now):
            found[session_kind].append(session_of(job, run, now, kept, instants))
            found[task_kind].extend(
                task_of(job, run, t, now, uid_of[t.vm.name], instants) for t in run.tasks if t.start <= now
            )
    by_kind = {}
    for name, objects in found.items():
        objects.sort(key=attrgetter("creation_time"))
        by_kind[name] = {o.id: o for o in objects}
    return by_kind


def refresh_jobs(world: World, at: datetime, *, taken_over: bool = False, if_due: bool = False) -> bool:
    """Bring the jobs to `at`: their `NextRun`, their sessions, their backup catalogue, and what their backups hold on
    their repositories (each repository's free space moves by what a job's backup grew or shrank
    by since last applied). Restore points the control plane deleted are left out of what the
    job's retention keeps (`point_deletion`). When the EM has just `taken_over` a world (a fixture, a snapshot), its
    free space is taken as current: the backups' sizes are noted, not applied, and the world
    does not count as changed. Returns whether anything changed. (The collector is paused
    meanwhile: a big world's catalogue is millions of new objects.)

    `if_due` (the clock running the world on): skip the work when nothing can have changed since
    the last refresh of this world (`job_events.quiet_until`) and its jobs are the same ones.
    Every other caller has just changed the jobs or the world, and refreshes in full.

    A recorded world (`World.recorded`: an import's) keeps what its source showed, the sessions,
    the catalogue, each job's `NextRun` and the repositories' free space, whatever the time:
    nothing of it is drawn, so nothing changes."""
    if world.recorded:
        return False
    jobs = world.all(JOB_KIND)
    known = _QUIET.get(id(world))
    same_jobs = known is not None and known[0]() is world and known[1:3] == (id(jobs), len(jobs))
    if if_due and same_jobs and known[3] <= at < known[4]:  # type: ignore[index]
        return False
    with collector_paused():
        changed = _refresh(world, at, taken_over)
    if len(_QUIET) >= 64:
        _QUIET.clear()  # worlds come and go (regenerations, tests): a bound, not a register
    _QUIET[id(world)] = (ref(world), id(jobs), len(jobs), at, quiet_until(jobs.values(), at))
    return changed


# by the world's id: the world, its jobs (by identity and count), when last refreshed and until
# when nothing changes
_QUIET: dict[int, tuple[Callable[[], World | None], int, int, datetime, datetime]] = {}


def _refresh(world: World, at: datetime, taken_over: bool) -> bool:
    changed = refresh_next_runs(world, at, taken_over=True) > 0
    jobs = list(world.all(JOB_KIND).values())
    kept = {job.id: without_deleted(job, kept_tasks(job, at)) for job in jobs}
    repositories = world.all(REPOSITORY_KIND)
    roots = roots_of(world)
    refs = {job.id: vm_refs(job, roots) for job in jobs}  # the VMs named on their roots, once
    derived = catalogue_at(jobs, kept, repositories, refs, world.instants)
    derived.update(sessions_at(world, at, frozenset(derived["RestorePoint"]), refs))
    for name, objects in derived.items():
        if list(world.store[name].items()) != list(objects.items()):
            world.store[name] = objects
            changed = True
    for job in jobs:
        held = sum(task.point_bytes for _, task in kept[job.id])
        if held != job.backup_bytes:
            repository = repositories.get(job.repository_id)
            if not taken_over and repository is not None and repository.free_space != -1:
                repository.free_space -= held - job.backup_bytes
            job.backup_bytes = held
            changed = True
    if changed and not taken_over:
        world.changed()
    return changed
