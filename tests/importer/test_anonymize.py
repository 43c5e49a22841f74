"""The anonymizer over real fixtures: the seed sample, the default generated world and another
seed's. No original name, address, account, contact or GUID may be left anywhere in the result
or its report; everything else is kept exactly; the names stay consistent across families; and
the result is still a world mock-em loads and serves, with the tenants' new credentials."""

from __future__ import annotations

import json
import os
import re
import subprocess
import sys
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import pytest
from conftest import ROOT, SEED_FIXTURE, START, EmClient

from mock_em.importer.anonymize import anonymize
from mock_em.model.clock import Clock
from mock_em.model.fixture import world_from_dict, world_to_dict
from mock_em.server import build_em
from mock_em.settings import Settings

GUID = re.compile(r"[0-9a-fA-F]{8}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{12}")
CONTACT = re.compile(r"Contact: ([^,]+), (.+)$")
HOST_SECTIONS = ("BackupServers", "ManagedServers", "CloudGateways", "HierarchyRoots", "DiscoveredComputers")
NAMED_JOBS = ("Jobs", "CloudReplicas", "CloudFailoverPlans")
COLLECTIONS = (
    "/api/cloud/tenants",
    "/api/cloud/replicas",
    "/api/cloud/vmReplicaPoints",
    "/api/cloud/gateways",
    "/api/cloud/publicIpAddresses",
    "/api/backupServers",
    "/api/jobs",
    "/api/repositories",
    "/api/managedServers",
    "/api/hierarchyRoots",
)


def generated(**settings: Any) -> dict[str, Any]:
    em = build_em(Settings(**settings), Clock(START, frozen=True))
    return world_to_dict(em.world, em.seed)


WORLDS: dict[str, Callable[[], dict[str, Any]]] = {
    "seed-sample": lambda: json.loads(SEED_FIXTURE.read_text(encoding="utf-8")),
    "default": generated,
    "seed-7": lambda: generated(seed=7),
}


@pytest.fixture(params=list(WORLDS), scope="module")
def world(request: pytest.FixtureRequest) -> dict[str, Any]:
    return WORLDS[request.param]()


@pytest.fixture(scope="module")
def done(world: dict[str, Any]) -> tuple[dict[str, Any], dict[str, Any]]:
    return anonymize(world, 7)


def strings(node: Any, path: tuple[str, ...] = ()) -> Iterator[tuple[tuple[str, ...], str]]:
    """Every string in a fixture with the keys down to it."""
    if isinstance(node, dict):
        for key, value in node.items():
            yield from strings(value, (*path, key))
    elif isinstance(node, list):
        for item in node:
            yield from strings(item, path)
    elif isinstance(node, str):
        yield path, node


def originals(data: dict[str, Any]) -> set[str]:
    """Every value that identifies the provider or a customer, found independently of the
    anonymizer's rules: names, hosts (whole and their first label), addresses, accounts,
    passwords, contacts and GUIDs."""
    found: set[str] = set()
    for tenant in data["CloudTenants"]:
        found |= {tenant["Name"], tenant["Username"], tenant["Password"]}
        contact = CONTACT.search(tenant["Description"])
        if contact:
            found |= set(contact.groups())
    for section in NAMED_JOBS:
        found |= {job["Name"] for job in data[section]}
    for section in ("Jobs", "CloudReplicas"):
        found |= {vm[key] for job in data[section] for vm in job["Vms"] for key in ("Name", "DisplayName")}
    found |= {point["VmName"] for point in data["CloudVmReplicaPoints"]}
    hosts = {item["Name"] for section in HOST_SECTIONS for item in data[section]}
    hosts |= {plan["ParentName"] for plan in data["CloudHardwarePlans"]}
    hosts |= {c["IpAddress"] for c in data["DiscoveredComputers"]} | {
        a["IpAddress"] for a in data["CloudPublicIpAddresses"]
    }
    found |= hosts | {h.split(".")[0] for h in hosts if not h[0].isdigit()}
    found |= {m.group(0).lower() for _, text in strings(data) for m in GUID.finditer(text)}
    return {value for value in found if value}


