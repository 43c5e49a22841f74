"""A worker of `serve --workers 2` killed under load: only what it had in flight is lost.

The real thing runs as a subprocess over a private redis-server. Two threads keep asking (each
request on a fresh loopback connection, so the kernel hands them to either worker) while one
worker gets SIGKILL. Then: the only failures are connection errors of requests that started
before the kill (never an error status), the supervisor says what happened and starts another
worker, the count of workers is 2 again, and the successor knows every session, world edit and
clock change made before the kill, since those live in Redis. A worker that cannot start is
retried after a doubling delay until it can.
"""

from __future__ import annotations

import itertools
import os
import re
import signal
import threading
import time
from dataclasses import dataclass
from pathlib import Path

import httpx
import pytest
from test_multi_worker import (
    CLOCK,
    SESSION,
    SMALL_FLAGS,
    TENANTS,
    WORKER,
    ServeProcess,
    clients_of_distinct_workers,
    get_as,
    logon,
    needs_redis,
    redis_url,  # noqa: F401  (the module's redis-server fixture)
)

pytestmark = needs_redis
THREADS = 2
LOAD_LIMIT = 20_000  # requests per thread at most: the load is bounded even if something hangs
_prefixes = itertools.count()


def worker_pids(parent: int) -> set[int]:
    """The pids of the supervisor's worker processes, read from /proc (spawned workers run
    `multiprocessing.spawn`; the resource tracker, also a child, does not)."""
    found = set()
    for entry in Path("/proc").iterdir():
        if not entry.name.isdigit():
            continue
        try:
            stat = (entry / "stat").read_text().rsplit(")", 1)[1].split()
            command = (entry / "cmdline").read_bytes()
        except OSError:
            continue
        if int(stat[1]) == parent and stat[0] != "Z" and b"spawn_main" in command:
            found.add(int(entry.name))
    return found


def wait_for(condition: object, timeout: float, what: str, server: ServeProcess | None = None) -> None:
    """Poll `condition()` until true, or fail saying `what` did not happen (and what the server said)."""
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if condition():  # type: ignore[operator]
            return
        time.sleep(0.05)
    said = "".join(server.output) if server is not None else ""
    pytest.fail(f"{what} within {timeout:g}s\n{said}")


@dataclass
class Outcome:
    """One request of the load: when it started, and its status and worker, or the error."""

    started: float
    status: int | None = None
    worker: str | None = None
    error: str | None = None


class Load:
    """THREADS threads asking for the tenants with one session until stopped (bounded)."""

    def __init__(self, url: str, token: str) -> None:
        self.url, self.token = url, token
        self.stop = threading.Event()
        self.outcomes: list[Outcome] = []
        self.threads = [threading.Thread(target=self._run, daemon=True) for _ in range(THREADS)]
        for thread in self.threads:
            thread.start()

    def _run(self) -> None:
        headers = {SESSION: self.token, "Connection": "close"}
        with httpx.Client(base_url=self.url, timeout=10) as client:
            for _ in range(LOAD_LIMIT):
                if self.stop.is_set():
                    return
                outcome = Outcome(time.monotonic())
                try:
                    response = client.get(TENANTS, headers=headers)
                    outcome.status, outcome.worker = response.status_code, response.headers.get(WORKER)
                except httpx.TransportError as exc:
                    outcome.error = f"{type(exc).__name__}: {exc}"
                self.outcomes.append(outcome)

    def answered_by(self, worker: str) -> int:
        return sum(1 for o in list(self.outcomes) if o.worker == worker)

    def finish(self) -> list[Outcome]:
        self.stop.set()
        for thread in self.threads:
            thread.join(15)
        assert not any(thread.is_alive() for thread in self.threads)
        return self.outcomes


def serve_two(redis_url: str, *extra: str) -> ServeProcess:  # noqa: F811
    """`serve --workers 2` on its own key prefix, once both workers serve."""
    prefix = f"faults-{next(_prefixes)}:"
    return ServeProcess("--workers", "2", "--redis-url", redis_url, "--redis-prefix", prefix, "--clock", CLOCK, *extra)


