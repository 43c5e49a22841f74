"""The control plane's job edits (`/mock/world/jobs`): a job's next run made to fail or warn, a
run started and stopped by hand, a job added and removed; each acts at the world's time and
shows on the vendor routes at once or as the clock runs."""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any
from uuid import UUID

import httpx
import pytest
from conftest import SEED_FIXTURE, START, EmClient, make_client
from xmlutil import assert_error, logon

from mock_em.model.clock import Clock
from mock_em.model.job_history import runs_on
from mock_em.settings import Settings

JSON = {"Accept": "application/json"}
DB_BACKUP = "5658281f-625e-4627-89dd-d2a0c48be99e"  # the seed's backup job, daily at 17:00 UTC
REPLICA = "9b2f6a8e-3c1d-4e7a-8f5b-2d6c9e0a1b34"


@pytest.fixture
def seed() -> Iterator[EmClient]:
    """The seed sample at START (12:00 UTC), its own EM per test."""
    client = make_client(Settings(fixture=str(SEED_FIXTURE)), Clock(START, frozen=True))
    yield client
    client.close()


def listed(client: EmClient, path: str) -> list[dict[str, Any]]:
    """A session collection's entities in JSON, oldest first, by a fresh logon (moving the clock
    may have idled the last one out)."""
    token, _ = logon(client)
    key = {"/api/backupSessions": "BackupJobSessions", "/api/replicaSessions": "ReplicaJobSessions",
           "/api/backupTaskSessions": "BackupTaskSessions"}[path]  # fmt: skip
    found = client.get_as(token, f"{path}?format=Entity", headers=JSON).json()[key]
    return sorted(found, key=lambda s: s["CreationTimeUTC"])


def refused(response: httpx.Response, status: int, says: str = "") -> None:
    """A Veeam Error of this status whose message says `says`."""
    if response.headers["content-type"].startswith("application/json"):  # the control plane's
        error = response.json()
        assert (response.status_code, error["StatusCode"]) == (status, status)
        assert says in error["Message"], error["Message"]
        return
    root = assert_error(response, status, {400: "BadRequest", 404: "NotFound"}[status])
    assert says in root.get("Message", ""), root.get("Message")


def advance(client: EmClient, by: str) -> None:
    assert client.control("POST", "/mock/clock/advance", json={"by": by}).status_code == 200


@pytest.mark.parametrize("result", ["Failed", "Warning"])
def test_next_run_fails_or_warns(seed: EmClient, result: str) -> None:
    """The next scheduled run (17:00) ends as asked; a failed one is retried 5 to 10 minutes after."""
    answer = seed.control("POST", f"/mock/world/jobs/{DB_BACKUP}/nextRun", json={"Result": result})
    assert answer.status_code == 200, answer.text
    assert answer.json()["At"] == "2026-01-05T17:00:00Z"
    advance(seed, "8h")
    today = [s for s in listed(seed, "/api/backupSessions") if s["CreationTimeUTC"].startswith("2026-01-05")]
    assert today[0]["Name"].startswith("DB Backup@2026-01-05 17:00:") and today[0]["Result"] == result
    assert not today[0]["IsRetry"]
    tasks = [t for t in listed(seed, "/api/backupTaskSessions") if t["JobSessionUid"].endswith(today[0]["UID"][-36:])]
    assert tasks and all(t["Result"] == result and t["Reason"].startswith("Processing sqlsrv03 Error: ") for t in tasks)
    if result == "Failed":
        assert len(today) >= 2 and today[1]["IsRetry"]
        assert all(t["TotalSize"] == 0 for t in tasks)
    else:
        assert len(today) == 1


def test_start_then_stop(seed: EmClient) -> None:
    """A started run shows at once (`Starting`, no result, no end); a second start is refused; a
    stop ends it `Stopped` `Failed` at the world's time, with no retry; a second stop is refused."""
    before = listed(seed, "/api/backupSessions")
    started = seed.control("POST", f"/mock/world/jobs/{DB_BACKUP}/start")
    assert started.status_code == 201, started.text
    now = listed(seed, "/api/backupSessions")
    assert len(now) == len(before) + 1
    new = now[-1]
    assert new["CreationTimeUTC"] == "2026-01-05T12:00:00Z" and started.json()["At"] == "2026-01-05T12:00:00Z"
    assert (new["State"], new["Result"], new["EndTimeUTC"]) == ("Starting", "None", None)
    refused(seed.control("POST", f"/mock/world/jobs/{DB_BACKUP}/start"), 400, "running already")
    advance(seed, "30s")
    stopped = seed.control("POST", f"/mock/world/jobs/{DB_BACKUP}/stop")
    assert stopped.status_code == 200, stopped.text
    assert stopped.json()["SessionId"] == new["UID"].rsplit(":", 1)[1]
    last = listed(seed, "/api/backupSessions")[-1]
    assert (last["State"], last["Result"], last["EndTimeUTC"]) == ("Stopped", "Failed", "2026-01-05T12:00:30Z")
    refused(seed.control("POST", f"/mock/world/jobs/{DB_BACKUP}/stop"), 400, "not running")
    advance(seed, "1h")
    assert listed(seed, "/api/backupSessions")[-1]["UID"] == last["UID"]  # no retry after a stop


