"""Redis goes away under load and comes back: 503s only meanwhile, never a 500, no session lost.

A real `redis-server` that persists every write (as a production one does) is stopped and started
again on the same port while `serve --workers 2` answers a bounded load loop on loopback; a second
test stops it with SIGSTOP (a server that hangs rather than refuses) and checks that the wait is
bounded. Without the binary (`apt-get install redis-server`) the tests are skipped.
"""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import threading
import time
import warnings
from collections.abc import Iterator
from pathlib import Path

import httpx
import pytest
from lxml import etree

from mock_em.server import build_served
from mock_em.settings import Settings
from mock_em.store import connect
from mock_em.store.redis_server import RedisServer, free_port, redis_server_binary

with warnings.catch_warnings():
    warnings.simplefilter("ignore")
    from starlette.testclient import TestClient

CLOCK = "2026-01-05T12:00:00Z"
ADMIN = ("Administrator", "P@ssw0rd")
SESSION = "X-RestSvcSessionId"
WORKER = "x-mock-em-worker"
TENANTS = "/api/cloud/tenants?format=Entity"
SMALL = ["--tenants", "2", "--replicas-per-tenant", "1", "--vms-per-replica", "2", "--points-per-vm", "3"]
VEEAM = "{http://www.veeam.com/ent/v1.0}"
REQUESTS = 600  # the load loop's bound
BEGINS = "is unreachable"
ENDS = "is reachable again"


@pytest.fixture
def redis() -> Iterator[RedisServer]:
    """A private redis-server on a loopback port that keeps every write on disk."""
    pytest.importorskip("redis", reason="the redis package is not installed: pip install -e '.[redis]'")
    if redis_server_binary() is None:
        pytest.skip("redis-server is not installed (apt-get install redis-server)")
    with RedisServer(tcp=True, persist=True) as server:
        yield server


def logon(client: httpx.Client | TestClient) -> str:
    """A new administrator session's token."""
    response = client.post("/api/sessionMngr/?v=latest", auth=ADMIN)
    assert response.status_code == 201, response.text
    return response.headers[SESSION]


def get_as(client: httpx.Client | TestClient, token: str, url: str = TENANTS, **headers: str) -> httpx.Response:
    """GET with the session header only (no cookie, which would win over it)."""
    client.cookies.clear()
    return client.get(url, headers={SESSION: token, **headers})


def assert_veeam_503(response: httpx.Response) -> None:
    """A Veeam Error 503, in the notation asked for."""
    assert response.status_code == 503, response.text
    if response.headers["content-type"].startswith("application/json"):
        body = response.json()
        assert (body["StatusCode"], body["Status"]) == (503, "ServiceUnavailable")
        assert "unavailable" in body["Message"]
    else:
        root = etree.fromstring(response.content)
        assert root.tag == f"{VEEAM}Error"
        assert (root.get("StatusCode"), root.get("Status")) == ("503", "ServiceUnavailable")


class Load(threading.Thread):
    """A bounded loop of session reads (and a logon now and then) that notes every answer's time."""

    def __init__(self, base: str, tokens: list[str]) -> None:
        super().__init__(daemon=True)
        self.client = httpx.Client(base_url=base, timeout=10)
        self.tokens = tokens
        self.answers: list[tuple[float, float, int]] = []  # (monotonic times sent and answered, status)
        self.stop = threading.Event()

    def run(self) -> None:
        for number in range(REQUESTS):
            if self.stop.is_set():
                break
            sent = time.monotonic()
            if number % 10 == 0:
                response = self.client.post("/api/sessionMngr/?v=latest", auth=ADMIN)
            else:
                response = get_as(self.client, self.tokens[number % len(self.tokens)])
            self.answers.append((sent, time.monotonic(), response.status_code))
            time.sleep(0.005)
        self.client.close()


def wait_until(check: object, timeout: float) -> None:
    """Poll `check()` until true, or fail."""
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if check():  # type: ignore[operator]
            return
        time.sleep(0.05)
    raise AssertionError(f"not so within {timeout}s")


