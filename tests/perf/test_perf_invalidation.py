"""Kept answers follow the world: after a control-plane edit, a clock advance that runs the jobs,
a regenerate, a load, a snapshot restore or a reset, the cached answer is what a fresh rendering
gives, never the old bytes. Each check compares the app's answer (fast path, caches) with the same
app's answer rendered from scratch (fast path and caches switched off for that one request)."""

from __future__ import annotations

import warnings
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta

import pytest

with warnings.catch_warnings():
    warnings.simplefilter("ignore")
    from starlette.testclient import TestClient

from mock_em.app import create_app
from mock_em.model.clock import Clock
from mock_em.server import build_em
from mock_em.settings import Settings

START = datetime(2026, 1, 5, 12, 0, 0, tzinfo=UTC)
POINTS = "/api/cloud/vmReplicaPoints"
WATCHED = [
    POINTS,
    POINTS + "?format=Entity",
    "/api/cloud/replicas?format=Entity",
    "/api/cloud/tenants?format=Entity",
    "/api/query?type=CloudVmReplicaPoint&sortDesc=CreationTime&pageSize=5&page=1",
    "/api/query?type=CloudVmReplicaPoint&filter=State==Failover",
]


class Client:
    """A client over one app, able to ask for an answer fresh (nothing kept, no fast path)."""

    def __init__(self, clock: Clock | None = None, **settings: object) -> None:
        self.settings = Settings(**settings)  # type: ignore[arg-type]
        self.app = create_app(build_em(self.settings, clock or Clock(START, frozen=True)), self.settings)
        self.http = TestClient(self.app, base_url="http://localhost:9399")
        self.logon()

    def logon(self) -> None:
        """A new session (a clock moved past the idle timeout ends the old one)."""
        response = self.http.post("/api/sessionMngr/?v=latest", auth=("Administrator", "P@ssw0rd"))
        self.token = response.headers["X-RestSvcSessionId"]

    @property
    def em(self):
        return self.app.state.em

    def get(self, url: str, json: bool = False) -> bytes:
        headers = {"X-RestSvcSessionId": self.token} | ({"Accept": "application/json"} if json else {})
        response = self.http.get(url, headers=headers)
        assert response.status_code == 200, (url, response.text)
        return response.content

    def fresh(self, url: str, json: bool = False) -> bytes:
        state = self.app.state
        cache, queries = state.response_cache, state.query_cache
        state.fast_path, cache.enabled, state.query_cache = False, False, None
        try:
            return self.get(url, json)
        finally:
            state.fast_path, cache.enabled, state.query_cache = True, True, queries

    def control(self, method: str, url: str, **kwargs: object) -> dict:
        response = self.http.request(method, "/mock" + url, **kwargs)  # type: ignore[arg-type]
        assert response.status_code < 300, response.text
        return response.json()

    def watch(self) -> dict[tuple[str, bool], bytes]:
        """Every watched answer (twice: the second from the cache), checked against a fresh one."""
        answers = {}
        for url in WATCHED:
            for json in (False, True):
                first, kept = self.get(url, json), self.get(url, json)
                assert first == kept == self.fresh(url, json), (url, json)
                answers[(url, json)] = kept
        return answers


@pytest.fixture
def client() -> Iterator[Client]:
    made = Client(tenants=3, replicas_per_tenant=2, vms_per_replica=2)
    yield made
    made.http.close()


def test_a_changed_point_state_shows(client: Client) -> None:
    before = client.watch()
    point = next(iter(client.em.world.points))
    client.control("PATCH", f"/world/points/{point}", json={"State": "Failover"})
    after = client.watch()
    assert after[(POINTS + "?format=Entity", False)] != before[(POINTS + "?format=Entity", False)]
    assert b"<State>Failover</State>" in after[(POINTS + "?format=Entity", False)]
    assert str(point).encode() in after[("/api/query?type=CloudVmReplicaPoint&filter=State==Failover", False)]


def test_added_and_removed_points_show(client: Client) -> None:
    before = client.watch()
    replica = next(iter(client.em.world.replicas.values()))
    added = client.control("POST", "/world/points", json={"ReplicaId": str(replica.id), "VmName": replica.vms[0].name})
    after_add = client.watch()
    assert added["Id"].encode() in after_add[(POINTS, False)]
    assert after_add[(POINTS, False)] != before[(POINTS, False)]
    client.control("DELETE", f"/world/points/{added['Id']}")
    after_remove = client.watch()
    assert added["Id"].encode() not in after_remove[(POINTS, False)]
    assert after_remove[(POINTS, False)] == before[(POINTS, False)]