def test_no_original_is_left(world: dict[str, Any], done: tuple[dict[str, Any], dict[str, Any]]) -> None:
    result, report = done
    text, said = json.dumps(result).lower(), json.dumps(report).lower()
    plain = GUID.sub("", text)  # a short name may be in a new GUID's hex digits by chance (`db17`)
    left = sorted(
        value
        for value in originals(world)
        if value.lower() in (text if GUID.fullmatch(value) else plain) or value.lower() in said
    )
    assert left == []


def test_same_seed_same_bytes_other_seed_other_names(world: dict[str, Any]) -> None:
    first, again, other = anonymize(world, 7), anonymize(world, 7), anonymize(world, 8)
    assert json.dumps(first) == json.dumps(again)
    names = [{t["Name"] for t in made[0]["CloudTenants"]} for made in (first, other)]
    assert names[0].isdisjoint(names[1])
    assert first[0]["CloudTenants"][0]["Id"] != other[0]["CloudTenants"][0]["Id"]


def test_same_bytes_in_another_process() -> None:
    """Nothing depends on the process: not string hashing, not the order of a set."""
    code = (
        "import json, sys; from mock_em.importer.anonymize import anonymize; "
        "print(json.dumps(anonymize(json.load(open(sys.argv[1])), 7)))"
    )
    runs = {
        subprocess.run(
            [sys.executable, "-c", code, str(SEED_FIXTURE)],
            env={**os.environ, "PYTHONHASHSEED": hashing},
            cwd=ROOT,
            capture_output=True,
            text=True,
            check=True,
        ).stdout
        for hashing in ("1", "2")
    }
    assert len(runs) == 1
    here = anonymize(json.loads(SEED_FIXTURE.read_text(encoding="utf-8")), 7)
    assert runs.pop().strip() == json.dumps(list(here))


def compare(before: Any, after: Any, path: str, names: set[str]) -> None:
    """The same shape, and every value that holds no name (numbers, times, states, text without
    a name in it) equal."""
    assert type(before) is type(after), path
    if isinstance(before, dict):
        assert list(before) == list(after), path
        for key in before:
            compare(before[key], after[key], f"{path}.{key}", names)
    elif isinstance(before, list):
        assert len(before) == len(after), path
        for i, (one, two) in enumerate(zip(before, after, strict=True)):
            compare(one, two, f"{path}[{i}]", names)
    elif isinstance(before, str):
        if not any(name.lower() in before.lower() for name in names):
            assert before == after, path
        else:
            assert before != after, path
    else:
        assert before == after, path


def test_structure_and_values_without_names_are_kept(
    world: dict[str, Any], done: tuple[dict[str, Any], dict[str, Any]]
) -> None:
    result, _ = done
    compare(world, result, "", originals(world))


def test_names_are_consistent_and_references_resolve(
    world: dict[str, Any], done: tuple[dict[str, Any], dict[str, Any]]
) -> None:
    result, _ = done
    tenants = {t["Id"]: t["Name"] for t in result["CloudTenants"]}
    old_tenants = {t["Id"]: t["Name"] for t in world["CloudTenants"]}
    assert len(set(tenants.values())) == len(tenants)
    for old, new in zip(world["CloudReplicas"], result["CloudReplicas"], strict=True):
        if old["Name"].startswith(old_tenants[old["TenantId"]]):
            assert new["Name"].startswith(tenants[new["TenantId"]] + " ")
    for tenant in result["CloudTenants"]:
        assert tenant["Username"] == tenant["Name"]
    vms = {r["Id"]: {vm["Name"] for vm in r["Vms"]} for r in result["CloudReplicas"]}
    for point in result["CloudVmReplicaPoints"]:
        assert point["VmName"] in vms[point["ReplicaId"]] and point["VmDisplayName"] == point["VmName"]
    for plan in result["CloudFailoverPlans"]:
        for vm in plan["Includes"]:
            assert vm["Name"] in vms[vm["ReplicaId"]]
    # Every GUID maps to one GUID, and every reference names the object at the same place.
    pairs = {
        (a.lower(), b.lower())
        for (_, old), (_, new) in zip(strings(world), strings(result), strict=True)
        for a, b in zip(GUID.findall(old), GUID.findall(new), strict=True)
    }
    assert len({a for a, _ in pairs}) == len(pairs) == len({b for _, b in pairs})
    assert all(a != b and b[14] == a[14] and b[19] in "89ab" for a, b in pairs)
    where = {
        item["Id"]: (section, i)
        for section, items in result.items()
        if isinstance(items, list)
        for i, item in enumerate(items)
    }
    old_where = {
        item["Id"]: (section, i)
        for section, items in world.items()
        if isinstance(items, list)
        for i, item in enumerate(items)
    }
    for (path, old), (_, new) in zip(strings(world), strings(result), strict=True):
        if path[-1].endswith("Id") and old in old_where:
            assert where[new] == old_where[old], path


