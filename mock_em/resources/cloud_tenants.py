"""`/api/cloud/tenants`: Cloud Connect tenants, the service provider's customer companies."""

from __future__ import annotations

import re
import string
from datetime import UTC, datetime, timedelta
from operator import attrgetter
from typing import TYPE_CHECKING, Any
from uuid import UUID

from pydantic import BaseModel, ConfigDict, Field

from mock_em.importer.entity import Entity, Reading, Unreadable
from mock_em.model.access import Access
from mock_em.model.entities import CloudTenant
from mock_em.model.fixture_records import records
from mock_em.model.ids import guid
from mock_em.model.kinds import ON_SERVER, PORTAL, Kind
from mock_em.model.query_columns import (
    constant,
    enum_field,
    identity_fields,
    plain,
    query_for,
    reference_fields,
)
from mock_em.model.query_fields import Field as QueryField
from mock_em.model.query_fields import Kind as FieldKind
from mock_em.model.query_fields import QueryType
from mock_em.model.world import World
from mock_em.resources.backup_servers import server_fields, up_to_server
from mock_em.resources.cloud_import import notes, number, server_of, tenant_password
from mock_em.resources.cloud_import.completion import complete
from mock_em.resources.family import BadEdit, Down, Edits, Family, Generates, guid_of
from mock_em.resources.tenant import NESTED, backup_resources, compute_resources
from mock_em.resources.tenant.nested import list_href, node
from mock_em.wire.links import Hrefs, Link
from mock_em.wire.template import Node

if TYPE_CHECKING:
    from random import Random

    from faker import Faker

    from mock_em.generator import Generation
    from mock_em.model.enterprise_manager import EnterpriseManager

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
        "PublicIpCount": world.tenant_public_ip_count(tenant.id),
        "BackupCount": tenant.backup_count,
        "ReplicaCount": world.tenant_replica_count(tenant.id),
    }


def nested_in_tenant(h: Hrefs, world: World, tenant: CloudTenant, access: Access, segment: str) -> list[Node]:
    """The tenant's nested resources of one kind (`resources`, `computeResources`), as its entity
    holds them: without links, in store order."""
    nested = next(n for n in NESTED if n.segment == segment)
    return [node(h, nested, world, o, access) for o in world.of_tenant(nested.name, tenant.id)]


def downs(h: Hrefs, world: World, tenant: CloudTenant, access: Access) -> list[Link]:
    """Down to its nested resources' lists, as EM links them from the entity (for callers who may
    read them; the reference form links only Up and Alternate)."""
    return [Link("Down", f"{n.name}List", list_href(h, n, tenant.id)) for n in NESTED if access.reads(n.kind)]


# -- the import's reader ---------------------------------------------------------------------------


def reads(entity: Entity, reading: Reading) -> list[Any]:
    """The tenant and the backup and compute resources its entity holds.

    What EM does not show is chosen: the tenant logs on with its name (as Veeam tenants do) and a
    password derived from its id (`cloud_import.tenant_password`). `VmCount`, `ReplicaCount` and
    `PublicIpCount` are counted from the replicas and addresses read; the resources' `UsedQuota`
    is taken as shown and the completion recovers what the model computes it from
    (`cloud_import.completion`)."""
    lease = entity.nested("LeaseOptions")
    lease_on = lease.get("Enabled", entity.get("LeaseEnabled", False))
    last_active = entity.time("LastActive")
    tenant = CloudTenant(
        id=entity.id,
        name=entity.name,
        backup_server_id=server_of(entity, reading),  # type: ignore[arg-type]  # None: the completion's
        username=entity.name,
        password=tenant_password(entity.id),
        description=entity.get("Description", ""),
        enabled=bool(entity.get("Enabled", True)),
        lease_expiration=(lease.time("ExpirationDate") or entity.time("LeaseExpirationDate")) if lease_on else None,
        last_result=entity.get("LastResult", "Success"),
        last_active=None if last_active is None or last_active.year <= NEVER.year else last_active,
        throttling_enabled=bool(entity.get("ThrottlingEnabled", False)),
        throttling_speed_limit=number(entity, "ThrottlingSpeedLimit", 1),
        throttling_speed_unit=entity.get("ThrottlingSpeedUnit", "Mbps"),
        backup_count=number(entity, "BackupCount", 0),
    )
    if entity.get("VmCount") is not None:
        notes(reading).vm_counts[tenant.id] = number(entity, "VmCount")
    made: list[Any] = [tenant]
    for item in entity.items("Resources", "CloudTenantResources"):
        try:
            made.append(backup_resources.reads(item, tenant.id))
        except Unreadable as exc:
            reading.warn(f"backup resources: one of {tenant.name!r} was left out: {exc}")
    for item in entity.items("ComputeResources", "CloudTenantComputeResources"):
        try:
            compute, host, shown = compute_resources.reads(item, tenant.id)
        except Unreadable as exc:
            reading.warn(f"compute resources: one of {tenant.name!r} was left out: {exc}")
            continue
        made.append(compute)
        if host:
            notes(reading).plan_hosts.setdefault(compute.plan_id, host)
        if shown is not None:
            notes(reading).compute_stats[compute.id] = shown
    return made


