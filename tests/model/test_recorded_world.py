"""A recorded world (`World.recorded`): its sessions, task sessions and backup catalogue as its
source showed them, kept in its fixture, never drawn from its jobs' schedules.

A generated world marked recorded, written with `world_to_dict` and served from that file at the
same instant, answers every question about its history exactly as the original does: each
derived family's lists and items in both forms, XML and JSON, the query service, the jobs'
`NextRun`, the repositories' free space, and the summary report with its five frames; in 9.5 U4,
12 and 13 (whose times and names carry fractions of a second).
"""

from __future__ import annotations

import copy
import json
from collections.abc import Iterator
from datetime import timedelta
from pathlib import Path
from typing import Any

import pytest
from conftest import START, EmClient, make_client

from mock_em.model.clock import Clock
from mock_em.model.fixture import dump_world, load_world, world_from_dict, world_to_dict
from mock_em.model.job_sessions import refresh_jobs
from mock_em.model.world import World
from mock_em.registry import family
from mock_em.settings import Settings

DERIVED = ("Backup", "RestorePoint", "VmRestorePoint", "BackupFile",
           "BackupJobSession", "ReplicaJobSession", "BackupTaskSession", "ReplicaTaskSession")  # fmt: skip
FRAMES = ("overview", "vms_overview", "job_statistics", "processed_vms", "repository")
JSON = {"Accept": "application/json"}
ITEMS_EACH = 12  # items of each family read one by one (spread over its list)


def recorded_copy(world: World, seed: int | None, path: Path) -> Path:
    """The world marked recorded, written as a fixture file."""
    copied = copy.deepcopy(world)
    copied.recorded = True
    dump_world(copied, path, seed)
    return path


def served_pair(settings: Settings, tmp_path: Path) -> tuple[EmClient, EmClient]:
    """A generated world's client and its recorded copy's, both with the clock frozen at START."""
    original = make_client(settings)
    path = recorded_copy(original.em.world, settings.seed, tmp_path / "recorded.json")
    again = Settings(fixture=str(path), release=settings.release)
    return original, make_client(again, Clock(START, frozen=True))


