"""The replication schedule: which restore points a tenant's job has left, as pure functions.

A replica's points are never stored as history; they are recomputed from the job's schedule. Each
VM's points on one calendar day (UTC) come from an RNG seeded with (replica, schedule seed, VM,
day) alone, so the answer does not depend on the order of calls or on when the world was made:
a world generated at T0 and run forward to T1 holds exactly the points of a world generated at T1.

A run day's points: one nightly point at `hour:minute` plus a per-VM delay of up to
`spread_minutes` (to the second), and with chance `adhoc_rate` one ad-hoc point taken during the
working day. A late schedule may carry the nightly point past midnight; it still belongs to the
day the run started on.
"""

from __future__ import annotations

import random
from collections.abc import Callable
from datetime import UTC, date, datetime, timedelta
from functools import lru_cache
from hashlib import blake2b
from operator import attrgetter
from uuid import UUID, SafeUUID

from mock_em.model.day_random import _TWO_TO_MINUS_53, DayRandom
from mock_em.model.entities import CloudReplica, CloudVmReplicaPoint, ReplicaSchedule, Vm
from mock_em.model.ids import guid
from mock_em.model.job_sessions import refresh_jobs
from mock_em.model.usage import refresh_usage
from mock_em.model.world import World

ADHOC_START = 8 * 3600  # ad-hoc runs happen in office hours: 08:00:00 ...
ADHOC_END = 18 * 3600  # ... to 17:59:59 UTC

_DAY = timedelta(days=1)
_by_time = attrgetter("creation_time")


def _utc(value: datetime) -> datetime:
    """Aware UTC; a naive time would silently mean the host's zone, so it is refused."""
    if value.tzinfo is None:
        raise ValueError(f"expected a timezone-aware datetime, got naive {value.isoformat()}")
    return value.astimezone(UTC)


def _window(schedule: ReplicaSchedule) -> tuple[int, int]:
    """Earliest and latest second after a run day's midnight that a point of that day can carry.

    It lets the walks below skip days that cannot hold a point in range, and know when no
    earlier day can hold a newer point than those already found.
    """
    start = schedule.hour * 3600 + schedule.minute * 60
    lo, hi = start, start + _spread(schedule) - 1
    if schedule.adhoc_rate > 0:
        lo, hi = min(lo, ADHOC_START), max(hi, ADHOC_END - 1)
    return lo, hi


def _spread(schedule: ReplicaSchedule) -> int:
    """The nightly delay range in seconds (at least one, so randrange always has a choice)."""
    return max(1, schedule.spread_minutes * 60)


def _key_prefix(replica: CloudReplica, vm: Vm) -> str:
    """The day-independent part of the RNG key of a VM's day.

    It includes the replica id as well as the schedule seed, so two jobs that share a seed and
    a VM name (hand-made fixtures default to seed 0) still get distinct point GUIDs.
    """
    return f"{replica.id}:{replica.schedule.seed}:{vm.name}:"


def points_for_day(replica: CloudReplica, vm: Vm, day: date) -> list[CloudVmReplicaPoint]:
    """The points the job's run(s) of `day` left for `vm`, ascending by creation time."""
    midnight = datetime(day.year, day.month, day.day, tzinfo=UTC)
    return _day_points(replica, vm, DayRandom(_key_prefix(replica, vm) + day.isoformat()), midnight)


def _below(rng: random.Random, n: int) -> int:
    """A uniform int in [0, n): `randrange(n)` without its argument checks, which cost as much as the draw."""
    k = n.bit_length()
    value = rng.getrandbits(k)
    while value >= n:
        value = rng.getrandbits(k)
    return value


def _day_points(replica: CloudReplica, vm: Vm, rng: random.Random, midnight: datetime) -> list[CloudVmReplicaPoint]:
    """`points_for_day` drawing from `rng`, already seeded with the day's key."""
    schedule = replica.schedule
    delay = schedule.hour * 3600 + schedule.minute * 60 + _below(rng, _spread(schedule))
    nightly = CloudVmReplicaPoint(guid(rng), replica.id, vm.name, midnight + timedelta(seconds=delay), vm.display_name)
    if rng.random() >= schedule.adhoc_rate:
        return [nightly]
    at = midnight + timedelta(seconds=ADHOC_START + _below(rng, ADHOC_END - ADHOC_START))
    adhoc = CloudVmReplicaPoint(guid(rng), replica.id, vm.name, at, vm.display_name)
    return [adhoc, nightly] if at <= nightly.creation_time else [nightly, adhoc]


# -- the same draws, fast --------------------------------------------------------------------
#
# Generating a million points spent most of its time in the generic path above: a DayRandom per
# day, a Python call per draw, `UUID.__init__`'s checks. `_DayDraws` makes exactly the same draws
# (the same BLAKE2b stream, `_below`'s rejection loop, 128-bit GUIDs, a 53-bit `random()`) as
# straight-line integer arithmetic on the day's first 512-bit block, which almost always holds
# all of them; a day that needs more bits is drawn by `_day_points` itself. The tests compare
# the two on many days and schedules, and generated worlds byte for byte.

