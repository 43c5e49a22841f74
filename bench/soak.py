"""Soak: at least a million requests against a real `mock-em serve` on 127.0.0.1, with the server's
memory sampled along the way (the soak's memory curve), while sessions come and go.

    python bench/soak.py [--requests 1000000] [--segment 20] [--connections 128] [--max-minutes 40]

What runs at once:

* the load: Debian's `wrk` (or, without it, a few Python client processes) rotating over the vendor
  API's read routes (lists, entities, queries, logon sessions, the root; XML and JSON; as the
  administrator and as a tenant), in segments of `--segment` seconds until `--requests` are done;
* the churn: a client that logs on and abandons sessions (administrators and tenants), logs on and
  off properly, and every `--advance-every` seconds moves the server's clock on by five minutes,
  so abandoned sessions pass the 15-minute idle timeout and must be purged (the load's own two
  sessions are used all the time, so they never idle that long);
* the sampler: after each segment, the server's VmRSS, its live sessions and its journal entries.

The server runs on a frozen virtual clock at noon, so the clock's advances (a few virtual hours in
all) cross no nightly replication run and the points the load reads stay put.

Verdict (exit status 1 if any fails): no request failed (status or socket), the journal never held
more than its size, live sessions stayed bounded (abandoned ones were purged), and the resident
set grew by less than `--rss-bound` MiB between the end of the first segment and the end.
Not part of pytest: it takes minutes. Loopback only.
"""

from __future__ import annotations

import argparse
import base64
import json
import multiprocessing
import os
import re
import shutil
import signal
import socket
import subprocess
import sys
import tempfile
import threading
import time
import urllib.error
import urllib.request
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parent.parent
ADMIN = ("Administrator", "P@ssw0rd")
NS = "http://www.veeam.com/ent/v1.0"
SESSION_HEADER = "X-RestSvcSessionId"
FROZEN_NOON = "2026-01-05T12:00:00Z"
JOURNAL_SIZE = 1000
IDLE_TIMEOUT_MINUTES = 15
ADVANCE = "5m"


# -- the server ------------------------------------------------------------------------------------


def free_port() -> int:
    """A TCP port of 127.0.0.1 nothing listens on."""
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def taskset(cpu: str) -> list[str]:
    """`taskset -c CPU` when there are two cores or more and taskset exists (server and load apart)."""
    if shutil.which("taskset") and (os.cpu_count() or 1) > 1:
        return ["taskset", "-c", cpu]
    return []


@dataclass
class Server:
    """The `mock-em serve` process under test."""

    process: subprocess.Popen[bytes]
    port: int
    log: Path

    @property
    def base(self) -> str:
        return f"http://127.0.0.1:{self.port}"

    def rss_kib(self) -> int:
        """VmRSS of the server process and its children, KiB."""
        return tree_rss_kib(self.process.pid)

    def stop(self) -> None:
        """SIGTERM, then SIGKILL if it lingers."""
        if self.process.poll() is None:
            self.process.send_signal(signal.SIGTERM)
            try:
                self.process.wait(timeout=10)
            except subprocess.TimeoutExpired:
                self.process.kill()
                self.process.wait(timeout=10)


def tree_rss_kib(pid: int) -> int:
    """VmRSS of a process and its descendants, KiB (0 for a process that is gone)."""
    total = 0
    try:
        for line in Path(f"/proc/{pid}/status").read_text().splitlines():
            if line.startswith("VmRSS:"):
                total += int(line.split()[1])
        for task in Path(f"/proc/{pid}/task").iterdir():
            for child in (task / "children").read_text().split():
                total += tree_rss_kib(int(child))
    except OSError:
        pass
    return total


def start_server(folder: Path, extra: list[str]) -> Server:
    """`python -m mock_em serve` on a free port of 127.0.0.1, pinned to core 0, answering."""
    port = free_port()
    log = folder / "server.log"
    command = [
        *taskset("0"),
        sys.executable,
        "-m",
        "mock_em",
        "serve",
        "--host",
        "127.0.0.1",
        "--port",
        str(port),
        "--clock",
        FROZEN_NOON,
        "--journal-size",
        str(JOURNAL_SIZE),
        "--idle-timeout",
        f"{IDLE_TIMEOUT_MINUTES}m",
        *extra,
    ]
    env = {k: v for k, v in os.environ.items() if not k.startswith("MOCK_EM_")}
    with log.open("wb") as out:
        process = subprocess.Popen(command, cwd=ROOT, env=env, stdout=out, stderr=subprocess.STDOUT)
    server = Server(process, port, log)
    deadline = time.monotonic() + 60
    while time.monotonic() < deadline:
        if process.poll() is not None:
            raise SystemExit(f"the server exited with {process.returncode}:\n{log.read_text()}")
        try:
            with urllib.request.urlopen(f"{server.base}/mock/health", timeout=1):
                return server
        except OSError:
            time.sleep(0.05)
    server.stop()
    raise SystemExit("the server did not answer within 60 s")


