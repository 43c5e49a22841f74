"""The control plane's edits of the backup servers' jobs (`/mock/world/jobs`): add one, remove
one (its sessions go with it), and act on its runs: make the next scheduled run fail or warn,
start it now, stop the run going now (`mock_em.model.job_control`). Every edit acts at the
world's time and is a control request, so it is journaled and replayed in every worker alike.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import TYPE_CHECKING, Any
from uuid import UUID

from pydantic import BaseModel, ConfigDict, Field

from mock_em.model.access import NotFound
from mock_em.model.entities import Job, JobSchedule, JobType, Platform, SessionResult, Vm
from mock_em.model.ids import guid
from mock_em.model.job_control import RECORDED, force_next_run, start_now, stop_now
from mock_em.model.job_runs import next_run
from mock_em.model.job_sessions import refresh_jobs
from mock_em.resources.family import BadEdit, EditRoute, Edits, guid_of, member_of

if TYPE_CHECKING:
    from mock_em.model.enterprise_manager import EnterpriseManager

VENDOR_BODY = ConfigDict(populate_by_name=True, extra="forbid")


class NewSchedule(BaseModel):
    """Daily at `Hour:Minute` UTC, or every `EveryHours` hours (a divisor of 24)."""

    model_config = VENDOR_BODY
    Enabled: bool = True
    Hour: int = Field(default=22, ge=0, le=23)
    Minute: int = Field(default=0, ge=0, le=59)
    EveryHours: int = Field(default=0, ge=0, le=12)


class NewJob(BaseModel):
    """A job to add to a backup server, writing to one of its repositories, protecting `Vms` (names)."""

    model_config = VENDOR_BODY
    Name: str = Field(min_length=1, max_length=200)
    BackupServerId: str
    RepositoryId: str
    JobType: str = JobType.Backup.value
    Platform: str = Platform.VMware.value
    Description: str = ""
    Schedule: NewSchedule = Field(default_factory=NewSchedule)
    Vms: list[str] = Field(default_factory=list, max_length=500)
    Retention: int = Field(default=14, ge=1, le=1000)


class NextRun(BaseModel):
    """`{"Result": "Failed"}` or `{"Result": "Warning"}`: how the next scheduled run ends."""

    model_config = VENDOR_BODY
    Result: str


def build(manager: EnterpriseManager, body: NewJob) -> Job:
    """A job on an existing server and one of that server's repositories."""
    server_id = guid_of(body.BackupServerId, "BackupServerId")
    repository_id = guid_of(body.RepositoryId, "RepositoryId")
    repository = manager.world.all("Repository").get(repository_id)
    if server_id not in manager.world.backup_servers:
        raise NotFound(f"Backup server {server_id} was not found")
    if repository is None:
        raise NotFound(f"Repository {repository_id} was not found")
    if repository.backup_server_id != server_id:
        raise BadEdit("RepositoryId: a job writes to a repository of its own backup server")
    s = body.Schedule
    if s.EveryHours and 24 % s.EveryHours:
        raise BadEdit("Schedule.EveryHours: 0 (daily) or a divisor of 24")
    schedule = JobSchedule(enabled=s.Enabled, hour=s.Hour, minute=s.Minute, every_hours=s.EveryHours)
    job_type, platform = member_of(JobType, body.JobType, "JobType"), member_of(Platform, body.Platform, "Platform")
    vms = [Vm(name) for name in dict.fromkeys(body.Vms)]
    job = Job(guid(manager.rng), body.Name, server_id, repository_id, job_type, platform, body.Description, schedule,
              vms, retention=body.Retention, created=manager.world_time)  # fmt: skip
    job.next_run = next_run(schedule, manager.world_time)
    if manager.job_failure_rate is not None:  # demo mode fails new jobs as often as the others
        job.failure_rate = manager.job_failure_rate
    return job


def _acting(act: Callable[[Job, Any], Any]) -> Callable[..., dict[str, Any]]:
    """A route that acts on one job's runs at the world's time, then shows its sessions anew."""

    def run(manager: EnterpriseManager, job_id: UUID, sent: str, body: Any, _: dict[str, str]) -> dict[str, Any]:
        job = manager.world.all("Job").get(job_id)
        if job is None:
            raise NotFound(f"Job {sent} was not found")
        if manager.world.recorded:
            raise BadEdit(RECORDED)
        try:
            edit = act(job, body)(manager.world_time)
        except ValueError as exc:
            raise BadEdit(str(exc)) from None
        manager.world.changed()
        refresh_jobs(manager.world, manager.world_time)
        shown = {"JobId": str(job.id), "Action": edit.action.value, "At": edit.at}
        if edit.session_id is not None:
            shown["SessionId"] = str(edit.session_id)
        return shown

    return run


def _next(job: Job, body: NextRun | None) -> Callable[[Any], Any]:
    if body is None:
        raise ValueError('give {"Result": "Failed"} or {"Result": "Warning"}')
    result = member_of(SessionResult, body.Result, "Result")
    return lambda now: force_next_run(job, now, result)


def edits(json: Callable[[Job], dict[str, Any]]) -> Edits:
    """The jobs' edits, showing a job as `json` does."""
    return Edits(
        "jobs",
        new=NewJob,
        build=build,
        json=json,
        removed=(("backupSessionsRemoved", "BackupJobSession"), ("replicaSessionsRemoved", "ReplicaJobSession")),
        routes=(
            EditRoute("POST", "/nextRun", _acting(_next), body=NextRun,
                      summary="Make the job's next scheduled run end Failed or with a Warning."),
            EditRoute("POST", "/start", _acting(lambda job, _: lambda now: start_now(job, now)), status=201,
                      summary="Start the job now (refused while it runs)."),
            EditRoute("POST", "/stop", _acting(lambda job, _: lambda now: stop_now(job, now)),
                      summary="Stop the job's running session: its unfinished VMs fail, no retry."),
        ),
    )  # fmt: skip
