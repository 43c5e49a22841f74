"""A tenant's compute resources (`mock_em/resources/tenant/compute_resources.py`) as the wire shows
them: in the tenant's entity and at `/cloud/tenants/{id}/computeResources[/{id}]`, their stats
what the tenant's replicated VMs take, within the plan's limits."""

from __future__ import annotations

from collections.abc import Iterator

import pytest
from conftest import EmClient, make_client
from xmlutil import API, Link, assert_error, body, children, links, logon, text

from mock_em.model.compute import compute_stats, plan_platform, tenant_compute, vm_size
from mock_em.model.entities import Role
from mock_em.settings import Settings
from resources.family_checks import JSON, ROLE_LOGONS, USERS, tenant_token


@pytest.fixture(scope="module")
def roles() -> Iterator[EmClient]:
    """A generated world with one account of each role."""
    client = make_client(Settings(user=USERS, tenants=4))
    yield client
    client.close()


def stats_of(element) -> tuple[int, int, list[tuple[str, int, int]]]:  # type: ignore[no-untyped-def]
    """`ComputeResourceStats`: (CPUCount, MemoryUsageMb, [(StorageName, usage, limit)])."""
    stats = children(element, "ComputeResourceStats")[0]
    storages = [
        (text(s, "StorageName") or "", int(text(s, "StorageUsageGb") or 0), int(text(s, "StorageLimitGb") or 0))
        for s in children(children(stats, "StorageResourceStats")[0], "StorageResourceStat")
    ]
    return int(text(stats, "CPUCount") or 0), int(text(stats, "MemoryUsageMb") or 0), storages


def test_tenant_entity_and_list_show_what_its_replicas_take(roles: EmClient) -> None:
    """Every tenant that replicates has one compute resource per platform; its stats add up to its
    replicated VMs' vCPUs, memory and disks, each storage within its limit."""
    world = roles.em.world
    token, _ = logon(roles)
    for tenant in world.tenants.values():
        mine = tenant_compute(world, tenant.id)
        replicas = [r for r in world.replicas.values() if r.tenant_id == tenant.id]
        assert len(mine) == len({plan_platform(r.platform) for r in replicas})
        entity = body(roles.get_as(token, f"/api/cloud/tenants/{tenant.id}?format=Entity"), 200, "CloudTenant")
        listed = f"{API}/cloud/tenants/{tenant.id}/computeResources"
        assert Link("Down", "CloudTenantComputeResourceList", listed) in links(entity)
        held = children(entity, "ComputeResources")
        nested = children(held[0], "CloudTenantComputeResource") if held else []
        in_list = children(
            body(roles.get_as(token, listed), 200, "CloudTenantComputeResources"), "CloudTenantComputeResource"
        )
        assert [e.get("Id") for e in nested] == [e.get("Id") for e in in_list] == [str(c.id) for c in mine]
        sizes = [vm_size(r.id, vm) for r in replicas for vm in r.vms]
        assert sum(stats_of(e)[0] for e in nested) == sum(s.cpus for s in sizes)
        assert sum(stats_of(e)[1] for e in nested) == sum(s.memory_mb for s in sizes)
        assert sum(u for e in nested for _, u, _ in stats_of(e)[2]) == sum(s.disk_gb for s in sizes)
        for compute, element in zip(mine, in_list, strict=True):
            plan = world.all("CloudHardwarePlan")[compute.plan_id]
            assert text(element, "CloudHardwarePlanUid") == f"urn:veeam:CloudHardwarePlan:{plan.id}"
            assert text(element, "PlatformType") == plan.platform.value
            stats = compute_stats(world, compute)
            assert stats_of(element) == (
                stats.cpu_count,
                stats.memory_mb,
                [(s.friendly_name, used, s.quota_gb) for s, used in stats.storages],
            )
            assert all(used <= limit for _, used, limit in stats_of(element)[2])
            item = body(roles.get_as(token, f"{listed}/{compute.id}"), 200, "CloudTenantComputeResource")
            assert item.get("Href") == f"{listed}/{compute.id}" and stats_of(item) == stats_of(element)


def test_json_carries_the_same_fields(roles: EmClient) -> None:
    """The JSON item holds the XML's stats, numbers as numbers."""
    world = roles.em.world
    token, _ = logon(roles)
    compute = next(iter(world.all("CloudTenantComputeResource").values()))
    url = f"/api/cloud/tenants/{compute.tenant_id}/computeResources/{compute.id}"
    data = roles.get_as(token, url, headers=JSON).json()
    stats = compute_stats(world, compute)
    shown = data["ComputeResourceStats"]
    assert (shown["CPUCount"], shown["MemoryUsageMb"]) == (stats.cpu_count, stats.memory_mb)
    assert [s["StorageUsageGb"] for s in shown["StorageResourceStats"]["StorageResourceStats"]] == [
        used for _, used in stats.storages
    ]


def test_roles_and_tenants(roles: EmClient) -> None:
    """Administrators and users read them, a Restore Operator gets a 403; a tenant reads its own and
    another tenant's are not found."""
    world = roles.em.world
    compute = next(iter(world.all("CloudTenantComputeResource").values()))
    url = f"/api/cloud/tenants/{compute.tenant_id}/computeResources"
    for role, (user, password) in ROLE_LOGONS.items():
        token, _ = logon(roles, user, password)
        if role is Role.RestoreOperator:
            assert_error(roles.get_as(token, url), 403, "Forbidden")
        else:
            assert roles.get_as(token, f"{url}/{compute.id}").status_code == 200
    for tenant in world.tenants.values():
        token = tenant_token(roles, tenant.username, tenant.password)
        if tenant.id == compute.tenant_id:
            assert roles.get_as(token, f"{url}/{compute.id}").status_code == 200
        else:
            assert_error(roles.get_as(token, url), 404, "NotFound")
            assert_error(roles.get_as(token, f"{url}/{compute.id}"), 404, "NotFound")
