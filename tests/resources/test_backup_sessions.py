"""The backup job sessions' family (`mock_em/resources/backup_sessions.py`) as the wire shows it:
each backup job's runs of the last eight days, derived from its schedule at the world's time,
their retries, a running one, the query forms monitoring clients send, and the clock."""

from __future__ import annotations

from collections import Counter
from collections.abc import Callable, Iterator
from datetime import UTC, datetime, timedelta
from typing import Any

import pytest
from conftest import SEED_FIXTURE, START, EmClient, make_client
from xmlutil import body, logon, q

from mock_em.model.clock import Clock
from mock_em.model.entities import SessionResult, SessionState
from mock_em.model.job_history import HISTORY
from mock_em.registry import family
from mock_em.settings import Settings
from resources.family_checks import (
    JSON,
    USERS,
    check_provider_only,
    query_uids,
    uid,
)
from resources.session_checks import (
    a_run,
    check_clock_run_equals_fresh,
    check_session_entity,
    inside,
    sessions,
    wire_time,
)

FAMILY = family("BackupJobSession")


@pytest.fixture(scope="module")
def many() -> Iterator[EmClient]:
    """Six backup servers' jobs: enough runs for the proportions and the query forms."""
    client = make_client(Settings(user=USERS, backup_servers=6, tenants=6))
    yield client
    client.close()


def test_entity_fields_and_links(roles: EmClient, seed: EmClient) -> None:
    """Every session shows the schema's fields and the vendor's links, named `JobName@time` (UTC)."""
    for client in (roles, seed):
        found = sessions(client, FAMILY)
        assert found
        for session in found:
            check_session_entity(client, FAMILY, session)


def test_json_member_order_is_the_captures(seed: EmClient) -> None:
    """JSON puts `IsRetry` first, then the schema's fields, then Name, UID, Links, Href, Type, as
    the 9.5 U4, v12 and v13 captures do; `FailureMessage` is null (empty in XML)."""
    token, _ = logon(seed)
    data = seed.get_as(token, "/api/backupSessions?format=Entity", headers=JSON).json()["BackupJobSessions"]
    first = data[0]
    assert list(first) == ["IsRetry", "JobUid", "JobName", "JobType", "CreationTimeUTC", "EndTimeUTC", "State",
                           "Result", "Progress", "FailureMessage", "Name", "UID", "Links", "Href", "Type"]  # fmt: skip
    assert first["Links"][0]["Type"] == "BackupServerReference" and isinstance(first["Progress"], int)
    assert first["FailureMessage"] is None


def test_readers_tenants_and_paths(roles: EmClient) -> None:
    """Portal administrators and users read them; Restore Operators and tenants get a 403."""
    check_provider_only(roles, FAMILY)


def test_history_proportions_and_retries(many: EmClient) -> None:
    """Sessions started in the eight days before the world's time; mostly successes, a few
    warnings, rare failures, and every failure retried 5 to 10 minutes after it ended (for the
    failed VMs alone), at most three times."""
    now = many.em.world_time
    found = sessions(many, FAMILY) + sessions(many, family("ReplicaJobSession"))
    assert len(found) > 200
    assert all(now - HISTORY < s.creation_time <= now for s in found)
    results = Counter(s.result for s in found if s.state is SessionState.Stopped)
    finished = sum(results.values())
    assert results[SessionResult.Success] / finished > 0.75
    assert 0 < results[SessionResult.Failed] / finished < 0.15
    by_job: dict[Any, list[Any]] = {}
    for s in sorted(found, key=lambda s: s.creation_time):
        by_job.setdefault(s.job_id, []).append(s)
    retried = 0
    for runs in by_job.values():
        for i, s in enumerate(runs):
            if s.result is not SessionResult.Failed or s.end_time is None or s.end_time + timedelta(minutes=10) > now:
                continue
            after = runs[i + 1] if i + 1 < len(runs) else None
            chain = sum(1 for r in runs[: i + 1][::-1] if r.is_retry)  # retries before this one, at most
            if after is not None and after.is_retry:
                assert timedelta(minutes=5) <= after.creation_time - s.end_time <= timedelta(minutes=10, seconds=1)
                retried += 1
            else:
                assert chain >= 1, f"{s.name} failed and was not retried"
    assert retried > 0


