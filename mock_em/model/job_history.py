"""What the backup servers' jobs did, as pure functions of the job and the day.

A job's runs are never stored: like a tenant's replica points (`mock_em.model.schedule`), each
run is drawn from an RNG seeded with the job and the run's scheduled start alone, so a world
generated at T0 and run on to T1 holds exactly the sessions a world generated at T1 holds, and
the answer never depends on the order of calls.

A run is one job session and one task per VM (em-api-monitoring.md §2.5 and §8): it starts 2 to
20 seconds after its scheduled minute, processes two VMs at a time, and ends when the last task
has ended and the job has tidied up. Most tasks succeed, 5 % end with a warning and 2 % fail (the
job's `failure_rate`, which demo mode raises); a run with a failed task is retried 5 to 10
minutes after it ends, for the failed VMs only, at most three times. A task that succeeds (or
warns) leaves one VM restore point of `point_bytes` in the job's backup: a synthetic full on
Sundays (half the VM's used data), an increment of 1 to 5 % of it on other days; a failed task
leaves none and reads `TotalSize` 0.

The control plane's edits of a job (`RunEdit`) are part of the job, so they replay alike: a
forced result for the run at a scheduled start, a run started by hand at an instant, a run
stopped at an instant.
"""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass
from datetime import UTC, date, datetime, timedelta
from typing import Any, NamedTuple
from uuid import UUID

from mock_em.model.day_random import DayRandom
from mock_em.model.entities import Job, JobSchedule, JobType, RunAction, SessionResult, Vm
from mock_em.model.ids import guid, guid_of

HISTORY = timedelta(days=8)  # sessions EM keeps to show: processed_vms's week and a day (§8)
DAY = timedelta(days=1)
GIB = 1024**3
SLOTS = 2  # tasks a run processes at once
MAX_RETRIES = 3
WARNING_ODDS = 0.05  # a task ends with a warning (and fails as often as its job's `failure_rate` says)
RETRY_FAILED_ODDS = 0.25  # a retried task fails again
LONGEST_RUN = timedelta(hours=12)  # no run lasts longer: how far back a run can still be going

ERRORS = (  # what follows `Processing <vm> Error: ` in a failed task's Reason
    "Failed to create VM snapshot: failed to quiesce the virtual machine.",
    "NFC storage connection is unavailable. Storage: [stg:datastore-2011]",
    "Failed to open VDDK disk [[datastore1] {vm}/{vm}.vmdk] ( is read-only mode - [true] )",
    "Cannot connect to the backup repository: the network path was not found.",
)
WARNINGS = (
    "Changed block tracking cannot be enabled: one or more snapshots present.",
    "Failed to truncate transaction logs for SQL instances: MSSQLSERVER. Possible reasons: lack of permissions.",
    "Virtual machine is running low on disk space: C:\\ has 4 % free.",
)
# A task's block (`DayRandom.side_bits`): bits 0-127 its id, 128-255 its point's id, 256-266 its
# start's offset, 267-319 and 331-383 the draws of its result and its increment's share, 384-415
# its duration, 416-447 the text of its warning or error.
TASK_BYTES = 56
MASK_53, MASK_128, TWO_TO_MINUS_53 = (1 << 53) - 1, (1 << 128) - 1, 2.0**-53
SECONDS = tuple(timedelta(seconds=n) for n in range(1801))  # a task's offsets and durations, made once
_new_tuple = tuple.__new__  # a `TaskRun` made from its fields without a call of its `__new__`
# read once: an enum's member costs a lookup through its class each time it is named, and the
# draws below name them for each of a million tasks
SUCCESS, FAILED = SessionResult.Success, SessionResult.Failed
STOPPED = "Job has been stopped by user"
FORCED_FAILURE = "Cannot connect to the backup repository: the network path was not found."
FORCED_WARNING = "Changed block tracking cannot be enabled: one or more snapshots present."


class TaskRun(NamedTuple):
    """One VM's task in a run, as it ends. `point_id` is the VM restore point it leaves (None when
    it failed), `point_bytes` what that point adds to the backup on the repository (0 for a
    replica job's: its points are on the DR host), `full` whether it is a full (Sunday's
    synthetic full) or an increment, `replica_bytes` what a replica job's point holds on its DR
    host (the blocks the run changed: 1 to 5 % of the VM's used data, the share a backup increment
    takes; 0 for a backup job's task and for one that failed). A named tuple, not a dataclass:
    a world of a million VM restore points makes a million of these, and a tuple is made fastest
    (`_run` makes them with `tuple.__new__`, in field order). Its id is kept as its 128 bits and
    made a GUID when read: only the tasks of the last days have task sessions that show it."""

    id_bits: int
    vm: Vm
    start: datetime
    end: datetime
    result: SessionResult
    reason: str
    total_size: int
    point_id: UUID | None
    point_bytes: int
    full: bool = False
    replica_bytes: int = 0

    @property
    def id(self) -> UUID:
        """The task session's id."""
        return guid_of(self.id_bits)


