"""The repositories' family (`mock_em/resources/repositories.py`) as the wire shows it: each
backup server's repositories, the ones the tenants' backup resources name, and their free space
as the clock moves."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any
from uuid import UUID

import pytest
from conftest import SEED_FIXTURE, EmClient, make_client
from xmlutil import API, Link, body, links, logon, q

from mock_em.model.entities import UNKNOWN_SIZE, Role
from mock_em.model.usage import MB
from mock_em.registry import family
from mock_em.settings import Settings
from resources.family_checks import (
    JSON,
    ROLE_LOGONS,
    USERS,
    check_path_case,
    check_readers,
    check_tenants_see_their_own,
    entity_of,
    own_fields,
    query_uids,
    tenant_token,
)

FAMILY = family("Repository")
# A real EM 12's `GET /api/repositories?format=Entity`, beside the project (never copied into it).
CAPTURE = Path(__file__).resolve().parents[2].parent / "shared" / "captures" / "em12-repositories-entities.json"


def test_entity_fields_and_links(roles: EmClient) -> None:
    """Each repository shows its capacity and free space in bytes and its kind, and links Up to its
    backup server; JSON carries the sizes as numbers."""
    world = roles.em.world
    token, _ = logon(roles)
    for repository in world.all(FAMILY.name).values():
        entity = entity_of(roles, FAMILY, repository.id)
        assert own_fields(entity) == {
            "Capacity": str(repository.capacity),
            "FreeSpace": str(repository.free_space),
            "Kind": repository.kind.value,
        }
        server = world.backup_servers[repository.backup_server_id]
        up = Link("Up", "BackupServerReference", f"{API}/backupServers/{server.id}", server.name)
        assert links(entity) == [
            up,
            Link("Alternate", "RepositoryReference", f"{API}/repositories/{repository.id}", repository.name),
        ]
        data = roles.get_as(token, f"/api/repositories/{repository.id}?format=Entity", headers=JSON).json()
        assert (data["Capacity"], data["FreeSpace"], data["Kind"]) == (
            repository.capacity,
            repository.free_space,
            repository.kind.value,
        )


def test_sizes_are_known_or_minus_one_never_zero(roles: EmClient) -> None:
    """Capacity is positive, or -1 with free space -1 (object storage); free space is within the
    capacity and each known repository is 30 % to 70 % full before what the jobs' backups add;
    every server has two or more."""
    repositories = list(roles.em.world.all(FAMILY.name).values())
    jobs = roles.em.world.all("Job").values()
    assert {r.kind.value for r in repositories if r.capacity == UNKNOWN_SIZE} == {"AmazonS3Compatible"}
    for r in repositories:
        assert r.capacity != 0 and r.free_space != 0, r
        if r.capacity == UNKNOWN_SIZE:
            assert r.free_space == UNKNOWN_SIZE, r
        else:
            backups = sum(j.backup_bytes for j in jobs if j.repository_id == r.id)
            assert 0 < r.free_space <= r.capacity and 0.3 <= 1 - (r.free_space + backups) / r.capacity <= 0.7, r
    for server_id in roles.em.world.backup_servers:
        assert sum(r.backup_server_id == server_id for r in repositories) >= 2


def test_readers_and_tenants(roles: EmClient) -> None:
    """Portal administrators and users read repositories; a Restore Operator and tenants get a
    403, and neither is offered the LogonSession's link."""
    check_readers(roles, FAMILY, forbidden={Role.RestoreOperator})
    check_tenants_see_their_own(roles, FAMILY, readable=False)
    operator, _ = logon(roles, *ROLE_LOGONS[Role.RestoreOperator])
    tenant = next(iter(roles.em.world.tenants.values()))
    for token in (operator, tenant_token(roles, tenant.username, tenant.password)):
        session = roles.get_as(token, "/api/logonSessions").content
        assert b"/api/repositories" not in session


def test_linked_from_the_logon_session_after_backup_servers_and_jobs(client: EmClient) -> None:
    """The LogonSession links the repositories after the backup servers, managed servers, jobs
    and hierarchy roots, as EM 12's does (its failover plans, before the roots, are not served)."""
    token, session_id = logon(client)
    session = body(client.get_as(token, f"/api/logonSessions/{session_id}"), 200, "LogonSession")
    downs = [li for li in links(session) if li.Rel == "Down"]
    assert [(li.Type, li.Href) for li in downs[:5]] == [
        ("BackupServerReferenceList", f"{API}/backupServers"),
        ("ManagedServerReferenceList", f"{API}/managedServers"),
        ("JobReferenceList", f"{API}/jobs"),
        ("HierarchyRootReferenceList", f"{API}/hierarchyRoots"),
        ("RepositoryReferenceList", f"{API}/repositories"),
    ]


