"""`/api/cloud/publicIpAddresses`: the public IP addresses of the provider's pools on its backup
servers, each assigned to a tenant, whose VM replicas are reached at them after a full site
failover. A tenant's entity counts its own (`PublicIpCount`)."""

from __future__ import annotations

import random
from ipaddress import IPv4Address, IPv4Network
from typing import TYPE_CHECKING, Any
from uuid import UUID

from pydantic import BaseModel, ConfigDict

from mock_em.importer.entity import Entity, Reading, Unreadable
from mock_em.model.access import Access, NotFound
from mock_em.model.entities import CloudPublicIpAddress, CloudTenant
from mock_em.model.fixture_records import records
from mock_em.model.ids import guid
from mock_em.model.kinds import OF_TENANT, ON_SERVER, PORTAL_AND_TENANTS, Kind
from mock_em.model.query_columns import own_uid_field, query_for, string_field
from mock_em.model.query_columns import text as text_column
from mock_em.model.query_fields import QueryType
from mock_em.model.world import World
from mock_em.resources.backup_servers import server_fields, up_to_server
from mock_em.resources.cloud_import import named_server
from mock_em.resources.cloud_tenants import PUBLIC_IPS, tenant_fields
from mock_em.resources.family import BadEdit, Down, Edits, Family, Generates, guid_of
from mock_em.wire.links import Hrefs, uid

if TYPE_CHECKING:
    from mock_em.generator import Generation
    from mock_em.model.enterprise_manager import EnterpriseManager

NAME = "CloudPublicIpAddress"
# Where a provider's addresses come from: networks no internet host uses (RFC 5737's documentation
# ranges, where the vendor's examples lie; RFC 2544's benchmarking and RFC 6598's shared space for
# providers too big for them), their hosts one after another.
POOL = tuple(IPv4Network(n) for n in ("198.51.100.0/24", "192.0.2.0/24", "198.18.0.0/15", "100.64.0.0/10"))


def values(h: Hrefs, world: World, address: CloudPublicIpAddress, access: Access) -> dict[str, Any]:
    """The address, the tenant it is assigned to, and (an attribute) the server whose pool holds it."""
    return {
        "BackupServerUid": uid("BackupServer", address.backup_server_id),
        "IpAddress": address.ip_address,
        "TenantUid": uid("CloudTenant", address.tenant_id),
    }


def reads(entity: Entity, reading: Reading) -> CloudPublicIpAddress:
    """The address, its tenant and the server whose pool holds it, all shown by UID (the server a
    stand-in where the source lists none: a tenant's own logon)."""
    tenant_id = entity.uid("TenantUid")
    server_id = named_server(reading, entity.uid("BackupServerUid"))
    if tenant_id is None or server_id is None:
        raise Unreadable(f"the public IP address {entity.name!r} names no tenant or no backup server")
    return CloudPublicIpAddress(entity.id, entity.get("IpAddress", entity.name), tenant_id, server_id)


def pool_address(n: int) -> str:
    """The provider's `n`-th public address (from 0): the hosts of `POOL`, network by network."""
    for network in POOL:
        hosts = network.num_addresses - 2  # no network or broadcast address
        if n < hosts:
            return str(network.network_address + 1 + n)
        n -= hosts
    raise ValueError("the provider's public IP pool is exhausted")


# -- control-plane edits (`/mock/world/publicIpAddresses`) --------------------------------------


class NewPublicIpAddress(BaseModel):
    """A public IP address to assign to a tenant; the pool's first free address when not given."""

    model_config = ConfigDict(populate_by_name=True, extra="forbid")
    TenantId: str
    IpAddress: str | None = None