def test_a_worker_killed_under_load_is_replaced_and_nothing_is_lost(redis_url: str) -> None:  # noqa: F811
    """SIGKILL one of two workers under load: only requests that were in flight fail, and as
    connection errors; the other worker answers throughout; the supervisor logs the death and
    starts a successor; the successor honours sessions made before, and sees the tenant added and
    the clock moved before."""
    server = serve_two(redis_url, *SMALL_FLAGS)
    load: Load | None = None
    try:
        wait_for(lambda: len(worker_pids(server.process.pid)) == 2, 10, "two workers did not show")
        before_pids = worker_pids(server.process.pid)
        with httpx.Client(base_url=server.url, timeout=10) as http:
            assert http.post("/mock/world/tenants", json={"Name": "Globex"}).status_code == 201
            assert http.post("/mock/clock/advance", json={"by": "1d"}).status_code == 200
            sessions = [logon(http) for _ in range(6)]  # after the day passed: they stay live
            clock, world = http.get("/mock/clock").json(), http.get("/mock/world").json()
        load = Load(server.url, sessions[0][0])
        wait_for(lambda: len({o.worker for o in list(load.outcomes) if o.worker}) == 2, 15, "both did not answer")
        host = next(o.worker for o in load.outcomes if o.worker).rsplit(":", 1)[0]  # names are host:pid
        victim = sorted(before_pids)[0]
        [survivor] = before_pids - {victim}
        killed_at = time.monotonic()
        os.kill(victim, signal.SIGKILL)
        served_after = load.answered_by(f"{host}:{survivor}")
        wait_for(lambda: len(worker_pids(server.process.pid) - before_pids) == 1, 30, "no successor started", server)
        [successor] = worker_pids(server.process.pid) - before_pids
        name = f"{host}:{successor}"
        wait_for(lambda: load.answered_by(name) >= 5, 30, "the successor did not serve the load")
        assert load.answered_by(f"{host}:{survivor}") > served_after, "the other worker stopped answering"
        outcomes = load.finish()
        assert worker_pids(server.process.pid) == {survivor, successor}

        statuses = {o.status for o in outcomes if o.status is not None}
        assert statuses == {200}, statuses  # no 500, no 503: a dead worker is not the EM's error
        failed = [o for o in outcomes if o.error is not None]
        assert len(failed) <= THREADS, [o.error for o in failed]  # one request in flight per thread at most
        assert all(o.started <= killed_at + 0.05 for o in failed), "a request after the kill failed"
        assert not any(o.worker == f"{host}:{victim}" and o.started > killed_at + 0.05 for o in outcomes)

        [(who, client)] = clients_of_distinct_workers(server.url, 1, avoid=frozenset({f"{host}:{survivor}"})).items()
        try:
            assert who == name
            for token, _ in sessions:
                answer = get_as(client, token, TENANTS)
                assert answer.status_code == 200, answer.text
                assert "Globex" in answer.text
            listed = get_as(client, sessions[0][0], "/api/logonSessions").text
            assert all(session_id in listed for _, session_id in sessions)
            assert client.get("/mock/clock").json() == clock
            assert client.get("/mock/world").json() == world
        finally:
            client.close()
    finally:
        if load is not None:
            load.finish()
        server.stop()
    output = "".join(server.output)
    assert server.process.returncode == 0, output
    assert "Traceback" not in output
    assert re.search(rf"mock-em: worker [01] \(pid {victim}\) exited with status -9; starting another\n", output), (
        output
    )
    assert re.search(rf"mock-em: worker [01] \(pid {successor}\) serves\n", output), output


def test_a_worker_that_cannot_start_is_retried_later_and_later(redis_url: str, tmp_path: Path) -> None:  # noqa: F811
    """While its successor cannot start (here: the fixture is gone), the supervisor retries after
    0.5 s, 1 s, 2 s …, one line each, and the other worker serves on; once the cause is gone the
    next attempt serves."""
    fixture = tmp_path / "world.json"
    source = Path(__file__).resolve().parents[2] / "fixtures" / "seed-sample.json"
    fixture.write_bytes(source.read_bytes())
    server = serve_two(redis_url, "--fixture", str(fixture))
    try:
        wait_for(lambda: len(worker_pids(server.process.pid)) == 2, 10, "two workers did not show")
        [victim, survivor] = sorted(worker_pids(server.process.pid))
        fixture.unlink()
        os.kill(victim, signal.SIGKILL)
        retried = re.compile(r"exited with status 3 before serving \(.*fixture.*\); starting another in (\S+)s\n")
        wait_for(
            lambda: len(retried.findall("".join(server.output))) >= 2,
            30,
            "no two failed starts",
            server,
        )
        assert retried.findall("".join(server.output))[:2] == ["0.5", "1"]
        with httpx.Client(base_url=server.url, timeout=10) as http:
            for _ in range(10):  # the survivor serves on meanwhile
                answer = http.get("/mock/about", headers={"Connection": "close"})
                assert answer.status_code == 200
                assert answer.headers[WORKER].endswith(f":{survivor}")
        fixture.write_bytes(source.read_bytes())
        wait_for(lambda: " serves\n" in "".join(server.output), 30, "the worker did not come back", server)
        assert len(worker_pids(server.process.pid)) == 2
    finally:
        server.stop()
    assert server.process.returncode == 0, "".join(server.output)
    assert "Traceback" not in "".join(server.output)
