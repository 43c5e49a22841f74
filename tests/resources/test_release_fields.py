"""Members and links that only some releases have (`Family.since_fields`, `Family.since_links`,
`Family.release_values`, `SubCollection.since`; docs/catalogue.md, "Fields and links by release"),
on the wire of each release from 9.5 U4 to 13, in XML (schema-checked by the client) and JSON:

* a backup's `BackupType` (`Standard`) from 10, after `Platform`;
* a backup's and a restore point's Down links to their backup files, and those lists, from 10;
* a backup server's `WcfPort` and `VbrCertificateThumbprint` from 12, after `Version`, which is
  the release's product version (9.5 U4: each server's own);
* a backup task session's `VmUid` from 10, after `TotalSize` (never on replica task sessions);
* a repository's `Kind` in every release.

9.5 U4's members are spelt out: its answers are as they were before any of this was declared.
"""

from __future__ import annotations

import hashlib
import re
from collections.abc import Callable, Iterator
from typing import Any

import pytest
from conftest import BASE, SEED_FIXTURE, EmClient, make_client
from xmlutil import API, NS, Link, body, links, local, logon

from mock_em.registry import FAMILIES, family
from mock_em.releases import has_arrived, profile
from mock_em.settings import Settings
from mock_em.wire.template import TEMPLATES

RELEASES = ("9.5u4", "10", "11", "12", "13")
JSON = {"Accept": "application/json"}
FILES_LINK = "BackupFileReferenceList"
THUMBPRINT = re.compile(r"[0-9A-F]{40}")
# The entity tails every release shares (JSON: most-derived type first).
TAIL = ["Name", "UID", "Links", "Href", "Type"]
# 9.5 U4's members, as they were before releases had their own (XML children, JSON keys).
OLD_XML = {
    "Backup": ["Links", "Platform"],
    "RestorePoint": ["Links", "BackupDateUTC"],
    "BackupServer": ["Links", "Description", "Port", "Version"],
    "BackupTaskSession": [
        "Links",
        "JobSessionUid",
        "CreationTimeUTC",
        "EndTimeUTC",
        "State",
        "Result",
        "Reason",
        "TotalSize",
    ],
}


@pytest.fixture(scope="module")
def clients() -> Iterator[dict[str, EmClient]]:
    """The seed world in each release."""
    made = {r: make_client(Settings(fixture=str(SEED_FIXTURE), release=r)) for r in RELEASES}
    yield made
    for client in made.values():
        client.close()


def xml_members(element: Any) -> list[str]:
    return [local(child) for child in element]


def json_keys(data: dict[str, Any]) -> list[str]:
    """Keys in PascalCase whatever the release's notation (13 writes camelCase: `uid`, `wcfPort`)."""
    return [{"uid": "UID"}.get(k, k[:1].upper() + k[1:]) for k in data]


def get(client: EmClient, url: str, json: bool = False) -> Any:
    token, _ = logon(client)
    response = client.get_as(token, url, headers=JSON if json else {})
    assert response.status_code == 200, (url, response.text[:300])
    return response.json() if json else body(response)


def one(client: EmClient, name: str) -> Any:
    """The first object of a kind in the client's world, the one each test looks at."""
    return next(iter(client.em.world.all(name).values()))


def entity_pair(client: EmClient, name: str, object_id: Any) -> tuple[Any, dict[str, Any]]:
    """An object's entity in XML and in JSON."""
    url = f"/api{family(name).path}/{object_id}?format=Entity"
    return get(client, url), get(client, url, json=True)


def expected(release: str, old: list[str], *later: tuple[str, str]) -> list[str]:
    """`old` with each (member, first release) the release has appended, in order."""
    return old + [member for member, since in later if has_arrived(since, release)]


def json_link_types(data: dict[str, Any]) -> list[str | None]:
    return [li.get("Type", li.get("type")) for li in data.get("Links", data.get("links", []))]


# -- backups and restore points ---------------------------------------------------------------------


