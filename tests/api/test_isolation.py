"""Cloud Connect tenants logged on with a LoginSpec see exactly their own replicas and restore
points, on every route, and nothing of the provider or of other tenants (em-api.md §3.1)."""

from __future__ import annotations

from collections.abc import Callable, Iterator
from typing import Any
from uuid import UUID, uuid4
from xml.sax.saxutils import escape

import httpx
import pytest
from conftest import SEED_FIXTURE, EmClient, make_client, seed_world
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from lxml import etree
from xmlutil import API, UNKNOWN_GUID, assert_error, body, hrefs, links, parse, q, text

from mock_em import registry
from mock_em.model.access import Access, belongs_to, owner
from mock_em.model.entities import CloudTenant, Role
from mock_em.releases import DEFAULT_RELEASE
from mock_em.settings import Settings

JSON = {"Accept": "application/json"}
UCM = "d4c1e2a7-3b6f-4e58-9a0c-7f21b8e45d93"
ABC = "5a9e7c31-0d84-4f2b-b6e3-c18f42a7d065"
UCM_REPLICA = "6b2b42d5-3850-421c-93c1-e063f12a2ead"
ABC_REPLICA = "8393c284-c953-403f-a9b9-cff63e0c6815"
UCM_POINTS = {"93081441-6e3c-4584-b47a-08dc1ce24f84", "572167d1-c2f1-40b5-9ce9-6b277e507222"}
ABC_POINTS = {
    "783781f0-4d83-4d09-ae82-12b5bed4710b",
    "292e6d96-6b99-4776-bba2-2c030cd5824a",
    "5ed13778-0191-4d9d-8105-33017348235d",
    "574c07de-50eb-4117-88ec-5cd3403142dd",
}
SEED_WORLD = seed_world()  # to name its objects in the URL tables below
# What each seed tenant owns, and what belongs to the other one.
OWN = {UCM: (UCM_REPLICA, UCM_POINTS), ABC: (ABC_REPLICA, ABC_POINTS)}
OTHER = {UCM: ABC, ABC: UCM}
# The families a tenant's role may not read at all (the provider's configuration): 403 there.
# The worlds here are served in the default release: its families (a newer family's tenant
# answers are tested in its own module).
TENANT = Access(Role.CloudTenant, uuid4())
SERVED = registry.families(DEFAULT_RELEASE)
PROVIDER_FAMILIES = [f for f in SERVED if not TENANT.reads(f.kind)]
FORBIDDEN_PATHS = tuple(f.path for f in PROVIDER_FAMILIES)
SUB_ROUTES = [  # the sub-collections a tenant may read (a plan's tenants it may not)
    r
    for r in registry.routes(DEFAULT_RELEASE)
    if r.sub is not None and TENANT.reads(r.family.kind) and TENANT.reads(r.listed.kind)
]


def login_spec_xml(username: str, password: str) -> bytes:
    """A LoginSpec XML body with TenantCredentials."""
    return (
        '<LoginSpec xmlns="http://www.veeam.com/ent/v1.0"><TenantCredentials>'
        f"<Username>{escape(username)}</Username><Password>{escape(password)}</Password>"
        "</TenantCredentials></LoginSpec>"
    ).encode()


def tenant_logon_response(client: EmClient, username: str, password: str, mode: str) -> httpx.Response:
    """POST a tenant's LoginSpec, as XML or JSON, with no Basic credentials."""
    client.cookies.clear()
    if mode == "xml":
        headers = {"Content-Type": "application/xml"}
        response = client.post(
            "/api/sessionMngr/?v=latest", content=login_spec_xml(username, password), headers=headers
        )
    else:
        spec = {"TenantCredentials": {"Username": username, "Password": password}}
        response = client.post("/api/sessionMngr/?v=latest", json=spec, headers=JSON)
    client.cookies.clear()
    return response


def tenant_logon(client: EmClient, tenant: CloudTenant, mode: str = "xml") -> str:
    """Log a tenant on; returns its token."""
    response = tenant_logon_response(client, tenant.username, tenant.password, mode)
    assert response.status_code == 201, response.text
    return response.headers["X-RestSvcSessionId"]


def uuids_of(root: etree._Element) -> set[str]:
    """The GUIDs of every `Ref`/entity (by UID) directly under a list element."""
    return {str(item.get("UID")).rsplit(":", 1)[-1] for item in root}


