"""EM roles (em-api.md §3.1): Portal Administrators see everything and every session, Portal Users
only their own sessions, Restore Operators restore points and replicas but not the provider's
configuration (403), and no link offered to a role leads to a 403."""

from __future__ import annotations

from collections.abc import Callable, Iterator
from uuid import UUID

import pytest
from conftest import SEED_FIXTURE, EmClient, make_client, seed_world
from xmlutil import API, assert_error, body, hrefs, links, parse, text

from mock_em import registry
from mock_em.model.access import Access
from mock_em.model.entities import Role
from mock_em.registry import FamilyRoute
from mock_em.releases import DEFAULT_RELEASE
from mock_em.resources.family import Family
from mock_em.settings import Settings

JSON = {"Accept": "application/json"}
USERS = ("Administrator:P@ssw0rd", "pu:pw:PortalUser", "ro:pw:RestoreOperator")
ADMIN = ("Administrator", "P@ssw0rd")
PORTAL_USER = ("pu", "pw")
RESTORE_OPERATOR = ("ro", "pw")
ROLES = {ADMIN: Role.PortalAdministrator, PORTAL_USER: Role.PortalUser, RESTORE_OPERATOR: Role.RestoreOperator}
# The seed world, to name its objects and count them in the URL tables below.
SEED_WORLD = seed_world()
OPERATOR = Access(Role.RestoreOperator)
# What the LogonSession offers Portal Administrators and Portal Users, in the order of em12.
PROVIDER_LINKS = [
    ("Up", "EnterpriseManager"),
    ("Down", "BackupServerReferenceList"),
    ("Down", "ManagedServerReferenceList"),
    ("Down", "JobReferenceList"),
    ("Down", "HierarchyRootReferenceList"),
    ("Down", "RepositoryReferenceList"),
    ("Down", "BackupReferenceList"),
    ("Down", "RestorePointReferenceList"),
    ("Down", "VmRestorePointReferenceList"),
    ("Down", "BackupJobSessionReferenceList"),
    ("Down", "ReplicaJobSessionReferenceList"),
    ("Down", "BackupTaskSessionReferenceList"),
    ("Down", "ReplicaTaskSessionReferenceList"),
    ("Down", "BackupFileReferenceList"),
    ("Down", "CloudConnectService"),
    ("Down", "QueryService"),
    ("Down", "LookupService"),
    ("Down", "Report"),
    ("Down", "LogonSessionList"),
    ("Delete", None),
]


def first_id(f: Family) -> str:
    """The first object of a family in the seed world."""
    return str(next(iter(SEED_WORLD.all(f.name))))


def listed_count(route: FamilyRoute, object_id: str) -> int:
    """How many objects a list route shows an administrator (`object_id`: a sub-collection's parent)."""
    objects = SEED_WORLD.all(route.listed.name).values()
    if route.sub is None:
        return len(objects)
    return len(route.sub.members(SEED_WORLD, UUID(object_id)))


# The seed world here is served in the default release: the routes of its families (a newer
# family's roles are tested in its own module).
SERVED_ROUTES = registry.routes(DEFAULT_RELEASE)


def operator_reads(route: FamilyRoute) -> bool:
    """Whether a Restore Operator may read what a route shows (and the item it hangs from)."""
    return OPERATOR.reads(route.family.kind) and OPERATOR.reads(route.listed.kind)


# Collections and items of every family a Restore Operator may not read, and their query types.
FORBIDDEN_TO_OPERATORS = [
    f"/api{route.path}".format(id=first_id(route.family)) + suffix
    for route in SERVED_ROUTES
    if route.shape != "sub" and not operator_reads(route)
    for suffix in ("", "?format=Entity")
] + [
    "/api/query?type=CloudTenant",
    "/api/query?type=CloudTenant&format=Entities&filter=Name==x",
    "/api/query?type=BackupServer",
    "/api/query?type=backupserver&format=Entities",
]
# Every list route a Restore Operator may read (sub-collections and their aliases too), with the
# number of objects it shows.
READABLE_BY_OPERATORS = [
    (f"/api{route.path}".format(id=first_id(route.family)) + suffix, listed_count(route, first_id(route.family)))
    for route in SERVED_ROUTES
    if route.shape != "item" and operator_reads(route)
    for suffix in (("", "?format=Entity") if route.shape == "list" else ("",))
]
# Every family's collection in both forms, with the number of objects it shows the portal roles.
EVERY_COLLECTION = [
    (f"/api{route.path}{suffix}", listed_count(route, ""))
    for route in SERVED_ROUTES
    if route.shape == "list"
    for suffix in ("", "?format=Entity")
]


