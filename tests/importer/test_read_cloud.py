"""The Cloud Connect families and backup servers read back: serve a world A, import it, serve the
imported world as B at the same frozen instant; every answer of B for these families (lists and
items in both forms, sub-collections, a plan's VMs, a tenant's nested resources, the query service's
entities and references) is A's, byte for byte, in XML and JSON.

Only these families' answers are compared: the other families' readers are not in question here.
"""

from __future__ import annotations

import copy
import sys
import uuid
from collections.abc import Iterator
from dataclasses import replace
from datetime import timedelta
from pathlib import Path
from typing import Any

import pytest
from conftest import BASE, SEED_FIXTURE, START, EmClient, check_response

sys.path.insert(0, str(Path(__file__).parent))
from served import imported

from mock_em.app import create_app
from mock_em.model.clock import Clock
from mock_em.model.enterprise_manager import EnterpriseManager
from mock_em.model.entities import Platform
from mock_em.model.world import World
from mock_em.resources import FAMILIES, NESTED
from mock_em.settings import Settings

JSON = {"Accept": "application/json"}
XML = {"Accept": "application/xml"}
CLOUD = ("BackupServer", "CloudTenant", "CloudReplica", "CloudVmReplicaPoint", "CloudHardwarePlan",
         "CloudGateway", "CloudPublicIpAddress", "CloudFailoverPlan")  # fmt: skip


def served(world: World, settings: Settings) -> EmClient:
    """B: an EM over an imported world, with A's settings and A's frozen instant."""
    em = EnterpriseManager.create(
        world,
        settings.accounts,
        seed=settings.seed,
        clock=Clock(START, frozen=True),
        machine_name=settings.machine_name,
        deterministic_sessions=settings.deterministic_sessions,
        instants=settings.profile.instants,
    )
    client = EmClient(create_app(em, settings), base_url=BASE)
    client.em = em
    client.event_hooks = {"request": [], "response": [check_response]}
    return client


def urls(world: World) -> Iterator[str]:
    """Every answer of the Cloud Connect families the admin may ask for in this world."""
    for family in FAMILIES:
        if family.name not in CLOUD:
            continue
        path = f"/api{family.path}"
        yield path
        yield f"{path}?format=Entity"
        for obj in world.all(family.name).values():
            yield f"{path}/{obj.id}"
            yield f"{path}/{obj.id}?format=Entity"
            for sub in family.subs:
                if sub.family in CLOUD:
                    yield f"{path}/{obj.id}/{sub.segment}"
            if family.members is not None:
                yield f"{path}/{obj.id}/{family.members.segment}"
                for member in family.members.of(obj):
                    yield f"{path}/{obj.id}/{family.members.segment}/{member.id}"
        if family.kind.query is not None:
            yield f"/api/query?type={family.name}"
            for form in ("Entities", "Refs"):
                yield f"/api/query?type={family.name}&format={form}&pageSize=500"
    for nested in NESTED:
        for obj in world.all(nested.name).values():
            yield f"/api/cloud/tenants/{obj.tenant_id}/{nested.segment}"
            yield f"/api/cloud/tenants/{obj.tenant_id}/{nested.segment}/{obj.id}"


def differences(a: EmClient, b: EmClient, token_a: str, token_b: str, addresses: Iterator[str]) -> list[str]:
    """The answers (XML and JSON) in which B differs from A."""
    found = []
    for url in dict.fromkeys(addresses):
        for headers in (XML, JSON):
            left, right = a.get_as(token_a, url, headers=headers), b.get_as(token_b, url, headers=headers)
            if (left.status_code, left.content) != (right.status_code, right.content):
                found.append(f"{headers['Accept']} {url}: {left.status_code} {right.status_code}")
    return found


def round_trip(settings: Settings) -> tuple[EmClient, EmClient, list[str]]:
    """A over `settings`, B over its import, and the import's warnings."""
    from conftest import make_client

    a = make_client(settings)
    world, warnings = imported(a)
    return a, served(world, settings), warnings


