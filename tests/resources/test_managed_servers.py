"""The managed servers' family (`mock_em/resources/managed_servers.py`) as the wire shows it:
each backup server's inventory, in its naming style and following its jobs' platforms."""

from __future__ import annotations

import ipaddress
from collections import Counter

from conftest import EmClient
from xmlutil import API, Link, body, links, logon

from mock_em.model.entities import Platform
from mock_em.model.inventory import ROOT_TYPES, ManagedServerType
from mock_em.registry import family
from resources.family_checks import (
    JSON,
    check_collection,
    check_fixture_round_trip,
    check_provider_only,
    entity_of,
    own_fields,
    query_uids,
    uid,
)

FAMILY = family("ManagedServer")
ROOTS = family("HierarchyRoot")


def test_collection_and_fixture(roles: EmClient) -> None:
    check_collection(roles, FAMILY)
    check_fixture_round_trip(roles, FAMILY)


def test_entity_fields_and_links(roles: EmClient) -> None:
    """`Description` and `ManagedServerType`; Up the backup server, Alternate, and a virtualization
    host's entity Related to its hierarchy root (the same id); JSON carries the same."""
    world = roles.em.world
    token, _ = logon(roles)
    roots = world.all(ROOTS.name)
    for server in world.all(FAMILY.name).values():
        entity = entity_of(roles, FAMILY, server.id)
        assert own_fields(entity) == {
            "Description": server.description,
            "ManagedServerType": server.managed_server_type.value,
        }
        owner = world.backup_servers[server.backup_server_id]
        expected = [
            Link("Up", "BackupServerReference", f"{API}/backupServers/{owner.id}", owner.name),
            Link("Alternate", "ManagedServerReference", f"{API}/managedServers/{server.id}", server.name),
        ]
        if server.id in roots:
            href = f"{API}/hierarchyRoots/{server.id}?format=Entity"
            expected.append(Link("Related", "HierarchyRoot", href, server.name))
            assert body(roles.get_as(token, href), 200, "HierarchyRoot").get("Name") == server.name
        assert links(entity) == expected
        data = roles.get_as(token, f"/api/managedServers/{server.id}?format=Entity", headers=JSON).json()
        assert (data["Description"], data["ManagedServerType"], data["UID"]) == (
            server.description,
            server.managed_server_type.value,
            uid(FAMILY, server.id),
        )


def test_each_backup_server_lists_itself_a_vcenter_and_its_hyper_v_hosts(roles: EmClient) -> None:
    """Each backup server: itself (`Local`, by its own name), one vCenter, a Hyper-V host or
    cluster exactly when it has Hyper-V jobs, one to three Windows proxies and up to two Linux
    repositories; every managed server that is a virtualization host is a hierarchy root."""
    world = roles.em.world
    servers = list(world.all(FAMILY.name).values())
    for owner in world.backup_servers.values():
        mine = [s for s in servers if s.backup_server_id == owner.id]
        kinds = Counter(s.managed_server_type for s in mine)
        assert [s.name for s in mine if s.managed_server_type is ManagedServerType.Local] == [owner.name]
        assert kinds[ManagedServerType.VC] == 1 and kinds[ManagedServerType.ESXi] <= 1
        jobs = [j for j in world.all("Job").values() if j.backup_server_id == owner.id]
        hyper_v = any(j.platform is Platform.HyperV for j in jobs)
        assert kinds[ManagedServerType.HvServer] + kinds[ManagedServerType.HvCluster] == int(hyper_v)
        assert 1 <= kinds[ManagedServerType.Windows] <= 3 and kinds[ManagedServerType.Linux] <= 2
        for server in mine:
            assert (server.id in world.all(ROOTS.name)) == (server.managed_server_type in ROOT_TYPES)


def test_names_follow_the_backup_servers_style(roles: EmClient) -> None:
    """A backup server named by address lists addresses in its /24; one named by FQDN lists
    FQDNs in its domain; no two managed servers share a name."""
    world = roles.em.world
    servers = list(world.all(FAMILY.name).values())
    assert len({s.name for s in servers}) == len(servers)
    for server in servers:
        owner = world.backup_servers[server.backup_server_id]
        try:
            network = ipaddress.ip_network(f"{owner.name}/24", strict=False)
        except ValueError:
            assert server.name.split(".", 1)[1] == owner.name.split(".", 1)[1], server
        else:
            assert ipaddress.ip_address(server.name) in network, server


def test_readers_and_tenants(roles: EmClient) -> None:
    """Portal administrators and users read managed servers; Restore Operators and tenants get
    a 403; the paths answer in any case."""
    check_provider_only(roles, FAMILY)
    operator, _ = logon(roles, "ro", "pw")
    assert b"/api/managedServers" not in roles.get_as(operator, "/api/logonSessions").content


def test_query_by_type_and_description(roles: EmClient) -> None:
    """`ManagedServerType` and `Description` select what the servers say (case-insensitively)."""
    token, _ = logon(roles)
    servers = list(roles.em.world.all(FAMILY.name).values())
    found = query_uids(roles, token, FAMILY, filter="ManagedServerType==vc")
    assert found == [uid(FAMILY, s.id) for s in servers if s.managed_server_type is ManagedServerType.VC] != []
    found = query_uids(roles, token, FAMILY, filter='Description=="Backup proxy"', sortAsc="Name")
    proxies = sorted((s for s in servers if s.description == "Backup proxy"), key=lambda s: s.name.casefold())
    assert found == [uid(FAMILY, s.id) for s in proxies] != []
    response = roles.get_as(token, "/api/query", params={"type": "ManagedServer", "format": "Entities"})
    assert body(response, 200, "QueryResult") is not None  # validated against the schema by the client


def test_linked_from_the_logon_session_after_backup_servers(client: EmClient) -> None:
    """The LogonSession links the managed servers right after the backup servers, and the
    hierarchy roots after the jobs, as EM 12's does."""
    token, session_id = logon(client)
    session = body(client.get_as(token, f"/api/logonSessions/{session_id}"), 200, "LogonSession")
    downs = [(li.Type, li.Href) for li in links(session) if li.Rel == "Down"]
    assert downs[:5] == [
        ("BackupServerReferenceList", f"{API}/backupServers"),
        ("ManagedServerReferenceList", f"{API}/managedServers"),
        ("JobReferenceList", f"{API}/jobs"),
        ("HierarchyRootReferenceList", f"{API}/hierarchyRoots"),
        ("RepositoryReferenceList", f"{API}/repositories"),
    ]


def test_seed_sample_inventory(seed: EmClient) -> None:
    """The seed sample's backup server lists itself, its Hyper-V host and a proxy."""
    servers = [(s.name, s.managed_server_type) for s in seed.em.world.all(FAMILY.name).values()]
    assert servers == [
        ("172.17.53.48", ManagedServerType.Local),
        ("172.17.53.50", ManagedServerType.HvServer),
        ("172.17.53.49", ManagedServerType.Windows),
    ]