@pytest.fixture(scope="module")
def seed() -> Iterator[EmClient]:
    """A checked client over the seed world with one account of each role."""
    client = make_client(Settings(fixture=str(SEED_FIXTURE), user=USERS))
    yield client
    client.close()


def session_links(client: EmClient, user: tuple[str, str]) -> tuple[str, list[tuple[str | None, str | None]]]:
    """Log on; (token, the (Rel, Type) of the returned LogonSession's links)."""
    response = client.post("/api/sessionMngr/?v=latest", auth=user)
    assert response.status_code == 201
    client.cookies.clear()
    return response.headers["X-RestSvcSessionId"], [(li.Rel, li.Type) for li in links(parse(response))]


# -- what each role is offered -------------------------------------------------------------------


@pytest.mark.parametrize(
    ("user", "expected"),
    [
        (ADMIN, PROVIDER_LINKS),
        (PORTAL_USER, PROVIDER_LINKS),  # the same links: the role limits whose sessions it sees
        (
            RESTORE_OPERATOR,
            [
                ("Up", "EnterpriseManager"),
                ("Down", "HierarchyRootReferenceList"),
                ("Down", "BackupReferenceList"),
                ("Down", "RestorePointReferenceList"),
                ("Down", "VmRestorePointReferenceList"),
                ("Down", "BackupFileReferenceList"),
                ("Down", "CloudConnectService"),
                ("Down", "QueryService"),
                ("Down", "LookupService"),
                ("Down", "LogonSessionList"),
                ("Delete", None),
            ],
        ),
    ],
    ids=["admin", "portal-user", "restore-operator"],
)
def test_logon_session_links_per_role(
    seed: EmClient, user: tuple[str, str], expected: list[tuple[str, str | None]]
) -> None:
    """The LogonSession offers each role the collections it may read."""
    _, found = session_links(seed, user)
    assert found == expected


# -- Portal Administrator ------------------------------------------------------------------------


@pytest.mark.parametrize(("url", "count"), EVERY_COLLECTION)
@pytest.mark.parametrize("user", [ADMIN, PORTAL_USER], ids=["admin", "portal-user"])
def test_portal_roles_see_everything(seed: EmClient, user: tuple[str, str], url: str, count: int) -> None:
    """Portal Administrators and Portal Users read every collection of the provider."""
    token, _ = session_links(seed, user)
    assert len(body(seed.get_as(token, url), 200)) == count


def test_admin_sees_all_sessions_own_first(em_client: Callable[..., EmClient]) -> None:
    """`/api/logonSessions` for an administrator: its own first, then every other live session."""
    client = em_client(fixture=str(SEED_FIXTURE), user=USERS)
    others = [session_links(client, user)[0] for user in (PORTAL_USER, RESTORE_OPERATOR, ADMIN)]
    response = client.post("/api/sessionMngr/?v=latest", auth=ADMIN)
    token, location = response.headers["X-RestSvcSessionId"], response.headers["Location"]
    root = body(client.get_as(token, "/api/logonSessions"), 200, "LogonSessions")
    assert len(root) == 4 == len(others) + 1
    assert root[0].get("Href") == location
    assert sorted(text(s, "UserName") for s in root) == ["EM01\\Administrator"] * 2 + ["EM01\\pu", "EM01\\ro"]
    ro_session = next(s for s in root if text(s, "UserName") == "EM01\\ro")
    # Every session shows the links of its own account: the operator's offers no backup servers.
    assert ("Down", "BackupServerReferenceList") not in [(li.Rel, li.Type) for li in links(ro_session)]
    data = client.get_as(token, "/api/logonSessions", headers=JSON).json()
    assert [s["SessionId"] for s in data["LogonSessions"]] == [text(s, "SessionId") for s in root]


@pytest.mark.parametrize("user", [PORTAL_USER, RESTORE_OPERATOR], ids=["portal-user", "restore-operator"])
def test_other_roles_see_only_their_own_sessions(em_client: Callable[..., EmClient], user: tuple[str, str]) -> None:
    """A Portal User or Restore Operator sees only its own account's sessions; others are not found."""
    client = em_client(fixture=str(SEED_FIXTURE), user=USERS)
    admin_response = client.post("/api/sessionMngr/?v=latest", auth=ADMIN)
    admin_session = text(parse(admin_response), "SessionId")
    other = RESTORE_OPERATOR if user == PORTAL_USER else PORTAL_USER
    session_links(client, other)
    earlier, _ = session_links(client, user)
    response = client.post("/api/sessionMngr/?v=latest", auth=user)
    client.cookies.clear()
    token = response.headers["X-RestSvcSessionId"]
    root = body(client.get_as(token, "/api/logonSessions"), 200, "LogonSessions")
    assert [text(s, "UserName") for s in root] == [f"EM01\\{user[0]}"] * 2
    assert root[0].get("Href") == response.headers["Location"]
    assert_error(client.get_as(token, f"/api/logonSessions/{admin_session}"), 404, "NotFound")
    client.cookies.clear()
    deleted = client.delete(f"/api/logonSessions/{admin_session}", headers={"X-RestSvcSessionId": token})
    assert deleted.status_code == 404
    assert client.get_as(admin_response.headers["X-RestSvcSessionId"], "/api/cloud").status_code == 200
    assert client.get_as(earlier, "/api/cloud").status_code == 200


