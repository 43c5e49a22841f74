"""What the dashboard shows of the backup servers: their jobs and sessions, and their repositories.

* **Jobs**, in store order: name, type, platform, backup server, schedule and `NextRun`, the
  result of the newest session that has ended, the session going now (its `State` and `Progress`
  as its entity shows them) and a timeline of every session EM keeps (`job_history.HISTORY`: the
  last 8 days), each placed by `CreationTimeUTC` and as long as it ran, retries on a lane of their
  own, with the VMs that failed or warned and their task session's `Reason`.
* **Repositories**, by backup server: `Capacity`, `FreeSpace` and the share used; a repository
  whose storage does not say (`-1`) is of unknown size, never divided by.

Everything comes from the world's objects as the vendor API serves them (`Job`, the job and task
session kinds `job_sessions` keeps current, `Repository`), so the page can never show another
result or progress than `/api/backupSessions` does. One pass groups the sessions by job and the
troubled tasks by session, cached per world version; the timeline positions depend on now too
and are worked out on each call.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta
from itertools import islice
from typing import Any
from uuid import UUID

from fastapi import Request

from mock_em.control.dashboard_window import Window
from mock_em.model.entities import (
    BackupJobSession,
    BackupServer,
    BackupTaskSession,
    Job,
    JobSchedule,
    Repository,
    SessionResult,
)
from mock_em.model.fixture import format_time
from mock_em.model.job_history import HISTORY
from mock_em.model.job_runs import JOB_KIND
from mock_em.model.job_sessions import REPOSITORY_KIND, SESSION_KINDS
from mock_em.model.world import World

MAX_JOBS = 50
MAX_SESSIONS = 80  # newest sessions drawn per job (a job run every 4 hours keeps about 50)
MAX_PROBLEMS = 5  # troubled VMs named per session
MAX_REPOSITORIES = 100
TROUBLE = (SessionResult.Failed, SessionResult.Warning)


# -- pure helpers ------------------------------------------------------------------------------


def schedule_label(schedule: JobSchedule) -> str:
    """How the page reads a job's schedule: `daily at 17:00`, `every 6 h from 05:00`, or `by hand
    only` for a job without one (a disabled schedule reads the same, tagged disabled apart)."""
    if not schedule.configured:
        return "by hand only"
    if schedule.every_hours:
        first = f"{schedule.hour % schedule.every_hours:02d}:{schedule.minute:02d}"
        return f"every {schedule.every_hours} h from {first}"
    return f"daily at {schedule.hour:02d}:{schedule.minute:02d}"


def used_percent(capacity: int, free_space: int) -> float | None:
    """The share of a repository in use, in percent to one decimal; None where its storage does
    not say how big it is or how much is free (`-1`), or says nothing sensible (a capacity of 0)."""
    if capacity <= 0 or free_space < 0:
        return None
    return round(100 * (capacity - free_space) / capacity, 1)


def newest(sessions: list[BackupJobSession], ended: bool) -> BackupJobSession | None:
    """The newest session (by `CreationTimeUTC`, the list's order) that has ended, or that has not."""
    for session in reversed(sessions):
        if (session.end_time is not None) is ended:
            return session
    return None


def job_window(now: datetime) -> Window:
    """The sessions' timeline: the history EM keeps up to the next full hour after now."""
    end = now.replace(minute=0, second=0, microsecond=0) + timedelta(hours=1)
    return Window(end - HISTORY - timedelta(hours=1), end)


# -- the world, grouped once per version ---------------------------------------------------------


@dataclass(slots=True)
class JobsView:
    """Each job's sessions, oldest first, and each session's failed or warning tasks."""

    world: World
    version: int
    sessions: dict[UUID, list[BackupJobSession]]
    problems: dict[UUID, list[BackupTaskSession]]


def jobs_view(world: World) -> JobsView:
    """One pass over the job sessions and the task sessions of every job type."""
    sessions: dict[UUID, list[BackupJobSession]] = {}
    problems: dict[UUID, list[BackupTaskSession]] = {}
    for session_kind, task_kind in SESSION_KINDS.values():
        for session in world.all(session_kind).values():
            sessions.setdefault(session.job_id, []).append(session)
        for task in world.all(task_kind).values():
            if task.end_time is not None and task.result in TROUBLE:
                problems.setdefault(task.session_id, []).append(task)
    return JobsView(world, world.version, sessions, problems)


def cached_jobs_view(request: Request, world: World) -> JobsView:
    """The grouping of this world at this version, computed once between changes."""
    view: JobsView | None = getattr(request.app.state, "dashboard_jobs_view", None)
    if view is None or view.world is not world or view.version != world.version:
        view = jobs_view(world)
        request.app.state.dashboard_jobs_view = view
    return view


# -- the JSON --------------------------------------------------------------------------------------


def _problem(task: BackupTaskSession) -> dict[str, Any]:
    return {"vm": task.vm_display_name, "result": task.result.value, "reason": task.reason}


def _session(session: BackupJobSession, view: JobsView, span: Window, now: datetime) -> dict[str, Any]:
    """One session on the timeline: its brief, where it starts and how wide it is drawn."""
    x = span.x(session.creation_time)
    until = session.end_time or max(now, session.creation_time)
    return {"id": str(session.id), **_described(session, view), "x": x, "w": round(max(span.x(until) - x, 0.0), 2)}


def _brief(session: BackupJobSession | None, view: JobsView) -> dict[str, Any] | None:
    """The last or the running session, with the VMs that failed or warned in it so far."""
    return None if session is None else _described(session, view)


def _described(session: BackupJobSession, view: JobsView) -> dict[str, Any]:
    """What the page shows of any session: name, times, state, result, progress, retry, troubles."""
    troubled = view.problems.get(session.id, [])
    return {
        "name": session.name,
        "start": format_time(session.creation_time),
        "end": format_time(session.end_time) if session.end_time else None,
        "state": session.state.value,
        "result": session.result.value,
        "progress": session.progress,
        "retry": session.is_retry,
        "problems": [_problem(t) for t in troubled[:MAX_PROBLEMS]],
        "problemsMore": max(len(troubled) - MAX_PROBLEMS, 0),
    }


def _job(job: Job, world: World, view: JobsView, span: Window, now: datetime) -> dict[str, Any]:
    sessions = view.sessions.get(job.id, [])
    drawn = sessions[-MAX_SESSIONS:]
    server: BackupServer | None = world.backup_servers.get(job.backup_server_id)
    repository: Repository | None = world.all(REPOSITORY_KIND).get(job.repository_id)
    return {
        "id": str(job.id),
        "name": job.name,
        "type": job.job_type.value,
        "platform": job.platform.value,
        "backupServer": server.name if server else None,
        "repository": repository.name if repository else None,
        "vms": len(job.vms),
        "schedule": schedule_label(job.schedule),
        "scheduleConfigured": job.schedule.configured,
        "scheduleEnabled": job.schedule.enabled,
        "nextRun": format_time(job.next_run) if job.next_run else None,
        "sessionCount": len(sessions),
        "retries": sum(s.is_retry for s in sessions),
        "last": _brief(newest(sessions, ended=True), view),
        "running": _brief(newest(sessions, ended=False), view),
        "sessions": [_session(s, view, span, now) for s in drawn],
        "sessionsMore": len(sessions) - len(drawn),
    }


def jobs_data(request: Request, world: World, now: datetime) -> dict[str, Any]:
    """The jobs panel's data: the shown jobs, their timelines' window and counts for the header."""
    view = cached_jobs_view(request, world)
    span = job_window(now)
    jobs = world.all(JOB_KIND)
    items = [_job(job, world, view, span, now) for job in islice(jobs.values(), MAX_JOBS)]
    running = sum(newest(view.sessions.get(job_id, []), ended=False) is not None for job_id in jobs)
    results = [newest(view.sessions.get(job_id, []), ended=True) for job_id in jobs]
    return {
        "total": len(jobs),
        "more": len(jobs) - len(items),
        "running": running,
        "failed": sum(s is not None and s.result is SessionResult.Failed for s in results),
        "warning": sum(s is not None and s.result is SessionResult.Warning for s in results),
        "history": {
            "days": HISTORY.days,
            "start": format_time(span.start),
            "end": format_time(span.end),
            "now": span.x(now),
            "ticks": span.ticks(),
        },
        "items": items,
    }


def repositories_data(world: World) -> dict[str, Any]:
    """The repositories panel's data: each backup server's repositories, how full each is."""
    repositories: dict[UUID, Repository] = world.all(REPOSITORY_KIND)
    shown = list(islice(repositories.values(), MAX_REPOSITORIES))
    jobs_on: dict[UUID, int] = {}
    for job in world.all(JOB_KIND).values():
        jobs_on[job.repository_id] = jobs_on.get(job.repository_id, 0) + 1
    by_server: dict[UUID, list[dict[str, Any]]] = {server_id: [] for server_id in world.backup_servers}
    for repository in shown:
        by_server.setdefault(repository.backup_server_id, []).append(
            {
                "id": str(repository.id),
                "name": repository.name,
                "kind": repository.kind.value,
                "capacity": repository.capacity,
                "freeSpace": repository.free_space,
                "usedPercent": used_percent(repository.capacity, repository.free_space),
                "jobs": jobs_on.get(repository.id, 0),
            }
        )
    servers = []
    for server_id, items in by_server.items():
        server = world.backup_servers.get(server_id)
        servers.append({"id": str(server_id), "name": server.name if server else None, "repositories": items})
    return {"total": len(repositories), "more": len(repositories) - len(shown), "servers": servers}
