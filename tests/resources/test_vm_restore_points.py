"""The VM restore points' family (`mock_em/resources/vm_restore_points.py`) as the wire shows it:
one per kept successful task, and retention as the clock moves on."""

from __future__ import annotations

import re
from datetime import datetime, timedelta

import pytest
from conftest import SEED_FIXTURE, START, EmClient, make_client
from xmlutil import API, Link, assert_error, links, logon

from mock_em.model.clock import Clock
from mock_em.model.entities import Job
from mock_em.model.job_history import TaskRun, kept_tasks
from mock_em.registry import family
from mock_em.settings import Settings
from resources.catalogue_checks import check_catalogue_readers, restore_operator_links
from resources.family_checks import USERS, entity_of, own_fields, query_uids, uid
from resources.session_checks import check_clock_run_equals_fresh, wire_time

FAMILY = family("VmRestorePoint")
REF = re.compile(r"urn:(VMware|vCloud):Vm:[0-9a-f-]{36}\.vm-\d+|urn:HyperV:Vm:[0-9a-f-]{36}\.[0-9a-f-]{36}")


def check_chains(job: Job, now: datetime) -> None:
    """Each VM keeps `Retention` points, or more only to reach back to the full the oldest builds
    on (and no further)."""
    by_vm: dict[str, list[TaskRun]] = {}
    for _, task in kept_tasks(job, now):
        by_vm.setdefault(task.vm.name, []).append(task)
    for tasks in by_vm.values():  # newest first
        extra = tasks[job.retention :]
        assert not extra or (extra[-1].full and not any(t.full for t in extra[:-1])), tasks


def test_one_point_per_kept_task(roles: EmClient) -> None:
    """Each kept successful task leaves one VM point (its `point_id`), `Retention` per VM of a job
    or more only to reach back to the full the oldest builds on; each names the VM alike in every
    point (`HierarchyObjRef`)."""
    world = roles.em.world
    kept = {task.point_id: task for job in world.all("Job").values() for _, task in kept_tasks(job, START)}
    points = world.all("VmRestorePoint")
    assert set(points) == set(kept) and points
    for job in world.all("Job").values():
        check_chains(job, START)
    refs: dict[str, set[str]] = {}
    for point in points.values():
        task = kept[point.id]
        assert (point.creation_time, point.vm_name, point.full) == (task.start, task.vm.name, task.full)
        refs.setdefault(f"{point.backup_server_id}:{point.vm_name}", set()).add(point.hierarchy_obj_ref)
    assert all(len(r) == 1 for r in refs.values())


def test_entity_fields_and_links(seed: EmClient) -> None:
    """The schema's fields, `VmDisplayName` as an attribute, Name `vm@time`; Up the backup server,
    Up the restore point, Alternate."""
    world = seed.em.world
    for point in world.all("VmRestorePoint").values():
        entity = entity_of(seed, FAMILY, point.id)
        assert entity.get("Name") == f"{point.vm_name}@{point.creation_time:%Y-%m-%d %H:%M:%S}"
        algorithm, kind = (
            ("SyntheticFull", "Full") if point.creation_time.weekday() == 6 else ("Incremental", "Increment")
        )
        assert own_fields(entity) == {
            "VmDisplayName": point.vm_display_name,
            "CreationTimeUTC": wire_time(point.creation_time),
            "VmName": point.vm_name,
            "Algorithm": algorithm,
            "PointType": kind,
            "HierarchyObjRef": point.hierarchy_obj_ref,
        }
        assert REF.fullmatch(point.hierarchy_obj_ref)
        server, parent = world.backup_servers[point.backup_server_id], world.all("RestorePoint")[point.restore_point_id]
        assert links(entity) == [
            Link("Up", "BackupServerReference", f"{API}/backupServers/{server.id}", server.name),
            Link("Up", "RestorePointReference", f"{API}/restorePoints/{parent.id}", parent.name),
            Link("Alternate", "VmRestorePointReference", f"{API}/vmRestorePoints/{point.id}", entity.get("Name")),
        ]


def test_readers(roles: EmClient) -> None:
    """Restore Operators read VM restore points, Up to the restore point but not to the server."""
    check_catalogue_readers(roles, FAMILY)
    assert restore_operator_links(roles, FAMILY) == [
        ("Up", "RestorePointReference"),
        ("Alternate", "VmRestorePointReference"),
    ]


def test_query_by_vm_and_type(roles: EmClient) -> None:
    """`VmName`, `Type` and `Algorithm` select what the points say."""
    token, _ = logon(roles)
    points = list(roles.em.world.all("VmRestorePoint").values())
    name = points[0].vm_name
    found = query_uids(roles, token, FAMILY, filter=f'VmName=="{name}";Type==Full')
    assert sorted(found) == sorted(uid(FAMILY, p.id) for p in points if p.vm_name == name and p.full)
    incremental = query_uids(roles, token, FAMILY, filter="Algorithm==Incremental", pageSize="2000")
    assert len(incremental) == sum(not p.full for p in points)


@pytest.mark.parametrize("days", [3, 20])
def test_retention_as_the_clock_moves(days: int) -> None:
    """Days on, each VM keeps its newest `Retention` points and their chain back to its full: older
    ones are gone (404), a restore
    point goes with its last VM point, and a session links only kept points."""
    client = make_client(Settings(fixture=str(SEED_FIXTURE), user=USERS), Clock(START, frozen=True))
    try:
        world = client.em.world
        before_vm, before = dict(world.all("VmRestorePoint")), dict(world.all("RestorePoint"))
        assert client.control("POST", "/mock/clock/advance", json={"by": f"{days * 24}h"}).status_code == 200
        now = START + timedelta(days=days)
        after_vm, after = world.all("VmRestorePoint"), world.all("RestorePoint")
        kept = {t.point_id for job in world.all("Job").values() for _, t in kept_tasks(job, now)}
        assert set(after_vm) == kept
        for job in world.all("Job").values():
            check_chains(job, now)
        gone = set(before_vm) - set(after_vm)
        assert set(after_vm) - set(before_vm)  # new points came
        assert bool(gone) == (days >= 7)  # old ones go once a newer full has taken the old chain's place
        assert set(after) == {p.restore_point_id for p in after_vm.values()}
        token, _ = logon(client)
        for point_id in sorted(gone)[:3]:
            assert_error(client.get_as(token, f"/api/vmRestorePoints/{point_id}"), 404, "NotFound")
        for point_id in sorted(set(before) - set(after))[:3]:
            assert_error(client.get_as(token, f"/api/restorePoints/{point_id}"), 404, "NotFound")
        for session in world.all("BackupJobSession").values():
            assert session.restore_point_id is None or session.restore_point_id in after
    finally:
        client.close()


def test_running_the_clock_equals_a_fresh_generation() -> None:
    """A world generated at T0 and run on to T1 shows the catalogue a world generated at T1
    shows, byte for byte (and the sessions' links to it)."""
    paths = ("/api/backups", "/api/restorePoints", "/api/vmRestorePoints", "/api/backupSessions")
    check_clock_run_equals_fresh(timedelta(days=2, hours=7, minutes=13), paths)
