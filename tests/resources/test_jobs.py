"""The jobs' family (`mock_em/resources/jobs.py`) as the wire shows it: each backup server's
backup and replication jobs, their schedules and their next run as the clock moves."""

from __future__ import annotations

import json
from datetime import UTC, datetime, timedelta
from pathlib import Path
from uuid import UUID

from conftest import SEED_FIXTURE, EmClient, make_client
from xmlutil import API, Link, body, links, logon, q

from mock_em.model.entities import Job, JobType, Role
from mock_em.registry import family
from mock_em.settings import Settings
from resources.family_checks import (
    JSON,
    USERS,
    check_path_case,
    check_readers,
    check_tenants_see_their_own,
    entity_of,
    own_fields,
    query_uids,
)

FAMILY = family("Job")


def _jobs(client: EmClient) -> list[Job]:
    return list(client.em.world.all(FAMILY.name).values())


def test_entity_fields_and_links(roles: EmClient) -> None:
    """Each job shows its type, platform, description, schedule and next run in the schema's
    order, and links Up to its backup server, Alternate to its reference and Down to its
    sessions, nothing else."""
    world = roles.em.world
    for job in _jobs(roles):
        entity = entity_of(roles, FAMILY, job.id)
        fields = own_fields(entity)
        s = job.schedule
        assert [k for k in fields if "." not in k] == [
            "JobType",
            "Platform",
            "Description",
            "ScheduleConfigured",
            "ScheduleEnabled",
            *(["NextRun"] if job.next_run else []),
            "JobScheduleOptions",
        ]
        assert (fields["JobType"], fields["Platform"], fields["Description"]) == (
            job.job_type.value,
            job.platform.value,
            job.description,
        )
        assert (fields["ScheduleConfigured"], fields["ScheduleEnabled"]) == ("true", str(s.enabled).lower())
        options = entity.find(q("JobScheduleOptions"))
        daily, periodic = options.find(q("OptionsDaily")), options.find(q("OptionsPeriodically"))
        assert daily.get("Enabled") == str(not s.every_hours).lower()
        assert daily.findtext(q("Time")) == f"{s.hour:02d}:{s.minute:02d}:00"
        assert periodic.get("Enabled") == str(bool(s.every_hours)).lower()
        assert periodic.findtext(q("FullPeriod")) == str(s.every_hours or 1)
        server = world.backup_servers[job.backup_server_id]
        assert links(entity) == [
            Link("Up", "BackupServerReference", f"{API}/backupServers/{server.id}", server.name),
            Link("Alternate", "JobReference", f"{API}/jobs/{job.id}", job.name),
            Link("Down", "BackupJobSessionReferenceList", f"{API}/jobs/{job.id}/backupSessions"),
        ]


def test_next_run_follows_the_world_time(roles: EmClient) -> None:
    """An enabled job's NextRun is its next start after the world's time (within a day, or its
    period), on its minute; a disabled one has none; JSON carries it as the vendor's UTC text."""
    world_time = roles.em.world_time
    jobs = _jobs(roles)
    assert any(not j.schedule.enabled for j in jobs) or len(jobs) < 10
    token, _ = logon(roles)
    for job in jobs:
        data = roles.get_as(token, f"/api/jobs/{job.id}?format=Entity", headers=JSON).json()
        if not job.schedule.enabled:
            assert job.next_run is None and data["NextRun"] is None
            continue
        assert job.next_run is not None
        assert world_time < job.next_run <= world_time + timedelta(hours=job.schedule.every_hours or 24)
        assert (job.next_run.minute, job.next_run.second) == (job.schedule.minute, 0)
        assert data["NextRun"] == job.next_run.strftime("%Y-%m-%dT%H:%M:%SZ")


def test_next_run_moves_with_the_clock() -> None:
    """Two days on, every enabled job's NextRun is after the new world time."""
    client = make_client(Settings(user=USERS, backup_servers=2, tenants=4))
    try:
        before = {j.id: j.next_run for j in _jobs(client)}
        assert client.control("POST", "/mock/clock/advance", json={"by": "2d"}).status_code == 200
        client.logon()  # the world catches up on the next request
        now = client.em.world_time
        for job in _jobs(client):
            if before[job.id] is not None:
                assert job.next_run is not None and now < job.next_run and job.next_run > before[job.id]
    finally:
        client.close()


def test_generated_jobs_are_realistic(roles: EmClient) -> None:
    """Three to eight jobs per server, writing to one of the server's own repositories (never a
    tenants' cloud repository); backups and replicas; daily ones start between 22:00 and 02:00."""
    world = roles.em.world
    cloud = {r.repository_id for r in world.all("CloudTenantResource").values()}
    jobs = _jobs(roles)
    for server_id in world.backup_servers:
        assert 3 <= sum(j.backup_server_id == server_id for j in jobs) <= 8
    for job in jobs:
        repository = world.all("Repository")[job.repository_id]
        assert repository.backup_server_id == job.backup_server_id and repository.id not in cloud
        assert job.vms
        if not job.schedule.every_hours:
            assert job.schedule.hour in (22, 23, 0, 1)
    assert {j.job_type for j in jobs} == {JobType.Backup, JobType.Replica} or len(jobs) < 10


def test_readers_and_tenants(roles: EmClient) -> None:
    """Portal administrators and users read jobs; a Restore Operator and tenants get a 403."""
    check_readers(roles, FAMILY, forbidden={Role.RestoreOperator})
    check_tenants_see_their_own(roles, FAMILY, readable=False)


