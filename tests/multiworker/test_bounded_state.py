"""Bounded state in Redis: session keys expire with the idle timeout, the control log compacts.

In-process apps over one private redis-server, as in `test_multi_worker.py`: each session's keys
carry the idle timeout as their expiry and every use renews it; 100,000 logons (logged off, or
left to expire) leave Redis's key count and memory where they were; 10,000 control edits leave
them there too, the log no longer than two rounds of `compact_every`; and a process that starts
after a compaction, or one whose position was trimmed while it idled, answers exactly as the
others do.
"""

from __future__ import annotations

import itertools
import re
import threading
import time
import warnings
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from typing import Any

import pytest

from mock_em.server import build_served
from mock_em.settings import Settings
from mock_em.store import connect
from mock_em.store.redis_server import RedisServer, redis_server_binary

with warnings.catch_warnings():
    warnings.simplefilter("ignore")
    from starlette.testclient import TestClient

redis = pytest.importorskip("redis", reason="the redis package is not installed: pip install -e '.[redis]'")

CLOCK = "2026-01-05T12:00:00Z"
ADMIN = ("Administrator", "P@ssw0rd")
SESSION = "X-RestSvcSessionId"
SMALL = {"tenants": 2, "replicas_per_tenant": 1, "vms_per_replica": 2, "points_per_vm": 3}
TENANTS = "/api/cloud/tenants?format=Entity"
POINTS = "/api/cloud/vmReplicaPoints?format=Entity"
_prefixes = itertools.count()


@pytest.fixture(scope="module")
def redis_url() -> Iterator[str]:
    """A private redis-server on a loopback TCP port."""
    if redis_server_binary() is None:
        pytest.skip("redis-server is not installed (apt-get install redis-server)")
    with RedisServer(tcp=True) as server:
        yield server.url


@pytest.fixture
def raw(redis_url: str) -> Iterator[Any]:
    """A plain Redis client, to look at keys, expiries and memory."""
    client = redis.Redis.from_url(redis_url)
    yield client
    client.close()


@contextmanager
def em_processes(redis_url: str, prefix: str) -> Iterator[Callable[..., TestClient]]:
    """`start(**settings)` → a client of one more in-process process of the EM under `prefix`
    (a small world, the clock frozen at CLOCK), each with one event loop throughout; all closed
    on the way out."""
    made: list[TestClient] = []

    def start(**overrides: Any) -> TestClient:
        values = {"clock": CLOCK, **SMALL, "redis_url": redis_url, "redis_prefix": prefix, **overrides}
        settings = Settings(**values)
        served = build_served(settings, connect(settings))
        client = TestClient(served.app, base_url="http://localhost:9399").__enter__()
        client.served = served  # type: ignore[attr-defined]
        client.prefix = prefix  # type: ignore[attr-defined]
        made.append(client)
        return client

    try:
        yield start
    finally:
        for client in made:
            client.__exit__(None, None, None)


@pytest.fixture
def processes(redis_url: str) -> Iterator[Callable[..., TestClient]]:
    """`processes(**settings)` → a client of one more process of this test's EM (own prefix)."""
    with em_processes(redis_url, f"bounded-{next(_prefixes)}:") as start:
        yield start


def logon(client: TestClient) -> tuple[str, str]:
    """Log on as the administrator: (token, SessionId)."""
    client.cookies.clear()
    response = client.post("/api/sessionMngr/?v=latest", auth=ADMIN)
    assert response.status_code == 201, response.text
    return response.headers[SESSION], response.headers["Location"].rsplit("/", 1)[-1]


def get_as(client: TestClient, token: str, url: str) -> Any:
    """GET with the session header (and no cookie, which would win over it)."""
    client.cookies.clear()
    return client.get(url, headers={SESSION: token})


def logoff(client: TestClient, token: str, session_id: str) -> None:
    client.cookies.clear()
    assert client.delete(f"/api/logonSessions/{session_id}", headers={SESSION: token}).status_code == 204