def test_a_stopped_redis_under_load_costs_503s_only_while_it_is_down(redis: RedisServer, tmp_path: Path) -> None:
    """`serve --workers 2` under a bounded load: Redis stopped, then started again (its data on
    disk). No 500 ever; 503s (Veeam Errors by Accept, quickly) only while it is down; health stays
    200 and readiness says why; afterwards every process serves every session logged on before,
    control edits reach both workers, and the outage is logged once per process each way."""
    port = free_port()
    stderr = (tmp_path / "stderr").open("w+")
    command = [sys.executable, "-m", "mock_em", "serve", "--workers", "2", "--host", "127.0.0.1"]
    command += ["--port", str(port), "--redis-url", redis.url, "--clock", CLOCK, *SMALL]
    env = {**os.environ, "PYTHONPATH": str(Path(__file__).resolve().parents[2])}
    server = subprocess.Popen(command, stdout=subprocess.DEVNULL, stderr=stderr, env=env)
    base = f"http://127.0.0.1:{port}"
    client = httpx.Client(base_url=base, timeout=10)
    try:
        wait_until(lambda: _status(client, "/mock/ready") == 200, 60)
        tokens = [logon(client) for _ in range(20)]
        load = Load(base, tokens)
        load.start()
        wait_until(lambda: len(load.answers) >= 100, 30)

        down = time.monotonic()  # (before: the server is gone before stop_server returns)
        redis.stop_server()
        started = time.monotonic()
        answers = [get_as(client, tokens[0], Accept="application/json") for _ in range(4)]
        assert time.monotonic() - started < 4  # bounded: about a second for the first, then at once
        for response in answers:
            assert_veeam_503(response)
        assert_veeam_503(get_as(client, tokens[0], Accept="application/xml"))
        edit = client.post("/mock/world/tenants", json={"Name": "Initech"})
        assert_veeam_503(edit)
        assert client.get("/mock/health").status_code == 200
        ready = client.get("/mock/ready")
        assert ready.status_code == 503
        assert ready.json()["ready"] is False
        assert "unreachable" in ready.json()["reason"]
        time.sleep(1.0)  # the load meets the outage on both workers

        redis.start_server()
        up = time.monotonic()
        workers: set[str] = set()

        def both_serve() -> bool:
            response = get_as(client, tokens[0], Connection="close")  # a new connection: either worker
            if response.status_code == 200:
                workers.add(response.headers[WORKER])
            return len(workers) == 2

        wait_until(both_serve, 15)
        recovered = time.monotonic()
        wait_until(lambda: len(load.answers) >= REQUESTS or not load.is_alive(), 60)
        load.stop.set()
        load.join(10)

        statuses = [status for _, _, status in load.answers]
        assert 500 not in statuses
        assert set(statuses) <= {200, 201, 503}
        unavailable = [(sent, answered) for sent, answered, status in load.answers if status == 503]
        assert unavailable, "the load never met the outage"
        late = [(sent - down, answered - down) for sent, answered in unavailable if answered < down or sent > recovered]
        assert not late, (late, up - down, recovered - down)
        assert recovered - up < 5

        for token in tokens:  # no session lost: each valid on both workers
            seen: dict[str, int] = {}
            for _ in range(8):
                response = get_as(client, token, Connection="close")
                seen[response.headers[WORKER]] = response.status_code
            assert set(seen.values()) == {200}, token
        tenant = client.post("/mock/world/tenants", json={"Name": "Initech"})
        assert tenant.status_code == 201, tenant.text
        for _ in range(6):
            assert "Initech" in get_as(client, tokens[1], Connection="close").text
        assert client.get("/mock/ready").status_code == 200
    finally:
        client.close()
        server.terminate()
        server.wait(20)
    stderr.seek(0)
    log = stderr.read()
    assert "Traceback" not in log
    begins = [line for line in log.splitlines() if BEGINS in line]
    ends = [line for line in log.splitlines() if ENDS in line]
    assert 1 <= len(begins) <= 2, log  # once per process that met it
    assert len(ends) == len(begins), log


def _status(client: httpx.Client, path: str) -> int:
    try:
        return client.get(path).status_code
    except httpx.HTTPError:
        return 0


def test_a_redis_that_hangs_costs_about_a_second_once(redis: RedisServer, caplog: pytest.LogCaptureFixture) -> None:
    """A Redis that accepts connections but never answers (SIGSTOP): the first request waits about
    the client's timeout, the rest answer 503 at once; after SIGCONT the same session is valid."""
    settings = Settings(
        clock=CLOCK, tenants=2, replicas_per_tenant=1, vms_per_replica=2, points_per_vm=3, redis_url=redis.url
    )
    client = TestClient(build_served(settings, connect(settings)).app, base_url="http://localhost:9399")
    token = logon(client)
    pid = redis._process.pid
    os.kill(pid, signal.SIGSTOP)
    try:
        took = []
        for _ in range(5):
            started = time.monotonic()
            assert_veeam_503(get_as(client, token))
            took.append(time.monotonic() - started)
        assert took[0] < 2.5
        assert max(took[1:]) < 0.5
        assert client.get("/mock/health").status_code == 200
        assert client.get("/mock/ready").status_code == 503
    finally:
        os.kill(pid, signal.SIGCONT)
    wait_until(lambda: get_as(client, token).status_code == 200, 5)
    assert client.get("/mock/ready").json()["ready"] is True
    messages = [r.getMessage() for r in caplog.records if r.name == "mock_em.store"]
    assert sum(BEGINS in m for m in messages) == 1, messages
    assert sum(ENDS in m for m in messages) == 1, messages
    client.close()
