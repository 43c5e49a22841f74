"""Workers: what `serve --workers 2` gives over one worker, and logon pairs with Redis sessions.

    python bench/workers.py [--rounds 2] [--seconds 5]

Three servers, each `mock-em serve` as a user starts it (the seed's world, a frozen clock):

* `memory`: one process, state in memory (the default; no Redis);
* `redis, 1 worker`: one process joined to a private redis-server (`--redis-url`);
* `redis, 2 workers`: `--workers 2` on the same redis-server (another key prefix).

For each, wrk (2 threads, 32 connections) reads the restore points list with one session, then
runs `bench/logon.lua` (logon + logoff pairs, every session made and ended in Redis); rounds
alternate between the servers and the table shows medians. Nothing is pinned to a core: two
workers need both cores, which wrk and redis-server share with them, so the ratio below is what a
2-core machine gives, not what a machine with a core per worker would.
"""

from __future__ import annotations

import argparse
import base64
import os
import re
import subprocess
import sys
import tempfile
import time
from collections.abc import Iterator
from contextlib import ExitStack, contextmanager
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))
sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from _common import ADMIN, BENCH, PYTHON, ROOT, WrkResult, free_port, logon, machine, median, stop, table, wrk

from mock_em.store.redis_server import RedisServer

FROZEN = "2026-01-05T12:00:00Z"
POINTS = "/api/cloud/vmReplicaPoints"


def cpu_seconds(pid: int) -> float:
    """User plus system CPU time of a process and its children, living and reaped (from /proc)."""
    total = 0.0
    for entry in Path("/proc").iterdir():
        if not entry.name.isdigit():
            continue
        try:
            fields = (entry / "stat").read_text().rsplit(")", 1)[1].split()
        except OSError:
            continue
        if int(entry.name) == pid or int(fields[1]) == pid:
            total += sum(int(f) for f in fields[11:13] + (fields[13:15] if int(entry.name) == pid else []))
    return total / os.sysconf("SC_CLK_TCK")


@contextmanager
def mock_em(name: str, *flags: str) -> Iterator[tuple[int, int]]:
    """`python -m mock_em serve …` on a free port until its banner is out (every worker serves):
    (port, pid)."""
    port = free_port()
    command = [PYTHON, "-m", "mock_em", "serve", "--host", "127.0.0.1", "--port", str(port)]
    command += ["--fixture", str(ROOT / "fixtures" / "seed-sample.json"), "--clock", FROZEN, *flags]
    env = {k: v for k, v in os.environ.items() if not k.startswith("MOCK_EM_")}
    with tempfile.TemporaryFile("w+") as log:
        process = subprocess.Popen(command, cwd=ROOT, env=env, stderr=log)
        try:
            deadline = time.monotonic() + 60
            while "log on as" not in (log.seek(0) or log.read()):
                if process.poll() is not None or time.monotonic() > deadline:
                    raise RuntimeError(f"{name} did not start: {log.read()}")
                time.sleep(0.05)
            yield port, process.pid
        finally:
            stop(process, 20)


def logon_pairs(port: int, seconds: float) -> tuple[float, int]:
    """Logon + logoff pairs per second from `bench/logon.lua`, and its failures."""
    basic = base64.b64encode(f"{ADMIN[0]}:{ADMIN[1]}".encode()).decode()
    out = subprocess.run(
        ["wrk", "-t2", "-c32", f"-d{seconds:g}s", "-s", str(BENCH / "logon.lua"), f"http://127.0.0.1:{port}"],
        capture_output=True, text=True, check=True, env={"BENCH_BASIC": basic, "PATH": "/usr/bin:/bin"},
        timeout=seconds + 60,
    ).stdout  # fmt: skip
    match = re.search(r"PAIRS (\d+) FAILURES (\d+) SECONDS ([\d.]+)", out)
    assert match, out
    return int(match.group(1)) / float(match.group(3)), int(match.group(2))


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--rounds", type=int, default=2, help="rounds per server and scenario (medians are taken)")
    parser.add_argument("--seconds", type=float, default=5, help="length of one wrk round")
    args = parser.parse_args()
    print(f"# workers: {machine()}; wrk -t2 -c32, {args.rounds} rounds of {args.seconds:g}s, nothing pinned")
    with RedisServer() as redis:
        shared = ["--redis-url", redis.url]
        servers: dict[str, list[str]] = {
            "memory": [],
            "redis, 1 worker": [*shared, "--redis-prefix", "bench-1:"],
            "redis, 2 workers": [*shared, "--redis-prefix", "bench-2:", "--workers", "2"],
        }
        reads: dict[str, list[WrkResult]] = {name: [] for name in servers}
        pairs: dict[str, list[tuple[float, int]]] = {name: [] for name in servers}
        redis_us: dict[str, list[float]] = {name: [] for name in servers}
        redis_pid = redis._process.pid
        with ExitStack() as stack:
            started = {name: stack.enter_context(mock_em(name, *flags)) for name, flags in servers.items()}
            ports = {name: port for name, (port, _) in started.items()}
            tokens = {name: logon(port) for name, port in ports.items()}
            for name, port in ports.items():  # warm up: first render, connections, Redis scripts
                wrk(f"http://127.0.0.1:{port}{POINTS}", 1, {"X-RestSvcSessionId": tokens[name]})
                logon_pairs(port, 1)
            for i in range(args.rounds):
                order = list(ports) if i % 2 == 0 else list(reversed(ports))
                for name in order:
                    url = f"http://127.0.0.1:{ports[name]}{POINTS}"
                    before = cpu_seconds(started[name][1]), cpu_seconds(redis_pid)
                    result = wrk(url, args.seconds, {"X-RestSvcSessionId": tokens[name]})[0]
                    result.cpu_us = (cpu_seconds(started[name][1]) - before[0]) / max(result.requests, 1) * 1e6
                    redis_us[name].append((cpu_seconds(redis_pid) - before[1]) / max(result.requests, 1) * 1e6)
                    reads[name].append(result)
                    pairs[name].append(logon_pairs(ports[name], args.seconds))
                print(f"  round {i + 1}: done", file=sys.stderr, flush=True)
    rows = []
    for name in servers:
        rps = median([r.requests_per_s for r in reads[name]])
        rate = median([p[0] for p in pairs[name]])
        errors = sum(r.errors for r in reads[name]) + sum(p[1] for p in pairs[name])
        p50, p99 = median([r.p50_ms for r in reads[name]]), median([r.p99_ms for r in reads[name]])
        cpu = f"{median([r.cpu_us for r in reads[name]]):.0f} + {median(redis_us[name]):.0f}"
        rows.append([name, f"{rps:,.0f}", f"{p50:.2f}", f"{p99:.2f}", cpu, f"{rate:,.0f}", errors])
    headers = ["server", "points list req/s", "p50 ms", "p99 ms", "CPU µs/read mock-em + Redis", "logon+logoff pairs/s"]
    print(table([*headers, "errors"], rows))
    one, two = (median([r.requests_per_s for r in reads[n]]) for n in ("redis, 1 worker", "redis, 2 workers"))
    pair_one, pair_two = (median([p[0] for p in pairs[n]]) for n in ("redis, 1 worker", "redis, 2 workers"))
    print()
    print(f"2 workers / 1 worker (Redis): {two / one:.2f}x reads, {pair_two / pair_one:.2f}x logon pairs")


if __name__ == "__main__":
    main()
