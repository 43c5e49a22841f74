"""What a tenant's cloud backups hold on the provider's repositories: the `UsedQuota` of its backup
resources, as a pure function of the world and the clock.

A tenant's `BackupCount` counts its backup jobs that target the provider (cloud backups). mock-em
keeps no object per backup or per backup file; each cloud backup is drawn from its tenant's id and
its index (BLAKE2b, like the replicas' schedules), so the same tenant always has the same backups
and a change of `BackupCount` adds or drops backups at the end:

* the job runs every night at its `hour:minute`; each run leaves one restore point. The run on the
  job's `full_weekday` is an active full, every other run a forward increment;
* retention keeps the newest `retention` points, and everything back to the full they depend on
  (Veeam deletes a chain only when its last point leaves retention). Usage therefore grows with
  every night's increment, jumps with the weekly full and falls when a whole old chain goes;
* a full takes `full_mb`, an increment `increment_mb` scaled by the day's change rate (70 % to
  130 %, drawn per run); both grow linearly by `growth` a year from 2025-01-01 to 2028-01-01, as
  data does (and then stay, so that a quota sized once holds them).

Backup `i` of a tenant is stored on its `i % n`-th backup resource (of `n`, in store order). A
resource's `UsedQuota` is the sum over its backups plus the control plane's `fill_offset_mb`,
never below zero. `CloudBackup.bound_mb` is the most a backup can ever hold, so that a generated
quota holds its backups; only a control-plane edit makes a quota run out.

The repository a resource names (`Repository`, where the world has it) holds what the resource
uses: each change of a `UsedQuota` moves the repository's `FreeSpace` the other way, byte for MB
(EM's MB are MiB), and its capacity stays. Free space falls below zero only where a control-plane
fill pushes quotas past what the repository holds.
"""

from __future__ import annotations

import hashlib
import math
from dataclasses import dataclass
from datetime import UTC, date, datetime, time, timedelta
from functools import lru_cache
from uuid import UUID

from mock_em.model.entities import CloudTenant, CloudTenantResource
from mock_em.model.world import World

GROWTH_EPOCH = date(2025, 1, 1)
GROWTH_END = date(2028, 1, 1)  # data stops growing here, so that a quota can hold it for good
RESOURCE_KIND = "CloudTenantResource"
REPOSITORY_KIND = "Repository"
MB = 1024 * 1024  # EM's quotas are in MB of 2**20 bytes; repositories count bytes


def _draws(*parts: object) -> list[float]:
    """Eight uniform draws in [0, 1) from the parts' BLAKE2b digest."""
    digest = hashlib.blake2b(":".join(str(p) for p in parts).encode(), digest_size=32).digest()
    return [int.from_bytes(digest[i : i + 4], "big") / 2**32 for i in range(0, 32, 4)]


@dataclass(frozen=True, slots=True)
class CloudBackup:
    """One of a tenant's backup jobs that target the provider, as far as storage goes."""

    tenant_id: UUID
    index: int
    full_mb: int
    increment_mb: int
    retention: int  # restore points kept
    hour: int
    minute: int
    full_weekday: int  # Monday is 0
    growth: float  # share the data grows by in a year

    def run_at(self, day: date) -> datetime:
        """When the job's run of `day` takes its point."""
        return datetime.combine(day, time(self.hour, self.minute), UTC)

    def scale(self, day: date) -> float:
        """How much bigger the data is on `day` than at the growth epoch (never below a half, and
        no bigger after the growth's end)."""
        return max(0.5, 1 + self.growth * (min(day, GROWTH_END) - GROWTH_EPOCH).days / 365)

    def point_mb(self, day: date) -> int:
        """The size of the point the run of `day` leaves."""
        return _point_mb(self, day)

    def last_run_day(self, at: datetime) -> date:
        """The day of the newest run at or before `at`."""
        day = at.astimezone(UTC).date()
        return day if self.run_at(day) <= at else day - timedelta(days=1)

    def points(self, at: datetime) -> list[tuple[date, int]]:
        """The restore points kept at `at`, oldest first, as (run day, size in MB)."""
        newest = self.last_run_day(at)
        oldest = newest - timedelta(days=self.retention - 1)
        while oldest.weekday() != self.full_weekday:  # back to the full the oldest point needs
            oldest -= timedelta(days=1)
        days = (newest - oldest).days + 1
        return [(d, self.point_mb(d)) for d in (oldest + timedelta(days=i) for i in range(days))]

    def used_mb(self, at: datetime) -> int:
        """What the backup holds at `at`."""
        return sum(size for _, size in self.points(at))

    def bound_mb(self) -> int:
        """The most the backup can ever hold: the longest chain (retention plus six points back to
        a full, a full a week) at its biggest (the data's size at the growth's end)."""
        count = self.retention + 6
        fulls = math.ceil(count / 7) + 1
        return math.ceil((fulls * self.full_mb + count * self.increment_mb * 1.3) * self.scale(GROWTH_END))