@dataclass(frozen=True, slots=True)
class Run:
    """One job session from start to end, with its tasks. `restore_point_id` is the restore point
    the run leaves when at least one task succeeded; `stopped`: ended by hand at `end`."""

    id: UUID
    job_id: UUID
    start: datetime
    end: datetime
    is_retry: bool
    tasks: tuple[TaskRun, ...]
    restore_point_id: UUID | None
    stopped: bool = False

    @property
    def result(self) -> SessionResult:
        """The worst of its tasks' results (a stopped run failed)."""
        if self.stopped:
            return SessionResult.Failed
        return worst(t.result for t in self.tasks)


def worst(results: Iterator[SessionResult] | tuple[SessionResult, ...]) -> SessionResult:
    """Failed over Warning over Success (a run without tasks counts as a success)."""
    found = set(results)
    for result in (SessionResult.Failed, SessionResult.Warning):
        if result in found:
            return result
    return SessionResult.Success


# -- a VM's sizes ------------------------------------------------------------------------------


def vm_sizes(job_id: UUID, vm_name: str) -> tuple[int, int]:
    """A VM's provisioned disks (40 to 500 GiB, whole GiB, as `TotalSize` shows them) and the
    data used on them (40 to 80 %), drawn from the job and the VM's name alone (and kept)."""
    sizes = _sizes_of(job_id)
    found = sizes.get(vm_name)
    if found is None:
        rng = DayRandom(f"{job_id}:{vm_name}:size")
        provisioned = rng.randint(40, 500) * GIB
        found = sizes[vm_name] = provisioned, int(provisioned * rng.uniform(0.4, 0.8))
    return found


def _sizes_of(job_id: UUID) -> dict[str, tuple[int, int]]:
    """The job's VMs' `vm_sizes` found so far, by name: a run reads them without hashing the
    job's id once per VM."""
    found = _SIZES.get(job_id)
    if found is None:
        if len(_SIZES) >= _DAYS_KEPT:
            _SIZES.clear()
        found = _SIZES[job_id] = {}
    return found


_SIZES: dict[UUID, dict[str, tuple[int, int]]] = {}


# -- the runs of a day ---------------------------------------------------------------------------


def scheduled_starts(schedule: JobSchedule, day: date) -> list[datetime]:
    """The scheduled starts on `day` (UTC): none for a job without an enabled schedule."""
    if not (schedule.configured and schedule.enabled):
        return []
    midnight = datetime(day.year, day.month, day.day, tzinfo=UTC)
    step = schedule.every_hours or 24
    return [midnight + timedelta(hours=h, minutes=schedule.minute) for h in range(schedule.hour % step, 24, step)]


def job_key(job: Job) -> tuple:
    """What a job's runs depend on (a job is mutable, so its runs are cached by this value)."""
    s = job.schedule
    vms = tuple((vm.name, vm.display_name) for vm in job.vms)
    edits = tuple((e.action, e.at, e.session_id) for e in job.run_edits)
    return (
        job.id,
        job.job_type,
        job.created,
        job.failure_rate,
        (s.configured, s.enabled, s.hour, s.minute, s.every_hours),
        vms,
        edits,
    )


def runs_on(job: Job, day: date, key_of_job: tuple | None = None) -> tuple[Run, ...]:
    """The runs that started (or, by the schedule, will start) on `day`, with their retries,
    ordered by start. A caller reading many days passes the job's `job_key`, worked out once."""
    key = (key_of_job or job_key(job), day)
    runs = _DAYS.get(key)
    if runs is None:
        if len(_DAYS) >= _DAYS_KEPT:
            _DAYS.clear()  # a bound, not an LRU: a day is cheap to draw again
        runs = _DAYS[key] = _draw_day(job, day)
    return runs


_DAYS: dict[tuple, tuple[Run, ...]] = {}
_DAYS_KEPT = 65_536