def test_sub_collections(seed: EmClient) -> None:
    """A session's `taskSessions` are its VMs' tasks; a job's `backupSessions` are its runs."""
    token, _ = logon(seed)
    world = seed.em.world
    for session in sessions(seed, FAMILY):
        listed = body(seed.get_as(token, f"/api/backupSessions/{session.id}/taskSessions"), 200, "EntityReferences")
        mine = [t for t in world.all("BackupTaskSession").values() if t.session_id == session.id]
        assert [r.get("UID") for r in listed] == [f"urn:veeam:BackupTaskSession:{t.id}" for t in mine] and mine
    for job in world.all("Job").values():
        listed = body(seed.get_as(token, f"/api/jobs/{job.id}/backupSessions?format=Entity"), 200, "BackupJobSessions")
        runs = [s for s in sessions(seed, FAMILY) if s.job_id == job.id]
        assert [e.get("UID") for e in listed] == [uid(FAMILY, s.id) for s in runs]


def test_a_running_session_then_its_end(seed: EmClient) -> None:
    """With the clock inside a run the session is working: `Result` None, no end time, progress
    below 100, its task `InProgress` reading Success; an hour on it has stopped with its result."""
    job = next(j for j in seed.em.world.all("Job").values() if j.name == "DB Backup")
    run = a_run(job, START)
    client = make_client(Settings(fixture=str(SEED_FIXTURE), user=USERS), Clock(inside(run), frozen=True))
    try:
        token, _ = logon(client)
        entity = body(client.get_as(token, f"/api/backupSessions/{run.id}?format=Entity"), 200, "BackupJobSession")
        assert entity.findtext(q("State")) in ("Working", "Starting")
        assert entity.findtext(q("Result")) == "None" and entity.find(q("EndTimeUTC")) is None
        assert 0 <= int(entity.findtext(q("Progress"))) < 100
        task = body(client.get_as(token, f"/api/backupTaskSessions/{run.tasks[0].id}?format=Entity"), 200)
        assert (task.findtext(q("State")), task.findtext(q("Result"))) == ("InProgress", "Success")
        assert client.control("POST", "/mock/clock/advance", json={"by": "1h"}).status_code == 200
        token, _ = logon(client)  # the session idled out meanwhile
        entity = body(client.get_as(token, f"/api/backupSessions/{run.id}?format=Entity"), 200, "BackupJobSession")
        assert (entity.findtext(q("State")), entity.findtext(q("Progress"))) == ("Stopped", "100")
        assert entity.findtext(q("Result")) == run.result.value
        assert entity.findtext(q("EndTimeUTC")) == wire_time(run.end)
    finally:
        client.close()


def _at(text: str) -> datetime:
    return datetime.fromisoformat(text).replace(tzinfo=UTC)


T = "2026-01-03T21:07:25"
FORMS: list[tuple[dict[str, str], Callable[[Any], bool]]] = [
    ({"filter": f'CreationTime>="{T}"'}, lambda s: s.creation_time >= _at(T)),
    ({"filter": f"CreationTime>={T}"}, lambda s: s.creation_time >= _at(T)),
    ({"filter": f'creationtime>"{T}Z"'}, lambda s: s.creation_time > _at(T)),
    ({"filter": 'result=="Failed";creationtime>"2026-01-01"'},
     lambda s: s.result is SessionResult.Failed and s.creation_time > _at("2026-01-01T00:00:00")),
    ({"filter": "Result==Success"}, lambda s: s.result is SessionResult.Success),
    ({"filter": "JobType==Backup"}, lambda s: True),
    ({"filter": "State==Stopped,IsRetry==true"}, lambda s: s.state is SessionState.Stopped or s.is_retry),
]  # fmt: skip


@pytest.mark.parametrize(("params", "keep"), FORMS, ids=[p["filter"] for p, _ in FORMS])
def test_query_forms_clients_send(many: EmClient, params: dict[str, str], keep: Callable[[Any], bool]) -> None:
    """The filters Grafana, veeam-exporter, centreon and the PHP script send select what the
    sessions say, newest first with `sortDesc=CreationTime&pageSize=2000`."""
    token, _ = logon(many)
    found = query_uids(many, token, FAMILY, sortDesc="CreationTime", pageSize="2000", page="1", **params)
    expected = sorted((s for s in sessions(many, FAMILY) if keep(s)), key=lambda s: s.creation_time, reverse=True)
    assert found == [uid(FAMILY, s.id) for s in expected]


