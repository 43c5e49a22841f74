"""The faster ways of reading a column give exactly the keys of the plain way: compiled readers,
the UIDs of a whole store read from its keys, related-object values looked up once per shared id
object, index scans, ranges compared in one pass, Name ranges decided by VM names."""

from __future__ import annotations

import random
from datetime import UTC, datetime, timedelta
from itertools import compress
from operator import attrgetter
from uuid import UUID

import pytest

from mock_em.generator import WorldSize, generate_world
from mock_em.model.access import ADMIN, Access
from mock_em.model.entities import CloudVmReplicaPoint, Role
from mock_em.model.ids import guid
from mock_em.model.query import QUERY_TYPES, QueryCache, run_query
from mock_em.model.query_columns import StoreOrder, positions, reader
from mock_em.model.query_filter import parse_filter
from mock_em.model.query_nodes import COMPARE, Range
from mock_em.model.query_point_names import name_column, name_tests
from mock_em.model.world import World

NOW = datetime(2026, 1, 5, 12, tzinfo=UTC)
FIELDS = QUERY_TYPES["cloudvmreplicapoint"].fields


@pytest.fixture(scope="module")
def world() -> World:
    return generate_world(7, WorldSize(tenants=3, replicas_per_tenant=4, vms_per_replica=5, points_per_vm=20), NOW)


def _unshared() -> World:
    """A small world where some points hold a copy of their replica's id (equal, not the same
    object; one copy per replica, so ids are still shared enough for the lookup by identity), and
    some are added with names that make ordering hard."""
    world = generate_world(8, WorldSize(tenants=2, replicas_per_tenant=3, vms_per_replica=4), NOW)
    rng = random.Random(3)
    copies = {rid: UUID(int=rid.int) for rid in world.replicas}
    for point in list(world.points.values())[::3]:
        point.replica_id = copies[point.replica_id]
    replicas = list(world.replicas)
    for i, name in enumerate(["a", "a-", "A", "srv000002", "Straße", "STRASSE", "é"] * 5):
        world.add_point(CloudVmReplicaPoint(guid(rng), copies[rng.choice(replicas)], name, NOW - timedelta(hours=i)))
    return world


def test_reader_reads_what_attrgetter_reads(world) -> None:
    points = list(world.points.values())
    for path in ("id.int", "vm_name", "creation_time", "state._value_", "replica_id.int"):
        assert reader(path)(points) == list(map(attrgetter(path), points))
    for bad in ("", "a b", "a.", "x]", "__import__('os')"):
        with pytest.raises(ValueError):
            reader(bad)


@pytest.mark.parametrize("seed", range(12))
def test_positions_equal_compress_over_a_range(seed: int) -> None:
    rng = random.Random(seed)
    n = rng.choice([0, 1, 10, 1000])
    share = rng.choice([0.0, 0.001, 0.1, 0.5, 1.0])
    mask = [rng.random() < share for _ in range(n)]
    assert positions(mask) == list(compress(range(n), mask))


def test_the_uids_of_a_whole_store_are_its_keys(world) -> None:
    uid = FIELDS["uid"]
    everything = StoreOrder(world.points)
    assert list(uid.column(world, everything)) == [p.id.int for p in world.points.values()]
    assert list(uid.column(world, list(everything)[::-2])) == [p.id.int for p in list(world.points.values())[::-2]]
    copy = generate_world(7, WorldSize(tenants=3, replicas_per_tenant=4, vms_per_replica=5, points_per_vm=20), NOW)
    assert list(uid.column(copy, everything)) == [p.id.int for p in world.points.values()]  # another store


def test_uid_order_is_the_uid_text_order(world) -> None:
    points = list(world.points.values())
    for direction, reverse in (("sort_asc", False), ("sort_desc", True)):
        for cache in (None, QueryCache()):
            found = run_query(world, ADMIN, "CloudVmReplicaPoint", page_size="7", cache=cache, **{direction: "UID"})
            assert found.items == sorted(points, key=lambda p: str(p.id), reverse=reverse)[:7]