@pytest.mark.parametrize("release", RELEASES)
def test_backup_type_from_v10(clients: dict[str, EmClient], release: str) -> None:
    """`BackupType` `Standard` after `Platform` from 10 on; before, the 9.5 U4 members alone."""
    backup = one(clients[release], "Backup")
    xml, data = entity_pair(clients[release], "Backup", backup.id)
    members = expected(release, OLD_XML["Backup"], ("BackupType", "10"))
    assert xml_members(xml) == members
    assert json_keys(data) == [*members[1:], *TAIL]
    if has_arrived("10", release):
        assert xml.findtext(f"{{{NS}}}BackupType") == "Standard"
        assert data.get("BackupType", data.get("backupType")) == "Standard"


@pytest.mark.parametrize("release", RELEASES)
@pytest.mark.parametrize(("name", "old_links"), [("Backup", 4), ("RestorePoint", 4)])
def test_backup_file_links_from_v10(clients: dict[str, EmClient], release: str, name: str, old_links: int) -> None:
    """A backup and a restore point link Down to their backup files (last) from 10 on, in both
    forms and notations, and the lists answer; before, neither link nor list (404)."""
    client = clients[release]
    obj = one(client, name)
    path = f"/api{family(name).path}/{obj.id}"
    files = Link("Down", FILES_LINK, f"{BASE}{path}/backupFiles")
    xml, data = entity_pair(client, name, obj.id)
    arrived = has_arrived("10", release)
    for element in (xml, get(client, path)):
        found = links(element)
        assert len(found) == old_links + arrived
        if arrived:
            assert found[-1] == files
        else:
            assert files not in found
    assert (FILES_LINK in json_link_types(data)) is arrived
    token, _ = logon(client)
    assert client.get_as(token, f"{path}/backupFiles").status_code == (200 if arrived else 404)


@pytest.mark.parametrize("release", RELEASES)
def test_backup_files_collection_in_every_release(clients: dict[str, EmClient], release: str) -> None:
    """`/backupFiles` itself is in 9.5 (em-api-monitoring.md §7): the LogonSession links it and
    it lists every file, whatever the release."""
    client = clients[release]
    token, session_id = logon(client)
    session = body(client.get_as(token, f"/api/logonSessions/{session_id}"))
    assert Link("Down", FILES_LINK, f"{API}/backupFiles") in links(session)
    listed = get(client, "/api/backupFiles").findall(f"{{{NS}}}Ref")
    assert len(listed) == len(client.em.world.all("BackupFile")) > 0


# -- backup servers ---------------------------------------------------------------------------------


@pytest.mark.parametrize("release", RELEASES)
def test_backup_server_members_by_release(clients: dict[str, EmClient], release: str) -> None:
    """`WcfPort` 9405 and a 40-hex thumbprint after `Version` from 12 on; `Version` the release's
    product version (9.5 U4: the server's own, as before)."""
    client = clients[release]
    server = one(client, "BackupServer")
    xml, data = entity_pair(client, "BackupServer", server.id)
    members = expected(release, OLD_XML["BackupServer"], ("WcfPort", "12"), ("VbrCertificateThumbprint", "12"))
    assert xml_members(xml) == members
    assert json_keys(data) == [*members[1:], *TAIL]
    version = xml.findtext(f"{{{NS}}}Version")
    assert version == (profile(release).product_version or server.version)
    assert version.startswith({"9.5u4": "9.5.", "10": "10.0.", "11": "11.0.", "12": "12.", "13": "13."}[release])
    assert data.get("Version", data.get("version")) == version
    if has_arrived("12", release):
        thumbprint = xml.findtext(f"{{{NS}}}VbrCertificateThumbprint")
        assert THUMBPRINT.fullmatch(thumbprint)
        assert thumbprint == hashlib.sha1(server.id.bytes, usedforsecurity=False).hexdigest().upper()
        assert xml.findtext(f"{{{NS}}}WcfPort") == "9405"
        assert data.get("WcfPort", data.get("wcfPort")) == 9405


def test_thumbprints_differ_by_server_and_not_by_release(em_client: Callable[..., EmClient]) -> None:
    """Each server has its own thumbprint, the same in 12 and 13."""
    prints = {}
    for release in ("12", "13"):
        listed = get(em_client(release=release, backup_servers=3), "/api/backupServers?format=Entity")
        prints[release] = [e.findtext(f"{{{NS}}}VbrCertificateThumbprint") for e in listed]
    assert prints["12"] == prints["13"] and len(set(prints["12"])) == len(prints["12"]) == 3


# -- task sessions ----------------------------------------------------------------------------------


