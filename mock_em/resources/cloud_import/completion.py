"""What the Cloud Connect readers leave to be worked out once every kind is read: the values the
model computes from inputs EM does not show, set so that it computes the shown values again.

EM shows neither a replica's tenant nor its VMs; a tenant's `VmCount` counts those VMs, its
compute resources' stats are sized from them (`mock_em.model.compute`), and its backup resources'
`UsedQuota` from its cloud backups (`mock_em.model.usage`). In order:

1. a replica's VMs are those its points name (their newest display name): those a failover plan
   includes in the plan's order (a plan lists its replicas' VMs in their order), then the others
   in natural order of their names (`srv2` before `srv10`: the order the provider numbered them
   in); its retention the most points one of its VMs keeps (the default where it has none);
2. a tenant the source does not list (a tenant's own logon may not read tenants) but that its
   failover plans or public IP addresses name stands in for itself (its id, the plan's
   `TenantName`), and where nothing names one, one stand-in holds the replicas read;
3. a replica's tenant: the one whose failover plans include its VMs, else the only tenant on its
   backup server, else the tenant whose name begins its name (`ABC Company CRM Replication`),
   else the one on its server whose `VmCount` still misses as many VMs (a guess, with a warning);
4. what shows no backup server (a tenant's logon sees no `Up` link to one) is on its tenant's,
   a stand-in where the source named none;
5. a failover plan's VM is the tenant's replica's that replicates a VM of that name; one that no
   point names is put in the replica of the VM before it in the plan (plans list replicas' VMs
   in order), so that the tenant's `VmCount` holds it;
6. a backup resource's fill offset makes its `UsedQuota` what the tenant's modelled cloud backups
   hold plus the offset (zero where the model holds what was shown at an instant the source's
   latest times allow: the source ran mock-em);
7. a tenant's own logon sees the hardware plans it subscribes to: where no tenant was listed,
   its stand-in subscribes to each plan read (a compute resource whose id is drawn from the
   tenant's and the plan's), so that its logon sees them again.

A tenant whose `VmCount` the VMs found do not make is warned of, and a compute resource whose
stats the model computes otherwise than shown (VMs in another order, or sized otherwise).
"""

from __future__ import annotations

import re
import uuid
from collections import Counter, defaultdict
from datetime import datetime, timedelta
from typing import Any
from uuid import UUID

from mock_em.importer.entity import Found, Reading
from mock_em.model.compute import compute_stats
from mock_em.model.entities import (
    CloudReplica,
    CloudTenant,
    CloudTenantComputeResource,
    CloudTenantResource,
    Vm,
)
from mock_em.model.kinds import kinds
from mock_em.model.usage import tenant_backups
from mock_em.model.world import World
from mock_em.resources.cloud_import import notes, stand_in_server, tenant_password

NAMESPACE = uuid.UUID("6f1d2c1e-5b7a-4f4e-9a43-0c8e6a1b2d3f")  # stand-ins' ids: uuid5 in this namespace
DIGITS = re.compile(r"(\d+)")


def natural(name: str) -> tuple[Any, ...]:
    """A name's sort key with its numbers compared as numbers (`srv2` before `srv10`)."""
    return tuple(int(part) if part.isdigit() else part.casefold() for part in DIGITS.split(name))


def complete(found: Found, reading: Reading) -> None:
    """Every step of the module's docstring, in order."""
    replicas: dict[UUID, CloudReplica] = found.get("CloudReplica", {})
    tenants: dict[UUID, CloudTenant] = found.setdefault("CloudTenant", {})
    listed = bool(tenants)
    _replica_vms(found, reading, replicas)
    if not listed:
        _stand_in_tenants(found, reading, replicas)
    _replica_tenants(found, reading, replicas, tenants)
    _servers(found, reading, replicas, tenants)
    _plan_vms(found, reading, replicas)
    _vm_counts(reading, replicas, tenants)
    _fill_offsets(found, tenants)
    _compute_stats(found, reading)
    if not listed:
        _subscriptions(found, tenants)


