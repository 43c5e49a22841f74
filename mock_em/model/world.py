"""The in-memory world an Enterprise Manager answers from: a generic store of objects by kind.

Collections keep insertion order, because real EM lists objects in its database's order and the
seed's sample response must come back in exactly its order. Every change bumps `version`, so that
anything derived from the world (rendered fragments, indexes) knows when it is stale.

What the store knows of each kind (its foreign keys, and so reference checks and cascades) comes
from the kinds' declarations (`mock_em.model.kinds`); the few edits below that are not generic
(a tenant's unique name, a replica's VMs, a point's state) are the Cloud Connect domain's own.
"""

from __future__ import annotations

import weakref
from collections.abc import Iterable
from typing import Any, Generic, TypeVar
from uuid import UUID

from mock_em.model.entities import (
    BackupServer,
    CloudReplica,
    CloudTenant,
    CloudVmReplicaPoint,
    PointState,
    Vm,
)
from mock_em.model.instants import WHOLE_SECONDS
from mock_em.model.kinds import kind_of, kinds

T = TypeVar("T")


class Section(Generic[T]):
    """A world's collection of one kind as an attribute (`world.replicas`): the store's dict."""

    def __init__(self, kind: str) -> None:
        self.kind = kind

    def __get__(self, world: World, owner: type) -> dict[UUID, T]:
        return world.store[self.kind]


