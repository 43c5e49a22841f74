"""The public IP addresses' family (`mock_em/resources/cloud_public_ip_addresses.py`) as the wire
shows it: each tenant's addresses, counted by its `PublicIpCount`, from one range per backup
server; their query type; and the control plane's edits that keep the two agreeing."""

from __future__ import annotations

from datetime import UTC, datetime
from ipaddress import IPv4Address
from typing import Any

import pytest
from conftest import EmClient
from xmlutil import API, Link, assert_error, body, links, logon

from mock_em.generator import WorldSize, generate_world
from mock_em.model.access import owner
from mock_em.model.entities import Role
from mock_em.model.world import World
from mock_em.registry import family
from resources.family_checks import (
    JSON,
    ROLE_LOGONS,
    check_fixture_round_trip,
    check_readers,
    check_tenants_see_their_own,
    entity_of,
    own_fields,
)

FAMILY = family("CloudPublicIpAddress")
SERVER = "urn:veeam:BackupServer:8fff3b8e-c3f1-4ef5-aecc-561f07bf9982"
UCM = "urn:veeam:CloudTenant:d4c1e2a7-3b6f-4e58-9a0c-7f21b8e45d93"
NOW = datetime(2026, 1, 5, 12, tzinfo=UTC)


def test_entity_fields_and_links(seed: EmClient) -> None:
    """An address is named by itself, holds its tenant's UID and (an attribute) its backup
    server's, and links Up to that server; JSON carries the same values."""
    world = seed.em.world
    token, _ = logon(seed)
    for address in world.all(FAMILY.name).values():
        entity = entity_of(seed, FAMILY, address.id)
        assert entity.get("Name") == address.ip_address
        fields = own_fields(entity)
        assert fields == {
            "BackupServerUid": f"urn:veeam:BackupServer:{address.backup_server_id}",
            "IpAddress": address.ip_address,
            "TenantUid": f"urn:veeam:CloudTenant:{address.tenant_id}",
        }
        server = world.backup_servers[address.backup_server_id]
        href = f"{API}/cloud/publicIpAddresses/{address.id}"
        assert links(entity) == [
            Link("Up", "BackupServerReference", f"{API}/backupServers/{server.id}", server.name),
            Link("Alternate", "CloudPublicIpAddressReference", href, address.ip_address),
        ]
        data = seed.get_as(token, f"{href}?format=Entity", headers=JSON).json()
        assert {k: data[k] for k in fields} == fields


def test_the_seed_holds_the_vendors_examples(seed: EmClient) -> None:
    """ABC Company has 198.51.100.1 and .2 (the query page's example), UCM Company 198.51.100.16
    (the entity page's), all on the seed's backup server."""
    world = seed.em.world
    shown = {a.ip_address: world.tenants[a.tenant_id].name for a in world.all(FAMILY.name).values()}
    assert shown == {"198.51.100.1": "ABC Company", "198.51.100.2": "ABC Company", "198.51.100.16": "UCM Company"}


def test_provider_roles_read_them_a_tenant_its_own_a_restore_operator_none(seed: EmClient) -> None:
    """Portal administrators and users read every address; a Restore Operator gets a 403, as on
    gateways; a tenant reads only its own (another's is not found), though its `/cloud` links none."""
    check_readers(seed, FAMILY, forbidden={Role.RestoreOperator})
    seen = check_tenants_see_their_own(seed, FAMILY, readable=True)
    assert sorted(len(ids) for ids in seen.values()) == [1, 2]
    world = seed.em.world
    for address in world.all(FAMILY.name).values():
        assert owner(world, FAMILY.kind, address) == address.tenant_id


def test_fixture_section_round_trips(seed_client: EmClient) -> None:
    """`CloudPublicIpAddresses` in a fixture: each address as JSON and back."""
    assert FAMILY.kind.section is not None and FAMILY.kind.section.name == "CloudPublicIpAddresses"
    check_fixture_round_trip(seed_client, FAMILY)


