"""Redis stays bounded: key count and memory over many logons and control edits.

    python bench/redis_state.py [--logons 100000] [--edits 10000] [--idle 5s] [--compact-every 1000]

Starts a private redis-server and `mock-em serve --workers 2` over it, then over HTTP (one
keep-alive client): `--logons` logons, every other one logged off at once and the rest left to
expire (`--idle` of real time after their last use), and `--edits` control edits (new tenants,
clock moves, fault rules, now and then a saved snapshot). It prints the EM's key count, Redis's
`used_memory` and the control log's length before, after the logons, after the edits, and once
the left sessions expired. Bounded means the last row is near the first: the session keys
expired, and the log holds at most two rounds of `--compact-every` entries plus one snapshot.
"""

from __future__ import annotations

import argparse
import os
import subprocess
import sys
import time
from pathlib import Path
from typing import Any

import httpx

sys.path.insert(0, str(Path(__file__).resolve().parent))

from _common import ADMIN, PYTHON, ROOT, free_port, table, wait_until_up

from mock_em.settings import parse_duration
from mock_em.store.redis_server import RedisServer

PREFIX = "bench:"
SMALL = ["--tenants", "2", "--replicas-per-tenant", "1", "--vms-per-replica", "2", "--points-per-vm", "3"]


def state(client: Any) -> list[Any]:
    """Keys under the EM's prefix, used memory (KiB) and the control log's length."""
    keys = sum(1 for _ in client.scan_iter(match=f"{PREFIX}*", count=1000))
    memory = client.info("memory")["used_memory"] // 1024
    return [keys, memory, client.llen(f"{PREFIX}control-log")]


def edit(http: httpx.Client, index: int) -> None:
    """One control edit of several kinds, as the tests make them."""
    if index % 500 == 3:
        response = http.put(f"/mock/snapshots/s{index % 3}")
    elif index % 4 in (0, 3):
        response = http.post("/mock/world/tenants", json={"Name": f"Bench tenant {index}"})
    elif index % 4 == 1:
        response = http.post("/mock/clock/advance", json={"seconds": 7})
    else:
        response = http.post("/mock/faults", json={"path": f"/api/nothing/{index}", "status": 503})
    response.raise_for_status()


def main() -> None:
    import redis

    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--logons", type=int, default=100_000)
    parser.add_argument("--edits", type=int, default=10_000)
    parser.add_argument("--idle", default="5s", help="the idle timeout (real time)")
    parser.add_argument("--compact-every", type=int, default=1000)
    args = parser.parse_args()
    idle = parse_duration(args.idle).total_seconds()
    rows: list[list[Any]] = []
    with RedisServer(tcp=True) as server:
        client = redis.Redis.from_url(server.url)
        port = free_port()
        command = [
            PYTHON, "-m", "mock_em", "serve", "--workers", "2", "--host", "127.0.0.1", "--port", str(port),
            "--redis-url", server.url, "--redis-prefix", PREFIX, "--idle-timeout", args.idle,
            "--compact-every", str(args.compact_every), "--clock", "2026-01-05T12:00:00Z", *SMALL,
        ]  # fmt: skip
        process = subprocess.Popen(command, cwd=ROOT, env={**os.environ, "PYTHONPATH": str(ROOT)})
        try:
            wait_until_up(port, process)
            with httpx.Client(base_url=f"http://127.0.0.1:{port}", timeout=30) as http:
                http.post("/api/sessionMngr/?v=latest", auth=ADMIN).raise_for_status()
                time.sleep(idle + 1)
                rows.append(["before", *state(client), ""])
                started = time.monotonic()
                for index in range(args.logons):
                    http.cookies.clear()
                    response = http.post("/api/sessionMngr/?v=latest", auth=ADMIN)
                    response.raise_for_status()
                    if index % 2 == 0:
                        token = response.headers["X-RestSvcSessionId"]
                        session = response.headers["Location"].rsplit("/", 1)[-1]
                        http.cookies.clear()
                        http.delete(f"/api/logonSessions/{session}", headers={"X-RestSvcSessionId": token})
                took = time.monotonic() - started
                rows.append([f"after {args.logons:,} logons", *state(client), f"{args.logons / took:,.0f} logons/s"])
                started = time.monotonic()
                for index in range(args.edits):
                    edit(http, index)
                took = time.monotonic() - started
                rows.append([f"after {args.edits:,} edits", *state(client), f"{args.edits / took:,.0f} edits/s"])
                deadline = time.monotonic() + idle + 30
                while time.monotonic() < deadline and state(client)[0] > rows[0][1] + 4:
                    time.sleep(0.5)
                rows.append(["sessions expired", *state(client), ""])
        finally:
            process.terminate()
            process.wait(30)
    print(table(["when", "keys", "used memory (KiB)", "control log entries", "rate"], rows))


if __name__ == "__main__":
    main()
