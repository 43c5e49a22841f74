"""Logon's `?v=` by release profile (em-api-monitoring.md §7 "logon ?v=" row): each release accepts
the versions it lists, `latest` and no `v`; any other version EM has had is refused with a 400
Veeam Error naming the versions the release supports, before the credentials are looked at. The
token is base64 of the body's SessionId in every release (em-api-monitoring.md §6)."""

from __future__ import annotations

import base64
import json
from collections.abc import Callable

import pytest
from conftest import EmClient
from xmlutil import SESSION_HEADER, assert_error, basic, body, text

from mock_em.releases import API_VERSIONS, profile
from mock_em.settings import Settings

RELEASES = ("9.5u4", "10", "11", "12", "13")
ADMIN_AUTH = basic("Administrator", "P@ssw0rd")
ACCEPTED = [(r, v) for r in RELEASES for v in profile(r).api_versions]
REFUSED = [(r, v) for r in RELEASES for v in API_VERSIONS if v not in profile(r).api_versions]
EXPECTED_VERSIONS = {
    "9.5u4": ("v1", "v1_1", "v1_2", "v1_3", "v1_4"),
    "10": ("v1", "v1_1", "v1_2", "v1_3", "v1_4", "v1_5"),
    "11": ("v1", "v1_1", "v1_2", "v1_3", "v1_4", "v1_5", "v1_6"),
    "12": ("v1_5", "v1_6", "v1_7"),
    "13": ("v1_5", "v1_6", "v1_7"),
}


def member(document: dict[str, object], name: str) -> object:
    """A JSON member by name in any case (13 writes camelCase keys, earlier releases PascalCase)."""
    found = [value for key, value in document.items() if key.casefold() == name.casefold()]
    assert len(found) == 1, (name, document)
    return found[0]


def release_client(em_client: Callable[..., EmClient], release: str, fast_path: bool = True) -> EmClient:
    """A client of an app emulating `release`; `fast_path` False sends every request through FastAPI."""
    client = em_client(release=release)
    client.app.state.fast_path = fast_path  # type: ignore[attr-defined]
    return client


def assert_logged_on(client: EmClient, url: str) -> None:
    """201; the token header is base64 of the body's SessionId, the cookie carries it, and a GET
    with the token alone (no cookie) answers 200."""
    response = client.post(url, headers={"Authorization": ADMIN_AUTH})
    session_id = text(body(response, 201, "LogonSession"), "SessionId") or ""
    token = response.headers[SESSION_HEADER]
    assert token == base64.b64encode(session_id.encode("ascii")).decode("ascii")
    assert response.headers["set-cookie"] == f"{SESSION_HEADER}={token}; Path=/api;"
    own = body(client.get_as(token, f"/api/logonSessions/{session_id}"), 200, "LogonSession")
    assert text(own, "SessionId") == session_id


def test_the_profiles_list_what_the_contract_says() -> None:
    """The versions each release accepts (and this file's parametrisation rests on)."""
    assert {r: profile(r).api_versions for r in RELEASES} == EXPECTED_VERSIONS


@pytest.mark.parametrize("fast_path", [True, False], ids=["fast-path", "fastapi"])
@pytest.mark.parametrize(("release", "version"), ACCEPTED)
def test_each_listed_version_logs_on(
    em_client: Callable[..., EmClient], release: str, version: str, fast_path: bool
) -> None:
    """Every version the release lists logs on, by the fast path and by FastAPI alike."""
    assert_logged_on(release_client(em_client, release, fast_path), f"/api/sessionMngr/?v={version}")


@pytest.mark.parametrize(
    "url",
    [
        "/api/sessionMngr/?v=latest",
        "/api/sessionMngr/?v=LATEST",
        "/api/sessionMngr/?v=",
        "/api/sessionMngr/",
        "/api/sessionMngr",
    ],
)
@pytest.mark.parametrize("release", RELEASES)
def test_latest_empty_and_no_version_log_on(em_client: Callable[..., EmClient], release: str, url: str) -> None:
    """`latest` (any case), an empty `v` and no `v` stand for the release's latest version."""
    assert_logged_on(em_client(release=release), url)