def test_add_run_and_remove_a_job(seed: EmClient) -> None:
    """A job added now has no history; a day on it has run; removing it removes its sessions."""
    world = seed.em.world
    server = next(iter(world.backup_servers))
    repository = next(iter(world.all("Repository")))
    body = {"Name": "Web Daily Backup", "BackupServerId": str(server), "RepositoryId": str(repository),
            "Schedule": {"Hour": 20, "Minute": 30}, "Vms": ["web01", "web02"]}  # fmt: skip
    added = seed.control("POST", "/mock/world/jobs", json=body)
    assert added.status_code == 201, added.text
    job_id = added.json()["Id"]
    token, _ = logon(seed)
    job = seed.get_as(token, f"/api/jobs/{job_id}?format=Entity", headers=JSON).json()
    assert (job["Name"], job["NextRun"]) == ("Web Daily Backup", "2026-01-05T20:30:00Z")
    assert not [s for s in listed(seed, "/api/backupSessions") if s["JobName"] == "Web Daily Backup"]
    advance(seed, "1d")
    mine = [s for s in listed(seed, "/api/backupSessions") if s["JobName"] == "Web Daily Backup"]
    assert len(mine) >= 1 and mine[0]["CreationTimeUTC"].startswith("2026-01-05T20:30:")
    removed = seed.control("DELETE", f"/mock/world/jobs/{job_id}")
    assert removed.status_code == 200 and removed.json()["backupSessionsRemoved"] == len(mine)
    assert not [s for s in listed(seed, "/api/backupSessions") if s["JobName"] == "Web Daily Backup"]
    token, _ = logon(seed)
    refused(seed.get_as(token, f"/api/jobs/{job_id}"), 404)


def test_refusals(seed: EmClient) -> None:
    """Unknown jobs are 404s; bad bodies and impossible actions 400s, as Veeam Error bodies."""
    unknown = "00000000-0000-4000-8000-000000000000"
    refused(seed.control("POST", f"/mock/world/jobs/{unknown}/start"), 404, "Job")
    refused(seed.control("POST", f"/mock/world/jobs/{DB_BACKUP}/nextRun", json={"Result": "Great"}), 400)
    refused(seed.control("POST", f"/mock/world/jobs/{DB_BACKUP}/nextRun"), 400)
    refused(seed.control("POST", f"/mock/world/jobs/{DB_BACKUP}/stop"), 400, "not running")
    refused(seed.control("POST", "/mock/world/jobs", json={"Name": "x"}), 400)


def test_edits_survive_a_world_export_and_load(seed: EmClient) -> None:
    """The job's fixture form keeps the edit (`RunEdits`), so a world exported and loaded into
    another EM replays it: that EM's 18:00 replication run warns too."""
    assert seed.control("POST", f"/mock/world/jobs/{REPLICA}/nextRun", json={"Result": "Warning"}).status_code == 200
    shown = seed.control("GET", f"/mock/world/jobs/{REPLICA}").json()
    assert shown["RunEdits"] == [{"Action": "Warn", "At": "2026-01-05T18:00:00Z", "SessionId": None}]
    exported = seed.control("GET", "/mock/world").json()
    other = make_client(Settings(fixture=str(SEED_FIXTURE)), Clock(START, frozen=True))
    try:
        assert other.control("PUT", "/mock/world", json=exported).status_code == 200
        advance(other, "7h")
        last = listed(other, "/api/replicaSessions")[-1]
        assert last["Result"] == "Warning" and last["CreationTimeUTC"].startswith("2026-01-05T18:00:")
    finally:
        other.close()


def test_a_job_without_vms_runs_empty(seed: EmClient) -> None:
    """A job with no VMs still runs by its schedule: a session with no task sessions, `Stopping`
    (nothing left to process) until it ends, then `Stopped` with `Success`."""
    world = seed.em.world
    server, repository = next(iter(world.backup_servers)), next(iter(world.all("Repository")))
    body = {"Name": "Empty Backup", "BackupServerId": str(server), "RepositoryId": str(repository),
            "Schedule": {"Hour": 12, "Minute": 5}}  # fmt: skip
    added = seed.control("POST", "/mock/world/jobs", json=body)
    assert added.status_code == 201
    (run,) = runs_on(world.all("Job")[UUID(added.json()["Id"])], START.date())
    assert run.tasks == ()
    middle = (run.start + (run.end - run.start) / 2 - START).total_seconds()
    assert seed.control("POST", "/mock/clock/advance", json={"seconds": middle}).status_code == 200
    mine = [s for s in listed(seed, "/api/backupSessions") if s["JobName"] == "Empty Backup"]
    assert [(s["State"], s["Result"], s["EndTimeUTC"]) for s in mine] == [("Stopping", "None", None)]
    advance(seed, "10m")
    mine = [s for s in listed(seed, "/api/backupSessions") if s["JobName"] == "Empty Backup"]
    assert [(s["State"], s["Result"], s["Progress"]) for s in mine] == [("Stopped", "Success", 100)]
    tasks = [t for t in listed(seed, "/api/backupTaskSessions") if t["JobSessionUid"].endswith(mine[0]["UID"][-36:])]
    assert tasks == []
