"""The pieces behind the fast answers, one by one: spliced lists equal whole-tree renderings, a
point's content key changes with anything its documents show, the caches stay within their
budgets, documents that differ by one GUID are exact, and the fast day draws are the schedule's."""

from __future__ import annotations

import dataclasses
import random
from datetime import UTC, date, datetime, timedelta
from typing import Any
from uuid import UUID

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from mock_em.generator import WorldSize, generate_world
from mock_em.model.access import ADMIN, Access
from mock_em.model.entities import (
    BackupServer,
    CloudReplica,
    CloudVmReplicaPoint,
    LogonSession,
    PointState,
    PointType,
    ReplicaSchedule,
    Vm,
)
from mock_em.model.kinds import kind
from mock_em.model.schedule import DayRandom, _day_points, _DayDraws, _key_prefix, _uuid4
from mock_em.model.world import World
from mock_em.registry import family
from mock_em.releases import DEFAULT_RELEASE
from mock_em.wire import documents as doc
from mock_em.wire.cache import (
    FragmentCache,
    IdDocuments,
    Listing,
    ResponseCache,
    content_key,
    render_doc,
)
from mock_em.wire.links import Hrefs
from mock_em.wire.render import render

NOW = datetime(2026, 1, 5, 12, tzinfo=UTC)
H = Hrefs("http://localhost:9399/")
POINTS = family("CloudVmReplicaPoint")


def point_content(world: World, fragments: FragmentCache) -> Any:
    """A restore point's content key, as the points' lists use it."""
    return content_key(kind("CloudVmReplicaPoint"), world, fragments)


def world_with_names(names: list[str]) -> World:
    """A small world whose VMs carry awkward names (XML specials, quotes, the marker's text)."""
    world = generate_world(3, WorldSize(tenants=1, replicas_per_tenant=1, vms_per_replica=1, points_per_vm=0), NOW)
    replica = next(iter(world.replicas.values()))
    for i, name in enumerate(names):
        point = CloudVmReplicaPoint(UUID(int=i + 1, version=4), replica.id, name, NOW - timedelta(hours=i), name)
        world.points[point.id] = point
    return world


def listings(world: World, fragments: FragmentCache | None) -> list[tuple[Listing, str]]:
    points = list(world.points.values())
    key = point_content(world, fragments) if fragments else None
    return [
        (
            Listing(
                doc.references,
                points,
                lambda p: doc.reference(H, POINTS, world, p, ADMIN, DEFAULT_RELEASE),
                ("Refs", H.api, ADMIN),
                key,
            ),
            "refs",
        ),
        (
            Listing(
                lambda items: doc.entity_list("CloudVmReplicaPoints", items),
                points,
                lambda p: doc.entity(H, POINTS, world, p, ADMIN, DEFAULT_RELEASE, in_list=True),
                ("CloudVmReplicaPoints", H.api, ADMIN),
                key,
            ),
            "entities",
        ),
    ]


AWKWARD = [
    "srv01", 'a"b', "x<y>&z", "tab\there", "new\nline", "\u2063mock-em fragments\u2063", "<MockEmFragments/>",
    "ünïcödé", "emoji 🦆", "", "  spaces  ",
]  # fmt: skip


@pytest.mark.parametrize("json", [False, True])
def test_spliced_lists_equal_whole_trees(json: bool) -> None:
    world = world_with_names(AWKWARD)
    fragments = FragmentCache()
    for (listing, _), (plain, _) in zip(listings(world, fragments), listings(world, None), strict=True):
        expected = render(plain.tree(), json)[0]
        assert render_doc(listing, json, fragments) == expected  # fragments made
        assert render_doc(listing, json, fragments) == expected  # fragments used


@settings(max_examples=40, deadline=None)
@given(st.lists(st.text(min_size=0, max_size=12), min_size=1, max_size=6), st.booleans())
def test_spliced_lists_equal_whole_trees_for_any_names(names: list[str], json: bool) -> None:
    world = world_with_names(names)
    fragments = FragmentCache()
    for (listing, _), (plain, _) in zip(listings(world, fragments), listings(world, None), strict=True):
        try:
            expected = render(plain.tree(), json)[0]
        except ValueError:  # lxml refuses some characters outright: so must the splice
            with pytest.raises(ValueError):
                render_doc(listing, json, fragments)
            continue
        assert render_doc(listing, json, fragments) == expected
        assert render_doc(listing, json, fragments) == expected


