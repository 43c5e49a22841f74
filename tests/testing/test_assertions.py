"""The journal assertions: silent when the client behaved, and when it did not, a message that
names the mistake and the near misses."""

from __future__ import annotations

from collections.abc import Iterator

import httpx
import pytest

from mock_em.testing import (
    MockEmClient,
    MockEmServer,
    assert_all_sessions_logged_off,
    assert_no_unauthenticated_requests,
    assert_request_count,
)


@pytest.fixture(scope="module")
def server() -> Iterator[MockEmServer]:
    with MockEmServer(tenants=1) as running:
        yield running


@pytest.fixture
def ctl(server: MockEmServer) -> Iterator[MockEmClient]:
    with server.client() as client:
        client.reset()
        yield client


def failure(check, *args) -> str:
    with pytest.raises(AssertionError) as raised:
        check(*args)
    return str(raised.value)


def test_sessions_logged_off(ctl: MockEmClient) -> None:
    token = ctl.logon()
    ctl.logoff(token)
    assert_all_sessions_logged_off(ctl)


def test_forgotten_session_names_the_user_and_the_failed_logoff(ctl: MockEmClient, server: MockEmServer) -> None:
    tenant = ctl.add_tenant("Forgetful Co", "pw-123456")
    ctl.logon_tenant("Forgetful Co", "pw-123456")
    kept = ctl.logon()
    # a near miss: logoff with the wrong SessionId
    httpx.delete(
        f"{server.api_url}/logonSessions/00000000-0000-4000-8000-000000000000", headers={"X-RestSvcSessionId": kept}
    )
    message = failure(assert_all_sessions_logged_off, ctl)
    assert message.startswith("2 logon session(s) never logged off, by: ")
    assert "Forgetful Co" in message and "EM01\\Administrator" in message
    assert "Near misses: logoffs that failed" in message and "-> 404" in message
    assert tenant["Name"] == "Forgetful Co"
    assert_all_sessions_logged_off(ctl, ignore=[kept, ctl.sessions()[0]["sessionId"]])


def test_no_logoff_at_all_is_spelled_out(ctl: MockEmClient) -> None:
    ctl.logon()
    message = failure(assert_all_sessions_logged_off, ctl)
    assert "1 logon(s), 0 successful logoff(s)" in message
    assert "No logoff was sent at all" in message


def test_unauthenticated_requests(ctl: MockEmClient, server: MockEmServer) -> None:
    token = ctl.logon()
    ctl.get_json("/cloud", token)
    httpx.post(f"{server.api_url}/sessionMngr/", auth=("Administrator", "wrong"))  # a failed logon: not counted
    assert_no_unauthenticated_requests(ctl)
    ctl.logoff(token)
    httpx.get(f"{server.api_url}/cloud", headers={"X-RestSvcSessionId": token})
    httpx.get(f"{server.api_url}/cloud/tenants")
    message = failure(assert_no_unauthenticated_requests, ctl)
    assert message.startswith("2 request(s) refused for want of a live session:")
    assert "GET /api/cloud -> 401" in message and "the token named no live session" in message
    assert "no session token was sent" in message
    assert "DELETE /api/logonSessions/" in message  # the logoff that killed the token
    assert "log on again" in message


def test_request_count(ctl: MockEmClient, server: MockEmServer) -> None:
    token = ctl.logon()
    for path in ("/api/cloud/tenants", "/API/Cloud/Tenants/", "/api/cloud/tenants?format=Entity"):
        httpx.get(f"{server.url}{path}", headers={"X-RestSvcSessionId": token})
    httpx.get(f"{server.url}/api/cloud", headers={"X-RestSvcSessionId": token})
    assert_request_count(ctl, "GET", "/api/cloud/tenants", 3)
    assert_request_count(ctl, "get", "/api/cloud/*", 3)
    assert_request_count(ctl, "POST", "/api/sessionMngr", 1)
    message = failure(assert_request_count, ctl, "POST", "/api/cloud/tenants", 1)
    assert message.startswith("expected 1 × POST /api/cloud/tenants, the journal has 0")
    assert "[GET, not POST]" in message
    message = failure(assert_request_count, ctl, "GET", "/api/cloud", 2)
    assert "Matching:" in message and "[path below /api/cloud]" in message
    message = failure(assert_request_count, ctl, "DELETE", "/api/nowhere", 1)
    assert "All 5 journaled request(s):" in message
    ctl.clear_journal()
    assert "The journal is empty." in failure(assert_request_count, ctl, "GET", "/api/cloud", 1)
