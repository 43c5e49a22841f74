"""A tenant's compute resources: `/api/cloud/tenants/{id}/computeResources`, `/{resourceId}`, and
the `ComputeResources` of the tenant's entity. Each is the tenant's subscription to one hardware
plan, with what its VM replicas use of it (`mock_em.model.compute`)."""

from __future__ import annotations

import re
from typing import Any
from uuid import UUID

from mock_em.importer.entity import Entity, Unreadable
from mock_em.model.access import Access
from mock_em.model.compute import compute_stats
from mock_em.model.entities import CloudTenantComputeResource
from mock_em.model.fixture_records import records
from mock_em.model.kinds import OF_TENANT, PORTAL_AND_TENANTS, ForeignKey, Kind
from mock_em.model.world import World
from mock_em.resources.cloud_import import number
from mock_em.resources.tenant.nested import Nested
from mock_em.wire.links import Hrefs, uid
from mock_em.wire.template import TEMPLATES


def values(h: Hrefs, world: World, compute: CloudTenantComputeResource, access: Access) -> dict[str, Any]:
    """The plan subscribed to, the network extension appliance, and `ComputeResourceStats`: CPU
    count and memory of the tenant's replicas on it, and per storage the GB used and the quota."""
    plan = world.all("CloudHardwarePlan")[compute.plan_id]
    tenant = world.tenants[compute.tenant_id]
    stats = compute_stats(world, compute)
    wan = compute.wan_accelerator_id
    return {
        "Id": str(compute.id),
        "CloudHardwarePlanUid": uid("CloudHardwarePlan", plan.id),
        "WanAcceleratorUid": uid("WanAccelerator", wan) if wan is not None else None,
        "PlatformType": plan.platform.value,
        "UseNetworkFailoverResources": compute.use_network_failover,
        "ApplianceName": f"Cloud Appliance {tenant.name}({plan.parent_name.split('.')[0]})",
        "ProductionNetwork": compute.production_network,
        "ObtainIPAddressAutomatically": True,
        "MemoryUsageMb": stats.memory_mb,
        "CPUCount": stats.cpu_count,
        "StorageResourceStats": [
            TEMPLATES.node(
                "StorageResourceStat", StorageName=s.friendly_name, StorageUsageGb=used, StorageLimitGb=s.quota_gb
            )
            for s, used in stats.storages
        ],
    }


APPLIANCE = re.compile(r"\((?P<host>[^()]*)\)$")


Shown = tuple[int, int, list[int]]  # memory in MB, CPU count, GB used on each of the plan's storages


def reads(entity: Entity, tenant_id: UUID) -> tuple[CloudTenantComputeResource, str | None, Shown | None]:
    """A compute resource as the tenant's entity holds it (its appliance's members inside a
    `NetworkAppliance` object in JSON, its stats inside `ComputeResourceStats`), the host its
    appliance name ends with (`Cloud Appliance ABC Company(hv08)`: a Hyper-V plan shows its host
    nowhere else), and the stats it shows: the model computes them from the replicas' VMs, so the
    import only checks that it computes them again (None where they are not whole numbers)."""
    appliance = entity.nested("NetworkAppliance") if entity.get("NetworkAppliance") is not None else entity
    plan_id = entity.uid("CloudHardwarePlanUid")
    if plan_id is None:
        raise Unreadable(f"the compute resource {entity.get('Id')} names no hardware plan")
    found = APPLIANCE.search(appliance.get("Name", ""))
    compute = CloudTenantComputeResource(
        id=entity.id,
        tenant_id=tenant_id,
        plan_id=plan_id,
        use_network_failover=bool(entity.get("UseNetworkFailoverResources", True)),
        production_network=appliance.get("ProductionNetwork", "VM Network"),
        wan_accelerator_id=entity.uid("WanAcceleratorUid"),
    )
    stats = entity.nested("ComputeResourceStats") if entity.get("ComputeResourceStats") is not None else entity
    storages = stats.items("StorageResourceStats", "StorageResourceStats") or stats.items("StorageResourceStats")
    try:
        shown = (
            number(stats, "MemoryUsageMb", 0),
            number(stats, "CPUCount", 0),
            [number(s, "StorageUsageGb", 0) for s in storages],
        )
    except Unreadable:
        shown = None
    return compute, found.group("host") if found else None, shown


KIND = Kind(
    CloudTenantComputeResource,
    noun="compute resource",
    keys=(OF_TENANT, ForeignKey("plan_id", "CloudHardwarePlan")),
    readers=PORTAL_AND_TENANTS,
    tenant_key="tenant_id",
    fixture=records(
        "Id TenantId CloudHardwarePlanId=plan_id UseNetworkFailoverResources=use_network_failover ProductionNetwork"
        " WanAcceleratorId",
        recorded_keys="ComputeResourceStats=usage",  # kept by an anonymized import (`keep_usage`)
    ),
)

NESTED = Nested(KIND, "computeResources", values)
