"""`/api/cloud/gateways`: the provider's cloud gateways, where tenants' backup servers connect."""

from __future__ import annotations

from typing import Any

from mock_em.generator_billing import generate_gateways
from mock_em.model.access import Access
from mock_em.model.entities import CloudGateway, Role
from mock_em.model.fixture_records import one_of, records
from mock_em.model.kinds import ForeignKey, Kind
from mock_em.model.world import World
from mock_em.resources.backup_servers import server_up
from mock_em.resources.family import Down, Family, Generates
from mock_em.wire.links import Hrefs, Link


def values(h: Hrefs, world: World, gateway: CloudGateway, access: Access) -> dict[str, Any]:
    """The gateway's address, network mode (`Direct` or `NAT`) and ports."""
    return {
        "Enabled": gateway.enabled,
        "DnsNameOrIpAddress": gateway.name,
        "NetworkMode": gateway.network_mode,
        "ExternalIP": gateway.external_ip,
        "ExternalPort": gateway.external_port,
        "InternalPort": gateway.internal_port,
        "Description": gateway.description,
    }


def ups(h: Hrefs, world: World, gateway: CloudGateway, access: Access) -> list[Link]:
    """Up to its backup server."""
    return server_up(h, world, gateway.backup_server_id, access)


KIND = Kind(
    "CloudGateway",
    CloudGateway,
    what="Cloud gateway",
    plural="cloud gateways",
    noun="gateway",
    keys=(ForeignKey("backup_server_id", "BackupServer"),),
    readers=frozenset({Role.PortalAdministrator, Role.PortalUser}),
    fixture=records(
        "CloudGateways",
        CloudGateway,
        "Id Name BackupServerId ExternalIP NetworkMode ExternalPort InternalPort Enabled Description",
        codecs={"NetworkMode": one_of("Direct", "NAT")},
    ),
)

FAMILY = Family(
    kind=KIND,
    path="/cloud/gateways",
    list_name="CloudGateways",
    values=values,
    ups=ups,
    down=Down("CloudConnectService", 0),
    generates=Generates(generate_gateways),
)
