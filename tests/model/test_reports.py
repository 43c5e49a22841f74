"""The summary report's counts (`mock_em/model/reports.py`, `report_vms.py`), worked out from small
hand-made worlds whose jobs' runs the tests read from `job_history`, and from generated worlds."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from uuid import UUID

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from mock_em.generator import WorldSize, generate_world
from mock_em.model.access import Access, Forbidden
from mock_em.model.entities import (
    BackupServer,
    Job,
    JobSchedule,
    JobType,
    Repository,
    RepositoryKind,
    Role,
    RunAction,
    RunEdit,
    SessionResult,
    Vm,
)
from mock_em.model.job_history import Run, history, runs_on, vm_sizes
from mock_em.model.job_sessions import refresh_jobs
from mock_em.model.reports import PERIOD, ReportCache, Summary, require_reader
from mock_em.model.world import World

AT = datetime(2026, 1, 5, 12, 0, 0, tzinfo=UTC)  # a Monday: Sunday's runs made fulls
SERVER = UUID(int=1, version=4)
OTHER_SERVER = UUID(int=2, version=4)
REPOSITORY = UUID(int=3, version=4)
OTHER_REPOSITORY = UUID(int=4, version=4)
TB = 10**12


def job(
    n: int,
    vms: tuple[str, ...] = ("srv01",),
    *,
    job_type: JobType = JobType.Backup,
    server: UUID = SERVER,
    schedule: JobSchedule | None = None,
    retention: int = 14,
) -> Job:
    """A job whose id is fixed by `n`, daily at 22:00 unless told otherwise."""
    return Job(
        UUID(int=100 + n, version=4),
        f"Job {n}",
        server,
        REPOSITORY if server == SERVER else OTHER_REPOSITORY,
        job_type,
        schedule=schedule or JobSchedule(hour=22),
        vms=[Vm(name) for name in vms],
        retention=retention,
    )


def world_of(*jobs: Job, at: datetime = AT, unknown_repository: bool = False) -> World:
    """Two backup servers with a repository each (and one of unknown size), these jobs, and their
    sessions as EM shows them at `at`."""
    world = World()
    world.put(BackupServer(SERVER, "vbr01.sp.example", ""))
    world.put(BackupServer(OTHER_SERVER, "vbr02.sp.example", ""))
    world.put(Repository(REPOSITORY, "Backup Repository 1", SERVER, RepositoryKind.WindowsLocal, 100 * TB, 60 * TB))
    world.put(Repository(OTHER_REPOSITORY, "SOBR-01", OTHER_SERVER, RepositoryKind.Extendable, 50 * TB, 49 * TB))
    if unknown_repository:
        world.put(Repository(UUID(int=5, version=4), "S3", SERVER, RepositoryKind.AmazonS3Compatible, -1, -1))
    for each in jobs:
        world.put(each)
    refresh_jobs(world, at, taken_over=True)
    return world


def in_period(run: Run, at: datetime) -> bool:
    """A run EM counts: created in the period before `at` and ended by then."""
    return at - PERIOD < run.start <= at and run.end <= at


def run_on(each: Job, day: datetime) -> Run:
    """The job's first run of a day."""
    return runs_on(each, day.date())[0]


# -- job runs --------------------------------------------------------------------------------------


def test_a_run_still_going_is_a_running_job_not_a_job_run() -> None:
    """A job whose run is going at the instant is running; its run is not counted until it ends."""
    backup = job(1, ("srv01", "srv02", "srv03"))
    running = run_on(backup, AT - timedelta(days=1))
    at = running.start + (running.end - running.start) / 2
    summary = Summary(world_of(backup, at=at), at)
    assert summary.overview.running_jobs == summary.job_statistics.running_jobs == 1
    counted = [r for r in history(backup, at) if in_period(r, at)]
    assert running not in counted
    assert summary.job_statistics.total_job_runs == len(counted)
    after = running.end + timedelta(seconds=1)
    later = Summary(world_of(backup, at=after), after).job_statistics
    assert later.running_jobs == 0
    assert later.total_job_runs == len([r for r in history(backup, after) if in_period(r, after)]) >= 1


def test_runs_of_the_period_by_result_and_their_longest() -> None:
    """Runs are counted by result, retries too; the longest of each type in whole seconds, named by
    its job; a type without runs reads 0 and an empty name."""
    jobs = [job(n, tuple(f"srv{n}{i}" for i in range(n + 1)), schedule=JobSchedule(every_hours=4)) for n in range(4)]
    summary = Summary(world_of(*jobs), AT)
    runs = [(each, r) for each in jobs for r in history(each, AT) if in_period(r, AT)]
    stats = summary.job_statistics
    assert (
        stats.total_job_runs == len(runs) == stats.successful_job_runs + stats.warnings_job_runs + stats.failed_job_runs
    )
    assert stats.failed_job_runs == sum(1 for _, r in runs if r.result is SessionResult.Failed)
    longest = max(int((r.end - r.start).total_seconds()) for _, r in runs)
    assert stats.max_backup_job_duration == stats.max_job_duration == longest
    assert stats.max_duration_backup_job_name in {
        each.name for each, r in runs if int((r.end - r.start).total_seconds()) == longest
    }
    assert (stats.max_replica_job_duration, stats.max_duration_replica_job_name) == (0, "")
    assert (stats.scheduled_jobs, stats.scheduled_backup_jobs, stats.scheduled_replica_jobs) == (4, 4, 0)