SHOWN_WHOLE = ("CloudVmReplicaPoint", "CloudGateway", "CloudPublicIpAddress", "CloudFailoverPlan",
               "CloudTenantResource", "CloudTenantComputeResource")  # fmt: skip


def assert_read_back(source: World, read: World) -> None:
    """The objects read are the source's, but for what is shown nowhere: a tenant's password, a
    replica's schedule and retention, a server's own version where the release shows its own, a
    Hyper-V plan's host beyond the name its tenants' appliances show and its volumes' references.
    A replica's tenant and VMs, a failover plan's VMs' replicas and a quota's fill offset are
    recovered."""
    for name in SHOWN_WHOLE:
        assert list(read.all(name).items()) == list(source.all(name).items()), name
    for tenant in source.tenants.values():
        assert replace(read.tenants[tenant.id], password=tenant.password) == tenant
    for replica in source.replicas.values():
        got = read.replicas[replica.id]
        assert replace(got, schedule=replica.schedule, retention=replica.retention) == replica
    for plan in source.all("CloudHardwarePlan").values():
        got = read.all("CloudHardwarePlan")[plan.id]
        hidden = {"parent_name": plan.parent_name}
        if plan.platform is Platform.HyperV:  # a volume shows no reference
            pairs = zip(got.storages, plan.storages, strict=True)
            hidden["storages"] = [replace(g, reference=s.reference) for g, s in pairs]
        assert replace(got, **hidden) == plan
        subscribed = any(c.plan_id == plan.id for c in source.all("CloudTenantComputeResource").values())
        if plan.platform is Platform.HyperV and subscribed:
            assert got.parent_name == plan.parent_name.split(".")[0]
    assert list(read.backup_servers) == list(source.backup_servers)


WORLDS: dict[str, dict[str, Any]] = {
    "generated": {},
    "seed5": {"seed": 5},
    "seed-sample": {"fixture": str(SEED_FIXTURE)},
}


@pytest.mark.parametrize("release", ["9.5u4", "12"])
@pytest.mark.parametrize("world", list(WORLDS))
def test_cloud_answers_round_trip(world: str, release: str) -> None:
    """Every Cloud Connect answer of the imported world is the source's."""
    settings = Settings(release=release, **WORLDS[world])
    a, b, _ = round_trip(settings)
    try:
        assert differences(a, b, a.logon(), b.logon(), urls(a.em.world)) == []
        assert_read_back(a.em.world, b.em.world)
    finally:
        a.close()
        b.close()


@pytest.mark.parametrize("release", ["9.5u4", "12"])
def test_cloud_answers_of_a_wide_world_round_trip(release: str) -> None:
    """Many tenants on several servers, jobs with two VMs each (several tenants per server: a
    replica's tenant is found by its failover plan or its name, not by its server alone), leased
    and throttled tenants, plans with two storages."""
    size = {"backup_servers": 3, "tenants": 12, "replicas_per_tenant": 3, "vms_per_replica": 2, "points_per_vm": 2}
    settings = Settings(release=release, **size)
    a, b, warnings = round_trip(settings)
    try:
        assert warnings == []
        assert differences(a, b, a.logon(), b.logon(), urls(a.em.world)) == []
        assert_read_back(a.em.world, b.em.world)
    finally:
        a.close()
        b.close()


def test_a_changed_hidden_input_shows() -> None:
    """The comparison sees what the hidden inputs decide: B with one VM fewer in a job shows
    another `VmCount` and other compute stats."""
    a, b, _ = round_trip(Settings(release="12"))
    try:
        replica = next(iter(b.em.world.replicas.values()))
        replica.vms.pop()
        b.em.world.changed()
        found = differences(a, b, a.logon(), b.logon(), urls(a.em.world))
        assert any(f"/api/cloud/tenants/{replica.tenant_id}?format=Entity" in line for line in found), found
    finally:
        a.close()
        b.close()


