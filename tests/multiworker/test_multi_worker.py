"""More than one process, one EM: `serve --workers N`, and separate processes sharing one Redis.

In-process tests drive two (or three) apps built over one Redis, as two processes would be, to
pin down the replication rules precisely and fast; the subprocess tests then start the real thing
(`python -m mock_em serve --workers 2`, and two single-worker servers as behind a load balancer)
and tell the workers apart by the `X-Mock-Em-Worker` header. Each module run starts its own
redis-server; without the binary (`apt-get install redis-server`) the Redis tests are skipped.
"""

from __future__ import annotations

import base64
import itertools
import os
import queue
import signal
import subprocess
import sys
import threading
import time
import warnings
from collections.abc import Callable, Iterator
from datetime import timedelta
from pathlib import Path
from typing import Any
from uuid import UUID

import httpx
import pytest

from mock_em.cli import main
from mock_em.model.fixture import parse_time
from mock_em.server import app_from_environment, build_served
from mock_em.settings import Settings, SettingsError
from mock_em.store import connect
from mock_em.store.clock import pinned
from mock_em.store.redis_server import RedisServer, free_port, redis_server_binary

with warnings.catch_warnings():
    warnings.simplefilter("ignore")
    from starlette.testclient import TestClient

CLOCK = "2026-01-05T12:00:00Z"
ADMIN = ("Administrator", "P@ssw0rd")
WORKER = "x-mock-em-worker"
SESSION = "X-RestSvcSessionId"
SMALL = {"tenants": 2, "replicas_per_tenant": 1, "vms_per_replica": 2, "points_per_vm": 3}
SMALL_FLAGS = [part for name, value in SMALL.items() for part in ("--" + name.replace("_", "-"), str(value))]
POINTS = "/api/cloud/vmReplicaPoints?format=Entity"
TENANTS = "/api/cloud/tenants?format=Entity"
_prefixes = itertools.count()

needs_redis = pytest.mark.skipif(
    redis_server_binary() is None, reason="redis-server is not installed (apt-get install redis-server)"
)


@pytest.fixture(scope="module")
def redis_url() -> Iterator[str]:
    """A private redis-server on a loopback TCP port, as a real deployment would reach one."""
    pytest.importorskip("redis", reason="the redis package is not installed: pip install -e '.[redis]'")
    if redis_server_binary() is None:
        pytest.skip("redis-server is not installed (apt-get install redis-server)")
    with RedisServer(tcp=True) as server:
        yield server.url


# -- in-process: two apps over one Redis ---------------------------------------------------------


@pytest.fixture
def processes(redis_url: str) -> Iterator[Callable[..., TestClient]]:
    """`processes(**settings)` → a client of one more process of this test's EM (own prefix)."""
    prefix = f"em-{next(_prefixes)}:"
    made: list[TestClient] = []

    def start(**overrides: Any) -> TestClient:
        values = {"clock": CLOCK, **SMALL, "redis_url": redis_url, "redis_prefix": prefix, **overrides}
        settings = Settings(**values)
        served = build_served(settings, connect(settings))
        client = TestClient(served.app, base_url="http://localhost:9399")
        client.served = served  # type: ignore[attr-defined]
        made.append(client)
        return client

    yield start
    for client in made:
        client.close()


def logon(client: TestClient | httpx.Client) -> tuple[str, str]:
    """Log on as the administrator: (token, SessionId)."""
    response = client.post("/api/sessionMngr/?v=latest", auth=ADMIN)
    assert response.status_code == 201, response.text
    return response.headers[SESSION], response.headers["Location"].rsplit("/", 1)[-1]


def get_as(client: TestClient | httpx.Client, token: str, url: str) -> httpx.Response:
    """GET with the session header (and no cookie, which would win over it)."""
    client.cookies.clear()
    return client.get(url, headers={SESSION: token})


def test_a_session_made_in_one_process_is_valid_in_the_other(processes: Callable[..., TestClient]) -> None:
    """Logon through one process; use and log off through the other; the first then refuses it."""
    one, two = processes(), processes()
    token, session_id = logon(one)
    assert get_as(two, token, TENANTS).status_code == 200
    sessions = get_as(two, token, "/api/logonSessions")
    assert session_id in sessions.text
    two.cookies.clear()
    assert two.delete(f"/api/logonSessions/{session_id}", headers={SESSION: token}).status_code == 204
    assert get_as(one, token, TENANTS).status_code == 401
    assert get_as(two, token, TENANTS).status_code == 401


