"""What a Cloud Connect usage report does, over generated worlds: list `/api/cloud/tenants`, read
each tenant `?format=Entity`, and sum its backup resources' `Quota` and `UsedQuota`. The sums must
be what the tenant's cloud backups hold (`mock_em.model.usage`), quotas positive and not exceeded,
and a week later the used quota must have moved by exactly what the week's runs added and
retention removed."""

from __future__ import annotations

from datetime import datetime, timedelta
from typing import Any
from uuid import UUID

import pytest
from conftest import ADMIN, EmClient, make_client
from lxml import etree

from mock_em.model.compute import vm_size
from mock_em.model.fixture import parse_time
from mock_em.model.usage import tenant_backups
from mock_em.settings import Settings

WEEK = timedelta(days=7)
NS = {"v": "http://www.veeam.com/ent/v1.0"}


def xml(client: EmClient, token: str, url: str) -> etree._Element:
    """A 200 answer's parsed XML."""
    response = client.get_as(token, url)
    assert response.status_code == 200, response.text[:300]
    return etree.fromstring(response.content)


def report(client: EmClient, token: str) -> dict[UUID, list[tuple[int, int]]]:
    """Each tenant's backup resources as a billing script reads them: (Quota, UsedQuota) in MB."""
    found: dict[UUID, list[tuple[int, int]]] = {}
    for ref in xml(client, token, "/api/cloud/tenants").iterfind("v:Ref", NS):
        href = str(ref.get("Href"))
        entity = xml(client, token, href[href.index("/api/") :] + "?format=Entity")
        quotas = entity.iterfind("v:Resources/v:CloudTenantResource/v:RepositoryQuota", NS)
        found[UUID(href.rsplit("/", 1)[-1])] = [
            (int(q.findtext("v:Quota", "0", NS)), int(q.findtext("v:UsedQuota", "0", NS))) for q in quotas
        ]
    return found


def check_replica_storage(client: EmClient, token: str) -> None:
    """Each tenant's `ComputeResourceStats` as a report reads them: storage used is what its
    replicated VMs' disks take, within every storage's limit."""
    world = client.em.world
    for tenant in world.tenants.values():
        entity = xml(client, token, f"/api/cloud/tenants/{tenant.id}?format=Entity")
        stats = entity.findall("v:ComputeResources/v:CloudTenantComputeResource/v:ComputeResourceStats", NS)
        storages = [s for st in stats for s in st.iterfind("v:StorageResourceStats/v:StorageResourceStat", NS)]
        used = [int(s.findtext("v:StorageUsageGb", "0", NS)) for s in storages]
        limits = [int(s.findtext("v:StorageLimitGb", "0", NS)) for s in storages]
        assert all(0 <= u <= limit for u, limit in zip(used, limits, strict=True)), tenant.name
        disks = [vm_size(r.id, vm).disk_gb for r in world.replicas.values() if r.tenant_id == tenant.id for vm in r.vms]
        assert sum(used) == sum(disks), tenant.name


def control(client: EmClient, method: str, path: str, **kwargs: Any) -> Any:
    """A control-plane call's JSON (the control plane is mock-em's own, not EM's: no schema hook)."""
    response = client.control(method, path, **kwargs)
    assert response.status_code == 200, response.text
    return response.json()


def clock_now(client: EmClient) -> datetime:
    """The clock as the control plane shows it."""
    return parse_time(control(client, "GET", "/mock/clock")["now"])


@pytest.mark.parametrize("seed", [1, 42, 2026])
def test_a_billing_report_adds_up_and_follows_the_clock(seed: int) -> None:
    """For every tenant: at least one resource, every quota positive, used quota within it, the
    sum of used quotas what the tenant's `BackupCount` cloud backups hold; after a week, each
    tenant's used quota has grown by the week's new points less what retention removed."""
    client = make_client(Settings(seed=seed, tenants=10, backup_servers=2))
    try:
        token = client.logon(*ADMIN)
        world = client.em.world
        before_time = clock_now(client)
        before = report(client, token)
        assert set(before) == set(world.tenants)
        for tenant_id, resources in before.items():
            tenant = world.tenants[tenant_id]
            assert resources, f"{tenant.name} has no backup resource: a report would divide by zero"
            assert all(quota > 0 and 0 <= used <= quota for quota, used in resources), tenant.name
            held = sum(b.used_mb(before_time) for b in tenant_backups(tenant))
            assert sum(used for _, used in resources) == held, tenant.name
            assert (held > 0) == (tenant.backup_count > 0), tenant.name
        control(client, "POST", "/mock/clock/advance", json={"by": "7d"})
        after_time = clock_now(client)
        assert after_time - before_time == WEEK
        after = report(client, client.logon(*ADMIN))  # a week idle: the session is long gone
        grew = 0
        for tenant_id, resources in after.items():
            tenant = world.tenants[tenant_id]
            assert all(0 <= used <= quota for quota, used in resources), tenant.name
            added = removed = 0
            for backup in tenant_backups(tenant):
                old, new = dict(backup.points(before_time)), dict(backup.points(after_time))
                week_runs = [day for day in new if day not in old]
                assert len(week_runs) == 7  # one nightly run a day
                added += sum(new[day] for day in week_runs)
                removed += sum(size for day, size in old.items() if day not in new)
            delta = sum(u for _, u in resources) - sum(u for _, u in before[tenant_id])
            assert delta == added - removed, tenant.name
            grew += added > 0
        assert grew == sum(1 for t in world.tenants.values() if t.backup_count > 0)
        check_replica_storage(client, client.logon(*ADMIN))
    finally:
        client.close()
