"""The query service's kept matches and orders answer exactly as computing them afresh does, for
every scope, filter, order and page, and are forgotten when the world changes."""

from __future__ import annotations

from datetime import UTC, datetime

import pytest

from mock_em.generator import WorldSize, generate_world
from mock_em.model.access import ADMIN, Access
from mock_em.model.entities import PointState, Role
from mock_em.model.query import QueryCache, QueryError, run_query

NOW = datetime(2026, 1, 5, 12, tzinfo=UTC)
QUERIES = [
    {},
    {"sort_asc": "name"},
    {"sort_desc": "CreationTime"},
    {"sort_asc": "State"},
    {"filter_text": "State==Ready"},
    {"filter_text": "VmName==srv01,VmName==srv02", "sort_desc": "Name"},
    {"filter_text": "CreationTime>2025-12-31", "sort_asc": "VmName"},
]


@pytest.fixture(scope="module")
def world():
    return generate_world(2, WorldSize(tenants=3, replicas_per_tenant=3, vms_per_replica=3, points_per_vm=6), NOW)


def pages(world, scope: Access, cache: QueryCache | None, **query: str) -> list[list]:
    found = []
    for page in ("1", "2", "7", "40"):
        result = run_query(world, scope, "CloudVmReplicaPoint", page=page, page_size="4", cache=cache, **query)
        found.append([result.items, result.page, result.pages_count, result.total])
    return found


def test_kept_results_equal_fresh_ones(world) -> None:
    tenant = next(iter(world.tenants))
    cache = QueryCache()
    for scope in (ADMIN, Access(Role.RestoreOperator), Access(Role.CloudTenant, tenant)):
        for query in QUERIES:
            fresh = pages(world, scope, None, **query)
            assert pages(world, scope, cache, **query) == fresh  # builds what it keeps
            assert pages(world, scope, cache, **query) == fresh  # answers from it


def test_deep_pages_of_all_points_equal_fresh_ones(world) -> None:
    cache = QueryCache()
    for page in ("1", "30", "151"):
        fresh = run_query(world, ADMIN, "CloudVmReplicaPoint", page=page, page_size="1")
        assert run_query(world, ADMIN, "CloudVmReplicaPoint", page=page, page_size="1", cache=cache) == fresh


def test_kept_results_follow_the_world(world) -> None:
    cache = QueryCache()
    before = run_query(world, ADMIN, "CloudVmReplicaPoint", filter_text="State==Failover", cache=cache)
    assert before.total == 0
    point = next(iter(world.points))
    world.set_point_state(point, PointState.Failover)
    try:
        after = run_query(world, ADMIN, "CloudVmReplicaPoint", filter_text="State==Failover", cache=cache)
        assert [p.id for p in after.items] == [point]
    finally:
        world.set_point_state(point, PointState.Ready)


def test_errors_are_the_same_with_a_cache(world) -> None:
    cache = QueryCache()
    for query in (
        {"filter_text": "Nope==1"},
        {"sort_asc": "Nope"},
        {"page": "0"},
        {"sort_asc": "Name", "sort_desc": "Name"},
    ):
        with pytest.raises(QueryError) as plain:
            run_query(world, ADMIN, "CloudVmReplicaPoint", **query)
        with pytest.raises(QueryError) as kept:
            run_query(world, ADMIN, "CloudVmReplicaPoint", cache=cache, **query)
        assert str(plain.value) == str(kept.value)
