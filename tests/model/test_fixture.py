"""Worlds as JSON fixtures: a lossless round trip, clear errors for bad files, and the seed page's
world (`fixtures/seed-sample.json`) exactly as the seed lists it."""

from __future__ import annotations

import copy
import json
from datetime import UTC, datetime
from pathlib import Path
from typing import Any
from uuid import UUID

import pytest

from mock_em.generator import WorldSize, generate_world
from mock_em.model.entities import Platform, PointState, PointType
from mock_em.model.fixture import FixtureError, dump_world, load_world, world_from_dict, world_to_dict

SEED_SAMPLE = Path(__file__).resolve().parents[2] / "fixtures" / "seed-sample.json"
SEED_SERVER = UUID("8fff3b8e-c3f1-4ef5-aecc-561f07bf9982")
UCM = (UUID("6b2b42d5-3850-421c-93c1-e063f12a2ead"), "UCM Company CRM Replication")
ABC = (UUID("8393c284-c953-403f-a9b9-cff63e0c6815"), "ABC Company Servers Replication")
SEED_POINTS = [  # the seed page's sample response, in its order
    ("93081441-6e3c-4584-b47a-08dc1ce24f84", "srv39@2015-12-25 20:00:47", UCM),
    ("783781f0-4d83-4d09-ae82-12b5bed4710b", "srv40@2015-12-27 21:08:13", ABC),
    ("292e6d96-6b99-4776-bba2-2c030cd5824a", "srv38@2015-12-21 21:01:41", ABC),
    ("5ed13778-0191-4d9d-8105-33017348235d", "srv40@2015-12-22 21:05:43", ABC),
    ("574c07de-50eb-4117-88ec-5cd3403142dd", "srv38@2015-12-24 21:03:50", ABC),
    ("572167d1-c2f1-40b5-9ce9-6b277e507222", "srv39@2015-12-22 11:25:26", UCM),
]
NOW = datetime(2026, 1, 5, 12, tzinfo=UTC)


@pytest.fixture(scope="module")
def data() -> dict[str, Any]:
    """A small generated world as fixture data (copied per use: tests break it on purpose)."""
    size = WorldSize(backup_servers=2, tenants=3, replicas_per_tenant=2, vms_per_replica=2, points_per_vm=3)
    return world_to_dict(generate_world(21, size, NOW), 21)


def broken(data: dict[str, Any]) -> dict[str, Any]:
    return copy.deepcopy(data)


# -- round trip -------------------------------------------------------------------------------


def test_dict_round_trip_is_lossless(data: dict[str, Any]) -> None:
    world = world_from_dict(broken(data))
    assert world_to_dict(world, 21) == data
    assert world_to_dict(world_from_dict(world_to_dict(world, 21)), 21) == data


def test_file_round_trip_keeps_world_and_seed(data: dict[str, Any], tmp_path: Path) -> None:
    path = tmp_path / "world.json"
    dump_world(world_from_dict(data), path, 21)
    world, seed = load_world(path)
    assert seed == 21
    assert world_to_dict(world, seed) == data
    again = tmp_path / "again.json"
    dump_world(world, again, seed)
    assert again.read_bytes() == path.read_bytes()


def test_optional_fields_take_defaults(data: dict[str, Any]) -> None:
    """Hand-written fixtures may leave out what has a vendor default (port, schedule, state...)."""
    bare = broken(data)
    for server in bare["BackupServers"]:
        del server["Port"], server["Version"]
    for replica in bare["CloudReplicas"]:
        del replica["Schedule"], replica["Platform"], replica["Retention"]
    for point in bare["CloudVmReplicaPoints"]:
        del point["PointType"], point["State"], point["VmDisplayName"]
    world = world_from_dict(bare)
    assert {s.port for s in world.backup_servers.values()} == {9392}
    assert {r.retention for r in world.replicas.values()} == {7}
    assert {r.platform for r in world.replicas.values()} == {Platform.VMware}
    assert all(p.vm_display_name == p.vm_name for p in world.points.values())


