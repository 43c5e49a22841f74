"""The readers of a world's history (`history.sessions`, `history.catalogue`): a served generated
world's job sessions, task sessions and backup catalogue, read back in entity form as an import
reads them, are the same objects the world holds (what the wire does not show aside: a task's
point that retention dropped, and what each point holds), and a world made of them answers as
the original, in 9.5 U4, 12 and 13.

Other families' readers are not what is tested here: the helper puts the original world's other
objects in the reading before the history's readers run, as if they had been read exactly.
"""

from __future__ import annotations

import dataclasses
import re
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from conftest import START, EmClient, make_client
from importer.served import JSON, PAGE_SIZE
from model.test_recorded_world import FRAMES, urls  # the recorded world's crawl

from mock_em.importer.entity import Entity, Reading, Unreadable, made
from mock_em.model.clock import Clock
from mock_em.model.fixture import dump_world
from mock_em.model.kinds import kind_of, kinds
from mock_em.model.report_recorded import match_point_sizes
from mock_em.model.reports import Summary
from mock_em.model.world import World
from mock_em.releases import profile
from mock_em.resources import FAMILIES
from mock_em.settings import Settings
from mock_em.wire.template import camel_case

DERIVED = ("Backup", "RestorePoint", "BackupFile", "VmRestorePoint",
           "BackupJobSession", "ReplicaJobSession", "BackupTaskSession", "ReplicaTaskSession")  # fmt: skip
TASKS = ("BackupTaskSession", "ReplicaTaskSession")
# The members of the history's entities (13 writes them in camel case: `camel_case`)
MEMBERS = (
    "UID",
    "Name",
    "Href",
    "Type",
    "Links",
    "Rel",
    "Platform",
    "BackupType",
    "BackupDateUTC",
    "CreationTimeUTC",
    "EndTimeUTC",
    "VmName",
    "Algorithm",
    "PointType",
    "HierarchyObjRef",
    "VmDisplayName",
    "FilePath",
    "BackupSize",
    "DataSize",
    "DeduplicationRatio",
    "CompressRatio",
    "CreationTimeUtc",
    "FileType",
    "IsRetry",
    "JobUid",
    "JobName",
    "JobType",
    "State",
    "Result",
    "Progress",
    "FailureMessage",
    "JobSessionUid",
    "Reason",
    "TotalSize",
    "VmUid",
)
PASCAL = {camel_case(name): name for name in MEMBERS}


def pascal(value: Any) -> Any:
    """JSON in 13's camel case back in the vendor's PascalCase (members of `MEMBERS`)."""
    if isinstance(value, dict):
        return {PASCAL.get(k, k): pascal(v) for k, v in value.items()}
    if isinstance(value, list):
        return [pascal(v) for v in value]
    return value


def _member(body: dict[str, Any], name: str) -> Any:
    return next(v for k, v in body.items() if k.lower() == name.lower())


def history_entities(client: EmClient, token: str) -> dict[str, list[Entity]]:
    """The history's entities, through the query service, every page, in PascalCase."""
    found: dict[str, list[Entity]] = {}
    for name in DERIVED:
        url: str | None = f"/api/query?type={name}&format=Entities&pageSize={PAGE_SIZE}"
        items: list[dict[str, Any]] = []
        while url:
            response = client.get_as(token, url, headers=JSON)
            assert response.status_code == 200, response.text
            body = response.json()
            lists = [v for v in _member(body, "Entities").values() if isinstance(v, dict)]
            items.extend(next(iter(lists[0].values())) if lists else [])
            links = _member(_member(body, "PagingInfo"), "Links")
            url = next((_member(link, "Href") for link in links if _member(link, "Rel") == "Next"), None)
        found[name] = [Entity(pascal(item)) for item in items]
    return found


def read_history(client: EmClient) -> Reading:
    """What the history's readers make of a served world, the world's other objects given."""
    world: World = client.em.world
    release = client.app.state.settings.release  # type: ignore[attr-defined]
    others = {name: dict(world.all(name)) for name in kinds() if name not in DERIVED}
    reading = Reading(profile(release), found=others)
    entities = history_entities(client, client.logon())
    mine = [f for f in FAMILIES if f.kind.name in DERIVED]
    for family in mine:
        assert family.reads is not None, family.kind.name
        for entity in entities[family.kind.name]:
            for obj in made(family.reads(entity, reading)):
                reading.found.setdefault(kind_of(obj).name, {})[obj.id] = obj
    for family in mine:
        if family.completes is not None:
            family.completes(reading.found, reading)
    return reading


def unshown(obj: Any) -> Any:
    """A task session less what no entity shows: its point where retention dropped it, and the
    bytes its point holds."""
    return dataclasses.replace(obj, point_id=None, point_bytes=0)


@pytest.fixture(params=["9.5u4", "12", "13"])
def served(request: pytest.FixtureRequest) -> Iterator[EmClient]:
    client = make_client(Settings(seed=3, release=request.param))
    yield client
    client.close()