@pytest.mark.parametrize("name", ["ReplicaName", "ReplicaUid", "BackupServerUid", "BackupServerName"])
def test_related_values_by_id_object_equal_the_plain_lookup(name: str) -> None:
    world = _unshared()
    points = list(world.points.values())
    field = FIELDS[name.casefold()]
    replicas = {r.id: r for r in world.replicas.values()}
    servers = world.backup_servers

    def oracle(p: CloudVmReplicaPoint):
        replica = replicas[p.replica_id]
        return {
            "ReplicaName": replica.name.casefold(),
            "ReplicaUid": replica.id.int,
            "BackupServerUid": replica.backup_server_id.int,
            "BackupServerName": servers[replica.backup_server_id].name.casefold(),
        }[name]

    assert list(field.column(world, points)) == [oracle(p) for p in points]
    shared = [p for p in points if p.replica_id is replicas[p.replica_id].id]
    assert list(field.column(world, shared)) == [oracle(p) for p in shared]
    for direction, reverse in (("sort_asc", False), ("sort_desc", True)):
        found = run_query(world, ADMIN, "CloudVmReplicaPoint", page_size="9", **{direction: name})
        assert found.items == sorted(points, key=oracle, reverse=reverse)[:9]


def test_name_ranges_equal_comparing_whole_names() -> None:
    world = _unshared()
    points = list(world.points.values())
    names = list(name_column(world, points))
    some = names[len(names) // 2]
    keys = ["", "a", "a@", "a-@", "srv000002", "srv000002@", "srv000002@2025-12-3", "zz@9", "é", some, some[:-1]]
    rng = random.Random(5)
    for _ in range(150):
        tests = [(rng.choice(list(COMPARE)), rng.choice(keys)) for _ in range(rng.choice([1, 2, 3]))]
        expected = [all(COMPARE[op](name, key) for op, key in tests) for name in names]
        assert name_tests(world, points, tests) == expected, tests


@pytest.mark.parametrize(
    "text",
    [
        "Name>=srv0001;Name<srv0002",
        "Name>a;Name<=srv000002@2026;Name!=a-",
        "Name>=é;Name<z",
        "CreationTime>=2026-01-01;CreationTime<2026-01-03;CreationTime!=2026-01-02",
        "State<=Ready;State>=Ready",
    ],
)
def test_ranges_select_what_their_comparisons_select(text: str) -> None:
    world = _unshared()
    qtype = QUERY_TYPES["cloudvmreplicapoint"]
    flt = parse_filter(text, qtype)
    assert isinstance(flt._root, Range)
    points = list(world.points.values())
    terms = [parse_filter(part, qtype) for part in text.split(";")]
    assert flt.select(world, points) == [p for p in points if all(t.matches(world, p) for t in terms)]


def test_a_tenant_sees_the_same_page_through_every_path(world) -> None:
    tenant = Access(Role.CloudTenant, next(iter(world.tenants)))
    for name in ("UID", "ReplicaName", "BackupServerName", "Name"):
        for cache in (None, QueryCache()):
            found = run_query(world, tenant, "CloudVmReplicaPoint", sort_desc=name, page_size="5", cache=cache)
            everything = run_query(world, tenant, "CloudVmReplicaPoint", sort_desc=name, page_size="100000")
            assert found.items == everything.items[:5]


def test_a_point_name_equality_narrowed_by_its_second_matches_as_whole_names() -> None:
    world = _unshared()
    points = list(world.points.values())
    qtype = QUERY_TYPES["cloudvmreplicapoint"]
    for point in points[::7]:
        for text, op in ((f'Name=="{point.name}"', "=="), (f'Name!="{point.name.upper()}"', "!=")):
            flt = parse_filter(text, qtype)
            key = point.name.casefold()
            assert flt.select(world, points) == [p for p in points if COMPARE[op](p.name.casefold(), key)], text
