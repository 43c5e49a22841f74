"""Logon: `POST /api/sessionMngr/` with HTTP Basic credentials (em-api.md §3.1)."""

from __future__ import annotations

import base64
from collections.abc import Callable
from uuid import UUID

import pytest
from conftest import EmClient
from xmlutil import API, SESSION_HEADER, Link, assert_error, basic, body, decode_token, links, text

ADMIN_AUTH = basic("Administrator", "P@ssw0rd")


@pytest.mark.parametrize(
    "url",
    [
        "/api/sessionMngr/?v=latest",
        "/api/sessionMngr/?v=v1",
        "/api/sessionMngr/?v=v1_2",
        "/api/sessionMngr/?v=v1_3",
        "/api/sessionMngr/?v=v1_4",
        "/api/sessionMngr/",
        "/api/sessionMngr",
        "/api/sessionmngr/?v=latest",
        "/API/SESSIONMNGR?v=LATEST",
    ],
)
def test_logon_urls_create_a_session(client: EmClient, url: str) -> None:
    """Every documented logon URL spelling answers 201 with a LogonSession (the versions of other
    releases are refused: test_release_logon.py)."""
    response = client.post(url, headers={"Authorization": ADMIN_AUTH})
    root = body(response, 201, "LogonSession")
    assert text(root, "UserName") == "EM01\\Administrator"


@pytest.mark.parametrize("content_type", ["text/xml", "application/json", "application/xml"])
def test_logon_with_content_type_and_empty_body(client: EmClient, content_type: str) -> None:
    """Clients that send a Content-Type with an empty body still log on."""
    response = client.post(
        "/api/sessionMngr/?v=latest", headers={"Authorization": ADMIN_AUTH, "Content-Type": content_type}, content=b""
    )
    body(response, 201, "LogonSession")


def test_logon_headers_and_body(client: EmClient) -> None:
    """Token (base64 of the SessionId's text, 48 characters), cookie, Location and the LogonSession body."""
    response = client.post("/api/sessionMngr/?v=latest", headers={"Authorization": ADMIN_AUTH})
    root = body(response, 201, "LogonSession")
    session_id = text(root, "SessionId") or ""
    assert str(UUID(session_id)) == session_id
    token = response.headers[SESSION_HEADER]
    assert str(decode_token(token)) == session_id
    assert token == base64.b64encode(session_id.encode("ascii")).decode("ascii")
    assert len(token) == 48
    assert response.headers["set-cookie"] == f"{SESSION_HEADER}={token}; Path=/api;"
    href = f"{API}/logonSessions/{session_id}"
    assert response.headers["location"] == href
    assert root.get("Href") == href
    assert root.get("Type") == "LogonSession"
    found = links(root)
    assert found[0] == Link("Up", "EnterpriseManager", f"{API}/")
    assert Link("Down", "BackupServerReferenceList", f"{API}/backupServers") in found
    assert Link("Down", "CloudConnectService", f"{API}/cloud") in found
    assert found[-1] == Link("Delete", None, href)


def test_logon_session_links_resolve(client: EmClient) -> None:
    """Every Up/Down link of a fresh LogonSession answers 200 to its own token."""
    response = client.post("/api/sessionMngr/?v=latest", headers={"Authorization": ADMIN_AUTH})
    token = response.headers[SESSION_HEADER]
    for li in links(body(response, 201, "LogonSession")):
        if li.Rel in ("Up", "Down"):
            assert li.Href is not None
            assert client.get_as(token, li.Href).status_code == 200, li


def test_logons_give_distinct_sessions(client: EmClient) -> None:
    """Two logons give two different tokens and SessionIds."""
    first = client.post("/api/sessionMngr/", headers={"Authorization": ADMIN_AUTH})
    second = client.post("/api/sessionMngr/", headers={"Authorization": ADMIN_AUTH})
    assert first.headers[SESSION_HEADER] != second.headers[SESSION_HEADER]
    assert text(body(first, 201), "SessionId") != text(body(second, 201), "SessionId")


@pytest.mark.parametrize(
    "user", ["Administrator", "administrator", "ADMINISTRATOR", "em01\\administrator", "EM01\\Administrator"]
)
def test_user_names_case_insensitive_with_machine_prefix(client: EmClient, user: str) -> None:
    """User names match case-insensitively, with or without the machine prefix; EM shows its own spelling."""
    response = client.post("/api/sessionMngr/?v=latest", auth=(user, "P@ssw0rd"))
    assert text(body(response, 201, "LogonSession"), "UserName") == "EM01\\Administrator"