def json_hrefs(node: Any) -> Iterator[str]:
    """Every `Href` in a JSON document."""
    if isinstance(node, dict):
        for key, value in node.items():
            if key == "Href":
                yield value
            else:
                yield from json_hrefs(value)
    elif isinstance(node, list):
        for item in node:
            yield from json_hrefs(item)


@pytest.fixture(scope="module")
def seed() -> Iterator[EmClient]:
    """A checked client over the seed world, shared by the module's read-only tests."""
    client = make_client(Settings(fixture=str(SEED_FIXTURE)))
    yield client
    client.close()


@pytest.fixture(
    scope="module",
    params=[(UCM, "xml"), (UCM, "json"), (ABC, "xml"), (ABC, "json")],
    ids=["ucm-xml", "ucm-json", "abc-xml", "abc-json"],
)
def tenant(request: pytest.FixtureRequest, seed: EmClient) -> tuple[str, str]:
    """(tenant id, token) for each seed tenant, logged on with an XML and with a JSON LoginSpec."""
    tenant_id, mode = request.param
    tenant = next(t for t in seed.em.world.tenants.values() if str(t.id) == tenant_id)
    return tenant_id, tenant_logon(seed, tenant, mode)


# -- the session and the service ---------------------------------------------------------------


@pytest.mark.parametrize("mode", ["xml", "json"])
def test_tenant_logon_session_links(seed: EmClient, mode: str) -> None:
    """Exactly Up EnterpriseManager, Down CloudConnectService and a Delete typed LogonSession."""
    tenant = seed.em.world.tenants[next(iter(seed.em.world.tenants))]
    response = tenant_logon_response(seed, tenant.username, tenant.password, mode)
    assert response.status_code == 201
    token = response.headers["X-RestSvcSessionId"]
    root = body(seed.get_as(token, response.headers["Location"]), 200, "LogonSession")
    session_id = text(root, "SessionId")
    assert text(root, "UserName") == tenant.username
    assert [(li.Rel, li.Type, li.Href) for li in links(root)] == [
        ("Up", "EnterpriseManager", f"{API}/"),
        ("Down", "CloudConnectService", f"{API}/cloud"),
        ("Delete", "LogonSession", f"{API}/logonSessions/{session_id}"),
    ]
    logon_root = parse(response) if mode == "xml" else None
    if logon_root is not None:
        assert [(li.Rel, li.Type) for li in links(logon_root)] == [(li.Rel, li.Type) for li in links(root)]
    else:
        assert [(li["Rel"], li.get("Type")) for li in response.json()["Links"]] == [
            (li.Rel, li.Type) for li in links(root)
        ]


def test_tenant_cloud_service_links(seed: EmClient, tenant: tuple[str, str]) -> None:
    """`/api/cloud` links to the caller's session, the failover plans, the points and the replicas,
    in both forms (the vendor's tenant session, in its order); no tenants."""
    _, token = tenant
    root = body(seed.get_as(token, "/api/cloud"), 200, "CloudConnectService")
    found = links(root)
    assert found[0].Rel == "Up" and found[0].Type == "LogonSession"
    assert [(li.Rel, li.Type, li.Href) for li in found[1:]] == [
        ("Down", "CloudFailoverPlanReferenceList", f"{API}/cloud/cloudFailoverPlans"),
        ("Down", "CloudVmReplicaPointReferenceList", f"{API}/cloud/vmReplicaPoints"),
        ("Down", "CloudReplicaReferenceList", f"{API}/cloud/replicas"),
        ("Down", "CloudFailoverPlanList", f"{API}/cloud/cloudFailoverPlans?format=Entity"),
        ("Down", "CloudVmReplicaPointList", f"{API}/cloud/vmReplicaPoints?format=Entity"),
        ("Down", "CloudReplicaList", f"{API}/cloud/replicas?format=Entity"),
    ]


# -- collections and items -----------------------------------------------------------------------


@pytest.mark.parametrize("suffix", ["", "?format=Entity"])
def test_tenant_sees_only_its_replicas(seed: EmClient, tenant: tuple[str, str], suffix: str) -> None:
    """`/api/cloud/replicas` lists exactly the tenant's own replication jobs."""
    tenant_id, token = tenant
    root = body(seed.get_as(token, f"/api/cloud/replicas{suffix}"), 200)
    assert uuids_of(root) == {OWN[tenant_id][0]}


