"""What the four session families share: a backup or replica job's sessions
(`/api/backupSessions`, `/api/replicaSessions`) and their VMs' task sessions
(`/api/backupTaskSessions`, `/api/replicaTaskSessions`). Each family module declares one with
`job_sessions` or `task_sessions`; the sessions themselves are derived from the jobs' schedules
(`mock_em.model.job_sessions`) and not written to a generated world's fixture; a recorded world
(`World.recorded`) keeps those its source showed, and writes them (`FixtureSection.recorded`).

Links as EM 9.5 U4, 12 and 13 show them (em-api-monitoring.md §2.2, §2.4): the Up link to the
backup server first (exporters label by `Links[0].Name`), then Up to the job (a task: to its
session), Alternate, and a session's Down link to its task sessions. A backup session ends with a
`Related` link to the restore point it left, while that point is kept; EM's `Stop` action is not
linked: mock-em serves no actions.

Their lists keep each item's bytes (`Family.fragments`): monitoring clients read thousands of
sessions a page (`pageSize=2000`), and as the clock moves only the running sessions change, so a
page after a change is joined from kept items. What a session's documents show is its own fields,
its job's and its backup server's (a task's: its job session's and server's), which are exactly
the objects its kind's foreign keys reach, as the fragments' content keys require.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping, Sequence
from datetime import UTC, datetime
from typing import Any

from mock_em.model.access import Access
from mock_em.model.catalogue import sql_time
from mock_em.model.entities import BackupJobSession, BackupTaskSession, SessionResult, SessionState, TaskState
from mock_em.model.fixture_records import records
from mock_em.model.kinds import ON_SERVER, PORTAL, ForeignKey, Kind
from mock_em.model.query_columns import (
    enum_field,
    identity_fields,
    plain,
    query_for,
    ranked,
    string_field,
    uid_field,
)
from mock_em.model.query_columns import text as text_column
from mock_em.model.query_fields import Field as QueryField
from mock_em.model.query_fields import Kind as FieldKind
from mock_em.model.query_fields import QueryType
from mock_em.model.world import World
from mock_em.resources.backup_servers import server_fields, up_to_server
from mock_em.resources.family import Down, Family, SubCollection, Values
from mock_em.resources.history.sessions import complete_tasks, session_reader, task_reader
from mock_em.wire.links import Hrefs, Link, uid
from mock_em.wire.template import EMPTY

JOBS = "/jobs"
RESTORE_POINTS = "/restorePoints"
RESTORE_POINT = "RestorePoint"
NEVER = datetime.max.replace(tzinfo=UTC)


def session_values(h: Hrefs, world: World, session: BackupJobSession, access: Access) -> dict[str, Any]:
    """The entity's fields in the schema's order; `FailureMessage` empty in XML (the schema requires
    it) and null in JSON, as every capture shows it, failed runs too (em-api-monitoring.md §2.2,
    §9): a failure's text is in its tasks' `Reason`; no `EndTimeUTC` while it runs."""
    return {
        "JobUid": uid("Job", session.job_id),
        "JobName": session.job_name,
        "JobType": session.job_type.value,
        "CreationTimeUTC": session.creation_time,
        "EndTimeUTC": session.end_time,
        "State": session.state.value,
        "Result": session.result.value,
        "Progress": session.progress,
        "FailureMessage": EMPTY,
        "IsRetry": session.is_retry,
    }


def task_values(h: Hrefs, world: World, task: BackupTaskSession, access: Access) -> dict[str, Any]:
    """The entity's fields in the schema's order, the VM's display name as an attribute."""
    return {
        "JobSessionUid": uid(task_session_kind(task), task.session_id),
        "CreationTimeUTC": task.creation_time,
        "EndTimeUTC": task.end_time,
        "State": task.state.value,
        "Result": task.result.value,
        "Reason": task.reason,
        "TotalSize": task.total_size,
        "VmDisplayName": task.vm_display_name,
    }


def task_session_kind(task: BackupTaskSession) -> str:
    """The kind of the job session a task session belongs to."""
    return type(task).__name__.replace("TaskSession", "JobSession")


def _end_column(world: World, items: Sequence[Any]) -> Iterable[datetime]:
    """`EndTime` as the query compares it: a running session ends never (`EndTime<…` leaves it
    out; it sorts last, ascending)."""
    return [o.end_time or NEVER for o in items]


def _time_fields() -> tuple[QueryField, QueryField]:
    return (
        QueryField("CreationTime", FieldKind.DATETIME, plain("creation_time"), store_order=True),
        QueryField("EndTime", FieldKind.DATETIME, _end_column),
    )


def _result_field() -> QueryField:
    return enum_field("Result", ranked("result", SessionResult), (r.value for r in SessionResult))


def _job_fields() -> tuple[QueryField, ...]:
    return (uid_field("JobUid", "job_id.int", "Job"), string_field("JobName", text_column("job_name")))


