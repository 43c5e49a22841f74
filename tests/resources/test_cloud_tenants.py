"""The Cloud Connect tenants' family (`mock_em/resources/cloud_tenants.py`) as the wire shows it."""

from __future__ import annotations

from conftest import EmClient
from xmlutil import API, Link, body, links, logon

from mock_em.model.entities import Role
from mock_em.model.fixture_values import format_time
from mock_em.registry import family
from resources.family_checks import (
    check_fixture_round_trip,
    check_readers,
    check_tenants_see_their_own,
    entity_of,
    own_fields,
)

FAMILY = family("CloudTenant")


def test_entity_fields_are_the_model_objects(seed_client: EmClient) -> None:
    """The tenant's own fields, its counts worked out from its replication jobs (EM counts VM
    replicas: one per replicated VM), and never its password."""
    world = seed_client.em.world
    for tenant in world.tenants.values():
        vms = sum(len(r.vms) for r in world.replicas.values() if r.tenant_id == tenant.id)
        assert vms > 0
        entity = entity_of(seed_client, FAMILY, tenant.id)
        assert entity.get("Name") == tenant.name
        expires = tenant.lease_expiration
        lease = {} if expires is None else {"LeaseOptions.ExpirationDate": format_time(expires)}
        assert own_fields(entity) == {
            "Password": "",
            "Description": tenant.description,
            "Enabled": str(tenant.enabled).lower(),
            "LeaseOptions": "",
            "LeaseOptions.Enabled": str(tenant.lease_expiration is not None).lower(),
            **lease,
            "Resources": "",
            "LastResult": tenant.last_result,
            "LastActive": format_time(tenant.last_active) if tenant.last_active else "1753-01-01T00:00:00Z",
            "VmCount": str(vms),
            "ThrottlingEnabled": str(tenant.throttling_enabled).lower(),
            "ThrottlingSpeedLimit": str(tenant.throttling_speed_limit),
            "ThrottlingSpeedUnit": tenant.throttling_speed_unit,
            "PublicIpCount": str(
                sum(1 for a in world.all("CloudPublicIpAddress").values() if a.tenant_id == tenant.id)
            ),
            "BackupCount": str(tenant.backup_count),
            "ReplicaCount": str(vms),
        }
        assert tenant.password not in body(seed_client.get_as(logon(seed_client)[0], entity.get("Href"))).itertext()
        server = world.backup_servers[tenant.backup_server_id]
        assert links(entity)[0] == Link("Up", "BackupServerReference", f"{API}/backupServers/{server.id}", server.name)


def test_linked_from_the_cloud_service_in_both_forms(seed_client: EmClient) -> None:
    """`/api/cloud` links Down to the tenants as references and as entities."""
    token, _ = logon(seed_client)
    found = [li for li in links(body(seed_client.get_as(token, "/api/cloud"))) if li.Href and "/tenants" in li.Href]
    assert found == [
        Link("Down", "CloudTenantReferenceList", f"{API}/cloud/tenants"),
        Link("Down", "CloudTenantList", f"{API}/cloud/tenants?format=Entity"),
    ]


def test_restore_operators_may_not_read_them(seed: EmClient) -> None:
    """Portal Administrators and Users read tenants; Restore Operators get 403."""
    check_readers(seed, FAMILY, forbidden={Role.RestoreOperator})


def test_tenants_may_not_read_them(seed: EmClient) -> None:
    """A tenant gets 403 on the tenants, its own included: the list is the provider's."""
    check_tenants_see_their_own(seed, FAMILY, readable=False)


def test_fixture_section_round_trips(seed_client: EmClient) -> None:
    """`CloudTenants` in a fixture: each tenant, with its credentials, as JSON and back."""
    assert FAMILY.kind.section is not None and FAMILY.kind.section.name == "CloudTenants"
    check_fixture_round_trip(seed_client, FAMILY)
    dumped = FAMILY.kind.section.dump(next(iter(seed_client.em.world.tenants.values())))
    assert {"Username", "Password"} <= set(dumped)