_M128 = (1 << 128) - 1
_M53 = (1 << 53) - 1
_ADHOC_SPAN = ADHOC_END - ADHOC_START
_ADHOC_BITS = _ADHOC_SPAN.bit_length()
_ADHOC_MASK = (1 << _ADHOC_BITS) - 1
_V4_CLEAR = ~((0xC000 << 48) | (0xF000 << 64))  # what UUID(int=…, version=4) clears …
_V4_SET = (0x8000 << 48) | (4 << 76)  # … and sets
_new_object = object.__new__
_set_slot = object.__setattr__
_UNKNOWN = SafeUUID.unknown


def _uuid4(bits: int) -> UUID:
    """`UUID(int=bits, version=4)` for a 128-bit `bits`, without the constructor's argument checks."""
    value = _new_object(UUID)
    _set_slot(value, "int", (bits & _V4_CLEAR) | _V4_SET)
    _set_slot(value, "is_safe", _UNKNOWN)
    return value


@lru_cache(maxsize=16_384)
def _iso(day: date) -> bytes:
    """The day's part of an RNG key (every VM's walk asks for the same few days)."""
    return day.isoformat().encode()


def _below_from(pool: int, bits: int, limit: int, k: int, mask: int) -> tuple[int, int, int] | None:
    """`_below(rng, limit)` drawn from the low `bits` of `pool`, `k` bits a try (`mask` = 2**k - 1):
    (value, the pool and bit count left), or None when the pool runs out first."""
    while bits >= k:
        value = pool & mask
        pool >>= k
        bits -= k
        if value < limit:
            return value, pool, bits
    return None


class _DayDraws:
    """One VM's per-day draws, with what is constant for the VM worked out once."""

    __slots__ = ("adhoc_rate", "display", "mask", "name", "prefix", "replica", "replica_id", "spread")
    __slots__ += ("spread_bits", "start", "vm")

    def __init__(self, replica: CloudReplica, vm: Vm) -> None:
        schedule = replica.schedule
        self.replica, self.vm = replica, vm
        self.replica_id, self.name, self.display = replica.id, vm.name, vm.display_name
        self.prefix = _key_prefix(replica, vm).encode()
        self.start = schedule.hour * 3600 + schedule.minute * 60
        self.spread = _spread(schedule)
        self.spread_bits = self.spread.bit_length()
        self.mask = (1 << self.spread_bits) - 1
        self.adhoc_rate = schedule.adhoc_rate

    def points(self, day: date, midnight: datetime) -> list[CloudVmReplicaPoint]:
        """What `_day_points` gives for `day` (whose midnight is `midnight`), the same objects' values."""
        key = self.prefix + _iso(day)
        pool = int.from_bytes(blake2b(key, digest_size=64).digest(), "little")
        bits = 512
        drawn = _below_from(pool, bits, self.spread, self.spread_bits, self.mask)
        if drawn is None:
            return self._slowly(key, midnight)
        value, pool, bits = drawn
        if bits < 181:  # a GUID and a random()
            return self._slowly(key, midnight)
        delay = self.start + value
        nightly = CloudVmReplicaPoint(
            _uuid4(pool & _M128), self.replica_id, self.name, midnight + timedelta(seconds=delay), self.display
        )
        pool >>= 128
        if (pool & _M53) * _TWO_TO_MINUS_53 >= self.adhoc_rate:
            return [nightly]
        pool >>= 53
        bits -= 181
        drawn = _below_from(pool, bits, _ADHOC_SPAN, _ADHOC_BITS, _ADHOC_MASK)
        if drawn is None:
            return self._slowly(key, midnight)
        value, pool, bits = drawn
        if bits < 128:
            return self._slowly(key, midnight)
        at = ADHOC_START + value
        adhoc = CloudVmReplicaPoint(
            _uuid4(pool & _M128), self.replica_id, self.name, midnight + timedelta(seconds=at), self.display
        )
        return [adhoc, nightly] if at <= delay else [nightly, adhoc]

    def _slowly(self, key: bytes, midnight: datetime) -> list[CloudVmReplicaPoint]:
        """The rare day whose draws outrun the first block: the generic stream draws it."""
        return _day_points(self.replica, self.vm, DayRandom(key.decode()), midnight)


