"""A first page computed from the start of a sort order only (a partial selection, or a field's
shortcut such as the Name of a point) holds exactly what the whole order would give: the same
items, in the same order, with the same ties, totals and page counts, for every sort field both
ways, with filters, page sizes and tenant scopes, with and without a cache. Name comparisons
decided by a point's VM name alone equal comparing whole names."""

from __future__ import annotations

import random
from datetime import UTC, datetime, timedelta

import pytest

from mock_em.generator import WorldSize, generate_world
from mock_em.model import query as query_module
from mock_em.model.access import ADMIN, Access
from mock_em.model.entities import CloudVmReplicaPoint, PointState, PointType, Role
from mock_em.model.ids import guid
from mock_em.model.query import QUERY_TYPES, QueryCache, run_query
from mock_em.model.query_filter import parse_filter
from mock_em.model.query_nodes import COMPARE, Range
from mock_em.model.query_order import first_indexes
from mock_em.model.query_point_names import name_column, name_compare
from mock_em.model.world import World

NOW = datetime(2026, 1, 5, 12, tzinfo=UTC)
HEAD_MAX = query_module._HEAD_MAX
POINT_FIELDS = [f.name for f in QUERY_TYPES["cloudvmreplicapoint"].fields.values()]
FILTERS = [
    None,
    "State==Ready",
    "CreationTime>=2026-01-01;CreationTime<2026-01-03",
    "Name>=srv0001;Name<srv0002",
    "VmName==srv000001,VmName==SRV000002,VmName==a-b",
    "Type!=Snapshot",
]


