"""The request journal: what it records, what it never records, its filters, bound and clearing.

Requests go through the real app under uvicorn (the `serve` helper of test_faults.py), so the
journal sees exactly what a client sent over the wire.
"""

from __future__ import annotations

import base64
import json
from collections.abc import Iterator
from typing import Any

import httpx
import pytest
from test_faults import ADMIN, SESSION, Live, serve


@pytest.fixture(scope="module")
def shared_server() -> Iterator[Live]:
    """One server shared by the module."""
    with serve() as live:
        yield live


@pytest.fixture
def live(shared_server: Live) -> Live:
    """The shared server, reset: an empty journal numbered from 1, no faults, no sessions."""
    assert shared_server.control("POST", "/reset").status_code == 200
    return shared_server


def count(live: Live, **params: Any) -> int:
    """`GET /mock/journal/count` with filters."""
    response = live.control("GET", "/journal/count", params=params)
    assert response.status_code == 200, response.text
    return response.json()["count"]


def session_id(live: Live) -> str:
    """The SessionId of the only live session."""
    (session,) = live.control("GET", "/sessions").json()["sessions"]
    return session["sessionId"]


def test_records_a_request_as_received(live: Live) -> None:
    """Method, path as sent, canonical path, query, headers, status, latency and the session."""
    token = live.logon()
    sid = session_id(live)
    response = live.get("/API/Cloud/VmReplicaPoints/?format=Entity&v=latest", token, Accept="application/json")
    assert response.status_code == 200
    entry = live.journal()[0]
    assert entry["sequence"] == 2
    assert entry["method"] == "GET"
    assert entry["path"] == "/API/Cloud/VmReplicaPoints/"
    assert entry["canonicalPath"] == "/api/cloud/vmReplicaPoints"
    assert entry["query"] == "format=Entity&v=latest"
    assert entry["headers"]["accept"] == "application/json"
    assert entry["headers"]["x-restsvcsessionid"] == "[redacted]"
    assert entry["status"] == 200
    assert entry["latencyMs"] > 0
    assert entry["sessionId"] == sid
    assert entry["userName"] == "EM01\\Administrator"
    assert entry["tokenRejected"] is False
    assert entry["faultId"] is None and entry["fault"] is None and entry["error"] is None
    assert entry["time"] == "2026-01-05T12:00:00Z"  # the EM's (frozen) clock


def test_two_cookie_headers_name_the_session_that_was_authenticated(live: Live) -> None:
    """With two Cookie headers (the later one wins, as authentication merges them), the journal
    names the session the request was authenticated as, not the first header's."""
    first, second = live.logon(), live.logon()
    sessions = {s["userName"]: s for s in live.control("GET", "/sessions").json()["sessions"]}
    assert len(sessions) == 1  # both administrators: tell them apart by their use below
    with httpx.Client(base_url=live.base, timeout=10) as client:
        headers = [("Cookie", f"{SESSION}={first}"), ("Cookie", f"{SESSION}={second}")]
        response = client.get("/api/logonSessions", headers=headers)
    assert response.status_code == 200
    own = response.text.split("<SessionId>")[1].split("</SessionId>")[0]  # the caller's own comes first
    entry = live.journal()[0]
    assert entry["sessionId"] == own
    with httpx.Client(base_url=live.base, timeout=10) as client:
        alone = client.get("/api/logonSessions", headers={SESSION: second})
    assert alone.text.split("<SessionId>")[1].split("</SessionId>")[0] == own  # it was the second one's


def test_logon_entry_names_the_session_it_opened(live: Live) -> None:
    """The logon carries no token, but its entry names the new session, so a session's history is whole."""
    live.logon()
    (entry,) = live.journal()
    assert (entry["method"], entry["path"], entry["status"]) == ("POST", "/api/sessionMngr/", 201)
    assert entry["sessionId"] == session_id(live)
    assert entry["headers"]["authorization"] == "Basic [redacted]"


def test_unknown_token_is_flagged_and_errors_keep_their_message(live: Live) -> None:
    """A token naming no session is flagged; the 401's Error message is kept."""
    assert live.get("/api/cloud", "not-a-token").status_code == 401
    entry = live.journal()[0]
    assert entry["tokenRejected"] is True
    assert entry["sessionId"] is None
    assert entry["status"] == 401
    assert entry["error"] == "The logon session does not exist, has been closed or has expired"


def test_records_404_and_405_but_not_the_control_plane(live: Live) -> None:
    """Every request under /api is journaled, whatever its answer; /mock and other paths never."""
    assert live.get("/api/nope").status_code == 404
    with httpx.Client(base_url=live.base) as client:
        assert client.put("/api/cloud").status_code == 405
    assert live.get("/favicon.ico").status_code == 404
    live.control("GET", "/about")
    entries = live.journal()
    assert [(e["method"], e["path"], e["status"]) for e in entries] == [
        ("PUT", "/api/cloud", 405),
        ("GET", "/api/nope", 404),
    ]


def test_secrets_never_reach_the_journal(live: Live) -> None:
    """Tokens, Basic credentials, tenant passwords and the control token appear nowhere in the journal."""
    tenant = next(iter(live.em.world.tenants.values()))
    admin = live.logon()
    customer = live.logon_tenant(tenant.username, tenant.password)
    live.get("/api/cloud", admin)
    with httpx.Client(base_url=live.base) as client:
        client.get("/api/cloud", headers={"Cookie": f"{SESSION}={customer}", "X-Mock-Token": "control-secret"})
        client.get("/api/cloud", headers={"Authorization": f"Bearer {admin}"})
    text = live.control("GET", "/journal").text
    basic = base64.b64encode(f"{ADMIN[0]}:{ADMIN[1]}".encode()).decode()
    for secret in (admin, customer, ADMIN[1], basic, tenant.password, "control-secret"):
        assert secret not in text, secret
    entries = json.loads(text)["entries"]
    cookie_entry = entries[1]
    assert cookie_entry["headers"]["cookie"] == f"{SESSION}=[redacted]"
    assert cookie_entry["headers"]["x-mock-token"] == "[redacted]"
    assert cookie_entry["userName"] == tenant.username  # the cookie's session, named without its token