# -- control-plane edits (`/mock/world/tenants`) -------------------------------------------------


class NewTenant(BaseModel):
    """A tenant to add; the password is generated when not given."""

    model_config = ConfigDict(populate_by_name=True, extra="forbid")
    Name: str = Field(min_length=1, max_length=200)
    Password: str | None = Field(default=None, max_length=200)
    BackupServerId: str | None = None
    Description: str = ""
    Enabled: bool = True


def new_password(rng: Any) -> str:
    """14 letters and digits from the EM's RNG (a tenant added without a password)."""
    alphabet = string.ascii_letters + string.digits
    return "".join(rng.choice(alphabet) for _ in range(14))


def build(manager: EnterpriseManager, body: NewTenant) -> CloudTenant:
    """A tenant on the given backup server, or the first (its username is its name, as Veeam
    tenants log on with their name)."""
    world = manager.world
    if body.BackupServerId is not None:
        server_id = guid_of(body.BackupServerId, "BackupServerId")
    elif world.backup_servers:
        server_id = next(iter(world.backup_servers))
    else:
        raise BadEdit("BackupServerId: the world has no backup server to put the tenant on")
    return CloudTenant(
        id=guid(manager.rng),
        name=body.Name,
        backup_server_id=server_id,
        username=body.Name,
        password=body.Password if body.Password is not None else new_password(manager.rng),
        description=body.Description,
        enabled=body.Enabled,
    )


def control_json(tenant: CloudTenant) -> dict[str, Any]:
    """A tenant as the control plane shows it (with the password a test logs on with)."""
    return {
        "Id": str(tenant.id),
        "Name": tenant.name,
        "Username": tenant.username,
        "Password": tenant.password,
        "BackupServerId": str(tenant.backup_server_id),
        "Enabled": tenant.enabled,
    }


EDITS = Edits(
    "tenants",
    new=NewTenant,
    build=build,
    json=control_json,
    store=World.add_tenant,  # tenant names are unique
    removed=(("pointsRemoved", "CloudVmReplicaPoint"),),
)


# -- the generator's part ------------------------------------------------------------------------

_PASSWORD_CHARS = string.ascii_letters + string.digits
_NOT_NAME = re.compile(r"[^A-Za-z0-9 ]+")


PUBLIC_IPS = "public_ips"
"""`g.notes[PUBLIC_IPS]`: how many public IP addresses each tenant was drawn, by tenant id; the
public IP addresses' part assigns them (`cloud_public_ip_addresses.py`)."""


def generate_tenants(g: Generation) -> None:
    """`size.tenants` companies, each on a backup server drawn from the RNG, each followed by its
    own objects (`g.each`: its replication jobs) before the next tenant is drawn."""
    server_ids = list(g.all("BackupServer"))
    taken: set[str] = set()
    public_ips: dict[UUID, int] = g.notes.setdefault(PUBLIC_IPS, {})
    for _ in range(g.size.tenants):
        server_id = server_ids[g.rng.randrange(len(server_ids))]
        tenant, count = _tenant(g.rng, g.fake, taken, server_id, g.now)
        public_ips[tenant.id] = count
        g.add(tenant)
        g.each(tenant)