# -- small HTTP helpers (urllib: nothing to install) ------------------------------------------------


def call(
    base: str, method: str, path: str, headers: dict[str, str] | None = None, body: bytes | None = None
) -> tuple[int, dict[str, str], bytes]:
    """One request; status, headers (lower-case names) and body, errors included."""
    request = urllib.request.Request(base + path, data=body, method=method, headers=headers or {})
    try:
        with urllib.request.urlopen(request, timeout=30) as response:
            return response.status, {k.lower(): v for k, v in response.headers.items()}, response.read()
    except urllib.error.HTTPError as error:
        return error.code, {k.lower(): v for k, v in error.headers.items()}, error.read()


def basic(user: str, password: str) -> str:
    """An HTTP Basic Authorization value."""
    return "Basic " + base64.b64encode(f"{user}:{password}".encode()).decode()


def login_spec(username: str, password: str) -> bytes:
    """A tenant's LoginSpec body."""
    from xml.sax.saxutils import escape

    return (
        f'<LoginSpec xmlns="{NS}"><TenantCredentials><Username>{escape(username)}</Username>'
        f"<Password>{escape(password)}</Password></TenantCredentials></LoginSpec>"
    ).encode()


def logon(base: str, tenant: dict[str, Any] | None = None) -> tuple[str, str]:
    """Log on (the administrator, or a tenant with its LoginSpec); (token, SessionId)."""
    if tenant is None:
        status, headers, body = call(base, "POST", "/api/sessionMngr/?v=latest", {"Authorization": basic(*ADMIN)})
    else:
        spec = login_spec(tenant["Username"], tenant["Password"])
        xml = {"Content-Type": "application/xml"}
        status, headers, body = call(base, "POST", "/api/sessionMngr/?v=latest", xml, spec)
    if status != 201:
        raise RuntimeError(f"logon answered {status}: {body[:200]!r}")
    session_id = re.search(rb"<SessionId>([^<]+)</SessionId>", body)
    return headers[SESSION_HEADER.lower()], session_id.group(1).decode() if session_id else ""


def control(base: str, method: str, path: str, payload: Any = None) -> Any:
    """A control-plane call; its JSON answer."""
    body = None if payload is None else json.dumps(payload).encode()
    status, _, answer = call(base, method, path, {"Content-Type": "application/json"}, body)
    if status >= 300:
        raise RuntimeError(f"{method} {path} answered {status}: {answer[:200]!r}")
    return json.loads(answer)


# -- what the load asks -------------------------------------------------------------------------------


def load_requests(base: str, world: dict[str, Any]) -> list[tuple[str, dict[str, str]]]:
    """(path, headers) the load rotates over: the administrator's and a tenant's view of the
    read routes, XML and JSON."""
    admin_token, _ = logon(base)
    tenant = world["CloudTenants"][0]
    tenant_token, _ = logon(base, tenant)
    points = world["CloudVmReplicaPoints"]
    newest: dict[tuple[str, str], dict[str, Any]] = {}
    for point in points:  # the newest point of each VM: retention removes the oldest first
        key = (point["ReplicaId"], point["VmName"])
        if key not in newest or point["CreationTimeUTC"] > newest[key]["CreationTimeUTC"]:
            newest[key] = point
    replicas = {r["Id"]: r["TenantId"] for r in world["CloudReplicas"]}
    own = [p for p in newest.values() if replicas[p["ReplicaId"]] == tenant["Id"]]
    admin = {SESSION_HEADER: admin_token}
    ten = {SESSION_HEADER: tenant_token}
    as_json = {"Accept": "application/json"}
    entries: list[tuple[str, dict[str, str]]] = [
        ("/api/cloud/vmReplicaPoints", admin),
        ("/api/cloud/vmReplicaPoints", {**admin, **as_json}),
        ("/api/cloud/vmReplicaPoints?format=Entity", admin),
        ("/api/cloud/vmReplicaPoints", ten),
        ("/api/cloud/replicas?format=Entity", {**ten, **as_json}),
        ("/api/query?type=CloudVmReplicaPoint&filter=VmName%3D%3Dsrv01&pageSize=50", admin),
        ("/api/query?type=CloudVmReplicaPoint&format=Entities&pageSize=20", {**admin, **as_json}),
        ("/api/query?type=CloudTenant", admin),
        ("/api/logonSessions", ten),
        ("/api/cloud", admin),
        ("/api/", {}),
    ]
    for point in list(newest.values())[:6]:
        entries.append((f"/api/cloud/vmReplicaPoints/{point['Id']}?format=Entity", admin))
    for point in own[:3]:
        entries.append((f"/api/cloud/vmReplicaPoints/{point['Id']}", {**ten, **as_json}))
    for path, headers in entries:  # every entry answers 200 before the soak starts
        status, _, body = call(base, "GET", path, headers)
        if status != 200:
            raise SystemExit(f"{path} answered {status}: {body[:300]!r}")
    return entries


