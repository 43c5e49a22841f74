"""The discovered computers' family (`mock_em/resources/discovered_computers.py`) as the wire shows
it, and the release gate of the v10+ agent families (`Family.since`): absent from the default
9.5 U4 profile as any path the EM lacks, served and linked from release 10 on."""

from __future__ import annotations

import ipaddress
import re
from collections.abc import Callable, Iterator

import pytest
from conftest import START, EmClient, make_client
from xmlutil import API, Link, assert_error, body, links, logon, q

import mock_em.resources
from mock_em import generator
from mock_em.generator import WorldSize, generate_world
from mock_em.model.agents import AgentStatus, HostStatus
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
)

FAMILY = family("DiscoveredComputer")
GROUPS = family("AgentProtectionGroup")
# The entity's own fields as the vendor's docs list them (get_agents_discoveredcomputers_id), in
# the order of its XML example; the 9.5 schema has no DiscoveredComputer to check them against.
DOC_FIELDS = ["HostStatus", "AgentVersion", "AgentStatus", "OsVersion", "IpAddress", "HierarchyObjRef"]
AGENT_REF = re.compile(r"urn:AgentForWindows:VeeamAgent:00000000-0000-0000-0000-000000000000\.([0-9a-f-]{36})")
VERSION = re.compile(r"\d+\.\d+\.\d+\.\d+")


@pytest.fixture(scope="module")
def roles() -> Iterator[EmClient]:
    """Release 12, three backup servers and four tenants, one account of each role."""
    client = make_client(Settings(user=USERS, backup_servers=3, tenants=4, release="12"))
    yield client
    client.close()


def test_entity_fields_in_the_docs_order(roles: EmClient) -> None:
    """Each computer's entity holds the docs' fields in the docs' order, from the model; JSON the
    same values, its own fields first, then Name, UID, Links, Href and Type."""
    token, _ = logon(roles)
    computers = list(roles.em.world.all(FAMILY.name).values())
    assert computers
    for computer in computers:
        entity = entity_of(roles, FAMILY, computer.id)
        fields = own_fields(entity)
        assert list(fields) == DOC_FIELDS
        assert fields == {
            "HostStatus": computer.host_status.value,
            "AgentVersion": computer.agent_version,
            "AgentStatus": computer.agent_status.value,
            "OsVersion": computer.os_version,
            "IpAddress": computer.ip_address,
            "HierarchyObjRef": f"urn:AgentForWindows:VeeamAgent:00000000-0000-0000-0000-000000000000.{computer.id}",
        }
        data = roles.get_as(token, f"/api{FAMILY.path}/{computer.id}?format=Entity", headers=JSON).json()
        assert list(data) == [*DOC_FIELDS, "Name", "UID", "Links", "Href", "Type"]
        assert {k: data[k] for k in DOC_FIELDS} == fields
        assert [(li["Rel"], li["Href"]) for li in data["Links"]] == [(li.Rel, li.Href) for li in links(entity)]


def test_links_up_to_server_and_group(roles: EmClient) -> None:
    """The reference links Up to the backup server and Alternate; the entity also Up to its
    protection group, after Alternate, as the docs' example shows; every Href resolves, and the
    computer's own Href is its path (not the vendor's `/backupTaskSessions`)."""
    world, (token, _) = roles.em.world, logon(roles)
    for computer in world.all(FAMILY.name).values():
        server = world.backup_servers[computer.backup_server_id]
        group = world.all(GROUPS.name)[computer.protection_group_id]
        assert group.backup_server_id == server.id
        href = f"{API}{FAMILY.path}/{computer.id}"
        up = Link("Up", "BackupServerReference", f"{API}/backupServers/{server.id}", server.name)
        reference = body(roles.get_as(token, href), 200, "EntityRef")
        assert reference.get("Href") == href
        assert links(reference) == [up, Link("Alternate", "DiscoveredComputer", f"{href}?format=Entity", computer.name)]
        entity = body(roles.get_as(token, f"{href}?format=Entity"), 200, FAMILY.name)
        assert links(entity) == [
            up,
            Link("Alternate", "DiscoveredComputerReference", href, computer.name),
            Link("Up", "AgentProtectionGroupReference", f"{API}{GROUPS.path}/{group.id}", group.name),
        ]
        for li in links(entity):
            assert roles.get_as(token, str(li.Href)).status_code == 200, li


