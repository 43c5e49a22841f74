"""Tenants' quotas through the control plane: read every tenant's quota use, set a quota, fill one
to a share of itself (or past it), add or remove a backup resource or a hardware plan subscription.

What the tenants' cloud backups hold follows the clock (`mock_em.model.usage`); these edits are the
only way a quota runs out. Bodies use the vendor's names, as the fixture's `CloudTenantResources`
section does. Ids of new resources come from the EM's seeded RNG.
"""

from __future__ import annotations

from typing import Any

from fastapi import APIRouter, Request
from pydantic import BaseModel, ConfigDict, Field

from mock_em.api.errors import VeeamError
from mock_em.control.common import em, parse_uuid
from mock_em.generator_billing import plan_network
from mock_em.model.compute import COMPUTE_KIND, PLAN_KIND, tenant_compute
from mock_em.model.enterprise_manager import NotFound
from mock_em.model.entities import CloudTenant, CloudTenantComputeResource, CloudTenantResource
from mock_em.model.ids import guid
from mock_em.model.usage import RESOURCE_KIND, fill_to, refresh_usage, tenant_resources
from mock_em.model.world import World

router = APIRouter(prefix="/billing", tags=["billing"])

Vendor = ConfigDict(extra="forbid")
MAX_QUOTA_MB = 2**53  # a long in the schema; JSON numbers stay exact below this


class SetQuota(BaseModel):
    """`{"Quota": 512000}`: the quota in MB, as EM reports it."""

    model_config = Vendor
    Quota: int = Field(gt=0, le=MAX_QUOTA_MB)


class Fill(BaseModel):
    """`{"Percent": 95}`: used quota as a share of the quota (above 100: over quota)."""

    model_config = Vendor
    Percent: float = Field(ge=0, le=1000)


class NewResource(BaseModel):
    """A backup resource to give a tenant: a quota on a cloud repository (a new one unless
    `RepositoryId` names one)."""

    model_config = Vendor
    DisplayName: str = Field(min_length=1, max_length=200)
    Quota: int = Field(gt=0, le=MAX_QUOTA_MB)
    RepositoryId: str | None = None
    WanAcceleratorId: str | None = None


class Subscription(BaseModel):
    """`{"CloudHardwarePlanId": "…"}`: a hardware plan for a tenant's replicas of its platform."""

    model_config = Vendor
    CloudHardwarePlanId: str
    UseNetworkFailoverResources: bool = True


def resource_json(resource: CloudTenantResource) -> dict[str, Any]:
    """One backup resource's quota and use."""
    return {
        "Id": str(resource.id),
        "TenantId": str(resource.tenant_id),
        "DisplayName": resource.repository_name,
        "RepositoryId": str(resource.repository_id),
        "Quota": resource.quota_mb,
        "UsedQuota": resource.used_quota_mb,
        "UsedPercent": round(100 * resource.used_quota_mb / resource.quota_mb, 1),
        "OverQuota": resource.used_quota_mb > resource.quota_mb,
    }


def tenant_usage(world: World) -> list[dict[str, Any]]:
    """Each tenant's quotas and their use, summed over its backup resources (what the dashboard
    and a billing report show)."""
    found = []
    for tenant in world.tenants.values():
        mine = tenant_resources(world, tenant.id)
        quota, used = sum(r.quota_mb for r in mine), sum(r.used_quota_mb for r in mine)
        found.append(
            {
                "TenantId": str(tenant.id),
                "Name": tenant.name,
                "BackupCount": tenant.backup_count,
                "Quota": quota,
                "UsedQuota": used,
                "UsedPercent": round(100 * used / quota, 1) if quota else None,
                "Resources": [resource_json(r) for r in mine],
            }
        )
    return found


def _resource(world: World, resource_id: str) -> CloudTenantResource:
    found = world.all(RESOURCE_KIND).get(parse_uuid(resource_id, "resource id"))
    if found is None:
        raise NotFound(f"Cloud tenant resource {resource_id} was not found")
    return found


@router.get("")
async def quota_use(request: Request) -> dict[str, Any]:
    """Every tenant's quota use, in MB, as of the world's time."""
    return {"tenants": tenant_usage(em(request).world)}


