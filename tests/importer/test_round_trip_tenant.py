"""A Cloud Connect tenant's account importing what it may see: serve a generated world A, import
it with `mock-em import --tenant` as one of its tenants, serve the fixture as B at the same
instant, log on to B as that tenant (with the password the import derives from its id: EM never
shows one), and compare what B answers it with what A answers it.

The fixture holds that tenant alone, with its replicas, their points, its failover plans and public
IP addresses, and the hardware plans it subscribes to; nothing of another tenant. The families a
tenant may not read (backup servers, tenants, jobs, the catalogue, …) are left out, each with one
warning, and the import still succeeds.
"""

from __future__ import annotations

import base64
import json
import re
import uuid
from pathlib import Path
from typing import Any

import pytest
from conftest import EmClient, make_client
from skeleton import leaks, token_pattern
from test_read_cloud import XML, urls
from test_read_cloud_tenant import tenant_logon
from test_round_trip import AT, SMALL

from mock_em.cli import main
from mock_em.importer.crawl import importable
from mock_em.model.access import owner
from mock_em.model.clock import Clock
from mock_em.model.entities import CloudTenant
from mock_em.model.kinds import kind
from mock_em.model.world import World
from mock_em.releases import profile
from mock_em.resources.cloud_import import tenant_password
from mock_em.settings import Settings
from mock_em.testing.server import MockEmServer

JSON = {"Accept": "application/json"}
NOT_READ = re.compile(r"warning: (.+?): not read \(403")
OWN = {
    "CloudReplicas": "CloudReplica",
    "CloudVmReplicaPoints": "CloudVmReplicaPoint",
    "CloudFailoverPlans": "CloudFailoverPlan",
    "CloudPublicIpAddresses": "CloudPublicIpAddress",
}
WORLDS = [
    pytest.param({}, "12", id="generated-12"),
    pytest.param({"seed": 5, **SMALL}, "13", id="seed5-13"),
]


def answer(client: EmClient, token: str, url: str, headers: dict[str, str]) -> tuple[int, str]:
    """An answer's status and body, the session's own id (an EM's, never the world's) as `SESSION`."""
    response = client.get_as(token, url, headers=headers)
    return response.status_code, response.text.replace(base64.b64decode(token).decode(), "SESSION")


def swapped(text: str, ids: dict[str, str]) -> str:
    """The text with each id replaced by the one it stands for."""
    for new, old in ids.items():
        text = text.replace(new, old)
    return text


def without_appliance(node: Any) -> Any:
    """A JSON answer without its compute resources' `NetworkAppliance` (in either notation)."""
    if isinstance(node, dict):
        return {k: without_appliance(v) for k, v in node.items() if k.lower() != "networkappliance"}
    if isinstance(node, list):
        return [without_appliance(item) for item in node]
    return node


def own_ids(world: World, tenant_id: uuid.UUID, name: str) -> set[str]:
    """The ids (as text) of a kind's objects that belong to the tenant."""
    return {str(o.id) for o in world.all(name).values() if owner(world, kind(name), o) == tenant_id}


def chosen(world: World) -> CloudTenant:
    """The tenant that owns most kinds of object: one with failover plans shows its own name and
    id through them, one with public IP addresses shows its id."""

    def owns(tenant: CloudTenant) -> tuple[int, ...]:
        return tuple(int(bool(own_ids(world, tenant.id, name))) for name in OWN.values())

    return max(world.tenants.values(), key=owns)


def import_as_tenant(world: dict[str, Any], release: str, tenant: CloudTenant, out: Path) -> None:
    """Serve the world as A and import it with the tenant's own credentials (`--tenant`)."""
    password = out.parent / "password"
    password.write_text(tenant.password + "\n", encoding="utf-8")
    settings = Settings(host="127.0.0.1", port=0, clock=AT.isoformat(), release=release, **world)
    with MockEmServer(settings) as source:
        argv = ["import", "--from", source.url, "--user", tenant.username, "--tenant"]
        argv += ["--password-file", str(password), "--out", str(out), "--rate", "1000", "--quiet"]
        assert main(argv) == 0


def refused(client: EmClient, token: str, release: str) -> set[str]:
    """The families the import reads that A refuses the tenant (403), by plural noun."""
    found = set()
    for family in importable(profile(release)):
        name = family.kind.name
        url = f"/api/query?type={name}&format=Entities" if family.kind.query else f"/api{family.path}?format=Entity"
        if client.get_as(token, url, headers=JSON).status_code == 403:
            found.add(family.kind.plural)
    return found


def others(world: World, tenant: CloudTenant) -> set[str]:
    """What names or identifies the other tenants: their names, user names, contacts, the names of
    their replicas, failover plans and VMs (those the tenant's replicas do not share), their
    public addresses, and the ids of all of it."""
    found: set[str] = set()
    mine = {vm.name for r in world.replicas.values() if r.tenant_id == tenant.id for vm in r.vms}
    for other in world.tenants.values():
        if other.id == tenant.id:
            continue
        found |= {other.name, other.username, str(other.id)}
        if "Contact: " in other.description:
            found |= {part.strip() for part in other.description.split("Contact: ", 1)[1].split(",")}
        for name in OWN.values():
            for obj in world.all(name).values():
                if owner(world, kind(name), obj) == other.id:
                    found.add(str(obj.id))
                    found.add(getattr(obj, "ip_address", None) or getattr(obj, "name", ""))
        for replica in world.replicas.values():
            if replica.tenant_id == other.id:
                found |= {vm.name for vm in replica.vms if vm.name not in mine}
    return {value for value in found if value}