@pytest.mark.parametrize("deterministic", [False, True], ids=["random", "deterministic"])
def test_session_ids_stay_unique_across_processes(processes: Callable[..., TestClient], deterministic: bool) -> None:
    """Logons interleaved over two processes get distinct SessionIds in either mode, each token is
    base64 of its SessionId, and every session is live in both processes."""
    one, two = processes(deterministic_sessions=deterministic), processes(deterministic_sessions=deterministic)
    made = [logon(client) for _ in range(10) for client in (one, two)]
    ids = [session_id for _, session_id in made]
    assert len(set(ids)) == len(made) == 20
    for token, session_id in made:
        assert token == base64.b64encode(session_id.encode("ascii")).decode("ascii")
        assert UUID(session_id).version == 4
        assert get_as(one, token, TENANTS).status_code == 200
    listed = get_as(two, made[0][0], "/api/logonSessions").text
    assert all(session_id in listed for session_id in ids)


def test_control_changes_reach_every_process_with_the_same_ids(processes: Callable[..., TestClient]) -> None:
    """Edits through either process (new objects draw ids from the EM's RNG) leave both worlds equal."""
    one, two = processes(), processes()
    token, _ = logon(one)
    tenant = one.post("/mock/world/tenants", json={"Name": "Globex"}).json()
    replica = two.post("/mock/world/replicas", json={"Name": "Globex Job", "TenantId": tenant["Id"], "Vms": ["db1"]})
    point = one.post("/mock/world/points", json={"ReplicaId": replica.json()["Id"], "VmName": "db1"}).json()
    assert two.patch(f"/mock/world/points/{point['Id']}", json={"State": "Failover"}).status_code == 200
    for url in (TENANTS, POINTS, "/api/cloud/replicas?format=Entity"):
        first, second = get_as(one, token, url), get_as(two, token, url)
        assert first.status_code == 200
        assert first.content == second.content, url
    assert "Globex" in get_as(two, token, TENANTS).text
    assert "Failover" in get_as(one, token, POINTS).text
    assert one.get("/mock/world").json() == two.get("/mock/world").json()


def test_snapshots_and_fault_rules_are_the_same_everywhere(processes: Callable[..., TestClient]) -> None:
    """A snapshot saved through one process restores through the other; a fault rule added through
    one fires in the other, under the same id."""
    one, two = processes(), processes()
    token, _ = logon(one)
    before = get_as(one, token, POINTS).content
    assert one.put("/mock/snapshots/start").status_code == 200
    point_id = one.get("/mock/world").json()["CloudVmReplicaPoints"][0]["Id"]
    assert two.delete(f"/mock/world/points/{point_id}").status_code == 200
    assert get_as(one, token, POINTS).content != before
    assert two.post("/mock/snapshots/start/restore").status_code == 200
    assert get_as(one, token, POINTS).content == before
    rule = one.post("/mock/faults", json={"path": "/api/cloud/tenants", "status": 503}).json()
    assert get_as(two, token, TENANTS).status_code == 503
    assert [r["id"] for r in two.get("/mock/faults").json()["faults"]] == [rule["id"]]
    assert two.delete(f"/mock/faults/{rule['id']}").status_code == 200
    assert get_as(one, token, TENANTS).status_code == 200


def test_a_reset_spares_sessions_opened_after_it(processes: Callable[..., TestClient]) -> None:
    """A reset through one process ends the sessions of all; when the other applies the reset
    later, it does not end the sessions opened since."""
    one, two = processes(), processes()
    old, _ = logon(one)
    assert one.post("/mock/reset").status_code == 200
    new, _ = logon(one)
    assert get_as(two, new, TENANTS).status_code == 200  # two applies the reset only now
    assert get_as(two, old, TENANTS).status_code == 401
    assert get_as(one, new, TENANTS).status_code == 200


