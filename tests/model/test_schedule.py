"""The replication schedule: points are a pure function of (replica, VM, day), and running the
clock forward continues exactly the history a fresh world would hold."""

from __future__ import annotations

import re
from datetime import UTC, date, datetime, timedelta
from uuid import UUID

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from mock_em.model.entities import (
    BackupServer,
    CloudReplica,
    CloudTenant,
    PointState,
    PointType,
    ReplicaSchedule,
    Vm,
)
from mock_em.model.fixture import world_to_dict
from mock_em.model.schedule import (
    ADHOC_END,
    ADHOC_START,
    DayRandom,
    latest_points,
    points_between,
    points_for_day,
    run_world,
)
from mock_em.model.world import World

POINT_NAME = re.compile(r"^srv\d{2,}@\d{4}-\d\d-\d\d \d\d:\d\d:\d\d$")
SERVER = UUID("8fff3b8e-c3f1-4ef5-aecc-561f07bf9982")
TENANT = UUID("d4c1e2a7-3b6f-4e58-9a0c-7f21b8e45d93")
NOW = datetime(2015, 12, 28, 9, 30, tzinfo=UTC)


def replica(
    schedule: ReplicaSchedule | None = None, *, n: int = 1, vms: tuple[str, ...] = ("srv39",), retention: int = 7
) -> CloudReplica:
    """A replica whose id is fixed by `n`, so tests can build two that differ only in id."""
    return CloudReplica(
        UUID(int=n, version=4),
        f"UCM Company CRM Replication {n}",
        TENANT,
        SERVER,
        retention=retention,
        schedule=schedule or ReplicaSchedule(20, 0, 70, 0.1, 42),
        vms=[Vm(v) for v in vms],
    )


def seconds(point_time: datetime, day: date) -> int:
    """Seconds from `day`'s midnight (UTC) to `point_time`."""
    return int((point_time - datetime(day.year, day.month, day.day, tzinfo=UTC)).total_seconds())


def days(start: date, count: int) -> list[date]:
    return [start + timedelta(days=i) for i in range(count)]


def test_points_for_day_is_pure_and_order_independent() -> None:
    """The same (replica, VM, day) always gives the same points, whatever was asked before."""
    r = replica()
    vm = r.vms[0]
    forward = [points_for_day(r, vm, d) for d in days(date(2015, 12, 1), 30)]
    backward = [points_for_day(r, vm, d) for d in reversed(days(date(2015, 12, 1), 30))][::-1]
    assert forward == backward
    assert forward == [points_for_day(r, vm, d) for d in days(date(2015, 12, 1), 30)]


def test_points_are_snapshots_ready_named_by_vm_and_time() -> None:
    r = replica()
    for d in days(date(2015, 1, 1), 60):
        for point in points_for_day(r, r.vms[0], d):
            assert point.point_type is PointType.Snapshot
            assert point.state is PointState.Ready
            assert point.replica_id == r.id
            assert point.vm_name == point.vm_display_name == "srv39"
            assert POINT_NAME.match(point.name), point.name
            assert point.id.version == 4
            assert point.creation_time.tzinfo is UTC
            assert point.creation_time.microsecond == 0


def test_nightly_point_every_day_within_the_window_and_adhoc_in_office_hours() -> None:
    """One nightly point per day in [hour:minute, +spread), ad-hoc ones between 08:00 and 18:00."""
    schedule = ReplicaSchedule(20, 15, 55, 0.3, 7)
    r = replica(schedule)
    start = 20 * 3600 + 15 * 60
    seconds_seen = set()
    for d in days(date(2016, 1, 1), 200):
        points = points_for_day(r, r.vms[0], d)
        offsets = [seconds(p.creation_time, d) for p in points]
        assert offsets == sorted(offsets)
        nightly = [o for o in offsets if start <= o < start + 55 * 60]
        adhoc = [o for o in offsets if ADHOC_START <= o < ADHOC_END]
        assert len(nightly) == 1 and len(adhoc) == len(offsets) - 1 <= 1, offsets
        seconds_seen.update(o % 60 for o in offsets)
    assert len(seconds_seen) > 30  # times spread to the second, as in `srv40@2015-12-27 21:08:13`


@pytest.mark.parametrize("rate", [0.05, 0.1, 0.2])
def test_adhoc_points_at_a_realistic_rate(rate: float) -> None:
    """Over many VM-days, the share of days with an ad-hoc point is close to `adhoc_rate`."""
    r = replica(ReplicaSchedule(21, 0, 60, rate, 3), vms=tuple(f"srv{i:02d}" for i in range(1, 11)))
    samples = [len(points_for_day(r, vm, d)) - 1 for vm in r.vms for d in days(date(2017, 3, 1), 300)]
    share = sum(samples) / len(samples)
    assert abs(share - rate) < 0.03, share