def test_linked_from_the_cloud_service_after_the_hardware_plans(client: EmClient) -> None:
    """`/api/cloud` links the addresses after the hardware plans and before the failover plans,
    in both forms, as the vendor's `/cloud` document does."""
    token, _ = logon(client)
    found = [li.Href for li in links(body(client.get_as(token, "/api/cloud"), 200, "CloudConnectService"))]
    for suffix in ("", "?format=Entity"):
        at = found.index(f"{API}/cloud/publicIpAddresses{suffix}")
        assert found[at - 1 : at + 2] == [
            f"{API}/cloud/hardwarePlans{suffix}",
            f"{API}/cloud/publicIpAddresses{suffix}",
            f"{API}/cloud/cloudFailoverPlans{suffix}",
        ]


# -- the query type ------------------------------------------------------------------------------

FILTERS = [
    ('CloudTenantName=="ABC Company"', {"198.51.100.1", "198.51.100.2"}),
    (f"CloudTenantUid=={UCM}", {"198.51.100.16"}),
    ("IpAddress==198.51.100.16", {"198.51.100.16"}),
    ("Name==198.51.100.2", {"198.51.100.2"}),
    (f"BackupServerUid=={SERVER};BackupServerName==172.17.53.48", {"198.51.100.1", "198.51.100.2", "198.51.100.16"}),
    ("BackupServerName==elsewhere", set()),
]


@pytest.mark.parametrize(("filter_text", "expected"), FILTERS, ids=[f[0] for f in FILTERS])
def test_query_filters(seed: EmClient, filter_text: str, expected: set[str]) -> None:
    """Each of the vendor's fields filters the seed's addresses (the same in XML and JSON)."""
    token, _ = logon(seed)
    url = f"/api/query?type=CloudPublicIpAddress&format=Entities&filter={filter_text}"
    result = body(seed.get_as(token, url), 200, "QueryResult")
    found = result.xpath("//v:CloudPublicIp", namespaces={"v": "http://www.veeam.com/ent/v1.0"})
    assert {e.get("Name") for e in found} == expected
    data = seed.get_as(token, url, headers=JSON).json()
    assert {e["Name"] for e in data["Entities"]["CloudPublicIpAddresses"]["CloudPublicIpAddresses"]} == expected


def test_query_sorts_addresses_as_text_and_refuses_a_restore_operator(seed: EmClient) -> None:
    """`sortAsc=Name` orders addresses as the vendor's String type does; a Restore Operator may
    not query them."""
    token, _ = logon(seed)
    refs = body(seed.get_as(token, "/api/query?type=CloudPublicIpAddress&sortAsc=Name"), 200, "QueryResult")
    assert [r.get("Name") for r in refs.iter("{*}Ref")] == ["198.51.100.1", "198.51.100.16", "198.51.100.2"]
    operator, _ = logon(seed, *ROLE_LOGONS[Role.RestoreOperator])
    assert_error(seed.get_as(operator, "/api/query?type=CloudPublicIpAddress"), 403, "Forbidden")


# -- generated worlds ----------------------------------------------------------------------------


def counts(world: World) -> dict[Any, int]:
    """Each tenant's addresses, by tenant id."""
    found = dict.fromkeys(world.tenants, 0)
    for address in world.all(FAMILY.name).values():
        found[address.tenant_id] += 1
    return found


@pytest.mark.parametrize("seed_number", [1, 2, 3, 7, 42])
def test_generated_addresses_are_the_tenants_count_from_one_range_per_server(seed_number: int) -> None:
    """Every tenant has exactly `PublicIpCount` addresses, on its own backup server; no address is
    given twice; each server's addresses are consecutive, and its range follows the one before."""
    world = generate_world(seed_number, WorldSize(backup_servers=3, tenants=12, replicas_per_tenant=1), NOW)
    addresses = list(world.all(FAMILY.name).values())
    assert addresses and sorted(counts(world).values()) != [0] * len(world.tenants)
    assert counts(world) == {t: world.tenant_public_ip_count(t) for t in world.tenants}
    assert len({a.ip_address for a in addresses}) == len({a.id for a in addresses}) == len(addresses)
    for address in addresses:
        assert address.backup_server_id == world.tenants[address.tenant_id].backup_server_id
    numbers = [int(IPv4Address(a.ip_address)) for a in addresses]
    assert numbers == list(range(numbers[0], numbers[0] + len(numbers)))  # one /24, servers one after another
    assert addresses[0].ip_address == "198.51.100.1"
    servers = [a.backup_server_id for a in addresses]
    assert servers == sorted(servers, key=list(world.backup_servers).index)


