"""The control plane's billing edits (`/mock/billing`): set a quota, fill one, add or remove a
backup resource; each shows on the wire in the tenant's entity, and quota use follows the clock
from there."""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import pytest
from conftest import ADMIN, EmClient, make_client
from lxml import etree

from mock_em.model.compute import tenant_compute
from mock_em.model.usage import tenant_backups, tenant_resources
from mock_em.settings import Settings

NS = {"v": "http://www.veeam.com/ent/v1.0"}
UNKNOWN = "00000000-0000-4000-8000-000000000000"


@pytest.fixture
def em() -> Iterator[EmClient]:
    """A generated world of four tenants, at the tests' frozen instant."""
    client = make_client(Settings(tenants=4, backup_servers=2))
    yield client
    client.close()


def quotas(client: EmClient, tenant_id: Any) -> list[tuple[str, int, int]]:
    """A tenant's backup resources as its entity shows them: (Id, Quota, UsedQuota)."""
    token = client.logon(*ADMIN)
    response = client.get_as(token, f"/api/cloud/tenants/{tenant_id}?format=Entity")
    assert response.status_code == 200
    entity = etree.fromstring(response.content)
    return [
        (
            str(r.get("Id")),
            int(r.findtext("v:RepositoryQuota/v:Quota", "", NS)),
            int(r.findtext("v:RepositoryQuota/v:UsedQuota", "", NS)),
        )
        for r in entity.iterfind("v:Resources/v:CloudTenantResource", NS)
    ]


def test_quota_use_of_every_tenant(em: EmClient) -> None:
    """`GET /mock/billing` sums each tenant's resources as the wire shows them."""
    answer = em.control("GET", "/mock/billing")
    assert answer.status_code == 200
    rows = answer.json()["tenants"]
    assert [row["TenantId"] for row in rows] == [str(t) for t in em.em.world.tenants]
    for row in rows:
        shown = quotas(em, row["TenantId"])
        assert row["Quota"] == sum(q for _, q, _ in shown) > 0
        assert row["UsedQuota"] == sum(u for _, _, u in shown)
        assert row["UsedPercent"] == round(100 * row["UsedQuota"] / row["Quota"], 1) <= 100
        assert [r["Id"] for r in row["Resources"]] == [i for i, _, _ in shown]


def test_set_a_quota(em: EmClient) -> None:
    """A new quota shows at once; a quota must be positive (400 Veeam Error otherwise)."""
    tenant_id = next(iter(em.em.world.tenants))
    resource_id, _, used = quotas(em, tenant_id)[0]
    answer = em.control("PUT", f"/mock/billing/resources/{resource_id}/quota", json={"Quota": 1024})
    assert answer.status_code == 200 and answer.json()["Quota"] == 1024
    assert quotas(em, tenant_id)[0] == (resource_id, 1024, used)
    for bad in (0, -5, "lots"):
        refused = em.control("PUT", f"/mock/billing/resources/{resource_id}/quota", json={"Quota": bad})
        assert refused.status_code == 400, refused.text
    missing = em.control("PUT", f"/mock/billing/resources/{UNKNOWN}/quota", json={"Quota": 10})
    assert missing.status_code == 404
    assert missing.json()["Message"] == f"Cloud tenant resource {UNKNOWN} was not found"


def test_fill_past_the_quota_and_keep_following_the_clock(em: EmClient) -> None:
    """Filled to 120 %, a resource is over its quota; a week on, it has moved by what its backups
    added and retention removed in the week."""
    world = em.em.world
    tenant = next(t for t in world.tenants.values() if t.backup_count > 0 and len(tenant_resources(world, t.id)) == 1)
    resource_id, quota, _ = quotas(em, tenant.id)[0]
    answer = em.control("POST", f"/mock/billing/resources/{resource_id}/fill", json={"Percent": 120})
    assert answer.status_code == 200 and answer.json()["OverQuota"] is True
    assert quotas(em, tenant.id)[0] == (resource_id, quota, round(quota * 1.2))
    before = em.em.world_time
    assert em.control("POST", "/mock/clock/advance", json={"by": "7d"}).status_code == 200
    after = em.em.world_time
    moved = sum(b.used_mb(after) - b.used_mb(before) for b in tenant_backups(tenant))
    assert quotas(em, tenant.id)[0] == (resource_id, quota, round(quota * 1.2) + moved)


def test_add_and_remove_a_resource(em: EmClient) -> None:
    """A second resource takes some of the tenant's backups (the total stays what they hold);
    removing it gives them back. Unknown tenants and resources are not found."""
    world = em.em.world
    tenant = next(t for t in world.tenants.values() if t.backup_count > 1 and len(tenant_resources(world, t.id)) == 1)
    ((first_id, _, total),) = quotas(em, tenant.id)
    body = {"DisplayName": "Cloud Archive 01", "Quota": 2048000}
    added = em.control("POST", f"/mock/billing/tenants/{tenant.id}/resources", json=body)
    assert added.status_code == 201, added.text
    new_id = added.json()["Id"]
    shown = quotas(em, tenant.id)
    assert [i for i, _, _ in shown] == [first_id, new_id] and shown[1][1] == 2048000
    assert sum(u for _, _, u in shown) == total and shown[1][2] > 0
    token = em.logon(*ADMIN)
    assert em.get_as(token, f"/api/cloud/tenants/{tenant.id}/resources/{new_id}").status_code == 200
    assert em.control("DELETE", f"/mock/billing/resources/{new_id}").status_code == 200
    assert quotas(em, tenant.id) == [(first_id, shown[0][1], total)]
    assert em.get_as(token, f"/api/cloud/tenants/{tenant.id}/resources/{new_id}").status_code == 404
    assert em.control("POST", f"/mock/billing/tenants/{UNKNOWN}/resources", json=body).status_code == 404
    assert em.control("DELETE", f"/mock/billing/resources/{UNKNOWN}").status_code == 404


def test_subscribe_and_unsubscribe_a_hardware_plan(em: EmClient) -> None:
    """A subscription shows as a compute resource of the tenant, its VMs of that platform spread
    over both plans; a second subscription to the same plan is refused; ending it removes it."""
    world = em.em.world
    tenant = next(t for t in world.tenants.values() if tenant_compute(world, t.id))
    (first,) = tenant_compute(world, tenant.id)
    plan = world.all("CloudHardwarePlan")[first.plan_id]
    # Two backup servers: the other server's plan of the same platform.
    target = next(p for p in world.all("CloudHardwarePlan").values() if p.platform is plan.platform and p.id != plan.id)
    body = {"CloudHardwarePlanId": str(target.id)}
    answer = em.control("POST", f"/mock/billing/tenants/{tenant.id}/computeResources", json=body)
    assert answer.status_code == 201, answer.text
    new_id = answer.json()["Id"]
    token = em.logon(*ADMIN)
    listed = em.get_as(token, f"/api/cloud/tenants/{tenant.id}/computeResources")
    ids = [e.get("Id") for e in etree.fromstring(listed.content).iterfind("v:CloudTenantComputeResource", NS)]
    assert ids == [str(first.id), new_id]
    again = em.control("POST", f"/mock/billing/tenants/{tenant.id}/computeResources", json=body)
    assert again.status_code == 400
    assert em.control("DELETE", f"/mock/billing/computeResources/{new_id}").status_code == 200
    assert em.get_as(token, f"/api/cloud/tenants/{tenant.id}/computeResources/{new_id}").status_code == 404
    assert em.control("DELETE", f"/mock/billing/computeResources/{new_id}").status_code == 404
