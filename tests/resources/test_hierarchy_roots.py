"""The hierarchy roots' family (`mock_em/resources/hierarchy_roots.py`) as the wire shows it: the
virtualization hosts among the managed servers, and the VMs of the jobs named on them."""

from __future__ import annotations

import json
import re
from datetime import UTC, datetime
from pathlib import Path
from uuid import UUID

import pytest
from conftest import SEED_FIXTURE, EmClient, make_client
from xmlutil import API, Link, body, links, logon

from mock_em.generator import WorldSize, generate_world
from mock_em.model.entities import Platform
from mock_em.model.inventory import HOST_PLATFORM, ROOT_TYPES, HostType
from mock_em.registry import family
from mock_em.settings import Settings
from resources.catalogue_checks import check_catalogue_readers, restore_operator_links
from resources.family_checks import (
    JSON,
    check_collection,
    check_fixture_round_trip,
    entity_of,
    own_fields,
    query_uids,
    uid,
)

FAMILY = family("HierarchyRoot")
SERVERS = family("ManagedServer")
REF = re.compile(r"urn:(?P<platform>VMware|HyperV):Vm:(?P<root>[0-9a-f-]{36})\.(vm-\d+|[0-9a-f-]{36})")


def test_collection_and_fixture(roles: EmClient) -> None:
    check_collection(roles, FAMILY)
    check_fixture_round_trip(roles, FAMILY)


def test_entity_fields_and_links(roles: EmClient) -> None:
    """`HierarchyRootId` (its own id), `UniqueId` and `HostType`; Up the backup server,
    Alternate, Related to its managed server's entity, as the vendor's example; JSON alike."""
    world = roles.em.world
    token, _ = logon(roles)
    for root in world.all(FAMILY.name).values():
        entity = entity_of(roles, FAMILY, root.id)
        assert own_fields(entity) == {
            "HierarchyRootId": str(root.id),
            "UniqueId": root.unique_id,
            "HostType": root.host_type.value,
        }
        owner = world.backup_servers[root.backup_server_id]
        server = world.all(SERVERS.name)[root.id]
        assert (server.name, server.backup_server_id, ROOT_TYPES[server.managed_server_type]) == (
            root.name,
            root.backup_server_id,
            root.host_type,
        )
        related = f"{API}/managedServers/{root.id}?format=Entity"
        assert links(entity) == [
            Link("Up", "BackupServerReference", f"{API}/backupServers/{owner.id}", owner.name),
            Link("Alternate", "HierarchyRootReference", f"{API}/hierarchyRoots/{root.id}", root.name),
            Link("Related", "ManagedServer", related, root.name),
        ]
        assert body(roles.get_as(token, related), 200, "ManagedServer").get("UID") == uid(SERVERS, root.id)
        data = roles.get_as(token, f"/api/hierarchyRoots/{root.id}?format=Entity", headers=JSON).json()
        assert (data["HierarchyRootId"], data["UniqueId"], data["HostType"]) == (
            str(root.id),
            root.unique_id,
            root.host_type.value,
        )


def test_readers(roles: EmClient) -> None:
    """Portal administrators and users and Restore Operators (who restore) read roots; tenants
    get a 403. A Restore Operator sees neither the backup server nor the managed server."""
    check_catalogue_readers(roles, FAMILY)
    assert restore_operator_links(roles, FAMILY) == [("Alternate", "HierarchyRootReference")]
    operator, _ = logon(roles, "ro", "pw")
    assert b"/api/hierarchyRoots" in roles.get_as(operator, "/api/logonSessions").content