def test_the_history_reads_back_as_it_was(served: EmClient) -> None:
    original = served.em.world
    reading = read_history(served)
    assert not reading.warnings
    for name in DERIVED:
        read = reading.found.get(name, {})
        assert list(read) == list(original.all(name)), name  # the same ids, in the source's order
        if name in TASKS:
            assert [unshown(t) for t in read.values()] == [unshown(t) for t in original.all(name).values()]
        else:
            assert list(read.values()) == list(original.all(name).values()), name
    kept = original.all("VmRestorePoint")
    tasks = [t for name in TASKS for t in original.all(name).values()]
    assert len(tasks) > 100
    for task in tasks:
        again = reading.found[type(task).__name__][task.id]
        assert (again.point_id is None) == (task.point_id is None), task.name  # a point left, or none
        if task.point_id in kept:
            assert again.point_id == task.point_id
    assert any(t.point_id in kept for t in tasks) and any(t.point_id and t.point_id not in kept for t in tasks)


def test_a_world_of_what_was_read_answers_as_the_original(tmp_path: Path) -> None:
    """Made a recorded world, what was read serves every answer of the original's history and its
    report's frames; the sizes of the points made in the report's period, which no entity shows,
    as the source's own report says them (`match_point_sizes`), and without that, but for those
    three sizes."""
    original = make_client(Settings(seed=3, release="12"))
    try:
        reading = read_history(original)
        sizes = Summary(original.em.world, START).vms_overview
    except BaseException:
        original.close()
        raise
    world = World.of(*(reading.found.get(name, {}).values() for name in kinds()))
    world.recorded, world.release = True, "12"
    dump_world(world, tmp_path / "unsized.json", 3)
    match_point_sizes(
        world, START, sizes.full_backup_points_size, sizes.incremental_backup_points_size,
        sizes.replica_restore_points_size,
    )  # fmt: skip
    dump_world(world, tmp_path / "imported.json", 3)
    unsized = make_client(Settings(fixture=str(tmp_path / "unsized.json"), release="12"), Clock(START, frozen=True))
    imported = make_client(Settings(fixture=str(tmp_path / "imported.json"), release="12"), Clock(START, frozen=True))
    try:
        first, second, third = original.logon(), imported.logon(), unsized.logon()
        compared = 0
        for url in urls(original, first):
            for headers in ({}, JSON):
                a = original.get_as(first, url, headers=headers)
                b = imported.get_as(second, url, headers=headers)
                assert (a.status_code, a.content) == (b.status_code, b.content), url
                c = unsized.get_as(third, url, headers=headers)
                assert _unsized(a.text) == _unsized(c.text), url
                compared += 1
        assert compared > 300 and FRAMES
    finally:
        original.close()
        imported.close()
        unsized.close()


def _unsized(text: str) -> str:
    """An answer less the points' sizes of a `vms_overview` (which no entity shows)."""
    return re.sub(r'(BackupPointsSize|RestorePointsSize)("?\s*[:>]\s*"?)\d+', r"\1\2#", text)


def test_an_entity_a_reader_cannot_take() -> None:
    """A missing member or an unknown value is `Unreadable`, naming what is wrong (the builder
    then leaves the object out with a warning); a member a release lacks takes its default."""
    reading = Reading(profile("12"))
    server = {"Rel": "Up", "Href": "http://em/api/backupServers/8fff3b8e-c3f1-4ef5-aecc-561f07bf9982",
              "Type": "BackupServerReference"}  # fmt: skip
    session = {
        "UID": "urn:veeam:BackupJobSession:11c56fdd-0dd7-431d-8366-0e919512b636", "Name": "Job@2025-12-28 17:00:13",
        "JobUid": "urn:veeam:Job:43ed5fe3-66a4-4deb-92fb-55422ecc9901", "JobName": "Job", "JobType": "Backup",
        "CreationTimeUTC": "2025-12-28T17:00:13Z", "State": "Working", "Result": "None", "Progress": 40,
        "IsRetry": False, "Links": [server],
    }  # fmt: skip
    reads = next(f for f in FAMILIES if f.kind.name == "BackupJobSession").reads
    assert reads is not None
    running = reads(Entity(session), reading)
    assert running.end_time is None and running.restore_point_id is None and not running.fine_name
    for broken, says in (
        ({"Result": "Maybe"}, "Result"),
        ({"JobUid": None}, "JobUid"),
        ({"Links": []}, "BackupServerReference"),
        ({"Progress": "40%"}, "Progress"),
    ):
        with pytest.raises(Unreadable, match=says):
            reads(Entity({**session, **broken}), reading)
    fine = reads(Entity({**session, "Name": "Job@2025-12-28 17:00:13.659559"}), reading)
    assert fine.fine_name and fine.name == "Job@2025-12-28 17:00:13.000000"
