"""The protection groups' family (`mock_em/resources/agent_protection_groups.py`) as the wire shows
it (release 12: the family is v10+; its release gate is tested with the computers')."""

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
    check_fixture_round_trip,
    check_path_case,
    check_readers,
    check_tenants_see_their_own,
    entity_of,
    own_fields,
    tenant_token,
    uid,
)

FAMILY = family("AgentProtectionGroup")
COMPUTERS = family("DiscoveredComputer")
# The entity's own fields as the vendor's docs list them (get_agents_protectiongroups_id), in the
# order of its XML example; the 9.5 schema has no AgentProtectionGroup to check them against.
DOC_FIELDS = ["RescanScheduleEnabled", "HierarchyObjRef"]
NO_HOST = "00000000-0000-0000-0000-000000000000"  # the first GUID of the docs' HierarchyObjRef


@pytest.fixture(scope="module")
def roles() -> Iterator[EmClient]:
    """Release 12, three backup servers and six tenants, one account of each role."""
    client = make_client(Settings(user=USERS, backup_servers=3, tenants=6, release="12"))
    yield client
    client.close()


def test_entity_fields_in_the_docs_order(roles: EmClient) -> None:
    """Each group shows whether it rescans on a schedule and its hierarchy reference in the docs'
    form and order; JSON the same values, the flag as a boolean."""
    token, _ = logon(roles)
    for group in roles.em.world.all(FAMILY.name).values():
        fields = own_fields(entity_of(roles, FAMILY, group.id))
        assert list(fields) == DOC_FIELDS
        assert fields == {
            "RescanScheduleEnabled": "true" if group.rescan_schedule_enabled else "false",
            "HierarchyObjRef": f"urn:AgentForWindows:AgentProtectionGroup:{NO_HOST}.{group.id}",
        }
        data = roles.get_as(token, f"/api{FAMILY.path}/{group.id}?format=Entity", headers=JSON).json()
        assert list(data) == [*DOC_FIELDS, "Name", "UID", "Links", "Href", "Type"]
        assert data["RescanScheduleEnabled"] is group.rescan_schedule_enabled


def test_links_and_the_groups_computers(roles: EmClient) -> None:
    """Up to the backup server, Alternate, then Down to the group's computers: their references
    from the reference form, their entities from the entity form, as the docs show; each lists
    exactly the group's computers, and every group of a server that has computers is linked."""
    world, (token, _) = roles.em.world, logon(roles)
    for group in world.all(FAMILY.name).values():
        server = world.backup_servers[group.backup_server_id]
        href = f"{API}{FAMILY.path}/{group.id}"
        up = Link("Up", "BackupServerReference", f"{API}/backupServers/{server.id}", server.name)
        reference = body(roles.get_as(token, href), 200, "EntityRef")
        assert links(reference) == [
            up,
            Link("Alternate", "AgentProtectionGroup", f"{href}?format=Entity", group.name),
            Link("Down", "DiscoveredComputerReferenceList", f"{href}/discoveredComputers"),
        ]
        entity = body(roles.get_as(token, f"{href}?format=Entity"), 200, FAMILY.name)
        assert links(entity) == [
            up,
            Link("Alternate", "AgentProtectionGroupReference", href, group.name),
            Link("Down", "DiscoveredComputerList", f"{href}/discoveredComputers?format=Entity"),
        ]
        own = [uid(COMPUTERS, c.id) for c in world.all(COMPUTERS.name).values() if c.protection_group_id == group.id]
        refs = body(roles.get_as(token, f"{href}/discoveredComputers"), 200, "EntityReferences")
        assert [r.get("UID") for r in refs] == own
        entities = body(roles.get_as(token, f"{href}/discoveredComputers?format=Entity"), 200, "DiscoveredComputers")
        assert [e.get("UID") for e in entities] == own


def test_every_server_has_physical_servers(roles: EmClient) -> None:
    """Each backup server has a `Physical Servers` group, and no server two groups of one name."""
    world = roles.em.world
    groups = list(world.all(FAMILY.name).values())
    for server in world.backup_servers.values():
        names = [g.name for g in groups if g.backup_server_id == server.id]
        assert "Physical Servers" in names and len(names) == len(set(names))


def test_readers_tenants_and_path_case(roles: EmClient) -> None:
    """Portal administrators and users read the groups; a Restore Operator and tenants get a 403."""
    check_readers(roles, FAMILY, forbidden={Role.RestoreOperator})
    check_tenants_see_their_own(roles, FAMILY, readable=False)
    check_path_case(roles, FAMILY)


def test_query_by_backup_server_as_the_vendor_example(roles: EmClient) -> None:
    """`/api/query?type=AgentProtectionGroup&format=Entities&filter=BackupServerUid==<UID>` (the
    vendor's example, with the server's UID as every UidType field takes it) lists that server's
    groups; a tenant gets a 403."""
    world, (token, _) = roles.em.world, logon(roles)
    server = next(iter(world.backup_servers.values()))
    params = {
        "type": "AgentProtectionGroup",
        "format": "Entities",
        "filter": f"BackupServerUid==urn:veeam:BackupServer:{server.id}",
    }
    result = body(roles.get_as(token, "/api/query", params=params), 200, "QueryResult")
    listed = result.find(f"{q('Entities')}/{q('AgentProtectionGroups')}")
    expected = [uid(FAMILY, g.id) for g in world.all(FAMILY.name).values() if g.backup_server_id == server.id]
    assert listed is not None and sorted(e.get("UID") for e in listed) == sorted(expected)
    tenant = next(iter(world.tenants.values()))
    session = tenant_token(roles, tenant.username, tenant.password)
    assert roles.get_as(session, "/api/query?type=AgentProtectionGroup").status_code == 403


def test_fixture_round_trip(roles: EmClient, seed: EmClient) -> None:
    """Groups go through their fixture section and back; the seed sample holds the docs' groups."""
    check_fixture_round_trip(roles, FAMILY)
    names = {g.name for g in seed.em.world.all(FAMILY.name).values()}
    assert {"sql servers", "Protection Group 1"} <= names