@pytest.mark.parametrize("release", ["9.5u4", "12"])
def test_a_filled_quota_follows_the_clock_alike(release: str) -> None:
    """A quota filled through the control plane (a fill offset, shown nowhere) is recovered from
    `UsedQuota`: a day and a week later, B's backup resources use what A's do."""
    from conftest import make_client

    from mock_em.model.usage import fill_to

    settings = Settings(release=release)
    a = make_client(settings)
    resource = next(iter(a.em.world.all("CloudTenantResource").values()))
    fill_to(a.em.world, resource, 97.5, START)
    world, _ = imported(a)
    b = served(world, settings)
    offsets = {i: r.fill_offset_mb for i, r in b.em.world.all("CloudTenantResource").items()}
    assert offsets == {i: r.fill_offset_mb for i, r in a.em.world.all("CloudTenantResource").items()}
    assert offsets[resource.id] != 0
    resources = [f"/api/cloud/tenants/{r.tenant_id}/resources" for r in a.em.world.all("CloudTenantResource").values()]
    try:
        for days in (0, 1, 7):
            for client in (a, b):
                client.em.clock.set(START + timedelta(days=days))
                client.em.catch_up()
            assert differences(a, b, a.logon(), b.logon(), iter(resources)) == []
    finally:
        a.close()
        b.close()


def test_a_replica_of_a_tenant_no_point_names_is_warned_of() -> None:
    """A VM without points is shown nowhere but in its tenant's `VmCount`: the import says so."""
    from conftest import make_client

    from mock_em.model.entities import Vm

    a = make_client(Settings())
    replica = next(iter(a.em.world.replicas.values()))
    a.em.world.add_vm(replica.id, Vm("lonely"))
    _, warnings = imported(a)
    tenant = a.em.world.tenants[replica.tenant_id]
    assert any(tenant.name in w and "VMs" in w for w in warnings), warnings
    a.close()


@pytest.mark.parametrize("world", list(WORLDS))
def test_a_world_read_from_12_serves_13_alike(world: str) -> None:
    """13 writes camelCase JSON, which this crawl does not read: the world is read through 12's
    entities at the same instant, and B serving 13 answers as A serving 13, in XML and JSON."""
    from conftest import make_client

    a12 = make_client(Settings(release="12", **WORLDS[world]))
    a13 = make_client(Settings(release="13", **WORLDS[world]))
    world_read, _ = imported(a12)
    b = served(world_read, Settings(release="13", **WORLDS[world]))
    try:
        assert differences(a13, b, a13.logon(), b.logon(), urls(a13.em.world)) == []
    finally:
        for client in (a12, a13, b):
            client.close()


def test_replicas_nothing_ties_to_a_tenant_are_shared_out_by_vm_count() -> None:
    """Jobs named after no tenant, with no failover plan, on a server of several tenants: each goes
    to a tenant whose `VmCount` still misses as many VMs (a guess, warned of), so every tenant's
    `VmCount` and `ReplicaCount` are the source's."""
    from conftest import make_client

    a = make_client(Settings())
    world = a.em.world
    for n, replica in enumerate(world.replicas.values(), start=1):
        replica.name = f"Replication Job {n}"
    for plan_id in list(world.all("CloudFailoverPlan")):
        world.remove("CloudFailoverPlan", plan_id)
    world.changed()
    read, warnings = imported(a)
    assert sum("by its VM count" in w for w in warnings) == len(world.replicas)
    for tenant in world.tenants.values():
        assert read.tenant_vm_count(tenant.id) == world.tenant_vm_count(tenant.id)
    read.check()
    a.close()