class World:
    """Every object Enterprise Manager knows, by kind (vendor name) and id, in store order."""

    # weakly referable: caches follow a world without keeping it alive
    __slots__ = ("__weakref__", "_grouped", "instants", "recorded", "release", "store", "version")

    def __init__(self, store: dict[str, dict[UUID, Any]] | None = None, version: int = 0) -> None:
        self.store = {name: {} for name in kinds()}
        self.store.update(store or {})
        self.version = version
        # how precise the times it shows are: its EM's release decides (`model.instants`)
        self.instants = WHOLE_SECONDS
        # an imported world's job history is as its source recorded it, not drawn from schedules
        self.recorded = False
        self.release: str | None = None  # the release its source ran (an imported world), else None
        self._grouped: tuple[int, dict[str, tuple[int, dict[UUID, tuple[Any, ...]]]]] = (version, {})

    def of_tenant(self, kind_name: str, tenant_id: UUID) -> tuple[Any, ...]:
        """A tenant's objects of a kind that holds `tenant_id`, in store order. The kind is grouped
        by tenant once per world version, so a list of many tenants' entities (their VM counts,
        resources, addresses) reads each object once, not once per tenant. (A generator adding to
        the store without a new version changes its size, which regroups too.)"""
        version, groups = self._grouped
        if version != self.version:
            groups = {}
            self._grouped = (self.version, groups)
        objects = self.store[kind_name]
        size, grouped = groups.get(kind_name, (-1, {}))
        if size != len(objects):
            lists: dict[UUID, list[Any]] = {}
            for obj in objects.values():
                lists.setdefault(obj.tenant_id, []).append(obj)
            grouped = {owner: tuple(found) for owner, found in lists.items()}
            groups[kind_name] = (len(objects), grouped)
        return grouped.get(tenant_id, ())

    @classmethod
    def of(cls, *sections: Iterable[Any]) -> World:
        """Build a world from one iterable of objects per kind (in the kinds' order) and check
        that every reference in it points at something."""
        world = cls({name: {o.id: o for o in items} for name, items in zip(kinds(), sections, strict=False)})
        world.check()
        return world

    def __eq__(self, other: object) -> bool:
        """Worlds are equal when they hold equal objects in the same order, at the same version."""
        if not isinstance(other, World):
            return NotImplemented
        return self.version == other.version and all(
            list(self.store[k].items()) == list(other.store.get(k, {}).items()) for k in self.store
        )

    __hash__ = None  # type: ignore[assignment]  # a world changes: it is no dict key

    def __deepcopy__(self, memo: dict[int, Any]) -> World:
        """A copy (a snapshot) that is the same kind of world: recorded or not, of the same
        release, showing times as precisely."""
        import copy

        world = World(copy.deepcopy(self.store, memo), self.version)
        world.instants, world.recorded, world.release = self.instants, self.recorded, self.release
        return world

    # -- the generic store -----------------------------------------------------------------

    def all(self, kind: str) -> dict[UUID, Any]:
        """The objects of a kind by id, in store order."""
        return self.store[kind]

    def put(self, obj: Any) -> None:
        """Store a new object whose foreign keys name existing objects (KeyError names the missing
        id; ValueError for an id taken already)."""
        what = kind_of(obj)
        for key in what.keys:
            target = getattr(obj, key.attr)
            if target not in self.store[key.target]:
                raise KeyError(target)
        for held in what.holds:
            for item in getattr(obj, held.items):
                if getattr(item, held.attr) not in self.store[held.target]:
                    raise KeyError(getattr(item, held.attr))
        collection = self.store[what.name]
        if obj.id in collection:
            raise ValueError(f"a {what.noun} with id {obj.id} exists already")
        collection[obj.id] = obj
        self.changed()

    def remove(self, kind: str, object_id: UUID) -> dict[str, int]:
        """Forget an object and, along cascading foreign keys, every object that names it;
        returns how many of each kind went with it (KeyError for an unknown id)."""
        del self.store[kind][object_id]
        removed: dict[str, int] = {}
        self._cascade(kind, {object_id}, removed)
        self.changed()
        return removed

    def _cascade(self, kind: str, ids: set[UUID], removed: dict[str, int]) -> None:
        for other in kinds().values():
            for held in other.holds:
                if held.target == kind:
                    for holder in self.store[other.name].values():
                        items = getattr(holder, held.items)
                        items[:] = [i for i in items if getattr(i, held.attr) not in ids]
            for key in other.keys:
                if key.target != kind or not key.cascade:
                    continue
                collection = self.store[other.name]
                doomed = {o.id for o in collection.values() if getattr(o, key.attr) in ids}
                for object_id in doomed:
                    del collection[object_id]
                if doomed:
                    removed[other.name] = removed.get(other.name, 0) + len(doomed)
                    self._cascade(other.name, doomed, removed)

    def check(self) -> None:
        """Raise ValueError naming the first dangling reference, so a bad fixture fails at load."""
        for what in kinds().values():
            for key in what.keys:
                targets = self.store[key.target]
                for obj in self.store[what.name].values():
                    if getattr(obj, key.attr) not in targets:
                        noun = kinds()[key.target].noun
                        raise ValueError(f"{what.noun} {obj.name!r} names unknown {noun} {getattr(obj, key.attr)}")
            for held in what.holds:
                targets = self.store[held.target]
                for obj in self.store[what.name].values():
                    for item in getattr(obj, held.items):
                        missing = getattr(item, held.attr)
                        if missing not in targets:
                            noun = kinds()[held.target].noun
                            raise ValueError(f"{what.noun} {obj.name!r} names unknown {noun} {missing}")

    def changed(self) -> None:
        """Mark the world as changed (call after every edit)."""
        self.version += 1

    # -- the Cloud Connect collections, by name (the schedule and the control plane read them) --

    backup_servers = Section[BackupServer]("BackupServer")
    tenants = Section[CloudTenant]("CloudTenant")
    replicas = Section[CloudReplica]("CloudReplica")
    points = Section[CloudVmReplicaPoint]("CloudVmReplicaPoint")

    # -- derived facts ---------------------------------------------------------------------

    def tenant_vm_count(self, tenant_id: UUID) -> int:
        """VMs the tenant replicates: the `VmCount` EM reports."""
        return sum(len(r.vms) for r in self.of_tenant("CloudReplica", tenant_id))

    def tenant_replica_count(self, tenant_id: UUID) -> int:
        """VM replicas the tenant keeps on the provider: the `ReplicaCount` EM reports."""
        return self.tenant_vm_count(tenant_id)

    def tenant_public_ip_count(self, tenant_id: UUID) -> int:
        """Public IP addresses assigned to the tenant: the `PublicIpCount` EM reports."""
        return len(self.of_tenant("CloudPublicIpAddress", tenant_id))

    # -- Cloud Connect edits ---------------------------------------------------------------

    # Edits raise KeyError for an unknown id and ValueError for a conflict; callers say which.

    def add_tenant(self, tenant: CloudTenant) -> None:
        """Store a new tenant on an existing backup server; tenant names are unique (case-insensitive)."""
        if tenant.backup_server_id not in self.backup_servers:
            raise KeyError(tenant.backup_server_id)
        if any(t.username.casefold() == tenant.username.casefold() for t in self.tenants.values()):
            raise ValueError(f"a tenant named {tenant.username!r} exists already")
        self.put(tenant)

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
        self._drop_held_vm(replica_id, vm_name)
        self.changed()
        return len(doomed)

    def _drop_held_vm(self, replica_id: UUID, vm_name: str) -> None:
        """A VM no longer replicated leaves the lists that hold it by its replica and name (a
        failover plan's VMs), as removing the whole replica would."""
        for what in kinds().values():
            for held in what.holds:
                if held.target != "CloudReplica":
                    continue
                for holder in self.store[what.name].values():
                    items = getattr(holder, held.items)
                    items[:] = [
                        i
                        for i in items
                        if getattr(i, held.attr) != replica_id or i.vm_name.casefold() != vm_name.casefold()
                    ]

    def add_point(self, point: CloudVmReplicaPoint) -> None:
        """Store a new restore point (the replica must exist, the id must be new)."""
        self.put(point)

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
