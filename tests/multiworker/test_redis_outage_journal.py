"""While Redis is away, a shared EM's 503s look like its other answers: tagged and journaled.

One process of a shared EM over a real `redis-server` that persists every write: Redis is stopped,
vendor and control requests answer a Veeam Error 503 (XML or JSON by `Accept`) that names the
answering process in `X-Mock-Em-Worker`, as every answer of a shared EM does; the journal, which
lives in the process's memory, can be read meanwhile and holds each refused vendor request;
after Redis is back the same entries are still there, next to the ordinary answers.
"""

from __future__ import annotations

import threading
import time
import warnings
from collections.abc import Iterator

import httpx
import pytest
from lxml import etree
from test_redis_outage import ADMIN, SESSION, TENANTS, WORKER, get_as, logon, redis  # noqa: F401

from mock_em.api.replication import worker_name
from mock_em.server import build_served
from mock_em.settings import Settings
from mock_em.store import connect
from mock_em.store.redis_server import RedisServer

with warnings.catch_warnings():
    warnings.simplefilter("ignore")
    from starlette.testclient import TestClient

CLOCK = "2026-01-05T12:00:00Z"
VEEAM = "{http://www.veeam.com/ent/v1.0}"


@pytest.fixture
def client(redis: RedisServer) -> Iterator[TestClient]:  # noqa: F811
    """An in-process client of one process of a shared EM over `redis`."""
    settings = Settings(
        clock=CLOCK, tenants=2, replicas_per_tenant=1, vms_per_replica=2, points_per_vm=3, redis_url=redis.url
    )
    with TestClient(build_served(settings, connect(settings)).app, base_url="http://localhost:9399") as made:
        yield made


def error_of(response: httpx.Response) -> tuple[int, str, str]:
    """StatusCode, Status and Message of a Veeam Error, XML or JSON as its Content-Type says."""
    if response.headers["content-type"].startswith("application/json"):
        body = response.json()
        return body["StatusCode"], body["Status"], body["Message"]
    root = etree.fromstring(response.content)
    assert root.tag == f"{VEEAM}Error", response.text
    return int(root.get("StatusCode")), root.get("Status"), root.get("Message")


def assert_refused(response: httpx.Response, content_type: str) -> str:
    """A Veeam Error 503 in `content_type`, from this process; its Message."""
    assert response.status_code == 503, response.text
    assert response.headers["content-type"].startswith(content_type), response.headers
    assert response.headers[WORKER] == worker_name()
    status, name, message = error_of(response)
    assert (status, name) == (503, "ServiceUnavailable")
    assert message.startswith("The service is unavailable: ")
    return message


def outage_entries(client: TestClient) -> list[dict[str, object]]:
    """The journal's entries for 503s of the outage, newest first."""
    response = client.get("/mock/journal", params={"status": 503})
    assert response.status_code == 200, response.text
    assert response.headers[WORKER] == worker_name()
    return [entry for entry in response.json()["entries"] if entry["fault"] == "outage"]


