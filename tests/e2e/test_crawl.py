"""Crawl: from `GET /api/` and the LogonSession, follow every Href of every response.

Every followed Href must answer 200 with a schema-valid body (the conftest hook validates each
response), and the crawl must reach every route family in both forms where both are linked.
"""

from __future__ import annotations

import re
from collections import deque
from collections.abc import Callable, Iterator

import httpx
import pytest
from conftest import BASE, SEED_FIXTURE, EmClient
from lxml import etree

from mock_em import registry
from mock_em.model.access import Access, belongs_to
from mock_em.model.entities import Role
from mock_em.registry import FamilyRoute
from mock_em.releases import DEFAULT_RELEASE, has_arrived
from mock_em.settings import Settings

MAX_REQUESTS = 2000
NS = "http://www.veeam.com/ent/v1.0"
_GUID = re.compile(r"[0-9a-fA-F]{8}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{12}")

# The releases crawled over the seed world: each release mock-em's profiles describe, the default
# first. The costlier crawls (a generated world, other roles) take the default release, the first
# with every family and its notation (12) and the camelCase one (13); 10 and 11 serve 12's families.
ALL_RELEASES = (DEFAULT_RELEASE, "10", "11", "12", "13")
RELEASES = (DEFAULT_RELEASE, "12", "13")
WORLDS = [("seed", r) for r in ALL_RELEASES] + [("generated", r) for r in RELEASES]
# The documents that link a family's collection in both forms (the service documents); the
# LogonSession links only the reference list (`BackupServerReferenceList`), so a collection linked
# from there is reached in reference form alone.
BOTH_FORMS = registry.SERVICES


def protocol(release: str) -> set[str]:
    """The protocol's routes a crawl from the root must reach in a release (`{id}` stands for a
    GUID): root, sessions, and the service documents the release serves."""
    return {"/api/", "/api/logonSessions", "/api/logonSessions/{id}"} | {
        f"/api{path}" for path in registry.service_paths(release)
    }


def family_forms(route: FamilyRoute) -> set[str]:
    """The forms of one family route a crawl reaches, by what links to them: a collection from its
    `down` document (in entity form too where that document links both forms); an item from each
    Ref and entity (`Alternate` links the other form); a sub-collection from its parent's Down link,
    in reference form. A sub-collection's aliases are served but never linked, so they are not
    reached; a family without `down` is linked from nowhere, so its collection must fail this set."""
    path = f"/api{route.path}"
    if route.shape == "list":
        down = route.family.down
        return {path, f"{path}?format=Entity"} if down is not None and down.document in BOTH_FORMS else {path}
    if route.shape == "item":
        return {path, f"{path}?format=Entity"}
    assert route.sub is not None
    return {path} if route.path == f"{route.family.path}/{{id}}/{route.sub.segment}" else set()


def route_families(release: str) -> set[str]:
    """Every route family a crawl from the root must reach in a release: the protocol's and those
    of every family the release serves."""
    return protocol(release).union(*(family_forms(route) for route in registry.routes(release)))


def release_of(client: EmClient) -> str:
    """The release the client's server emulates."""
    return client.app.state.settings.release  # type: ignore[attr-defined]


POINT_ITEM = "/api/cloud/vmReplicaPoints/{id}"


def family(href: str) -> str:
    """`http://localhost:9399/api/cloud/tenants/<guid>?format=Entity` → `/api/cloud/tenants/{id}?format=Entity`."""
    return _GUID.sub("{id}", href.removeprefix(BASE))


def hrefs_of(response: httpx.Response) -> Iterator[tuple[str, str | None]]:
    """(Href, Rel) of every element of a body that carries an Href: links, refs and entities."""
    for element in etree.fromstring(response.content).iter(etree.Element):
        href = element.get("Href")
        if href is not None:
            yield href, element.get("Rel")


class Crawl:
    """What a crawl fetched: every followed Href with its status, and what it skipped."""

    def __init__(self) -> None:
        self.status: dict[str, int] = {}
        self.skipped: set[str] = set()
        self.foreign: set[str] = set()
        self.session = ""

    @property
    def families(self) -> set[str]:
        """The route families reached."""
        return {family(href) for href in self.status}


def tenant_login_spec(username: str, password: str) -> bytes:
    """The body of a Cloud Connect tenant's logon (em-api.md §3.1)."""
    spec = etree.Element(f"{{{NS}}}LoginSpec", nsmap={None: NS})
    credentials = etree.SubElement(spec, f"{{{NS}}}TenantCredentials")
    etree.SubElement(credentials, f"{{{NS}}}Username").text = username
    etree.SubElement(credentials, f"{{{NS}}}Password").text = password
    return etree.tostring(spec)


