"""`/api/cloud/gateways`: the provider's cloud gateways, where tenants' backup servers connect."""

from __future__ import annotations

from typing import Any

from mock_em.generator_billing import generate_gateways
from mock_em.importer.entity import Entity, Reading
from mock_em.model.access import Access
from mock_em.model.entities import CloudGateway
from mock_em.model.fixture_records import one_of, records
from mock_em.model.kinds import ON_SERVER, PORTAL, Kind
from mock_em.model.query_columns import identity_fields, plain, query_for, string_field
from mock_em.model.query_columns import text as text_column
from mock_em.model.query_fields import Field as QueryField
from mock_em.model.query_fields import Kind as FieldKind
from mock_em.model.query_fields import QueryType
from mock_em.model.world import World
from mock_em.resources.backup_servers import server_fields, up_to_server
from mock_em.resources.cloud_import import number, server_of
from mock_em.resources.family import Down, Family, Generates
from mock_em.wire.links import Hrefs


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


def reads(entity: Entity, reading: Reading) -> CloudGateway:
    """The gateway as EM lists it (its name is its `DnsNameOrIpAddress`)."""
    return CloudGateway(
        id=entity.id,
        name=entity.get("DnsNameOrIpAddress", entity.name),
        backup_server_id=server_of(entity, reading),  # type: ignore[arg-type]  # None: left out
        external_ip=entity.get("ExternalIP", ""),
        network_mode=entity.get("NetworkMode", "Direct"),
        external_port=number(entity, "ExternalPort", 6180),
        internal_port=number(entity, "InternalPort", 6180),
        enabled=bool(entity.get("Enabled", True)),
        description=entity.get("Description", ""),
    )


def query(kind: Kind) -> QueryType:
    """The query type: the vendor's table of CloudGateway fields (get_query_cloudgateway)."""
    return query_for(
        kind,
        *identity_fields("CloudGateway"),
        QueryField("Enabled", FieldKind.BOOL, plain("enabled")),
        string_field("Description", text_column("description")),
        *server_fields(),
    )


KIND = Kind(
    CloudGateway,
    noun="gateway",
    keys=(ON_SERVER,),
    readers=PORTAL,
    fixture=records(
        "Id Name BackupServerId ExternalIP NetworkMode ExternalPort InternalPort Enabled Description",
        codecs={"NetworkMode": one_of("Direct", "NAT")},
    ),
    query=query,
    query_order=2,  # before tenants, as EM's query service lists it
)

FAMILY = Family(
    KIND,
    "/cloud/gateways",
    values,
    ups=up_to_server,
    down=Down("CloudConnectService", 0),
    generates=Generates(generate_gateways),
    reads=reads,
)
