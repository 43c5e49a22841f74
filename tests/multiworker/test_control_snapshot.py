"""The control snapshot is JSON that brings back, exactly, the state the control log built.

No Redis is needed: a process's state is captured after a broad run of control edits (every kind
of world edit, job run edits, deletions, billing, clock moves, fault rules, saved snapshots) and
restored into a second process of the same settings. The second must then hold an equal world,
object for object (sessions and catalogue derived from its jobs included), answer the vendor API
and the control plane byte for byte as the first, draw the same ids for what is made next, and
decide the same faults. A snapshot that is not one (a pickle, another version) is refused
without running anything and without changing the process.
"""

from __future__ import annotations

import copy
import pickle
import warnings
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import orjson
import pytest

from mock_em.model.fixture import dump_world
from mock_em.server import build_served
from mock_em.settings import Settings
from mock_em.store.shared_state import FORMAT_VERSION, SnapshotError, capture, restore

with warnings.catch_warnings():
    warnings.simplefilter("ignore")
    from starlette.testclient import TestClient

CLOCK = "2026-01-05T12:00:00Z"
ADMIN = ("Administrator", "P@ssw0rd")
SESSION = "X-RestSvcSessionId"
SMALL = {"tenants": 3, "replicas_per_tenant": 1, "vms_per_replica": 2, "points_per_vm": 3}
PIN = 1_767_614_400.25
# What both processes are asked, in XML and JSON: every family the edits touch, and the report.
VENDOR = (
    "/api/cloud/tenants?format=Entity",
    "/api/cloud/vmReplicaPoints?format=Entity",
    "/api/cloud/replicas?format=Entity",
    "/api/cloud/tenants/{tenant}/resources",
    "/api/cloud/tenants/{tenant}/computeResources",
    "/api/jobs?format=Entity",
    "/api/backupSessions?format=Entity",
    "/api/backupTaskSessions?format=Entity",
    "/api/restorePoints?format=Entity",
    "/api/vmRestorePoints?format=Entity",
    "/api/backupFiles?format=Entity",
    "/api/repositories?format=Entity",
    "/api/reports/summary/overview",
    "/api/query?type=Job&format=Entities",
)
CONTROL = ("/mock/clock", "/mock/faults", "/mock/snapshots", "/mock/world")


class Process:
    """One process of an EM: its client, EM and fault rules."""

    def __init__(self, settings: Settings) -> None:
        served = build_served(settings)
        self.em = served.em
        self.faults = served.fastapi.state.faults
        self.client = TestClient(served.app, base_url="http://localhost:9399").__enter__()

    def control(self, method: str, url: str, **kwargs: Any) -> Any:
        response = self.client.request(method, url, **kwargs)
        assert response.status_code < 300, (method, url, response.status_code, response.text)
        return response.json() if response.content else None

    def token(self) -> str:
        self.client.cookies.clear()
        response = self.client.post("/api/sessionMngr/?v=latest", auth=ADMIN)
        assert response.status_code == 201, response.text
        return response.headers[SESSION]

    def answers(self, tenant: str) -> dict[str, tuple[int, bytes]]:
        """Status and body of every vendor and control URL above."""
        token = self.token()
        found: dict[str, tuple[int, bytes]] = {}
        for url in VENDOR:
            for accept in ("application/xml", "application/json"):
                self.client.cookies.clear()
                response = self.client.get(url.format(tenant=tenant), headers={SESSION: token, "Accept": accept})
                found[f"{accept} {url}"] = (response.status_code, response.content.replace(token.encode(), b"T"))
        for url in CONTROL:
            response = self.client.get(url)
            found[url] = (response.status_code, response.content)
        return found

    def close(self) -> None:
        self.client.__exit__(None, None, None)


@pytest.fixture
def processes() -> Iterator[tuple[Process, Process]]:
    """Two processes of one EM's settings (a frozen clock, a small world)."""
    settings = Settings(clock=CLOCK, **SMALL)
    first, second = Process(settings), Process(settings)
    yield first, second
    first.close()
    second.close()