@pytest.mark.parametrize("suffix", ["", "?format=Entity"])
def test_tenant_sees_only_its_points(seed: EmClient, tenant: tuple[str, str], suffix: str) -> None:
    """`/api/cloud/vmReplicaPoints` lists exactly the tenant's own restore points."""
    tenant_id, token = tenant
    root = body(seed.get_as(token, f"/api/cloud/vmReplicaPoints{suffix}"), 200)
    assert uuids_of(root) == OWN[tenant_id][1]
    data = seed.get_as(token, f"/api/cloud/vmReplicaPoints{suffix}", headers=JSON).json()
    items = data["CloudVmReplicaPoints"] if suffix else data["Refs"]
    assert {i["UID"].rsplit(":", 1)[-1] for i in items} == OWN[tenant_id][1]


@pytest.mark.parametrize("suffix", ["", "?format=Entity"])
def test_own_items_answer_and_others_are_not_found(seed: EmClient, tenant: tuple[str, str], suffix: str) -> None:
    """Own replica and points: 200; another tenant's: 404 (not 403, which would tell they exist)."""
    tenant_id, token = tenant
    replica, points = OWN[tenant_id]
    other_replica, other_points = OWN[OTHER[tenant_id]]
    assert seed.get_as(token, f"/api/cloud/replicas/{replica}{suffix}").status_code == 200
    for point in points:
        assert seed.get_as(token, f"/api/cloud/vmReplicaPoints/{point}{suffix}").status_code == 200
    assert_error(seed.get_as(token, f"/api/cloud/replicas/{other_replica}{suffix}"), 404, "NotFound")
    for point in other_points:
        assert_error(seed.get_as(token, f"/api/cloud/vmReplicaPoints/{point}{suffix}"), 404, "NotFound")
    response = seed.get_as(token, f"/api/cloud/replicas/{other_replica}{suffix}", headers=JSON)
    assert (response.status_code, response.json()["Status"]) == (404, "NotFound")


@pytest.mark.parametrize("route", SUB_ROUTES, ids=[route.path for route in SUB_ROUTES])
def test_sub_collections_of_own_and_other_items(
    seed: EmClient, tenant: tuple[str, str], route: registry.FamilyRoute
) -> None:
    """`…/{item}/…` (a replica's `vmReplicaPoints`, and its alias): the own item's objects; another
    tenant's item is not found, in either form."""
    tenant_id, token = tenant
    assert route.sub is not None
    world, kind = seed.em.world, route.family.kind
    parents = world.all(route.family.name).values()
    own = [str(p.id) for p in parents if str(owner(world, kind, p)) == tenant_id]
    other = [str(p.id) for p in parents if str(owner(world, kind, p)) == OTHER[tenant_id]]
    assert own and other
    path = f"/api{route.path}"
    for parent in own:
        expected = {str(o.id) for o in route.sub.members(world, UUID(parent))}
        root = body(seed.get_as(token, path.format(id=parent)), 200, "EntityReferences")
        assert uuids_of(root) == expected
        if route.family.name == "CloudReplica":
            assert (parent, expected) == OWN[tenant_id]
    for parent in other:
        assert_error(seed.get_as(token, path.format(id=parent)), 404, "NotFound")
        assert_error(seed.get_as(token, path.format(id=parent) + "?format=Entity"), 404, "NotFound")
    assert_error(seed.get_as(token, path.format(id=UNKNOWN_GUID)), 404, "NotFound")


# -- the query service ---------------------------------------------------------------------------


def _query_uuids(seed: EmClient, token: str, type_name: str, filter_text: str | None = None) -> set[str]:
    params = {"type": type_name, "format": "Entities"}
    if filter_text is not None:
        params["filter"] = filter_text
    root = body(seed.get_as(token, "/api/query", params=params), 200, "QueryResult")
    entities = root.find(q("Entities"))
    assert entities is not None and len(entities) == 1
    refs = body(seed.get_as(token, "/api/query", params={**params, "format": "References"}), 200, "QueryResult")
    ref_list = refs.find(q("Refs"))
    assert ref_list is not None
    assert uuids_of(ref_list) == uuids_of(entities[0])
    return uuids_of(entities[0])


