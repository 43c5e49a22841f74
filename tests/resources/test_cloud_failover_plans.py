"""The cloud failover plans' family (`mock_em/resources/cloud_failover_plans.py`) as the wire
shows it: the plans, their VMs inside the entity and under `/includes`, who sees them, what the
generator makes of them and what removing a replica or a tenant does to them."""

from __future__ import annotations

import copy
from collections.abc import Iterator

import pytest
from conftest import EmClient, make_client
from xmlutil import API, Link, assert_error, body, children, links, local, logon

from mock_em.model.entities import Role
from mock_em.registry import family
from mock_em.settings import Settings
from resources.family_checks import (
    JSON,
    ROLE_LOGONS,
    USERS,
    check_fixture_round_trip,
    check_readers,
    check_tenants_see_their_own,
    entity_of,
    tenant_token,
)

FAMILY = family("CloudFailoverPlan")
UNKNOWN = "00000000-0000-4000-8000-000000000000"


@pytest.fixture(scope="module")
def roles() -> Iterator[EmClient]:
    """The default generated world (whose tenants have plans), with an account of each role."""
    client = make_client(Settings(user=USERS))
    yield client
    client.close()


def _element(parent: object, name: str) -> object:
    (found,) = children(parent, name)  # type: ignore[arg-type]
    return found


def test_entity_fields_and_links(roles: EmClient) -> None:
    """The entity holds the tenant's UID and name, the description, the scripts and the VMs in
    order (`CloudFailoveredVm` with its Href under `/includes`); it links Up to its backup server;
    the reference form is also Related to the tenant's entity."""
    world = roles.em.world
    token, _ = logon(roles)
    assert world.all(FAMILY.name)
    for plan in world.all(FAMILY.name).values():
        tenant, server = world.tenants[plan.tenant_id], world.backup_servers[plan.backup_server_id]
        entity = entity_of(roles, FAMILY, plan.id)
        href = f"{API}/cloud/cloudFailoverPlans/{plan.id}"
        up = Link("Up", "BackupServerReference", f"{API}/backupServers/{server.id}", server.name)
        assert links(entity) == [up, Link("Alternate", "CloudFailoverPlanReference", href, plan.name)]
        fields = {local(c): c for c in entity if local(c) != "Links"}
        assert list(fields) == [
            "TenantUid", "TenantName", "Description", "CloudFailoverPlanOptions", "CloudFailoverPlanInfo",
        ]  # fmt: skip
        assert fields["TenantUid"].text == f"urn:veeam:CloudTenant:{tenant.id}"
        assert fields["TenantName"].text == tenant.name
        assert fields["Description"].text == plan.description
        options = {local(c): c.text or "" for c in fields["CloudFailoverPlanOptions"]}
        assert options == {
            "PostFailoverPlanCommandEnabled": str(plan.post_command_enabled).lower(),
            "PostFailoverPlanCommand": plan.post_command,
            "PreFailoverPlanCommandEnabled": str(plan.pre_command_enabled).lower(),
            "PreFailoverPlanCommand": plan.pre_command,
        }
        included = children(_element(fields["CloudFailoverPlanInfo"], "Includes"), "CloudFailoveredVm")
        assert [(e.get("Href"), e.get("Type")) for e in included] == [
            (f"{href}/includes/{vm.id}", "CloudFailoveredVm") for vm in plan.vms
        ]
        assert [[c.text for c in e] for e in included] == [
            [str(vm.id), vm.vm_name, str(order)] for order, vm in enumerate(plan.vms)
        ]
        reference = body(roles.get_as(token, href), 200, "EntityRef")
        assert reference.get("Type") == "CloudFailoverPlanReference"
        tenant_entity = f"{API}/cloud/tenants/{tenant.id}?format=Entity"
        assert links(reference) == [
            up,
            Link("Alternate", "CloudFailoverPlan", f"{href}?format=Entity", plan.name),
            Link("Related", "CloudTenant", tenant_entity, tenant.name),
        ]