def keys_of(raw: Any, prefix: str) -> list[bytes]:
    return sorted(raw.scan_iter(match=f"{prefix}*", count=1000))


def wait_for(condition: Callable[[], bool], seconds: float = 15.0) -> bool:
    """Poll (bounded) until `condition` holds; Redis expires keys in a background cycle."""
    deadline = time.monotonic() + seconds
    while time.monotonic() < deadline:
        if condition():
            return True
        time.sleep(0.1)
    return condition()


# -- sessions ------------------------------------------------------------------------------------


def test_session_keys_expire_with_the_idle_timeout_and_use_renews_them(
    processes: Callable[..., TestClient], raw: Any
) -> None:
    """Both keys of a session expire one idle timeout after logon; a request through either process
    moves the expiry back to the full idle timeout; a logoff deletes them."""
    one, two = processes(idle_timeout="10m"), processes(idle_timeout="10m")
    token, session_id = logon(one)
    data, ident = f"{one.prefix}sessions:s:{token}", f"{one.prefix}sessions:id:{session_id}"
    for key in (data, ident):
        assert 590_000 < raw.pttl(key) <= 600_000
    time.sleep(0.3)
    assert raw.pttl(data) <= 599_700
    assert get_as(two, token, TENANTS).status_code == 200
    for key in (data, ident):
        assert raw.pttl(key) > 599_500
    logoff(two, token, session_id)
    assert raw.exists(data, ident) == 0
    assert get_as(one, token, TENANTS).status_code == 401


def test_a_session_whose_keys_expired_is_refused(processes: Callable[..., TestClient], raw: Any) -> None:
    """With the clock frozen the EM's clock never calls a session idle, but Redis's expiry (in real
    time) still ends it: 401 after the keys are gone, through any process, and no key is left."""
    one, two = processes(idle_timeout="1s"), processes(idle_timeout="1s")
    kept, _ = logon(one)
    left, _ = logon(one)
    for _ in range(4):  # used every 0.4 s: stays alive past its first second
        time.sleep(0.4)
        assert get_as(two, kept, TENANTS).status_code == 200
    assert get_as(one, left, TENANTS).status_code == 401
    time.sleep(1.3)  # no use for longer than the idle timeout (asking again would renew it)
    assert get_as(one, kept, TENANTS).status_code == 401
    assert wait_for(lambda: not [k for k in keys_of(raw, one.prefix) if b"sessions:" in k and b"logons" not in k])


def test_redis_stays_flat_over_100_000_logons(processes: Callable[..., TestClient], raw: Any) -> None:
    """50,000 logon/logoff pairs and 50,000 logons left to expire: the EM's key count comes back to
    what it was and used memory stays within a small margin."""
    one, two = processes(idle_timeout="1s"), processes(idle_timeout="1s")
    store = one.served.em.sessions
    em = one.served.em
    account = em.accounts.authenticate(*ADMIN)
    assert account is not None
    name = em.accounts.display_name(account)
    for _ in range(50):  # warm up: Redis's own structures, the scripts' cache
        logoff(two, *logon(one))
    assert wait_for(lambda: not [k for k in keys_of(raw, one.prefix) if b"sessions:index" in k])
    keys_before = keys_of(raw, one.prefix)
    memory_before = raw.info("memory")["used_memory"]
    # Over the wire for a part, and through the very store the logon endpoint uses for the bulk
    # (the test must stay quick; the bench makes all 100,000 over HTTP).
    for index in range(50_000):
        if index % 25 == 0:
            logoff(two, *logon(one))
        else:
            session = store.logon(account, name)
            assert store.logoff(session.session_id)
    peak = 0
    for index in range(50_000):
        if index % 25 == 0:
            logon(two)
        else:
            store.logon(account, name)
        if index % 500 == 499:
            peak = max(peak, raw.dbsize())
    assert peak > len(keys_before) + 500  # they were there, until they expired
    assert wait_for(lambda: keys_of(raw, one.prefix) == keys_before, 30.0), keys_of(raw, one.prefix)[:10]
    growth = raw.info("memory")["used_memory"] - memory_before
    assert growth < 512 * 1024, growth


