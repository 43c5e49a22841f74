"""What the benchmarks share: start a server pinned to a core, log on, run wrk, print a table."""

from __future__ import annotations

import base64
import os
import re
import shutil
import socket
import statistics
import subprocess
import sys
import time
import urllib.request
from collections.abc import Callable, Sequence
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parent.parent
BENCH = ROOT / "bench"
PYTHON = sys.executable
ADMIN = ("Administrator", "P@ssw0rd")
SERVER_CPU = os.environ.get("BENCH_SERVER_CPU", "0")
CLIENT_CPU = os.environ.get("BENCH_CLIENT_CPU", "1")


def median_ms(ask: Callable[[], object], before: Callable[[], None], rounds: int) -> tuple[float, float]:
    """Median wall and CPU milliseconds of `ask` over `rounds` asks, each preceded by `before` (not
    timed): CPU time barely moves with the load of a shared machine, wall time does."""
    wall, cpu = [], []
    for _ in range(rounds):
        before()
        t, c = time.perf_counter(), time.process_time()
        ask()
        wall.append(time.perf_counter() - t)
        cpu.append(time.process_time() - c)
    return statistics.median(wall) * 1000, statistics.median(cpu) * 1000


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def taskset(cpu: str) -> list[str]:
    """`taskset -c cpu` when there is more than one core and taskset is installed."""
    if shutil.which("taskset") and (os.cpu_count() or 1) > 1:
        return ["taskset", "-c", cpu]
    return []


def wait_until_up(port: int, process: subprocess.Popen[bytes], timeout: float = 120.0) -> None:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if process.poll() is not None:
            raise RuntimeError(f"the server exited with {process.returncode}")
        try:
            with socket.create_connection(("127.0.0.1", port), timeout=0.2):
                return
        except OSError:
            time.sleep(0.02)
    raise RuntimeError(f"nothing listens on {port} after {timeout}s")


@dataclass(frozen=True)
class Server:
    """A running server: where it listens, and its process (taskset execs the command, so the
    pid is the server's own)."""

    port: int
    pid: int

    def cpu_seconds(self) -> float:
        """User plus system CPU time the server has used so far (from /proc; 0 elsewhere)."""
        try:
            fields = Path(f"/proc/{self.pid}/stat").read_text().rsplit(")", 1)[1].split()
        except OSError:
            return 0.0
        return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")


@contextmanager
def uvicorn_server(factory: str, env: dict[str, str]):
    """`uvicorn bench/servers.py:<factory>` pinned to SERVER_CPU with the load benchmark's settings:
    uvloop, httptools, no access log, one worker."""
    port = free_port()
    command = [
        *taskset(SERVER_CPU), PYTHON, "-m", "uvicorn", f"servers:{factory}", "--factory",
        "--app-dir", str(BENCH), "--host", "127.0.0.1", "--port", str(port),
        "--loop", "uvloop", "--http", "httptools", "--no-access-log", "--no-server-header",
        "--log-level", "warning", "--workers", "1",
    ]  # fmt: skip
    process = subprocess.Popen(command, cwd=ROOT, env={**os.environ, **env})
    try:
        wait_until_up(port, process)
        yield Server(port, process.pid)
    finally:
        stop(process, 10)


def stop(process: subprocess.Popen[Any], grace: float) -> None:
    """Ask a server to stop (SIGTERM: it finishes what it answers), and kill it after `grace` s."""
    process.terminate()
    try:
        process.wait(grace)
    except subprocess.TimeoutExpired:
        process.kill()
        process.wait()


def logon(port: int) -> str:
    """A session token from mock-em on `port`."""
    credentials = base64.b64encode(f"{ADMIN[0]}:{ADMIN[1]}".encode()).decode()
    request = urllib.request.Request(
        f"http://127.0.0.1:{port}/api/sessionMngr/?v=latest", method="POST",
        headers={"Authorization": f"Basic {credentials}"},
    )  # fmt: skip
    with urllib.request.urlopen(request, timeout=30) as response:
        return response.headers["X-RestSvcSessionId"]