def test_scheduled_jobs_need_a_configured_and_enabled_schedule() -> None:
    """A disabled or unconfigured schedule does not count; a replication job counts as a replica."""
    jobs = [
        job(1),
        job(2, schedule=JobSchedule(enabled=False)),
        job(3, schedule=JobSchedule(configured=False)),
        job(4, job_type=JobType.Replica),
    ]
    stats = Summary(world_of(*jobs), AT).job_statistics
    assert (stats.scheduled_jobs, stats.scheduled_backup_jobs, stats.scheduled_replica_jobs) == (2, 1, 1)


# -- VMs and points --------------------------------------------------------------------------------


def test_one_vm_in_a_backup_and_a_replication_job_is_one_protected_vm() -> None:
    """A VM is its server and its name: backed up and replicated it is one protected VM, sized as
    its first job sees it; the same name on another server is another VM."""
    backup, replica = job(1, ("sql01",)), job(2, ("sql01",), job_type=JobType.Replica)
    elsewhere = job(3, ("sql01",), server=OTHER_SERVER)
    vms = Summary(world_of(backup, replica, elsewhere), AT).vms_overview
    assert (vms.protected_vms, vms.backed_up_vms, vms.replicated_vms) == (2, 2, 1)
    assert vms.source_vms_size == vm_sizes(backup.id, "sql01")[0] + vm_sizes(elsewhere.id, "sql01")[0]


def test_jobs_that_keep_nothing_protect_nothing() -> None:
    """A job that keeps no points, or never ran, protects none of its VMs."""
    kept_none = job(1, ("a01",), retention=0)
    never_ran = job(2, ("b01",), schedule=JobSchedule(enabled=False))
    summary = Summary(world_of(kept_none, never_ran), AT)
    assert summary.vms_overview.protected_vms == 0
    assert summary.vms_overview.success_backup_percents == 0
    overview = summary.overview
    assert overview.successful_vm_latest_states + overview.warning_vm_latest_states == 0
    assert overview.failed_vm_latest_states == 0


def test_points_of_the_period_and_their_sizes() -> None:
    """Points made in the period: a backup's full (Sunday) or increment by its task's bytes, a
    replica's changed blocks; a failed task leaves none."""
    backup = job(1, ("srv01", "srv02"), schedule=JobSchedule(hour=20))
    replica = job(2, ("srv03",), job_type=JobType.Replica, schedule=JobSchedule(every_hours=6))
    at = datetime(2026, 1, 4, 23, 0, tzinfo=UTC)  # a Sunday: the day's backup is a full
    vms = Summary(world_of(backup, replica, at=at), at).vms_overview
    tasks = [
        (each, t)
        for each in (backup, replica)
        for r in history(each, at)
        for t in r.tasks
        if t.point_id is not None and at - PERIOD < t.end <= at
    ]
    assert vms.restore_points == len(tasks) > 0
    assert vms.full_backup_points_size == sum(t.point_bytes for each, t in tasks if each is backup and t.full) > 0
    assert vms.incremental_backup_points_size == sum(
        t.point_bytes for each, t in tasks if each is backup and not t.full
    )
    assert vms.replica_restore_points_size == sum(t.replica_bytes for each, t in tasks if each is replica) > 0
    used = vm_sizes(replica.id, "srv03")[1]
    assert all(0.01 * used <= t.replica_bytes <= 0.05 * used for each, t in tasks if each is replica)


def stopped_between_tasks() -> tuple[Job, datetime]:
    """A two-VM job (the first whose run of the day before AT has its first task end well) with
    that run stopped by hand after its first task ended and before its last did, and the instant
    just after the stop."""
    for n in range(1, 50):
        each = job(n, ("srv01", "srv02"))
        run = run_on(each, AT - timedelta(days=1))
        first, last = sorted(run.tasks, key=lambda t: t.end)
        if first.result is not SessionResult.Failed and first.end < last.end - timedelta(seconds=2):
            stop = first.end + timedelta(seconds=1)
            each.run_edits.append(RunEdit(RunAction.Stop, stop, run.id))
            return each, stop + timedelta(seconds=1)
    raise AssertionError("no job of the 49 drawn has such a run")


def test_latest_states_and_success_percents_follow_each_vms_latest_task() -> None:
    """A run stopped by hand fails the VM it was processing: that VM's latest state is Failed and
    its backup no success, while the VM done before the stop stays successful."""
    stopped, at = stopped_between_tasks()
    summary = Summary(world_of(stopped, at=at), at)
    assert summary.overview.failed_vm_latest_states == 1
    assert summary.overview.successful_vm_latest_states + summary.overview.warning_vm_latest_states == 1
    assert summary.vms_overview.success_backup_percents == 50
    assert summary.vms_overview.protected_vms == 2