def test_query_by_host_type_and_backup_server(roles: EmClient) -> None:
    """The vendor's example: `HostType==VC;BackupServerName=="…"`, sorted by Name."""
    token, _ = logon(roles)
    world = roles.em.world
    owner = next(iter(world.backup_servers.values()))
    found = query_uids(roles, token, FAMILY, filter=f'HostType==VC;BackupServerName=="{owner.name}"', sortAsc="Name")
    roots = world.all(FAMILY.name).values()
    vcs = [r for r in roots if r.host_type is HostType.VC and r.backup_server_id == owner.id]
    vcs.sort(key=lambda r: r.name)
    assert found == [uid(FAMILY, r.id) for r in vcs] != []
    some = next(iter(roots))
    assert query_uids(roles, token, FAMILY, filter=f'UniqueId=="{some.unique_id}"') == [uid(FAMILY, some.id)]


def test_vm_restore_points_are_named_on_their_servers_root(roles: EmClient) -> None:
    """Every VM restore point names its VM on the hierarchy root of its backup server and its
    job's platform: the vCenter for VMware, the Hyper-V host or cluster for Hyper-V."""
    world = roles.em.world
    roots = world.all(FAMILY.name)
    platforms = set()
    for point in world.all("VmRestorePoint").values():
        found = REF.fullmatch(point.hierarchy_obj_ref)
        assert found is not None, point.hierarchy_obj_ref
        root = roots[UUID(found["root"])]
        assert root.backup_server_id == point.backup_server_id
        assert HOST_PLATFORM[root.host_type] is Platform(found["platform"])
        platforms.add(root.host_type)
    assert HostType.VC in platforms


@pytest.mark.parametrize("world_seed", [1, 2, 3, 4, 5])
def test_generated_inventories_follow_the_jobs(world_seed: int) -> None:
    """In any generated world, each server with jobs of a platform has a root of it, first in
    store order of that platform's roots the vCenter or the Hyper-V host; generation is
    reproducible."""
    now = datetime(2026, 1, 5, 12, tzinfo=UTC)
    size = WorldSize(backup_servers=3, tenants=2)
    world = generate_world(world_seed, size, now)
    roots = list(world.all(FAMILY.name).values())
    for job in world.all("Job").values():
        mine = [r for r in roots if r.backup_server_id == job.backup_server_id and r.platform is job.platform]
        assert mine and mine[0].host_type in (HostType.VC, HostType.HvServer, HostType.HvCluster), job.name
    again = generate_world(world_seed, size, now)
    assert list(again.all(FAMILY.name).values()) == roots
    assert list(again.all(SERVERS.name).values()) == list(world.all(SERVERS.name).values())


def test_seed_sample_root(seed: EmClient) -> None:
    """The seed sample's Hyper-V host is its one root; its SQL VM's points name it."""
    roots = list(seed.em.world.all(FAMILY.name).values())
    assert [(r.name, r.host_type, r.unique_id) for r in roots] == [("172.17.53.50", HostType.HvServer, "172.17.53.50")]
    refs = {p.hierarchy_obj_ref for p in seed.em.world.all("VmRestorePoint").values()}
    assert refs and all(ref.startswith(f"urn:HyperV:Vm:{roots[0].id}.") for ref in refs)


def test_a_fixture_without_an_inventory_names_vms_on_the_backup_server(tmp_path: Path) -> None:
    """A fixture older than the inventory loads with no managed servers or roots, and its VMs are
    named on their backup server's id, as before; the lookup finds nothing there."""
    data = json.loads(SEED_FIXTURE.read_text(encoding="utf-8"))
    del data["ManagedServers"], data["HierarchyRoots"]
    path = tmp_path / "old.json"
    path.write_text(json.dumps(data), encoding="utf-8")
    client = make_client(Settings(fixture=str(path)))
    try:
        world = client.em.world
        assert not world.all(FAMILY.name) and not world.all(SERVERS.name)
        server = next(iter(world.backup_servers))
        refs = {p.hierarchy_obj_ref for p in world.all("VmRestorePoint").values()}
        assert refs and all(ref.startswith(f"urn:HyperV:Vm:{server}.") for ref in refs)
        token, _ = logon(client)
        assert body(client.get_as(token, "/api/hierarchyRoots"), 200, "EntityReferences").find("*") is None
    finally:
        client.close()
