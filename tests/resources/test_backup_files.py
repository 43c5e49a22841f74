"""The backup files' family (`mock_em/resources/backup_files.py`) as the wire shows it: one file
per kept restore point (a `vbk` full on Sundays, else a `vib` increment), sizes that add up to
what the backups hold on their repositories, and the control plane's deletion of a restore point
or a file (`mock_em/control/point_deletions.py`)."""

from __future__ import annotations

import re
from collections.abc import Iterator
from datetime import timedelta
from typing import Any

import pytest
from conftest import SEED_FIXTURE, START, EmClient, make_client
from em_schema import BACKUP_FILE_FIELDS
from xmlutil import API, NS, Link, assert_error, body, links, logon

from mock_em.model.backup_files import backup_file_id
from mock_em.model.clock import Clock
from mock_em.model.job_history import kept_tasks
from mock_em.registry import family
from mock_em.settings import Settings
from resources.catalogue_checks import check_catalogue_readers, restore_operator_links
from resources.family_checks import USERS, check_collection, entity_of, own_fields, query_uids, uid
from resources.session_checks import check_clock_run_equals_fresh, wire_time

FAMILY = family("BackupFile")
JSON = {"Accept": "application/json"}
NAME = re.compile(r"(?P<job>.+)D(?P<time>\d{4}-\d\d-\d\dT\d{6})\.(?P<ext>vbk|vib)")


@pytest.fixture
def fresh() -> Iterator[EmClient]:
    """The seed world, for a test that deletes from it."""
    client = make_client(Settings(fixture=str(SEED_FIXTURE), user=USERS), Clock(START, frozen=True))
    yield client
    client.close()


def kept_bytes(client: EmClient) -> dict[Any, int]:
    """What each kept restore point's VM points take, from the jobs' runs."""
    found: dict[Any, int] = {}
    for job in client.em.world.all("Job").values():
        for run, task in kept_tasks(job, client.em.world_time):
            if run.restore_point_id not in job.deleted_points:
                found[run.restore_point_id] = found.get(run.restore_point_id, 0) + task.point_bytes
    return found


def test_one_file_per_restore_point(roles: EmClient, seed: EmClient) -> None:
    """Each kept restore point has one file holding its VM points' bytes; a backup's files add up
    to what its job holds on the repository."""
    for client in (roles, seed):
        world = client.em.world
        files, points = world.all("BackupFile"), world.all("RestorePoint")
        assert {f.restore_point_id for f in files.values()} == set(points) and files
        sizes = kept_bytes(client)
        for file in files.values():
            point = points[file.restore_point_id]
            assert file.id == backup_file_id(point.id) == point.backup_file_id
            assert (file.backup_id, file.creation_time) == (point.backup_id, point.backup_date)
            assert file.backup_size == sizes[point.id] > 0
        for backup in world.all("Backup").values():
            job = world.all("Job")[backup.job_id]
            assert sum(f.backup_size for f in files.values() if f.backup_id == backup.id) == job.backup_bytes


def test_entity_fields_in_the_documented_order(seed: EmClient) -> None:
    """The vendor's fields in its example's order; the name, path and type as VBR writes a
    per-job chain; the ratios multiply to `DataSize / BackupSize`."""
    world = seed.em.world
    for file in world.all("BackupFile").values():
        entity = entity_of(seed, FAMILY, file.id)
        fields = own_fields(entity)
        assert list(fields) == [name for name, _ in BACKUP_FILE_FIELDS]
        backup = world.all("Backup")[file.backup_id]
        full = file.creation_time.weekday() == 6
        name = f"{backup.name}D{file.creation_time:%Y-%m-%dT%H%M%S}.{'vbk' if full else 'vib'}"
        assert entity.get("Name") == name and NAME.fullmatch(name)
        assert fields["FilePath"] == f"E:\\Backups\\{backup.name}\\{name}"  # the seed's repository is WindowsLocal
        assert (fields["FileType"], fields["CreationTimeUtc"]) == (name[-3:], wire_time(file.creation_time))
        size, data = int(fields["BackupSize"]), int(fields["DataSize"])
        assert (size, data) == (file.backup_size, file.data_size) and data == 2 * size > 0
        dedup, compress = float(fields["DeduplicationRatio"]), float(fields["CompressRatio"])
        assert dedup >= 1 and compress >= 1
        assert dedup * compress == pytest.approx(data / size, rel=0.01)


