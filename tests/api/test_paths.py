"""Paths match case-insensitively, with or without a trailing slash; ids are kept as sent (em-api.md §1)."""

from __future__ import annotations

from collections.abc import Callable

import pytest
from conftest import EmClient
from xmlutil import API, assert_error, body, children, logon

from mock_em import registry
from mock_em.releases import DEFAULT_RELEASE

CANONICAL = [
    ("/API/CLOUD/VMREPLICAPOINTS", "/api/cloud/vmReplicaPoints"),
    ("/api/cloud/vmreplicapoints", "/api/cloud/vmReplicaPoints"),
    ("/api/backupservers", "/api/backupServers"),
    ("/Api/Cloud/Tenants?Format=Entity", "/api/cloud/tenants?format=Entity"),
    ("/api/CLOUD/replicas", "/api/cloud/replicas"),
    ("/api/LOGONSESSIONS", "/api/logonSessions"),
    ("/API/", "/api/"),
    ("/api/cloud/", "/api/cloud"),
    ("/api/cloud/vmReplicaPoints/", "/api/cloud/vmReplicaPoints"),
    ("/api/backupServers/", "/api/backupServers"),
    ("/api/cloud/tenants/?format=Entity", "/api/cloud/tenants?format=Entity"),
    ("/API/CLOUD/", "/api/cloud"),
    ("/API/AGENTS/", "/api/agents"),
]
# Every family's collection: upper case, lower case with a trailing slash, and the entity form
# with the parameter's name and value in other cases; each in a release that serves it.
CANONICAL_IN = [(*row, "12" if row[1] == "/api/agents" else DEFAULT_RELEASE) for row in CANONICAL]
CANONICAL_IN += [
    (*row, registry.release_serving(route.family))
    for route in registry.ROUTES
    if route.shape == "list"
    for row in (
        (f"/API{route.path.upper()}", f"/api{route.path}"),
        (f"/api{route.path.lower()}/", f"/api{route.path}"),
        (f"/Api{route.path.upper()}/?Format=entity", f"/api{route.path}?format=Entity"),
    )
]
# Every family's item route, and each sub-collection of an item (aliases are tested below).
ITEM_ROUTES = [
    (
        f"/api{route.family.path}",
        route.path.removeprefix(f"{route.family.path}/{{id}}"),
        registry.route_release(route),
    )
    for route in registry.ROUTES
    if route.shape == "item" or (route.sub is not None and route.path.startswith(f"{route.family.path}/{{id}}/"))
]


@pytest.mark.parametrize(("variant", "canonical", "release"), CANONICAL_IN)
def test_variant_answers_as_canonical(
    em_client: Callable[..., EmClient], variant: str, canonical: str, release: str
) -> None:
    """Another case or a trailing slash gives the same answer, with canonical camelCase Hrefs."""
    client = em_client(release=release)
    token, _ = logon(client)
    expected = client.get_as(token, canonical)
    assert expected.status_code == 200
    got = client.get_as(token, variant)
    assert got.status_code == 200, got.text[:300]
    assert got.content == expected.content


def item_href(client: EmClient, token: str, path: str) -> str:
    """The Href of the first Ref of a collection."""
    return children(body(client.get_as(token, path), 200, "EntityReferences"), "Ref")[0].get("Href") or ""


@pytest.mark.parametrize(("collection", "suffix", "release"), ITEM_ROUTES)
def test_item_routes_case_and_slash(
    em_client: Callable[..., EmClient], collection: str, suffix: str, release: str
) -> None:
    """Item routes accept upper-case segments, an upper-case GUID and a trailing slash; Hrefs stay canonical."""
    client = em_client(release=release)
    token, _ = logon(client)
    href = item_href(client, token, collection) + suffix
    expected = client.get_as(token, href)
    assert expected.status_code == 200
    path = href.removeprefix("http://localhost:9399")
    for variant in (path + "/", path.upper(), path.upper() + "/"):
        got = client.get_as(token, variant)
        assert got.status_code == 200, variant
        assert got.content == expected.content, variant
    assert all(h.startswith(f"{API}/") for h in body(expected).xpath("//@Href"))


ALIASES = [
    route
    for route in registry.ROUTES
    if route.sub is not None and route.path != f"{route.family.path}/{{id}}/{route.sub.segment}"
]


@pytest.mark.parametrize("route", ALIASES, ids=[route.path for route in ALIASES])
def test_sub_collection_aliases_case_and_slash(client: EmClient, route: registry.FamilyRoute) -> None:
    """A sub-collection's alias (an older API's path) answers as the sub-collection itself, in any
    case and with a trailing slash."""
    assert route.sub is not None
    token, _ = logon(client)
    href = item_href(client, token, f"/api{route.family.path}")
    object_id = href.rsplit("/", 1)[-1]
    expected = client.get_as(token, f"{href}/{route.sub.segment}")
    assert expected.status_code == 200 and len(body(expected)) > 0
    path = f"/api{route.path}".format(id=object_id)
    for variant in (path, path + "/", path.upper(), path.upper() + "/"):
        got = client.get_as(token, variant)
        assert got.status_code == 200, variant
        assert got.content == expected.content, variant


@pytest.mark.parametrize(
    "path", [*(f"/api{route.path}" for route in registry.ROUTES if route.shape != "list"), "/api/logonSessions/{id}"]
)
@pytest.mark.parametrize("sent", ["NoSuchThing", "MiXeD-CaSe-Id"])
def test_unknown_ids_kept_as_sent(em_client: Callable[..., EmClient], path: str, sent: str) -> None:
    """The path rewriting leaves ids alone: the 404 message names the id exactly as sent (in
    the newest release, which serves every route)."""
    client = em_client(release=registry.NEWEST_RELEASE)
    token, _ = logon(client)
    error = assert_error(client.get_as(token, path.format(id=sent)), 404, "NotFound")
    assert sent in (error.get("Message") or "")


def test_id_equal_to_segment_name_kept_as_sent(client: EmClient) -> None:
    """An id that happens to spell a known segment name is still kept as sent."""
    token, _ = logon(client)
    error = assert_error(client.get_as(token, "/api/cloud/tenants/Replicas"), 404, "NotFound")
    assert "Replicas" in (error.get("Message") or "")


@pytest.mark.parametrize("path", ["/api/sessionmngr/", "/API/SessionMngr", "/api/SESSIONMNGR/?v=v1_4"])
def test_logon_path_case_and_slash(client: EmClient, path: str) -> None:
    """The logon path matches in any case, with or without slash."""
    body(client.post(path, auth=("Administrator", "P@ssw0rd")), 201, "LogonSession")