def test_no_adhoc_points_when_rate_is_zero() -> None:
    r = replica(ReplicaSchedule(20, 0, 70, 0.0, 5))
    assert all(len(points_for_day(r, r.vms[0], d)) == 1 for d in days(date(2015, 1, 1), 365))


def test_guids_differ_between_vms_days_and_replicas_sharing_a_seed() -> None:
    """Hand-made replicas often share schedule seed 0: their points must still have distinct ids."""
    schedule = ReplicaSchedule(20, 0, 70, 0.5, 0)
    a, b = replica(schedule, n=1, vms=("srv01", "srv02")), replica(schedule, n=2, vms=("srv01",))
    ids = [p.id for r in (a, b) for vm in r.vms for d in days(date(2015, 12, 1), 50) for p in points_for_day(r, vm, d)]
    assert len(ids) == len(set(ids))


def test_day_random_is_a_random_random_keyed_by_its_string() -> None:
    """Same key, same stream (long draws included); another key, another stream."""
    one, two = DayRandom("k:1"), DayRandom("k:1")
    assert [one.getrandbits(200) for _ in range(10)] == [two.getrandbits(200) for _ in range(10)]
    assert DayRandom("k:1").getrandbits(64) != DayRandom("k:2").getrandbits(64)
    rng = DayRandom("k:3")
    state = rng.getstate()
    first = [rng.random() for _ in range(5)]
    rng.setstate(state)
    assert first == [rng.random() for _ in range(5)]
    assert all(0.0 <= x < 1.0 for x in first)
    assert 0 <= rng.randrange(10) < 10


def test_latest_points_newest_at_or_before_now_ascending() -> None:
    r = replica()
    vm = r.vms[0]
    points = latest_points(r, vm, NOW, 7)
    assert len(points) == 7
    times = [p.creation_time for p in points]
    assert times == sorted(times) and times[-1] <= NOW
    history = points_between(r, vm, NOW - timedelta(days=30), NOW)
    assert points == history[-7:]
    assert latest_points(r, vm, NOW, 0) == []
    assert latest_points(r, vm, NOW, 1) == history[-1:]


def test_latest_points_includes_a_point_exactly_at_now_and_between_is_half_open() -> None:
    r = replica()
    vm = r.vms[0]
    point = points_for_day(r, vm, date(2015, 12, 20))[-1]
    at = point.creation_time
    assert latest_points(r, vm, at, 1) == [point]
    assert point in points_between(r, vm, at - timedelta(hours=1), at)
    assert point not in points_between(r, vm, at, at + timedelta(hours=1))
    assert points_between(r, vm, at, at) == []
    assert points_between(r, vm, at, at - timedelta(days=1)) == []


def test_naive_times_are_refused() -> None:
    r = replica()
    with pytest.raises(ValueError, match="timezone-aware"):
        latest_points(r, r.vms[0], datetime(2015, 12, 28), 3)
    with pytest.raises(ValueError, match="timezone-aware"):
        points_between(r, r.vms[0], datetime(2015, 12, 1), NOW)


def test_other_zones_mean_the_same_instant() -> None:
    from datetime import timezone

    r = replica()
    local = NOW.astimezone(timezone(timedelta(hours=-5)))
    assert latest_points(r, r.vms[0], local, 5) == latest_points(r, r.vms[0], NOW, 5)


def test_late_schedule_crosses_midnight_consistently() -> None:
    """A 23:30 job with a 90-minute spread leaves some points on the next calendar day."""
    r = replica(ReplicaSchedule(23, 30, 90, 0.2, 11))
    vm = r.vms[0]
    start, middle, end = (datetime(2016, 2, d, 0, 20, tzinfo=UTC) for d in (1, 15, 29))
    whole = points_between(r, vm, start, end)
    assert whole == points_between(r, vm, start, middle) + points_between(r, vm, middle, end)
    assert any(p.creation_time.hour == 0 for p in whole)
    assert latest_points(r, vm, end, 10) == whole[-10:]


