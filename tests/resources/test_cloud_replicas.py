"""The replication jobs' family (`mock_em/resources/cloud_replicas.py`) as the wire shows it,
with its sub-collection of restore points and that sub-collection's older alias."""

from __future__ import annotations

from conftest import EmClient
from xmlutil import API, Link, body, links, logon

from mock_em.model.entities import Role
from mock_em.registry import family
from resources.family_checks import (
    ROLE_LOGONS,
    check_fixture_round_trip,
    check_readers,
    check_tenants_see_their_own,
    entity_of,
    own_fields,
)

FAMILY = family("CloudReplica")


def test_entity_fields_and_links(seed_client: EmClient) -> None:
    """Its one own field is the platform; it links Up to its backup server, and Down to its points."""
    world = seed_client.em.world
    for replica in world.replicas.values():
        entity = entity_of(seed_client, FAMILY, replica.id)
        assert entity.get("Name") == replica.name
        assert own_fields(entity) == {"Platform": replica.platform.value}
        server = world.backup_servers[replica.backup_server_id]
        href = f"{API}/cloud/replicas/{replica.id}"
        assert links(entity) == [
            Link("Up", "BackupServerReference", f"{API}/backupServers/{server.id}", server.name),
            Link("Alternate", "CloudReplicaReference", href, replica.name),
            Link("Down", "CloudVmReplicaPointReferenceList", f"{href}/vmReplicaPoints"),
        ]


def test_points_of_a_replica_and_their_alias(seed_client: EmClient) -> None:
    """`/cloud/replicas/{id}/vmReplicaPoints` lists the replica's own points, in both forms; the
    older path under `/cloud/vmReplicaPoints/{id}` answers the same bytes."""
    world = seed_client.em.world
    token, _ = logon(seed_client)
    for replica in world.replicas.values():
        own = {f"urn:veeam:CloudVmReplicaPoint:{p.id}" for p in world.points.values() if p.replica_id == replica.id}
        assert own
        for suffix, root in (("", "EntityReferences"), ("?format=Entity", "CloudVmReplicaPoints")):
            listed = seed_client.get_as(token, f"/api/cloud/replicas/{replica.id}/vmReplicaPoints{suffix}")
            assert {e.get("UID") for e in body(listed, 200, root)} == own
            alias = seed_client.get_as(token, f"/api/cloud/vmReplicaPoints/{replica.id}/vmReplicaPoints{suffix}")
            assert alias.content == listed.content


def test_every_role_reads_them_without_the_servers(seed: EmClient) -> None:
    """Every role reads replication jobs; a Restore Operator's show no link to a backup server."""
    check_readers(seed, FAMILY, forbidden=set())
    token, _ = logon(seed, *ROLE_LOGONS[Role.RestoreOperator])
    for replica_id in seed.em.world.replicas:
        entity = body(seed.get_as(token, f"/api/cloud/replicas/{replica_id}?format=Entity"), 200, "CloudReplica")
        assert [li.Rel for li in links(entity)] == ["Alternate", "Down"]


def test_a_tenant_sees_only_its_own(seed: EmClient) -> None:
    """Each seed tenant sees its one replication job; the other's is not found."""
    seen = check_tenants_see_their_own(seed, FAMILY, readable=True)
    assert sorted(len(ids) for ids in seen.values()) == [1, 1]


def test_fixture_section_round_trips(seed_client: EmClient) -> None:
    """`CloudReplicas` in a fixture: each job, with its schedule and VMs, as JSON and back."""
    assert FAMILY.kind.section is not None and FAMILY.kind.section.name == "CloudReplicas"
    check_fixture_round_trip(seed_client, FAMILY)
