"""`/api/cloud/tenants`: Cloud Connect tenants, the service provider's customer companies."""

from __future__ import annotations

from datetime import UTC, datetime
from operator import attrgetter
from typing import Any
from uuid import UUID

from mock_em.model.access import Access
from mock_em.model.entities import CloudTenant, Role
from mock_em.model.fixture_values import flag, number, opt_parse, opt_time, text
from mock_em.model.kinds import FixtureSection, ForeignKey, Kind
from mock_em.model.query_columns import (
    constant,
    enum_field,
    own_uid_field,
    plain,
    query_for,
    string_field,
    uid_field,
    via,
)
from mock_em.model.query_columns import text as text_column
from mock_em.model.query_fields import Field, QueryType
from mock_em.model.query_fields import Kind as FieldKind
from mock_em.model.world import World
from mock_em.resources.backup_servers import server_up
from mock_em.resources.family import Down, Family
from mock_em.resources.tenant import NESTED
from mock_em.resources.tenant.nested import list_href, node
from mock_em.wire.links import Hrefs, Link
from mock_em.wire.template import Node

NEVER = datetime(1753, 1, 1, tzinfo=UTC)  # how EM writes a time that never was


def values(h: Hrefs, world: World, tenant: CloudTenant, access: Access) -> dict[str, Any]:
    """The entity's own fields, in the schema's order; the password is never shown."""
    return {
        "Description": tenant.description,
        "Enabled": tenant.enabled,
        "LeaseEnabled": tenant.lease_expiration is not None,
        "LeaseExpirationDate": tenant.lease_expiration,
        "Resources": nested_in_tenant(h, world, tenant, access, "resources"),
        "LastResult": tenant.last_result,
        "LastActive": tenant.last_active or NEVER,
        "VmCount": world.tenant_vm_count(tenant.id),
        "ComputeResources": nested_in_tenant(h, world, tenant, access, "computeResources") or None,
        "ThrottlingEnabled": tenant.throttling_enabled,
        "ThrottlingSpeedLimit": tenant.throttling_speed_limit,
        "ThrottlingSpeedUnit": tenant.throttling_speed_unit,
        "PublicIpCount": tenant.public_ip_count,
        "BackupCount": tenant.backup_count,
        "ReplicaCount": world.tenant_replica_count(tenant.id),
    }


def ups(h: Hrefs, world: World, tenant: CloudTenant, access: Access) -> list[Link]:
    """Up to its backup server."""
    return server_up(h, world, tenant.backup_server_id, access)


def nested_in_tenant(h: Hrefs, world: World, tenant: CloudTenant, access: Access, segment: str) -> list[Node]:
    """The tenant's nested resources of one kind (`resources`, `computeResources`), as its entity
    holds them: without links, in store order."""
    nested = next(n for n in NESTED if n.segment == segment)
    mine = [o for o in world.all(nested.name).values() if o.tenant_id == tenant.id]
    return [node(h, nested, world, o, access) for o in mine]


def downs(h: Hrefs, world: World, tenant: CloudTenant, access: Access) -> list[Link]:
    """Down to its nested resources' lists, as EM links them from the entity (for callers who may
    read them; the reference form links only Up and Alternate)."""
    return [Link("Down", f"{n.name}List", list_href(h, n, tenant.id)) for n in NESTED if access.reads(n.kind)]


def dump(t: CloudTenant) -> dict[str, Any]:
    """A tenant as fixture JSON (with its credentials: the fixture is the provider's own data)."""
    return {
        "Id": str(t.id),
        "Name": t.name,
        "BackupServerId": str(t.backup_server_id),
        "Username": t.username,
        "Password": t.password,
        "Description": t.description,
        "Enabled": t.enabled,
        "LeaseExpirationDate": opt_time(t.lease_expiration),
        "LastResult": t.last_result,
        "LastActive": opt_time(t.last_active),
        "ThrottlingEnabled": t.throttling_enabled,
        "ThrottlingSpeedLimit": t.throttling_speed_limit,
        "ThrottlingSpeedUnit": t.throttling_speed_unit,
        "PublicIpCount": t.public_ip_count,
        "BackupCount": t.backup_count,
    }


def load(t: dict[str, Any]) -> CloudTenant:
    """A tenant from fixture JSON."""
    return CloudTenant(
        id=UUID(t["Id"]),
        name=text(t, "Name"),
        backup_server_id=UUID(t["BackupServerId"]),
        username=text(t, "Username"),
        password=text(t, "Password"),
        description=text(t, "Description", ""),
        enabled=flag(t, "Enabled", True),
        lease_expiration=opt_parse(t.get("LeaseExpirationDate")),
        last_result=text(t, "LastResult", "Success"),
        last_active=opt_parse(t.get("LastActive")),
        throttling_enabled=flag(t, "ThrottlingEnabled", False),
        throttling_speed_limit=number(t, "ThrottlingSpeedLimit", 1),
        throttling_speed_unit=text(t, "ThrottlingSpeedUnit", "Mbps"),
        public_ip_count=number(t, "PublicIpCount", 0),
        backup_count=number(t, "BackupCount", 0),
    )


TENANT_TYPES = ("vCD", "Standalone", "ActiveDirectory")
"""CloudTenant `Type` values in the order get_query_cloudtenant.md lists them. Every tenant of the
9.5-era world is `Standalone` (the model has no vCD or AD tenants)."""


def _server_names(world: World) -> dict[int, str]:
    return {sid.int: s.name.casefold() for sid, s in world.backup_servers.items()}


def query(kind: Kind) -> QueryType:
    """The query type: the vendor's table of CloudTenant fields. `Type` is Standalone for every
    tenant, and `OrganizationReference` (vCD tenants only) is left out."""
    return query_for(
        kind,
        own_uid_field("CloudTenant", attrgetter("tenants")),
        string_field("Name", text_column("name")),
        Field("Enabled", FieldKind.BOOL, plain("enabled")),
        uid_field("BackupServerUid", "backup_server_id.int", "BackupServer"),
        string_field("BackupServerName", via("backup_server_id.int", _server_names)),
        enum_field("Type", constant(TENANT_TYPES.index("Standalone")), TENANT_TYPES),
    )


KIND = Kind(
    "CloudTenant",
    CloudTenant,
    what="Cloud tenant",
    plural="cloud tenants",
    noun="tenant",
    keys=(ForeignKey("backup_server_id", "BackupServer"),),
    readers=frozenset({Role.PortalAdministrator, Role.PortalUser}),
    tenant_key="id",
    fixture=FixtureSection("CloudTenants", dump, load),
    query=query,
    query_order=2,
)

FAMILY = Family(
    kind=KIND,
    path="/cloud/tenants",
    list_name="CloudTenants",
    values=values,
    ups=ups,
    entity_downs=downs,
    down=Down("CloudConnectService", 1),
)