def test_job_name_and_results_in_parentheses(many: EmClient) -> None:
    """`jobname=="A B";(result=="Success",result=="Warning");creationtime>"…"`, and the newest run
    of a job by `sortDesc=EndTime&pageSize=1`."""
    token, _ = logon(many)
    session = sessions(many, FAMILY)[0]
    name = session.job_name
    found = query_uids(many, token, FAMILY, filter=f'jobname=="{name}";(result=="Success",result=="Warning");'
                       'creationtime>"2025-12-01T00:00:00Z"')  # fmt: skip
    ok = {SessionResult.Success, SessionResult.Warning}
    mine = [s for s in sessions(many, FAMILY) if s.job_name == name and s.result in ok]
    assert sorted(found) == sorted(uid(FAMILY, s.id) for s in mine) and found
    newest = query_uids(many, token, FAMILY, filter=f'JobName=="{name}"', sortDesc="EndTime", pageSize="1")
    ended = [s for s in sessions(many, FAMILY) if s.job_name == name and s.end_time is not None]
    assert newest == [uid(FAMILY, max(ended, key=lambda s: s.end_time).id)]


def test_running_the_clock_equals_a_fresh_generation() -> None:
    """A world generated at T0 and run on to T1 shows the sessions, jobs and repositories a world
    generated at T1 shows, byte for byte."""
    check_clock_run_equals_fresh(
        timedelta(hours=30, minutes=17),
        ("/api/backupSessions", "/api/replicaSessions", "/api/backupTaskSessions", "/api/jobs",
         "/api/replicaTaskSessions", "/api/repositories"),
    )  # fmt: skip


def test_demo_mode_fails_more_runs_and_retries_them() -> None:
    """Demo mode makes one VM task in ten fail (against one in fifty), each failed run retried,
    so a demo shows failures and retries; the same world without it fails far less."""
    failed = {}
    for demo in (False, True):
        client = make_client(Settings(user=USERS, seed=3, backup_servers=4, tenants=4, demo=demo))
        try:
            tasks = sessions(client, family("BackupTaskSession")) + sessions(client, family("ReplicaTaskSession"))
            first = {s.id for s in sessions(client, FAMILY) + sessions(client, family("ReplicaJobSession"))
                     if not s.is_retry}  # fmt: skip
            firsts = [t for t in tasks if t.session_id in first]
            failed[demo] = sum(t.result is SessionResult.Failed for t in firsts) / len(firsts)
            if demo:
                assert all(j.failure_rate == 0.1 for j in client.em.world.all("Job").values())
                assert any(s.is_retry for s in sessions(client, FAMILY))
        finally:
            client.close()
    assert failed[False] < 0.05 < failed[True] < 0.2


def test_a_cookie_only_client_reads_sessions(seed: EmClient) -> None:
    """As the Zabbix template does: `POST /api/sessionMngr` (no slash, no `?v=`, empty body), then
    only the cookie its HTTP object keeps: the last day's sessions and the task sessions."""
    seed.cookies.clear()
    try:
        assert seed.post("/api/sessionMngr", auth=("Administrator", "P@ssw0rd"), content=b"").status_code == 201
        params = {"type": "BackupJobSession", "format": "Entities", "filter": 'CreationTime>="2026-01-04T12:00:00"'}
        data = seed.get("/api/query", params=params, headers=JSON)
        assert data.status_code == 200, data.text
        day = data.json()["Entities"]["BackupJobSessions"]["BackupJobSessions"]
        since = datetime(2026, 1, 4, 12, tzinfo=UTC)
        held = seed.em.world.all("BackupJobSession").values()
        runs = sorted((s.id, s.name) for s in held if s.creation_time >= since)
        assert sorted((s["UID"].rsplit(":", 1)[1], s["Name"]) for s in day) == [(str(i), n) for i, n in runs]
        assert [name.split("@")[0] for _, name in runs] == ["DB Backup"]  # the seed sample's one daily job
        tasks = seed.get("/api/backupTaskSessions", headers=JSON)
        assert tasks.status_code == 200 and len(tasks.json()["Refs"]) == len(seed.em.world.all("BackupTaskSession")) > 0
    finally:
        seed.cookies.clear()
