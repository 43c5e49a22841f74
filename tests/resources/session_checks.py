"""What the four session families' tests share: a world of several backup servers whose jobs ran
for the eight days before START, the wire's view of one session or task, and the clock placed
inside a run."""

from __future__ import annotations

from datetime import datetime, timedelta
from typing import Any

from conftest import START, EmClient, make_client
from xmlutil import API, Link, links, logon

from mock_em.model.catalogue import sql_time
from mock_em.model.clock import Clock
from mock_em.model.entities import Job
from mock_em.model.job_history import Run, history
from mock_em.resources.family import Family
from mock_em.settings import Settings
from resources.family_checks import USERS, entity_of, own_fields

# The schema's order of a job session's and a task session's own elements.
SESSION_FIELDS = ["JobUid", "JobName", "JobType", "CreationTimeUTC", "EndTimeUTC", "State", "Result", "Progress"]
SESSION_FIELDS += ["FailureMessage", "IsRetry"]
TASK_FIELDS = ["JobSessionUid", "CreationTimeUTC", "EndTimeUTC", "State", "Result", "Reason", "TotalSize"]


def wire_time(value: datetime) -> str:
    """The vendor's UTC form of a time, whole seconds."""
    return value.strftime("%Y-%m-%dT%H:%M:%SZ")


def sessions(client: EmClient, family: Family) -> list[Any]:
    """The family's objects as the EM holds them."""
    return list(client.em.world.all(family.name).values())


def check_session_entity(client: EmClient, family: Family, session: Any) -> None:
    """A job session's fields in the schema's order and its links: Up the server (first: exporters
    label by it), Up the job, Alternate, Down its task sessions."""
    entity = entity_of(client, family, session.id)
    fields = own_fields(entity)
    running = session.end_time is None
    assert [k for k in fields if "." not in k] == [f for f in SESSION_FIELDS if not (running and f == "EndTimeUTC")]
    assert entity.get("Name") == f"{session.job_name}@{session.creation_time:%Y-%m-%d %H:%M:%S}"
    assert fields["JobUid"] == f"urn:veeam:Job:{session.job_id}"
    assert (fields["JobName"], fields["JobType"]) == (session.job_name, session.job_type.value)
    assert fields["CreationTimeUTC"] == wire_time(session.creation_time)
    assert (fields["State"], fields["Result"]) == (session.state.value, session.result.value)
    assert int(fields["Progress"]) == session.progress and fields["FailureMessage"] == ""
    assert fields["IsRetry"] == str(session.is_retry).lower()
    world = client.em.world
    server, job = world.backup_servers[session.backup_server_id], world.all("Job")[session.job_id]
    tasks = family.subs[0]
    assert links(entity) == [
        Link("Up", "BackupServerReference", f"{API}/backupServers/{server.id}", server.name),
        Link("Up", "JobReference", f"{API}/jobs/{job.id}", job.name),
        Link("Alternate", f"{family.name}Reference", f"{API}{family.path}/{session.id}", entity.get("Name")),
        Link("Down", f"{tasks.family}ReferenceList", f"{API}{family.path}/{session.id}/{tasks.segment}"),
        *related_point(client, session),
    ]


def related_point(client: EmClient, session: Any) -> list[Link]:
    """A backup session's `Related` link to the restore point it left, while the catalogue keeps
    it, named as the point (SQL-style time of the run's start)."""
    point_id = session.restore_point_id
    if point_id is None:
        return []
    point = client.em.world.all("RestorePoint")[point_id]
    assert point.name == sql_time(session.creation_time)
    return [Link("Related", "RestorePointReference", f"{API}/restorePoints/{point_id}", point.name)]


def check_task_entity(client: EmClient, family: Family, sessions_path: str, task: Any) -> None:
    """A task session's fields in the schema's order and its links: Up the server, Up its job
    session (by the session's name), Alternate."""
    entity = entity_of(client, family, task.id)
    fields = own_fields(entity)
    session_kind = family.name.replace("TaskSession", "JobSession")
    session = client.em.world.all(session_kind)[task.session_id]
    running = task.end_time is None
    expected = [f for f in TASK_FIELDS if not (running and f == "EndTimeUTC")]
    assert [k for k in fields if "." not in k] == ["VmDisplayName", *expected]
    assert entity.get("VmDisplayName") == task.vm_display_name
    assert entity.get("Name") == f"{task.vm_display_name}@{task.creation_time:%Y-%m-%d %H:%M:%S}"
    assert fields["JobSessionUid"] == f"urn:veeam:{session_kind}:{session.id}"
    assert (fields["State"], fields["Result"], fields["Reason"]) == (task.state.value, task.result.value, task.reason)
    assert int(fields["TotalSize"]) == task.total_size
    server = client.em.world.backup_servers[task.backup_server_id]
    assert links(entity) == [
        Link("Up", "BackupServerReference", f"{API}/backupServers/{server.id}", server.name),
        Link("Up", f"{session_kind}Reference", f"{API}{sessions_path}/{session.id}", session.name),
        Link("Alternate", f"{family.name}Reference", f"{API}{family.path}/{task.id}", entity.get("Name")),
    ]


def a_run(job: Job, now: datetime) -> Run:
    """The newest finished run of the job in the history kept at `now`."""
    return [r for r in history(job, now) if r.end <= now][-1]


def inside(run: Run) -> datetime:
    """An instant while the run's first task works."""
    task = run.tasks[0]
    return task.start + (task.end - task.start) / 2 if task.end - task.start > timedelta(seconds=2) else task.start


def check_every_entity(clients: tuple[EmClient, ...], family: Family, sessions_path: str | None = None) -> None:
    """Every object of a session family (a task family: with its sessions' path) in each world,
    checked as `check_session_entity` or `check_task_entity` says."""
    for client in clients:
        found = sessions(client, family)
        assert found, f"{family.name}: the world shows none"
        for obj in found:
            if sessions_path is None:
                check_session_entity(client, family, obj)
            else:
                check_task_entity(client, family, sessions_path, obj)


def check_clock_run_equals_fresh(by: timedelta, paths: tuple[str, ...]) -> None:
    """A world generated at START and run on by `by` answers each of `paths` (entity form) with
    the bytes a world generated at START + `by` answers."""
    ran = make_client(Settings(user=USERS, seed=5, backup_servers=2), Clock(START, frozen=True))
    fresh = make_client(Settings(user=USERS, seed=5, backup_servers=2), Clock(START + by, frozen=True))
    try:
        assert ran.control("POST", "/mock/clock/advance", json={"seconds": by.total_seconds()}).status_code == 200
        for path in paths:
            answers = []
            for client in (ran, fresh):
                token, _ = logon(client)
                answers.append(client.get_as(token, f"{path}?format=Entity").content)
            assert answers[0] == answers[1], path
    finally:
        ran.close()
        fresh.close()