def test_tenant_queries_see_only_their_own(seed: EmClient, tenant: tuple[str, str]) -> None:
    """Queries of points and replicas answer only the tenant's own objects, whatever the filter names."""
    tenant_id, token = tenant
    replica, points = OWN[tenant_id]
    other = OTHER[tenant_id]
    other_replica, other_points = OWN[other]
    other_name = seed.em.world.replicas[next(r for r in seed.em.world.replicas if str(r) == other_replica)].name
    assert _query_uuids(seed, token, "CloudVmReplicaPoint") == points
    assert _query_uuids(seed, token, "CloudReplica") == {replica}
    assert _query_uuids(seed, token, "CloudVmReplicaPoint", f'ReplicaName=="{other_name}"') == set()
    assert _query_uuids(seed, token, "CloudVmReplicaPoint", f"ReplicaUid==urn:veeam:CloudReplica:{other_replica}") == (
        set()
    )
    uid_filter = ",".join(f"UID==urn:veeam:CloudVmReplicaPoint:{p}" for p in other_points | points)
    assert _query_uuids(seed, token, "CloudVmReplicaPoint", uid_filter) == points
    assert _query_uuids(seed, token, "CloudVmReplicaPoint", "BackupServerName==172.17.53.48") == points
    assert _query_uuids(seed, token, "CloudReplica", f'Name=="{other_name}"') == set()
    assert _query_uuids(seed, token, "CloudReplica", f"UID==urn:veeam:CloudReplica:{other_replica}") == set()


def test_tenant_query_paging_counts_only_its_own(seed: EmClient, tenant: tuple[str, str]) -> None:
    """PagesCount follows the tenant's own matches, not the provider's."""
    tenant_id, token = tenant
    response = seed.get_as(token, "/api/query?type=CloudVmReplicaPoint&pageSize=1", headers=JSON)
    assert response.json()["PagingInfo"]["PagesCount"] == len(OWN[tenant_id][1])


@pytest.mark.parametrize(
    "url",
    [
        *(
            f"/api{f.path}{item}{suffix}"
            for f in PROVIDER_FAMILIES
            for item in ("", *(f"/{object_id}" for object_id in SEED_WORLD.all(f.name)))
            for suffix in ("", "?format=Entity")
        ),
        "/api/query?type=CloudTenant",
        "/api/query?type=BackupServer&format=Entities",
        "/api/query?type=cloudtenant&filter=Name==x",
    ],
)
def test_provider_resources_are_forbidden(seed: EmClient, tenant: tuple[str, str], url: str) -> None:
    """Backup servers, tenants and their query types are 403 for a tenant."""
    _, token = tenant
    assert_error(seed.get_as(token, url), 403, "Forbidden")
    response = seed.get_as(token, url, headers=JSON)
    assert (response.status_code, response.json()["Status"]) == (403, "Forbidden")


def test_no_tenant_href_leads_to_provider_resources(seed: EmClient, tenant: tuple[str, str]) -> None:
    """Crawling everything a tenant can reach: every Href resolves (200) and none names a backup server
    or a tenant."""
    _, token = tenant
    seen: set[str] = set()
    todo = [f"{API}/logonSessions", f"{API}/cloud", f"{API}/querySvc", f"{API}/"]
    while todo:
        url = todo.pop()
        if url in seen:
            continue
        seen.add(url)
        response = seed.get_as(token, url)
        assert response.status_code == 200, (url, response.text[:300])
        found = hrefs(parse(response))
        json_found = list(json_hrefs(seed.get_as(token, url, headers=JSON).json()))
        assert sorted(found) == sorted(json_found)
        for href in found:
            assert not any(part in href for part in FORBIDDEN_PATHS), (url, href)
            if "/sessionMngr" not in href:
                todo.append(href)
    assert len(seen) > 10


def test_tenant_sees_only_its_own_sessions(em_client: Callable[..., EmClient]) -> None:
    """`/api/logonSessions` for a tenant lists its own sessions (the caller's first), no others."""
    client = em_client(fixture=str(SEED_FIXTURE))
    ucm, abc = (next(t for t in client.em.world.tenants.values() if str(t.id) == i) for i in (UCM, ABC))
    mine = [tenant_logon_response(client, ucm.username, ucm.password, mode) for mode in ("xml", "json")]
    tenant_logon(client, abc, "xml")
    client.logon()
    for response in mine:
        token = response.headers["X-RestSvcSessionId"]
        root = body(client.get_as(token, "/api/logonSessions"), 200, "LogonSessions")
        assert [text(s, "UserName") for s in root] == ["UCM Company", "UCM Company"]
        assert root[0].get("Href") == response.headers["Location"]
        assert {s.get("Href") for s in root} == {r.headers["Location"] for r in mine}
    everyone = body(client.get_as(client.logon(), "/api/logonSessions"), 200, "LogonSessions")
    assert len(everyone) == 5


# -- logon failures ------------------------------------------------------------------------------


