"""A tenant's backup resources: `/api/cloud/tenants/{id}/resources`, `/{resourceId}`, and the
`Resources` of the tenant's entity. Each is the tenant's storage quota on one cloud repository,
with what its cloud backups use of it (`mock_em.model.usage`)."""

from __future__ import annotations

from typing import Any
from uuid import UUID

from mock_em.model.access import Access
from mock_em.model.entities import CloudTenantResource, Role
from mock_em.model.fixture_values import number, text
from mock_em.model.kinds import FixtureSection, ForeignKey, Kind
from mock_em.model.world import World
from mock_em.resources.tenant.nested import Nested
from mock_em.wire.links import Hrefs, uid


def values(h: Hrefs, world: World, resource: CloudTenantResource, access: Access) -> dict[str, Any]:
    """The `RepositoryQuota`: in MB, as EM reports it; `UsedQuota` as of the world's time."""
    wan = resource.wan_accelerator_id
    return {
        "Id": str(resource.id),
        "DisplayName": resource.repository_name,
        "RepositoryUid": uid("Repository", resource.repository_id),
        "WanAcceleratorUid": uid("WanAccelerator", wan) if wan is not None else None,
        "Quota": resource.quota_mb,
        "UsedQuota": resource.used_quota_mb,
    }


def dump(r: CloudTenantResource) -> dict[str, Any]:
    """A backup resource as fixture JSON."""
    return {
        "Id": str(r.id),
        "TenantId": str(r.tenant_id),
        "RepositoryId": str(r.repository_id),
        "DisplayName": r.repository_name,
        "Quota": r.quota_mb,
        "WanAcceleratorId": None if r.wan_accelerator_id is None else str(r.wan_accelerator_id),
        "UsedQuota": r.used_quota_mb,
        "FillOffset": r.fill_offset_mb,
    }


def load(r: dict[str, Any]) -> CloudTenantResource:
    """A backup resource from fixture JSON (a quota must be positive)."""
    quota = number(r, "Quota", 0)
    if quota <= 0:
        raise ValueError(f"the quota of {r.get('DisplayName')!r} must be positive")
    wan = r.get("WanAcceleratorId")
    return CloudTenantResource(
        id=UUID(r["Id"]),
        tenant_id=UUID(r["TenantId"]),
        repository_id=UUID(r["RepositoryId"]),
        repository_name=text(r, "DisplayName"),
        quota_mb=quota,
        wan_accelerator_id=None if wan is None else UUID(text(r, "WanAcceleratorId")),
        used_quota_mb=number(r, "UsedQuota", 0),
        fill_offset_mb=number(r, "FillOffset", 0),
    )


KIND = Kind(
    "CloudTenantResource",
    CloudTenantResource,
    what="Cloud tenant resource",
    plural="cloud tenant resources",
    noun="backup resource",
    keys=(ForeignKey("tenant_id", "CloudTenant"),),
    readers=frozenset({Role.PortalAdministrator, Role.PortalUser, Role.CloudTenant}),
    tenant_key="tenant_id",
    fixture=FixtureSection("CloudTenantResources", dump, load),
)

NESTED = Nested(
    kind=KIND,
    segment="resources",
    list_name="CloudTenantResources",
    in_tenant="CloudTenantResourceInTenant",
    values=values,
)
