"""The hardware plans' family (`mock_em/resources/cloud_hardware_plans.py`) as the wire shows it:
limits, platform details with each storage's quota, and who may read them."""

from __future__ import annotations

from typing import Any

from conftest import EmClient, make_client
from xmlutil import API, Link, body, children, links, logon, text

from mock_em.model.compute import compute_stats
from mock_em.model.entities import Platform, Role
from mock_em.registry import family
from mock_em.settings import Settings
from resources.family_checks import (
    JSON,
    check_readers,
    check_tenants_see_their_own,
    entity_of,
    tenant_token,
    uid,
)

FAMILY = family("CloudHardwarePlan")


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


def test_tenants_see_the_plans_they_subscribe_to(roles: EmClient) -> None:
    """A tenant's logon reads exactly the plans its compute resources subscribe to, list and item,
    and another tenant's plan is not found; its `/api/cloud` still does not link the plans (EM's
    tenant document links only replicas, their points and failover plans)."""
    world = roles.em.world
    seen = check_tenants_see_their_own(roles, FAMILY, readable=True)
    computes, tenants = world.all("CloudTenantComputeResource").values(), world.tenants.values()
    subscribed = {t.name: {uid(FAMILY, c.plan_id) for c in computes if c.tenant_id == t.id} for t in tenants}
    assert seen == subscribed
    assert any(seen.values()), "the seed world has a subscribed tenant"
    tenant = next(t for t in world.tenants.values() if subscribed[t.name])
    token = tenant_token(roles, tenant.username, tenant.password)
    hrefs = [li.Href for li in links(body(roles.get_as(token, "/api/cloud"), 200, "CloudConnectService"))]
    assert not any("/cloud/hardwarePlans" in h for h in hrefs)
    plan_id = next(c.plan_id for c in computes if c.tenant_id == tenant.id)
    entity = body(roles.get_as(token, f"/api/cloud/hardwarePlans/{plan_id}?format=Entity"), 200, "CloudHardwarePlan")
    assert [li.Rel for li in links(entity)] == ["Alternate"]  # no Up to a backup server it may not read


def test_linked_from_the_cloud_service_in_the_vendors_order(client: EmClient) -> None:
    """`/api/cloud` links the plans after the tenants and before the restore points, in both forms."""
    token, _ = logon(client)
    found = [li.Href for li in links(body(client.get_as(token, "/api/cloud"), 200, "CloudConnectService"))]
    for suffix in ("", "?format=Entity"):
        order = [found.index(f"{API}/cloud/{p}{suffix}") for p in ("tenants", "hardwarePlans", "vmReplicaPoints")]
        assert order == sorted(order)


def subscribers(world: Any, plan_id: Any) -> list[str]:
    """The ids of the tenants whose compute resources subscribe to a plan, in store order."""
    computes = world.all("CloudTenantComputeResource").values()
    subscribed = {c.tenant_id for c in computes if c.plan_id == plan_id}
    return [str(t.id) for t in world.tenants.values() if t.id in subscribed]


def test_tenants_subscribed_to_a_plan(roles: EmClient) -> None:
    """`/cloud/hardwarePlans/{id}/tenants`: the tenants whose compute resources subscribe to the
    plan, in both forms and notations, linked Down from the plan's entity (named after the plan, as
    EM does); a tenant's logon may not list them (403) nor is offered the link."""
    world = roles.em.world
    token, _ = logon(roles)
    assert any(subscribers(world, p) for p in world.all(FAMILY.name))
    for plan in world.all(FAMILY.name).values():
        expected, url = subscribers(world, plan.id), f"/api{FAMILY.path}/{plan.id}/tenants"
        refs = body(roles.get_as(token, url), 200, "EntityReferences")
        assert [r.get("UID").rsplit(":", 1)[-1] for r in refs] == expected
        entities = body(roles.get_as(token, url + "?format=Entity"), 200, "CloudTenants")
        assert [e.get("UID").rsplit(":", 1)[-1] for e in entities] == expected
        data = roles.get_as(token, url, headers=JSON).json()
        assert [r["UID"].rsplit(":", 1)[-1] for r in data["Refs"]] == expected
        down = [li for li in links(entity_of(roles, FAMILY, plan.id)) if li.Rel == "Down"]
        assert down == [Link("Down", "CloudTenantReference", f"{API}{FAMILY.path}/{plan.id}/tenants", plan.name)]
    compute = next(iter(world.all("CloudTenantComputeResource").values()))
    tenant = world.tenants[compute.tenant_id]
    session = tenant_token(roles, tenant.username, tenant.password)
    assert roles.get_as(session, f"/api{FAMILY.path}/{compute.plan_id}/tenants").status_code == 403
    entity = body(roles.get_as(session, f"/api{FAMILY.path}/{compute.plan_id}?format=Entity"), 200, FAMILY.name)
    assert [li.Rel for li in links(entity)] == ["Alternate"]


def test_a_new_subscription_lists_the_tenant_under_the_plan() -> None:
    """Subscribing a tenant to another plan through the control plane lists it there at once."""
    client = make_client(Settings(tenants=6, backup_servers=2))
    try:
        world, (token, _) = client.em.world, logon(client)
        compute = next(iter(world.all("CloudTenantComputeResource").values()))
        platform = world.all(FAMILY.name)[compute.plan_id].platform
        other = next(
            p
            for p in world.all(FAMILY.name).values()
            if p.platform is platform and str(compute.tenant_id) not in subscribers(world, p.id)
        )
        body_ = {"CloudHardwarePlanId": str(other.id)}
        answer = client.control("POST", f"/mock/billing/tenants/{compute.tenant_id}/computeResources", json=body_)
        assert answer.status_code == 201, answer.text
        refs = body(client.get_as(token, f"/api{FAMILY.path}/{other.id}/tenants"), 200, "EntityReferences")
        assert str(compute.tenant_id) in [r.get("UID").rsplit(":", 1)[-1] for r in refs]
        assert [r.get("UID").rsplit(":", 1)[-1] for r in refs] == subscribers(world, other.id)
    finally:
        client.close()
