"""`/api/cloud/gateways`: the provider's cloud gateways, where tenants' backup servers connect."""

from __future__ import annotations

from typing import Any
from uuid import UUID

from mock_em.generator_billing import generate_gateways
from mock_em.model.access import Access
from mock_em.model.entities import CloudGateway, Role
from mock_em.model.fixture_values import flag, number, text
from mock_em.model.kinds import FixtureSection, ForeignKey, Kind
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


def dump(g: CloudGateway) -> dict[str, Any]:
    """A gateway as fixture JSON."""
    return {
        "Id": str(g.id),
        "Name": g.name,
        "BackupServerId": str(g.backup_server_id),
        "ExternalIP": g.external_ip,
        "NetworkMode": g.network_mode,
        "ExternalPort": g.external_port,
        "InternalPort": g.internal_port,
        "Enabled": g.enabled,
        "Description": g.description,
    }


def load(g: dict[str, Any]) -> CloudGateway:
    """A gateway from fixture JSON (`NetworkMode` is `Direct` or `NAT`)."""
    mode = text(g, "NetworkMode", "Direct")
    if mode not in ("Direct", "NAT"):
        raise ValueError(f"NetworkMode {mode!r} is not Direct or NAT")
    return CloudGateway(
        id=UUID(g["Id"]),
        name=text(g, "Name"),
        backup_server_id=UUID(g["BackupServerId"]),
        external_ip=text(g, "ExternalIP"),
        network_mode=mode,
        external_port=number(g, "ExternalPort", 6180),
        internal_port=number(g, "InternalPort", 6180),
        enabled=flag(g, "Enabled", True),
        description=text(g, "Description", ""),
    )


KIND = Kind(
    "CloudGateway",
    CloudGateway,
    what="Cloud gateway",
    plural="cloud gateways",
    noun="gateway",
    keys=(ForeignKey("backup_server_id", "BackupServer"),),
    readers=frozenset({Role.PortalAdministrator, Role.PortalUser}),
    fixture=FixtureSection("CloudGateways", dump, load),
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
