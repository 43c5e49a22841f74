"""The summary report (`/api/reports/summary`): its five frames, counted from the world at the
instant it is current to (em-api-monitoring.md §1.3). Nothing of it is stored.

* Job runs: the job sessions EM shows at that instant (`mock_em.model.job_sessions`), those
  created in the `PERIOD` before it; mock-em's jobs have no child sessions to leave out.
* VMs and restore points: the jobs' runs behind those sessions (`mock_em.model.report_vms`); a
  recorded world, which has no runs, counts them from its task sessions and backup catalogue
  (`mock_em.model.report_recorded`), to the same figures.
* Servers and repositories: the backup servers, each with the one backup proxy a backup server
  holds from its installation (mock-em models no other), and the repositories, those of known
  capacity in the repository frame.

Cloud Connect tenants' replicas and their points are the tenants' own jobs, run by their own
backup servers: the provider's EM reports on its backup servers' jobs, so a million tenant points
cost the report nothing.

A `Summary` works each frame out once, when first asked; `ReportCache` keeps the summaries of
the last few (world version, instant) pairs, so a frame is counted once per world version and
world time however often it is asked.
"""

from __future__ import annotations

import threading
from collections import OrderedDict
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from functools import cached_property
from uuid import UUID

from mock_em.model.access import Access, Forbidden
from mock_em.model.entities import (
    UNKNOWN_SIZE,
    BackupJobSession,
    Job,
    JobType,
    Repository,
    SessionResult,
    SessionState,
)
from mock_em.model.kinds import PORTAL
from mock_em.model.report_recorded import recorded_points_made, recorded_vm_states
from mock_em.model.report_vms import PointsMade, VmKey, VmState, points_made, vm_states
from mock_em.model.world import Stamp, World

PERIOD = timedelta(hours=24)  # the window of job runs and new points (EM states none; every capture fits a day)
PROCESSED_DAYS = 7  # `processed_vms`: today and the six days before
PROXIES_PER_SERVER = 1  # the backup proxy every backup server is installed with
READERS = PORTAL  # the vendor's roles table: Portal Administrators and Portal Users read reports
SESSION_KINDS = (("BackupJobSession", JobType.Backup), ("ReplicaJobSession", JobType.Replica))


def require_reader(access: Access) -> None:
    """Forbidden for a role the vendor does not let read the reports: Restore Operators (its
    roles table lists `/reports/summary` among their unavailable operations) and tenants."""
    if access.role not in READERS:
        raise Forbidden("Access denied: your role may not read reports")


# -- the frames ---------------------------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class Overview:
    """`OverviewReportFrame`."""

    backup_servers: int
    proxy_servers: int
    repository_servers: int
    running_jobs: int
    scheduled_jobs: int
    successful_vm_latest_states: int
    warning_vm_latest_states: int
    failed_vm_latest_states: int


@dataclass(frozen=True, slots=True)
class VmsOverview:
    """`VmsOverviewReportFrame` (sizes in bytes)."""

    protected_vms: int
    backed_up_vms: int
    replicated_vms: int
    restore_points: int
    full_backup_points_size: int
    incremental_backup_points_size: int
    replica_restore_points_size: int
    source_vms_size: int
    success_backup_percents: int


@dataclass(frozen=True, slots=True)
class JobStatistics:
    """`JobStatisticsReportFrame` (durations in whole seconds; a name `""` where no run ended)."""

    running_jobs: int
    scheduled_jobs: int
    scheduled_backup_jobs: int
    scheduled_replica_jobs: int
    total_job_runs: int
    successful_job_runs: int
    warnings_job_runs: int
    failed_job_runs: int
    max_job_duration: int
    max_backup_job_duration: int
    max_replica_job_duration: int
    max_duration_backup_job_name: str
    max_duration_replica_job_name: str


@dataclass(frozen=True, slots=True)
class RepositoryPeriod:
    """One `Period` of `RepositoryReportFrame`: a repository of known capacity, in bytes."""

    name: str
    capacity: int
    free_space: int
    backup_size: int


@dataclass(frozen=True, slots=True)
class ProcessedDay:
    """One `Day` of `ProcessedVmsReportFrame`: the VMs that got a point on that UTC day."""

    day: datetime  # its midnight, UTC
    replicated_vms: int
    backuped_vms: int


# -- counting -------------------------------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class Longest:
    """The longest run of one job type: whole seconds and its job's name (first of equals)."""

    seconds: int = 0
    job_name: str = ""


def longest(sessions: list[BackupJobSession]) -> Longest:
    """The longest of finished sessions, `EndTimeUTC − CreationTimeUTC` in whole seconds."""
    found = Longest()
    for session in sessions:
        assert session.end_time is not None
        seconds = int((session.end_time - session.creation_time).total_seconds())
        if seconds > found.seconds:
            found = Longest(seconds, session.job_name)
    return found


def is_scheduled(job: Job) -> bool:
    """Scheduled: a schedule that is configured and enabled."""
    return job.schedule.configured and job.schedule.enabled


def known_capacity(repository: Repository) -> bool:
    """A repository whose storage reports its size (object storage reports -1; 0 is never shown,
    clients divide by it)."""
    return repository.capacity > 0 and repository.free_space != UNKNOWN_SIZE


