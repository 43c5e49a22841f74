"""A Cloud Connect tenant's own logon imported: it may not read backup servers or tenants (403), so
the import makes stand-ins for them, and holds that tenant's objects alone, as a world a fixture
keeps; served as B, the tenant's own answers (logging on with the derived password) are A's."""

from __future__ import annotations

import sys
import uuid
from pathlib import Path

import pytest
from conftest import EmClient, make_client

sys.path.insert(0, str(Path(__file__).parent))
from served import entities_of, imported
from test_read_cloud import WORLDS, differences, served, urls

from mock_em.importer.build import build_world
from mock_em.importer.entity import Entity
from mock_em.model.access import owner
from mock_em.model.entities import CloudTenant
from mock_em.model.fixture import dump_world, load_world
from mock_em.model.kinds import kind
from mock_em.resources.cloud_import import tenant_password
from mock_em.resources.cloud_import.completion import NAMESPACE
from mock_em.settings import Settings

OWN = ("CloudReplica", "CloudVmReplicaPoint", "CloudFailoverPlan", "CloudPublicIpAddress")


def tenant_logon(client: EmClient, username: str, password: str) -> str:
    """A Cloud Connect tenant's session on `client`."""
    body = (
        '<LoginSpec xmlns="http://www.veeam.com/ent/v1.0"><TenantCredentials>'
        f"<Username>{username}</Username><Password>{password}</Password></TenantCredentials></LoginSpec>"
    )
    response = client.post("/api/sessionMngr/?v=latest", content=body, headers={"Content-Type": "application/xml"})
    assert response.status_code == 201, response.text
    return response.headers["X-RestSvcSessionId"]


def own_ids(client: EmClient, tenant: CloudTenant, name: str) -> set[uuid.UUID]:
    """The ids of a kind's objects that belong to the tenant in the source."""
    world = client.em.world
    return {o.id for o in world.all(name).values() if owner(world, kind(name), o) == tenant.id}


@pytest.mark.parametrize("world", ["generated", "seed-sample"])
def test_a_tenant_account_imports_its_own_world(world: str, tmp_path: Path) -> None:
    """Each tenant's import: that tenant alone (named as its failover plans name it), its objects
    and nothing of another's, on a stand-in server; a fixture keeps it; B answers the tenant as A."""
    settings = Settings(release="12", **WORLDS[world])
    a = make_client(settings)
    try:
        for tenant in a.em.world.tenants.values():
            token = tenant_logon(a, tenant.username, tenant.password)
            mine, warnings = imported(a, token)
            assert any(w.startswith("backup servers:") and "stands in" in w for w in warnings), warnings
            assert len(mine.tenants) == 1 and len(mine.backup_servers) == 1
            stand_in = next(iter(mine.tenants.values()))
            if own_ids(a, tenant, "CloudFailoverPlan"):
                assert (stand_in.id, stand_in.name) == (tenant.id, tenant.name)
            for name in OWN:
                assert set(mine.all(name)) == own_ids(a, tenant, name), name
            assert {r.tenant_id for r in mine.replicas.values()} <= {stand_in.id}
            mine.check()
            dump_world(mine, tmp_path / "tenant.json")
            assert load_world(tmp_path / "tenant.json")[0] == mine

            b = served(mine, settings)
            try:
                again = tenant_logon(b, stand_in.username, tenant_password(stand_in.id))
                addresses = [u for u in urls(mine) if "/cloud/tenants" not in u]
                assert differences(a, b, token, again, iter(addresses)) == []
            finally:
                b.close()
    finally:
        a.close()


def test_a_tenant_nothing_names_stands_in_under_a_drawn_id() -> None:
    """A tenant with no failover plan and no public IP address: nothing it may read shows its id,
    so one stand-in, its id drawn from its first replica's, holds its replicas."""
    a = make_client(Settings(release="12"))
    try:
        world = a.em.world
        tenant = next(iter(world.tenants.values()))
        for name in ("CloudFailoverPlan", "CloudPublicIpAddress"):
            for obj in list(world.of_tenant(name, tenant.id)):
                world.remove(name, obj.id)
        mine, _ = imported(a, tenant_logon(a, tenant.username, tenant.password))
        first = next(r for r in world.replicas.values() if r.tenant_id == tenant.id)
        assert list(mine.tenants) == [uuid.uuid5(NAMESPACE, f"tenant:{first.id}")]
        assert set(mine.replicas) == own_ids(a, tenant, "CloudReplica")
        assert len(mine.points) == len(own_ids(a, tenant, "CloudVmReplicaPoint")) > 0
        mine.check()
    finally:
        a.close()


def test_a_server_an_up_link_names_stands_in_by_its_name() -> None:
    """Where the source links a tenant's objects Up to a server it will not list, the stand-in takes
    the link's id and name, and the objects stay on it."""
    a = make_client(Settings(release="12"))
    try:
        tenant = next(iter(a.em.world.tenants.values()))
        server = a.em.world.backup_servers[tenant.backup_server_id]
        entities = entities_of(a, tenant_logon(a, tenant.username, tenant.password))
        assert not entities.get("BackupServer") and not entities.get("CloudTenant")  # 403: none read
        up = {"Rel": "Up", "Href": f"http://localhost:9399/api/backupServers/{server.id}", "Name": server.name,
              "Type": "BackupServerReference"}  # fmt: skip
        linked = {
            name: [Entity({**e.data, "Links": [up, *e.links]}) for e in found] for name, found in entities.items()
        }
        mine, warnings = build_world(linked, "12")
        assert list(mine.backup_servers) == [server.id]
        assert mine.backup_servers[server.id].name == server.name
        assert sum("stands in" in w and server.name in w for w in warnings) == 1
        assert {r.backup_server_id for r in mine.replicas.values()} == {server.id}
        mine.check()
    finally:
        a.close()