def test_generated_computers_look_real(em_client: Callable[..., EmClient]) -> None:
    """Up to 12 computers per server (some on the first), most online with an agent installed;
    private addresses and unique names per server; an agent version of the server's release
    where one is installed, none where not; the vendor's OS names."""
    world = em_client(backup_servers=8, tenants=6, release="12").em.world
    computers = list(world.all(FAMILY.name).values())
    per_server = [[c for c in computers if c.backup_server_id == s] for s in world.backup_servers]
    assert len(per_server[0]) >= 3 and all(len(found) <= 12 for found in per_server)
    for found in per_server:
        assert len({c.name for c in found}) == len(found) == len({c.ip_address for c in found})
    for computer in computers:
        assert ipaddress.ip_address(computer.ip_address).is_private
        assert computer.os_version.startswith(("Microsoft Windows", "Ubuntu", "Red Hat", "CentOS"))
        assert computer.os_version.endswith("64-bit)")
        if computer.agent_status in (AgentStatus.Installed, AgentStatus.Failed):
            assert VERSION.fullmatch(computer.agent_version)
            server = world.backup_servers[computer.backup_server_id]
            assert server.version.startswith("9.5.4") == computer.agent_version.startswith("3.0.2")
        else:
            assert computer.agent_version == ""
    online = sum(c.host_status is HostStatus.Online for c in computers)
    installed = sum(c.agent_status is AgentStatus.Installed for c in computers)
    assert len(computers) > online > len(computers) / 2 and installed > len(computers) / 2


def test_agents_draw_from_their_own_rng(monkeypatch: pytest.MonkeyPatch) -> None:
    """The agents' generator parts draw from an RNG of their own: without them, every other kind
    of a generated world is exactly what it is with them, so no older draw moved."""
    size = WorldSize(backup_servers=3, tenants=5)
    with_agents = generate_world(7, size, START)
    others = tuple(f for f in mock_em.resources.FAMILIES if f.since is None)
    monkeypatch.setattr(mock_em.resources, "FAMILIES", others)
    generator._parts_per.cache_clear()
    try:
        without = generate_world(7, size, START)
    finally:
        generator._parts_per.cache_clear()
    assert not without.all(FAMILY.name) and with_agents.all(FAMILY.name)
    for f in others:
        if f.kind.section is not None:
            dump = f.kind.section.dump
            assert [dump(o) for o in without.all(f.name).values()] == [
                dump(o) for o in with_agents.all(f.name).values()
            ], f.name


def test_readers_tenants_and_path_case(roles: EmClient) -> None:
    """Portal administrators and users read the computers; a Restore Operator and tenants get a
    403 (and tenants no `/api/agents` link); paths answer in any case."""
    check_readers(roles, FAMILY, forbidden={Role.RestoreOperator})
    check_tenants_see_their_own(roles, FAMILY, readable=False)
    check_path_case(roles, FAMILY)


def test_query_as_the_vendor_example(roles: EmClient) -> None:
    """`/api/query?type=DiscoveredComputer&format=Entities&filter=IpAddress=="…"` (the vendor's
    example) finds the computer; ProtectionGroupName (the same on several servers) and AgentStatus
    filter; a tenant gets a 403."""
    world, (token, _) = roles.em.world, logon(roles)
    computer = next(iter(world.all(FAMILY.name).values()))
    params = {"type": "DiscoveredComputer", "format": "Entities", "filter": f'IpAddress=="{computer.ip_address}"'}
    result = body(roles.get_as(token, "/api/query", params=params), 200, "QueryResult")
    listed = result.find(f"{q('Entities')}/{q('DiscoveredComputers')}")
    assert listed is not None and [e.get("UID") for e in listed] == [f"urn:veeam:DiscoveredComputer:{computer.id}"]
    group = world.all(GROUPS.name)[computer.protection_group_id]
    expected = sorted(
        (
            c
            for c in world.all(FAMILY.name).values()
            if world.all(GROUPS.name)[c.protection_group_id].name == group.name and c.agent_status.value == "Installed"
        ),
        key=lambda c: c.name.casefold(),
    )
    query = {
        "type": "DiscoveredComputer",
        "sortAsc": "Name",
        "filter": f'ProtectionGroupName=="{group.name}";AgentStatus==Installed',
    }
    data = roles.get_as(token, "/api/query", params=query, headers=JSON).json()
    assert [r["Name"] for r in data["Refs"]["Refs"]] == [c.name for c in expected]
    tenant = next(iter(world.tenants.values()))
    session = tenant_token(roles, tenant.username, tenant.password)
    assert roles.get_as(session, "/api/query?type=DiscoveredComputer").status_code == 403


def test_fixture_round_trip(roles: EmClient, seed: EmClient) -> None:
    """Computers go through their fixture section and back; the seed sample holds the docs'."""
    check_fixture_round_trip(roles, FAMILY)
    assert "b85df3d1-c094-437c-b836-eaca6c3762ca" in {str(i) for i in seed.em.world.all(FAMILY.name)}


# -- the release gate -----------------------------------------------------------------------------

AGENT_PATHS = ["/api/agents", "/api/agents/discoveredComputers", "/api/agents/protectionGroups"]