def _tenant_name(rng: Random, fake: Faker, taken: set[str]) -> str:
    """A company name unique (case-insensitively, as tenant logon compares) across the provider."""
    for _ in range(20):
        if rng.random() < 0.5:
            name = "".join(rng.choice(string.ascii_uppercase) for _ in range(3)) + " Company"
        else:
            name = " ".join(_NOT_NAME.sub(" ", fake.company()).split())
        if name.casefold() not in taken:
            taken.add(name.casefold())
            return name
    number = 2
    while f"{name} {number}".casefold() in taken:  # a crowded provider: number the last try
        number += 1
    taken.add(f"{name} {number}".casefold())
    return f"{name} {number}"


def _password(rng: Random) -> str:
    """12 to 16 letters and digits, with at least one of each kind a password policy asks for."""
    chars = [rng.choice(string.ascii_uppercase), rng.choice(string.ascii_lowercase), rng.choice(string.digits)]
    chars += [rng.choice(_PASSWORD_CHARS) for _ in range(rng.randint(9, 13))]
    rng.shuffle(chars)
    return "".join(chars)


def _tenant(rng: Random, fake: Faker, taken: set[str], server_id: UUID, now: datetime) -> tuple[CloudTenant, int]:
    """A tenant company, and how many public IP addresses it has; it logs on with its own name,
    as Veeam tenants do."""
    name = _tenant_name(rng, fake, taken)
    contact = f"Contact: {fake.name()}, {fake.phone_number()}"
    description = rng.choice((f"{name} DR site. {contact}", f"{fake.catch_phrase()}. {contact}", contact))
    leased = rng.random() < 0.1  # most tenants have no lease; a few run on a contract that ends
    lease_end = (now + timedelta(days=rng.randint(30, 720))).replace(hour=0, minute=0, second=0, microsecond=0)
    throttled = rng.random() < 0.2
    tenant = CloudTenant(
        id=guid(rng),
        name=name,
        backup_server_id=server_id,
        username=name,
        password=_password(rng),
        description=description,
        lease_expiration=lease_end if leased else None,
        last_result=rng.choices(("Success", "Warning", "Failed"), (90, 7, 3))[0],
        last_active=(now - timedelta(seconds=rng.randrange(60, 3 * 86400))).replace(microsecond=0),
        throttling_enabled=throttled,
        throttling_speed_limit=rng.choice((10, 20, 50, 100)) if throttled else 1,
    )
    public_ips = rng.choice((0, 0, 0, 1, 2, 4))  # drawn between the speed limit and the backups, as always
    tenant.backup_count = rng.randint(0, 6)
    return tenant, public_ips


TENANT_TYPES = ("vCD", "Standalone", "ActiveDirectory")
"""CloudTenant `Type` values in the order get_query_cloudtenant.md lists them. Every tenant of the
9.5-era world is `Standalone` (the model has no vCD or AD tenants)."""


def tenant_fields() -> tuple[QueryField, QueryField]:
    """`CloudTenantUid` and `CloudTenantName` of a type whose objects hold `tenant_id`."""
    return reference_fields("CloudTenant", "tenant_id", attrgetter("tenants"))


def query(kind: Kind) -> QueryType:
    """The query type: the vendor's table of CloudTenant fields. `Type` is Standalone for every
    tenant, and `OrganizationReference` (vCD tenants only) is left out."""
    return query_for(
        kind,
        *identity_fields("CloudTenant", attrgetter("tenants")),
        QueryField("Enabled", FieldKind.BOOL, plain("enabled")),
        *server_fields(),
        enum_field("Type", constant(TENANT_TYPES.index("Standalone")), TENANT_TYPES),
    )


KIND = Kind(
    CloudTenant,
    noun="tenant",
    keys=(ON_SERVER,),
    readers=PORTAL,
    tenant_key="id",
    fixture=records(
        "Id Name BackupServerId Username Password Description Enabled LeaseExpirationDate=lease_expiration LastResult"
        " LastActive ThrottlingEnabled ThrottlingSpeedLimit ThrottlingSpeedUnit BackupCount",
    ),
    query=query,
    query_order=3,
)

FAMILY = Family(
    KIND,
    "/cloud/tenants",
    values,
    ups=up_to_server,
    entity_downs=downs,
    down=Down("CloudConnectService", 1),
    edits=EDITS,
    generates=Generates(generate_tenants),
    reads=reads,
    completes=complete,
)