def test_journaling_does_not_keep_a_session_alive(live: Live) -> None:
    """Looking up who sent a request is not using the session: a faulted request leaves lastUsed alone."""
    token = live.logon()
    (before,) = live.control("GET", "/sessions").json()["sessions"]
    live.control("POST", "/clock/advance", json={"by": "10m"})
    live.add_fault(path="/api/cloud", status=503)
    assert live.get("/api/cloud", token).status_code == 503
    (after,) = live.control("GET", "/sessions").json()["sessions"]
    assert after["lastUsed"] == before["lastUsed"]
    assert live.journal()[0]["sessionId"] == before["sessionId"]


def test_filters_and_count(live: Live) -> None:
    """method, path (substring or glob), status, sessionId, since and limit, for the list and the count."""
    token = live.logon()
    sid = session_id(live)
    live.get("/api/cloud/tenants", token)
    live.get("/api/cloud/replicas", token)
    live.get("/api/backupServers", token)
    live.get("/api/cloud", "stale")
    assert count(live) == 5
    assert count(live, method="get") == 4
    assert [e["path"] for e in live.journal(method="POST")] == ["/api/sessionMngr/"]
    assert count(live, path="cloud") == 3
    assert [e["path"] for e in live.journal(path="/API/cloud/*")] == ["/api/cloud/replicas", "/api/cloud/tenants"]
    assert count(live, status=401) == 1
    assert count(live, sessionId=sid) == 4
    assert [e["sequence"] for e in live.journal(since=3)] == [5, 4]
    assert count(live, since=3) == 2
    assert [e["sequence"] for e in live.journal(limit=2)] == [5, 4]
    assert [e["sequence"] for e in live.journal(method="GET", sessionId=sid, limit=1)] == [4]
    assert count(live, since="2026-01-05T12:00:00Z") == 5
    assert count(live, since="2026-01-06T00:00:00Z") == 0


@pytest.mark.parametrize(
    "params",
    [{"sessionId": "nope"}, {"status": "ok"}, {"since": "yesterday"}, {"limit": -1}, {"since": "-3"}],
)
def test_bad_filters_are_400_errors(live: Live, params: dict[str, str]) -> None:
    """A filter that cannot be read is a 400 Veeam Error, for the list and the count alike."""
    for path in ("/journal", "/journal/count") if "limit" not in params else ("/journal",):
        response = live.control("GET", path, params=params)
        assert response.status_code == 400, response.text
        assert response.json()["Status"] == "BadRequest"


def test_faults_are_journaled(live: Live) -> None:
    """A faulted request names the rule and what it did."""
    live.add_fault(path="/api", status=503)
    live.get("/api")
    entry = live.journal()[0]
    assert (entry["status"], entry["faultId"], entry["fault"]) == (503, "f1", "status")
    assert entry["error"] == "The service is unavailable"


def test_the_journal_is_bounded() -> None:
    """With journal_size=5 only the newest five are kept; sequence numbers keep rising."""
    with serve(journal_size=5) as live:
        for _ in range(8):
            live.get("/api")
        assert [e["sequence"] for e in live.journal()] == [8, 7, 6, 5, 4]
        assert count(live) == 5


def test_size_zero_disables_the_journal() -> None:
    """journal_size=0 keeps nothing, and faults still work."""
    with serve(journal_size=0) as live:
        live.add_fault(path="/api", status=500, maxCount=1)
        assert live.get("/api").status_code == 500
        assert live.get("/api").status_code == 200
        assert live.journal() == []
        assert count(live) == 0


def test_delete_clears_and_numbering_continues(live: Live) -> None:
    """DELETE empties the journal; the next entry continues the numbering (`since` cursors stay valid)."""
    live.get("/api")
    live.get("/api")
    assert live.control("DELETE", "/journal").json() == {"deleted": 2}
    assert live.journal() == []
    live.get("/api")
    assert [e["sequence"] for e in live.journal()] == [3]


def test_reset_clears_and_numbers_from_one(live: Live) -> None:
    """POST /mock/reset empties the journal and numbering starts again at 1."""
    live.get("/api")
    live.get("/api")
    assert live.control("POST", "/reset").status_code == 200
    assert count(live) == 0
    live.get("/api")
    assert [e["sequence"] for e in live.journal()] == [1]


def test_control_token_guards_the_journal() -> None:
    """With a control token, the journal needs it (Bearer or X-Mock-Token); health stays open."""
    with serve(control_token="s3cret") as live, httpx.Client(base_url=live.base) as bare:
        live.get("/api")
        for method, path in (("GET", "/mock/journal"), ("GET", "/mock/journal/count"), ("DELETE", "/mock/journal")):
            response = bare.request(method, path)
            assert response.status_code == 401, (method, path)
            assert response.json()["Status"] == "Unauthorized"
        assert bare.get("/mock/health").status_code == 200
        assert bare.get("/mock/journal", headers={"Authorization": "Bearer s3cret"}).status_code == 200
        assert bare.get("/mock/journal/count", headers={"X-Mock-Token": "s3cret"}).json() == {"count": 1}
        assert live.control("DELETE", "/journal").json() == {"deleted": 1}
