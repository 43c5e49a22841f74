"""A bounded load test against a real `mock-em serve` on 127.0.0.1 (loopback only): 200 concurrent
clients, each logging on (administrator or tenant), listing the restore points, reading one as an
entity, querying, reading its own logon session, and logging off, for a fixed number of rounds.

Asserted: no error and no unexpected status; no lost or cross-wired session (every client reads back
its own session and user name, tenants see exactly their own replicas' points, administrators all);
no session left at the end; and flat memory: after a warm-up round the server's resident set grows
by less than `RSS_BOUND_KIB` over the measured rounds.

Why the bound holds: every round sends more requests (1,400) than the journal keeps (1,000, its
default), so the journal is full after the warm-up and stays full; sessions end every round; the
world does not change. What still grows are the server's bounded caches: rendered fragments and
documents, and the per-header-list caches of the recorder and the request context (at most 4,096
header lists each, one or more per session token, emptied when full). Measured over 12 rounds:
+13 MiB, flat from the tenth round on; over these 5 rounds about +6 MiB. A leak of a few KiB per
request (7,000 measured requests) would cross 20 MiB.
"""

from __future__ import annotations

import asyncio
import contextlib
import http.client
import time
import urllib.request
from collections import Counter
from collections.abc import Iterator
from dataclasses import dataclass, field
from http.cookiejar import Cookie, CookieJar, DefaultCookiePolicy
from pathlib import Path

import httpx
import pytest
from e2e.test_real_server_curl import Server
from lxml import etree
from robust_support import ADMIN, NS, SESSION_HEADER, login_spec, rss_kib, running_server

CLIENTS = 200
ROUNDS = 5  # measured, after one warm-up round
RSS_BOUND_KIB = 20 * 1024
WORLD = ["--tenants", "6", "--replicas-per-tenant", "2", "--vms-per-replica", "2", "--points-per-vm", "5"]
ADMIN_EVERY = 4  # client i is the administrator when i % 4 == 0, else a tenant


@dataclass
class Tally:
    """What the clients saw."""

    requests: int = 0
    statuses: Counter[int] = field(default_factory=Counter)
    errors: list[str] = field(default_factory=list)
    session_ids: set[str] = field(default_factory=set)
    tokens: set[str] = field(default_factory=set)


@pytest.fixture(scope="module")
def server(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Server]:
    """The real server under load."""
    with running_server(tmp_path_factory.mktemp("load"), *WORLD, name="load") as running:
        yield running


class RefuseCookies(DefaultCookiePolicy):
    """Keep no cookie at all."""

    def set_ok(self, cookie: Cookie, request: urllib.request.Request) -> bool:
        return False


def no_cookies() -> CookieJar:
    """A cookie jar that keeps nothing: the logon's Set-Cookie would otherwise be sent with every
    later request of every client (and the cookie wins over the header). Passed to httpx as a jar:
    httpx copies an `httpx.Cookies` into a plain jar, but uses a `CookieJar` as it is."""
    return CookieJar(policy=RefuseCookies())


def tree_rss_kib(pid: int) -> int:
    """RSS of a process and its children (a server may fork workers)."""
    total = rss_kib(pid)
    for task in Path(f"/proc/{pid}/task").iterdir():
        for child in (task / "children").read_text().split():
            with contextlib.suppress(OSError, AssertionError):  # the child ended meanwhile
                total += tree_rss_kib(int(child))
    return total


def own_points(world: dict, tenant_id: str | None) -> set[str]:
    """The point ids a tenant (or, with None, the administrator) may see, from the exported world."""
    replicas = {r["Id"]: r["TenantId"] for r in world["CloudReplicas"]}
    return {
        p["Id"] for p in world["CloudVmReplicaPoints"] if tenant_id is None or replicas[p["ReplicaId"]] == tenant_id
    }


async def one_client(
    http: httpx.AsyncClient, index: int, world: dict, tally: Tally, start: asyncio.Event, round_no: int
) -> None:
    """Logon → list → entity → query → own session → logoff, checking each answer."""
    tenants = world["CloudTenants"]
    is_admin = index % ADMIN_EVERY == 0
    tenant = None if is_admin else tenants[index % len(tenants)]
    expected_points = own_points(world, None if tenant is None else tenant["Id"])
    expected_user = f"EM01\\{ADMIN[0]}" if tenant is None else tenant["Username"]
    label = f"round {round_no} client {index} ({'admin' if is_admin else tenant['Name']})"

    def fail(what: str, response: httpx.Response) -> None:
        tally.errors.append(f"{label}: {what}: {response.status_code} {response.text[:200]}")

    def count(response: httpx.Response) -> httpx.Response:
        if "cookie" in response.request.headers:
            tally.errors.append(f"{label}: the client sent a cookie (the test would cross-wire itself)")
        tally.requests += 1
        tally.statuses[response.status_code] += 1
        return response

    await start.wait()
    if tenant is None:
        response = count(await http.post("/api/sessionMngr/?v=latest", auth=ADMIN))
    else:
        spec = login_spec(tenant["Username"], tenant["Password"])
        response = count(await http.post("/api/sessionMngr/?v=latest", content=spec))
    if response.status_code != 201:
        return fail("logon", response)
    token = response.headers[SESSION_HEADER]
    session_id = etree.fromstring(response.content).findtext(f"{{{NS}}}SessionId")
    if token in tally.tokens or session_id in tally.session_ids:
        tally.errors.append(f"{label}: token or SessionId handed out twice")
    tally.tokens.add(token)
    tally.session_ids.add(session_id)
    headers = {SESSION_HEADER: token, "Accept": "application/json"}

    listed = count(await http.get("/api/cloud/vmReplicaPoints", headers=headers))
    if listed.status_code != 200:
        return fail("list", listed)
    seen = {ref["UID"].rsplit(":", 1)[-1] for ref in listed.json()["Refs"]}
    if seen != expected_points:
        tally.errors.append(f"{label}: saw {len(seen)} points, expected {len(expected_points)} (cross-wired?)")
    if seen:
        point_id = sorted(seen)[index % len(seen)]
        entity = count(await http.get(f"/api/cloud/vmReplicaPoints/{point_id}?format=Entity", headers=headers))
        if entity.status_code != 200 or entity.json()["UID"].rsplit(":", 1)[-1] != point_id:
            fail("entity", entity)
        vm = entity.json().get("VmName", "")
        found = count(
            await http.get(
                "/api/query",
                params={"type": "CloudVmReplicaPoint", "filter": f'VmName=="{vm}"', "pageSize": "1000"},
                headers=headers,
            )
        )
        if found.status_code != 200:
            fail("query", found)
        else:
            uids = {ref["UID"].rsplit(":", 1)[-1] for ref in found.json()["Refs"]["Refs"]}
            if point_id not in uids or not uids <= expected_points:
                tally.errors.append(f"{label}: the query for {vm} answered another caller's points")

    own = count(await http.get(f"/api/logonSessions/{session_id}", headers=headers))
    if own.status_code != 200 or own.json()["UserName"] != expected_user or own.json()["SessionId"] != session_id:
        fail(f"own session (expected {expected_user})", own)
    bye = count(await http.delete(f"/api/logonSessions/{session_id}", headers={SESSION_HEADER: token}))
    if bye.status_code != 204:
        fail("logoff", bye)
    dead = count(await http.get("/api/cloud", headers={SESSION_HEADER: token}))
    if dead.status_code != 401:
        fail("token after logoff", dead)