# -- the control log -----------------------------------------------------------------------------


def edit(client: TestClient, index: int) -> None:
    """One control change of several kinds: the world (new ids from the EM's RNG), the clock and
    fault rules."""
    kind = index % 4
    if index % 250 == 3:  # a saved snapshot copies the world: now and then
        response = client.put(f"/mock/snapshots/s{index % 3}")
    elif kind in (0, 3):
        response = client.post("/mock/world/tenants", json={"Name": f"Tenant {index}"})
    elif kind == 1:
        response = client.post("/mock/clock/advance", json={"seconds": 7})
    else:
        response = client.post("/mock/faults", json={"path": f"/api/nothing/{index}", "status": 503})
    assert response.status_code in (200, 201), response.text


def answers(client: TestClient, token: str) -> list[Any]:
    """What a process says about the shared state: world, clock, faults, snapshots."""
    return [
        get_as(client, token, TENANTS).text,
        get_as(client, token, POINTS).text,
        client.get("/mock/clock").json(),
        [(rule["id"], rule["path"]) for rule in client.get("/mock/faults").json()["faults"]],
        client.get("/mock/snapshots").json(),
    ]


def test_the_control_log_stays_bounded_and_late_processes_catch_up(
    processes: Callable[..., TestClient], raw: Any
) -> None:
    """2,000 control edits through two processes with `compact_every` 50: the log never holds more
    than two rounds; a process started afterwards, and one that idled while its position was
    trimmed, answer exactly as the two that made the edits, and keep doing so after more edits."""
    every = 50
    one, two = processes(compact_every=every), processes(compact_every=every)
    idle = processes(compact_every=every)  # started now, then left alone while the log is trimmed
    log_key = f"{one.prefix}control-log"
    longest = 0
    for index in range(2_000):
        edit((one, two)[index % 2], index)
        if index % 20 == 0:
            longest = max(longest, raw.llen(log_key))
    longest = max(longest, raw.llen(log_key))
    assert longest <= 2 * every + 1, longest
    base = int(raw.get(f"{log_key}:base"))
    assert base >= 2_000 - 2 * every - 1
    assert idle.served.replication.applied < base  # its position was trimmed away

    late = processes(compact_every=every)
    assert late.served.replication.applied >= base  # it began from the snapshot, not from entry 0
    token, _ = logon(two)  # after the edits: the clock moved on by more than the idle timeout
    expected = answers(one, token)
    assert len(expected[3]) == 500 and "Tenant 1996" in expected[0]
    assert answers(two, token) == expected
    assert answers(late, token) == expected
    assert answers(idle, token) == expected
    # ... and they stay one EM: new ids come from the same RNG state, the clock from the same anchor.
    for index in range(2_000, 2_008):
        edit((late, idle)[index % 2], index)
    expected = answers(one, token)
    assert "Tenant 2004" in expected[0]
    for client in (two, late, idle):
        assert answers(client, token) == expected


def churn(client: TestClient, index: int, made: list[str]) -> None:
    """One control change that leaves the state's size as it was over each round of four: a
    tenant added then deleted, a fault rule added then deleted; now and then the same snapshot
    saved again."""
    kind = index % 4
    if index % 500 == 7:
        response = client.put("/mock/snapshots/kept")
    elif kind == 0:
        response = client.post("/mock/world/tenants", json={"Name": f"Passing {index}"})
        made.append(response.json()["Id"])
    elif kind == 1:
        response = client.delete(f"/mock/world/tenants/{made.pop()}")
    elif kind == 2:
        response = client.post("/mock/faults", json={"path": f"/api/nothing/{index}", "status": 503})
        made.append(response.json()["id"])
    else:
        response = client.delete(f"/mock/faults/{made.pop()}")
    assert response.status_code in (200, 201, 204), response.text