def test_tenant_entities_count_their_addresses(roles: EmClient) -> None:
    """Each tenant entity's `PublicIpCount` is the number of addresses whose `TenantUid` it is."""
    token, _ = logon(roles)
    listed = body(roles.get_as(token, "/api/cloud/publicIpAddresses?format=Entity"), 200, FAMILY.list_name)
    owners = [e.findtext("{*}TenantUid") for e in listed]
    tenants = body(roles.get_as(token, "/api/cloud/tenants?format=Entity"), 200, "CloudTenants")
    assert sum(owners.count(t.get("UID")) for t in tenants) == len(owners) > 0
    for tenant in tenants:
        assert tenant.findtext("{*}PublicIpCount") == str(owners.count(tenant.get("UID")))


# -- control-plane edits -------------------------------------------------------------------------


def public_ip_count(client: EmClient, tenant_id: str) -> str | None:
    """The tenant entity's `PublicIpCount`."""
    token, _ = logon(client)
    entity = body(client.get_as(token, f"/api/cloud/tenants/{tenant_id}?format=Entity"), 200, "CloudTenant")
    return entity.findtext("{*}PublicIpCount")


def test_a_new_tenant_has_none_until_one_is_assigned_and_its_removal_takes_them(seed_client: EmClient) -> None:
    """A tenant added through the control plane has no address; adding one (the pool's first free
    address, or the one given) counts in its entity; an address is given once; removing the tenant
    removes its addresses."""
    tenant = seed_client.control("POST", "/mock/world/tenants", json={"Name": "Initech"}).json()
    assert public_ip_count(seed_client, tenant["Id"]) == "0"
    added = seed_client.control("POST", "/mock/world/publicIpAddresses", json={"TenantId": tenant["Id"]})
    assert added.status_code == 201, added.text
    assert added.json()["IpAddress"] == "198.51.100.3"  # the seed holds .1, .2 and .16
    assert added.json()["BackupServerId"] == tenant["BackupServerId"]
    given = {"TenantId": tenant["Id"], "IpAddress": "203.0.113.77"}
    assert seed_client.control("POST", "/mock/world/publicIpAddresses", json=given).status_code == 201
    assert public_ip_count(seed_client, tenant["Id"]) == "2"
    again = seed_client.control("POST", "/mock/world/publicIpAddresses", json=given)
    assert again.status_code == 400 and "assigned already" in again.text
    bad = {"TenantId": tenant["Id"], "IpAddress": "198.51.100.300"}
    assert seed_client.control("POST", "/mock/world/publicIpAddresses", json=bad).status_code == 400
    unknown = {"TenantId": "00000000-0000-4000-8000-000000000000"}
    assert seed_client.control("POST", "/mock/world/publicIpAddresses", json=unknown).status_code == 404
    assert seed_client.control("DELETE", f"/mock/world/tenants/{tenant['Id']}").status_code == 200
    left = {a.ip_address for a in seed_client.em.world.all(FAMILY.name).values()}
    assert left == {"198.51.100.1", "198.51.100.2", "198.51.100.16"}


def test_removing_an_address_lowers_its_tenants_count(seed_client: EmClient) -> None:
    """`DELETE /mock/world/publicIpAddresses/{id}`: ABC Company keeps one address."""
    abc = "5a9e7c31-0d84-4f2b-b6e3-c18f42a7d065"
    assert public_ip_count(seed_client, abc) == "2"
    removed = seed_client.control("DELETE", "/mock/world/publicIpAddresses/48cdc208-f99a-4ff6-a100-6233dba00ece")
    assert removed.status_code == 200, removed.text
    assert public_ip_count(seed_client, abc) == "1"