async def run_rounds(base: str, world: dict, tally: Tally, pid: int) -> tuple[list[float], list[int]]:
    """One warm-up round and ROUNDS measured ones, all clients at once in each; returns the wall
    time of each round and the server's RSS before the first and after each round. Each client
    has its own connection (httpcore's pool scans all its connections on every request, so one
    pool of 200 spends more time on itself than the server does)."""
    timings: list[float] = []
    samples = [tree_rss_kib(pid)]
    clients = [httpx.AsyncClient(base_url=base, timeout=60, cookies=no_cookies()) for _ in range(CLIENTS)]
    try:
        for round_no in range(ROUNDS + 1):
            start = asyncio.Event()
            tasks = [
                asyncio.create_task(one_client(http, i, world, tally, start, round_no))
                for i, http in enumerate(clients)
            ]
            began = time.perf_counter()
            start.set()
            await asyncio.gather(*tasks)
            timings.append(time.perf_counter() - began)
            samples.append(tree_rss_kib(pid))
    finally:
        await asyncio.gather(*(http.aclose() for http in clients))
    return timings, samples


def test_200_concurrent_clients(server: Server, capsys: pytest.CaptureFixture[str]) -> None:
    """200 clients × (1 warm-up + ROUNDS) rounds: no errors, no cross-wiring, no sessions left,
    flat memory."""
    world = httpx.get(f"{server.base}/mock/world", timeout=10).json()
    assert len(world["CloudTenants"]) == 6
    pid = server.process.pid
    tally = Tally()
    (warm_up, *timings), (rss_start, rss_warm, *samples) = asyncio.run(run_rounds(server.base, world, tally, pid))
    sessions = httpx.get(f"{server.base}/mock/sessions", timeout=10).json()["sessions"]
    journal = httpx.get(f"{server.base}/mock/journal/count", timeout=10).json()["count"]
    growth = samples[-1] - rss_warm
    with capsys.disabled():
        print(
            f"\nload: {CLIENTS} clients x (1 warm-up + {ROUNDS}) rounds: {tally.requests} requests, "
            f"{len(tally.errors)} errors, statuses {dict(sorted(tally.statuses.items()))}, "
            f"{len(tally.session_ids)} sessions opened, {len(sessions)} left, journal {journal} entries\n"
            f"  round wall times: warm-up {warm_up:.2f} s, then {', '.join(f'{t:.2f}' for t in timings)} s\n"
            f"  server RSS: start {rss_start / 1024:.1f} MiB, after warm-up {rss_warm / 1024:.1f} MiB, "
            f"after each round {', '.join(f'{s / 1024:.1f}' for s in samples)} MiB; "
            f"growth after warm-up {growth / 1024:+.1f} MiB (bound {RSS_BOUND_KIB / 1024:.0f} MiB)"
        )
    assert tally.errors == [], "\n".join(tally.errors[:20])
    assert len(tally.session_ids) == CLIENTS * (ROUNDS + 1)
    assert sessions == []
    assert set(tally.statuses) <= {200, 201, 204, 401}
    assert tally.statuses[401] == CLIENTS * (ROUNDS + 1)  # exactly the checks of dead tokens
    assert growth < RSS_BOUND_KIB, f"RSS grew by {growth} KiB after the warm-up"
    assert "Traceback" not in server.output()


def test_keep_alive_requests_are_not_delayed(server: Server) -> None:
    """Twenty sequential requests on one keep-alive connection: the median round trip is well under
    the 40 ms of a delayed ACK."""
    host, port = server.base.removeprefix("http://").split(":")
    connection = http.client.HTTPConnection(host, int(port), timeout=10)
    times = []
    try:
        for _ in range(20):
            started = time.perf_counter()
            connection.request("GET", "/mock/health")
            response = connection.getresponse()
            response.read()
            assert response.status == 200
            times.append(time.perf_counter() - started)
    finally:
        connection.close()
    median = sorted(times)[len(times) // 2]
    assert median < 0.010, f"median round trip {median * 1000:.1f} ms"