def edit_broadly(em: Process) -> str:
    """Every kind of control change, in an order that leaves traces of each; returns a tenant id."""
    tenant = em.control("POST", "/mock/world/tenants", json={"Name": "Initech", "Password": "pw"})["Id"]
    replica = em.control("POST", "/mock/world/replicas", json={"Name": "Initech Job", "TenantId": tenant, "Vms": ["a"]})
    point = em.control("POST", "/mock/world/points", json={"ReplicaId": replica["Id"], "VmName": "a"})
    em.control("PATCH", f"/mock/world/points/{point['Id']}", json={"State": "Failover"})
    resource = em.control(
        "POST", f"/mock/billing/tenants/{tenant}/resources", json={"DisplayName": "More", "Quota": 2048}
    )
    em.control("PUT", f"/mock/billing/resources/{resource['Id']}/quota", json={"Quota": 4096})
    em.control("POST", f"/mock/billing/resources/{resource['Id']}/fill", json={"Percent": 70})
    plan = str(next(iter(em.em.world.all("CloudHardwarePlan"))))
    em.control("POST", f"/mock/billing/tenants/{tenant}/computeResources", json={"CloudHardwarePlanId": plan})
    job = next(str(j.id) for j in em.em.world.all("Job").values() if j.vms and j.schedule)
    em.control("POST", f"/mock/world/jobs/{job}/nextRun", json={"Result": "Failed"})
    em.control("PUT", "/mock/snapshots/before")
    em.control("POST", "/mock/clock/advance", json={"by": "30h"})
    em.control("POST", f"/mock/world/jobs/{job}/start")
    em.control("POST", "/mock/clock/advance", json={"by": "5m"})
    catalogue = em.em.world
    em.control("DELETE", f"/mock/world/restorePoints/{next(iter(catalogue.all('RestorePoint')))}")
    em.control("DELETE", f"/mock/world/backupFiles/{list(catalogue.all('BackupFile'))[-1]}")
    em.control("POST", "/mock/faults", json={"path": "/api/cloud/*", "status": 503, "probability": 0.5, "seed": 3})
    em.control("POST", "/mock/faults", json={"path": "/api/jobs", "latencyMinMs": 1, "latencyMaxMs": 2})
    em.control("POST", "/mock/faults", json={"path": "/api/nothing", "connection": "reset", "skipFirst": 2})
    em.control("DELETE", "/mock/faults/f2")
    em.control("PUT", "/mock/snapshots/after")
    em.control("POST", "/mock/world/tenants", json={"Name": "Globex"})
    token = em.token()
    for _ in range(7):  # the probabilistic rule draws from its RNG
        em.client.cookies.clear()
        em.client.get("/api/cloud/tenants", headers={SESSION: token})
    return tenant


def same_worlds(first: Process, second: Process) -> None:
    """Object for object, kind by kind, in store order."""
    a, b = first.em.world, second.em.world
    for kind in a.store:
        assert list(a.store[kind].items()) == list(b.store[kind].items()), kind
    assert (a.recorded, a.release, a.instants) == (b.recorded, b.release, b.instants)
    assert first.em.world_time == second.em.world_time
    for name, saved in first.em.snapshots.items():
        other = second.em.snapshots[name]
        assert saved.world_time == other.world_time
        for kind in saved.world.store:
            assert list(saved.world.store[kind].items()) == list(other.world.store[kind].items()), (name, kind)


def test_a_restored_process_holds_and_answers_what_the_log_built(processes: tuple[Process, Process]) -> None:
    first, second = processes
    tenant = edit_broadly(first)
    blob = capture(first.em, first.faults, PIN)

    state = orjson.loads(blob)  # plain JSON, in a format that says what it is
    assert (state["Format"], state["FormatVersion"]) == ("mock-em/control-snapshot", FORMAT_VERSION)
    assert restore(second.em, second.faults, blob) == PIN

    same_worlds(first, second)
    again = orjson.loads(capture(second.em, second.faults, PIN))
    assert again["world"].pop("Version") > state["world"].pop("Version")  # caches must not take it for the old one
    assert again == state  # nothing lost or added on the way
    assert second.answers(tenant) == first.answers(tenant)
    # what comes next is the same: ids drawn for new objects, fault decisions, a restored snapshot
    made = [em.control("POST", "/mock/world/tenants", json={"Name": "Next"})["Id"] for em in (first, second)]
    assert made[0] == made[1]
    statuses = []
    for em in (first, second):
        token = em.token()
        statuses.append([])
        for _ in range(20):
            em.client.cookies.clear()
            statuses[-1].append(em.client.get("/api/cloud/tenants", headers={SESSION: token}).status_code)
    assert statuses[0] == statuses[1] and {200, 503} <= set(statuses[0])
    for em in (first, second):
        em.control("POST", "/mock/snapshots/before/restore")
        em.control("POST", "/mock/clock/advance", json={"by": "2h"})
    same_worlds(first, second)
    assert second.answers(tenant) == first.answers(tenant)


def test_a_restored_demo_world_with_failing_jobs_runs_on_alike() -> None:
    """The demo failure rate and a running clock's state come back, so both worlds run on alike."""
    settings = Settings(clock=CLOCK, **SMALL, demo=True)
    first, second = Process(settings), Process(settings)
    try:
        first.em.fail_jobs_often(0.4)
        first.control("POST", "/mock/clock/freeze")
        first.control("POST", "/mock/clock/advance", json={"by": "12h"})
        restore(second.em, second.faults, capture(first.em, first.faults, PIN))
        assert second.em.job_failure_rate == 0.4
        for em in (first, second):
            em.control("POST", "/mock/clock/advance", json={"by": "24h"})
        same_worlds(first, second)
        tenant = next(iter(first.em.world.all("CloudTenant")))
        assert second.answers(str(tenant)) == first.answers(str(tenant))
    finally:
        first.close()
        second.close()


