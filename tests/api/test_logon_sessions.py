"""`/api/logonSessions` and logoff (em-api.md §3.3)."""

from __future__ import annotations

import pytest
from conftest import EmClient
from xmlutil import API, UNKNOWN_GUID, Link, assert_error, body, children, links, logon, text

PROTECTED = [
    "/api/cloud",
    "/api/cloud/vmReplicaPoints",
    "/api/cloud/replicas",
    "/api/cloud/tenants",
    "/api/backupServers",
    "/api/logonSessions",
]


def session_ids(client: EmClient, token: str) -> list[str]:
    """SessionIds listed by `GET /api/logonSessions`, in order."""
    root = body(client.get_as(token, "/api/logonSessions"), 200, "LogonSessions")
    return [text(s, "SessionId") or "" for s in children(root, "LogonSession")]


def test_own_session_listed_first(client: EmClient) -> None:
    """Each caller sees its own session first, even when others logged on earlier."""
    (t1, s1), (t2, s2), (t3, s3) = logon(client), logon(client), logon(client)
    assert session_ids(client, t3) == [s3, s1, s2]
    assert session_ids(client, t2) == [s2, s1, s3]
    assert session_ids(client, t1) == [s1, s2, s3]


def test_listed_sessions_carry_their_links(client: EmClient) -> None:
    """Each listed LogonSession has its Href, user name and its own Delete link."""
    token, sid = logon(client)
    root = body(client.get_as(token, "/api/logonSessions"), 200, "LogonSessions")
    (mine,) = children(root, "LogonSession")
    assert mine.get("Href") == f"{API}/logonSessions/{sid}"
    assert text(mine, "UserName") == "EM01\\Administrator"
    assert links(mine)[-1] == Link("Delete", None, f"{API}/logonSessions/{sid}")


def test_get_one_session(client: EmClient) -> None:
    """`GET /api/logonSessions/{id}` answers that LogonSession, also for another session of an admin."""
    token, sid = logon(client)
    _, other = logon(client)
    for wanted in (sid, other):
        root = body(client.get_as(token, f"/api/logonSessions/{wanted}"), 200, "LogonSession")
        assert text(root, "SessionId") == wanted
        assert root.get("Href") == f"{API}/logonSessions/{wanted}"


@pytest.mark.parametrize("method", ["GET", "DELETE"])
@pytest.mark.parametrize("session_id", [UNKNOWN_GUID, "not-a-guid", "12345"])
def test_unknown_session_is_404(client: EmClient, method: str, session_id: str) -> None:
    """An unknown or malformed SessionId is not found, and the caller's session survives."""
    token, _ = logon(client)
    response = client.request(method, f"/api/logonSessions/{session_id}", headers={"X-RestSvcSessionId": token})
    assert_error(response, 404, "NotFound")
    assert client.get_as(token, "/api/cloud").status_code == 200


def test_logoff_is_204_and_kills_token(client: EmClient) -> None:
    """DELETE answers 204 with no body; the token then gets 401 on every route."""
    token, sid = logon(client)
    response = client.request("DELETE", f"/api/logonSessions/{sid}", headers={"X-RestSvcSessionId": token})
    assert response.status_code == 204
    assert response.content == b""
    for path in [*PROTECTED, f"/api/logonSessions/{sid}"]:
        assert_error(client.get_as(token, path), 401, "Unauthorized")


def test_logoff_twice_second_is_401(client: EmClient) -> None:
    """A second DELETE with the dead token is refused as unauthenticated."""
    token, sid = logon(client)
    headers = {"X-RestSvcSessionId": token}
    assert client.request("DELETE", f"/api/logonSessions/{sid}", headers=headers).status_code == 204
    assert_error(client.request("DELETE", f"/api/logonSessions/{sid}", headers=headers), 401, "Unauthorized")


def test_logoff_via_location_header(client: EmClient) -> None:
    """Deleting the logon's Location URL logs that session off (one client derives logoff so)."""
    response = client.post("/api/sessionMngr/?v=latest", auth=("Administrator", "P@ssw0rd"))
    client.cookies.clear()
    token = response.headers["X-RestSvcSessionId"]
    deleted = client.request("DELETE", response.headers["location"], headers={"X-RestSvcSessionId": token})
    assert deleted.status_code == 204
    assert_error(client.get_as(token, "/api/cloud"), 401, "Unauthorized")


def test_deleting_other_session_keeps_own(client: EmClient) -> None:
    """Deleting another session ends only that one; it disappears from the list."""
    mine, my_id = logon(client)
    theirs, their_id = logon(client)
    response = client.request("DELETE", f"/api/logonSessions/{their_id}", headers={"X-RestSvcSessionId": mine})
    assert response.status_code == 204
    assert_error(client.get_as(theirs, "/api/cloud"), 401, "Unauthorized")
    assert session_ids(client, mine) == [my_id]
    assert_error(client.get_as(mine, f"/api/logonSessions/{their_id}"), 404, "NotFound")