@lru_cache(maxsize=1 << 20)  # a clock move re-reads the same points: each is drawn once
def _point_mb(backup: CloudBackup, day: date) -> int:
    if day.weekday() == backup.full_weekday:
        return round(backup.full_mb * backup.scale(day))
    rate = 0.7 + 0.6 * _draws("cloud-backup-run", backup.tenant_id, backup.index, day.isoformat())[0]
    return round(backup.increment_mb * rate * backup.scale(day))


@lru_cache(maxsize=1 << 16)
def cloud_backup(tenant_id: UUID, index: int) -> CloudBackup:
    """A tenant's `index`-th cloud backup, drawn from its id (20 GB to 400 GB of data, 2 % to 8 %
    changing a night, 7 to 30 points kept, a nightly run between 18:00 and 23:45)."""
    u = _draws("cloud-backup", tenant_id, index)
    full = round((20 + 380 * u[0] ** 2) * 1024)  # more small backups than big ones
    return CloudBackup(
        tenant_id=tenant_id,
        index=index,
        full_mb=full,
        increment_mb=max(1, round(full * (0.02 + 0.06 * u[1]))),
        retention=7 + int(24 * u[2]),
        hour=18 + int(6 * u[3]),
        minute=15 * int(4 * u[4]),
        full_weekday=int(7 * u[5]),
        growth=round(0.05 + 0.35 * u[6], 3),
    )


def tenant_backups(tenant: CloudTenant) -> list[CloudBackup]:
    """The tenant's cloud backups: as many as its `BackupCount`."""
    return [cloud_backup(tenant.id, i) for i in range(tenant.backup_count)]


def tenant_resources(world: World, tenant_id: UUID) -> list[CloudTenantResource]:
    """A tenant's backup resources, in store order."""
    return list(world.of_tenant(RESOURCE_KIND, tenant_id))


def resource_backups(world: World, resource: CloudTenantResource) -> list[CloudBackup]:
    """The cloud backups stored on one backup resource (backup `i` on resource `i % n`)."""
    tenant = world.tenants.get(resource.tenant_id)
    mine = tenant_resources(world, resource.tenant_id)
    if tenant is None or not mine:
        return []
    position = [r.id for r in mine].index(resource.id)
    return [b for b in tenant_backups(tenant) if b.index % len(mine) == position]


def modelled_used_mb(world: World, resource: CloudTenantResource, at: datetime) -> int:
    """What the resource's backups hold at `at`, before any control-plane fill."""
    return sum(b.used_mb(at) for b in resource_backups(world, resource))


def refresh_usage(world: World, at: datetime) -> int:
    """Bring every backup resource's `UsedQuota` to `at`; returns how many changed (the world is
    marked changed once, only if one did). Resources are grouped by tenant once, so a big world
    costs one pass, not one per resource."""
    by_tenant: dict[UUID, list[CloudTenantResource]] = {}
    for resource in world.all(RESOURCE_KIND).values():
        by_tenant.setdefault(resource.tenant_id, []).append(resource)
    changed = 0
    for tenant_id, mine in by_tenant.items():
        tenant = world.tenants.get(tenant_id)
        held = [0] * len(mine)
        for backup in tenant_backups(tenant) if tenant is not None else []:
            held[backup.index % len(mine)] += backup.used_mb(at)
        for resource, modelled in zip(mine, held, strict=True):
            used = max(0, modelled + resource.fill_offset_mb)
            if used != resource.used_quota_mb:
                _set_used(world, resource, used)
                changed += 1
    if changed:
        world.changed()
    return changed


def fill_to(world: World, resource: CloudTenantResource, percent: float, at: datetime) -> None:
    """Make the resource's `UsedQuota` `percent` of its quota at `at` (above 100: over quota);
    its backups keep growing and shrinking from there as the clock moves."""
    target = round(resource.quota_mb * percent / 100)
    resource.fill_offset_mb = target - modelled_used_mb(world, resource, at)
    _set_used(world, resource, max(0, target))
    world.changed()


def _set_used(world: World, resource: CloudTenantResource, used_mb: int) -> None:
    """Set a resource's `UsedQuota`; its repository's free space moves by as much the other way
    (a repository of unknown size, -1, stays so)."""
    repository = world.all(REPOSITORY_KIND).get(resource.repository_id)
    if repository is not None and repository.free_space != -1:
        repository.free_space -= (used_mb - resource.used_quota_mb) * MB
    resource.used_quota_mb = used_mb