class _Payload:
    """A pickle that would write a file when loaded."""

    def __init__(self, path: Path) -> None:
        self.path = path

    def __reduce__(self) -> tuple[Any, ...]:
        return (Path.write_text, (self.path, "ran"))


@pytest.mark.parametrize(
    "blob",
    [
        pytest.param("pickle", id="a pickle"),
        pytest.param(b'{"Format": "mock-em/control-snapshot", "FormatVersion": 1}', id="an older version"),
        pytest.param(b'{"Format": "something else"}', id="not a snapshot"),
        pytest.param(b"\x80\x05not json", id="not JSON"),
        pytest.param(
            b'{"Format": "mock-em/control-snapshot", "FormatVersion": 2, "world": {"Format": "mock-em/world",'
            b' "FormatVersion": 1, "CloudTenants": [{"Name": "no id"}]}}',
            id="a world it cannot read",
        ),
    ],
)
def test_a_snapshot_it_cannot_read_is_refused_and_changes_nothing(
    processes: tuple[Process, Process], blob: Any, tmp_path: Path
) -> None:
    first, _ = processes
    marker = tmp_path / "ran"
    if blob == "pickle":
        blob = pickle.dumps({"format": 1, "world": _Payload(marker)})
    tenant = str(next(iter(first.em.world.all("CloudTenant"))))
    before = first.answers(tenant)
    with pytest.raises(SnapshotError):
        restore(first.em, first.faults, blob)
    assert not marker.exists()
    assert first.answers(tenant) == before


def test_a_restored_recorded_world_keeps_its_recorded_history(tmp_path: Path) -> None:
    """An imported (recorded) world's sessions and catalogue are data, not derived: they come back
    as they were, and the world stays recorded."""
    generated = Process(Settings(clock=CLOCK, **SMALL))
    recorded = copy.deepcopy(generated.em.world)
    recorded.recorded, recorded.release = True, "12"
    generated.close()
    dump_world(recorded, tmp_path / "recorded.json")
    settings = Settings(clock=CLOCK, fixture=str(tmp_path / "recorded.json"), release="12")
    first, second = Process(settings), Process(settings)
    try:
        tenant = first.control("POST", "/mock/world/tenants", json={"Name": "Initech"})["Id"]
        first.control("PUT", "/mock/snapshots/imported")
        first.control("POST", "/mock/clock/advance", json={"by": "3d"})
        first.control("DELETE", f"/mock/world/restorePoints/{next(iter(first.em.world.all('RestorePoint')))}")
        restore(second.em, second.faults, capture(first.em, first.faults, PIN))
        assert second.em.world.recorded and second.em.world.release == "12"
        same_worlds(first, second)
        assert second.answers(tenant) == first.answers(tenant)
    finally:
        first.close()
        second.close()


def test_a_process_refuses_a_redis_whose_snapshot_it_cannot_read(tmp_path: Path) -> None:
    """A pickle someone wrote where the snapshot goes is refused at start in one line, unread;
    a process of an older format is refused by the shared settings before it reads anything."""
    pytest.importorskip("redis", reason="the redis package is not installed: pip install -e '.[redis]'")
    import redis

    from mock_em.settings import SettingsError
    from mock_em.store import connect
    from mock_em.store.redis_server import RedisServer, redis_server_binary

    if redis_server_binary() is None:
        pytest.skip("redis-server is not installed (apt-get install redis-server)")
    marker = tmp_path / "ran"
    with RedisServer(tcp=True) as server:
        settings = Settings(clock=CLOCK, **SMALL, redis_url=server.url, redis_prefix="hostile:")
        build_served(settings, connect(settings))
        raw = redis.Redis.from_url(server.url)
        raw.hset("hostile:control-snapshot", mapping={"pos": 5, "state": pickle.dumps(_Payload(marker))})
        with pytest.raises(SettingsError) as refused:
            build_served(settings, connect(settings))
        assert "holds a control snapshot this mock-em cannot read" in str(refused.value)
        assert "\n" not in str(refused.value)
        assert not marker.exists()
        config = orjson.loads(raw.get("hostile:config"))
        assert config["control_snapshot"] == FORMAT_VERSION
        config["control_snapshot"] = FORMAT_VERSION - 1  # as a process of the pickle's day would find it
        raw.set("hostile:config", orjson.dumps(config, option=orjson.OPT_SORT_KEYS))
        with pytest.raises(SettingsError, match="control-snapshot 1 there, 2 here"):
            connect(settings)
        raw.close()
