"""The hardware plans' family (`mock_em/resources/cloud_hardware_plans.py`) as the wire shows it:
limits, platform details with each storage's quota, and who may read them."""

from __future__ import annotations

from collections.abc import Iterator

import pytest
from conftest import EmClient, make_client
from xmlutil import API, Link, body, children, links, logon, text

from mock_em.model.compute import compute_stats
from mock_em.model.entities import Platform, Role
from mock_em.registry import family
from mock_em.settings import Settings
from resources.family_checks import (
    JSON,
    USERS,
    check_collection,
    check_fixture_round_trip,
    check_readers,
    check_tenants_see_their_own,
    entity_of,
)

FAMILY = family("CloudHardwarePlan")


@pytest.fixture(scope="module")
def roles() -> Iterator[EmClient]:
    """A generated world with one account of each role."""
    client = make_client(Settings(user=USERS, tenants=6, backup_servers=2))
    yield client
    client.close()


def test_collection_in_both_forms_and_notations(client: EmClient) -> None:
    """`/api/cloud/hardwarePlans` lists every plan, as references and as `<CloudHardwarePlans>`."""
    check_collection(client, FAMILY)


def test_entity_fields_and_details(roles: EmClient) -> None:
    """Each plan shows its limits and, by platform, its datastores or volumes with their quotas and
    its network counts; it links Up to its backup server."""
    world = roles.em.world
    for plan in world.all(FAMILY.name).values():
        entity = entity_of(roles, FAMILY, plan.id)
        server = world.backup_servers[plan.backup_server_id]
        assert links(entity)[0] == Link("Up", "BackupServerReference", f"{API}/backupServers/{server.id}", server.name)
        assert text(entity, "ProcessorUsageLimitMhz") == str(plan.processor_limit_mhz)
        assert text(entity, "MemoryUsageLimitMb") == str(plan.memory_limit_mb)
        (details,) = list(children(entity, "HardwarePlanDetails")[0])
        vmware = plan.platform is Platform.VMware
        assert details.tag.endswith("ViCloudHardwarePlan" if vmware else "HvCloudHardwarePlan")
        storages = children(
            children(details, "Datastores" if vmware else "Volumes")[0], "Datastore" if vmware else "Volume"
        )
        assert [(s.get("Id"), text(s, "FriendlyName"), text(s, "QuotaGb")) for s in storages] == [
            (str(s.id), s.friendly_name, str(s.quota_gb)) for s in plan.storages
        ]
        network = children(details, "Network")[0]
        assert text(network, "CountWithInternet") == str(plan.networks_with_internet)


def test_limits_hold_every_subscribed_tenant(roles: EmClient) -> None:
    """No tenant's replicas use more of a plan than its limits: memory, CPU at 2.6 GHz a vCPU,
    and each storage's quota."""
    world = roles.em.world
    computes = list(world.all("CloudTenantComputeResource").values())
    assert computes
    for compute in computes:
        plan = world.all(FAMILY.name)[compute.plan_id]
        stats = compute_stats(world, compute)
        assert stats.memory_mb <= plan.memory_limit_mb and stats.cpu_count * 2600 <= plan.processor_limit_mhz
        assert all(0 <= used <= storage.quota_gb for storage, used in stats.storages)


def test_json_carries_the_same_fields(roles: EmClient) -> None:
    """The JSON entity keys its details by the platform's element, as a schema choice."""
    token, _ = logon(roles)
    plan = next(iter(roles.em.world.all(FAMILY.name).values()))
    data = roles.get_as(token, f"/api/cloud/hardwarePlans/{plan.id}?format=Entity", headers=JSON).json()
    assert data["MemoryUsageLimitMb"] == plan.memory_limit_mb
    assert list(data["HardwarePlanDetails"]) == [
        "ViCloudHardwarePlan" if plan.platform is Platform.VMware else "HvCloudHardwarePlan"
    ]


def test_readers(roles: EmClient) -> None:
    """Portal administrators and users read plans; a Restore Operator gets a 403."""
    check_readers(roles, FAMILY, forbidden={Role.RestoreOperator})


def test_tenants_may_not_list_the_providers_plans(roles: EmClient) -> None:
    """A tenant's logon gets a 403 on the provider's plans (it sees its own subscriptions under
    its compute resources)."""
    check_tenants_see_their_own(roles, FAMILY, readable=False)


def test_fixture_section_round_trips(client: EmClient) -> None:
    """`CloudHardwarePlans` in a fixture: each plan, with its storages, as JSON and back."""
    check_fixture_round_trip(client, FAMILY)


def test_linked_from_the_cloud_service_in_the_vendors_order(client: EmClient) -> None:
    """`/api/cloud` links the plans after the tenants and before the restore points, in both forms."""
    token, _ = logon(client)
    found = [li.Href for li in links(body(client.get_as(token, "/api/cloud"), 200, "CloudConnectService"))]
    for suffix in ("", "?format=Entity"):
        order = [found.index(f"{API}/cloud/{p}{suffix}") for p in ("tenants", "hardwarePlans", "vmReplicaPoints")]
        assert order == sorted(order)