def crawl(client: EmClient, user: str = "Administrator", password: str = "P@ssw0rd", tenant: bool = False) -> Crawl:
    """Log on (HTTP Basic, or a tenant's LoginSpec) and follow every Href breadth-first (GET only;
    `Create` links are POSTs and skipped)."""
    result = Crawl()
    client.cookies.clear()
    root = client.get("/api/")
    assert root.status_code == 200
    if tenant:
        logon = client.post(
            "/api/sessionMngr/?v=latest",
            content=tenant_login_spec(user, password),
            headers={"Content-Type": "application/xml"},
        )
    else:
        logon = client.post("/api/sessionMngr/?v=latest", auth=(user, password))
    assert logon.status_code == 201, logon.text
    token = logon.headers["X-RestSvcSessionId"]
    result.session = logon.headers["Location"]
    queue: deque[tuple[str, str | None]] = deque([*hrefs_of(root), *hrefs_of(logon)])
    while queue:
        href, rel = queue.popleft()
        if rel == "Create":
            result.skipped.add(href)
            continue
        if not href.startswith(BASE + "/api"):
            result.foreign.add(href)
            continue
        if href in result.status:
            continue
        assert len(result.status) < MAX_REQUESTS, f"crawl did not finish within {MAX_REQUESTS} requests"
        response = client.get_as(token, href)
        result.status[href] = response.status_code
        if response.status_code == 200:
            queue.extend(hrefs_of(response))
    return result


SMALL = {"tenants": 2, "replicas_per_tenant": 1, "vms_per_replica": 2, "points_per_vm": 3}


@pytest.fixture(params=WORLDS, ids=lambda p: "-".join(p))
def world_client(request: pytest.FixtureRequest, em_client: Callable[..., EmClient]) -> EmClient:
    """A client over the seed world, or over a small generated one, in each crawled release."""
    world, release = request.param
    if world == "seed":
        return em_client(fixture=str(SEED_FIXTURE), release=release)
    return em_client(release=release, **SMALL)


def test_every_followed_href_answers_200(world_client: EmClient) -> None:
    """No followed link is broken, and every link stays on the server the client used."""
    result = crawl(world_client)
    broken = {href: status for href, status in result.status.items() if status != 200}
    assert broken == {}
    assert result.foreign == set()
    versions = ["latest", *Settings(release=release_of(world_client)).api_versions]
    assert result.skipped == {f"{BASE}/api/sessionMngr/?v={v}" for v in versions}


def test_crawl_reaches_every_route_family(world_client: EmClient) -> None:
    """Root, sessions, backup servers, the cloud service and each cloud collection and item."""
    missing = route_families(release_of(world_client)) - crawl(world_client).families
    assert missing == set()


def test_crawl_reaches_every_object_in_both_forms(world_client: EmClient) -> None:
    """Every object of every family in the world is linked, as a reference and as an entity; and
    every item's own sub-collections the release has (a replica's point list) are reached."""
    world, release = world_client.em.world, release_of(world_client)
    fetched = set(crawl(world_client).status)
    expected: set[str] = set()
    for f in registry.families(release):
        ids = world.all(f.name)
        assert ids, f"the world has no {f.kind.plural}"
        for object_id in ids:
            expected |= {f"{BASE}/api{f.path}/{object_id}", f"{BASE}/api{f.path}/{object_id}?format=Entity"}
        subs = [sub for sub in f.subs if has_arrived(sub.since, release)]
        expected |= {f"{BASE}/api{f.path}/{object_id}/{sub.segment}" for sub in subs for object_id in ids}
    assert {f"{BASE}/api/cloud/replicas/{r}/vmReplicaPoints" for r in world.replicas} <= expected
    assert expected - fetched == set()