def test_a_running_clock_changes_alike_in_every_process(processes: Callable[..., TestClient]) -> None:
    """With a running virtual clock (demo, 60x), a relative change through one process leaves the
    other's clock in exactly the same state, although it applies the change later."""
    one, two = processes(demo=True, clock_rate=60), processes(demo=True, clock_rate=60)
    assert one.post("/mock/clock/advance", json={"by": "1h"}).status_code == 200
    time.sleep(0.05)  # the second process applies the change a little later
    assert two.post("/mock/clock/resume", json={"rate": 120}).status_code == 200
    one.get("/mock/health")  # both have applied both changes now
    clocks = [client.served.em.clock for client in (one, two)]  # type: ignore[attr-defined]
    later = time.time() + 3600
    with pinned(later):
        assert clocks[0].now() == clocks[1].now()
    assert clocks[0].rate == clocks[1].rate == 120
    assert two.post("/mock/clock/freeze").status_code == 200
    now = [client.get("/mock/clock").json() for client in (one, two)]
    assert now[0] == now[1]
    assert now[0]["frozen"] is True
    assert parse_time(now[0]["now"]) > parse_time(CLOCK) + timedelta(hours=1)
    assert one.get("/mock/world").json() == two.get("/mock/world").json()


def test_a_late_process_catches_up_from_the_log(processes: Callable[..., TestClient]) -> None:
    """A process started after the changes (a restarted worker, a new container) applies the
    whole log before it answers, and answers the same bytes."""
    one = processes()
    token, _ = logon(one)
    assert one.post("/mock/clock/advance", json={"by": "2d"}).status_code == 200
    assert one.post("/mock/world/tenants", json={"Name": "Initech"}).status_code == 201
    late = processes()
    for url in (TENANTS, POINTS):
        assert get_as(late, token, url).content == get_as(one, token, url).content
    assert late.get("/mock/clock").json() == one.get("/mock/clock").json()


def test_a_deleted_backup_file_stays_deleted_in_every_process(processes: Callable[..., TestClient]) -> None:
    """A backup file deleted through one process is gone from every process, after the clock
    runs on and in a process that starts later; they all show the same catalogue."""
    one, two = processes(backup_servers=1), processes(backup_servers=1)
    token, _ = logon(one)
    one.cookies.clear()
    files = one.get("/api/backupFiles", headers={SESSION: token, "Accept": "application/json"}).json()["Refs"]
    doomed = files[-1]["UID"].rsplit(":", 1)[-1]
    deleted = two.delete(f"/mock/world/backupFiles/{doomed}")
    assert deleted.status_code == 200 and deleted.json()["backupFilesRemoved"] >= 1, deleted.text
    assert one.post("/mock/clock/advance", json={"by": "1d"}).status_code == 200
    late = processes(backup_servers=1)
    token, _ = logon(one)  # a day on, the first session has expired
    urls = ("/api/backupFiles?format=Entity", "/api/restorePoints", "/api/repositories?format=Entity")
    for url in urls:
        first = get_as(one, token, url)
        assert first.status_code == 200
        assert first.content == get_as(two, token, url).content == get_as(late, token, url).content, url
    for client in (one, two, late):
        assert get_as(client, token, f"/api/backupFiles/{doomed}").status_code == 404


def test_control_token_guards_the_log(processes: Callable[..., TestClient], redis_url: str) -> None:
    """A change the control token refuses is refused without being logged; an accepted one is
    applied by the other process with that process's own token (none is stored)."""
    one, two = processes(control_token="t0ken"), processes(control_token="t0ken")
    log = one.served.replication.log  # type: ignore[attr-defined]
    assert one.post("/mock/world/tenants", json={"Name": "Nope"}).status_code == 401
    assert log.length() == 0
    accepted = one.post("/mock/world/tenants", json={"Name": "Umbrella"}, headers={"Authorization": "Bearer t0ken"})
    assert accepted.status_code == 201
    assert log.length() == 1
    assert b"t0ken" not in log._client.lrange(log.key, 0, -1)[0]
    names = [t["Name"] for t in two.get("/mock/world", headers={"X-Mock-Token": "t0ken"}).json()["CloudTenants"]]
    assert "Umbrella" in names


