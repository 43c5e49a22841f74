"""What a generated provider's tenants use and may use: their backup resources (quotas on the
provider's cloud repositories) and what their cloud backups hold there; the provider's hardware
plans and the tenants' subscriptions to them (compute resources).

Drawn from a seeded RNG of its own (`billing:{seed}`), never from the generator's, so that adding
these objects moves no draw of the world's existing objects: the same seed gives the same
servers, tenants, replicas and points as before, byte for byte, and these beside them.
"""

from __future__ import annotations

import math
import random
from typing import TYPE_CHECKING
from uuid import UUID

from mock_em.model.compute import COMPUTE_KIND, PLAN_KIND, compute_stats, headroom, plan_platform
from mock_em.model.entities import (
    CloudGateway,
    CloudHardwarePlan,
    CloudTenantComputeResource,
    CloudTenantResource,
    PlanStorage,
    Platform,
)
from mock_em.model.ids import guid
from mock_em.model.usage import RESOURCE_KIND, cloud_backup, refresh_usage
from mock_em.model.world import World

if TYPE_CHECKING:
    from mock_em.generator import Generation

REPOSITORY_NAMES = ("Cloud Repository", "Cloud Vol", "Cloud SOBR", "Tenant Backups")
QUOTA_STEP_MB = 50 * 1024  # quotas are whole multiples of 50 GB, as providers sell them
MIN_QUOTA_MB = 100 * 1024


def generate_plans(g: Generation) -> None:
    """The hardware plans family's part: every tenant's backup resources, sized for the most its
    cloud backups can hold, then the plans and the tenants' subscriptions, from the billing RNG."""
    world = g.world()
    rng = g.notes["billing"] = random.Random(f"billing:{g.seed}")
    repositories = {server_id: _repositories(rng) for server_id in world.backup_servers}
    resources = world.all(RESOURCE_KIND)
    for tenant in world.tenants.values():
        offered = repositories[tenant.backup_server_id]
        count = 1 if rng.random() < 0.75 else 2
        chosen = rng.sample(offered, count)
        wan = guid(rng) if rng.random() < 0.3 else None
        for position, (repository_id, repository_name) in enumerate(chosen):
            backups = [cloud_backup(tenant.id, i) for i in range(tenant.backup_count) if i % count == position]
            bound = sum(b.bound_mb() for b in backups)
            quota = max(MIN_QUOTA_MB, math.ceil(bound * rng.uniform(1.15, 1.6) / QUOTA_STEP_MB) * QUOTA_STEP_MB)
            resource = CloudTenantResource(
                id=guid(rng),
                tenant_id=tenant.id,
                repository_id=repository_id,
                repository_name=repository_name,
                quota_mb=quota,
                wan_accelerator_id=wan if position == 0 else None,
            )
            resources[resource.id] = resource
    _hardware_plans(world, rng)


def generate_gateways(g: Generation) -> None:
    """The gateways family's part, the billing RNG's last draws; then what the tenants' backups
    hold as of `now`."""
    world = g.world()
    _gateways(world, g.notes["billing"])
    refresh_usage(world, g.now)