@pytest.mark.parametrize("mode", ["xml", "json"])
@pytest.mark.parametrize(
    ("username", "password"),
    [
        ("UCM Company", "wrong"),
        ("UCM Company", ""),
        ("Nobody Inc", "Ucm4CloudRepl1ca"),
        ("ABC Company", "Ucm4CloudRepl1ca"),
    ],
)
def test_wrong_tenant_credentials_are_unauthorized(seed: EmClient, mode: str, username: str, password: str) -> None:
    """A wrong password or an unknown tenant gets 401 with the Basic challenge."""
    response = tenant_logon_response(seed, username, password, mode)
    assert response.status_code == 401
    assert response.headers["www-authenticate"] == "Basic Realm=RestSvc"
    if mode == "xml":
        assert_error(response, 401, "Unauthorized")
    assert "X-RestSvcSessionId" not in response.headers


def test_tenant_names_compare_case_insensitively(seed: EmClient) -> None:
    """`ucm company` is the UCM Company tenant (Veeam's names ignore case); the password does not."""
    assert tenant_logon_response(seed, "ucm company", "Ucm4CloudRepl1ca", "xml").status_code == 201
    assert tenant_logon_response(seed, "UCM Company", "ucm4cloudrepl1ca", "xml").status_code == 401


@pytest.mark.parametrize("mode", ["xml", "json"])
def test_disabled_tenant_cannot_log_on(em_client: Callable[..., EmClient], mode: str) -> None:
    """A disabled tenant gets 401 even with the right password."""
    client = em_client(fixture=str(SEED_FIXTURE))
    tenant = next(t for t in client.em.world.tenants.values() if str(t.id) == UCM)
    tenant.enabled = False
    client.em.world.changed()
    response = tenant_logon_response(client, tenant.username, tenant.password, mode)
    assert response.status_code == 401, response.text
    other = next(t for t in client.em.world.tenants.values() if str(t.id) == ABC)
    assert tenant_logon_response(client, other.username, other.password, mode).status_code == 201


# -- a property over generated worlds ------------------------------------------------------------


@settings(max_examples=12, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(
    seed_value=st.integers(min_value=0, max_value=2**31 - 1),
    tenants=st.integers(min_value=1, max_value=3),
    replicas=st.integers(min_value=0, max_value=2),
    vms=st.integers(min_value=1, max_value=2),
    points=st.integers(min_value=1, max_value=3),
)
def test_every_tenant_sees_exactly_its_model_objects(
    seed_value: int, tenants: int, replicas: int, vms: int, points: int
) -> None:
    """For every tenant of a generated world, the points and replicas it sees over HTTP are those the
    model says it owns (the point's replica's tenant_id is the tenant's id)."""
    size = {"tenants": tenants, "replicas_per_tenant": replicas, "vms_per_replica": vms, "points_per_vm": points}
    client = make_client(Settings(seed=seed_value, **size))
    try:
        world = client.em.world
        assert len(world.tenants) == tenants
        for tenant in world.tenants.values():
            token = tenant_logon(client, tenant, "json" if seed_value % 2 else "xml")
            own_replicas = {str(r.id) for r in world.replicas.values() if r.tenant_id == tenant.id}
            own_points = {
                str(p.id) for p in world.points.values() if world.replicas[p.replica_id].tenant_id == tenant.id
            }
            data = client.get_as(token, "/api/cloud/vmReplicaPoints", headers=JSON).json()
            assert {r["UID"].rsplit(":", 1)[-1] for r in data["Refs"]} == own_points
            data = client.get_as(token, "/api/cloud/replicas", headers=JSON).json()
            assert {r["UID"].rsplit(":", 1)[-1] for r in data["Refs"]} == own_replicas
            data = client.get_as(token, "/api/query?type=CloudVmReplicaPoint&pageSize=1000", headers=JSON).json()
            assert {r["UID"].rsplit(":", 1)[-1] for r in data["Refs"]["Refs"]} == own_points
            for f in SERVED:  # and every family's collection: its own objects, or 403
                response = client.get_as(token, f"/api{f.path}", headers=JSON)
                if f in PROVIDER_FAMILIES:
                    assert response.status_code == 403, f.path
                    continue
                own = {str(o.id) for o in world.all(f.name).values() if belongs_to(world, f.kind, o, tenant.id)}
                assert {r["UID"].rsplit(":", 1)[-1] for r in response.json()["Refs"]} == own, f.path
    finally:
        client.close()