def urls(client: EmClient, token: str) -> Iterator[str]:
    """What a client asks of a world's history: each derived family's list, entity list, some
    items in both forms and their sub-collections; the query service's first page of each;
    the jobs and repositories; the summary report and its frames."""
    for name in DERIVED:
        fam = family(name)
        base = f"/api{fam.path}"
        yield base
        yield f"{base}?format=Entity"
        yield f"/api/query?type={name}&format=Entities&pageSize=200"
        ids = [(item.get("UID") or item["uid"]).rsplit(":", 1)[1] for item in _listed(client, token, base)]
        step = max(1, len(ids) // ITEMS_EACH)
        for item_id in ids[::step]:
            yield f"{base}/{item_id}"
            yield f"{base}/{item_id}?format=Entity"
            for sub in fam.subs:
                yield f"{base}/{item_id}/{sub.segment}"
    yield "/api/jobs?format=Entity"
    yield "/api/repositories?format=Entity"
    yield "/api/reports/summary"
    for frame in FRAMES:
        yield f"/api/reports/summary/{frame}"


def _listed(client: EmClient, token: str, path: str) -> list[dict[str, Any]]:
    response = client.get_as(token, path, headers=JSON)
    assert response.status_code == 200, response.text
    return _refs(response.json())


def _refs(body: dict[str, Any]) -> list[dict[str, Any]]:
    """The references of an `EntityReferences` list in JSON."""
    lists = [v for v in body.values() if isinstance(v, list)]
    return lists[0] if lists else []


def assert_same_answers(original: EmClient, recorded: EmClient) -> int:
    """Every URL of `urls` answers the same bytes, XML and JSON; returns how many were compared."""
    first, second = original.logon(), recorded.logon()
    compared = 0
    for url in urls(original, first):
        for headers in ({}, JSON):
            a = original.get_as(first, url, headers=headers)
            b = recorded.get_as(second, url, headers=headers)
            assert (a.status_code, a.content) == (b.status_code, b.content), url
            compared += 1
    return compared


@pytest.mark.parametrize(
    "settings",
    [Settings(), Settings(seed=3), Settings(release="12"), Settings(seed=3, release="13")],
    ids=["default", "seed3", "em12", "em13"],
)
def test_a_recorded_copy_answers_as_the_original(settings: Settings, tmp_path: Path) -> None:
    original, recorded = served_pair(settings, tmp_path)
    try:
        assert recorded.em.world.recorded and not original.em.world.recorded
        for name in DERIVED:  # the same objects, not drawn again
            assert list(recorded.em.world.all(name).items()) == list(original.em.world.all(name).items()), name
        assert assert_same_answers(original, recorded) > 300
    finally:
        original.close()
        recorded.close()


def test_reports_agree_at_several_instants(tmp_path: Path) -> None:
    """Recorded at an instant and served at it, the report's frames are the original's, wherever
    the clock stood when the world was recorded (runs going, days turning)."""
    for hours in (0, 5, 11, 22):
        clock = Clock(START + timedelta(hours=hours, minutes=7), frozen=True)
        original = make_client(Settings(seed=2), clock)
        path = recorded_copy(original.em.world, 2, tmp_path / f"at{hours}.json")
        recorded = make_client(Settings(fixture=str(path)), Clock(clock.now(), frozen=True))
        try:
            a, b = original.logon(), recorded.logon()
            for frame in FRAMES:
                for headers in ({}, JSON):
                    url = f"/api/reports/summary/{frame}"
                    assert (
                        original.get_as(a, url, headers=headers).content
                        == recorded.get_as(b, url, headers=headers).content
                    ), (hours, frame)
        finally:
            original.close()
            recorded.close()


def test_fixture_keys_and_marks(tmp_path: Path) -> None:
    """A recorded world's file says so, names its release, and holds each derived kind's section
    and each job's `NextRun`; reading it back gives the same world, marks and all."""
    client = make_client(Settings(release="13"))
    try:
        world = copy.deepcopy(client.em.world)
    finally:
        client.close()
    world.recorded, world.release = True, "13"
    data = world_to_dict(world, 1)
    assert data["Recorded"] is True and data["Release"] == "13"
    for section in ("Backups", "RestorePoints", "VmRestorePoints", "BackupFiles", "BackupJobSessions",
                    "ReplicaJobSessions", "BackupTaskSessions", "ReplicaTaskSessions"):  # fmt: skip
        assert data[section], section
    assert all("NextRun" in job for job in data["Jobs"])
    session = data["BackupJobSessions"][0]
    assert list(session)[:5] == ["Id", "JobId", "BackupServerId", "JobName", "JobType"]
    assert "." in session["CreationTimeUTC"] and session["FineName"] is True  # 13: fractions, in names too
    assert data["VmRestorePoints"][0]["PointType"] in ("Full", "Increment")
    back = world_from_dict(json.loads(json.dumps(data)))
    assert back.recorded and back.release == "13"
    assert world_to_dict(back, 1) == data
    assert [s.name for s in back.all("BackupJobSession").values()] == [
        s.name for s in world.all("BackupJobSession").values()
    ]
    assert [p.name for p in back.all("VmRestorePoint").values()] == [
        p.name for p in world.all("VmRestorePoint").values()
    ]
    snapshot = copy.deepcopy(back)
    assert (snapshot.recorded, snapshot.release) == (True, "13")


def test_a_generated_world_writes_none_of_it() -> None:
    """A generated world's fixture is as it always was: no marks, no derived sections, no `NextRun`."""
    client = make_client(Settings())
    try:
        data = world_to_dict(client.em.world, 1)
    finally:
        client.close()
    assert "Recorded" not in data and "Release" not in data
    assert not {"Backups", "BackupJobSessions", "VmRestorePoints"} & set(data)
    assert all("NextRun" not in job for job in data["Jobs"])


def test_the_clock_moves_nothing_recorded(tmp_path: Path) -> None:
    """As the clock runs on, a recorded world keeps its sessions, catalogue and `NextRun`s, and
    its jobs move no repository's free space (its tenants' replicas still do, as in any world); a
    snapshot restored and a reset give them back as recorded."""
    original = make_client(Settings())
    path = recorded_copy(original.em.world, 1, tmp_path / "recorded.json")
    original.close()
    clock = Clock(START, frozen=True)
    recorded = make_client(Settings(fixture=str(path)), clock)
    try:
        world = recorded.em.world
        before = {name: list(world.all(name).items()) for name in (*DERIVED, "Job")}
        next_runs = [j.next_run for j in world.all("Job").values()]
        free = [r.free_space for r in world.all("Repository").values()]
        assert not refresh_jobs(world, START + timedelta(days=3))  # no job moves a repository's free space
        assert [r.free_space for r in world.all("Repository").values()] == free
        assert recorded.control("PUT", "/mock/snapshots/a").status_code == 200
        assert recorded.control("POST", "/mock/clock/advance", json={"by": "30h"}).status_code == 200
        recorded.logon()  # a request brings the world to the clock
        world = recorded.em.world
        assert {name: list(world.all(name).items()) for name in before} == before
        assert [j.next_run for j in world.all("Job").values()] == next_runs
        assert recorded.control("POST", "/mock/snapshots/a/restore").status_code == 200
        assert recorded.em.world.recorded
        assert {name: list(recorded.em.world.all(name).items()) for name in before} == before
        assert recorded.control("POST", "/mock/reset").status_code == 200
        assert recorded.em.world.recorded
        assert {name: list(recorded.em.world.all(name).items()) for name in before} == before
    finally:
        recorded.close()
    assert load_world(path)[0].recorded


@pytest.fixture
def recorded_em(tmp_path: Path) -> Iterator[EmClient]:
    """A client over a recorded copy of the default world, at START."""
    original = make_client(Settings())
    path = recorded_copy(original.em.world, 1, tmp_path / "recorded.json")
    original.close()
    client = make_client(Settings(fixture=str(path)))
    yield client
    client.close()


def test_job_run_edits_are_refused(recorded_em: EmClient) -> None:
    """A recorded world has no drawn runs to fail, start or stop: a Veeam Error 400 says so, and
    the job and its sessions are left as they were."""
    world = recorded_em.em.world
    job = next(iter(world.all("Job").values()))
    sessions = list(world.all("BackupJobSession").items())
    for action, body in (("start", None), ("stop", None), ("nextRun", {"Result": "Failed"})):
        response = recorded_em.control("POST", f"/mock/world/jobs/{job.id}/{action}", json=body)
        assert response.status_code == 400, response.text
        error = response.json()
        assert error["StatusCode"] == 400 and "recorded" in error["Message"], error
    assert not job.run_edits and list(world.all("BackupJobSession").items()) == sessions


def test_deleting_a_recorded_point(recorded_em: EmClient) -> None:
    """Deleting a restore point of a recorded world removes it, its VM points and its file from the
    world (404 on `/api`); its session links it no more, its tasks left no point the report counts,
    and the repository gets the file's bytes back."""
    world = recorded_em.em.world
    token = recorded_em.logon()
    linked = {s.restore_point_id for s in world.all("BackupJobSession").values()}
    repositories = world.all("Repository")
    target = next(
        f
        for f in world.all("BackupFile").values()
        if f.file_type == "vib"
        and f.restore_point_id in linked
        and repositories[world.all("Backup")[f.backup_id].repository_id].free_space != -1
    )
    point_id = target.restore_point_id
    repository = repositories[world.all("Backup")[target.backup_id].repository_id]
    free = repository.free_space
    vm_points = [p.id for p in world.all("VmRestorePoint").values() if p.restore_point_id == point_id]
    session = next(s for s in world.all("BackupJobSession").values() if s.restore_point_id == point_id)
    answer = recorded_em.control("DELETE", f"/mock/world/restorePoints/{point_id}")
    assert answer.status_code == 200, answer.text
    assert answer.json() == {
        "deleted": str(point_id),
        "restorePointsRemoved": 1,
        "vmRestorePointsRemoved": len(vm_points),
        "backupFilesRemoved": 1,
        "bytesFreed": target.backup_size,
    }
    for path in (
        f"/api/restorePoints/{point_id}",
        f"/api/backupFiles/{target.id}",
        f"/api/vmRestorePoints/{vm_points[0]}",
    ):
        assert recorded_em.get_as(token, path).status_code == 404, path
    assert repository.free_space == free + target.backup_size
    entity = recorded_em.get_as(token, f"/api/backupSessions/{session.id}?format=Entity", headers=JSON).json()
    assert not [link for link in entity["Links"] if link["Rel"] == "Related"]
    assert all(t.point_id is None for t in world.all("BackupTaskSession").values() if t.session_id == session.id)
    assert world.recorded and not refresh_jobs(world, START)  # nothing drawn back
    assert point_id not in world.all("RestorePoint")