def _draw_day(job: Job, day: date) -> tuple[Run, ...]:
    forced = {e.at: e.action for e in job.run_edits if e.action in (RunAction.Fail, RunAction.Warn)}
    stops = {e.session_id: e.at for e in job.run_edits if e.action is RunAction.Stop}
    runs: list[Run] = []
    for start in scheduled_starts(job.schedule, day):
        rng = DayRandom(f"{job.id}:{start.isoformat()}")
        first = _run(job, rng, start + timedelta(seconds=rng.randint(2, 20)), job.vms, False, forced.get(start))
        runs.extend(_with_retries(job, first, stops))
    for edit in job.run_edits:
        if edit.action is RunAction.Start and edit.at.date() == day:  # it starts at once: a frozen clock shows it
            first = _run(job, DayRandom(f"{job.id}:start:{edit.at.isoformat()}"), edit.at, job.vms, False, None)
            runs.extend(_with_retries(job, first, stops))
    runs.sort(key=lambda r: r.start)
    return tuple(runs)


def _with_retries(job: Job, run: Run, stops: dict[UUID | None, datetime]) -> list[Run]:
    """A run and the retries that follow it while VMs fail (none after a stop)."""
    chain = []
    for attempt in range(MAX_RETRIES + 1):
        if run.id in stops and run.start <= stops[run.id] < run.end:
            chain.append(_stopped(run, stops[run.id]))
            break
        chain.append(run)
        failed = [t.vm for t in run.tasks if t.result is FAILED]
        if not failed or attempt == MAX_RETRIES:
            break
        rng = DayRandom(f"{run.id}:retry")
        run = _run(job, rng, run.end + timedelta(seconds=rng.randint(300, 600)), failed, True, None)
    return chain