def test_tenants_added_and_removed_show(client: Client) -> None:
    before = client.watch()
    added = client.control("POST", "/world/tenants", json={"Name": "Cache Test Company"})
    assert b"Cache Test Company" in client.watch()[("/api/cloud/tenants?format=Entity", False)]
    victim = next(iter(client.em.world.tenants))
    client.control("DELETE", f"/world/tenants/{added['Id']}")
    client.control("DELETE", f"/world/tenants/{victim}")
    after = client.watch()
    assert str(victim).encode() not in after[("/api/cloud/tenants?format=Entity", False)]
    assert after[(POINTS, False)] != before[(POINTS, False)]  # the tenant's points went with it


def test_a_clock_advance_that_adds_points_shows(client: Client) -> None:
    before = client.watch()
    result = client.control("POST", "/clock/advance", json={"by": "3d"})
    assert result["pointsAdded"] > 0
    client.logon()
    after = client.watch()
    assert after[(POINTS, False)] != before[(POINTS, False)]


def test_demo_mode_runs_the_jobs_before_a_fast_answer() -> None:
    """In demo mode the world follows the clock on every request, the fast path's included."""
    clock = Clock(START, frozen=True)
    client = Client(clock, tenants=2, replicas_per_tenant=1, vms_per_replica=2)
    client.em.live = True
    before = client.get(POINTS)
    count = len(client.em.world.points)
    clock.advance(timedelta(days=2))  # behind the control plane's back: only a request catches up
    client.logon()  # (logon itself runs no jobs, as on FastAPI's route)
    assert len(client.em.world.points) == count and client.em.world_time < clock.now()
    after = client.get(POINTS)
    assert after != before and len(client.em.world.points) == count  # new points in, the oldest retired
    assert after == client.fresh(POINTS)


def test_regenerate_load_restore_and_reset_show(client: Client) -> None:
    original = client.watch()
    exported = client.control("GET", "/world")
    client.control("PUT", "/snapshots/start")
    client.control("POST", "/world/regenerate", json={"seed": 99, "tenants": 2})
    regenerated = client.watch()
    assert regenerated[(POINTS, False)] != original[(POINTS, False)]
    client.control("PUT", "/world", json=exported)
    assert client.watch() == original
    client.control("PATCH", f"/world/points/{next(iter(client.em.world.points))}", json={"State": "Failback"})
    assert client.watch() != original
    client.control("POST", "/snapshots/start/restore")
    assert client.watch() == original
    client.control("POST", "/world/regenerate", json={"seed": 5})
    client.control("POST", "/reset")
    client.logon()
    assert client.watch() == original


def test_a_vm_added_to_a_job_shows_in_its_tenant(client: Client) -> None:
    """A tenant's VmCount comes from its jobs' VMs: an edit of a job shows in the tenant."""
    before = client.watch()
    replica = next(iter(client.em.world.replicas.values()))
    client.control("POST", f"/world/replicas/{replica.id}/vms", json={"Name": "srv-cache-test"})
    after = client.watch()
    assert after[("/api/cloud/tenants?format=Entity", False)] != before[("/api/cloud/tenants?format=Entity", False)]


def test_a_world_replaced_behind_the_cache_shows(client: Client) -> None:
    """Even a world swapped in directly (not through the control plane) is never answered from
    the old world's kept bytes: the cache knows the world it rendered from, not just a version."""
    before = client.watch()
    from mock_em.generator import WorldSize, generate_world

    world = generate_world(42, WorldSize(tenants=1), START)
    world.version = client.em.world.version  # the same version number, another world
    client.em.world = world
    after = client.watch()
    assert after[(POINTS, False)] != before[(POINTS, False)]


def test_one_changed_point_in_a_big_list_renders_from_kept_fragments() -> None:
    """After a one-point change, a big list is re-joined from kept per-point fragments: the same
    bytes as a fresh rendering, without rendering the other points again."""
    client = Client(tenants=4, replicas_per_tenant=5, vms_per_replica=5, points_per_vm=5)  # 500 points
    url = POINTS + "?format=Entity"
    client.get(url)
    fragments = client.app.state.response_cache.fragments
    kept = len(fragments)
    assert kept >= len(client.em.world.points)
    point = list(client.em.world.points)[250]
    client.control("PATCH", f"/world/points/{point}", json={"State": "PermanentFailover"})
    after = client.get(url)
    assert after == client.fresh(url)
    assert len(fragments) == kept + 1  # one new fragment: the changed point's