def test_a_fixture_without_repositories_still_loads(tmp_path: Path) -> None:
    """A fixture older than the family (no `Repositories`) loads with none; its tenants' backup
    resources keep naming repositories the world does not hold (no foreign key: old files load)."""
    data = json.loads(SEED_FIXTURE.read_text(encoding="utf-8"))
    del data["Repositories"], data["Jobs"]  # a file that old has no jobs either
    data["CloudTenantResources"] = [
        {
            "Id": str(UUID(int=1, version=4)),
            "TenantId": data["CloudTenants"][0]["Id"],
            "Quota": 102400,
            "RepositoryId": str(UUID(int=2, version=4)),
            "DisplayName": "Cloud Repository 01",
        },
    ]
    old = tmp_path / "old.json"
    old.write_text(json.dumps(data), encoding="utf-8")
    client = make_client(Settings(fixture=str(old)))
    try:
        token, _ = logon(client)
        assert client.em.world.all(FAMILY.name) == {}
        assert body(client.get_as(token, "/api/repositories"), 200, "EntityReferences").findall(q("Ref")) == []
        tenant = data["CloudTenants"][0]["Id"]
        assert client.get_as(token, f"/api/cloud/tenants/{tenant}/resources").status_code == 200
    finally:
        client.close()


def test_a_backup_servers_repositories(roles: EmClient) -> None:
    """`/api/backupServers/{id}/repositories` lists that server's repositories only, linked Down
    from the server's entity; paths match in any case."""
    world = roles.em.world
    token, _ = logon(roles)
    for server in world.backup_servers.values():
        mine = [
            f"urn:veeam:Repository:{r.id}" for r in world.all(FAMILY.name).values() if r.backup_server_id == server.id
        ]
        url = f"/api/backupServers/{server.id}/repositories"
        refs = body(roles.get_as(token, url), 200, "EntityReferences")
        assert [r.get("UID") for r in refs] == mine
        entities = body(roles.get_as(token, f"{url}?format=Entity"), 200, "Repositories")
        assert [e.get("UID") for e in entities] == mine
        shouted = body(roles.get_as(token, f"/api/BACKUPSERVERS/{server.id}/REPOSITORIES"), 200, "EntityReferences")
        assert [r.get("UID") for r in shouted] == mine
        entity = body(roles.get_as(token, f"/api/backupServers/{server.id}?format=Entity"), 200, "BackupServer")
        assert Link("Down", "RepositoryReferenceList", f"{API}{url.removeprefix('/api')}", None) in links(entity)


def test_paths_match_in_any_case(roles: EmClient) -> None:
    """`/api/Repositories/{id}` answers as `/api/repositories/{id}`."""
    check_path_case(roles, FAMILY)


def _query(client: EmClient, token: str, **params: str) -> list[str]:
    return query_uids(client, token, FAMILY, **params)


def test_query_by_sizes_and_backup_server(roles: EmClient) -> None:
    """`/api/query?type=Repository` filters on Capacity, FreeSpace (the vendor's example: less than
    100 GB free, here 50 TB) and BackupServerName, sorts by size; a tenant may not query them."""
    world, (token, _) = roles.em.world, logon(roles)
    repositories = list(world.all(FAMILY.name).values())

    def uids(chosen: Any) -> list[str]:
        return [f"urn:veeam:Repository:{r.id}" for r in chosen]

    for expression, chosen in (
        ("FreeSpace<50000000000000", [r for r in repositories if r.free_space < 50 * 10**12]),
        ("capacity==-1", [r for r in repositories if r.capacity == UNKNOWN_SIZE]),
    ):
        assert chosen, expression
        assert sorted(_query(roles, token, filter=expression)) == sorted(uids(chosen))
    server = next(iter(world.backup_servers.values()))
    assert _query(roles, token, filter=f'BackupServerName=="{server.name}";Capacity>0', sortDesc="Capacity") == uids(
        sorted(
            (r for r in repositories if r.backup_server_id == server.id and r.capacity > 0), key=lambda r: -r.capacity
        )
    )
    assert _query(roles, token, sortAsc="FreeSpace") == uids(sorted(repositories, key=lambda r: r.free_space))
    tenant = next(iter(world.tenants.values()))
    assert (
        roles.get_as(tenant_token(roles, tenant.username, tenant.password), "/api/query?type=Repository").status_code
        == 403
    )


def test_every_tenant_resource_names_a_real_repository(roles: EmClient) -> None:
    """Each `RepositoryUid` a tenant's backup resource shows answers at `/api/repositories/{id}`,
    named as the resource's `DisplayName`, on the tenant's backup server, with room for its quotas."""
    world, (token, _) = roles.em.world, logon(roles)
    resources = list(world.all("CloudTenantResource").values())
    assert resources
    for resource in resources:
        tenant = world.tenants[resource.tenant_id]
        data = roles.get_as(token, f"/api/cloud/tenants/{tenant.id}/resources/{resource.id}", headers=JSON).json()
        repository_id = data["RepositoryQuota"]["RepositoryUid"].rsplit(":", 1)[-1]
        entity = roles.get_as(token, f"/api/repositories/{repository_id}?format=Entity", headers=JSON).json()
        assert entity["Name"] == data["RepositoryQuota"]["DisplayName"]
        repository = world.all(FAMILY.name)[resource.repository_id]
        assert repository.backup_server_id == tenant.backup_server_id
        quotas = sum(r.quota_mb for r in resources if r.repository_id == repository.id) * MB
        assert (
            quotas
            <= repository.free_space + sum(r.used_quota_mb for r in resources if r.repository_id == repository.id) * MB
        )


