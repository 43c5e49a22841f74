"""The restore points' family (`mock_em/resources/cloud_vm_replica_points.py`) as the wire shows it."""

from __future__ import annotations

from conftest import EmClient
from xmlutil import API, Link, body, child_names, links, logon

from mock_em.model.fixture_values import format_time
from mock_em.registry import family
from resources.family_checks import (
    check_fixture_round_trip,
    check_readers,
    check_tenants_see_their_own,
    entity_of,
    own_fields,
)

FAMILY = family("CloudVmReplicaPoint")


def test_the_schema_names_the_items_of_the_list_cloud_replica(client: EmClient) -> None:
    """`<CloudVmReplicaPoints>` holds items the vendor's schema names `<CloudReplica>` (the whole
    collection is checked for every family in `test_families.py`)."""
    token, _ = logon(client)
    listed = body(client.get_as(token, "/api/cloud/vmReplicaPoints?format=Entity"), 200, "CloudVmReplicaPoints")
    assert set(child_names(listed)) == {"CloudReplica"}


def test_entity_fields_and_links(seed_client: EmClient) -> None:
    """The point's fields are the model's; it links Up to its replica's backup server and to its replica."""
    world = seed_client.em.world
    for point in world.points.values():
        entity = entity_of(seed_client, FAMILY, point.id)
        assert entity.get("Name") == point.name
        assert own_fields(entity) == {
            "VmDisplayName": point.vm_display_name,
            "CreationTimeUTC": format_time(point.creation_time),
            "VmName": point.vm_name,
            "PointType": point.point_type.value,
            "State": point.state.value,
        }
        replica = world.replicas[point.replica_id]
        server = world.backup_servers[replica.backup_server_id]
        assert links(entity)[:2] == [
            Link("Up", "BackupServerReference", f"{API}/backupServers/{server.id}", server.name),
            Link("Up", "CloudReplicaReference", f"{API}/cloud/replicas/{replica.id}", replica.name),
        ]


def test_every_role_reads_them(seed: EmClient) -> None:
    """Every role reads restore points (a Restore Operator's work)."""
    check_readers(seed, FAMILY, forbidden=set())


def test_a_tenant_sees_only_its_own(seed: EmClient) -> None:
    """Each seed tenant sees the points of its own replication job (2 and 4); the other's are not found."""
    seen = check_tenants_see_their_own(seed, FAMILY, readable=True)
    assert sorted(len(ids) for ids in seen.values()) == [2, 4]


def test_fixture_section_round_trips(seed_client: EmClient) -> None:
    """`CloudVmReplicaPoints` in a fixture: each point as JSON and back."""
    assert FAMILY.kind.section is not None and FAMILY.kind.section.name == "CloudVmReplicaPoints"
    check_fixture_round_trip(seed_client, FAMILY)
