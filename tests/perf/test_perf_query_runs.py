"""The shortcuts over a column already in ascending order (restore points by CreationTime) give
exactly what comparing and sorting every object gives: filters whose matches are one run found by
bisection, sorts of such a run that read only its tail, OR-ed equalities tested per distinct value,
and a sorted query whose later pages come from a kept head. Checked against a brute force over
random worlds, in order and out of it, with ties, after edits and clock moves (new versions)."""

from __future__ import annotations

import random
from datetime import UTC, datetime, timedelta
from itertools import product

import pytest

from mock_em.generator import WorldSize, generate_world
from mock_em.model.access import ADMIN, Access
from mock_em.model.clock import Clock
from mock_em.model.enterprise_manager import EnterpriseManager
from mock_em.model.entities import CloudVmReplicaPoint, PointState, Role
from mock_em.model.ids import guid
from mock_em.model.query import QUERY_TYPES, QueryCache, run_query
from mock_em.model.query_ascending import Ascending, head, run_of
from mock_em.model.world import World

NOW = datetime(2026, 1, 5, 12, tzinfo=UTC)
FIELDS = QUERY_TYPES["cloudvmreplicapoint"].fields
OPS = ("==", "!=", "<", "<=", ">", ">=")
READY = FIELDS["state"].literal("Ready")


def _key(world: World, name: str, point: CloudVmReplicaPoint):
    return next(iter(FIELDS[name.casefold()].column(world, [point])))


def _holds(world: World, point: CloudVmReplicaPoint, conjunction: list[tuple[str, str, object]]) -> bool:
    import operator

    compare = {"==": operator.eq, "!=": operator.ne, "<": operator.lt, "<=": operator.le}
    compare |= {">": operator.gt, ">=": operator.ge}
    return all(compare[op](_key(world, name, point), key) for name, op, key in conjunction)


def _stamp(when: datetime) -> str:
    return when.strftime("%Y-%m-%dT%H:%M:%S.%f") + "Z"


def _filters(world: World, rng: random.Random) -> list[tuple[str, list[list[tuple[str, str, object]]]]]:
    """(filter text, its meaning as an OR of ANDs of (field, op, key)), CreationTime bounds taken
    at, between and beyond the points' own times."""
    points = list(world.points.values())
    times = sorted({p.creation_time for p in points})
    bounds = [times[0] - timedelta(days=1), times[-1] + timedelta(days=1)]
    bounds += rng.sample(times, 6) + [t + timedelta(microseconds=1) for t in rng.sample(times, 3)]
    found = []
    for _ in range(40):
        a, b = sorted(rng.sample(bounds, 2))
        ops = rng.sample(OPS, 2)
        found.append(
            (
                f"CreationTime{ops[0]}{_stamp(a)};CreationTime{ops[1]}{_stamp(b)}",
                [[("CreationTime", ops[0], a), ("CreationTime", ops[1], b)]],
            )
        )
        op = rng.choice(OPS)
        found.append((f"CreationTime{op}{_stamp(a)}", [[("CreationTime", op, a)]]))
        found.append(
            (
                f"CreationTime>={_stamp(a)};State==Ready;CreationTime<{_stamp(b)}",
                [[("CreationTime", ">=", a), ("State", "==", READY), ("CreationTime", "<", b)]],
            )
        )
    for p in rng.sample(points, 8):
        name = p.name
        found.append((f'Name=="{name}"', [[("Name", "==", name.casefold())]]))
        found.append((f'Name!="{name}"', [[("Name", "!=", name.casefold())]]))
    vms = sorted({p.vm_name for p in points})
    for _ in range(8):
        some = rng.sample(vms, 3)
        text = ",".join(f"VmName=={v.upper() if i % 2 else v}" for i, v in enumerate(some))
        found.append((text, [[("VmName", "==", v.casefold())] for v in some]))
        found.append((f"VmName=={some[0]}", [[("VmName", "==", some[0].casefold())]]))
    return found


def _expected(world: World, meaning, sort: str | None, descending: bool) -> list:
    points = [p for p in world.points.values() if any(_holds(world, p, c) for c in meaning)]
    if sort is not None:
        points = sorted(points, key=lambda p: _key(world, sort, p), reverse=descending)
    return [p.id for p in points]


def _shuffled_in_time(world: World, rng: random.Random) -> World:
    """Points added out of time order, and many sharing one creation time."""
    replicas = list(world.replicas.values())
    times = [p.creation_time for p in world.points.values()]
    for _ in range(60):
        replica = rng.choice(replicas)
        vm = rng.choice(replica.vms) if replica.vms else None
        when = rng.choice(times[:5] + times[-5:] + [rng.choice(times)])
        world.add_point(CloudVmReplicaPoint(guid(rng), replica.id, vm.name if vm else "x", when))
    return world


@pytest.fixture(scope="module")
def worlds() -> list[World]:
    size = WorldSize(tenants=3, replicas_per_tenant=3, vms_per_replica=4, points_per_vm=30)
    in_order = generate_world(5, size, NOW)
    out_of_order = _shuffled_in_time(generate_world(6, size, NOW), random.Random(6))
    return [in_order, out_of_order]