@pytest.mark.parametrize("release", RELEASES)
def test_vm_uid_from_12(clients: dict[str, EmClient], release: str) -> None:
    """A backup task session's `VmUid` after `TotalSize` from 10 on: the VM as its host names it,
    as the VM restore point the task left does (`HierarchyObjRef`); JSON keeps the captures' order
    (`TotalSize`, `VmUid`, `VmDisplayName`)."""
    client = clients[release]
    world = client.em.world
    task = next(t for t in world.all("BackupTaskSession").values() if t.point_id is not None)
    xml, data = entity_pair(client, "BackupTaskSession", task.id)
    members = expected(release, OLD_XML["BackupTaskSession"], ("VmUid", "10"))
    assert xml_members(xml) == members
    assert json_keys(data) == [*members[1:], "VmDisplayName", *TAIL]
    if has_arrived("12", release):
        point = world.all("VmRestorePoint")[task.point_id]
        assert xml.findtext(f"{{{NS}}}VmUid") == point.hierarchy_obj_ref
        assert re.fullmatch(
            r"urn:(VMware:Vm:[0-9a-f-]{36}\.vm-\d+|HyperV:Vm:[0-9a-f-]{36}\.[0-9a-f-]{36})", point.hierarchy_obj_ref
        )
        assert data.get("VmUid", data.get("vmUid")) == point.hierarchy_obj_ref


@pytest.mark.parametrize("release", RELEASES)
def test_replica_task_sessions_have_no_vm_uid(clients: dict[str, EmClient], release: str) -> None:
    """The vendor's replica task sessions show no `VmUid`, in any release."""
    client = clients[release]
    task = one(client, "ReplicaTaskSession")
    xml, data = entity_pair(client, "ReplicaTaskSession", task.id)
    assert "VmUid" not in xml_members(xml) and "VmUid" not in json_keys(data)


@pytest.mark.parametrize("release", RELEASES)
def test_lists_and_queries_follow_the_release(clients: dict[str, EmClient], release: str) -> None:
    """Entity lists and query results (whose items keep fragments) show what the item does: every
    task session has `VmUid` from 10 on and none before; every server its `WcfPort` from 12 on."""
    client = clients[release]
    tasks = get(client, "/api/backupTaskSessions?format=Entity")
    assert len(tasks) == len(client.em.world.all("BackupTaskSession")) > 0
    assert all((t.find(f"{{{NS}}}VmUid") is not None) is has_arrived("10", release) for t in tasks)
    for type_name, member, since in (("BackupTaskSession", "VmUid", "10"), ("BackupServer", "WcfPort", "12")):
        arrived = has_arrived(since, release)
        result = get(client, f"/api/query?type={type_name}&format=Entities")
        items = result.findall(f".//{{{NS}}}{type_name}")
        assert items and all((i.find(f"{{{NS}}}{member}") is not None) is arrived for i in items)
        data = get(client, f"/api/query?type={type_name}&format=Entities", json=True)
        entities = data.get("Entities", data.get("entities"))
        (listed,) = [v for v in entities.values() if v]
        (items_json,) = listed.values()
        assert all((member in json_keys(i)) is arrived for i in items_json)


@pytest.mark.parametrize("release", RELEASES)
def test_repository_kind_in_every_release(clients: dict[str, EmClient], release: str) -> None:
    """A repository's `Kind` is in every release (em-api-monitoring.md §7: a 9.5 U4-era client reads it)."""
    listed = get(clients[release], "/api/repositories?format=Entity")
    assert len(listed) and all(r.find(f"{{{NS}}}Kind") is not None for r in listed)


# -- the declarations ---------------------------------------------------------------------------------


@pytest.mark.parametrize("f", [f for f in FAMILIES if f.since_fields or f.since_links], ids=lambda f: f.name)
def test_declarations_name_holes_and_releases(f: Any) -> None:
    """Each `since_fields` key is a hole of the family's entity templates, and each release named
    is one mock-em knows (`profile` raises otherwise)."""
    for template in {f.name, f.in_list or f.name}:
        assert set(f.since_fields) <= TEMPLATES[template].keys, template
    for since in (*f.since_fields.values(), *f.since_links.values(), *(s.since for s in f.subs if s.since)):
        profile(since)