def build(manager: EnterpriseManager, body: NewPublicIpAddress) -> CloudPublicIpAddress:
    """An address of the tenant's backup server's pool; its id from the EM's RNG."""
    world = manager.world
    tenant_id = guid_of(body.TenantId, "TenantId")
    tenant = world.tenants.get(tenant_id)
    if tenant is None:
        raise NotFound(f"Cloud tenant {tenant_id} was not found")
    if body.IpAddress is None:
        taken = {a.ip_address for a in world.all(NAME).values()}
        address = next(a for a in map(pool_address, range(len(taken) + 1)) if a not in taken)
    else:
        try:
            address = str(IPv4Address(body.IpAddress))
        except ValueError:
            raise BadEdit(f"IpAddress {body.IpAddress!r} is not an IPv4 address") from None
    return CloudPublicIpAddress(guid(manager.rng), address, tenant_id, tenant.backup_server_id)


def store(world: World, address: CloudPublicIpAddress) -> None:
    """An address is assigned to one tenant only (a conflict otherwise)."""
    if any(a.ip_address == address.ip_address for a in world.all(NAME).values()):
        raise ValueError(f"the public IP address {address.ip_address} is assigned already")
    world.put(address)


def control_json(address: CloudPublicIpAddress) -> dict[str, Any]:
    """An address as the control plane shows it: its fixture form."""
    return KIND.section.dump(address)  # type: ignore[union-attr]


EDITS = Edits("publicIpAddresses", new=NewPublicIpAddress, build=build, json=control_json, store=store)


# -- the generator's part --------------------------------------------------------------------


def generate_addresses(g: Generation) -> None:
    """Each tenant's drawn number of addresses (`g.notes[PUBLIC_IPS]`), from one range per backup
    server: the servers' ranges follow one another in `POOL`, and a server's tenants take theirs
    in store order. The ids come from an RNG of their own (`publicIps:{seed}`): no draw of the
    world's other objects moves."""
    counts: dict[UUID, int] = g.notes.get(PUBLIC_IPS, {})
    rng = random.Random(f"publicIps:{g.seed}")
    on_server: dict[UUID, list[CloudTenant]] = {server_id: [] for server_id in g.all("BackupServer")}
    for tenant in g.all("CloudTenant").values():
        on_server[tenant.backup_server_id].append(tenant)
    n = 0
    for server_id, tenants in on_server.items():
        for tenant in tenants:
            for _ in range(counts.get(tenant.id, 0)):
                g.add(CloudPublicIpAddress(guid(rng), pool_address(n), tenant.id, server_id))
                n += 1


# -- the query type --------------------------------------------------------------------------


def _addresses(world: World) -> dict[UUID, Any]:
    return world.all(NAME)


def query(kind: Kind) -> QueryType:
    """The query type: the vendor's table of CloudPublicIpAddress fields (get_query_cloudpublicipaddress.md),
    whose `BackupServerUId` is the shared `BackupServerUid` (names compare case-insensitively). Addresses
    compare as text, as the vendor's `String` type does."""
    return query_for(
        kind,
        own_uid_field(NAME, _addresses),
        string_field("Name", text_column("ip_address")),
        string_field("IpAddress", text_column("ip_address")),
        *tenant_fields(),
        *server_fields(),
    )


KIND = Kind(
    CloudPublicIpAddress,
    noun="public IP address",
    keys=(OF_TENANT, ON_SERVER),
    readers=PORTAL_AND_TENANTS,  # a tenant reads its own; a Restore Operator none, as gateways
    tenant_key="tenant_id",
    fixture=records("Id IpAddress TenantId BackupServerId"),
    query=query,
    query_order=15,  # after CloudTenant, CloudReplica and BackupServer, as querysvc.md lists it
)

FAMILY = Family(
    KIND,
    "/cloud/publicIpAddresses",
    values,
    in_list="CloudPublicIpAddressInList",  # the schema names the list's items `<CloudPublicIp>`
    ups=up_to_server,
    down=Down(
        "CloudConnectService", 3, tenants=False
    ),  # a tenant's /cloud links none (cloud_connect_tenant_credentials.md)
    edits=EDITS,
    generates=Generates(generate_addresses),
    reads=reads,
)