def test_only_a_shared_em_names_its_worker(processes: Callable[..., TestClient]) -> None:
    """`X-Mock-Em-Worker` appears with a shared store only; a lone in-memory EM adds nothing."""
    assert processes().get("/mock/health").headers[WORKER]
    alone = build_served(Settings(clock=CLOCK, **SMALL))
    with TestClient(alone.app) as client:
        assert WORKER not in client.get("/mock/health").headers


def test_a_shared_em_answers_as_a_lone_one(processes: Callable[..., TestClient]) -> None:
    """With the same settings (deterministic sessions), one process on Redis gives the bytes one
    in-memory process gives: the same world, and the same SessionIds and tokens in the same logon order."""
    shared = processes(deterministic_sessions=True)
    alone = build_served(Settings(clock=CLOCK, deterministic_sessions=True, **SMALL))
    with TestClient(alone.app, base_url="http://localhost:9399") as lone:
        for _ in range(2):
            a, b = (client.post("/api/sessionMngr/?v=latest", auth=ADMIN) for client in (shared, lone))
            assert a.content == b.content
            assert a.headers[SESSION] == b.headers[SESSION]
        token = a.headers[SESSION]
        for url in (TENANTS, POINTS, "/api/logonSessions"):
            assert get_as(shared, token, url).content == get_as(lone, token, url).content, url


def test_an_asgi_server_can_build_the_app_from_the_environment(monkeypatch: pytest.MonkeyPatch, redis_url: str) -> None:
    """`uvicorn --factory mock_em.server:app_from_environment` (one process per container, say)
    reads `MOCK_EM_*` alone and joins the EM the Redis URL names."""
    prefix = f"env-{next(_prefixes)}:"
    for name, value in {"REDIS_URL": redis_url, "REDIS_PREFIX": prefix, "CLOCK": CLOCK, "TENANTS": "2"}.items():
        monkeypatch.setenv(f"MOCK_EM_{name}", value)
    with TestClient(app_from_environment()) as one, TestClient(app_from_environment()) as two:
        token, _ = logon(one)
        assert get_as(two, token, TENANTS).status_code == 200
        assert one.get("/mock/about").json()["world"]["tenants"] == 2


def test_other_settings_may_not_join(redis_url: str) -> None:
    """A process whose settings shape another EM (here: another seed) is refused, naming them."""
    base = {"clock": CLOCK, "redis_url": redis_url, "redis_prefix": f"em-{next(_prefixes)}:"}
    connect(Settings(seed=1, **base))
    connect(Settings(seed=1, port=1234, **base))  # where it listens may differ
    with pytest.raises(SettingsError, match="seed 1 there, 2 here"):
        connect(Settings(seed=2, **base))


# -- settings ------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("argv", "needle"),
    [
        (["--workers", "2"], "redis-url"),
        (["--workers", "0"], "workers"),
        (["--workers", "many"], "workers"),
        (["--redis-url", "http://redis.example"], "redis-url"),
        (["--redis-url", "redis://127.0.0.1:1/0"], "cannot use redis://127.0.0.1:1/0"),
    ],
)
def test_unusable_worker_settings_exit_2(
    capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch, argv: list[str], needle: str
) -> None:
    """More than one worker without a shared store, or a store that cannot be used: exit 2 and one
    line saying why (several processes need a shared store to be one EM)."""
    for name in list(os.environ):
        if name.startswith("MOCK_EM_"):
            monkeypatch.delenv(name)
    if "redis://" in " ".join(argv):
        pytest.importorskip("redis")
    try:
        status = main(["serve", "--host", "127.0.0.1", "--port", str(free_port()), *argv])
    except SystemExit as exc:
        status = exc.code
    out, err = capsys.readouterr()
    assert status == 2, err
    assert out == ""
    assert needle in err, err
    assert "Traceback" not in err
    assert needle in err.strip().splitlines()[-1], err  # argparse prints its usage above
    if argv == ["--workers", "2"]:
        assert "share" in err and "store" in err


# -- real processes ------------------------------------------------------------------------------


