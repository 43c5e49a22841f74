"""The in-memory world an Enterprise Manager answers from: lookups, scoping and edits.

Collections keep insertion order, because real EM lists objects in its database's order and the
seed's sample response must come back in exactly its order. Every change bumps `version`, so that
anything derived from the world (rendered fragments, indexes) knows when it is stale.
"""

from __future__ import annotations

import weakref
from collections.abc import Iterable
from dataclasses import dataclass, field
from uuid import UUID

from mock_em.model.entities import (
    BackupServer,
    CloudReplica,
    CloudTenant,
    CloudVmReplicaPoint,
    PointState,
    Vm,
)


@dataclass(slots=True, weakref_slot=True)  # weakly referable: caches follow a world without keeping it alive
class World:
    """Backup servers, tenants, their replication jobs and the restore points those left."""

    backup_servers: dict[UUID, BackupServer] = field(default_factory=dict)
    tenants: dict[UUID, CloudTenant] = field(default_factory=dict)
    replicas: dict[UUID, CloudReplica] = field(default_factory=dict)
    points: dict[UUID, CloudVmReplicaPoint] = field(default_factory=dict)
    version: int = 0

    @classmethod
    def of(
        cls,
        backup_servers: Iterable[BackupServer],
        tenants: Iterable[CloudTenant],
        replicas: Iterable[CloudReplica],
        points: Iterable[CloudVmReplicaPoint],
    ) -> World:
        """Build a world and check that every reference in it points at something."""
        world = cls(
            {s.id: s for s in backup_servers},
            {t.id: t for t in tenants},
            {r.id: r for r in replicas},
            {p.id: p for p in points},
        )
        world.check()
        return world

    def check(self) -> None:
        """Raise ValueError naming the first dangling reference, so a bad fixture fails at load."""
        for tenant in self.tenants.values():
            if tenant.backup_server_id not in self.backup_servers:
                raise ValueError(f"tenant {tenant.name!r} names unknown backup server {tenant.backup_server_id}")
        for replica in self.replicas.values():
            if replica.tenant_id not in self.tenants:
                raise ValueError(f"replica {replica.name!r} names unknown tenant {replica.tenant_id}")
            if replica.backup_server_id not in self.backup_servers:
                raise ValueError(f"replica {replica.name!r} names unknown backup server {replica.backup_server_id}")
        for point in self.points.values():
            if point.replica_id not in self.replicas:
                raise ValueError(f"point {point.name!r} names unknown replica {point.replica_id}")

    def changed(self) -> None:
        """Mark the world as changed (call after every edit)."""
        self.version += 1

    # -- scoping: what one account may see -------------------------------------------------

    def replica_visible(self, replica: CloudReplica, tenant_id: UUID | None) -> bool:
        """A tenant sees only its own replication jobs; everyone else (tenant_id None) sees all."""
        return tenant_id is None or replica.tenant_id == tenant_id

    def point_visible(self, point: CloudVmReplicaPoint, tenant_id: UUID | None) -> bool:
        """A tenant sees only the points of its own replication jobs."""
        return tenant_id is None or self.replicas[point.replica_id].tenant_id == tenant_id

    def tenant_visible(self, tenant: CloudTenant, tenant_id: UUID | None) -> bool:
        """A tenant sees only itself."""
        return tenant_id is None or tenant.id == tenant_id

    def replicas_of(self, tenant_id: UUID | None = None) -> list[CloudReplica]:
        """Replication jobs in store order, limited to one tenant's when `tenant_id` is given."""
        return [r for r in self.replicas.values() if self.replica_visible(r, tenant_id)]

    def points_of(self, tenant_id: UUID | None = None, replica_id: UUID | None = None) -> list[CloudVmReplicaPoint]:
        """Restore points in store order, limited to one tenant's and/or one replica's."""
        return [
            p
            for p in self.points.values()
            if (replica_id is None or p.replica_id == replica_id) and self.point_visible(p, tenant_id)
        ]

    def tenants_of(self, tenant_id: UUID | None = None) -> list[CloudTenant]:
        """Tenants in store order; a tenant sees only itself."""
        return [t for t in self.tenants.values() if self.tenant_visible(t, tenant_id)]

    # -- derived facts ---------------------------------------------------------------------

    def tenant_vm_count(self, tenant_id: UUID) -> int:
        """VMs the tenant replicates: the `VmCount` EM reports."""
        return sum(len(r.vms) for r in self.replicas.values() if r.tenant_id == tenant_id)

    def tenant_replica_count(self, tenant_id: UUID) -> int:
        """VM replicas the tenant keeps on the provider: the `ReplicaCount` EM reports."""
        return self.tenant_vm_count(tenant_id)

    # -- edits -----------------------------------------------------------------------------

    # Edits raise KeyError for an unknown id and ValueError for a conflict; callers say which.

    def add_tenant(self, tenant: CloudTenant) -> None:
        """Store a new tenant on an existing backup server; tenant names are unique (case-insensitive)."""
        if tenant.backup_server_id not in self.backup_servers:
            raise KeyError(tenant.backup_server_id)
        if any(t.username.casefold() == tenant.username.casefold() for t in self.tenants.values()):
            raise ValueError(f"a tenant named {tenant.username!r} exists already")
        self.tenants[tenant.id] = tenant
        self.changed()

    def remove_tenant(self, tenant_id: UUID) -> int:
        """Forget a tenant with its replication jobs and their points; returns the points removed."""
        del self.tenants[tenant_id]
        removed = sum(self._drop_replica(r.id) for r in list(self.replicas.values()) if r.tenant_id == tenant_id)
        self.changed()
        return removed

    def add_replica(self, replica: CloudReplica) -> None:
        """Store a new replication job of an existing tenant."""
        if replica.tenant_id not in self.tenants:
            raise KeyError(replica.tenant_id)
        if replica.backup_server_id not in self.backup_servers:
            raise KeyError(replica.backup_server_id)
        self.replicas[replica.id] = replica
        self.changed()

    def remove_replica(self, replica_id: UUID) -> int:
        """Forget a replication job and its points; returns the points removed."""
        if replica_id not in self.replicas:
            raise KeyError(replica_id)
        removed = self._drop_replica(replica_id)
        self.changed()
        return removed

    def _drop_replica(self, replica_id: UUID) -> int:
        del self.replicas[replica_id]
        doomed = [p.id for p in self.points.values() if p.replica_id == replica_id]
        for point_id in doomed:
            del self.points[point_id]
        return len(doomed)

    def next_vm_name(self) -> str:
        """The next free `srvNN`, numbered across the provider."""
        numbers = [int(v.name[3:]) for r in self.replicas.values() for v in r.vms if v.name[3:].isdigit()]
        return f"srv{max(numbers, default=0) + 1:02d}"

    def add_vm(self, replica_id: UUID, vm: Vm) -> None:
        """Add a VM to a replication job (its name unique within the job)."""
        replica = self.replicas[replica_id]
        if any(v.name.casefold() == vm.name.casefold() for v in replica.vms):
            raise ValueError(f"replica {replica.name!r} replicates {vm.name!r} already")
        replica.vms.append(vm)
        self.changed()

    def remove_vm(self, replica_id: UUID, vm_name: str) -> int:
        """Stop replicating a VM and forget its points; returns the points removed."""
        replica = self.replicas[replica_id]
        kept = [v for v in replica.vms if v.name.casefold() != vm_name.casefold()]
        if len(kept) == len(replica.vms):
            raise KeyError(vm_name)
        replica.vms[:] = kept
        doomed = [
            p.id
            for p in self.points.values()
            if p.replica_id == replica_id and p.vm_name.casefold() == vm_name.casefold()
        ]
        for point_id in doomed:
            del self.points[point_id]
        self.changed()
        return len(doomed)

    def add_point(self, point: CloudVmReplicaPoint) -> None:
        """Store a new restore point (the replica must exist, the id must be new)."""
        if point.replica_id not in self.replicas:
            raise KeyError(point.replica_id)
        if point.id in self.points:
            raise ValueError(f"a point with id {point.id} exists already")
        self.points[point.id] = point
        self.changed()

    def remove_point(self, point_id: UUID) -> None:
        """Forget a restore point, as retention does."""
        del self.points[point_id]
        self.changed()

    def set_point_state(self, point_id: UUID, state: PointState) -> CloudVmReplicaPoint:
        """Change a point's state (a failover, a failback …)."""
        point = self.points[point_id]
        point.state = state
        self.changed()
        return point


class Stamp:
    """Which world, at which version, a derived value (a rendered answer, a sort order) was
    computed from. It holds the world weakly, so a replaced world is not kept alive by a cache."""

    __slots__ = ("ref", "version")

    def __init__(self, world: World | None = None) -> None:
        self.ref = weakref.ref(world) if world is not None else None
        self.version = world.version if world is not None else -1

    def holds(self, world: World) -> bool:
        """True while `world` is the world stamped and has not changed since."""
        return self.ref is not None and self.ref() is world and world.version == self.version

    def same_world(self, world: World) -> bool:
        """True when `world` is the world stamped, changed or not."""
        return self.ref is not None and self.ref() is world