@pytest.mark.parametrize("release", RELEASES)
def test_crawl_is_bounded_and_small(em_client: Callable[..., EmClient], release: str) -> None:
    """The small generated world crawls in a predictable number of requests (no link loops that
    mint new URLs): 2 per object the release serves, its collections, plus root, sessions and
    its service documents; the objects of families it lacks are never reached."""
    client = em_client(release=release, **SMALL)
    world = client.em.world
    served = registry.families(release)
    fetched = crawl(client).status
    known = [href for href in fetched if family(href) in route_families(release)]
    objects = sum(len(world.all(f.name)) for f in served)
    collections = sum(len(family_forms(route)) for route in registry.routes(release) if route.shape == "list")
    sub_lists = sum(len(world.all(f.name)) * sum(has_arrived(s.since, release) for s in f.subs) for f in served)
    # objects in two forms; each collection in the forms its Down link offers (backupServers in
    # reference form only, the cloud and agent collections in both); each replica's point list;
    # /api/, /api/logonSessions, the session and the service documents.
    assert len(known) == 2 * objects + collections + sub_lists + len(protocol(release))
    unserved = [f for f in registry.FAMILIES if f not in served]
    assert not [href for href in fetched for f in unserved if f"/api{f.path}" in href]


@pytest.mark.parametrize("release", RELEASES)
@pytest.mark.parametrize("role", ["PortalUser", "RestoreOperator"])
def test_other_roles_get_only_links_they_may_follow(
    em_client: Callable[..., EmClient], role: str, release: str
) -> None:
    """A Portal User or Restore Operator is linked only to what it may read: no 403 or 404 on the
    way, and a Restore Operator is never shown the backup servers or the tenants."""
    client = em_client(release=release, user=("Administrator:P@ssw0rd", f"someone:pw:{role}"), **SMALL)
    result = crawl(client, "someone", "pw")
    assert {href: status for href, status in result.status.items() if status != 200} == {}
    families = result.families
    assert "/api/cloud/vmReplicaPoints/{id}?format=Entity" in families
    provider = {f for f in families if f.startswith(("/api/backupServers", "/api/cloud/tenants"))}
    if role == "RestoreOperator":
        assert provider == set()
    else:
        assert "/api/cloud/tenants/{id}?format=Entity" in provider
    # What the access policy lets the role read is reached in every linked form; the rest not at all.
    access = Access(Role(role))
    for route in registry.routes(release):
        reached = family_forms(route) & families
        if access.reads(route.family.kind) and access.reads(route.listed.kind):
            assert reached == family_forms(route), route.path
        else:
            assert reached == set(), route.path


def test_each_tenant_crawls_only_its_own_cloud(world_client: EmClient) -> None:
    """A tenant's logon links only to its own cloud resources: every link resolves, it reaches each
    of its own points in both forms, and nothing of the provider or of other tenants."""
    world = world_client.em.world
    assert len(world.tenants) >= 2
    world_client.logon()  # an administrator's session that no tenant may see
    for tenant in world.tenants.values():
        result = crawl(world_client, tenant.username, tenant.password, tenant=True)
        assert {href: status for href, status in result.status.items() if status != 200} == {}, tenant.name
        own_replicas = {r.id for r in world.replicas.values() if r.tenant_id == tenant.id}
        own_points = {p.id for p in world.points.values() if p.replica_id in own_replicas}
        points = {href for href in result.status if family(href) in (POINT_ITEM, f"{POINT_ITEM}?format=Entity")}
        expected = {
            f"{BASE}/api/cloud/vmReplicaPoints/{p}{form}" for p in own_points for form in ("", "?format=Entity")
        }
        assert points == expected, tenant.name
        replica_ids = {_GUID.search(href).group(0) for href in result.status if "/cloud/replicas/" in href}
        assert replica_ids == {str(r) for r in own_replicas}, tenant.name
        outside = {
            f for f in result.families if f != "/api/" and not f.startswith(("/api/cloud", "/api/logonSessions"))
        }
        assert outside == set(), tenant.name
        assert not any(f.startswith(("/api/cloud/tenants", "/api/backupServers")) for f in result.families)
        access = Access(Role.CloudTenant, tenant.id)
        for route in registry.routes(release_of(world_client)):  # all it may read, but what `/cloud` does not link
            readable = access.reads(route.family.kind) and access.reads(route.listed.kind)
            linked = readable and all(f.down is None or f.down.tenants for f in (route.family, route.listed))
            # An item (or what hangs from it) is reached only where the tenant owns one: a tenant
            # without a failover plan is offered the list, empty, and no plan.
            objects = world.all(route.family.name).values()
            owns = any(belongs_to(world, route.family.kind, o, tenant.id) for o in objects)
            reachable = linked and (route.shape == "list" or owns)
            assert (family_forms(route) & result.families == family_forms(route)) == reachable, route.path
        sessions = {href for href in result.status if family(href) == "/api/logonSessions/{id}"}
        assert sessions == {result.session}, tenant.name