def test_json_has_the_fields_of_the_xml(roles: EmClient) -> None:
    """In JSON the entity holds the same fields, its VMs under `Includes.CloudFailoveredVms`."""
    token, _ = logon(roles)
    plan = next(iter(roles.em.world.all(FAMILY.name).values()))
    data = roles.get_as(token, f"/api/cloud/cloudFailoverPlans/{plan.id}?format=Entity", headers=JSON).json()
    assert list(data) == [
        "TenantUid", "TenantName", "Description", "CloudFailoverPlanOptions", "CloudFailoverPlanInfo",
        "Name", "UID", "Links", "Href", "Type",
    ]  # fmt: skip
    assert data["CloudFailoverPlanOptions"]["PostFailoverPlanCommandEnabled"] is plan.post_command_enabled
    vms = data["CloudFailoverPlanInfo"]["Includes"]["CloudFailoveredVms"]
    assert [(v["FailoverPlanVMId"], v["Name"], v["Order"]) for v in vms] == [
        (str(vm.id), vm.vm_name, order) for order, vm in enumerate(plan.vms)
    ]
    listed = roles.get_as(token, f"/api/cloud/cloudFailoverPlans/{plan.id}/includes", headers=JSON).json()
    assert listed == {"CloudFailoveredVms": vms}


def test_includes_list_and_items(roles: EmClient) -> None:
    """`/{id}/includes` lists the plan's VMs as `<CloudFailoveredVms>`; each item's Href answers
    the item alone, the same as in the list; an unknown or malformed VM id is not found."""
    token, _ = logon(roles)
    for plan in roles.em.world.all(FAMILY.name).values():
        listed = body(roles.get_as(token, f"/api/cloud/cloudFailoverPlans/{plan.id}/includes"), 200)
        assert local(listed) == "CloudFailoveredVms"
        assert len(listed) == len(plan.vms) > 0
        for order, item in enumerate(listed):
            alone = body(roles.get_as(token, item.get("Href")), 200, "CloudFailoveredVm")
            assert [c.text for c in alone] == [str(plan.vms[order].id), plan.vms[order].vm_name, str(order)]
        base = f"/api/cloud/cloudFailoverPlans/{plan.id}/includes"
        assert_error(roles.get_as(token, f"{base}/{UNKNOWN}"), 404, "NotFound")
        assert_error(roles.get_as(token, f"{base}/not-a-guid"), 404, "NotFound")
    assert_error(roles.get_as(token, f"/api/cloud/cloudFailoverPlans/{UNKNOWN}/includes"), 404, "NotFound")


def test_every_role_reads_them_without_provider_links(roles: EmClient) -> None:
    """Every role reads failover plans; a Restore Operator's show no backup server and no tenant."""
    check_readers(roles, FAMILY, forbidden=set())
    token, _ = logon(roles, *ROLE_LOGONS[Role.RestoreOperator])
    for plan_id in roles.em.world.all(FAMILY.name):
        reference = body(roles.get_as(token, f"/api/cloud/cloudFailoverPlans/{plan_id}"), 200, "EntityRef")
        assert [li.Rel for li in links(reference)] == ["Alternate"]


def test_a_tenant_sees_only_its_own(roles: EmClient) -> None:
    """Each tenant sees its own plan and its VMs; another tenant's plan and its VMs are not found;
    its `/api/cloud` links to plans first, as the vendor's tenant session shows."""
    world = roles.em.world
    seen = check_tenants_see_their_own(roles, FAMILY, readable=True)
    assert sum(len(ids) for ids in seen.values()) == len(world.all(FAMILY.name))
    plans = list(world.all(FAMILY.name).values())
    tenant = world.tenants[plans[0].tenant_id]
    token = tenant_token(roles, tenant.username, tenant.password)
    mine = [f"/api/cloud/cloudFailoverPlans/{plans[0].id}/includes"]
    assert body(roles.get_as(token, mine[0]), 200, "CloudFailoveredVms") is not None
    for other in [p for p in plans if p.tenant_id != tenant.id][:2]:
        assert_error(roles.get_as(token, f"/api/cloud/cloudFailoverPlans/{other.id}/includes"), 404, "NotFound")
        item = f"/api/cloud/cloudFailoverPlans/{other.id}/includes/{other.vms[0].id}"
        assert_error(roles.get_as(token, item), 404, "NotFound")
    cloud = [(li.Rel, li.Type) for li in links(body(roles.get_as(token, "/api/cloud"), 200))]
    assert cloud[1:] == [
        ("Down", "CloudFailoverPlanReferenceList"),
        ("Down", "CloudVmReplicaPointReferenceList"),
        ("Down", "CloudReplicaReferenceList"),
        ("Down", "CloudFailoverPlanList"),
        ("Down", "CloudVmReplicaPointList"),
        ("Down", "CloudReplicaList"),
    ]