def test_linked_from_the_logon_session_after_backup_servers(client: EmClient) -> None:
    """The LogonSession links the jobs after the backup servers and their managed servers, as EM 12's does."""
    token, session_id = logon(client)
    session = body(client.get_as(token, f"/api/logonSessions/{session_id}"), 200, "LogonSession")
    downs = [(li.Type, li.Href) for li in links(session) if li.Rel == "Down"]
    assert downs[2] == ("JobReferenceList", f"{API}/jobs")


def test_a_backup_servers_jobs(roles: EmClient) -> None:
    """`/api/backupServers/{id}/jobs` lists that server's jobs only, linked Down from the server's
    entity before its repositories, as EM's; paths match in any case."""
    world = roles.em.world
    token, _ = logon(roles)
    for server in world.backup_servers.values():
        mine = [f"urn:veeam:Job:{j.id}" for j in _jobs(roles) if j.backup_server_id == server.id]
        url = f"/api/backupServers/{server.id}/jobs"
        assert [r.get("UID") for r in body(roles.get_as(token, url), 200, "EntityReferences")] == mine
        assert [e.get("UID") for e in body(roles.get_as(token, f"{url}?format=Entity"), 200, "Jobs")] == mine
        shouted = body(roles.get_as(token, f"/api/BACKUPSERVERS/{server.id}/JOBS"), 200, "EntityReferences")
        assert [r.get("UID") for r in shouted] == mine
        entity = body(roles.get_as(token, f"/api/backupServers/{server.id}?format=Entity"), 200, "BackupServer")
        downs = [li for li in links(entity) if li.Rel == "Down"]
        assert [li.Type for li in downs] == ["JobReferenceList", "RepositoryReferenceList"]
        assert downs[0].Href == f"{API}{url.removeprefix('/api')}"


def test_paths_match_in_any_case(roles: EmClient) -> None:
    """`/api/JOBS/{id}` answers as `/api/jobs/{id}`."""
    check_path_case(roles, FAMILY)


def _query(client: EmClient, token: str, **params: str) -> list[str]:
    return query_uids(client, token, FAMILY, **params)


def test_query_by_type_schedule_and_server(roles: EmClient) -> None:
    """`/api/query?type=Job` filters on JobType, ScheduleEnabled and BackupServerName and sorts by
    NextRun, jobs that will not run last."""
    world, (token, _) = roles.em.world, logon(roles)
    jobs = _jobs(roles)

    def uids(chosen: list[Job]) -> list[str]:
        return [f"urn:veeam:Job:{j.id}" for j in chosen]

    replicas = [j for j in jobs if j.job_type is JobType.Replica]
    assert sorted(_query(roles, token, filter="JobType==Replica")) == sorted(uids(replicas))
    enabled = [j for j in jobs if j.schedule.enabled]
    assert sorted(_query(roles, token, filter="ScheduleEnabled==true")) == sorted(uids(enabled))
    server = next(iter(world.backup_servers.values()))
    mine = [j for j in jobs if j.backup_server_id == server.id]
    assert sorted(_query(roles, token, filter=f'BackupServerName=="{server.name}"')) == sorted(uids(mine))
    by_uid = {f"urn:veeam:Job:{j.id}": j for j in jobs}
    ordered = [by_uid[u].next_run for u in _query(roles, token, sortAsc="NextRun")]
    never = datetime.max.replace(tzinfo=UTC)
    assert len(ordered) == len(jobs)
    assert [t or never for t in ordered] == sorted(t or never for t in ordered)  # no next run: last
    soon = roles.em.world_time + timedelta(hours=6)
    due = _query(roles, token, filter=f'NextRun<"{soon:%Y-%m-%dT%H:%M:%S}"')
    assert sorted(due) == sorted(uids([j for j in jobs if j.next_run is not None and j.next_run < soon]))


def test_next_run_is_derived_not_written(client: EmClient) -> None:
    """`Jobs` in a fixture leave NextRun out: it follows from the schedule and the world's time (the
    round trip itself is checked for every family in `test_families.py`)."""
    assert "NextRun" not in FAMILY.kind.section.dump(next(iter(client.em.world.all(FAMILY.name).values())))


VENDORS_EXAMPLE = UUID("5658281f-625e-4627-89dd-d2a0c48be99e")


def test_the_seed_holds_the_vendors_example(seed_client: EmClient) -> None:
    """The seed world holds the vendor's `DB Backup` (Hyper-V, daily) on its one repository."""
    client = seed_client
    job = client.em.world.all(FAMILY.name)[VENDORS_EXAMPLE]
    assert (job.name, job.platform.value, job.description) == ("DB Backup", "HyperV", "Backup of MS SQL Server DB")
    assert job.next_run is not None and job.next_run > client.em.world_time


def test_a_fixture_without_jobs_still_loads(tmp_path: Path) -> None:
    """A fixture older than the family (no `Jobs`) loads with none."""
    data = json.loads(SEED_FIXTURE.read_text(encoding="utf-8"))
    del data["Jobs"]
    old = tmp_path / "old.json"
    old.write_text(json.dumps(data), encoding="utf-8")
    client = make_client(Settings(fixture=str(old)))
    try:
        token, _ = logon(client)
        assert client.em.world.all(FAMILY.name) == {}
        assert body(client.get_as(token, "/api/jobs"), 200, "EntityReferences").findall(q("Ref")) == []
    finally:
        client.close()


def test_removing_a_repository_removes_its_jobs(seed_client: EmClient) -> None:
    """A job goes with the repository it writes to; the others stay."""
    client = seed_client
    job = client.em.world.all(FAMILY.name)[VENDORS_EXAMPLE]
    others = [j.id for j in _jobs(client) if j.repository_id != job.repository_id]
    on_it = len(_jobs(client)) - len(others)
    assert on_it >= 1
    assert client.em.world.remove("Repository", job.repository_id)["Job"] == on_it
    assert list(client.em.world.all(FAMILY.name)) == others
