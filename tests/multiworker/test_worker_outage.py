"""A worker of `serve --workers 2` SIGKILLed while Redis is away is replaced once Redis is back.

The real thing runs as a subprocess over a private redis-server that persists every write. Redis
is stopped, both workers answer 503 (each naming itself), and one of them gets SIGKILL. Its
successors cannot join the EM while Redis is away, so they die before serving; the supervisor
retries after a doubling delay, one line each, and neither gives up nor exits, while the other
worker answers 503 on. Once Redis is back, a successor serves within a bounded time (the
supervisor watches Redis while it waits, so the delay it reached during the outage is not
waited out), and it honours the sessions and the control edit made before the outage.
"""

from __future__ import annotations

import os
import re
import signal
import time

import httpx
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
)
from test_redis_outage import redis  # noqa: F401  (a persisting redis-server that can be stopped)
from test_worker_faults import wait_for, worker_pids

from mock_em.store.redis_server import RedisServer

pytestmark = needs_redis
LONG_DELAY = 8.0  # Redis comes back just as the supervisor announces a retry delay this long (~20 s in)
FAILED_START = re.compile(
    r"exited with status 3 before serving \(redis-url: cannot use .*\); starting another in (\S+)s\n"
)


def answer(url: str, token: str) -> httpx.Response:
    """The tenants, on a fresh connection (the kernel hands it to either worker)."""
    with httpx.Client(base_url=url, timeout=10) as client:
        return client.get(TENANTS, headers={SESSION: token, "Connection": "close"})


def names_answering(url: str, token: str, status: int, tries: int = 60) -> set[str]:
    """The workers that answered `status` to the tenants over `tries` fresh connections (every
    answer must have that status and name its worker)."""
    seen = set()
    for _ in range(tries):
        response = answer(url, token)
        assert response.status_code == status, response.text
        seen.add(response.headers[WORKER])
    return seen


def test_a_worker_killed_while_redis_is_away_is_replaced_once_it_is_back(redis: RedisServer) -> None:  # noqa: F811
    """Stop Redis, SIGKILL one of two workers: the supervisor keeps retrying its place with a
    doubling delay and stays up, the other worker answers 503 throughout; start Redis as a delay
    of LONG_DELAY seconds is announced: two workers serve before it would have run out, the
    sessions made before the outage are valid on both, and the tenant added before the outage is
    seen through the new worker."""
    server = ServeProcess("--workers", "2", "--redis-url", redis.url, "--clock", CLOCK, *SMALL_FLAGS)
    try:
        wait_for(lambda: len(worker_pids(server.process.pid)) == 2, 10, "two workers did not show", server)
        before = worker_pids(server.process.pid)
        with httpx.Client(base_url=server.url, timeout=10) as http:
            assert http.post("/mock/world/tenants", json={"Name": "Globex"}).status_code == 201
            sessions = [logon(http)[0] for _ in range(4)]
            host = http.get("/mock/health").headers[WORKER].rsplit(":", 1)[0]  # names are host:pid
        names = {f"{host}:{pid}" for pid in before}

        redis.stop_server()
        refusing: set[str] = set()
        wait_for(
            lambda: refusing.update(names_answering(server.url, sessions[0], 503, 4)) or refusing == names,
            30,
            "both workers did not answer 503",
            server,
        )
        victim = sorted(before)[0]
        [survivor] = before - {victim}
        os.kill(victim, signal.SIGKILL)
        survivor_name = f"{host}:{survivor}"

        def long_delay_announced() -> bool:  # meanwhile the supervisor stays up, the survivor answers
            assert server.process.poll() is None, "".join(server.output)
            assert names_answering(server.url, sessions[0], 503, 2) == {survivor_name}
            return any(float(d) >= LONG_DELAY for d in FAILED_START.findall("".join(server.output)))

        wait_for(long_delay_announced, 120, f"no retry delay of {LONG_DELAY:g}s announced", server)
        delays = [float(d) for d in FAILED_START.findall("".join(server.output))]
        assert delays == [0.5 * 2**n for n in range(len(delays))], delays  # doubling, one line per failed start
        assert 1 <= len(worker_pids(server.process.pid) - {victim}) <= 2  # the survivor, and a successor trying

        redis.start_server()
        back = time.monotonic()
        serving: set[str] = set()
        wait_for(
            lambda: serving.update(w for w in names_answering_any(server.url, sessions[0]) if w) or len(serving) == 2,
            30,
            "two workers did not serve again",
            server,
        )
        recovered = time.monotonic() - back
        print(f"both workers served {recovered:.1f}s after Redis came back; retry delays {delays}")
        assert recovered < LONG_DELAY, "".join(server.output)  # not waited out: the supervisor saw Redis back
        assert re.search(r"mock-em: Redis answers again; starting worker [01] now\n", "".join(server.output))
        [successor] = serving - {survivor_name}
        assert successor not in names
        print(f"both workers served {recovered:.1f}s after Redis came back; retry delays {delays}")

        clients = clients_of_distinct_workers(server.url, 2)
        try:
            assert set(clients) == serving
            for client in clients.values():
                for token in sessions:
                    response = get_as(client, token, TENANTS)
                    assert response.status_code == 200, response.text
                    assert "Globex" in response.text
        finally:
            for client in clients.values():
                client.close()
        assert server.process.poll() is None
    finally:
        server.stop()
    output = "".join(server.output)
    assert server.process.returncode == 0, output
    assert "Traceback" not in output
    assert re.search(rf"mock-em: worker [01] \(pid {victim}\) exited with status -9; starting another\n", output), (
        output
    )
    assert re.search(rf"mock-em: worker [01] \(pid {successor.rsplit(':', 1)[1]}\) serves\n", output), output


def names_answering_any(url: str, token: str) -> set[str | None]:
    """The workers that answered the tenants with 200 over a few fresh connections (503s, from a
    worker not yet caught up with Redis's return, are passed over; nothing else may come)."""
    seen: set[str | None] = set()
    for _ in range(6):
        response = answer(url, token)
        assert response.status_code in (200, 503), response.text
        seen.add(response.headers[WORKER] if response.status_code == 200 else None)
    return seen
