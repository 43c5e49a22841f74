"""A real client end to end: the PyPI package `veeam-em` (`veeam_em.manager.VeeamEm`, on `requests`)
against mock-em serving the seed world on a real socket.

The client sends `Accept` and `Content-Type: application/json` on every request, appends `v=latest`
to every URL (also to absolute Hrefs it follows), logs on with `POST /api/sessionMngr/?v=latest`
and Basic credentials, and parses only JSON.
"""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any
from urllib.parse import parse_qsl, urlsplit

import pytest
import requests
from conftest import ADMIN, SEED_FIXTURE, START

from mock_em.model.fixture import format_time
from mock_em.testing import MockEmClient, MockEmServer

veeam_em = pytest.importorskip("veeam_em.manager")
VeeamEm = veeam_em.VeeamEm
VeeamEmError = pytest.importorskip("veeam_em.exceptions").VeeamEmError

SEED_NAMES = {
    "srv39@2015-12-25 20:00:47",
    "srv40@2015-12-27 21:08:13",
    "srv38@2015-12-21 21:01:41",
    "srv40@2015-12-22 21:05:43",
    "srv38@2015-12-24 21:03:50",
    "srv39@2015-12-22 11:25:26",
}


@pytest.fixture(scope="module")
def server() -> Iterator[MockEmServer]:
    """mock-em over the seed world, frozen at START, on a free 127.0.0.1 port in a thread."""
    with MockEmServer(fixture=str(SEED_FIXTURE), clock=format_time(START), host="127.0.0.1", port=0) as running:
        yield running


@pytest.fixture(scope="module")
def control(server: MockEmServer) -> Iterator[MockEmClient]:
    """The server's control plane (for its request journal)."""
    with server.client() as client:
        yield client


@pytest.fixture
def em(server: MockEmServer) -> Iterator[Any]:
    """A logged-on VeeamEm client."""
    client = VeeamEm(api_endpoint=server.url, ssl_verify=False, timeout=10)
    client.get_token(*ADMIN)
    yield client
    client.session.close()


def alternate(item: dict[str, Any]) -> str:
    """The Href of an item's Alternate link."""
    (href,) = [li["Href"] for li in item["Links"] if li["Rel"] == "Alternate"]
    return href


def test_get_token_opens_a_session(server: MockEmServer) -> None:
    """`get_token` POSTs to sessionMngr with Basic auth and keeps the token and the session data."""
    client = VeeamEm(api_endpoint=server.url, ssl_verify=False, timeout=10)
    token = client.get_token(*ADMIN)
    assert token and client.api_token == token
    assert client.session_data["SessionId"]
    assert client.session_data["UserName"] == "EM01\\Administrator"
    assert client.session_data["Type"] == "LogonSession"
    assert "Links" not in client.session_data  # the client drops them; they had to be there


def test_wrong_password_raises(server: MockEmServer) -> None:
    """A refused logon raises requests' HTTPError with the 401."""
    client = VeeamEm(api_endpoint=server.url, ssl_verify=False, timeout=10)
    with pytest.raises(requests.HTTPError, match="401"):
        client.get_token(ADMIN[0], "wrong")


def test_points_are_the_six_seed_refs(em: Any, server: MockEmServer) -> None:
    """`request('/cloud/vmReplicaPoints')` answers the seed's six references."""
    data = em.request("/cloud/vmReplicaPoints")
    assert list(data) == ["Refs"]
    assert {ref["Name"] for ref in data["Refs"]} == SEED_NAMES
    assert all(ref["Href"].startswith(f"{server.url}/api/cloud/vmReplicaPoints/") for ref in data["Refs"])
    assert {ref["Type"] for ref in data["Refs"]} == {"CloudVmReplicaPointReference"}


def test_entity_through_alternate_href(em: Any) -> None:
    """Following a Ref's absolute Alternate Href (the client adds `v=latest`) gives the entity."""
    refs = em.request("/cloud/vmReplicaPoints")["Refs"]
    for ref in refs:
        entity = em.request(alternate(ref))
        assert entity["Type"] == "CloudVmReplicaPoint"
        assert entity["Name"] == ref["Name"] and entity["UID"] == ref["UID"]
        assert entity["Href"] == alternate(ref)
        assert entity["VmName"] == ref["Name"].split("@")[0]
        assert alternate(entity) == ref["Href"]


def test_entity_lists_with_params(em: Any) -> None:
    """`params=dict(format='Entity')` as the client's own getters send it."""
    data = em.request("/cloud/replicas", params={"format": "Entity"})
    assert sorted(r["Name"] for r in data["CloudReplicas"]) == [
        "ABC Company Servers Replication",
        "UCM Company CRM Replication",
    ]
    assert {r["Platform"] for r in data["CloudReplicas"]} == {"VMware"}


@pytest.mark.parametrize(
    "first",
    [
        "/query?type=CloudVmReplicaPoint&pageSize=2",
        "/query?type=CloudVmReplicaPoint&format=Entities&pageSize=2&sortAsc=CreationTime",
    ],
)
def test_paging_through_next_links(em: Any, first: str) -> None:
    """A query of two per page, walked through its absolute `Next` links, yields all six once."""
    names: list[str] = []
    pages = 0
    data = em.request(first)
    while True:
        pages += 1
        assert data["PagingInfo"]["PageNum"] == pages and data["PagingInfo"]["PagesCount"] == 3
        items = (
            data["Refs"]["Refs"] if "Refs" in data else data["Entities"]["CloudVmReplicaPoints"]["CloudVmReplicaPoints"]
        )
        names += [i["Name"] for i in items]
        nxt = [li["Href"] for li in data["PagingInfo"]["Links"] if li["Rel"] == "Next"]
        if not nxt:
            break
        assert ("v", "latest") in parse_qsl(urlsplit(nxt[0]).query)  # the original query, kept
        data = em.request(nxt[0])
    assert pages == 3
    assert len(names) == 6 and set(names) == SEED_NAMES
    if "sortAsc" in first:
        assert names == sorted(names, key=lambda n: n.split("@")[1])