def test_fixture_section_round_trips(roles: EmClient) -> None:
    """`CloudFailoverPlans` in a fixture: each plan, with its scripts and VMs, as JSON and back."""
    assert FAMILY.kind.section is not None and FAMILY.kind.section.name == "CloudFailoverPlans"
    check_fixture_round_trip(roles, FAMILY)


@pytest.mark.parametrize("seed", [1, 2, 3, 7])
def test_generated_plans_hold_their_tenants_replicated_vms(seed: int) -> None:
    """A generated plan belongs to a tenant that replicates, lives on its backup server, and holds
    that tenant's replicated VMs in replica order, then VM order; no tenant has two."""
    from datetime import UTC, datetime

    from mock_em.generator import WorldSize, generate_world

    world = generate_world(seed, WorldSize(tenants=12), datetime(2026, 1, 5, tzinfo=UTC))
    plans = list(world.all(FAMILY.name).values())
    assert 0 < len(plans) < len(world.tenants)
    assert len({p.tenant_id for p in plans}) == len(plans)
    for plan in plans:
        tenant = world.tenants[plan.tenant_id]
        assert plan.name == f"{tenant.name} Failover Plan"
        assert plan.backup_server_id == tenant.backup_server_id
        replicated = [(r.id, v.name) for r in world.replicas.values() if r.tenant_id == tenant.id for v in r.vms]
        assert [(v.replica_id, v.vm_name) for v in plan.vms] == replicated[: len(plan.vms)]
        assert plan.vms


def test_removing_a_replica_a_vm_or_the_tenant(roles: EmClient) -> None:
    """A removed replica's VMs, or a VM no longer replicated, leave the plan, whose other VMs keep
    their order; the plan stays, even empty; removing its tenant removes it."""
    world = copy.deepcopy(roles.em.world)
    plan = next(p for p in world.all(FAMILY.name).values() if len({v.replica_id for v in p.vms}) > 1)
    first, *others = list(dict.fromkeys(v.replica_id for v in plan.vms))
    kept = [v for v in plan.vms if v.replica_id != first]
    world.remove("CloudReplica", first)
    assert plan.vms == kept
    world.remove_vm(kept[0].replica_id, kept[0].vm_name.upper())
    assert plan.vms == kept[1:]
    for replica_id in others:
        world.remove("CloudReplica", replica_id)
    assert plan.vms == [] and plan.id in world.all(FAMILY.name)
    world.check()
    removed = world.remove("CloudTenant", plan.tenant_id)
    assert plan.id not in world.all(FAMILY.name) and removed[FAMILY.name] == 1


def test_query_type(roles: EmClient) -> None:
    """`/api/query?type=CloudFailoverPlan` filters and sorts by the vendor's fields, and answers
    entities as `<CloudFailoverPlans>`; a tenant's query sees its own plans alone."""
    world = roles.em.world
    token, _ = logon(roles)
    plans = list(world.all(FAMILY.name).values())
    tenant = world.tenants[plans[-1].tenant_id]
    server = world.backup_servers[plans[-1].backup_server_id]
    url = f'/api/query?type=CloudFailoverPlan&filter=CloudTenantName=="{tenant.name}";BackupServerName=="{server.name}"'
    refs = body(roles.get_as(token, url), 200, "QueryResult")
    assert [r.get("UID") for r in refs.iter("{*}Ref")] == [f"urn:veeam:CloudFailoverPlan:{plans[-1].id}"]
    url = "/api/query?type=cloudfailoverplan&format=Entities&sortDesc=Name"
    entities = body(roles.get_as(token, url), 200, "QueryResult")
    names = [e.get("Name") for e in entities.iter("{*}CloudFailoverPlan")]
    assert names == sorted((p.name for p in plans), key=str.casefold, reverse=True)
    uid_url = f"/api/query?type=CloudFailoverPlan&filter=CloudTenantUid==urn:veeam:CloudTenant:{tenant.id}"
    assert len(list(body(roles.get_as(token, uid_url), 200).iter("{*}Ref"))) == 1
    mine = tenant_token(roles, tenant.username, tenant.password)
    shown = body(roles.get_as(mine, "/api/query?type=CloudFailoverPlan"), 200, "QueryResult")
    assert [r.get("UID") for r in shown.iter("{*}Ref")] == [f"urn:veeam:CloudFailoverPlan:{plans[-1].id}"]