class Summary:
    """The report of one world at one instant; each frame is counted when first asked for."""

    def __init__(self, world: World, at: datetime, period: timedelta = PERIOD) -> None:
        self.world = world
        self.at = at
        self.period = period

    # -- what several frames read ----------------------------------------------------------

    @cached_property
    def jobs(self) -> list[Job]:
        return list(self.world.all("Job").values())

    @cached_property
    def running_jobs(self) -> int:
        """Jobs whose latest session (by creation time) is not `Stopped`."""
        latest: dict[UUID, BackupJobSession] = {}
        for kind, _ in SESSION_KINDS:
            for session in self.world.all(kind).values():
                known = latest.get(session.job_id)
                if known is None or session.creation_time >= known.creation_time:
                    latest[session.job_id] = session
        return sum(1 for s in latest.values() if s.state is not SessionState.Stopped)

    @cached_property
    def scheduled(self) -> dict[JobType, int]:
        """Scheduled jobs by type."""
        counts = dict.fromkeys(JobType, 0)
        for job in self.jobs:
            if is_scheduled(job):
                counts[job.job_type] += 1
        return counts

    @cached_property
    def vms(self) -> dict[VmKey, VmState]:
        if self.world.recorded:
            return recorded_vm_states(self.world, self.jobs, self.at)
        return vm_states(self.jobs, self.at)

    @cached_property
    def points(self) -> PointsMade:
        if self.world.recorded:
            return recorded_points_made(self.world, self.jobs, self.at, self.period, PROCESSED_DAYS)
        return points_made(self.jobs, self.at, self.period, PROCESSED_DAYS)

    def finished_in_period(self, kind: str) -> list[BackupJobSession]:
        """Sessions of a kind created in the period that have ended, in creation order."""
        since, at = self.at - self.period, self.at
        return [s for s in self.world.all(kind).values() if s.end_time is not None and since < s.creation_time <= at]

    # -- the frames --------------------------------------------------------------------------

    @cached_property
    def overview(self) -> Overview:
        servers = len(self.world.all("BackupServer"))
        latest = [s.latest[1] for s in self.vms.values() if s.protected and s.latest is not None]
        return Overview(
            backup_servers=servers,
            proxy_servers=servers * PROXIES_PER_SERVER,
            repository_servers=len(self.world.all("Repository")),
            running_jobs=self.running_jobs,
            scheduled_jobs=sum(self.scheduled.values()),
            successful_vm_latest_states=latest.count(SessionResult.Success),
            warning_vm_latest_states=latest.count(SessionResult.Warning),
            failed_vm_latest_states=latest.count(SessionResult.Failed),
        )

    @cached_property
    def vms_overview(self) -> VmsOverview:
        protected = [s for s in self.vms.values() if s.protected]
        backed_up = [s for s in protected if s.backed_up]
        fine = sum(
            1 for s in backed_up if s.latest_backup is not None and s.latest_backup[1] is not SessionResult.Failed
        )
        points = self.points
        return VmsOverview(
            protected_vms=len(protected),
            backed_up_vms=len(backed_up),
            replicated_vms=sum(1 for s in protected if s.replicated),
            restore_points=points.count,
            full_backup_points_size=points.full_bytes,
            incremental_backup_points_size=points.incremental_bytes,
            replica_restore_points_size=points.replica_bytes,
            source_vms_size=sum(s.provisioned for s in protected),
            success_backup_percents=round(100 * fine / len(backed_up)) if backed_up else 0,
        )

    @cached_property
    def job_statistics(self) -> JobStatistics:
        backup = self.finished_in_period("BackupJobSession")
        replica = self.finished_in_period("ReplicaJobSession")
        results = [s.result for s in backup + replica]
        longest_backup, longest_replica = longest(backup), longest(replica)
        return JobStatistics(
            running_jobs=self.running_jobs,
            scheduled_jobs=sum(self.scheduled.values()),
            scheduled_backup_jobs=self.scheduled[JobType.Backup],
            scheduled_replica_jobs=self.scheduled[JobType.Replica],
            total_job_runs=len(results),
            successful_job_runs=results.count(SessionResult.Success),
            warnings_job_runs=results.count(SessionResult.Warning),
            failed_job_runs=results.count(SessionResult.Failed),
            max_job_duration=max(longest_backup.seconds, longest_replica.seconds),
            max_backup_job_duration=longest_backup.seconds,
            max_replica_job_duration=longest_replica.seconds,
            max_duration_backup_job_name=longest_backup.job_name,
            max_duration_replica_job_name=longest_replica.job_name,
        )

    @cached_property
    def repositories(self) -> list[RepositoryPeriod]:
        return [
            RepositoryPeriod(r.name, r.capacity, r.free_space, r.capacity - r.free_space)
            for r in self.world.all("Repository").values()
            if known_capacity(r)
        ]

    @cached_property
    def processed_vms(self) -> list[ProcessedDay]:
        points = self.points
        found = []
        for day, backed_up in points.backed_up_by_day.items():  # today first
            midnight = datetime(day.year, day.month, day.day, tzinfo=UTC)
            found.append(ProcessedDay(midnight, len(points.replicated_by_day[day]), len(backed_up)))
        return found


# -- kept summaries ---------------------------------------------------------------------------------


class ReportCache:
    """The summaries of the last few (world, version, instant) asked for: a frame is counted once
    per world version and world time, however often and by whomever it is read."""

    def __init__(self, size: int = 8) -> None:
        self.size = size
        self._lock = threading.Lock()
        self._kept: OrderedDict[tuple[int, int, datetime], tuple[Stamp, Summary]] = OrderedDict()

    def summary(self, world: World, at: datetime) -> Summary:
        """The summary of `world` as it is now, at `at`."""
        key = (id(world), world.version, at)
        with self._lock:
            found = self._kept.get(key)
            if found is not None and found[0].holds(world):
                self._kept.move_to_end(key)
                return found[1]
            summary = Summary(world, at)
            self._kept[key] = (Stamp(world), summary)
            while len(self._kept) > self.size:
                self._kept.popitem(last=False)
            return summary

    def clear(self) -> None:
        """Forget every kept summary."""
        with self._lock:
            self._kept.clear()