def test_processed_days_are_seven_midnights_today_first() -> None:
    """Seven UTC midnights, today first, each with the distinct VMs that got a backup or a replica
    point that day, as the task sessions EM shows say."""
    jobs = [
        job(1, ("srv01", "srv02"), schedule=JobSchedule(every_hours=8)),
        job(2, ("srv03",), job_type=JobType.Replica),
    ]
    world = world_of(*jobs)
    days = Summary(world, AT).processed_vms
    assert [d.day for d in days] == [datetime(2026, 1, 5 - i, tzinfo=UTC) for i in range(5)] + [
        datetime(2025, 12, 31, tzinfo=UTC),
        datetime(2025, 12, 30, tzinfo=UTC),
    ]
    for day in days:
        for kind, count in (("BackupTaskSession", day.backuped_vms), ("ReplicaTaskSession", day.replicated_vms)):
            vms = {
                (t.backup_server_id, t.vm_name)
                for t in world.all(kind).values()
                if t.point_id is not None and t.end_time is not None and t.end_time.date() == day.day.date()
            }
            assert count == len(vms)
    assert days[1].backuped_vms == 2 and days[1].replicated_vms == 1


# -- repositories and servers ------------------------------------------------------------------------


def test_repository_periods_leave_out_unknown_sizes() -> None:
    """A Period per repository of known capacity, in store order; BackupSize = Capacity − FreeSpace."""
    world = world_of(job(1), unknown_repository=True)
    periods = Summary(world, AT).repositories
    known = [r for r in world.all("Repository").values() if r.capacity != -1]
    assert [(p.name, p.capacity, p.free_space, p.backup_size) for p in periods] == [
        (r.name, r.capacity, r.free_space, r.capacity - r.free_space) for r in known
    ]
    overview = Summary(world, AT).overview
    assert (overview.backup_servers, overview.proxy_servers, overview.repository_servers) == (2, 2, 3)


# -- who reads, and what is kept ------------------------------------------------------------------


@pytest.mark.parametrize(
    ("role", "tenant", "allowed"),
    [
        (Role.PortalAdministrator, None, True),
        (Role.PortalUser, None, True),
        (Role.RestoreOperator, None, False),
        (Role.CloudTenant, UUID(int=9, version=4), False),
    ],
)
def test_readers(role: Role, tenant: UUID | None, allowed: bool) -> None:
    """Portal Administrators and Portal Users read the report; Restore Operators and tenants do not."""
    if allowed:
        require_reader(Access(role, tenant))
    else:
        with pytest.raises(Forbidden):
            require_reader(Access(role, tenant))


def test_a_summary_is_kept_per_world_version_and_time() -> None:
    """The cache hands back the same summary (and so the same counted frames) until the world
    changes or the instant moves."""
    world = world_of(job(1))
    cache = ReportCache()
    first = cache.summary(world, AT)
    assert cache.summary(world, AT) is first
    assert first.overview is first.overview
    later = cache.summary(world, AT + timedelta(minutes=1))
    assert later is not first
    world.changed()
    assert cache.summary(world, AT) is not first
    cache.clear()
    assert cache.summary(world, AT + timedelta(minutes=1)) is not later


# -- generated worlds -------------------------------------------------------------------------------


@settings(max_examples=12, deadline=None)
@given(seed=st.integers(0, 10_000), minutes=st.integers(0, 7 * 24 * 60))
def test_generated_worlds_agree_with_themselves(seed: int, minutes: int) -> None:
    """In any generated world at any instant: every protected VM has one latest state; the VMs
    backed up and replicated make up the protected ones; each day's VMs are at most the protected
    ones; the runs by result add up."""
    at = AT + timedelta(minutes=minutes)
    world = generate_world(seed, WorldSize(backup_servers=2, tenants=1, replicas_per_tenant=1), at)
    refresh_jobs(world, at, taken_over=True)
    summary = Summary(world, at)
    overview, vms, stats = summary.overview, summary.vms_overview, summary.job_statistics
    states = overview.successful_vm_latest_states + overview.warning_vm_latest_states
    assert states + overview.failed_vm_latest_states == vms.protected_vms
    assert max(vms.backed_up_vms, vms.replicated_vms) <= vms.protected_vms <= vms.backed_up_vms + vms.replicated_vms
    assert 0 <= vms.success_backup_percents <= 100
    assert all(
        d.backuped_vms <= vms.backed_up_vms and d.replicated_vms <= vms.replicated_vms for d in summary.processed_vms
    )
    assert stats.total_job_runs == stats.successful_job_runs + stats.warnings_job_runs + stats.failed_job_runs
    assert stats.max_job_duration == max(stats.max_backup_job_duration, stats.max_replica_job_duration)
    assert overview.running_jobs == stats.running_jobs <= len(world.all("Job"))
