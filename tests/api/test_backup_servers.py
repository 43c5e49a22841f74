"""`/api/backupServers` and `/{id}` in both forms (em-api.md §5.6)."""

from __future__ import annotations

import re
from collections.abc import Callable

import pytest
from conftest import EmClient
from xmlutil import API, Link, body, child_names, children, link, links, logon, text

VERSION = re.compile(r"^\d+\.\d+\.\d+\.\d+$")
SEED_SERVER = "8fff3b8e-c3f1-4ef5-aecc-561f07bf9982"


def check_entity(entity, server_id: str, name: str) -> None:
    """A BackupServer entity: attributes, links back to its reference, Description, Port 9392, Version."""
    href = f"{API}/backupServers/{server_id}"
    assert entity.get("Type") == "BackupServer"
    assert entity.get("Href") == f"{href}?format=Entity"
    assert entity.get("Name") == name
    assert entity.get("UID") == f"urn:veeam:BackupServer:{server_id}"
    assert link(entity, "Alternate", "BackupServerReference") == Link("Alternate", "BackupServerReference", href, name)
    assert child_names(entity) == ["Links", "Description", "Port", "Version"]
    assert text(entity, "Port") == "9392"
    assert VERSION.match(text(entity, "Version") or ""), text(entity, "Version")
    assert text(entity, "Description") is not None


@pytest.mark.parametrize("count", [1, 3])
def test_servers_both_forms(em_client: Callable[..., EmClient], count: int) -> None:
    """References and entities list the same servers; each item answers in both forms with crossing Alternates."""
    client = em_client(backup_servers=count)
    token, _ = logon(client)
    refs = children(body(client.get_as(token, "/api/backupServers"), 200, "EntityReferences"), "Ref")
    assert len(refs) == count
    entities = body(client.get_as(token, "/api/backupServers?format=Entity"), 200, "BackupServers")
    assert child_names(entities) == ["BackupServer"] * count
    for ref, listed in zip(refs, entities, strict=True):
        href = ref.get("Href") or ""
        server_id = href.rsplit("/", 1)[-1]
        name = ref.get("Name") or ""
        assert name
        assert ref.get("Type") == "BackupServerReference"
        assert href == f"{API}/backupServers/{server_id}"
        assert ref.get("UID") == f"urn:veeam:BackupServer:{server_id}"
        assert link(ref, "Alternate", "BackupServer").Href == f"{href}?format=Entity"
        check_entity(listed, server_id, name)
        single = body(client.get_as(token, href), 200, "EntityRef")
        assert dict(single.attrib) == dict(ref.attrib)
        assert links(single) == links(ref)
        entity = body(client.get_as(token, f"{href}?format=Entity"), 200, "BackupServer")
        check_entity(entity, server_id, name)


def test_seed_server(seed_client: EmClient) -> None:
    """The seed world's one server is 172.17.53.48 on port 9392."""
    token, _ = logon(seed_client)
    refs = children(body(seed_client.get_as(token, "/api/backupServers"), 200, "EntityReferences"), "Ref")
    assert [(r.get("Href"), r.get("Name")) for r in refs] == [(f"{API}/backupServers/{SEED_SERVER}", "172.17.53.48")]
    entity = body(seed_client.get_as(token, f"/api/backupServers/{SEED_SERVER}?format=Entity"), 200, "BackupServer")
    check_entity(entity, SEED_SERVER, "172.17.53.48")


def test_point_up_link_resolves_to_its_server(client: EmClient) -> None:
    """A point's Up BackupServerReference link answers that server's EntityRef."""
    token, _ = logon(client)
    point = children(body(client.get_as(token, "/api/cloud/vmReplicaPoints"), 200, "EntityReferences"), "Ref")[0]
    up = link(point, "Up", "BackupServerReference")
    assert up.Href is not None
    server = body(client.get_as(token, up.Href), 200, "EntityRef")
    assert server.get("Href") == up.Href
    assert server.get("Name") == up.Name