@settings(max_examples=60, deadline=None)
@given(
    hour=st.integers(0, 23),
    minute=st.integers(0, 59),
    spread=st.integers(0, 600),
    rate=st.floats(0, 1),
    seed=st.integers(0, 2**32),
    count=st.integers(1, 15),
    offset=st.integers(0, 7 * 86400),
)
def test_latest_points_agrees_with_points_between(
    hour: int, minute: int, spread: int, rate: float, seed: int, count: int, offset: int
) -> None:
    """For any schedule, the newest `count` points are the tail of the full history, and a range
    split anywhere is the concatenation of its halves."""
    r = replica(ReplicaSchedule(hour, minute, spread, rate, seed))
    vm = r.vms[0]
    now = NOW + timedelta(seconds=offset)
    since = now - timedelta(days=count + 3)
    history = points_between(r, vm, since, now)
    assert latest_points(r, vm, now, count) == history[-count:]
    cut = since + timedelta(seconds=offset % (86400 * 3))
    assert history == points_between(r, vm, since, cut) + points_between(r, vm, cut, now)


# -- run_world ------------------------------------------------------------------------------


def small_world(now: datetime, retention: int = 3) -> World:
    """Two replicas (one crossing midnight) with their newest `retention` points as of `now`."""
    server = BackupServer(SERVER, "172.17.53.48", "Cloud Connect backup server")
    tenant = CloudTenant(TENANT, "UCM Company", SERVER, "UCM Company", "Ucm4CloudRepl1ca")
    replicas = [
        replica(ReplicaSchedule(20, 0, 70, 0.3, 1), n=1, vms=("srv01", "srv02"), retention=retention),
        replica(ReplicaSchedule(23, 45, 60, 0.1, 2), n=2, vms=("srv03",), retention=retention),
    ]
    points = [p for r in replicas for vm in r.vms for p in latest_points(r, vm, now, r.retention)]
    points.sort(key=lambda p: p.creation_time)
    return World.of([server], [tenant], replicas, points)


@pytest.mark.parametrize("hours", [1, 10, 24, 49, 24 * 30, 24 * 3650])
def test_run_world_equals_a_fresh_world_at_the_later_time(hours: int) -> None:
    until = NOW + timedelta(hours=hours)
    world = small_world(NOW)
    added, removed = run_world(world, NOW, until)
    fresh = small_world(until)
    assert world_to_dict(world) == world_to_dict(fresh)
    assert (added, removed) == (len(set(fresh.points) - set(small_world(NOW).points)), added)


def test_run_world_in_steps_equals_one_jump_and_retention_holds() -> None:
    world = small_world(NOW, retention=4)
    at = NOW
    for step in (5, 11, 17, 1, 40, 3, 24, 60):
        later = at + timedelta(hours=step)
        run_world(world, at, later)
        at = later
        counts: dict[tuple[UUID, str], int] = {}
        for point in world.points.values():
            counts[point.replica_id, point.vm_name] = counts.get((point.replica_id, point.vm_name), 0) + 1
        assert set(counts.values()) == {4}
    assert world_to_dict(world) == world_to_dict(small_world(at, retention=4))


def test_run_world_is_idempotent_and_bumps_version_once_per_change() -> None:
    world = small_world(NOW)
    version = world.version
    until = NOW + timedelta(days=2)
    added, removed = run_world(world, NOW, until)
    assert added == removed > 0
    assert world.version == version + 1
    assert run_world(world, NOW, until) == (0, 0)
    assert world.version == version + 1
    assert run_world(world, until, until) == (0, 0)
    assert run_world(world, until, NOW) == (0, 0)


def test_run_world_with_retention_zero_empties_and_keeps_other_vms_points() -> None:
    """A replica with retention 0 keeps nothing; points of a VM no longer in its job stay."""
    world = small_world(NOW)
    first = next(iter(world.replicas.values()))
    first.retention = 0
    gone = first.vms.pop()
    before = [p.id for p in world.points.values() if p.vm_name == gone.name]
    added, removed = run_world(world, NOW, NOW + timedelta(days=1))
    assert all(p.replica_id != first.id or p.vm_name == gone.name for p in world.points.values())
    assert [p.id for p in world.points.values() if p.vm_name == gone.name] == before
    assert removed >= 3 and added > 0


def test_run_world_trims_to_retention_even_without_new_points() -> None:
    """A world holding more than a replica keeps (a lowered retention, a hand-made fixture) is
    trimmed to the newest points on the next run, whether or not a job ran in between."""
    world = small_world(NOW, retention=5)
    for r in world.replicas.values():
        r.retention = 2
    quiet = NOW + timedelta(seconds=1)  # 09:30:01: no job runs in that second
    assert run_world(world, NOW, quiet) == (0, 9)
    assert world_to_dict(world) == world_to_dict(small_world(NOW, retention=2))