@router.put("/resources/{resource_id}/quota")
async def set_quota(request: Request, resource_id: str, body: SetQuota) -> dict[str, Any]:
    """Set a backup resource's quota (what it already holds stays: a small quota may run out)."""
    world = em(request).world
    resource = _resource(world, resource_id)
    resource.quota_mb = body.Quota
    world.changed()
    return resource_json(resource)


@router.post("/resources/{resource_id}/fill")
async def fill(request: Request, resource_id: str, body: Fill) -> dict[str, Any]:
    """Fill a backup resource to a share of its quota; its backups grow and shrink from there."""
    manager = em(request)
    resource = _resource(manager.world, resource_id)
    fill_to(manager.world, resource, body.Percent, manager.world_time)
    return resource_json(resource)


def _tenant(world: World, tenant_id: str) -> CloudTenant:
    """The tenant a path names, or 404."""
    tenant = world.tenants.get(parse_uuid(tenant_id, "tenant id"))
    if tenant is None:
        raise NotFound(f"Cloud tenant {tenant_id} was not found")
    return tenant


@router.post("/tenants/{tenant_id}/resources", status_code=201)
async def add_resource(request: Request, tenant_id: str, body: NewResource) -> dict[str, Any]:
    """Give a tenant another backup resource; its cloud backups spread over its resources anew."""
    manager = em(request)
    world = manager.world
    tenant = _tenant(world, tenant_id)
    repository = parse_uuid(body.RepositoryId, "RepositoryId") if body.RepositoryId else guid(manager.rng)
    if any(r.repository_id == repository for r in tenant_resources(world, tenant.id)):
        raise VeeamError(400, f"RepositoryId: {tenant.name!r} has a quota on repository {repository} already")
    wan = parse_uuid(body.WanAcceleratorId, "WanAcceleratorId") if body.WanAcceleratorId else None
    resource = CloudTenantResource(guid(manager.rng), tenant.id, repository, body.DisplayName, body.Quota, wan)
    world.put(resource)
    refresh_usage(world, manager.world_time)
    return resource_json(resource)


@router.delete("/resources/{resource_id}")
async def remove_resource(request: Request, resource_id: str) -> dict[str, Any]:
    """Take a backup resource from its tenant; its backups move to the tenant's other resources."""
    manager = em(request)
    resource = _resource(manager.world, resource_id)
    manager.world.remove(RESOURCE_KIND, resource.id)
    refresh_usage(manager.world, manager.world_time)
    return {"deleted": resource_id}


@router.post("/tenants/{tenant_id}/computeResources", status_code=201)
async def subscribe(request: Request, tenant_id: str, body: Subscription) -> dict[str, Any]:
    """Subscribe a tenant to a hardware plan (its replicas of that platform spread over its plans)."""
    manager = em(request)
    world = manager.world
    tenant = _tenant(world, tenant_id)
    plan_id = parse_uuid(body.CloudHardwarePlanId, "CloudHardwarePlanId")
    plan = world.all(PLAN_KIND).get(plan_id)
    if plan is None:
        raise NotFound(f"Cloud hardware plan {plan_id} was not found")
    if any(c.plan_id == plan_id for c in tenant_compute(world, tenant.id)):
        raise VeeamError(400, f"CloudHardwarePlanId: {tenant.name!r} subscribes to {plan.name!r} already")
    compute = CloudTenantComputeResource(
        guid(manager.rng),
        tenant.id,
        plan_id,
        use_network_failover=body.UseNetworkFailoverResources,
        production_network=plan_network(plan.platform),
    )
    world.put(compute)
    return {"Id": str(compute.id), "TenantId": str(tenant.id), "CloudHardwarePlanId": str(plan_id)}


@router.delete("/computeResources/{compute_id}")
async def unsubscribe(request: Request, compute_id: str) -> dict[str, Any]:
    """End a tenant's subscription to a hardware plan."""
    world = em(request).world
    found = parse_uuid(compute_id, "compute resource id")
    if found not in world.all(COMPUTE_KIND):
        raise NotFound(f"Cloud tenant compute resource {compute_id} was not found")
    world.remove(COMPUTE_KIND, found)
    return {"deleted": compute_id}