def _check(world: World, rng: random.Random, cache: QueryCache | None, rounds: int = 60) -> None:
    sorts = [None, "CreationTime", "Name", "VmName", "State"]
    for text, meaning in rng.sample(_filters(world, rng), rounds):
        sort, descending = rng.choice(sorts), rng.random() < 0.5
        want = _expected(world, meaning, sort, descending)
        size = rng.choice([1, 3, 10, 100])
        pages = [1, 2, max(1, -(-len(want) // size))]
        for page in pages:
            args = {"sort_desc" if descending else "sort_asc": sort} if sort is not None else {}
            found = run_query(
                world, ADMIN, "CloudVmReplicaPoint", filter_text=text, page=str(page), page_size=str(size),
                cache=cache, **args,
            )  # fmt: skip
            assert found.total == len(want), text
            assert [p.id for p in found.items] == want[(page - 1) * size : page * size], (text, sort, descending, page)


@pytest.mark.parametrize("cached", [False, True])
def test_filters_and_sorts_equal_a_brute_force(worlds, cached: bool) -> None:
    for seed, world in enumerate(worlds):
        _check(world, random.Random(seed), QueryCache() if cached else None)


def test_the_same_after_edits_and_clock_moves() -> None:
    """One cache over a world that changes: new versions must not answer from old runs or heads."""
    world = generate_world(9, WorldSize(tenants=2, replicas_per_tenant=3, vms_per_replica=3, points_per_vm=20), NOW)
    rng = random.Random(9)
    cache = QueryCache()
    clock = Clock(NOW, frozen=True)
    em = EnterpriseManager.create(world, {}, seed=9, clock=clock)
    for step in range(8):
        _check(world, rng, cache, rounds=15)
        for sort, descending in product(["CreationTime", "UID", "Name"], [False, True]):
            args = {"sort_desc" if descending else "sort_asc": sort}
            found = run_query(world, ADMIN, "CloudVmReplicaPoint", page="1", page_size="5", cache=cache, **args)
            assert [p.id for p in found.items] == _expected(world, [[]], sort, descending)[:5]
        points = list(world.points.values())
        if step % 3 == 0:  # an older point at the end of the store: no longer in time order
            p = rng.choice(points)
            world.add_point(CloudVmReplicaPoint(guid(rng), p.replica_id, p.vm_name, points[0].creation_time))
        elif step % 3 == 1:
            world.set_point_state(rng.choice(points).id, PointState.Failover)
        else:
            replica = rng.choice([r for r in world.replicas.values() if r.vms])
            world.remove_vm(replica.id, replica.vms[0].name)
        before = world.version
        clock.advance(timedelta(hours=rng.choice([1, 7, 30])))
        added, removed = em.catch_up()  # the jobs run: points come (and old ones go) in time order
        assert world.version > before or added + removed == 0


def test_tenant_scope_pages_equal_a_brute_force(worlds) -> None:
    world = worlds[0]
    tenant = next(iter(world.tenants))
    scope = Access(Role.CloudTenant, tenant)
    mine = {r.id for r in world.replicas.values() if r.tenant_id == tenant}
    cache = QueryCache()
    for sort, descending in product(["CreationTime", "UID", "VmName"], [False, True]):
        want = sorted(
            (p for p in world.points.values() if p.replica_id in mine),
            key=lambda p: _key(world, sort, p),
            reverse=descending,
        )
        for page in (1, 2, 3):
            args = {"sort_desc" if descending else "sort_asc": sort}
            found = run_query(world, scope, "CloudVmReplicaPoint", page=str(page), page_size="7", cache=cache, **args)
            assert [p.id for p in found.items] == [p.id for p in want[(page - 1) * 7 : page * 7]]
            assert found.total == len(want)


@pytest.mark.parametrize("seed", range(30))
def test_run_of_equals_testing_every_key(seed: int) -> None:
    import operator

    rng = random.Random(seed)
    keys = sorted(rng.randrange(20) for _ in range(rng.randrange(0, 60)))
    compare = {"==": operator.eq, "<": operator.lt, "<=": operator.le, ">": operator.gt, ">=": operator.ge}
    for _ in range(50):
        tests = [(rng.choice(list(compare)), rng.randrange(-2, 22)) for _ in range(rng.randrange(1, 4))]
        lo, hi = run_of(keys, tests)
        assert [all(compare[op](k, v) for op, v in tests) for k in keys] == (
            [False] * lo + [True] * (hi - lo) + [False] * (len(keys) - hi)
        )


@pytest.mark.parametrize("seed", range(20))
def test_head_of_an_ascending_run_equals_a_stable_sort(seed: int) -> None:
    """Many ties at the end (longer than the first window) must come in store order."""
    rng = random.Random(seed)
    world = generate_world(seed, WorldSize(tenants=1, replicas_per_tenant=2, vms_per_replica=3, points_per_vm=10), NOW)
    points = sorted(world.points.values(), key=lambda p: p.creation_time)
    times = sorted(rng.choice([p.creation_time for p in points]) for _ in points)
    if seed % 2:
        tied = rng.randrange(1, len(times))
        times[-tied:] = [times[-1]] * tied
    for p, t in zip(points, times, strict=True):
        p.creation_time = t
    field = FIELDS["creationtime"]
    run = Ascending(points, field)
    for count in range(1, len(points)):
        for descending in (False, True):
            order = sorted(range(len(points)), key=lambda i: points[i].creation_time, reverse=descending)
            assert head(world, run, count, descending=descending) == order[:count]