def test_free_space_follows_the_tenants_cloud_backups() -> None:
    """A week on, each repository's free space has moved by what the tenants' cloud backups and
    the jobs' backups there gained (byte for MB), its capacity unchanged: it falls where they grew."""
    client = make_client(Settings(user=USERS, backup_servers=2, tenants=6))
    try:
        world = client.em.world
        resources = list(world.all("CloudTenantResource").values())

        def held(repository_id: Any) -> int:
            backups = sum(j.backup_bytes for j in world.all("Job").values() if j.repository_id == repository_id)
            return sum(r.used_quota_mb for r in resources if r.repository_id == repository_id) * MB + backups

        before = {r.id: (r.capacity, r.free_space, held(r.id)) for r in world.all(FAMILY.name).values()}
        assert client.control("POST", "/mock/clock/advance", json={"by": "7d"}).status_code == 200
        fell = 0
        for repository in world.all(FAMILY.name).values():
            capacity, free, stored = before[repository.id]
            grown = held(repository.id) - stored
            expected = free if capacity == UNKNOWN_SIZE else free - grown  # object storage stays unknown
            assert (repository.capacity, repository.free_space) == (capacity, expected)
            fell += grown > 0 and repository.free_space < free
        assert fell > 0
    finally:
        client.close()


def _shape(value: Any) -> Any:
    """A JSON value's shape: its keys in order and their values' shapes, a list's items' shape."""
    if isinstance(value, dict):
        return [(k, _shape(v)) for k, v in value.items()]
    if isinstance(value, list):
        return [_shape(v) for v in value]
    return type(value).__name__


@pytest.mark.skipif(not CAPTURE.is_file(), reason="the shared captures are not beside the project")
def test_json_shape_matches_a_real_em(roles: EmClient) -> None:
    """Each repository in `?format=Entity` JSON has the keys, in order, and the value types of a
    real EM 12's (`em12-repositories-entities.json`), its links as far as mock-em serves them (Up,
    Alternate; the Down links to backups and replicas wait for those families)."""
    real = json.loads(CAPTURE.read_text(encoding="utf-8"))
    token, _ = logon(roles)
    ours = roles.get_as(token, "/api/repositories?format=Entity", headers=JSON).json()
    assert list(ours) == list(real) == ["Repositories"]
    expected = {_shape({**r, "Links": r["Links"][:2]}).__repr__() for r in real["Repositories"]}
    for repository in ours["Repositories"]:
        assert [(li["Rel"], li["Type"]) for li in repository["Links"]] == [
            ("Up", "BackupServerReference"),
            ("Alternate", "RepositoryReference"),
        ]
        assert repr(_shape(repository)) in expected


# -- control-plane edits -------------------------------------------------------------------------


def test_add_fill_resize_and_remove_a_repository(client: EmClient) -> None:
    """`/mock/world/repositories`: a new repository answers at once on the vendor API; a fill by
    `Percent` or a new `Capacity` moves `FreeSpace` (a resize keeps what is stored); sizes EM never
    reports (a capacity of 0, one of the two at -1) are refused with a Veeam Error and change
    nothing; DELETE removes it."""
    token = client.logon()
    server = next(iter(client.em.world.backup_servers))
    added = client.control("POST", "/mock/world/repositories", json={"Name": "Added", "BackupServerId": str(server)})
    assert added.status_code == 201, added.text
    new = added.json()
    assert (new["Capacity"], new["FreeSpace"], new["Kind"]) == (100 * 10**12, 100 * 10**12, "WindowsLocal")
    url, item = f"/api/repositories/{new['Id']}", f"/mock/world/repositories/{new['Id']}"

    def shown() -> tuple[int, int]:
        data = client.get_as(token, f"{url}?format=Entity", headers=JSON).json()
        return data["Capacity"], data["FreeSpace"]

    assert client.control("PATCH", item, json={"Percent": 95}).status_code == 200
    assert shown() == (100 * 10**12, 5 * 10**12)
    assert client.control("PATCH", item, json={"Capacity": 200 * 10**12}).json()["FreeSpace"] == 105 * 10**12
    assert shown() == (200 * 10**12, 105 * 10**12)
    for bad in ({"Capacity": 0}, {"FreeSpace": -1}, {"Percent": 5, "FreeSpace": 1}, {}):
        refused = client.control("PATCH", item, json=bad)
        assert refused.status_code == 400, bad
        assert refused.json()["Status"] == "BadRequest"
    assert shown() == (200 * 10**12, 105 * 10**12)
    unknown = client.control("PATCH", item, json={"Capacity": -1})
    assert unknown.json()["FreeSpace"] == -1 and shown() == (-1, -1)
    assert client.control("PATCH", item, json={"Percent": 10}).status_code == 400
    bad_server = {"Name": "X", "BackupServerId": "00000000-0000-4000-8000-000000000000"}
    assert client.control("POST", "/mock/world/repositories", json=bad_server).status_code == 404
    assert client.control("DELETE", item).json() == {"deleted": new["Id"]}
    assert client.get_as(token, url).status_code == 404