def session_query(kind: Kind) -> QueryType:
    """The vendor's table of BackupJobSession (ReplicaJobSession) fields."""
    return query_for(
        kind,
        *identity_fields(kind.name),
        string_field("JobType", text_column("job_type._value_")),
        *_job_fields(),
        *_time_fields(),
        enum_field("State", ranked("state", SessionState), (s.value for s in SessionState)),
        _result_field(),
        QueryField("IsRetry", FieldKind.BOOL, plain("is_retry")),
        *server_fields(),
    )


def task_query(kind: Kind) -> QueryType:
    """The vendor's table of BackupTaskSession (ReplicaTaskSession) fields."""
    session_kind = kind.name.replace("TaskSession", "JobSession")
    return query_for(
        kind,
        *identity_fields(kind.name),
        *_time_fields(),
        enum_field("State", ranked("state", TaskState), (s.value for s in TaskState)),
        _result_field(),
        string_field("Reason", text_column("reason")),
        QueryField("TotalSize", FieldKind.INT, plain("total_size")),
        uid_field("JobSessionUid", "session_id.int", session_kind),
        *_job_fields(),
        *server_fields(),
        string_field("VmDisplayName", text_column("vm_display_name")),
    )


def related_point(h: Hrefs, session: BackupJobSession, access: Access) -> list[Link]:
    """The `Related` link to the restore point the run left, named as the point (SQL-style, from
    the run's start): only while the catalogue keeps it (`restore_point_id` is set then alone),
    so it always resolves (em-api-monitoring.md §2.2: three captures say Related)."""
    if session.restore_point_id is None or not access.reads(RESTORE_POINT):
        return []
    href = h.item(RESTORE_POINTS, session.restore_point_id)
    return [Link("Related", "RestorePointReference", href, sql_time(session.creation_time))]


def job_up(h: Hrefs, world: World, session: BackupJobSession, access: Access) -> list[Link]:
    """Up to the backup server, then to the job."""
    job = world.all("Job")[session.job_id]
    return [*up_to_server(h, world, session, access), Link("Up", "JobReference", h.item(JOBS, job.id), job.name)]


def job_sessions(model: type, path: str, tasks: SubCollection, position: int, query_order: int) -> tuple[Kind, Family]:
    """The kind and family of one job type's sessions, linked Down to their `tasks`."""

    def downs(h: Hrefs, world: World, session: BackupJobSession, access: Access) -> list[Link]:
        if not access.reads(tasks.family):
            return []
        found = [Link("Down", f"{tasks.family}ReferenceList", h.sub(path, session.id, tasks.segment))]
        return [*found, *related_point(h, session, access)]

    kind = Kind(
        model,
        noun=f"{model.__name__.removesuffix('JobSession').lower()} job session",
        keys=(ON_SERVER, ForeignKey("job_id", "Job")),
        readers=PORTAL,
        fixture=records(
            "Id JobId BackupServerId JobName JobType CreationTimeUTC=creation_time EndTimeUTC=end_time State Result"
            " Progress IsRetry RestorePointId FineName",
            recorded=True,
        ),
        query=session_query,
        query_order=query_order,
    )
    family = Family(
        kind,
        path,
        session_values,
        ups=job_up,
        downs=downs,
        subs=(tasks,),
        down=Down("LogonSession", position),
        fragments=True,
        reads=session_reader(model),
    )
    return kind, family


def task_sessions(
    model: type,
    path: str,
    sessions_path: str,
    position: int,
    query_order: int,
    values: Values = task_values,
    since_fields: Mapping[str, str] | None = None,
) -> tuple[Kind, Family]:
    """The kind and family of one job type's task sessions, each Up to its job session; `values`
    and `since_fields` where its entity has members the other's lacks (a backup task's `VmUid`)."""
    session_kind = model.__name__.replace("TaskSession", "JobSession")

    def ups(h: Hrefs, world: World, task: BackupTaskSession, access: Access) -> list[Link]:
        session = world.all(session_kind)[task.session_id]
        up = Link("Up", f"{session_kind}Reference", h.item(sessions_path, session.id), session.name)
        return [*up_to_server(h, world, task, access), up]

    kind = Kind(
        model,
        noun=f"{model.__name__.removesuffix('TaskSession').lower()} task session",
        keys=(ON_SERVER, ForeignKey("session_id", session_kind)),
        readers=PORTAL,
        fixture=records(
            "Id JobSessionId=session_id JobId BackupServerId JobName CreationTimeUTC=creation_time"
            " EndTimeUTC=end_time State Result Reason TotalSize VmName VmDisplayName VmUid PointId PointBytes"
            " FineName",
            recorded=True,
        ),
        query=task_query,
        query_order=query_order,
    )
    return kind, Family(
        kind,
        path,
        values,
        ups=ups,
        down=Down("LogonSession", position),
        fragments=True,
        since_fields=since_fields or {},
        reads=task_reader(model, session_kind),
        completes=complete_tasks if model is BackupTaskSession else None,  # one pass reads both kinds
    )