def test_redis_stays_flat_over_10_000_control_edits(processes: Callable[..., TestClient], raw: Any) -> None:
    """10,000 control edits through two processes, with the default `compact_every` (1,000): once
    the first snapshot is written, the key count, the log's length and Redis's memory stay where
    they were, however many more edits come (the state they leave is the same size)."""
    one, two = processes(), processes()
    assert one.served.replication.compactor.every == 1_000
    log_key = f"{one.prefix}control-log"
    made: list[str] = []
    for index in range(2_000):  # two rounds: the log and its snapshot at their working size
        churn((one, two)[index % 2], index, made)
    keys_before = keys_of(raw, one.prefix)
    memory_before = raw.info("memory")["used_memory"]
    longest = 0
    for index in range(2_000, 12_000):
        churn((one, two)[index % 2], index, made)
        if index % 50 == 0:
            longest = max(longest, raw.llen(log_key))
    assert longest <= 2 * 1_000 + 1, longest
    assert int(raw.get(f"{log_key}:base")) >= 12_000 - 2 * 1_000 - 1
    assert keys_of(raw, one.prefix) == keys_before
    growth = raw.info("memory")["used_memory"] - memory_before
    assert abs(growth) < 1024 * 1024, growth
    token, _ = logon(two)
    assert answers(one, token) == answers(two, token)


def test_compaction_races_neither_itself_nor_appends(processes: Callable[..., TestClient], raw: Any) -> None:
    """Three processes editing at once, each from its own thread, with a tiny `compact_every`:
    compactions race appends and each other; no edit is lost, none is applied twice, and every
    process agrees."""
    every = 3
    clients = [processes(compact_every=every) for _ in range(3)]
    statuses: list[int] = []

    def run(number: int) -> None:
        for index in range(40):
            response = clients[number].post("/mock/world/tenants", json={"Name": f"Race {number}-{index}"})
            statuses.append(response.status_code)

    threads = [threading.Thread(target=run, args=(number,)) for number in range(3)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=60)
    assert statuses == [201] * 120
    assert raw.llen(f"{clients[0].prefix}control-log") <= 2 * every + 3
    token, _ = logon(clients[0])
    expected = answers(clients[0], token)
    names = re.findall(r'<CloudTenant [^>]*Name="([^"]*)"', expected[0])
    assert sorted(name for name in names if name.startswith("Race ")) == sorted(
        f"Race {number}-{index}" for number, index in itertools.product(range(3), range(40))
    )
    for client in clients[1:]:
        assert answers(client, token) == expected


def test_a_change_whose_entries_were_compacted_meanwhile_is_a_503_not_a_double(
    processes: Callable[..., TestClient], monkeypatch: pytest.MonkeyPatch
) -> None:
    """If a process stalls between logging its change and applying the entries before it for a
    whole round of compaction, the change reaches it through the snapshot: it is applied once, and
    its client gets a 503 Error saying to read the state back (never a 500, never a second copy)."""
    stalled, busy = processes(compact_every=1), processes(compact_every=1)
    log = stalled.served.replication.log
    append = log.append

    def append_then_stall(command: Any) -> int:
        index = append(command)
        for number in range(3):  # the other process applies it, edits and compacts meanwhile
            assert busy.post("/mock/world/tenants", json={"Name": f"Meanwhile {number}"}).status_code == 201
        return index

    assert busy.post("/mock/world/tenants", json={"Name": "Before"}).status_code == 201  # not applied by `stalled` yet
    monkeypatch.setattr(log, "append", append_then_stall)
    response = stalled.post("/mock/world/tenants", json={"Name": "Stalled"})
    assert response.status_code == 503
    assert response.json()["Status"] == "ServiceUnavailable"
    monkeypatch.setattr(log, "append", append)
    token, _ = logon(busy)
    expected = answers(busy, token)
    assert answers(stalled, token) == expected
    assert expected[0].count('Name="Stalled"') == 2  # the entity and its link: one tenant