def _awkward(world: World, seed: int) -> World:
    """Points whose names and times make ordering hard: VM names that differ only in case, that
    are prefixes of each other around the `@` (`a` < `a-` by name but `a-@` < `a@`), non-ASCII
    names that casefold to longer text, times shared by many points, all out of time order."""
    rng = random.Random(seed)
    replicas = list(world.replicas.values())
    some = sorted(world.points.values(), key=lambda p: p.creation_time)[:: max(1, len(world.points) // 40)]
    names = ["a", "a-", "a-b", "A", "SRV000002", "srv000002", "Straße", "STRASSE", "zz", "ZZ", "é", "E"]
    for i in range(300):
        base = rng.choice(some).creation_time
        world.add_point(
            CloudVmReplicaPoint(
                guid(rng),
                rng.choice(replicas).id,
                rng.choice(names),
                base + timedelta(microseconds=rng.choice([0, 0, 500_000])),
                point_type=rng.choice(list(PointType)),
                state=PointState.Failover if i % 7 == 0 else PointState.Ready,
            )
        )
    return world


@pytest.fixture(scope="module")
def worlds() -> list[World]:
    plain = generate_world(3, WorldSize(tenants=3, replicas_per_tenant=4, vms_per_replica=5, points_per_vm=60), NOW)
    awkward = _awkward(generate_world(4, WorldSize(tenants=2, replicas_per_tenant=5, vms_per_replica=6), NOW), 4)
    return [plain, awkward]


def _scopes(world: World) -> list[Access]:
    return [ADMIN, Access(Role.CloudTenant, next(iter(world.tenants)))]


def _page(world: World, scope: Access, cache: QueryCache | None, page: int, size: int, **query):
    found = run_query(world, scope, "CloudVmReplicaPoint", page=str(page), page_size=str(size), cache=cache, **query)
    return [p.id for p in found.items], found.page, found.pages_count, found.total


@pytest.mark.parametrize("filter_text", FILTERS)
@pytest.mark.parametrize("size", [1, 7, 100])
def test_first_pages_equal_the_whole_order(worlds, filter_text: str | None, size: int, monkeypatch) -> None:
    for world in worlds:
        for scope in _scopes(world):
            for field in POINT_FIELDS:
                for direction in ("sort_asc", "sort_desc"):
                    query = {direction: field, "filter_text": filter_text}
                    monkeypatch.setattr(query_module, "_HEAD_MAX", 0)  # the whole order, as before
                    whole = QueryCache()
                    expected = [_page(world, scope, whole, 1, size, **query)]
                    pages = expected[0][2]
                    numbers = sorted({*range(1, min(pages, 12) + 1), pages, pages + 1})
                    expected = [_page(world, scope, whole, n, size, **query) for n in numbers]
                    monkeypatch.setattr(query_module, "_HEAD_MAX", HEAD_MAX)
                    monkeypatch.setattr(query_module, "_HEAD", 3)  # small, so that the start grows and is rebuilt
                    head = QueryCache()
                    assert [_page(world, scope, head, n, size, **query) for n in numbers] == expected, query
                    assert [_page(world, scope, None, n, size, **query) for n in numbers] == expected, query


def test_a_vm_name_with_an_at_sign_falls_back_to_the_column(worlds, monkeypatch) -> None:
    world = generate_world(5, WorldSize(tenants=2, replicas_per_tenant=3, vms_per_replica=4), NOW)
    replica = next(iter(world.replicas.values()))
    for name in ("a@b", "a", "a@", "A@a"):  # `a@b@…` sorts between `a@2…` names only by its full text
        world.add_point(CloudVmReplicaPoint(guid(random.Random(name)), replica.id, name, NOW - timedelta(days=1)))
    for direction in ("sort_asc", "sort_desc"):
        monkeypatch.setattr(query_module, "_HEAD_MAX", 0)
        expected = [_page(world, ADMIN, QueryCache(), n, 5, **{direction: "Name"}) for n in (1, 2, 3)]
        monkeypatch.setattr(query_module, "_HEAD_MAX", HEAD_MAX)
        assert [_page(world, ADMIN, None, n, 5, **{direction: "Name"}) for n in (1, 2, 3)] == expected


@pytest.mark.parametrize("seed", range(40))
def test_first_indexes_equal_a_stable_sort(seed: int) -> None:
    rng = random.Random(seed)
    n = rng.choice([40, 400, 5000])
    shape = seed % 5
    if shape == 0:
        keys = [rng.randrange(3) for _ in range(n)]  # few values, many ties
    elif shape == 1:
        keys = sorted(rng.randrange(n) for _ in range(n))  # in order, with ties
    elif shape == 2:
        keys = sorted((rng.randrange(n) for _ in range(n)), reverse=True)  # against the order
    elif shape == 3:
        keys = [f"k{rng.randrange(n):06d}" for _ in range(n)]
    else:
        keys = [0] * (n - 3) + [rng.randrange(-2, 2) for _ in range(3)]  # nearly all equal
    for count in (1, 2, 7, 100, n // 4):
        for descending in (False, True):
            expected = sorted(range(n), key=keys.__getitem__, reverse=descending)[:count]
            assert first_indexes(keys, count, descending=descending) == expected


def test_name_comparisons_equal_comparing_whole_names(worlds) -> None:
    world = worlds[1]
    points = list(world.points.values())
    some = points[len(points) // 2].name.casefold()
    names = list(name_column(world, points))
    keys = ["", "a", "a@", "a-@", "a@2", "srv000002", "srv000002@", "srv000002@2025-12-3", "zz@9", "é", "strasse@"]
    for key in [*keys, some, some[:-1], some + "0", some.partition("@")[0]]:
        for op, compare in COMPARE.items():
            assert name_compare(world, points, op, key) == [compare(name, key) for name in names], (op, key)


@pytest.mark.parametrize(
    "text",
    [
        "CreationTime>=2026-01-01;CreationTime<2026-01-03",
        "VmName>a;State==Ready;VmName<=srv000030;VmName!=srv000002",
        "Type>=Increment;Type<=Snapshot;Type!=Snapshot",
        "CreationTime>2026-01-04;CreationTime<2026-01-01",
    ],
)
def test_comparisons_of_one_field_read_once_match_as_before(worlds, text: str) -> None:
    qtype = QUERY_TYPES["cloudvmreplicapoint"]
    flt = parse_filter(text, qtype)
    assert any(isinstance(node, Range) for node in [flt._root, *getattr(flt._root, "terms", [])])
    for world in worlds:
        points = list(world.points.values())
        terms = [parse_filter(part, qtype) for part in text.split(";")]
        expected = [p for p in points if all(t.matches(world, p) for t in terms)]
        assert flt.select(world, points) == expected