def test_logon_sessions_and_whoami(em: Any) -> None:
    """`get_logon_sessions()` lists the caller's session first; `whoami()` and `get_logon_session()` find it."""
    own = em.session_data["SessionId"]
    sessions = em.get_logon_sessions()
    assert sessions[0]["SessionId"] == own
    assert all(set(s) >= {"SessionId", "Links", "UserName", "Href"} for s in sessions)
    me = em.whoami()
    assert me["SessionId"] == own and me["Type"] == "LogonSession"
    assert em.get_logon_session(own)["Href"] == me["Href"]


def test_unknown_logon_session_raises(em: Any) -> None:
    """An unknown session id raises VeeamEmError with the 404 Error."""
    with pytest.raises(VeeamEmError, match="404"):
        em.get_logon_session("00000000-0000-4000-8000-000000000000")


def test_logoff_then_requests_are_unauthorized(em: Any) -> None:
    """Deleting the session answers 204; the next request raises VeeamEmError naming 401 Unauthorized."""
    session_id = em.session_data["SessionId"]
    answer = em.request(f"/logonSessions/{session_id}", method="DELETE")
    assert answer["status"] == 204
    with pytest.raises(VeeamEmError) as caught:
        em.request("/cloud/vmReplicaPoints")
    message = str(caught.value)
    assert "401" in message and "Unauthorized" in message
    with pytest.raises(VeeamEmError, match="401"):
        em.whoami()


def test_tenant_logon_through_request(server: MockEmServer) -> None:
    """A tenant's LoginSpec sent with `request(..., method='POST', payload=...)`: the session cookie the
    logon sets then scopes every request to the tenant's own points."""
    client = VeeamEm(api_endpoint=server.url, ssl_verify=False, timeout=10)
    spec = {"TenantCredentials": {"Username": "UCM Company", "Password": "Ucm4CloudRepl1ca"}}
    session = client.request("/sessionMngr/", method="POST", payload=spec)
    assert session["UserName"] == "UCM Company"
    assert [li["Rel"] for li in session["Links"]] == ["Up", "Down", "Delete"]
    refs = client.request("/cloud/vmReplicaPoints")["Refs"]
    assert {r["Name"] for r in refs} == {"srv39@2015-12-25 20:00:47", "srv39@2015-12-22 11:25:26"}
    with pytest.raises(VeeamEmError, match="403"):
        client.request("/cloud/tenants")


def test_unsupported_client_calls_fail_cleanly(em: Any) -> None:
    """Calls for resources mock-em does not serve raise VeeamEmError carrying the Veeam Error."""
    with pytest.raises(VeeamEmError, match="NotFound"):
        em.get_roles()


def test_backup_task_sessions_through_the_query_service(em: Any, server: MockEmServer) -> None:
    """`get_backup_task_sessions` pages through `type=BackupTaskSession&sortDesc=CreationTime`
    (2,000 a page) and gets every task session the EM shows, newest first, with the fields and
    links its docstring reads (the backup server first, then the job session, then Alternate)."""
    tasks = em.get_backup_task_sessions()
    with server.client() as control:
        listed = control.get_json("/backupTaskSessions", control.logon(*ADMIN), format="Entity")
    listed = listed["BackupTaskSessions"]
    assert sorted(t["UID"] for t in tasks) == sorted(t["UID"] for t in listed) and len(tasks) >= 8
    times = [t["CreationTimeUTC"] for t in tasks]
    assert times == sorted(times, reverse=True)
    by_uid = {t["UID"]: t for t in listed}
    for task in tasks:
        assert task["State"] == "Completed" and task["Result"] in ("Success", "Warning", "Failed")
        assert (task["Result"], task["Reason"]) == (by_uid[task["UID"]]["Result"], by_uid[task["UID"]]["Reason"])
        assert (task["Reason"] == "") == (task["Result"] == "Success")
        assert task["VmDisplayName"] == "sqlsrv03" and task["Name"].startswith("sqlsrv03@")
        assert task["JobSessionUid"].startswith("urn:veeam:BackupJobSession:")
        assert [(link["Rel"], link["Type"]) for link in task["Links"]] == [
            ("Up", "BackupServerReference"),
            ("Up", "BackupJobSessionReference"),
            ("Alternate", "BackupTaskSessionReference"),
        ]


def test_every_client_request_carried_v_latest_and_json(em: Any, control: MockEmClient) -> None:
    """The journal shows the client's requests as sent: `v=latest` on each, JSON accepted."""
    control.clear_journal()
    em.request("/cloud/vmReplicaPoints")
    em.get_logon_sessions()
    entries = control.journal()
    assert len(entries) == 2
    for entry in entries:
        assert ("v", "latest") in parse_qsl(entry["query"])
        assert entry["status"] == 200
        headers = {k.lower(): v for k, v in entry["headers"].items()}
        assert headers["accept"] == "application/json"
