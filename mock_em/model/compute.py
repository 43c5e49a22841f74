"""What a tenant's VM replicas use of the hardware plans it subscribes to: the
`ComputeResourceStats` of its compute resources, as a pure function of the world.

mock-em keeps no size per VM: each replicated VM's vCPUs, memory and disk are drawn from its
replica's id and its name (BLAKE2b), so a VM keeps its size for good and a VM added through the
control plane gets one too. A tenant's replicated VMs run on the plans of their platform (VMware
and vCloud replicas on VMware plans, Hyper-V replicas on Hyper-V plans); with several compute
resources of a platform, the `k`-th VM goes to the `k % n`-th, and within a plan the `j`-th VM's
disks to the plan's `j % m`-th storage. Usage is what the replicas are sized for (CPU count and
memory as configured, storage as their disks take), whether they run or not.
"""

from __future__ import annotations

import hashlib
import math
from dataclasses import dataclass
from uuid import UUID

from mock_em.model.entities import (
    CloudReplica,
    CloudTenantComputeResource,
    ComputeUsage,
    PlanStorage,
    Platform,
    Vm,
)
from mock_em.model.world import Stamp, World

COMPUTE_KIND = "CloudTenantComputeResource"
PLAN_KIND = "CloudHardwarePlan"
CPUS = (1, 2, 2, 4, 4, 8)


@dataclass(frozen=True, slots=True)
class VmSize:
    """How big one replicated VM is."""

    cpus: int
    memory_mb: int
    disk_gb: int


def vm_size(replica_id: UUID, vm: Vm) -> VmSize:
    """A replicated VM's size, drawn from its replica and its name (1 to 8 vCPUs, 2 GB to 8 GB of
    memory a vCPU, 40 GB to 600 GB of disk)."""
    digest = hashlib.blake2b(f"vm-size:{replica_id}:{vm.name}".encode(), digest_size=16).digest()
    cpus = CPUS[digest[0] % len(CPUS)]
    return VmSize(cpus, cpus * 1024 * (2 + digest[1] % 7), 40 + int.from_bytes(digest[2:6], "big") % 561)


def plan_platform(platform: Platform) -> Platform:
    """The platform of the plans a replica of `platform` runs on."""
    return Platform.HyperV if platform is Platform.HyperV else Platform.VMware


@dataclass(frozen=True, slots=True)
class ComputeStats:
    """`ComputeResourceStats`: what the VMs on one compute resource use."""

    cpu_count: int
    memory_mb: int
    storages: tuple[tuple[PlanStorage, int], ...]  # each storage of the plan and the GB used there


class _Index:
    """A world's replicas and compute resources by tenant, kept while the world does not change
    (stats for every tenant of a big world then cost one pass, not one per compute resource)."""

    def __init__(self, world: World) -> None:
        self.stamp = Stamp(world)
        self.replicas: dict[UUID, list[CloudReplica]] = {}
        self.computes: dict[UUID, list[CloudTenantComputeResource]] = {}
        for replica in world.replicas.values():
            self.replicas.setdefault(replica.tenant_id, []).append(replica)
        for compute in world.all(COMPUTE_KIND).values():
            self.computes.setdefault(compute.tenant_id, []).append(compute)


_index: _Index | None = None


def _indexed(world: World) -> _Index:
    global _index
    if _index is None or not _index.stamp.holds(world):
        _index = _Index(world)
    return _index


def tenant_compute(world: World, tenant_id: UUID) -> list[CloudTenantComputeResource]:
    """A tenant's compute resources, in store order."""
    return list(_indexed(world).computes.get(tenant_id, []))


def compute_stats(world: World, resource: CloudTenantComputeResource) -> ComputeStats:
    """What the tenant's replicated VMs placed on this compute resource use of its plan (what it
    keeps as its source showed it, where it keeps that: `keep_usage`)."""
    plans = world.all(PLAN_KIND)
    plan = plans[resource.plan_id]
    kept = resource.usage
    if kept is not None:
        used = [*kept.storage_usage_gb, *[0] * len(plan.storages)][: len(plan.storages)]
        return ComputeStats(kept.cpu_count, kept.memory_usage_mb, tuple(zip(plan.storages, used, strict=True)))
    index = _indexed(world)
    same = [c for c in index.computes.get(resource.tenant_id, []) if plans[c.plan_id].platform is plan.platform]
    position = [c.id for c in same].index(resource.id)
    vms = [
        vm_size(r.id, vm)
        for r in index.replicas.get(resource.tenant_id, [])
        if plan_platform(r.platform) is plan.platform
        for vm in r.vms
    ]
    mine = vms[position :: len(same)]
    used = [0] * len(plan.storages)
    for j, size in enumerate(mine):
        if used:
            used[j % len(used)] += size.disk_gb
    return ComputeStats(
        cpu_count=sum(s.cpus for s in mine),
        memory_mb=sum(s.memory_mb for s in mine),
        storages=tuple(zip(plan.storages, used, strict=True)),
    )


def keep_usage(world: World) -> None:
    """Each compute resource keeps what its VMs use now (`usage`), however they are named after:
    the anonymizer renames the VMs and their replicas, from which their sizes are drawn."""
    kept = {}
    for compute in world.all(COMPUTE_KIND).values():
        stats = compute_stats(world, compute)
        kept[compute.id] = ComputeUsage(stats.cpu_count, stats.memory_mb, [used for _, used in stats.storages])
    for compute in world.all(COMPUTE_KIND).values():
        compute.usage = kept[compute.id]


def headroom(value: float, factor: float, step: int, least: int) -> int:
    """`value` with room to grow: times `factor`, rounded up to a whole `step`, at least `least`."""
    return max(least, math.ceil(value * factor / step) * step)