# -- errors -----------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("change", "message"),
    [
        (lambda d: d.update(Format="veeam/world"), 'expected an object with "Format": "mock-em/world"'),
        (lambda d: d.pop("Format"), '"Format": "mock-em/world"'),
        (lambda d: d.update(FormatVersion=2), "unsupported FormatVersion 2"),
        (lambda d: d["CloudTenants"][1].pop("Name"), "CloudTenants: an entry lacks the field 'Name'"),
        (lambda d: d["BackupServers"][0].pop("Id"), "BackupServers: an entry lacks the field 'Id'"),
        (lambda d: d["CloudVmReplicaPoints"][4].pop("CreationTimeUTC"), "CloudVmReplicaPoints: an entry lacks"),
        (lambda d: d["CloudReplicas"][0].update(Platform="Xen"), "CloudReplicas: 'Xen' is not a valid Platform"),
        (lambda d: d["CloudVmReplicaPoints"][0].update(Id="not-a-guid"), "CloudVmReplicaPoints:"),
        (lambda d: d["CloudVmReplicaPoints"][0].update(CreationTimeUTC="yesterday"), "CloudVmReplicaPoints:"),
    ],
)
def test_bad_data_raises_fixture_error_saying_where(data: dict[str, Any], change: Any, message: str) -> None:
    bad = broken(data)
    change(bad)
    with pytest.raises(FixtureError) as caught:
        world_from_dict(bad)
    assert message in str(caught.value)


def test_dangling_references_are_named(data: dict[str, Any]) -> None:
    """A reference to something missing names the referring object and the missing id."""
    unknown = "00000000-0000-4000-8000-000000000000"
    point = data["CloudVmReplicaPoints"][0]
    point_name = f"{point['VmName']}@{point['CreationTimeUTC'][:19].replace('T', ' ')}"
    cases = [
        ("CloudReplicas", "TenantId", f"replica {data['CloudReplicas'][0]['Name']!r} names unknown tenant {unknown}"),
        (
            "CloudTenants",
            "BackupServerId",
            f"tenant {data['CloudTenants'][0]['Name']!r} names unknown backup server {unknown}",
        ),
        ("CloudVmReplicaPoints", "ReplicaId", f"point {point_name!r} names unknown replica {unknown}"),
    ]
    for section, key, message in cases:
        bad = broken(data)
        bad[section][0][key] = unknown
        with pytest.raises(FixtureError) as caught:
            world_from_dict(bad)
        assert message in str(caught.value)


def test_not_an_object_and_unreadable_files(tmp_path: Path) -> None:
    with pytest.raises(FixtureError, match="not a mock-em world"):
        world_from_dict([1, 2, 3])
    with pytest.raises(FixtureError, match="cannot read fixture"):
        load_world(tmp_path / "missing.json")
    bad = tmp_path / "bad.json"
    bad.write_text("{ nope", encoding="utf-8")
    with pytest.raises(FixtureError, match="is not valid JSON"):
        load_world(bad)


# -- the seed page's world --------------------------------------------------------------------


def test_seed_sample_holds_the_seed_pages_six_points_in_its_order() -> None:
    world, seed = load_world(SEED_SAMPLE)
    world.check()
    assert seed is None
    points = list(world.points.values())
    assert [(str(p.id), p.name, p.replica_id) for p in points] == [(i, n, r[0]) for i, n, r in SEED_POINTS]
    for point in points:
        assert point.point_type is PointType.Snapshot and point.state is PointState.Ready
        assert point.vm_display_name == point.vm_name
        assert world.replicas[point.replica_id].backup_server_id == SEED_SERVER


def test_seed_sample_server_tenants_and_replicas() -> None:
    world, _ = load_world(SEED_SAMPLE)
    assert [(s.id, s.name, s.port) for s in world.backup_servers.values()] == [(SEED_SERVER, "172.17.53.48", 9392)]
    assert [(r.id, r.name) for r in world.replicas.values()] == [UCM, ABC]
    assert [[vm.name for vm in r.vms] for r in world.replicas.values()] == [["srv39"], ["srv38", "srv40"]]
    tenants = {t.id: t for t in world.tenants.values()}
    assert sorted(t.name for t in tenants.values()) == ["ABC Company", "UCM Company"]
    for replica in world.replicas.values():
        tenant = tenants[replica.tenant_id]
        assert replica.name.startswith(tenant.name + " ")
        assert tenant.username == tenant.name and len(tenant.password) >= 12 and tenant.enabled


def test_seed_sample_file_is_in_canonical_form(tmp_path: Path) -> None:
    """The checked-in file is exactly what dump_world writes for its world, so diffs stay clean."""
    world, seed = load_world(SEED_SAMPLE)
    out = tmp_path / "seed.json"
    dump_world(world, out, seed)
    assert out.read_bytes() == SEED_SAMPLE.read_bytes()
    assert json.loads(SEED_SAMPLE.read_text(encoding="utf-8"))["Seed"] is None