@pytest.mark.parametrize("fast_path", [True, False], ids=["fast-path", "fastapi"])
@pytest.mark.parametrize(("release", "version"), REFUSED)
def test_other_versions_are_refused_naming_the_supported_ones(
    em_client: Callable[..., EmClient], release: str, version: str, fast_path: bool
) -> None:
    """A version EM has had but this release does not list: 400, an XML Error naming the release's
    versions, no session, no token and no cookie."""
    client = release_client(em_client, release, fast_path)
    response = client.post(f"/api/sessionMngr/?v={version}", headers={"Authorization": ADMIN_AUTH})
    message = assert_error(response, 400, "BadRequest").get("Message")
    assert message == f"Unsupported API version '{version}'; supported: latest, {', '.join(EXPECTED_VERSIONS[release])}"
    assert SESSION_HEADER.lower() not in response.headers
    assert "set-cookie" not in response.headers
    assert client.em.sessions.live() == []


@pytest.mark.parametrize(("release", "version"), [("9.5u4", "v1_5"), ("12", "v1_4"), ("13", "v1")])
def test_refusal_is_json_when_json_is_asked_for(em_client: Callable[..., EmClient], release: str, version: str) -> None:
    """With `Accept: application/json` the refusal is the JSON Error."""
    client = em_client(release=release)
    response = client.post(
        f"/api/sessionMngr/?v={version}", headers={"Authorization": ADMIN_AUTH, "Accept": "application/json"}
    )
    assert response.status_code == 400
    assert response.headers["content-type"] == "application/json; charset=utf-8"
    error = json.loads(response.content)
    assert member(error, "StatusCode") == 400
    assert member(error, "Status") == "BadRequest"
    assert ", ".join(EXPECTED_VERSIONS[release]) in str(member(error, "Message"))
    assert SESSION_HEADER.lower() not in response.headers


@pytest.mark.parametrize("fast_path", [True, False], ids=["fast-path", "fastapi"])
@pytest.mark.parametrize(
    "headers",
    [{"Authorization": basic("Administrator", "wrong")}, {}, {"Authorization": "Bearer x"}],
    ids=["wrong-password", "no-credentials", "bearer"],
)
@pytest.mark.parametrize(("release", "version"), [("9.5u4", "v1_7"), ("12", "v1_4"), ("13", "v1_4")])
def test_version_is_checked_before_credentials(
    em_client: Callable[..., EmClient], release: str, version: str, headers: dict[str, str], fast_path: bool
) -> None:
    """A refused version is a 400 whatever the credentials (none, wrong, another scheme) and whatever
    the body, not the 401 that credentials alone would get."""
    client = release_client(em_client, release, fast_path)
    response = client.post(f"/api/sessionMngr/?v={version}", headers=headers, content=b"<not a LoginSpec")
    assert_error(response, 400, "BadRequest")
    assert "www-authenticate" not in response.headers


@pytest.mark.parametrize("release", ["12", "13"])
def test_newer_releases_still_answer_on_plain_http(em_client: Callable[..., EmClient], release: str) -> None:
    """The profile does not take the plain-HTTP listener away: a 12 or 13 app answers over http://
    (the root, a logon and a GET with the token), its Hrefs on the scheme the client used."""
    client = em_client(release=release)
    root = client.get("/api/")
    assert root.request.url.scheme == "http"
    assert body(root, 200, "EnterpriseManager").get("Href") == "http://localhost:9399/api/"
    assert_logged_on(client, "/api/sessionMngr/?v=latest")


@pytest.mark.parametrize("release", RELEASES)
def test_release_leaves_listeners_as_configured(release: str) -> None:
    """Choosing a release changes no listener setting: the HTTP port, TLS (off unless asked for)
    and the TLS port stay as given."""
    default = Settings(release=release)
    assert (default.port, default.tls, default.tls_port) == (Settings().port, Settings().tls, Settings().tls_port)
    assert (default.port, default.tls, default.tls_port) == (9399, False, 9398)
    chosen = Settings(release=release, port=8080, tls=True, tls_port=8443)
    assert (chosen.port, chosen.tls, chosen.tls_port) == (8080, True, 8443)