def _run(job: Job, rng: DayRandom, start: datetime, vms: list[Vm], is_retry: bool, forced: RunAction | None) -> Run:
    """One run's draws: its id and its first slot, then each VM's task from a block of its own
    (`_task`), then its end and its restore point."""
    run_id = guid(rng)
    replica = job.job_type is JobType.Replica
    full = start.weekday() == 6  # Sunday: the weekly synthetic full
    slots = [start + timedelta(seconds=rng.randint(10, 40))] * SLOTS
    tasks = []
    shortest, longest = (120, 900) if replica else (20, 600)
    span, slower = longest - shortest + 1, 3 if full and not replica else 1
    failure_rate, sizes = job.failure_rate, _sizes_of(job.id)
    for index, vm in enumerate(vms):
        bits = rng.side_bits(index, TASK_BYTES)
        slot = 0 if slots[0] <= slots[1] else 1  # the slot free first (SLOTS is 2)
        begin = slots[slot] + SECONDS[1 + (bits >> 256 & 0x7FF) % 5]
        seconds = (shortest + (bits >> 384 & 0xFFFFFFFF) % span) * slower
        draw, share = (bits >> 267 & MASK_53) * TWO_TO_MINUS_53, 0.01 + 0.04 * (bits >> 331 & MASK_53) * TWO_TO_MINUS_53
        if forced is None and failure_rate + WARNING_ODDS <= draw and (not is_retry or draw >= RETRY_FAILED_ODDS):
            result, reason = SUCCESS, ""  # most tasks: what `_outcome` says, without the call
        else:
            result, reason = _outcome(vm, draw, failure_rate, is_retry, forced, bits >> 416)
        provisioned, used = sizes.get(vm.name) or vm_sizes(job.id, vm.name)
        kept = result is not FAILED
        if not kept:
            seconds = max(5, seconds // 5)
        end = begin + SECONDS[seconds]
        slots[slot] = end
        size = (used // 2 if full else int(used * share)) if kept and not replica else 0
        changed = int(used * share) if kept and replica else 0
        total, point = (provisioned, guid_of(bits >> 128 & MASK_128)) if kept else (0, None)
        task = (bits & MASK_128, vm, begin, end, result, reason, total, point, size, full, changed)
        tasks.append(_new_tuple(TaskRun, task))
    end = max(slots) + timedelta(seconds=rng.randint(10, 60))
    point = guid(rng)
    leaves = any(t.point_id is not None for t in tasks)
    return Run(run_id, job.id, start, end, is_retry, tuple(tasks), point if leaves else None)


def _outcome(
    vm: Vm, draw: float, failure_rate: float, is_retry: bool, forced: RunAction | None, pick: int
) -> tuple[SessionResult, str]:
    """A task's result and `Reason` (`Processing <vm> Error: <text>`, as captured; "" on success);
    `pick` chooses the text."""
    if forced is RunAction.Fail:
        return SessionResult.Failed, f"Processing {vm.display_name} Error: {FORCED_FAILURE}"
    if forced is RunAction.Warn:
        return SessionResult.Warning, f"Processing {vm.display_name} Error: {FORCED_WARNING}"
    if draw < (RETRY_FAILED_ODDS if is_retry else failure_rate):
        text = ERRORS[pick % len(ERRORS)].replace("{vm}", vm.name)
        return SessionResult.Failed, f"Processing {vm.display_name} Error: {text}"
    if draw < failure_rate + WARNING_ODDS and not is_retry:
        return SessionResult.Warning, f"Processing {vm.display_name} Error: {WARNINGS[pick % len(WARNINGS)]}"
    return SessionResult.Success, ""


def _stopped(run: Run, at: datetime) -> Run:
    """A run stopped by hand at `at`: tasks that ended keep their results, the one then running
    fails, those not begun are gone; it leaves the points of the tasks that ended well."""
    tasks = []
    for task in run.tasks:
        if task.end <= at:
            tasks.append(task)
        elif task.start <= at:
            reason = f"Processing {task.vm.display_name} Error: {STOPPED}"
            tasks.append(TaskRun(task.id_bits, task.vm, task.start, at, SessionResult.Failed, reason, 0, None, 0))
    leaves = any(t.point_id is not None for t in tasks)
    point = run.restore_point_id or (guid(DayRandom(f"{run.id}:point")) if leaves else None)
    return Run(run.id, run.job_id, run.start, at, run.is_retry, tuple(tasks), point if leaves else None, True)


# -- runs over a period ----------------------------------------------------------------------


def runs_between(job: Job, since: datetime, until: datetime) -> list[Run]:
    """The runs that started in (since, until], by start. A run's day is its scheduled day, and
    retries follow their run by hours at most, so days from one before `since` are drawn."""
    found: list[Run] = []
    if job.created is not None:
        since = max(since, job.created)
    day, key = (since - DAY).date(), job_key(job)
    while day <= until.date():
        found.extend(r for r in runs_on(job, day, key) if since < r.start <= until)
        day += DAY
    found.sort(key=lambda r: r.start)
    return found


def history(job: Job, now: datetime) -> list[Run]:
    """The runs EM shows at `now`: those started in the last `HISTORY`."""
    return runs_between(job, now - HISTORY, now)


def kept_points(job: Job, now: datetime) -> list[tuple[Vm, TaskRun]]:
    """The VM restore points a backup job's backup holds at `now`: each VM's newest `retention`
    points of tasks that ended by then, and the rest of their chain back to its full (`_kept`; a
    replica job's points are on its hosts, not here)."""
    return [(task.vm, task) for _, task in kept_tasks(job, now)]


def kept_tasks(job: Job, now: datetime) -> list[tuple[Run, TaskRun]]:
    """`kept_points` with the run each point belongs to (the catalogue's restore point), newest
    first; the caller must not change the list. The answers at the last instant asked are
    kept: the generator and the EM taking its world ask for the same ones."""
    if job.job_type is not JobType.Backup or job.retention <= 0:
        return []
    if _KEPT.get(None) != now:
        _KEPT.clear()
        _KEPT[None] = now
    key = job_key(job)
    known = _KEPT.get(job.id)
    if known is not None and known[0] == (key, job.retention):
        return known[1]
    kept = _kept(job, now, key)
    _KEPT[job.id] = ((key, job.retention), kept)
    return kept


_KEPT: dict[UUID | None, Any] = {}  # None: the instant; a job's id: (what its points depend on, its points)


def _kept(job: Job, now: datetime, key: tuple) -> list[tuple[Run, TaskRun]]:
    """Each VM's newest `retention` points and, where the oldest of them is an increment, the
    older points of its chain back to the full it builds on: forward-incremental retention
    removes a chain only when every point of it is beyond the limit, so a backup's oldest point
    is always a full (a `vbk`)."""
    wanted = {vm.name: job.retention for vm in job.vms}
    open_chains: set[str] = set()  # VMs kept to the limit whose oldest kept point is an increment
    kept: list[tuple[Run, TaskRun]] = []
    day, oldest = now.date(), now.date() - timedelta(days=max(62, job.retention * 2))
    while day >= oldest and (open_chains or any(wanted.values())):
        for run in reversed(runs_on(job, day, key)):
            if job.created is not None and run.start < job.created:
                continue
            for task in reversed(run.tasks):
                if task.point_id is None or task.end > now:
                    continue
                name = task.vm.name
                left = wanted.get(name, 0)
                if left > 0:
                    wanted[name] = left - 1
                    kept.append((run, task))
                    if left == 1 and not task.full:
                        open_chains.add(name)
                elif name in open_chains:
                    kept.append((run, task))
                    if task.full:
                        open_chains.discard(name)
        day -= DAY
    return kept


def backup_bytes(job: Job, now: datetime) -> int:
    """What a job's backup holds on its repository at `now`."""
    return sum(task.point_bytes for _, task in kept_points(job, now))
