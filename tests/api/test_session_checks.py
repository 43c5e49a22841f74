"""Every protected route demands a live session (em-api.md §3.2)."""

from __future__ import annotations

from collections.abc import Callable
from datetime import timedelta

import pytest
from conftest import START, EmClient
from xmlutil import SESSION_HEADER, assert_error, body, children, logon

from mock_em.model.clock import Clock

ROUTES = [
    "/api/cloud",
    "/api/cloud/vmReplicaPoints",
    "/api/cloud/vmReplicaPoints?format=Entity",
    "/api/cloud/vmReplicaPoints/{point}",
    "/api/cloud/vmReplicaPoints/{point}?format=Entity",
    "/api/cloud/vmReplicaPoints/{replica}/vmReplicaPoints",
    "/api/cloud/replicas",
    "/api/cloud/replicas?format=Entity",
    "/api/cloud/replicas/{replica}",
    "/api/cloud/replicas/{replica}?format=Entity",
    "/api/cloud/replicas/{replica}/vmReplicaPoints",
    "/api/cloud/tenants",
    "/api/cloud/tenants?format=Entity",
    "/api/cloud/tenants/{tenant}",
    "/api/cloud/tenants/{tenant}?format=Entity",
    "/api/backupServers",
    "/api/backupServers?format=Entity",
    "/api/backupServers/{server}",
    "/api/backupServers/{server}?format=Entity",
    "/api/logonSessions",
    "/api/logonSessions/{session}",
]
BOGUS_TOKEN = "MDAwMDAwMDAtMDAwMC00MDAwLTgwMDAtMDAwMDAwMDAwMDAw"  # base64 of a GUID never issued


def first_id(client: EmClient, token: str, path: str) -> str:
    """The id at the end of the first Ref's Href in a collection."""
    root = body(client.get_as(token, path), 200, "EntityReferences")
    return (children(root, "Ref")[0].get("Href") or "").rsplit("/", 1)[-1]


def fill(client: EmClient, token: str, session_id: str, route: str) -> str:
    """The route with real ids of this client's world."""
    if "{" not in route:
        return route
    ids = {
        "point": first_id(client, token, "/api/cloud/vmReplicaPoints"),
        "replica": first_id(client, token, "/api/cloud/replicas"),
        "tenant": first_id(client, token, "/api/cloud/tenants"),
        "server": first_id(client, token, "/api/backupServers"),
        "session": session_id,
    }
    return route.format(**ids)


@pytest.mark.parametrize("route", ROUTES)
def test_valid_header_is_accepted(client: EmClient, route: str) -> None:
    """With the session header every route answers 200."""
    token, sid = logon(client)
    assert client.get_as(token, fill(client, token, sid, route)).status_code == 200


@pytest.mark.parametrize("route", ROUTES)
def test_missing_token_is_401(client: EmClient, route: str) -> None:
    """No header and no cookie: 401 Error."""
    token, sid = logon(client)
    url = fill(client, token, sid, route)
    client.cookies.clear()
    assert_error(client.get(url), 401, "Unauthorized")


@pytest.mark.parametrize("route", ROUTES)
@pytest.mark.parametrize("bad", [BOGUS_TOKEN, "garbage", "NDRjZmJkYmUtNWE5NS00MTU2LTg4NjctOTFmMDY5YjdjMmNj"])
def test_unknown_token_is_401(client: EmClient, route: str, bad: str) -> None:
    """A token EM never issued (including the vendor's sample token) is refused."""
    token, sid = logon(client)
    assert_error(client.get_as(bad, fill(client, token, sid, route)), 401, "Unauthorized")


def test_session_id_is_not_a_token(client: EmClient) -> None:
    """The SessionId from the body does not authenticate; only the token does."""
    _, sid = logon(client)
    assert_error(client.get_as(sid, "/api/cloud"), 401, "Unauthorized")