def _replica_vms(found: Found, reading: Reading, replicas: dict[UUID, CloudReplica]) -> None:
    newest: dict[tuple[UUID, str], Any] = {}
    kept: Counter[tuple[UUID, str]] = Counter()
    for point in found.get("CloudVmReplicaPoint", {}).values():
        key = (point.replica_id, point.vm_name)
        kept[key] += 1
        if key not in newest or point.creation_time >= newest[key].creation_time:
            newest[key] = point
    planned = notes(reading).plan_order

    def order(vm: Vm) -> tuple[Any, ...]:
        place = planned.get(vm.name.casefold())
        return (0, *place) if place is not None else (1, *natural(vm.name))

    by_replica: dict[UUID, list[Vm]] = defaultdict(list)
    for (replica_id, name), point in newest.items():
        by_replica[replica_id].append(Vm(name, point.vm_display_name))
    for replica in replicas.values():
        vms = sorted(by_replica.get(replica.id, []), key=order)
        replica.vms = vms
        counts = [kept[(replica.id, vm.name)] for vm in vms]
        if counts:
            replica.retention = max(counts)


def _stand_in_tenants(found: Found, reading: Reading, replicas: dict[UUID, CloudReplica]) -> None:
    tenants = found["CloudTenant"]
    named: dict[UUID, UUID | None] = {}  # tenant id: a server its objects name
    for kind in ("CloudFailoverPlan", "CloudPublicIpAddress"):
        for obj in found.get(kind, {}).values():
            if named.get(obj.tenant_id) is None:
                named[obj.tenant_id] = obj.backup_server_id
    if not named and replicas:
        first = next(iter(replicas.values()))
        named[uuid.uuid5(NAMESPACE, f"tenant:{first.id}")] = first.backup_server_id
    for tenant_id, server_id in named.items():
        name = notes(reading).tenant_names.get(tenant_id) or f"Tenant {tenant_id}"
        tenants[tenant_id] = CloudTenant(
            id=tenant_id,
            name=name,
            backup_server_id=server_id,  # type: ignore[arg-type]  # None: step 4's
            username=name,
            password=tenant_password(tenant_id),
        )
        reading.warn(f"cloud tenants: {name!r} stands in for a tenant the source named but did not list")


def _replica_tenants(
    found: Found, reading: Reading, replicas: dict[UUID, CloudReplica], tenants: dict[UUID, CloudTenant]
) -> None:
    evidence = _Evidence(found, tenants)
    counts = notes(reading).vm_counts
    missing = {t.id: counts[t.id] for t in tenants.values() if t.id in counts}  # VMs still to find, by tenant
    guessed: list[CloudReplica] = []
    for replica in replicas.values():
        if replica.tenant_id is not None:
            continue
        tenant_id = evidence.tenant_of(replica)
        if tenant_id is None:
            guessed.append(replica)
            continue
        replica.tenant_id = tenant_id
        if tenant_id in missing:
            missing[tenant_id] -= len(replica.vms)
    for replica in guessed:
        candidates = evidence.on_server.get(replica.backup_server_id) or list(tenants.values())
        fits = sorted(
            (t for t in candidates if missing.get(t.id, 0) >= len(replica.vms)),
            key=lambda t: (missing[t.id] != len(replica.vms), -missing[t.id]),
        )
        if not fits:
            reading.warn(f"cloud replicas: no tenant found for {replica.name!r}")
            continue
        replica.tenant_id = fits[0].id
        missing[fits[0].id] -= len(replica.vms)
        reading.warn(f"cloud replicas: {replica.name!r} taken for {fits[0].name!r}'s by its VM count")