def test_report_counts_by_section_and_key(world: dict[str, Any], done: tuple[dict[str, Any], dict[str, Any]]) -> None:
    _, report = done
    tenants = len(world["CloudTenants"])
    assert report["Seed"] == 7
    counts = report["Sections"]["CloudTenants"]
    assert counts["Name"] == counts["Username"] == counts["Password"] == counts["Id"] == tenants
    assert report["Sections"]["CloudVmReplicaPoints"]["VmName"] == len(world["CloudVmReplicaPoints"])
    assert report["Totals"]["Names"]["tenant"] == tenants
    assert report["Totals"]["Values"] == sum(sum(keys.values()) for keys in report["Sections"].values())
    assert "Times" not in json.dumps(report) and "CreationTimeUTC" not in json.dumps(report)


def drawn_left_out(answer: Any) -> Any:
    """An answer without what the model draws from ids and names rather than reads from the
    fixture: a tenant's compute use adds up its VMs' sizes, each hashed from its replica's id
    and its name (`model.compute.vm_size`), so new ids and names draw other sizes."""
    if isinstance(answer, dict):
        return {k: drawn_left_out(v) for k, v in answer.items() if k != "ComputeResourceStats"}
    if isinstance(answer, list):
        return [drawn_left_out(item) for item in answer]
    return answer


def test_the_result_loads_and_serves(
    world: dict[str, Any],
    done: tuple[dict[str, Any], dict[str, Any]],
    em_client: Callable[..., EmClient],
    tmp_path: Path,
) -> None:
    result, _ = done
    world_from_dict(result)
    path = tmp_path / "anonymized.json"
    path.write_text(json.dumps(result, indent=1), encoding="utf-8")
    client = em_client(fixture=str(path))
    token = client.logon()
    source = tmp_path / "source.json"
    source.write_text(json.dumps(world, indent=1), encoding="utf-8")
    before = em_client(fixture=str(source))
    before_token = before.logon()
    names = originals(world)
    for url in COLLECTIONS:
        response = client.get_as(token, url + "?format=Entity", headers={"Accept": "application/json"})
        assert response.status_code == 200, url
        assert client.get_as(token, url).status_code == 200, url  # XML, schema-checked
        # What the original world answers, but for names and GUIDs
        shown = before.get_as(before_token, url + "?format=Entity", headers={"Accept": "application/json"})
        compare(drawn_left_out(shown.json()), drawn_left_out(response.json()), url, names)
    answer = client.get_as(token, "/api/cloud/tenants?format=Entity", headers={"Accept": "application/json"})
    shown = {t["Name"] for t in answer.json()["CloudTenants"]}
    assert shown == {t["Name"] for t in result["CloudTenants"]}
    points = client.get_as(token, "/api/cloud/vmReplicaPoints", headers={"Accept": "application/json"})
    assert len(points.json()["Refs"]) == len(world["CloudVmReplicaPoints"])
    tenant, original = result["CloudTenants"][0], world["CloudTenants"][0]
    spec = {"TenantCredentials": {"Username": tenant["Username"], "Password": tenant["Password"]}}
    logon = client.post("/api/sessionMngr/?v=latest", json=spec, headers={"Accept": "application/json"})
    assert logon.status_code == 201, logon.text
    client.cookies.clear()
    spec = {"TenantCredentials": {"Username": original["Username"], "Password": original["Password"]}}
    assert client.post("/api/sessionMngr/?v=latest", json=spec).status_code == 401
    client.cookies.clear()
