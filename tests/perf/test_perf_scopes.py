"""Kept answers never cross callers: a tenant never gets an administrator's bytes (other links,
other points), a Restore Operator never gets a Portal user's, and answers that name the caller's
own session are kept per session. The journal still names who asked when the fast path answers."""

from __future__ import annotations

import warnings
from datetime import UTC, datetime

with warnings.catch_warnings():
    warnings.simplefilter("ignore")
    from starlette.testclient import TestClient

from mock_em.app import create_app
from mock_em.model.clock import Clock
from mock_em.server import build_em
from mock_em.settings import Settings

START = datetime(2026, 1, 5, 12, 0, 0, tzinfo=UTC)
USERS = ("Administrator:P@ssw0rd", "user:pw:PortalUser", "operator:pw:RestoreOperator")


def make() -> TestClient:
    settings = Settings(seed=11, tenants=3, replicas_per_tenant=2, vms_per_replica=2, user=USERS)
    return TestClient(create_app(build_em(settings, Clock(START, frozen=True)), settings))


def logon(client: TestClient, user: str, password: str) -> str:
    response = client.post("/api/sessionMngr/?v=latest", auth=(user, password))
    assert response.status_code == 201
    client.cookies.clear()  # the token cookie would win over the header
    return response.headers["X-RestSvcSessionId"]


def tenant_logon(client: TestClient, username: str, password: str) -> str:
    body = (
        '<LoginSpec xmlns="http://www.veeam.com/ent/v1.0"><TenantCredentials>'
        f"<Username>{username}</Username><Password>{password}</Password></TenantCredentials></LoginSpec>"
    )
    response = client.post("/api/sessionMngr/?v=latest", content=body)
    assert response.status_code == 201
    client.cookies.clear()
    return response.headers["X-RestSvcSessionId"]


def get(client: TestClient, url: str, token: str) -> bytes:
    client.cookies.clear()
    response = client.get(url, headers={"X-RestSvcSessionId": token})
    assert response.status_code == 200, response.text
    return response.content


def test_each_scope_gets_its_own_bytes() -> None:
    client = make()
    world = client.app.state.em.world  # type: ignore[attr-defined]
    tenants = list(world.tenants.values())
    tokens = {
        "admin": logon(client, "Administrator", "P@ssw0rd"),
        "user": logon(client, "user", "pw"),
        "operator": logon(client, "operator", "pw"),
        "tenant0": tenant_logon(client, tenants[0].username, tenants[0].password),
        "tenant1": tenant_logon(client, tenants[1].username, tenants[1].password),
    }
    url = "/api/cloud/vmReplicaPoints"
    answers = {}
    for _ in range(2):  # the second round is answered from the cache
        for who, token in tokens.items():
            answers.setdefault(who, set()).add(get(client, url, token))
    assert all(len(bodies) == 1 for bodies in answers.values())
    body = {who: bodies.pop() for who, bodies in answers.items()}
    # Administrators and Portal users see the backup servers, so points link Up to theirs.
    assert body["admin"] == body["user"] and b"BackupServerReference" in body["admin"]
    assert b"BackupServerReference" not in body["operator"]  # a Restore Operator may not read them
    assert body["tenant0"] != body["tenant1"] != body["admin"]
    for who in ("tenant0", "tenant1"):
        tenant = tenants[int(who[-1])]
        mine = {str(p.id) for p in world.points.values() if world.replicas[p.replica_id].tenant_id == tenant.id}
        assert all(pid.encode() in body[who] for pid in mine)
        others = {str(p.id) for p in world.points.values()} - mine
        assert not any(pid.encode() in body[who] for pid in others)


def test_answers_naming_the_session_are_kept_per_session() -> None:
    client = make()
    first, second = logon(client, "Administrator", "P@ssw0rd"), logon(client, "Administrator", "P@ssw0rd")
    for url in ("/api/cloud", "/api/querySvc"):
        a, b = get(client, url, first), get(client, url, second)
        assert a != b
        assert get(client, url, first) == a and get(client, url, second) == b


def test_a_tenant_cannot_read_another_tenants_point_even_when_kept() -> None:
    client = make()
    world = client.app.state.em.world  # type: ignore[attr-defined]
    tenants = list(world.tenants.values())
    admin = logon(client, "Administrator", "P@ssw0rd")
    tenant = tenant_logon(client, tenants[0].username, tenants[0].password)
    foreign = next(p for p in world.points.values() if world.replicas[p.replica_id].tenant_id != tenants[0].id)
    url = f"/api/cloud/vmReplicaPoints/{foreign.id}"
    get(client, url, admin)
    get(client, url, admin)  # kept for administrators now
    client.cookies.clear()
    assert client.get(url, headers={"X-RestSvcSessionId": tenant}).status_code == 404


def test_the_journal_names_who_asked_when_the_fast_path_answers() -> None:
    client = make()
    token = logon(client, "Administrator", "P@ssw0rd")
    session_id = client.app.state.em.sessions.peek(token).session_id  # type: ignore[attr-defined]
    client.get("/api/cloud/vmReplicaPoints", headers={"X-RestSvcSessionId": token})
    client.get("/api/cloud/vmReplicaPoints", headers={"X-RestSvcSessionId": token})
    client.get("/api/cloud/vmReplicaPoints", headers={"X-RestSvcSessionId": "bogus"})
    client.delete(f"/api/logonSessions/{session_id}", headers={"X-RestSvcSessionId": token})
    entries = client.app.state.journal.entries()  # type: ignore[attr-defined]  # newest first
    logoff, rejected, *gets, logon_entry = entries
    assert logoff.method == "DELETE" and logoff.status == 204 and logoff.session_id == session_id
    assert rejected.status == 401 and rejected.token_rejected and rejected.session_id is None
    assert [e.status for e in gets] == [200, 200]
    assert all(
        e.session_id == session_id and e.user_name == "EM01\\Administrator" and not e.token_rejected for e in gets
    )
    assert logon_entry.status == 201 and logon_entry.session_id == session_id
    assert [e.sequence for e in entries] == sorted((e.sequence for e in entries), reverse=True)


def test_a_route_body_gets_only_its_declared_inputs() -> None:
    """A route whose answers are kept per role and tenant never gets the session (reading it would
    be a cache key missing an input); a session-bound route gets it."""
    from datetime import UTC, datetime
    from uuid import uuid4

    import pytest

    from mock_em.api.context import ApiRoute, caller_for
    from mock_em.model.entities import Account, LogonSession

    now = datetime(2026, 1, 5, tzinfo=UTC)
    session = LogonSession(uuid4(), "token", "EM01\\Administrator", Account("Administrator", "pw"), now, now)
    shared = caller_for(ApiRoute("/api/cloud/replicas", lambda ask: None, ()), session)
    assert shared.access.tenant_id is None
    with pytest.raises(AttributeError, match="session_bound"):
        _ = shared.session.session_id
    bound = caller_for(ApiRoute("/api/cloud", lambda ask: None, (), session_bound=True), session)
    assert bound.session.session_id == session.session_id