class _Evidence:
    """What tells a replica's tenant, indexed once (a big provider has many tenants per server)."""

    def __init__(self, found: Found, tenants: dict[UUID, CloudTenant]) -> None:
        self.tenants = tenants
        self.planned: dict[tuple[UUID | None, str], UUID] = {}  # (server, VM name): whose plan includes it
        for plan in found.get("CloudFailoverPlan", {}).values():
            for vm in plan.vms:
                self.planned.setdefault((plan.backup_server_id, vm.vm_name.casefold()), plan.tenant_id)
        self.on_server: dict[UUID | None, list[CloudTenant]] = defaultdict(list)
        self.named: dict[tuple[UUID | None, str], UUID] = {}  # (server, name): the tenant
        self.anywhere: dict[str, UUID] = {}  # a name: the tenant (the first, where servers are unknown)
        for tenant in tenants.values():
            self.on_server[tenant.backup_server_id].append(tenant)
            self.named.setdefault((tenant.backup_server_id, tenant.name.casefold()), tenant.id)
            self.anywhere.setdefault(tenant.name.casefold(), tenant.id)

    def tenant_of(self, replica: CloudReplica) -> UUID | None:
        """The tenant the evidence names, or None."""
        if len(self.tenants) == 1:
            return next(iter(self.tenants))
        server = replica.backup_server_id
        for vm in replica.vms:
            tenant_id = self.planned.get((server, vm.name.casefold()))
            if tenant_id in self.tenants:
                return tenant_id
        local = self.on_server.get(server, [])
        if len(local) == 1:
            return local[0].id
        name = replica.name.casefold()
        for end in sorted((i for i, c in enumerate(name) if c == " "), reverse=True):  # the longest name first
            prefix = name[:end]
            tenant_id = self.named.get((server, prefix)) if local else self.anywhere.get(prefix)
            if tenant_id is not None:
                return tenant_id
        return None


def _servers(
    found: Found, reading: Reading, replicas: dict[UUID, CloudReplica], tenants: dict[UUID, CloudTenant]
) -> None:
    linked = {r.tenant_id: r.backup_server_id for r in replicas.values() if r.backup_server_id is not None}
    for tenant in tenants.values():
        if tenant.backup_server_id is None:
            server_id = linked.get(tenant.id) or uuid.uuid5(NAMESPACE, f"backup-server:{tenant.id}")
            tenant.backup_server_id = server_id
            stand_in_server(reading, server_id)
    for kind in ("CloudReplica", "CloudFailoverPlan"):
        for obj in found.get(kind, {}).values():
            tenant = tenants.get(obj.tenant_id)
            if obj.backup_server_id is None and tenant is not None:
                obj.backup_server_id = tenant.backup_server_id
    servers = {t.backup_server_id for t in tenants.values()}
    for plan in found.get("CloudHardwarePlan", {}).values():
        if plan.backup_server_id is None and len(servers) == 1:  # a tenant's logon: its own server's
            plan.backup_server_id = next(iter(servers))


def _plan_vms(found: Found, reading: Reading, replicas: dict[UUID, CloudReplica]) -> None:
    of_tenant: dict[UUID, list[CloudReplica]] = defaultdict(list)
    for replica in replicas.values():
        of_tenant[replica.tenant_id].append(replica)
    for plan in found.get("CloudFailoverPlan", {}).values():
        mine = of_tenant.get(plan.tenant_id, [])
        where = {vm.name.casefold(): r for r in mine for vm in r.vms}
        unplaced = []
        for position, vm in enumerate(plan.vms):
            replica = where.get(vm.vm_name.casefold())
            if replica is not None:
                vm.replica_id = replica.id
            else:
                unplaced.append(position)
        for position in unplaced:
            vm = plan.vms[position]
            near = [plan.vms[i].replica_id for i in (*range(position - 1, -1, -1), *range(position + 1, len(plan.vms)))]
            replica_id = next((i for i in near if i is not None), mine[0].id if mine else None)
            if replica_id is None:
                continue  # no replica of the tenant: the VM is left out of the plan (`Held`)
            vm.replica_id = replica_id
            replicas[replica_id].vms.append(Vm(vm.vm_name))
            where[vm.vm_name.casefold()] = replicas[replica_id]
            reading.warn(
                f"cloud failover plans: {vm.vm_name!r} of {plan.name!r} has no point: taken for a VM of "
                f"{replicas[replica_id].name!r}"
            )


def _vm_counts(reading: Reading, replicas: dict[UUID, CloudReplica], tenants: dict[UUID, CloudTenant]) -> None:
    counted: Counter[UUID] = Counter()
    for replica in replicas.values():
        counted[replica.tenant_id] += len(replica.vms)
    for tenant_id, shown in notes(reading).vm_counts.items():
        if tenant_id in tenants and counted[tenant_id] != shown:
            name = tenants[tenant_id].name
            reading.warn(f"cloud tenants: {name!r} shows {shown} VMs, its replicas' points name {counted[tenant_id]}")


