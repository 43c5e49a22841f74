"""What the summary report says of the VMs the backup servers' jobs protect, and of the restore
points those jobs leave (em-api-monitoring.md §1.3): worked out from the jobs' runs
(`mock_em.model.job_history`), pure functions of the world and an instant.

A VM is known by its backup server and its name (two servers may both hold an `exch01`; one VM in
a backup job and a replication job of its server is one VM). A restore point exists from the end
of the task that leaves it: a task that has not ended by the instant has left nothing yet.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass, field
from datetime import UTC, date, datetime, timedelta
from uuid import UUID

from mock_em.model.entities import Job, JobType, SessionResult
from mock_em.model.job_history import TaskRun, history, runs_on, vm_sizes

JOB_KIND = "Job"
DAY = timedelta(days=1)
# How far back a job's points are looked for: as far as `job_history.kept_points` looks, so a VM
# whose job has not run for weeks still holds the points its retention keeps.
LOOKBACK_DAYS = 62

VmKey = tuple[UUID, str]  # (backup server id, VM name)


@dataclass(slots=True)
class VmState:
    """One VM as the report sees it: its latest finished task (of any of its jobs) and latest
    finished backup task, as (end, result); whether a backup job or a replication job holds a
    point of it; its provisioned size (from the first job in store order that holds a point)."""

    latest: tuple[datetime, SessionResult] | None = None
    latest_backup: tuple[datetime, SessionResult] | None = None
    backed_up: bool = False
    replicated: bool = False
    provisioned: int = 0

    @property
    def protected(self) -> bool:
        """A backup or a replica point of it exists."""
        return self.backed_up or self.replicated


def _later(known: tuple[datetime, SessionResult] | None, task: TaskRun) -> tuple[datetime, SessionResult]:
    """The later of a known (end, result) and a task's."""
    return known if known is not None and known[0] >= task.end else (task.end, task.result)


def job_vms(job: Job, at: datetime) -> tuple[dict[str, TaskRun], set[str]]:
    """Walking the job's runs back from `at`, day by day: each VM's latest task that had ended by
    `at`, and the VMs of which the job holds a restore point (a task that ended well, while the job
    keeps any points at all: `retention`). The walk stops a day after every VM is found (a retry of
    the day before may end after the day's first run), or `LOOKBACK_DAYS` back."""
    names = {vm.name for vm in job.vms}
    latest: dict[str, TaskRun] = {}
    held: set[str] = set()
    keeps = job.retention > 0
    day, oldest = at.date(), at.date() - timedelta(days=max(LOOKBACK_DAYS, 2 * job.retention))
    settled = False
    while day >= oldest:
        for run in runs_on(job, day):
            for task in run.tasks:
                if task.end > at or task.vm.name not in names:
                    continue
                name = task.vm.name
                known = latest.get(name)
                if known is None or task.end > known.end:
                    latest[name] = task
                if keeps and task.point_id is not None:
                    held.add(name)
        if settled:
            break
        settled = len(latest) == len(names) and (not keeps or len(held) == len(names))
        day -= DAY
    return latest, held


def vm_states(jobs: Iterable[Job], at: datetime) -> dict[VmKey, VmState]:
    """Every VM of every job (in store order), with what its jobs did by `at`."""
    states: dict[VmKey, VmState] = {}
    for job in jobs:
        latest, held = job_vms(job, at)
        backup = job.job_type is JobType.Backup
        for vm in job.vms:
            state = states.setdefault((job.backup_server_id, vm.name), VmState())
            task = latest.get(vm.name)
            if task is not None:
                state.latest = _later(state.latest, task)
                if backup:
                    state.latest_backup = _later(state.latest_backup, task)
            if vm.name in held:
                if not state.protected:
                    state.provisioned = vm_sizes(job.id, vm.name)[0]
                if backup:
                    state.backed_up = True
                else:
                    state.replicated = True
    return states


@dataclass(slots=True)
class PointsMade:
    """The VM restore points the jobs left in a period, and per day of the last days: how many,
    their sizes (a backup point's `point_bytes`, full or increment; a replica point's
    `replica_bytes`), and the distinct VMs that got a backup or a replica point each day."""

    count: int = 0
    full_bytes: int = 0
    incremental_bytes: int = 0
    replica_bytes: int = 0
    backed_up_by_day: dict[date, set[VmKey]] = field(default_factory=dict)
    replicated_by_day: dict[date, set[VmKey]] = field(default_factory=dict)


def points_made(jobs: Iterable[Job], at: datetime, period: timedelta, days: int) -> PointsMade:
    """The points whose tasks ended in (`at` − `period`, `at`], and the VMs that got one on each of
    the `days` UTC days up to `at`'s (today first), from the runs EM shows at `at`; a restore point
    deleted from its backup (`Job.deleted_points`) counts no more, as the backup files no longer
    hold it."""
    days_shown = [at.date() - DAY * i for i in range(days)]
    made = PointsMade(backed_up_by_day={d: set() for d in days_shown}, replicated_by_day={d: set() for d in days_shown})
    since = at - period
    first = datetime.combine(days_shown[-1], datetime.min.time(), UTC) if days_shown else at
    for job in jobs:
        replica = job.job_type is JobType.Replica
        by_day = made.replicated_by_day if replica else made.backed_up_by_day
        deleted = set(job.deleted_points)
        for run in history(job, at):
            if deleted and run.restore_point_id in deleted:
                continue  # the control plane deleted it from the backup: no point to count
            for task in run.tasks:
                if task.point_id is None or task.end > at:
                    continue
                if task.end > since:
                    made.count += 1
                    if replica:
                        made.replica_bytes += task.replica_bytes
                    elif task.full:
                        made.full_bytes += task.point_bytes
                    else:
                        made.incremental_bytes += task.point_bytes
                bucket = by_day.get(task.end.astimezone(UTC).date()) if task.end >= first else None
                if bucket is not None:
                    bucket.add((job.backup_server_id, task.vm.name))
    return made