LUA = """
-- Generated by bench/soak.py: rotate over the soak's requests, each thread from its own offset.
local entries = %(entries)s
local counter = 0
local threads = {}

function setup(thread)
  thread:set("offset", #threads * 7)
  table.insert(threads, thread)
end

function init(args)
  counter = tonumber(offset) or 0
end

function request()
  counter = counter + 1
  local entry = entries[(counter %% #entries) + 1]
  return wrk.format("GET", entry[1], entry[2])
end

function done(summary, latency, requests)
  io.write(string.format(
    "SOAK {\\"requests\\": %%d, \\"status\\": %%d, \\"connect\\": %%d, \\"read\\": %%d, " ..
    "\\"write\\": %%d, \\"timeout\\": %%d, \\"p99_us\\": %%d}\\n",
    summary.requests, summary.errors.status, summary.errors.connect, summary.errors.read,
    summary.errors.write, summary.errors.timeout, latency:percentile(99)))
end
"""


def lua_table(entries: list[tuple[str, dict[str, str]]]) -> str:
    """The entries as a Lua table literal."""

    def quote(text: str) -> str:
        return '"' + text.replace("\\", "\\\\").replace('"', '\\"') + '"'

    rows = []
    for path, headers in entries:
        fields = ", ".join(f"[{quote(k)}] = {quote(v)}" for k, v in headers.items())
        rows.append(f"  {{{quote(path)}, {{{fields}}}}}")
    return "{\n" + ",\n".join(rows) + "\n}"


@dataclass
class Segment:
    """What one segment of load did."""

    requests: int = 0
    failed_status: int = 0
    socket_errors: int = 0
    p99_ms: float = 0.0


def wrk_segment(base: str, script: Path, seconds: int, connections: int, threads: int) -> Segment:
    """One wrk run of `seconds`, pinned to core 1."""
    command = [
        *taskset("1"),
        "wrk",
        f"-t{threads}",
        f"-c{connections}",
        f"-d{seconds}s",
        "--timeout",
        "30s",
        "-s",
        str(script),
        base + "/",
    ]
    out = subprocess.run(command, capture_output=True, text=True, timeout=seconds + 120, check=True).stdout
    data = json.loads(out.split("SOAK ", 1)[1].splitlines()[0])
    return Segment(
        data["requests"],
        data["status"],
        data["connect"] + data["read"] + data["write"] + data["timeout"],
        data["p99_us"] / 1000,
    )


def _python_worker(base: str, entries: list[tuple[str, dict[str, str]]], seconds: float, offset: int, out: Any) -> None:
    """One client process of the fallback load: keep-alive http.client, round robin, for `seconds`."""
    import http.client

    host, port = base.removeprefix("http://").split(":")
    connection = http.client.HTTPConnection(host, int(port), timeout=30)
    done = failed = broken = 0
    stop = time.monotonic() + seconds
    index = offset
    while time.monotonic() < stop:
        path, headers = entries[index % len(entries)]
        index += 1
        try:
            connection.request("GET", path, headers=headers)
            response = connection.getresponse()
            response.read()
            done += 1
            failed += response.status >= 400
        except (OSError, http.client.HTTPException):
            broken += 1
            connection.close()
            connection = http.client.HTTPConnection(host, int(port), timeout=30)
    out.put((done, failed, broken))


