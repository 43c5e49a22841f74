"""The cloud gateways' family (`mock_em/resources/cloud_gateways.py`) as the wire shows it."""

from __future__ import annotations

from collections.abc import Iterator

import pytest
from conftest import EmClient, make_client
from xmlutil import API, Link, body, links, logon, q

from mock_em.model.entities import Role
from mock_em.registry import family
from mock_em.settings import Settings
from resources.family_checks import (
    JSON,
    USERS,
    check_readers,
    check_tenants_see_their_own,
    entity_of,
    own_fields,
    tenant_token,
)

FAMILY = family("CloudGateway")


@pytest.fixture(scope="module")
def roles() -> Iterator[EmClient]:
    """A generated world of two backup servers with one account of each role."""
    client = make_client(Settings(user=USERS, backup_servers=2))
    yield client
    client.close()


def test_entity_fields_and_links(roles: EmClient) -> None:
    """Each gateway shows its address, network mode and ports, and links Up to its backup server;
    JSON carries the same values, ports as numbers."""
    world = roles.em.world
    token, _ = logon(roles)
    for gateway in world.all(FAMILY.name).values():
        entity = entity_of(roles, FAMILY, gateway.id)
        assert own_fields(entity) == {
            "Enabled": "true",
            "DnsNameOrIpAddress": gateway.name,
            "NetworkMode": gateway.network_mode,
            "ExternalIP": gateway.external_ip,
            "ExternalPort": str(gateway.external_port),
            "InternalPort": str(gateway.internal_port),
            "Description": gateway.description,
        }
        assert gateway.network_mode in ("Direct", "NAT")
        server = world.backup_servers[gateway.backup_server_id]
        assert links(entity)[0] == Link("Up", "BackupServerReference", f"{API}/backupServers/{server.id}", server.name)
        data = roles.get_as(token, f"/api/cloud/gateways/{gateway.id}?format=Entity", headers=JSON).json()
        assert (data["NetworkMode"], data["ExternalPort"]) == (gateway.network_mode, gateway.external_port)


def test_readers_and_tenants(roles: EmClient) -> None:
    """Portal administrators and users read gateways; a Restore Operator and tenants get a 403."""
    check_readers(roles, FAMILY, forbidden={Role.RestoreOperator})
    check_tenants_see_their_own(roles, FAMILY, readable=False)


def test_linked_first_from_the_cloud_service(client: EmClient) -> None:
    """`/api/cloud` links the gateways first, before the tenants, as the vendor's document does."""
    token, _ = logon(client)
    found = [li.Href for li in links(body(client.get_as(token, "/api/cloud"), 200, "CloudConnectService"))]
    assert found[1:3] == [f"{API}/cloud/gateways", f"{API}/cloud/tenants"]


def test_query_by_backup_server_and_state(roles: EmClient) -> None:
    """`/api/query?type=CloudGateway` as the vendor's example asks it: the enabled gateways of one
    backup server by name, sorted by name, in references and entities; a tenant may not query them."""
    world, (token, _) = roles.em.world, logon(roles)
    gateways = list(world.all(FAMILY.name).values())
    server = world.backup_servers[gateways[0].backup_server_id]
    expected = sorted(
        (g for g in gateways if g.backup_server_id == server.id and g.enabled), key=lambda g: g.name.casefold()
    )
    assert expected, "the first gateway's server has an enabled gateway"
    params = {"type": "CloudGateway", "sortAsc": "name", "filter": f'BackupServerName=="{server.name}";Enabled==true'}
    refs = body(roles.get_as(token, "/api/query", params=params), 200, "QueryResult").find(q("Refs"))
    assert refs is not None
    assert [r.get("UID") for r in refs] == [f"urn:veeam:CloudGateway:{g.id}" for g in expected]
    result = body(roles.get_as(token, "/api/query", params={**params, "format": "Entities"}), 200, "QueryResult")
    listed = result.find(f"{q('Entities')}/{q('CloudGateways')}")
    assert listed is not None and [e.get("Name") for e in listed] == [g.name for g in expected]
    data = roles.get_as(token, "/api/query", params={**params, "format": "Entities"}, headers=JSON).json()
    assert [e["Name"] for e in data["Entities"]["CloudGateways"]["CloudGateways"]] == [g.name for g in expected]
    tenant = next(iter(world.tenants.values()))
    session = tenant_token(roles, tenant.username, tenant.password)
    assert roles.get_as(session, "/api/query?type=CloudGateway").status_code == 403