def test_links_resolve(seed: EmClient) -> None:
    """Up the backup, Up the backup server, Alternate, Related the restore points, Down the VM
    points, as the vendor's example; each resolves, and the lists hold the file's own."""
    world = seed.em.world
    token, _ = logon(seed)
    for file in world.all("BackupFile").values():
        entity = entity_of(seed, FAMILY, file.id)
        server, backup = world.backup_servers[file.backup_server_id], world.all("Backup")[file.backup_id]
        href = f"{API}/backupFiles/{file.id}"
        assert links(entity) == [
            Link("Up", "BackupReference", f"{API}/backups/{backup.id}", backup.name),
            Link("Up", "BackupServerReference", f"{API}/backupServers/{server.id}", server.name),
            Link("Alternate", "BackupFileReference", href, file.name),
            Link("Related", "BackupFileReferenceList", f"{href}/restorePoints"),
            Link("Down", "VmRestorePointReferenceList", f"{href}/vmRestorePoints"),
        ]
        for link in links(entity):
            assert seed.get_as(token, link.Href).status_code == 200, link
        points = body(seed.get_as(token, f"{href}/restorePoints"), 200, "EntityReferences")
        assert [r.get("UID") for r in points] == [f"urn:veeam:RestorePoint:{file.restore_point_id}"]
        vms = body(seed.get_as(token, f"{href}/vmRestorePoints"), 200, "EntityReferences")
        mine = [p.id for p in world.all("VmRestorePoint").values() if p.restore_point_id == file.restore_point_id]
        assert [r.get("UID") for r in vms] == [f"urn:veeam:VmRestorePoint:{p}" for p in mine] and mine


@pytest.fixture(scope="module")
def seed_v10() -> Iterator[EmClient]:
    """The seed world as EM 10 serves it: the first release that links a backup to its files."""
    client = make_client(Settings(fixture=str(SEED_FIXTURE), user=USERS, release="10"))
    yield client
    client.close()


def test_a_backups_and_a_restore_points_files(seed_v10: EmClient) -> None:
    """From v10, `/backups/{id}/backupFiles` lists the backup's files by time,
    `/restorePoints/{id}/backupFiles` the point's one; each entity links Down to its list last."""
    seed = seed_v10
    world = seed.em.world
    token, _ = logon(seed)
    for backup in world.all("Backup").values():
        listed = body(seed.get_as(token, f"/api/backups/{backup.id}/backupFiles"), 200, "EntityReferences")
        mine = [f for f in world.all("BackupFile").values() if f.backup_id == backup.id]
        assert [r.get("UID") for r in listed] == [uid(FAMILY, f.id) for f in mine] and mine
        entity = body(seed.get_as(token, f"/api/backups/{backup.id}?format=Entity"), 200, "Backup")
        assert links(entity)[-1] == Link("Down", "BackupFileReferenceList", f"{API}/backups/{backup.id}/backupFiles")
    for point in world.all("RestorePoint").values():
        listed = body(seed.get_as(token, f"/api/restorePoints/{point.id}/backupFiles"), 200, "EntityReferences")
        assert [r.get("UID") for r in listed] == [uid(FAMILY, point.backup_file_id)]
        entity = body(seed.get_as(token, f"/api/restorePoints/{point.id}?format=Entity"), 200, "RestorePoint")
        href = f"{API}/restorePoints/{point.id}/backupFiles"
        assert links(entity)[-1] == Link("Down", "BackupFileReferenceList", href)


def test_no_backup_files_under_a_backup_before_v10(seed: EmClient) -> None:
    """9.5 U4 serves `/backupFiles` but neither links a backup or a restore point to its files nor
    serves their lists under them (em-api-monitoring.md §5: "backup files (v10+)")."""
    world = seed.em.world
    token, _ = logon(seed)
    backup, point = next(iter(world.all("Backup").values())), next(iter(world.all("RestorePoint").values()))
    for path, root in ((f"/api/backups/{backup.id}", "Backup"), (f"/api/restorePoints/{point.id}", "RestorePoint")):
        entity = body(seed.get_as(token, f"{path}?format=Entity"), 200, root)
        assert "BackupFileReferenceList" not in [li.Type for li in links(entity)]
        assert_error(seed.get_as(token, f"{path}/backupFiles"), 404, "NotFound")
    assert body(seed.get_as(token, "/api/backupFiles"), 200, "EntityReferences").findall(f"{{{NS}}}Ref")


def test_collection_and_json_parity(seed: EmClient) -> None:
    """Both forms and notations list every file; the JSON entity says what the XML says."""
    check_collection(seed, FAMILY)
    token, _ = logon(seed)
    for file_id in list(seed.em.world.all("BackupFile"))[:4]:
        xml = own_fields(entity_of(seed, FAMILY, file_id))
        data = seed.get_as(token, f"/api/backupFiles/{file_id}?format=Entity", headers=JSON).json()
        assert {k: str(data[k]) for k in xml} == xml
        assert isinstance(data["BackupSize"], int) and isinstance(data["CompressRatio"], float)