def _b64(raw: bytes) -> str:
    return base64.b64encode(raw).decode("ascii")


@pytest.mark.parametrize(
    "authorization",
    [
        pytest.param(basic("Administrator", "wrong"), id="wrong-password"),
        pytest.param(basic("Administrator", "p@ssw0rd"), id="password-case"),
        pytest.param(basic("Administrator", ""), id="empty-password"),
        pytest.param(basic("nobody", "P@ssw0rd"), id="unknown-user"),
        pytest.param(None, id="missing"),
        pytest.param("Bearer " + _b64(b"Administrator:P@ssw0rd"), id="bearer"),
        pytest.param("Digest username=Administrator", id="digest"),
        pytest.param("Basic", id="basic-no-credentials"),
        pytest.param("Basic !!!not-base64!!!", id="garbage-base64"),
        pytest.param("Basic " + _b64(b"AdministratorP@ssw0rd"), id="no-colon"),
    ],
)
def test_bad_credentials_get_401_challenge(client: EmClient, authorization: str | None) -> None:
    """Wrong or unusable credentials: 401, the RestSvc Basic challenge, an Error, and no session."""
    headers = {} if authorization is None else {"Authorization": authorization}
    response = client.post("/api/sessionMngr/?v=latest", headers=headers)
    assert_error(response, 401, "Unauthorized")
    assert response.headers["www-authenticate"] == "Basic Realm=RestSvc"
    assert SESSION_HEADER.lower() not in response.headers
    assert "set-cookie" not in response.headers
    assert "location" not in response.headers


@pytest.mark.parametrize("version", ["v9", "v2_0", "1_4", "newest"])
def test_unknown_version_is_400(client: EmClient, version: str) -> None:
    """An API version EM does not know is a bad request, even with good credentials."""
    response = client.post(f"/api/sessionMngr/?v={version}", headers={"Authorization": ADMIN_AUTH})
    assert_error(response, 400, "BadRequest")
    assert SESSION_HEADER.lower() not in response.headers


def test_extra_users_can_log_on(em_client: Callable[..., EmClient]) -> None:
    """Accounts given with `user` log on, each shown under the machine name."""
    client = em_client(user=("alice:secret", "Administrator:P@ssw0rd"))
    alice = client.post("/api/sessionMngr/", auth=("alice", "secret"))
    assert text(body(alice, 201, "LogonSession"), "UserName") == "EM01\\alice"
    admin = client.post("/api/sessionMngr/", auth=("Administrator", "P@ssw0rd"))
    assert text(body(admin, 201, "LogonSession"), "UserName") == "EM01\\Administrator"
    assert_error(client.post("/api/sessionMngr/", auth=("alice", "P@ssw0rd")), 401, "Unauthorized")


def test_default_password_gone_when_users_replaced(em_client: Callable[..., EmClient]) -> None:
    """With only `alice:secret` configured, the default Administrator account no longer logs on."""
    client = em_client(user=("alice:secret",))
    assert_error(client.post("/api/sessionMngr/", auth=("Administrator", "P@ssw0rd")), 401, "Unauthorized")
    body(client.post("/api/sessionMngr/", auth=("ALICE", "secret")), 201, "LogonSession")


def test_logon_hrefs_follow_host_and_public_url(em_client: Callable[..., EmClient]) -> None:
    """Location and LogonSession Hrefs use the Host header, or the public URL when one is set."""
    plain = em_client()
    response = plain.post("/api/sessionMngr/", headers={"Authorization": ADMIN_AUTH, "Host": "em.example:9399"})
    root = body(response, 201, "LogonSession")
    assert response.headers["location"].startswith("http://em.example:9399/api/logonSessions/")
    assert all(li.Href and li.Href.startswith("http://em.example:9399/api/") for li in links(root))
    proxied = em_client(public_url="https://em.example.com:9398")
    response = proxied.post("/api/sessionMngr/", headers={"Authorization": ADMIN_AUTH})
    root = body(response, 201, "LogonSession")
    assert response.headers["location"] == f"https://em.example.com:9398/api/logonSessions/{text(root, 'SessionId')}"
    assert all(li.Href and li.Href.startswith("https://em.example.com:9398/api/") for li in links(root))
