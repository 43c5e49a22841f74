"""`GET /api/`: the entry point (em-api.md §1, §2)."""

from __future__ import annotations

from collections.abc import Callable

import pytest
from conftest import EmClient
from xmlutil import API, Link, body, children, hrefs, links

V1_4 = ["v1", "v1_1", "v1_2", "v1_3", "v1_4"]
ALL = [*V1_4, "v1_5", "v1_6", "v1_7"]


def supported_versions(root) -> list[str]:
    """Names of the SupportedVersion elements, in order."""
    (versions,) = children(root, "SupportedVersions")
    return [v.get("Name") for v in children(versions, "SupportedVersion")]


@pytest.mark.parametrize("path", ["/api/", "/api"])
def test_root_needs_no_session_and_links_logon(client: EmClient, path: str) -> None:
    """Both spellings answer the EnterpriseManager with its Href and the two root links, latest logon last."""
    client.cookies.clear()
    root = body(client.get(path), 200, "EnterpriseManager")
    assert root.get("Href") == "http://localhost:9399/api/"
    assert links(root) == [
        Link("Down", "LogonSessionList", f"{API}/logonSessions"),
        Link("Create", "LogonSession", f"{API}/sessionMngr/?v=latest"),
    ]
    logon_links = [li for li in links(root) if li.Type == "LogonSession"]
    assert logon_links[-1].Href == f"{API}/sessionMngr/?v=latest"


def test_default_release_lists_v1_to_v1_4_each_with_its_logon_link(client: EmClient) -> None:
    """9.5 U4 (default) lists v1..v1_4, each with a Create LogonSession link carrying `?v=<name>`."""
    root = body(client.get("/api/"), 200, "EnterpriseManager")
    assert supported_versions(root) == V1_4
    (versions,) = children(root, "SupportedVersions")
    for version in children(versions, "SupportedVersion"):
        name = version.get("Name")
        assert links(version) == [Link("Create", "LogonSession", f"{API}/sessionMngr/?v={name}")]


@pytest.mark.parametrize(
    ("release", "expected"),
    [("9.0", ["v1", "v1_1", "v1_2"]), ("9.5u4", V1_4), ("11", ALL[:7]), ("12", ALL[5:]), ("13", ALL[5:])],
)
def test_release_decides_supported_versions(
    em_client: Callable[..., EmClient], release: str, expected: list[str]
) -> None:
    """The `release` setting decides which versions the root lists: 12 and 13 list only v1_5 to
    v1_7 (captures em12-root and em13-root)."""
    root = body(em_client(release=release).get("/api/"), 200, "EnterpriseManager")
    assert supported_versions(root) == expected


def test_root_logon_link_works(client: EmClient) -> None:
    """A client taking the last LogonSession link of the root can log on with it."""
    root = body(client.get("/api/"), 200, "EnterpriseManager")
    href = [li for li in links(root) if li.Type == "LogonSession"][-1].Href
    assert href is not None
    response = client.post(href, auth=("Administrator", "P@ssw0rd"))
    assert response.status_code == 201


def test_hrefs_follow_host_header(client: EmClient) -> None:
    """Every Href is built from the Host header the client sent."""
    root = body(client.get("/api/", headers={"Host": "em.example:9399"}), 200, "EnterpriseManager")
    assert root.get("Href") == "http://em.example:9399/api/"
    all_hrefs = hrefs(root)
    assert len(all_hrefs) == 1 + 2 + len(V1_4)
    assert all(h.startswith("http://em.example:9399/api/") for h in all_hrefs), all_hrefs


def test_hrefs_follow_public_url(em_client: Callable[..., EmClient]) -> None:
    """With `public_url` set, Hrefs start with it whatever Host the request carried."""
    client = em_client(public_url="https://em.example.com:9398")
    root = body(client.get("/api/", headers={"Host": "internal:9399"}), 200, "EnterpriseManager")
    assert root.get("Href") == "https://em.example.com:9398/api/"
    assert links(root)[-1].Href == "https://em.example.com:9398/api/sessionMngr/?v=latest"
    assert all(h.startswith("https://em.example.com:9398/api/") for h in hrefs(root)), hrefs(root)