def test_readers(roles: EmClient) -> None:
    """Restore Operators read backup files, Up to the backup but not to the server."""
    check_catalogue_readers(roles, FAMILY)
    assert restore_operator_links(roles, FAMILY) == [
        ("Up", "BackupReference"),
        ("Alternate", "BackupFileReference"),
        ("Related", "BackupFileReferenceList"),
        ("Down", "VmRestorePointReferenceList"),
    ]


def test_linked_from_the_logon_session_after_the_task_sessions(seed: EmClient) -> None:
    """The LogonSession links the files after the task sessions, as em12's capture does."""
    token, session_id = logon(seed)
    session = body(seed.get_as(token, f"/api/logonSessions/{session_id}"), 200, "LogonSession")
    types = [li.Type for li in links(session)]
    assert types.index("BackupFileReferenceList") == types.index("ReplicaTaskSessionReferenceList") + 1


def test_query_filters_sorts_and_pages(roles: EmClient) -> None:
    """The vendor's fields select, sort and page: the docs' example (`BackupUid`, `FileType==vbk`),
    sizes and ratios as numbers, creation time."""
    token, _ = logon(roles)
    files = list(roles.em.world.all("BackupFile").values())
    backup = files[0].backup_id
    fulls = query_uids(roles, token, FAMILY, filter=f'BackupUid=="urn:veeam:Backup:{backup}";FileType==vbk')
    assert sorted(fulls) == sorted(uid(FAMILY, f.id) for f in files if f.backup_id == backup and f.file_type == "vbk")
    by_size = query_uids(roles, token, FAMILY, sortDesc="BackupSize", pageSize="1000")
    assert by_size == [uid(FAMILY, f.id) for f in sorted(files, key=lambda f: (-f.backup_size, files.index(f)))]
    ratio = query_uids(roles, token, FAMILY, filter="CompressRatio>1.5", pageSize="1000")
    assert sorted(ratio) == sorted(uid(FAMILY, f.id) for f in files if f.compress_ratio > 1.5) and ratio
    big = sorted(files, key=lambda f: f.data_size)[len(files) // 2].data_size
    found = query_uids(roles, token, FAMILY, filter=f"DataSize>={big}", pageSize="1000")
    assert sorted(found) == sorted(uid(FAMILY, f.id) for f in files if f.data_size >= big)
    since = START - timedelta(days=2)
    recent = query_uids(roles, token, FAMILY, filter=f'CreationTimeUTC>"{since:%Y-%m-%dT%H:%M:%S}Z"', sortAsc="Name")
    assert recent == [uid(FAMILY, f.id) for f in sorted(files, key=lambda f: f.name.casefold())
                      if f.creation_time > since]  # fmt: skip
    page = query_uids(roles, token, FAMILY, sortAsc="CreationTimeUTC", pageSize="3", page="2")
    assert page == [uid(FAMILY, f.id) for f in files[3:6]]
    bad = roles.get_as(token, "/api/query", params={"type": "BackupFile", "filter": "CompressRatio>high"})
    assert_error(bad, 400, "BadRequest")


def test_running_the_clock_equals_a_fresh_generation() -> None:
    """A world generated at T0 and run on to T1 shows the files (and the backups' and restore
    points' links to them) a world generated at T1 shows, byte for byte."""
    check_clock_run_equals_fresh(timedelta(days=9, hours=3), ("/api/backupFiles", "/api/backups", "/api/restorePoints"))


# -- deletion ------------------------------------------------------------------------------------


def repository_of(client: EmClient, file: Any) -> Any:
    world = client.em.world
    return world.all("Repository")[world.all("Backup")[file.backup_id].repository_id]


def report_backup_size(client: EmClient, token: str, repository: Any) -> int:
    periods = client.get_as(token, "/api/reports/summary/repository", headers=JSON).json()["Periods"]
    (period,) = [p for p in periods if p["Name"] == repository.name]
    return period["BackupSize"]


def check_gone(client: EmClient, token: str, file: Any, vm_points: list[Any]) -> None:
    assert_error(client.get_as(token, f"/api/backupFiles/{file.id}"), 404, "NotFound")
    assert_error(client.get_as(token, f"/api/restorePoints/{file.restore_point_id}"), 404, "NotFound")
    for point_id in vm_points:
        assert_error(client.get_as(token, f"/api/vmRestorePoints/{point_id}"), 404, "NotFound")


def test_deleting_an_increment(fresh: EmClient) -> None:
    """Deleting an increment's restore point removes it, its VM points and its file (404 all), and
    nothing else; the repository gets its bytes back, and the report says so."""
    world = fresh.em.world
    token, _ = logon(fresh)
    files = list(world.all("BackupFile").values())
    target = next(f for f in files if f.file_type == "vib")
    repository = repository_of(fresh, target)
    free, used = repository.free_space, report_backup_size(fresh, token, repository)
    vm_points = [p.id for p in world.all("VmRestorePoint").values() if p.restore_point_id == target.restore_point_id]
    answer = fresh.control("DELETE", f"/mock/world/restorePoints/{target.restore_point_id}")
    assert answer.status_code == 200, answer.text
    assert answer.json() == {
        "deleted": str(target.restore_point_id),
        "restorePointsRemoved": 1,
        "vmRestorePointsRemoved": len(vm_points),
        "backupFilesRemoved": 1,
        "bytesFreed": target.backup_size,
    }
    check_gone(fresh, token, target, vm_points)
    assert set(world.all("BackupFile")) == {f.id for f in files} - {target.id}
    assert repository.free_space == free + target.backup_size
    assert report_backup_size(fresh, token, repository) == used - target.backup_size
    sessions = [s for s in world.all("BackupJobSession").values() if s.restore_point_id == target.restore_point_id]
    assert not sessions  # no session links the point any more


def test_deleting_a_full_takes_its_increments(fresh: EmClient) -> None:
    """Deleting a `vbk` removes the increments after it up to the next full, which stays."""
    world = fresh.em.world
    token, _ = logon(fresh)
    files = list(world.all("BackupFile").values())  # by time
    first = next(i for i, f in enumerate(files) if f.file_type == "vbk")
    then = next((i for i in range(first + 1, len(files)) if files[i].file_type == "vbk"), len(files))
    doomed = files[first:then]
    assert len(doomed) > 1 and then < len(files)  # the seed holds two fulls
    repository = repository_of(fresh, files[first])
    free = repository.free_space
    vm_points = [p.id for p in world.all("VmRestorePoint").values()
                 if p.restore_point_id in {f.restore_point_id for f in doomed}]  # fmt: skip
    answer = fresh.control("DELETE", f"/mock/world/backupFiles/{files[first].id}")
    assert answer.status_code == 200, answer.text
    freed = sum(f.backup_size for f in doomed)
    assert answer.json() == {
        "deleted": str(files[first].id),
        "restorePointsRemoved": len(doomed),
        "vmRestorePointsRemoved": len(vm_points),
        "backupFilesRemoved": len(doomed),
        "bytesFreed": freed,
    }
    for file in doomed:
        check_gone(fresh, token, file, [])
    for point_id in vm_points:
        assert_error(fresh.get_as(token, f"/api/vmRestorePoints/{point_id}"), 404, "NotFound")
    assert list(world.all("BackupFile")) == [f.id for f in files[:first] + files[then:]]
    assert repository.free_space == free + freed


def test_unknown_and_bad_ids(fresh: EmClient) -> None:
    """An id of nothing is a 404 Error, a malformed one a 400, a second deletion a 404."""
    for what in ("restorePoints", "backupFiles"):
        missing = fresh.control("DELETE", f"/mock/world/{what}/00000000-0000-4000-8000-000000000000")
        assert missing.status_code == 404 and missing.json()["Status"] == "NotFound"
        bad = fresh.control("DELETE", f"/mock/world/{what}/not-a-guid")
        assert bad.status_code == 400 and bad.json()["Status"] == "BadRequest"
    file = next(iter(fresh.em.world.all("BackupFile").values()))
    assert fresh.control("DELETE", f"/mock/world/backupFiles/{file.id}").status_code == 200
    again = fresh.control("DELETE", f"/mock/world/backupFiles/{file.id}")
    assert again.status_code == 404 and again.json()["Status"] == "NotFound"


def test_a_deletion_survives_the_clock_and_a_reload(fresh: EmClient) -> None:
    """Days on, a deleted point stays deleted while the others follow retention; the world as a
    fixture keeps the deletion (`DeletedPoints`), and loading it back shows the same catalogue."""
    world = fresh.em.world
    target = next(f for f in reversed(world.all("BackupFile").values()) if f.file_type == "vib")
    assert fresh.control("DELETE", f"/mock/world/backupFiles/{target.id}").status_code == 200
    assert fresh.control("POST", "/mock/clock/advance", json={"by": "26h"}).status_code == 200
    assert target.id not in world.all("BackupFile") and target.restore_point_id not in world.all("RestorePoint")
    job = world.all("Job")[world.all("Backup")[target.backup_id].job_id]
    assert job.backup_bytes == sum(
        f.backup_size for f in world.all("BackupFile").values() if f.backup_id == target.backup_id
    )
    exported = fresh.control("GET", "/mock/world").json()
    (record,) = [j for j in exported["Jobs"] if j["Id"] == str(job.id)]
    assert record["DeletedPoints"] == [str(target.restore_point_id)]
    token, _ = logon(fresh)
    before = fresh.get_as(token, "/api/backupFiles?format=Entity").content
    assert fresh.control("PUT", "/mock/world", json=exported).status_code == 200
    token, _ = logon(fresh)
    assert fresh.get_as(token, "/api/backupFiles?format=Entity").content == before