def test_absent_from_the_default_release(client: EmClient) -> None:
    """In 9.5 U4 the agent paths answer as any path the EM lacks (404, naming the path as sent,
    in XML and JSON), in any case and form; the LogonSession links no `/api/agents`; the query
    service offers no agent type and knows none."""
    token, session_id = logon(client)
    computer = next(iter(client.em.world.all(FAMILY.name)))
    group = next(iter(client.em.world.all(GROUPS.name)))
    paths = [
        *AGENT_PATHS,
        f"/api/agents/discoveredComputers/{computer}",
        f"/api/agents/protectionGroups/{group}/discoveredComputers",
        "/api/Agents/DiscoveredComputers",  # a segment the release lacks is kept as sent
    ]
    for path in paths:
        for suffix in ("", "?format=Entity"):
            error = assert_error(client.get_as(token, path + suffix), 404, "NotFound")
            assert error.get("Message") == f"The resource '{path}' was not found"
            assert client.get_as(token, path + suffix, headers=JSON).json()["Message"] == error.get("Message")
    unknown = assert_error(client.get_as(token, "/api/no/such/thing"), 404, "NotFound")
    assert unknown.get("Message") == "The resource '/api/no/such/thing' was not found"
    session = body(client.get_as(token, f"/api/logonSessions/{session_id}"), 200, "LogonSession")
    assert not [li for li in links(session) if "/agents" in str(li.Href) or li.Type == "AgentsService"]
    service = client.get_as(token, "/api/querySvc").text
    assert "DiscoveredComputer" not in service and "AgentProtectionGroup" not in service
    for type_name in ("DiscoveredComputer", "AgentProtectionGroup"):
        error = assert_error(client.get_as(token, f"/api/query?type={type_name}"), 400, "BadRequest")
        assert f"Unknown query type '{type_name}'" in str(error.get("Message"))
    assert not [p for p in client.control("GET", "/mock/about").json()["routes"] if "/agents" in p]


@pytest.mark.parametrize("release", ["10", "11", "12", "13"])
def test_served_and_linked_from_release_10(em_client: Callable[..., EmClient], release: str) -> None:
    """From release 10 the LogonSession links `/api/agents` after the query service and the
    summary report (where EM 12's session links it), which links the protection groups, then the
    computers, as references, then as entities (the vendor's order); the query service offers
    both types after the Cloud Connect ones; `/mock/about` lists the routes."""
    client = em_client(release=release)
    token, session_id = logon(client)
    session = links(body(client.get_as(token, f"/api/logonSessions/{session_id}"), 200, "LogonSession"))
    types = [li.Type for li in session]
    agents = Link("Down", "AgentsService", f"{API}/agents")
    assert agents in session
    assert types.index("QueryService") < types.index("Report") < types.index("AgentsService")
    assert types.index("AgentsService") == types.index("LogonSessionList") - 1
    service = body(client.get_as(token, "/api/agents"), 200, "Agents")
    assert service.get("Type") == "AgentsService" and service.get("Href") == f"{API}/agents"
    assert links(service) == [
        Link("Down", "AgentProtectionGroupReferenceList", f"{API}/agents/protectionGroups"),
        Link("Down", "DiscoveredComputerReferenceList", f"{API}/agents/discoveredComputers"),
        Link("Down", "AgentProtectionGroupList", f"{API}/agents/protectionGroups?format=Entity"),
        Link("Down", "DiscoveredComputerList", f"{API}/agents/discoveredComputers?format=Entity"),
    ]
    for li in links(service):
        assert client.get_as(token, str(li.Href)).status_code == 200
    query_links = [li.Href for li in links(body(client.get_as(token, "/api/querySvc"), 200, "QuerySvc"))]
    named = [re.search(r"type=(\w+)", str(h)).group(1) for h in query_links[1:]]  # type: ignore[union-attr]
    assert named[-2:] == ["AgentProtectionGroup", "DiscoveredComputer"]
    routes = client.control("GET", "/mock/about").json()["routes"]
    assert {"GET /api/agents", "GET /api/agents/discoveredComputers/{object_id}"} <= set(routes)


def test_other_roles_are_offered_agents_only_if_they_may_read_them(roles: EmClient) -> None:
    """A Portal User is linked to `/api/agents`; a Restore Operator and tenants are not."""
    for (user, password), offered in ((("pu", "pw"), True), (("ro", "pw"), False)):
        token, session_id = logon(roles, user, password)
        session = body(roles.get_as(token, f"/api/logonSessions/{session_id}"), 200, "LogonSession")
        assert (f"{API}/agents" in {li.Href for li in links(session)}) == offered, user
    tenant = next(iter(roles.em.world.tenants.values()))
    token = tenant_token(roles, tenant.username, tenant.password)
    sessions = roles.get_as(token, "/api/logonSessions", headers=JSON).json()
    assert "/agents" not in str(sessions)