def _walk_back(
    replica: CloudReplica, vm: Vm, start: datetime | None, end: datetime, count: int | None
) -> list[CloudVmReplicaPoint]:
    """Points in (start, end] (start None: unbounded), the newest `count` of them if given.

    Walks back one run day at a time from the last day that can hold a point <= end, so the work
    is proportional to the days asked for, never to how far back the schedule reaches. Stops at
    `start`, or once `count` points are found and no earlier day can beat the oldest of them.
    Which days sit on an edge (and need filtering) is worked out once, as dates.
    """
    if count is not None and count <= 0:
        return []
    lo, hi = _window(replica.schedule)
    first, reach = timedelta(seconds=lo), timedelta(seconds=hi)
    day = (end - first).date()  # the last run day with a point that can be <= end
    above = (end - reach).date()  # run days after this one may have points > end
    below = low = date.min
    if start is not None:
        below = (start - first).date()  # run days up to this one may have points <= start
        low = (start - reach).date()  # run days up to this one have only points <= start
    midnight = datetime(day.year, day.month, day.day, tzinfo=UTC)
    draws = _DayDraws(replica, vm)
    chunks: list[list[CloudVmReplicaPoint]] = []
    found = 0
    while start is None or day > low:
        chunk = draws.points(day, midnight)
        if day > above or day <= below:
            chunk = [p for p in chunk if p.creation_time <= end and (start is None or p.creation_time > start)]
        if chunk:
            chunks.append(chunk)
            found += len(chunk)
        if count is not None and found >= count:
            points = _ascending(chunks)
            if points[-count].creation_time > midnight - _DAY + reach:
                return points[-count:]
        if day == date.min:
            break
        day -= _DAY
        midnight -= _DAY
    points = _ascending(chunks)
    return points if count is None else points[-count:]


def _ascending(chunks: list[list[CloudVmReplicaPoint]]) -> list[CloudVmReplicaPoint]:
    """Day chunks found newest day first, as one list ascending by time.

    The sort is stable and the input nearly sorted (timsort does it in one pass), and only
    unusual schedules whose windows overlap midnight reorder anything.
    """
    points = [p for chunk in reversed(chunks) for p in chunk]
    points.sort(key=_by_time)
    return points


def points_between(replica: CloudReplica, vm: Vm, start: datetime, end: datetime) -> list[CloudVmReplicaPoint]:
    """Points of `vm` with creation time in (start, end], ascending: what a run of the clock adds."""
    start, end = _utc(start), _utc(end)
    if end <= start:
        return []
    return _walk_back(replica, vm, start, end, None)


def latest_points(replica: CloudReplica, vm: Vm, now: datetime, count: int) -> list[CloudVmReplicaPoint]:
    """The `count` newest points of `vm` created at or before `now`, ascending: what retention keeps."""
    if count <= 0:
        return []
    return _walk_back(replica, vm, None, _utc(now), count)


def run_world(
    world: World,
    since: datetime,
    until: datetime,
    on_added: Callable[[CloudVmReplicaPoint], None] | None = None,
) -> tuple[int, int]:
    """Run every replication job from `since` to `until`: add their points, then apply retention.

    Only the points that survive retention are added (a long jump adds at most `retention` per
    VM, however many runs it spans), and points already in the world are not added twice, so a
    repeated or overlapping run changes nothing. Returns (added, removed); `removed` counts points
    that were in the world before. Points of VMs no longer in their replica are left alone.
    `on_added` sees each new point before it is stored (demo mode gives some another state).
    The tenants' backup resources' `UsedQuota` follows to `until` (`mock_em.model.usage`), and the
    backup servers' jobs run (`mock_em.model.job_sessions`).
    """
    since, until = _utc(since), _utc(until)
    if until <= since:
        return 0, 0
    by_vm: dict[str, list[CloudVmReplicaPoint]] = {}  # by VM name: str hashes are cached, UUID ones are not
    for point in world.points.values():
        by_vm.setdefault(point.vm_name, []).append(point)
    added: list[CloudVmReplicaPoint] = []
    removed = 0
    for replica in world.replicas.values():
        keep = max(replica.retention, 0)
        for vm in replica.vms:
            new = [p for p in _walk_back(replica, vm, since, until, keep) if p.id not in world.points] if keep else []
            stored = by_vm.get(vm.name, [])
            if not new and len(stored) <= keep:
                continue  # nothing to add and nothing beyond retention: the common case of a short run
            old = [p for p in stored if p.replica_id.int == replica.id.int]  # int compare: UUID.__eq__ is Python
            if len(old) + len(new) <= keep:
                added.extend(new)
                continue
            ranked = sorted(old + new, key=_by_time)  # stable: on a tie the stored point ranks older
            cut = len(ranked) - keep
            survivors = {id(p) for p in ranked[cut:]}  # object identity: cheaper to hash than a UUID
            for point in ranked[:cut]:
                if world.points.pop(point.id, None) is not None:  # a stored point; new ones are not stored yet
                    removed += 1
            added.extend(p for p in new if id(p) in survivors)
    added.sort(key=_by_time)  # as a database would insert them; ties keep replica/VM order
    for point in added:
        if on_added is not None:
            on_added(point)
        world.points[point.id] = point
    if added or removed:
        world.changed()
    refresh_usage(world, until)  # the tenants' cloud backups ran too: their repositories' use follows
    refresh_jobs(world, until, if_due=True)  # and the backup servers' jobs run: sessions, backups, next start
    return len(added), removed