class ServeProcess:
    """A `python -m mock_em serve …` process, started and waited for until its banner is out."""

    def __init__(self, *args: str, port: int | None = None) -> None:
        self.port = port or free_port()
        self.url = f"http://127.0.0.1:{self.port}"
        env = {k: v for k, v in os.environ.items() if not k.startswith("MOCK_EM_")}
        command = [sys.executable, "-m", "mock_em", "serve", "--host", "127.0.0.1", "--port", str(self.port), *args]
        self.process = subprocess.Popen(command, stderr=subprocess.PIPE, text=True, env=env)
        self.lines: queue.Queue[str] = queue.Queue()
        self.output: list[str] = []
        threading.Thread(target=self._read, daemon=True).start()
        deadline = time.monotonic() + 45
        while time.monotonic() < deadline:
            try:
                line = self.lines.get(timeout=0.2)
            except queue.Empty:
                if self.process.poll() is not None:
                    break
                continue
            if line.startswith("  shared:"):
                return
        self.stop()
        pytest.fail(f"mock-em did not start: {''.join(self.output)}")

    def _read(self) -> None:
        assert self.process.stderr is not None
        for line in self.process.stderr:
            self.output.append(line)
            self.lines.put(line)

    def stop(self) -> None:
        """SIGTERM, then wait (the parent stops its workers)."""
        if self.process.poll() is None:
            self.process.terminate()
            try:
                self.process.wait(20)
            except subprocess.TimeoutExpired:
                self.process.kill()
                self.process.wait(5)


def pinned_client(url: str, worker: str | None = None) -> httpx.Client:
    """A keep-alive client: every answer on its connection must come from the same worker."""
    seen: dict[str, str] = {}

    def same_worker(response: httpx.Response) -> None:
        who = response.headers[WORKER]
        assert seen.setdefault("worker", who) == who, "the connection moved to another worker"

    client = httpx.Client(base_url=url, event_hooks={"response": [same_worker]}, timeout=10)
    if worker is not None:
        seen["worker"] = worker
    return client


def clients_of_distinct_workers(url: str, count: int, avoid: frozenset[str] = frozenset()) -> dict[str, httpx.Client]:
    """One connection to each of `count` different workers (not in `avoid`): fresh connections
    until that many distinct `X-Mock-Em-Worker` values answered."""
    found: dict[str, httpx.Client] = {}
    deadline = time.monotonic() + 30
    while len(found) < count and time.monotonic() < deadline:
        client = pinned_client(url)
        try:
            who = client.get("/mock/health").headers[WORKER]
        except httpx.TransportError:
            client.close()
            time.sleep(0.1)
            continue
        if who in found or who in avoid:
            client.close()
            time.sleep(0.01)
            continue
        found[who] = client
    assert len(found) == count, f"only {len(found)} distinct workers answered"
    return found


def check_one_em(first: httpx.Client, second: httpx.Client) -> tuple[str, str]:
    """Logon through the first, use and log off through the second, control edits through either:
    the two answer as one EM. Returns a live session (token, SessionId) made through the second."""
    token, session_id = logon(first)
    for url in (TENANTS, POINTS, "/api/backupServers?format=Entity"):
        a, b = get_as(first, token, url), get_as(second, token, url)
        assert a.status_code == b.status_code == 200, url
        assert a.content == b.content, url  # the same world, byte for byte
    second.cookies.clear()
    assert second.delete(f"/api/logonSessions/{session_id}", headers={SESSION: token}).status_code == 204
    assert get_as(first, token, TENANTS).status_code == 401
    assert get_as(second, token, TENANTS).status_code == 401

    token, session_id = logon(second)
    points = get_as(first, token, POINTS).content
    replica = first.get("/mock/world").json()["CloudReplicas"][0]
    added = first.post("/mock/world/points", json={"ReplicaId": replica["Id"], "VmName": replica["Vms"][0]["Name"]})
    assert added.status_code == 201
    assert added.json()["Id"] in get_as(second, token, POINTS).text
    assert second.post("/mock/clock/advance", json={"by": "1d"}).status_code == 200
    moved = get_as(first, token, POINTS)
    assert moved.content != points
    assert moved.content == get_as(second, token, POINTS).content
    assert first.get("/mock/clock").json() == second.get("/mock/clock").json()
    return token, session_id