def fetch(port: int, path: str, token: str, json: bool = False) -> tuple[int, bytes]:
    headers = {"X-RestSvcSessionId": token}
    if json:
        headers["Accept"] = "application/json"
    request = urllib.request.Request(f"http://127.0.0.1:{port}{path}", headers=headers)
    with urllib.request.urlopen(request, timeout=120) as response:
        return response.status, response.read()


@dataclass
class WrkResult:
    requests_per_s: float
    p50_ms: float
    p99_ms: float
    errors: int
    requests: int
    cpu_us: float = float("nan")  # the server's CPU time per request, when measured


_UNITS = {"us": 0.001, "ms": 1.0, "s": 1000.0, "m": 60_000.0}


def _ms(text: str) -> float:
    match = re.fullmatch(r"([\d.]+)(us|ms|s|m)", text.strip())
    if not match:
        raise ValueError(f"wrk latency {text!r}")
    return float(match.group(1)) * _UNITS[match.group(2)]


def wrk(url: str, seconds: float, headers: dict[str, str] | None = None, script: str | None = None,
        connections: int = 32, threads: int = 2) -> tuple[WrkResult, str]:  # fmt: skip
    """Run Debian's wrk pinned to CLIENT_CPU; requests/s, p50, p99 and the full output."""
    command = [
        *taskset(CLIENT_CPU),
        "wrk",
        f"-t{threads}",
        f"-c{connections}",
        f"-d{seconds:g}s",
        "--latency",
        "--timeout",
        "30s",
    ]
    for name, value in (headers or {}).items():
        command += ["-H", f"{name}: {value}"]
    if script:
        command += ["-s", script]
    command.append(url)
    out = subprocess.run(command, capture_output=True, text=True, check=True, timeout=seconds + 60).stdout
    rps = float(re.search(r"Requests/sec:\s+([\d.]+)", out).group(1))  # type: ignore[union-attr]
    p50 = _ms(re.search(r"^\s+50%\s+(\S+)", out, re.M).group(1))  # type: ignore[union-attr]
    p99 = _ms(re.search(r"^\s+99%\s+(\S+)", out, re.M).group(1))  # type: ignore[union-attr]
    requests = int(re.search(r"(\d+) requests in", out).group(1))  # type: ignore[union-attr]
    errors = 0
    for pattern in (
        r"Non-2xx or 3xx responses: (\d+)",
        r"Socket errors: connect (\d+), read (\d+), write (\d+), timeout (\d+)",
    ):
        match = re.search(pattern, out)
        if match:
            errors += sum(int(g) for g in match.groups())
    return WrkResult(rps, p50, p99, errors, requests), out


def measured(server: Server, url: str, seconds: float, headers: dict[str, str] | None = None) -> WrkResult:
    """wrk against `server`, with the server's CPU time per request: unlike requests/s, it barely
    moves when other processes compete for the machine."""
    before = server.cpu_seconds()
    result, _ = wrk(url, seconds, headers)
    result.cpu_us = (server.cpu_seconds() - before) / max(result.requests, 1) * 1e6
    return result


def median(values: Sequence[float]) -> float:
    return statistics.median(values)


def table(headers: Sequence[str], rows: Sequence[Sequence[Any]]) -> str:
    """A plain text table (also valid Markdown)."""
    cells = [[str(h) for h in headers]] + [[str(c) for c in row] for row in rows]
    widths = [max(len(row[i]) for row in cells) for i in range(len(headers))]
    lines = ["| " + " | ".join(c.ljust(w) for c, w in zip(row, widths, strict=True)) + " |" for row in cells]
    lines.insert(1, "|" + "|".join("-" * (w + 2) for w in widths) + "|")
    return "\n".join(lines)


def machine() -> str:
    """One line on where the numbers come from."""
    load = os.getloadavg()[0] if hasattr(os, "getloadavg") else float("nan")
    return f"{os.cpu_count()} cores, Python {sys.version.split()[0]}, load average {load:.2f} at start"