@pytest.mark.parametrize(("world", "release"), WORLDS)
def test_a_tenant_imports_what_it_may_see(
    world: dict[str, Any], release: str, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    a = make_client(Settings(release=release, **world), Clock(AT, frozen=True))
    b: EmClient | None = None
    try:
        tenant = chosen(a.em.world)
        fixture = tmp_path / "tenant.json"
        import_as_tenant(world, release, tenant, fixture)
        warnings = capsys.readouterr().err.splitlines()
        token_a = tenant_logon(a, tenant.username, tenant.password)

        # Each family A refuses the tenant is left out with one warning; nothing else is refused.
        said = [m.group(1) for line in warnings if (m := NOT_READ.search(line))]
        not_read = set(said)
        assert not_read == refused(a, token_a, release)
        assert {"backup servers", "cloud tenants", "jobs"} <= not_read
        assert len(said) == len(not_read)

        # The fixture: the tenant alone (as its failover plans name it), on a stand-in of its server.
        text = fixture.read_text(encoding="utf-8")
        data = json.loads(text)
        assert [(t["Id"], t["Name"]) for t in data["CloudTenants"]] == [(str(tenant.id), tenant.name)]
        for section, name in OWN.items():
            assert {o["Id"] for o in data[section]} == own_ids(a.em.world, tenant.id, name), section
        assert data["CloudVmReplicaPoints"] and data["CloudReplicas"]
        computes = a.em.world.all("CloudTenantComputeResource").values()
        plans = {str(c.plan_id) for c in computes if c.tenant_id == tenant.id}
        assert {p["Id"] for p in data["CloudHardwarePlans"]} == plans
        assert {c["CloudHardwarePlanId"] for c in data["CloudTenantComputeResources"]} == plans
        # Its backup resources are nested in the tenant's entity, which it may not read.
        assert data["CloudTenantResources"] == []
        assert [s["Id"] for s in data["BackupServers"]] == [str(tenant.backup_server_id)]
        assert not data["Jobs"] and not data["Repositories"] and not data["CloudGateways"]
        assert leaks(token_pattern(others(a.em.world, tenant)), text) == set()

        # B answers the tenant (with its derived password) as A does, byte for byte, but for what
        # the import does not read: the session's own id (the service document links it Up: an
        # EM's, not the world's), and the tenant's compute resources. Those are nested in the
        # tenant's entity, which the tenant may not read, so the import makes one per hardware
        # plan it reads, under an id drawn from the tenant's and the plan's, with the default
        # network appliance (its `ProductionNetwork`, and the host a Hyper-V plan's appliance name
        # ends with). A's and B's are paired by their plan; their ids aside, they must show the
        # same plan, platform and `ComputeResourceStats` (the use the replicas' VMs make).
        b = make_client(Settings.from_sources({"fixture": str(fixture)}, environ={}), Clock(AT, frozen=True))
        imported = next(iter(b.em.world.tenants.values()))
        assert imported.id == tenant.id
        token_b = tenant_logon(b, imported.username, tenant_password(imported.id))
        renamed = {
            str(mine.id): str(theirs.id)
            for mine in b.em.world.all("CloudTenantComputeResource").values()
            for theirs in a.em.world.all("CloudTenantComputeResource").values()
            if theirs.tenant_id == tenant.id and theirs.plan_id == mine.plan_id
        }
        assert len(renamed) == len(plans)
        differ = []
        for url in dict.fromkeys(["/api/cloud", *urls(b.em.world)]):
            if "/computeResources" in url:
                left_json = without_appliance(a.get_as(token_a, swapped(url, renamed), headers=JSON).json())
                right_json = without_appliance(json.loads(swapped(answer(b, token_b, url, JSON)[1], renamed)))
                if left_json != right_json:
                    differ.append(f"compute resources {url}")
                continue
            for headers in (XML, JSON):
                left = answer(a, token_a, swapped(url, renamed), headers)
                right = answer(b, token_b, url, headers)
                if left != (right[0], swapped(right[1], renamed)):
                    differ.append(f"{headers['Accept']} {url}: {left[0]} {right[0]}")
        assert differ == []

        # Its backup resources (quotas on the provider's repositories): A lists them to the tenant;
        # B has none to list, as the import reads no tenant's entity, where they are nested, and
        # no repository. Both answer the same list, empty in B.
        resources = f"/api/cloud/tenants/{tenant.id}/resources"
        listed = [c.get_as(t, resources, headers=JSON) for c, t in ((a, token_a), (b, token_b))]
        assert [r.status_code for r in listed] == [200, 200]
        held = [next(iter(r.json().values())) for r in listed]  # `CloudTenantResources`, in either notation
        assert held[0] and held[1] == []
    finally:
        a.close()
        if b is not None:
            b.close()