def python_segment(base: str, entries: list[tuple[str, dict[str, str]]], seconds: int, processes: int) -> Segment:
    """The fallback load when wrk is not installed: `processes` Python clients."""
    queue: multiprocessing.Queue[tuple[int, int, int]] = multiprocessing.Queue()
    workers = [
        multiprocessing.Process(target=_python_worker, args=(base, entries, seconds, i * 7, queue))
        for i in range(processes)
    ]
    for worker in workers:
        worker.start()
    results = [queue.get(timeout=seconds + 120) for _ in workers]
    for worker in workers:
        worker.join(timeout=30)
    return Segment(sum(r[0] for r in results), sum(r[1] for r in results), sum(r[2] for r in results))


# -- the churn -----------------------------------------------------------------------------------


@dataclass
class Churn:
    """Sessions opened and abandoned, logons and logoffs, clock advances, and what went wrong."""

    abandoned: int = 0
    logged_off: int = 0
    advances: int = 0
    errors: list[str] = field(default_factory=list)


def churn(base: str, tenants: list[dict[str, Any]], advance_every: float, stop: threading.Event, tally: Churn) -> None:
    """Open and abandon sessions, log some off, and move the clock on, until `stop`."""
    next_advance = time.monotonic() + advance_every
    turn = 0
    while not stop.is_set():
        turn += 1
        try:
            logon(base, None if turn % 3 == 0 else tenants[turn % len(tenants)])
            tally.abandoned += 1
            token, session_id = logon(base)
            status, _, _ = call(base, "DELETE", f"/api/logonSessions/{session_id}", {SESSION_HEADER: token})
            if status != 204:
                tally.errors.append(f"logoff answered {status}")
            tally.logged_off += 1
            if time.monotonic() >= next_advance:
                control(base, "POST", "/mock/clock/advance", {"by": ADVANCE})
                tally.advances += 1
                next_advance += advance_every
        except (OSError, RuntimeError) as exc:
            tally.errors.append(repr(exc))
        stop.wait(0.05)


# -- the run -----------------------------------------------------------------------------------------