def _hardware_plans(world: World, rng: random.Random) -> None:
    """A VMware and a Hyper-V plan on every backup server; every tenant that replicates subscribes
    to its server's plan of its replicas' platform; then each plan's limits and storage quotas are
    set to hold its biggest tenant, with room to grow (limits are per tenant in EM)."""
    plans = world.all(PLAN_KIND)
    by_server: dict[tuple[UUID, Platform], CloudHardwarePlan] = {}
    for server_id in world.backup_servers:
        for platform in (Platform.VMware, Platform.HyperV):
            plan = _plan(rng, server_id, platform)
            plans[plan.id] = plan
            by_server[(server_id, platform)] = plan
    computes = world.all(COMPUTE_KIND)
    for tenant in world.tenants.values():
        platforms = sorted(
            {plan_platform(r.platform) for r in world.replicas.values() if r.tenant_id == tenant.id},
            key=lambda p: p.value,
        )
        for platform in platforms:
            plan = by_server[(tenant.backup_server_id, platform)]
            compute = CloudTenantComputeResource(
                guid(rng), tenant.id, plan.id, production_network=plan_network(platform)
            )
            computes[compute.id] = compute
    for plan in plans.values():
        stats = [compute_stats(world, c) for c in computes.values() if c.plan_id == plan.id]
        plan.memory_limit_mb = headroom(max((s.memory_mb for s in stats), default=0), rng.uniform(1.2, 2), 1024, 4096)
        cpus = max((s.cpu_count for s in stats), default=0)
        plan.processor_limit_mhz = headroom(cpus * 2600, rng.uniform(1.2, 2), 1000, 5000)
        for i, storage in enumerate(plan.storages):
            used = max((s.storages[i][1] for s in stats), default=0)
            storage.quota_gb = headroom(used, rng.uniform(1.2, 2), 100, 100)


def _gateways(world: World, rng: random.Random) -> None:
    """One or two cloud gateways per backup server, behind NAT or reached directly."""
    gateways = world.all("CloudGateway")
    for n, server_id in enumerate(world.backup_servers, start=1):
        for m in range(1, rng.randint(1, 2) + 1):
            nat = rng.random() < 0.5
            public = f"203.0.113.{rng.randint(1, 254)}"
            gateway = CloudGateway(
                id=guid(rng),
                name=f"cg{n:02d}{m:02d}.cloud.local" if nat else public,
                backup_server_id=server_id,
                external_ip=public if nat else "",
                network_mode="NAT" if nat else "Direct",
                external_port=6180,
                internal_port=6180 if not nat else rng.choice((6180, 6190)),
                description=f"Cloud gateway {m} of backup server {n}",
            )
            gateways[gateway.id] = gateway


def plan_network(platform: Platform) -> str:
    """The production network a plan's network extension appliance sits on."""
    return "VM Network" if platform is Platform.VMware else "External Switch"


def _plan(rng: random.Random, server_id: UUID, platform: Platform) -> CloudHardwarePlan:
    """One hardware plan with one or two storages (limits follow its tenants)."""
    vmware = platform is Platform.VMware
    tier = rng.choice(("Silver", "Gold", "Bronze", "Standard"))
    host = f"esx{rng.randint(1, 20):02d}" if vmware else f"hv{rng.randint(1, 20):02d}"
    storages = [
        PlanStorage(
            id=guid(rng),
            friendly_name=f"Cloud Replicas {n:02d}",
            path=f"[{host}-ds{n:02d}] Replicas" if vmware else f"D:\\Replicas{n:02d}",
            quota_gb=100,
            reference=f"urn:VMware:Datastore:{guid(rng)}-datastore-{rng.randint(10, 999)}"
            if vmware
            else f"urn:HyperV:Volume:{guid(rng)}",
        )
        for n in range(1, rng.randint(1, 2) + 1)
    ]
    return CloudHardwarePlan(
        id=guid(rng),
        name=f"{'VMware' if vmware else 'Hyper-V'} {tier}",
        backup_server_id=server_id,
        platform=platform,
        host_ref=f"urn:veeam:Host:{guid(rng)}" if vmware else f"urn:HyperV:Host:{guid(rng)}",
        parent_name=f"{host}.cloud.local",
        storages=storages,
        network_id=guid(rng),
        description=f"{tier} replicas on {host}",
        networks_with_internet=rng.randint(1, 2),
        networks_without_internet=rng.randint(0, 3),
    )


def _repositories(rng: random.Random) -> list[tuple[UUID, str]]:
    """Two to four cloud repositories of one backup server: (id, friendly name)."""
    family = rng.choice(REPOSITORY_NAMES)
    return [(guid(rng), f"{family} {n:02d}") for n in range(1, rng.randint(2, 4) + 1)]