def test_the_503s_of_an_outage_carry_the_worker_and_are_journaled(redis: RedisServer, client: TestClient) -> None:  # noqa: F811
    """Stop Redis: vendor requests (a read by XML and by JSON, a logon) and control edits answer
    503 with `X-Mock-Em-Worker`, as do health and readiness; the journal, read during the outage
    and after it, holds one entry per refused vendor request (method, path as sent, query, status,
    the Error's Message, the token redacted, `fault` "outage"), and no entry for `/mock`."""
    token = logon(client)
    before = get_as(client, token)
    assert before.status_code == 200
    assert before.headers[WORKER] == worker_name()
    assert client.delete("/mock/journal").status_code == 200

    redis.stop_server()
    try:
        messages = [
            assert_refused(get_as(client, token, Accept="application/xml"), "application/xml"),
            assert_refused(
                get_as(client, token, "/API/Cloud/Tenants/?format=Entity", Accept="application/json"),
                "application/json",
            ),
            assert_refused(client.post("/api/sessionMngr/?v=latest", auth=ADMIN), "application/xml"),
        ]
        assert all("is unreachable" in message for message in messages)  # the guard's: it names the Redis
        started = time.monotonic()
        assert_refused(get_as(client, token, Accept="application/json"), "application/json")
        assert time.monotonic() - started < 0.5  # once the outage is known: at once
        edit = client.post("/mock/world/tenants", json={"Name": "Initech"})
        assert_refused(edit, "application/json")
        assert_refused(client.delete("/mock/journal"), "application/json")  # a clear is a logged change
        health, ready = client.get("/mock/health"), client.get("/mock/ready")
        assert (health.status_code, ready.status_code) == (200, 503)
        assert health.headers[WORKER] == ready.headers[WORKER] == worker_name()

        during = outage_entries(client)  # read from this process's memory, Redis still away
        assert len(during) == 4, during
        count = client.get("/mock/journal/count", params={"status": 503})
        assert count.status_code == 200 and count.json() == {"count": 4}
    finally:
        redis.start_server()

    deadline = time.monotonic() + 15
    while client.get("/mock/ready").status_code != 200:  # (not journaled: it leaves the journal as it is)
        assert time.monotonic() < deadline, "the process did not serve again"
        time.sleep(0.1)
    assert get_as(client, token).status_code == 200  # the session outlived the outage
    after = outage_entries(client)
    assert after == during
    oldest_first = list(reversed(after))
    assert [(e["method"], e["path"], e["query"]) for e in oldest_first] == [
        ("GET", "/api/cloud/tenants", "format=Entity"),
        ("GET", "/API/Cloud/Tenants/", "format=Entity"),
        ("POST", "/api/sessionMngr/", "v=latest"),
        ("GET", "/api/cloud/tenants", "format=Entity"),
    ]
    assert [e["canonicalPath"] for e in oldest_first][:2] == ["/api/cloud/tenants", "/api/cloud/tenants"]
    assert [e["error"] for e in oldest_first][:3] == messages
    for entry in after:
        assert (entry["status"], entry["faultId"], entry["sessionId"], entry["tokenRejected"]) == (
            503,
            None,
            None,
            False,
        )
        assert entry["latencyMs"] >= 0
        assert "P@ssw0rd" not in str(entry) and token not in str(entry)
    assert oldest_first[0]["headers"][SESSION.lower()] == "[redacted]"
    assert oldest_first[2]["headers"]["authorization"] == "Basic [redacted]"
    sequences = [e["sequence"] for e in oldest_first]
    assert sequences == sorted(sequences)

    journal = client.get("/mock/journal").json()["entries"]
    assert journal[0]["status"] == 200 and journal[0]["fault"] is None  # the read that found Redis back
    assert all(e["path"].lower().startswith("/api") for e in journal)  # control requests are not journaled


def test_a_request_that_meets_the_outage_inside_the_app_is_journaled_as_the_503_it_got(
    redis: RedisServer,  # noqa: F811
    client: TestClient,
) -> None:
    """A latency fault holds a read after it caught up with Redis; Redis stops meanwhile, so the
    session lookup fails inside the app: the client gets the app's 503, and the journal says 503
    (not the 500 a crash would be) with the Error's Message, and the rule that delayed it."""
    token = logon(client)
    rule = client.post("/mock/faults", json={"method": "GET", "path": "/api/cloud/tenants", "latencyMs": 1500})
    assert rule.status_code == 201, rule.text
    answers: list[httpx.Response] = []
    thread = threading.Thread(target=lambda: answers.append(get_as(client, token, Accept="application/json")))
    thread.start()
    try:
        time.sleep(0.5)  # the request is held by the fault, past replication's look at Redis
        redis.stop_server()
        thread.join(15)
        assert not thread.is_alive()
    finally:
        redis.start_server()
    [response] = answers
    message = assert_refused(response, "application/json")

    deadline = time.monotonic() + 15
    while client.get("/mock/ready").status_code != 200:
        assert time.monotonic() < deadline, "the process did not serve again"
        time.sleep(0.1)
    [entry] = client.get("/mock/journal", params={"path": "/api/cloud/tenants"}).json()["entries"]
    assert (entry["status"], entry["error"], entry["faultId"], entry["fault"]) == (
        503,
        message,
        rule.json()["id"],
        "latency",
    )