def main(argv: list[str] | None = None) -> int:
    """Run the soak; 0 when every verdict holds."""
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--requests", type=int, default=1_000_000, help="at least this many (default 1,000,000)")
    parser.add_argument("--segment", type=int, default=20, help="seconds of load between samples (default 20)")
    parser.add_argument("--connections", type=int, default=128, help="wrk connections (default 128)")
    parser.add_argument("--threads", type=int, default=1, help="wrk threads (default 1; one core is the server's)")
    parser.add_argument("--processes", type=int, default=4, help="Python clients when wrk is missing (default 4)")
    parser.add_argument("--advance-every", type=float, default=10.0, help="seconds between clock advances (10)")
    parser.add_argument("--max-minutes", type=float, default=40.0, help="stop after this long in any case (40)")
    parser.add_argument("--rss-bound", type=float, default=50.0, help="MiB the RSS may grow after segment 1 (50)")
    parser.add_argument("--python-load", action="store_true", help="use the Python clients even if wrk exists")
    parser.add_argument("--serve-arg", action="append", default=[], help="extra flag for mock-em serve")
    args = parser.parse_args(argv)

    use_wrk = shutil.which("wrk") is not None and not args.python_load
    with tempfile.TemporaryDirectory(prefix="mock-em-soak-") as tmp:
        folder = Path(tmp)
        server = start_server(folder, args.serve_arg)
        stop = threading.Event()
        tally = Churn()
        try:
            world = control(server.base, "GET", "/mock/world")
            entries = load_requests(server.base, world)
            script = folder / "soak.lua"
            script.write_text(LUA % {"entries": lua_table(entries)})
            worker = threading.Thread(
                target=churn, args=(server.base, world["CloudTenants"], args.advance_every, stop, tally), daemon=True
            )
            rss_start = server.rss_kib()
            print(
                f"soak: mock-em serve pid {server.process.pid} on {server.base}; load: "
                f"{'wrk' if use_wrk else 'Python'} ({args.connections if use_wrk else args.processes} "
                f"{'connections' if use_wrk else 'processes'}), {len(entries)} request kinds; target "
                f"{args.requests:,} requests; segments of {args.segment} s; RSS at start {rss_start / 1024:.1f} MiB",
                flush=True,
            )
            header = (
                f"{'seg':>4} {'elapsed':>8} {'requests':>11} {'req/s':>7} {'p99 ms':>7} {'failed':>6} "
                f"{'RSS MiB':>8} {'sessions':>8} {'journal':>7} {'abandoned':>9} {'advances':>8} {'virtual time':>20}"
            )
            print(header, flush=True)
            print("-" * len(header), flush=True)
            worker.start()
            began = time.monotonic()
            total = failed = 0
            rows: list[dict[str, Any]] = []
            max_journal = max_sessions = 0
            while total < args.requests and time.monotonic() - began < args.max_minutes * 60:
                if use_wrk:
                    segment = wrk_segment(server.base, script, args.segment, args.connections, args.threads)
                else:
                    segment = python_segment(server.base, entries, args.segment, args.processes)
                total += segment.requests
                failed += segment.failed_status + segment.socket_errors
                sessions = len(control(server.base, "GET", "/mock/sessions")["sessions"])
                journal = control(server.base, "GET", "/mock/journal/count")["count"]
                clock = control(server.base, "GET", "/mock/clock")["now"]
                max_journal, max_sessions = max(max_journal, journal), max(max_sessions, sessions)
                row = {
                    "segment": len(rows) + 1,
                    "elapsed": time.monotonic() - began,
                    "requests": total,
                    "rate": segment.requests / args.segment,
                    "p99": segment.p99_ms,
                    "failed": segment.failed_status + segment.socket_errors,
                    "rss": server.rss_kib(),
                    "sessions": sessions,
                    "journal": journal,
                }
                rows.append(row)
                print(
                    f"{row['segment']:>4} {row['elapsed']:>7.0f}s {total:>11,} {row['rate']:>7.0f} "
                    f"{row['p99']:>7.1f} {row['failed']:>6} {row['rss'] / 1024:>8.1f} {sessions:>8} {journal:>7} "
                    f"{tally.abandoned:>9} {tally.advances:>8} {clock[:19]:>20}",
                    flush=True,
                )
        finally:
            stop.set()
            server.stop()
        log = server.log.read_text(errors="replace")

    growth = (rows[-1]["rss"] - rows[0]["rss"]) / 1024 if rows else 0.0
    # Sessions that can be alive at once: the load's two, plus what the churn abandons within one
    # idle timeout (advance_every seconds per 5 virtual minutes: 3 advances plus the current one).
    churn_rate = tally.abandoned / max(rows[-1]["elapsed"], 1) if rows else 0.0
    session_bound = 2 + churn_rate * args.advance_every * (IDLE_TIMEOUT_MINUTES / 5 + 1) * 1.5 + 10
    verdicts = {
        f"at least {args.requests:,} requests": total >= args.requests,
        "no failed request (status or socket)": failed == 0,
        f"journal never above {JOURNAL_SIZE}": max_journal <= JOURNAL_SIZE,
        f"live sessions bounded (max {max_sessions}, bound {session_bound:.0f})": max_sessions <= session_bound,
        "abandoned sessions were purged (fewer live than abandoned)": (
            max_sessions < tally.abandoned or tally.advances <= IDLE_TIMEOUT_MINUTES // 5
        ),
        f"RSS growth after segment 1 below {args.rss_bound:g} MiB ({growth:+.1f} MiB)": growth < args.rss_bound,
        "churn without errors": not tally.errors,
        "no traceback in the server log": "Traceback" not in log,
    }
    rss_values = [r["rss"] for r in rows]
    print()
    print(
        f"soak done: {total:,} requests in {rows[-1]['elapsed'] if rows else 0:.0f} s, {failed} failed; "
        f"RSS start {rss_start / 1024:.1f} MiB, after segment 1 {rss_values[0] / 1024 if rows else 0:.1f} MiB, "
        f"end {rss_values[-1] / 1024 if rows else 0:.1f} MiB, max {max(rss_values, default=0) / 1024:.1f} MiB; "
        f"churn: {tally.abandoned:,} sessions abandoned, {tally.logged_off:,} logged off, "
        f"{tally.advances} clock advances of {ADVANCE}"
    )
    for verdict, held in verdicts.items():
        print(f"  {'ok  ' if held else 'FAIL'} {verdict}")
    if tally.errors:
        print(f"  churn errors (first 5): {tally.errors[:5]}")
    return 0 if all(verdicts.values()) else 1


if __name__ == "__main__":
    raise SystemExit(main())