# -- Restore Operator ----------------------------------------------------------------------------


@pytest.mark.parametrize("url", FORBIDDEN_TO_OPERATORS)
def test_restore_operator_is_forbidden_provider_configuration(seed: EmClient, url: str) -> None:
    """Backup servers and tenants (collections, items, query types): 403 Veeam Error in XML and JSON."""
    token, _ = session_links(seed, RESTORE_OPERATOR)
    root = assert_error(seed.get_as(token, url), 403, "Forbidden")
    assert "Access denied" in (root.get("Message") or "")
    response = seed.get_as(token, url, headers=JSON)
    assert response.status_code == 403
    data = response.json()
    assert (data["StatusCode"], data["Status"]) == (403, "Forbidden")
    assert list(data) == ["FirstChanceExceptionMessage", "StackTrace", "Message", "StatusCode", "Status"]


@pytest.mark.parametrize(("url", "count"), READABLE_BY_OPERATORS)
def test_restore_operator_reads_points_and_replicas(seed: EmClient, url: str, count: int) -> None:
    """Restore points and replicas (collections and items) answer 200."""
    token, _ = session_links(seed, RESTORE_OPERATOR)
    root = body(seed.get_as(token, url), 200)
    assert len(root) == count
    assert not [h for h in hrefs(root) if "/backupServers" in h or "/cloud/tenants" in h]


@pytest.mark.parametrize(
    "url",
    [
        *(
            f"/api{route.path}".format(id=object_id) + suffix
            for route in SERVED_ROUTES
            if route.shape == "item" and operator_reads(route)
            for object_id in SEED_WORLD.all(route.family.name)
            for suffix in ("", "?format=Entity")
        ),
        "/api/query?type=CloudVmReplicaPoint&format=Entities",
        "/api/query?type=CloudReplica",
        "/api/querySvc",
        "/api/cloud",
    ],
)
def test_restore_operator_reads_items_and_queries(seed: EmClient, url: str) -> None:
    """Items and queries of points and replicas answer 200, in XML and JSON."""
    token, _ = session_links(seed, RESTORE_OPERATOR)
    assert seed.get_as(token, url).status_code == 200
    assert seed.get_as(token, url, headers=JSON).status_code == 200


@pytest.mark.parametrize(
    "user", [RESTORE_OPERATOR, PORTAL_USER, ADMIN], ids=["restore-operator", "portal-user", "admin"]
)
def test_every_link_offered_answers(seed: EmClient, user: tuple[str, str]) -> None:
    """Following every link from the LogonSession and /cloud (except Create and Delete) never gets a 403
    (nor any other error)."""
    response = seed.post("/api/sessionMngr/?v=latest", auth=user)
    token = response.headers["X-RestSvcSessionId"]
    seed.cookies.clear()
    todo = [li.Href for li in links(parse(response)) if li.Rel not in ("Create", "Delete") and li.Href]
    todo.append(f"{API}/cloud")
    seen: set[str] = set()
    while todo:
        url = todo.pop()
        if url in seen:
            continue
        seen.add(url)
        answer = seed.get_as(token, url)
        assert answer.status_code == 200, (url, answer.status_code, answer.text[:300])
        root = parse(answer)
        for element in root.iter("{http://www.veeam.com/ent/v1.0}Link"):
            href = element.get("Href")
            if href and element.get("Rel") not in ("Create", "Delete"):
                todo.append(href)
    assert f"{API}/cloud/vmReplicaPoints" in seen and f"{API}/querySvc" in seen
    visited_providers = any("/backupServers" in u for u in seen)
    assert visited_providers == (user != RESTORE_OPERATOR)
    access = Access(ROLES[user])
    for f in registry.families(DEFAULT_RELEASE):
        assert (f"{API}{f.path}" in seen) == access.reads(f.kind), f.path