@needs_redis
def test_workers_are_one_em(redis_url: str) -> None:
    """`serve --workers 2`: a session made through one worker is valid in the other, a logoff
    through one is honoured by the other, control edits made through either reach both, both serve
    the same bytes; a worker that dies is replaced, and its successor joins the same EM."""
    server = ServeProcess("--workers", "2", "--redis-url", redis_url, "--clock", CLOCK, *SMALL_FLAGS)
    clients: dict[str, httpx.Client] = {}
    try:
        clients = clients_of_distinct_workers(server.url, 2)
        (w1, first), (w2, second) = clients.items()
        for client in (first, second):  # the parent's flags reached every worker
            assert client.get("/mock/about").json()["world"]["tenants"] == SMALL["tenants"]
        token, _ = check_one_em(first, second)

        points, world = get_as(first, token, POINTS).content, first.get("/mock/world").json()
        os.kill(int(w2.rsplit(":", 1)[1]), signal.SIGKILL)
        # While the successor starts, idle connections may close (keep-alive ends after 5 s): what
        # it must answer was read above, and only fresh connections are used from here on.
        [(w3, third)] = clients_of_distinct_workers(server.url, 1, avoid=frozenset({w1, w2})).items()
        clients[w3] = third
        assert get_as(third, token, POINTS).content == points
        assert third.get("/mock/world").json() == world
    finally:
        for client in clients.values():
            client.close()
        server.stop()
    assert server.process.returncode == 0, "".join(server.output)
    assert "Traceback" not in "".join(server.output)


@needs_redis
def test_separate_processes_on_one_redis_are_one_em(redis_url: str) -> None:
    """Two single-worker servers on one Redis (containers behind a load balancer, which would
    give them one public URL): the same checks hold."""
    prefix = f"lb-{next(_prefixes)}:"
    common = ["--redis-url", redis_url, "--redis-prefix", prefix, "--clock", CLOCK, "--public-url", "http://em:9399"]
    servers = [ServeProcess(*common, *SMALL_FLAGS), ServeProcess(*common, *SMALL_FLAGS)]
    clients = [pinned_client(s.url) for s in servers]
    try:
        workers = {client.get("/mock/health").headers[WORKER] for client in clients}
        assert len(workers) == 2
        check_one_em(*clients)
    finally:
        for client in clients:
            client.close()
        for server in servers:
            server.stop()
    for server in servers:  # a lone uvicorn re-raises the SIGTERM it handled, as plain `serve` always has
        assert server.process.returncode in (0, -signal.SIGTERM), "".join(server.output)
        assert "Traceback" not in "".join(server.output)


def test_a_redis_backed_process_refuses_other_settings(redis_url: str, tmp_path: Path) -> None:
    """A second process with another seed on the same Redis and prefix exits 2 saying why."""
    prefix = f"cfg-{next(_prefixes)}:"
    connect(Settings(seed=1, clock=CLOCK, redis_url=redis_url, redis_prefix=prefix))
    env = {k: v for k, v in os.environ.items() if not k.startswith("MOCK_EM_")}
    command = [sys.executable, "-m", "mock_em", "serve", "--host", "127.0.0.1", "--port", str(free_port())]
    command += ["--seed", "2", "--clock", CLOCK, "--redis-url", redis_url, "--redis-prefix", prefix]
    done = subprocess.run(command, capture_output=True, text=True, env=env, timeout=30, check=False)
    assert done.returncode == 2, done.stderr
    assert "Traceback" not in done.stderr
    assert "seed" in done.stderr and "redis-prefix" in done.stderr


@needs_redis
def test_a_worker_that_cannot_start_fails_the_server_with_one_line(redis_url: str, tmp_path: Path) -> None:
    """A failure inside the workers (here: the fixture is missing) is the parent's one-line error,
    exit 2, as it is for a single process."""
    missing = tmp_path / "missing.json"
    env = {k: v for k, v in os.environ.items() if not k.startswith("MOCK_EM_")}
    command = [sys.executable, "-m", "mock_em", "serve", "--host", "127.0.0.1", "--port", str(free_port())]
    command += ["--workers", "2", "--redis-url", redis_url, "--redis-prefix", f"bad-{next(_prefixes)}:"]
    done = subprocess.run([*command, "--fixture", str(missing)], capture_output=True, text=True, env=env, timeout=60)
    assert done.returncode == 2, done.stderr
    assert done.stderr.strip().splitlines() == [f"mock-em: cannot read fixture {missing}: No such file or directory"]