def test_a_point_content_key_changes_with_every_field_its_documents_read() -> None:
    world = generate_world(5, WorldSize(tenants=1, replicas_per_tenant=1, vms_per_replica=1, points_per_vm=1), NOW)
    point = next(iter(world.points.values()))
    replica = world.replicas[point.replica_id]
    server = world.backup_servers[replica.backup_server_id]
    fragments = FragmentCache()
    original = point_content(world, fragments)(point)
    changes = {
        "id": UUID(int=7, version=4), "vm_name": "other", "creation_time": NOW, "vm_display_name": "shown",
        "point_type": PointType.Full, "state": PointState.Failover,
    }  # fmt: skip
    for name, value in changes.items():
        changed = dataclasses.replace(point, **{name: value})
        assert point_content(world, fragments)(changed) != original, name
    for obj, name, value in ((replica, "name", "Renamed Replication"), (server, "name", "10.0.0.1")):
        old = getattr(obj, name)
        setattr(obj, name, value)
        assert point_content(world, fragments)(point) != original, name
        setattr(obj, name, old)
    assert point_content(world, fragments)(point) == original
    every = {f.name for f in dataclasses.fields(CloudVmReplicaPoint)}
    assert every <= set(changes) | {"replica_id"}, "a new point field needs a case above"
    assert {f.name for f in dataclasses.fields(BackupServer)} and {f.name for f in dataclasses.fields(CloudReplica)}


def test_the_response_cache_stays_within_its_budget_and_follows_the_world() -> None:
    world = World()
    cache = ResponseCache(budget=10_000)
    for i in range(100):
        cache.put(world, i, b"x" * 1000)
    assert cache.size <= 10_000 and len(cache) < 100
    assert cache.get(world, 99) == b"x" * 1000 and cache.get(world, 0) is None  # oldest out first
    cache.put(world, "too big", b"x" * 5000)  # more than a quarter of the budget: not kept
    assert cache.get(world, "too big") is None
    world.changed()
    assert cache.get(world, 99) is None and len(cache) == 0
    other = World()
    cache.put(world, "k", b"old")
    assert cache.get(other, "k") is None  # another world, however its version reads


def test_the_fragment_cache_turns_over_within_its_budget() -> None:
    fragments = FragmentCache(budget=20_000)
    kept = fragments.variant("v")
    for i in range(200):
        kept.put(i, b"y" * 500)
    assert len(fragments) < 200
    assert kept.get(199) == b"y" * 500
    fragments.clear()
    assert len(fragments) == 0 and fragments.variant("v").get(199) is None


def session(user: str) -> LogonSession:
    account = dataclasses.replace(ADMIN_ACCOUNT, user_name=user)
    return LogonSession(UUID(int=random.getrandbits(128), version=4), "t", user, account, NOW, NOW)


ADMIN_ACCOUNT = __import__("mock_em.model.entities", fromlist=["Account"]).Account("Administrator", "pw")


@pytest.mark.parametrize("user", ["EM01\\Administrator", "x<&>y", "5f0c6a39-4e1b-4d7a-9c2e-8b3d1f6a0e47"])
@pytest.mark.parametrize("json", [False, True])
def test_documents_differing_by_a_guid_are_exact(user: str, json: bool) -> None:
    documents = IdDocuments()
    scope = Access.of(ADMIN_ACCOUNT)
    for _ in range(3):
        s = session(user)

        def build(session_id: UUID, s: LogonSession = s) -> object:
            return doc.logon_session(H, dataclasses.replace(s, session_id=session_id), scope, "12")

        shape = (H.api, s.user_name, s.account)
        assert documents.render(shape, json, build, s.session_id) == render(build(s.session_id), json)[0]


def test_the_fast_day_draws_are_the_schedules() -> None:
    rng = random.Random(4)
    schedules = [ReplicaSchedule(), ReplicaSchedule(spread_minutes=0), ReplicaSchedule(spread_minutes=1)]
    schedules += [ReplicaSchedule(adhoc_rate=0.0), ReplicaSchedule(adhoc_rate=1.0)]
    schedules.append(ReplicaSchedule(hour=23, minute=59, spread_minutes=600))
    schedules += [
        ReplicaSchedule(rng.randint(0, 23), rng.randint(0, 59), rng.randint(0, 2000), rng.random(), rng.getrandbits(32))
        for _ in range(30)
    ]
    day = date(2025, 1, 1)
    for n, schedule in enumerate(schedules):
        replica = CloudReplica(
            UUID(int=rng.getrandbits(128), version=4), f"r{n}", UUID(int=1), UUID(int=2), schedule=schedule
        )
        vm = Vm(f"srv{n:02d}", "Display" if n % 2 else "")
        draws = _DayDraws(replica, vm)
        for offset in range(0, 400, 7):
            d = day + timedelta(days=offset)
            midnight = datetime(d.year, d.month, d.day, tzinfo=UTC)
            slow = _day_points(replica, vm, DayRandom(_key_prefix(replica, vm) + d.isoformat()), midnight)
            assert draws.points(d, midnight) == slow


def test_fast_guids_are_uuid4s() -> None:
    for bits in (0, 1, (1 << 128) - 1, random.Random(1).getrandbits(128)):
        fast, slow = _uuid4(bits), UUID(int=bits, version=4)
        assert fast == slow and str(fast) == str(slow) and fast.is_safe == slow.is_safe and hash(fast) == hash(slow)


def test_generation_restores_the_collector() -> None:
    import gc

    assert gc.isenabled()
    generate_world(1, WorldSize(tenants=1), NOW)
    assert gc.isenabled()
    gc.disable()
    try:
        generate_world(1, WorldSize(tenants=1), NOW)
        assert not gc.isenabled()
    finally:
        gc.enable()
