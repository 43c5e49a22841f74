"""A tenant's backup resources: `/api/cloud/tenants/{id}/resources`, `/{resourceId}`, and the
`Resources` of the tenant's entity. Each is the tenant's storage quota on one cloud repository,
with what its cloud backups use of it (`mock_em.model.usage`)."""

from __future__ import annotations

from typing import Any
from uuid import UUID

from mock_em.importer.entity import Entity, Unreadable
from mock_em.model.access import Access
from mock_em.model.entities import CloudTenantResource
from mock_em.model.fixture_records import records
from mock_em.model.kinds import OF_TENANT, PORTAL_AND_TENANTS, Kind
from mock_em.model.world import World
from mock_em.resources.cloud_import import number
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


def reads(entity: Entity, tenant_id: UUID) -> CloudTenantResource:
    """A backup resource as the tenant's entity holds it (its `RepositoryQuota` members, inside a
    `RepositoryQuota` object in JSON). The control plane's fill offset is not shown: the completion
    recovers it from `UsedQuota` (`cloud_import.completion`)."""
    quota = entity.nested("RepositoryQuota") if entity.get("RepositoryQuota") is not None else entity
    repository_id = quota.uid("RepositoryUid")
    if repository_id is None:
        raise Unreadable(f"the backup resource {entity.get('Id')} names no repository")
    return CloudTenantResource(
        id=entity.id,
        tenant_id=tenant_id,
        repository_id=repository_id,
        repository_name=quota.get("DisplayName", ""),
        quota_mb=number(quota, "Quota"),
        wan_accelerator_id=quota.uid("WanAcceleratorUid"),
        used_quota_mb=number(quota, "UsedQuota", 0),
    )


def positive_quota(resource: CloudTenantResource) -> None:
    """A backup resource's quota must be positive (EM refuses a zero quota)."""
    if resource.quota_mb <= 0:
        raise ValueError(f"the quota of {resource.repository_name!r} must be positive")


KIND = Kind(
    CloudTenantResource,
    noun="backup resource",
    keys=(OF_TENANT,),
    readers=PORTAL_AND_TENANTS,
    tenant_key="tenant_id",
    fixture=records(
        "Id TenantId RepositoryId DisplayName=repository_name Quota=quota_mb WanAcceleratorId"
        " UsedQuota=used_quota_mb FillOffset=fill_offset_mb",
        defaults={"Quota": 0},
        check=positive_quota,
    ),
)

NESTED = Nested(KIND, "resources", values)