def _fill_offsets(found: Found, tenants: dict[UUID, CloudTenant]) -> None:
    """Each resource's offset from what its tenant's modelled backups hold at the instant the
    source most likely answered at: of the latest time it shows and the backups' runs in the day
    after it, the one at which the most resources hold exactly what they showed (the earliest of
    equals); a resource the control plane filled keeps the difference."""
    resources: dict[UUID, list[CloudTenantResource]] = defaultdict(list)
    for resource in found.get("CloudTenantResource", {}).values():
        if resource.tenant_id in tenants:
            resources[resource.tenant_id].append(resource)
    latest = _latest(found)
    if latest is None or not resources:
        return
    day = timedelta(days=1)
    steps: dict[UUID, list[tuple[datetime, list[int]]]] = {}  # by tenant: from when its resources hold what
    candidates = {latest}
    for tenant_id, mine in resources.items():
        backups = tenant_backups(tenants[tenant_id])
        runs = {b.run_at(latest.date() + d * day) for b in backups for d in (0, 1)}
        instants = [latest, *sorted(at for at in runs if latest < at <= latest + day)]
        candidates.update(instants)
        steps[tenant_id] = [(at, _held(backups, len(mine), at)) for at in instants]
    votes = dict.fromkeys(sorted(candidates), 0)
    for tenant_id, mine in resources.items():
        shown = [r.used_quota_mb for r in mine]
        for at in votes:
            held = _held_at(steps[tenant_id], at)
            votes[at] += sum(h == s for h, s in zip(held, shown, strict=True))
    best = max(votes, key=lambda at: votes[at])  # the first of the most: the earliest
    for tenant_id, mine in resources.items():
        for resource, held in zip(mine, _held_at(steps[tenant_id], best), strict=True):
            resource.fill_offset_mb = resource.used_quota_mb - held


def _held_at(steps: list[tuple[datetime, list[int]]], at: datetime) -> list[int]:
    """What a tenant's resources hold at `at`: their last step at or before it."""
    return next(held for start, held in reversed(steps) if start <= at)


def _held(backups: list[Any], count: int, at: datetime) -> list[int]:
    held = [0] * count
    for backup in backups:
        held[backup.index % count] += backup.used_mb(at)
    return held


def _compute_stats(found: Found, reading: Reading) -> None:
    """Warn of each compute resource whose stats the model does not compute as shown."""
    shown = notes(reading).compute_stats
    plans = found.get("CloudHardwarePlan", {})
    computes = found.get("CloudTenantComputeResource", {})
    if not shown or not computes:
        return
    world = World({name: found.get(name, {}) for name in kinds()})
    unplanned = {c.tenant_id for c in computes.values() if c.plan_id not in plans}
    tenants = found.get("CloudTenant", {})
    for compute in computes.values():
        if compute.tenant_id in unplanned or compute.id not in shown:
            continue
        stats = compute_stats(world, compute)
        if (stats.memory_mb, stats.cpu_count, [used for _, used in stats.storages]) != shown[compute.id]:
            tenant = tenants.get(compute.tenant_id)
            name = tenant.name if tenant is not None else compute.tenant_id
            reading.warn(f"compute resources: {name!r}'s on {plans[compute.plan_id].name!r} shows other stats")


def _latest(found: Found) -> datetime | None:
    times = [p.creation_time for p in found.get("CloudVmReplicaPoint", {}).values()]
    times += [t.last_active for t in found.get("CloudTenant", {}).values() if t.last_active is not None]
    return max(times, default=None)


def _subscriptions(found: Found, tenants: dict[UUID, CloudTenant]) -> None:
    if len(tenants) != 1:
        return
    tenant = next(iter(tenants.values()))
    computes: dict[UUID, CloudTenantComputeResource] = found.setdefault("CloudTenantComputeResource", {})
    subscribed = {c.plan_id for c in computes.values() if c.tenant_id == tenant.id}
    for plan in found.get("CloudHardwarePlan", {}).values():
        if plan.id not in subscribed:
            compute_id = uuid.uuid5(NAMESPACE, f"compute:{tenant.id}:{plan.id}")
            computes[compute_id] = CloudTenantComputeResource(compute_id, tenant.id, plan.id)