def test_entities_a_source_writes_otherwise_are_left_out_or_defaulted() -> None:
    """Members missing, null or of another type make a default or leave the one object out with a
    warning; the import goes on and its world holds together."""
    from mock_em.importer.build import build_world
    from mock_em.importer.entity import Entity

    def uid(kind: str, n: int) -> str:
        return f"urn:veeam:{kind}:9d1c3c55-0000-4000-8000-{n:012d}"

    up = [{"Rel": "Up", "Type": "BackupServerReference", "Href": f"{BASE}/api/backupServers/{uid('', 1)[-36:]}"}]
    vm = {"FailoverPlanVMId": uid("", 9)[-36:], "Name": "srv01", "Order": 0}
    resource = {"Id": uid("", 3)[-36:]}  # no quota
    entities = {
        "BackupServer": [
            Entity({"UID": uid("BackupServer", 1), "Name": "vbr", "Port": "not a port"}),
            Entity({"UID": uid("BackupServer", 1)}),
        ],
        "CloudTenant": [
            Entity(
                {
                    "UID": uid("CloudTenant", 2),
                    "Links": up,
                    "Resources": {"CloudTenantResources": [resource]},
                    "LastActive": "1753-01-01T00:00:00Z",
                    "VmCount": None,
                }
            ),
            Entity({"Name": "no id"}),
        ],
        "CloudReplica": [Entity({"UID": uid("CloudReplica", 4), "Platform": "Xen", "Links": up})],
        "CloudVmReplicaPoint": [Entity({"UID": uid("CloudVmReplicaPoint", 5)})],
        "CloudHardwarePlan": [Entity({"UID": uid("CloudHardwarePlan", 6)})],
        "CloudPublicIpAddress": [Entity({"UID": uid("CloudPublicIpAddress", 7)})],
        "CloudFailoverPlan": [
            Entity(
                {
                    "UID": uid("CloudFailoverPlan", 8),
                    "TenantUid": uid("CloudTenant", 2),
                    "CloudFailoverPlanInfo": {"Includes": {"CloudFailoveredVms": [vm]}},
                }
            )
        ],
    }
    world, warnings = build_world(entities, "12")
    left_out = {w.split(":")[0] for w in warnings if "left out" in w}
    assert left_out >= {
        "backup servers",
        "cloud tenants",
        "backup resources",
        "cloud replicas",
        "cloud VM replica points",
        "cloud hardware plans",
        "cloud public IP addresses",
    }, warnings
    tenant = next(iter(world.tenants.values()))
    assert tenant.last_active is None and tenant.name == "" and not world.replicas
    assert [plan.vms for plan in world.all("CloudFailoverPlan").values()] == [[]]  # its VM names no replica
    world.check()


def test_a_vm_added_by_name_keeps_its_place_and_stats_are_checked() -> None:
    """A VM named out of the provider's numbering, added last to a job its tenant's failover plan
    covers, stays last (the plan orders the others), so its tenant's compute stats come out as
    shown; stats the model would compute otherwise are warned of."""
    from conftest import make_client
    from served import entities_of

    from mock_em.importer.build import build_world
    from mock_em.importer.entity import Entity
    from mock_em.model.entities import CloudVmReplicaPoint, Vm

    a = make_client(Settings(seed=5))
    world = a.em.world
    plan = next(iter(world.all("CloudFailoverPlan").values()))
    replica = world.replicas[plan.vms[0].replica_id]
    world.add_vm(replica.id, Vm("aaa-web"))
    world.add_point(CloudVmReplicaPoint(uuid.uuid4(), replica.id, "aaa-web", START - timedelta(hours=1)))
    read, warnings = imported(a)
    assert [vm.name for vm in read.replicas[replica.id].vms] == [vm.name for vm in replica.vms]
    assert not any(w.startswith("compute resources:") for w in warnings), warnings

    entities = entities_of(a, a.logon())
    tenant = next(e for e in entities["CloudTenant"] if e.id == replica.tenant_id)
    data = copy.deepcopy(tenant.data)
    shown = data["ComputeResources"]["CloudTenantComputeResources"][0]
    shown["ComputeResourceStats"]["CPUCount"] += 1
    entities["CloudTenant"] = [Entity(data) if e.id == tenant.id else e for e in entities["CloudTenant"]]
    _, warnings = build_world(entities, "9.5u4")
    plan_id = read.all("CloudTenantComputeResource")[uuid.UUID(shown["Id"])].plan_id
    hardware = world.all("CloudHardwarePlan")[plan_id]
    assert [w for w in warnings if w.startswith("compute resources:")] == [
        f"compute resources: {world.tenants[replica.tenant_id].name!r}'s on {hardware.name!r} shows other stats"
    ]
    a.close()