@pytest.mark.parametrize("name", ["x-restsvcsessionid", "X-RESTSVCSESSIONID", "X-RestSvcSessionId"])
def test_header_name_any_case(client: EmClient, name: str) -> None:
    """The session header name matches case-insensitively."""
    token, _ = logon(client)
    response = client.get("/api/cloud/vmReplicaPoints", headers={name: token})
    body(response, 200, "EntityReferences")


def test_cookie_alone_authenticates(client: EmClient) -> None:
    """The cookie set by logon is enough on its own."""
    token, _ = logon(client)
    response = client.get("/api/cloud", headers={"Cookie": f"{SESSION_HEADER}={token}"})
    body(response, 200, "CloudConnectService")


def test_cookie_jar_from_logon_authenticates(client: EmClient) -> None:
    """A client that just keeps the logon's Set-Cookie is authenticated (Path=/api covers every route)."""
    client.post("/api/sessionMngr/", auth=("Administrator", "P@ssw0rd"))
    body(client.get("/api/cloud/tenants"), 200, "EntityReferences")


def test_valid_cookie_beats_bogus_header(client: EmClient) -> None:
    """With both, the cookie decides: a valid cookie and a bogus header is 200."""
    token, _ = logon(client)
    headers = {"Cookie": f"{SESSION_HEADER}={token}", SESSION_HEADER: BOGUS_TOKEN}
    body(client.get("/api/cloud", headers=headers), 200, "CloudConnectService")


def test_bogus_cookie_beats_valid_header(client: EmClient) -> None:
    """With both, the cookie decides: a bogus cookie and a valid header is 401."""
    token, _ = logon(client)
    headers = {"Cookie": f"{SESSION_HEADER}={BOGUS_TOKEN}", SESSION_HEADER: token}
    assert_error(client.get("/api/cloud", headers=headers), 401, "Unauthorized")


def test_idle_timer_resets_on_use_and_expires(em_client: Callable[..., EmClient]) -> None:
    """15 min default idle timeout: 14 min idle is fine and resets the timer; 16 min idle is 401."""
    clock = Clock(START, frozen=True)
    client = em_client(clock=clock)
    token, _ = logon(client)
    clock.advance(timedelta(minutes=14))
    assert client.get_as(token, "/api/cloud").status_code == 200
    clock.advance(timedelta(minutes=14))  # 28 min after logon, 14 after last use
    assert client.get_as(token, "/api/cloud/vmReplicaPoints").status_code == 200
    clock.advance(timedelta(minutes=16))
    assert_error(client.get_as(token, "/api/cloud"), 401, "Unauthorized")
    clock.advance(timedelta(seconds=1))
    assert_error(client.get_as(token, "/api/cloud"), 401, "Unauthorized")


def test_idle_timeout_setting(em_client: Callable[..., EmClient]) -> None:
    """`idle_timeout="1m"`: 59 s idle is fine, 61 s idle is 401."""
    clock = Clock(START, frozen=True)
    client = em_client(clock=clock, idle_timeout="1m")
    token, _ = logon(client)
    clock.advance(timedelta(seconds=59))
    assert client.get_as(token, "/api/backupServers").status_code == 200
    clock.advance(timedelta(seconds=61))
    assert_error(client.get_as(token, "/api/backupServers"), 401, "Unauthorized")


def test_expired_session_leaves_the_list(em_client: Callable[..., EmClient]) -> None:
    """A session idle past the timeout no longer appears under /logonSessions of another caller."""
    clock = Clock(START, frozen=True)
    client = em_client(clock=clock)
    idle, _ = logon(client)
    busy, busy_id = logon(client)
    clock.advance(timedelta(minutes=10))
    assert client.get_as(busy, "/api/cloud").status_code == 200
    clock.advance(timedelta(minutes=10))
    root = body(client.get_as(busy, "/api/logonSessions"), 200, "LogonSessions")
    assert [s.findtext("{http://www.veeam.com/ent/v1.0}SessionId") for s in root] == [busy_id]
    assert_error(client.get_as(idle, "/api/cloud"), 401, "Unauthorized")
