"""The in-memory world an Enterprise Manager answers from: lookups, scoping and edits.

Collections keep insertion order, because real EM lists objects in its database's order and the
seed's sample response must come back in exactly its order. Every change bumps `version`, so that
anything derived from the world (rendered fragments, indexes) knows when it is stale.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass, field
from uuid import UUID

from mock_em.model.entities import (
    BackupServer,
    CloudReplica,
    CloudTenant,
    CloudVmReplicaPoint,
)


@dataclass(slots=True)
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

    def add_point(self, point: CloudVmReplicaPoint) -> None:
        """Store a new restore point (the replica must exist)."""
        if point.replica_id not in self.replicas:
            raise KeyError(point.replica_id)
        self.points[point.id] = point
        self.changed()

    def remove_point(self, point_id: UUID) -> None:
        """Forget a restore point, as retention does."""
        del self.points[point_id]
        self.changed()
