"""Graceful behaviour of the `mock-em serve` process: SIGTERM (and SIGINT) stop it in under two
seconds with status 0 or -SIGTERM and no traceback (plain, with TLS, with idle keep-alive
connections, during an in-flight request); a bad fixture file or any bad setting ends it with a
non-zero status and one readable line, no traceback, and its port never answers (never a
half-started server: the port is polled while the failing start runs)."""

from __future__ import annotations

import json
import signal
import subprocess
import sys
import threading
import time
from dataclasses import dataclass
from pathlib import Path

import httpx
import pytest
from e2e.seed_page import REPO, SEED_FIXTURE
from e2e.test_real_server_curl import Server, _clean_env, free_port, start_server
from robust_support import ADMIN, SESSION_HEADER, port_answers

STOP_LIMIT = 2.0  # seconds: what a container runtime may be given before it kills the process


def serve(tmp_path: Path, *args: str, name: str = "server") -> Server:
    """`mock-em serve --host 127.0.0.1 --port <free> ARGS…`, answering."""
    port = free_port()
    server, _ = start_server(["--host", "127.0.0.1", "--port", str(port), *args], port, tmp_path / f"{name}.log")
    return server


def stop_and_time(server: Server, sig: signal.Signals = signal.SIGTERM) -> float:
    """Send `sig` and wait (a second past the limit, then SIGKILL); the seconds until it was gone."""
    started = time.monotonic()
    server.process.send_signal(sig)
    try:
        server.process.wait(timeout=STOP_LIMIT + 1)
    except subprocess.TimeoutExpired:
        server.process.kill()
        server.process.wait(timeout=5)
    return time.monotonic() - started


def assert_clean_exit(server: Server, elapsed: float, sig: signal.Signals = signal.SIGTERM) -> None:
    """Gone in time, by the signal or with 0, and no stack trace."""
    output = server.output()
    assert server.process.returncode in (0, -sig), (server.process.returncode, output)
    assert elapsed < STOP_LIMIT, f"stopping took {elapsed:.2f} s"
    assert "Traceback" not in output, output


# -- stopping ---------------------------------------------------------------------------------------


@pytest.mark.parametrize("tls", [False, True], ids=["http", "http+https"])
@pytest.mark.parametrize("sig", [signal.SIGTERM, signal.SIGINT], ids=["SIGTERM", "SIGINT"])
def test_signal_stops_a_serving_process(tmp_path: Path, tls: bool, sig: signal.Signals) -> None:
    """A server that has answered requests stops on SIGTERM (docker stop) or SIGINT (Ctrl-C) in
    under two seconds, cleanly."""
    extra = ["--tls", "--tls-port", str(free_port()), "--tls-dir", str(tmp_path / "tls")] if tls else []
    server = serve(tmp_path, "--tenants", "1", *extra)
    try:
        token = httpx.post(f"{server.base}/api/sessionMngr/", auth=ADMIN, timeout=5).headers[SESSION_HEADER]
        assert httpx.get(f"{server.base}/api/cloud", headers={SESSION_HEADER: token}, timeout=5).status_code == 200
    finally:
        elapsed = stop_and_time(server, sig)
    assert_clean_exit(server, elapsed, sig)
    assert not port_answers("127.0.0.1", int(server.base.rsplit(":", 1)[1]))


def test_sigterm_with_idle_keep_alive_connections(tmp_path: Path) -> None:
    """Idle keep-alive connections (clients that hold their connection open) do not delay the stop."""
    server = serve(tmp_path, "--tenants", "1")
    clients = [httpx.Client(base_url=server.base, timeout=5) for _ in range(20)]
    try:
        for client in clients:
            assert client.get("/api/").status_code == 200
        elapsed = stop_and_time(server)
    finally:
        for client in clients:
            client.close()
        server.stop()
    assert_clean_exit(server, elapsed)


def in_flight(server: Server, latency_ms: int) -> tuple[threading.Thread, dict[str, object]]:
    """A request delayed by an injected latency fault, started in a thread and in flight on return."""
    token = httpx.post(f"{server.base}/api/sessionMngr/", auth=ADMIN, timeout=5).headers[SESSION_HEADER]
    rule = {"path": "/api/cloud", "latencyMs": latency_ms}
    assert httpx.post(f"{server.base}/mock/faults", json=rule, timeout=5).status_code == 201
    outcome: dict[str, object] = {}

    def request() -> None:
        try:
            response = httpx.get(f"{server.base}/api/cloud", headers={SESSION_HEADER: token}, timeout=30)
            outcome["status"] = response.status_code
        except httpx.HTTPError as exc:
            outcome["error"] = repr(exc)

    thread = threading.Thread(target=request, daemon=True)
    thread.start()
    deadline = time.monotonic() + 5
    while time.monotonic() < deadline:  # the rule fires when the request arrives, before the delay
        statistics = httpx.get(f"{server.base}/mock/faults", timeout=5).json()["faults"][0]["statistics"]
        if statistics["fired"]:
            break
        time.sleep(0.01)
    return thread, outcome


def test_sigterm_lets_a_short_in_flight_request_finish(tmp_path: Path) -> None:
    """A request in flight (0.5 s of injected latency) when SIGTERM arrives is answered, and the
    process still stops in under two seconds."""
    server = serve(tmp_path, "--tenants", "1")
    try:
        thread, outcome = in_flight(server, 500)
        elapsed = stop_and_time(server)
        thread.join(timeout=10)
    finally:
        server.stop()
    assert_clean_exit(server, elapsed)
    assert outcome.get("status") == 200, outcome


def test_sigterm_during_a_long_in_flight_request(tmp_path: Path) -> None:
    """A request held 10 s by a latency fault does not hold the stop: under two seconds, cleanly."""
    server = serve(tmp_path, "--tenants", "1")
    try:
        thread, _ = in_flight(server, 10_000)
        elapsed = stop_and_time(server)
    finally:
        server.stop()
    thread.join(timeout=15)
    assert_clean_exit(server, elapsed)


# -- failing starts -------------------------------------------------------------------------------


@dataclass
class FailedStart:
    """How a start that had to fail ended."""

    returncode: int
    stderr: str
    stdout: str
    port_answered: bool
    seconds: float


def fixture_files(folder: Path) -> dict[str, Path]:
    """Fixture files that are wrong in every way a file can be."""
    seed = json.loads(SEED_FIXTURE.read_text())
    files: dict[str, Path] = {"missing": folder / "missing.json", "a directory": folder}
    broken: dict[str, str] = {
        "empty": "",
        "not JSON": "this is not JSON",
        "truncated": SEED_FIXTURE.read_text()[:500],
        "a list": "[]",
        "wrong format": json.dumps({"Format": "something-else"}),
        "duplicate ids": json.dumps(
            {**seed, "CloudVmReplicaPoints": seed["CloudVmReplicaPoints"] + seed["CloudVmReplicaPoints"][:1]}
        ),
        "unknown replica": json.dumps(
            {
                **seed,
                "CloudVmReplicaPoints": [
                    {**seed["CloudVmReplicaPoints"][0], "ReplicaId": "00000000-0000-4000-8000-000000000000"}
                ],
            }
        ),
        "bad time": json.dumps(
            {**seed, "CloudVmReplicaPoints": [{**seed["CloudVmReplicaPoints"][0], "CreationTimeUTC": "yesterday"}]}
        ),
        "bad enum": json.dumps(
            {**seed, "CloudVmReplicaPoints": [{**seed["CloudVmReplicaPoints"][0], "State": "Exploded"}]}
        ),
        "dangling tenant": json.dumps({**seed, "CloudTenants": seed["CloudTenants"][:1]}),
        "not UTF-8": "\udcff",
    }
    for name, text in broken.items():
        path = folder / f"{name.replace(' ', '-')}.json"
        path.write_bytes(text.encode("utf-8", "surrogateescape"))
        files[name] = path
    return files


def bad_settings(folder: Path) -> dict[str, tuple[list[str], dict[str, str]]]:
    """(flags, environment) of every kind of setting mock-em refuses."""
    cert = folder / "missing-cert.pem"
    return {
        "port out of range": (["--port", "70000"], {}),
        "tls-port out of range": (["--tls-port", "70000"], {}),
        "tls-port = port": (["--tls", "--tls-port", "{port}"], {}),
        "log level": (["--log-level", "loud"], {}),
        "cert without key": (["--tls-cert", str(cert)], {}),
        "unreadable cert": (["--tls", "--tls-cert", str(cert), "--tls-key", str(cert)], {}),
        "clock rate zero": (["--clock-rate", "0"], {}),
        "unusual state rate": (["--unusual-state-rate", "2"], {}),
        "journal size": (["--journal-size", "-1"], {}),
        "negative tenants": (["--tenants", "-1"], {}),
        "tenants without servers": (["--backup-servers", "0"], {}),
        "release": (["--release", "99"], {}),
        "public url": (["--public-url", "ftp://example.invalid"], {}),
        "user without password": (["--user", "nocolon"], {}),
        "idle timeout zero": (["--idle-timeout", "0"], {}),
        "idle timeout words": (["--idle-timeout", "soon"], {}),
        "clock": (["--clock", "yesterday"], {}),
        "workers zero": (["--workers", "0"], {}),
        "workers without redis": (["--workers", "2"], {}),
        "redis url": (["--redis-url", "http://example.invalid"], {}),
        "host not on this machine": (["--host", "192.0.2.1"], {}),  # TEST-NET-1: bind fails, nothing is sent
        "MOCK_EM_PORT": ([], {"MOCK_EM_PORT": "abc"}),
        "MOCK_EM_TLS": ([], {"MOCK_EM_TLS": "maybe"}),
        "MOCK_EM_CLOCK_RATE": ([], {"MOCK_EM_CLOCK_RATE": "fast"}),
        "MOCK_EM_TENANTS": ([], {"MOCK_EM_TENANTS": "-3"}),
        "MOCK_EM_USER": ([], {"MOCK_EM_USER": "nocolon"}),
    }


PARALLEL_STARTS = 4  # failing starts run at once (each is a Python start-up: CPU-bound)
START_DEADLINE = 30.0  # seconds a failing start may take before it counts as hanging


def launch(flags: list[str], env: dict[str, str]) -> tuple[subprocess.Popen[str], int, float]:
    """Start `mock-em serve` with these flags (on 127.0.0.1 and a free port unless they say)."""
    port = free_port()
    args = [a.replace("{port}", str(port)) for a in flags]
    if "--host" not in args:
        args = ["--host", "127.0.0.1", *args]
    if "--port" not in args and "MOCK_EM_PORT" not in env:
        args = ["--port", str(port), *args]
    process = subprocess.Popen(
        [sys.executable, "-m", "mock_em", "serve", *args],
        cwd=REPO,
        env={**_clean_env(), **env},
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
    )
    return process, port, time.monotonic()


def run_failing_starts(
    starts: dict[str, tuple[list[str], dict[str, str]]], deadline: float = START_DEADLINE
) -> dict[str, FailedStart]:
    """Start the cases, PARALLEL_STARTS at a time, poll each one's port until its process ends, and
    collect how each ended (a case that answers on its port, or still runs after `deadline` seconds,
    is killed)."""
    waiting = list(starts.items())
    running: dict[str, tuple[subprocess.Popen[str], int, float]] = {}
    answered: dict[str, bool] = {}
    results: dict[str, FailedStart] = {}
    while waiting or running:
        while waiting and len(running) < PARALLEL_STARTS:
            name, (flags, env) = waiting.pop(0)
            running[name] = launch(flags, env)
            answered[name] = False
        for name, (process, port, started) in list(running.items()):
            if process.poll() is None and port_answers("127.0.0.1", port, timeout=0.05):
                answered[name] = True  # a start that should fail is serving: no need to wait longer
            if process.poll() is None and time.monotonic() - started < deadline and not answered[name]:
                continue
            if process.poll() is None:
                process.kill()
            stdout, stderr = process.communicate(timeout=10)
            results[name] = FailedStart(process.returncode, stderr, stdout, answered[name], time.monotonic() - started)
            del running[name]
        time.sleep(0.01)
    return results


@pytest.fixture(scope="module")
def failed_fixtures(tmp_path_factory: pytest.TempPathFactory) -> dict[str, FailedStart]:
    """Every bad fixture file, started at once."""
    folder = tmp_path_factory.mktemp("fixtures")
    return run_failing_starts({name: (["--fixture", str(path)], {}) for name, path in fixture_files(folder).items()})


@pytest.fixture(scope="module")
def failed_settings(tmp_path_factory: pytest.TempPathFactory) -> dict[str, FailedStart]:
    """Every bad setting, started at once."""
    return run_failing_starts(bad_settings(tmp_path_factory.mktemp("settings")))


def assert_readable_failure(result: FailedStart) -> None:
    """Non-zero status, one line on stderr that starts with `mock-em:`, no traceback, nothing on
    stdout, and the port never answered."""
    assert result.returncode not in (0, None), result
    lines = [line for line in result.stderr.splitlines() if line.strip()]
    assert "Traceback" not in result.stderr, result.stderr
    assert len(lines) == 1, result.stderr
    assert lines[0].startswith("mock-em: "), lines[0]
    assert result.stdout == "", result.stdout
    assert not result.port_answered, "the port answered during a start that failed (a half-started server)"


FIXTURE_CASES = [
    "missing",
    "a directory",
    "empty",
    "not JSON",
    "truncated",
    "a list",
    "wrong format",
    "duplicate ids",
    "unknown replica",
    "bad time",
    "bad enum",
    "dangling tenant",
    "not UTF-8",
]


@pytest.mark.parametrize("case", FIXTURE_CASES)
def test_bad_fixture_file_fails_readably(failed_fixtures: dict[str, FailedStart], case: str) -> None:
    """A fixture file that is missing, not a file, not JSON or not a consistent world: one readable
    line naming the problem, a non-zero status, and the port never answered."""
    assert_readable_failure(failed_fixtures[case])


SETTING_CASES = [
    "port out of range",
    "tls-port out of range",
    "tls-port = port",
    "log level",
    "cert without key",
    "unreadable cert",
    "clock rate zero",
    "unusual state rate",
    "journal size",
    "negative tenants",
    "tenants without servers",
    "release",
    "public url",
    "user without password",
    "idle timeout zero",
    "idle timeout words",
    "clock",
    "workers zero",
    "workers without redis",
    "redis url",
    "host not on this machine",
    "MOCK_EM_PORT",
    "MOCK_EM_TLS",
    "MOCK_EM_CLOCK_RATE",
    "MOCK_EM_TENANTS",
    "MOCK_EM_USER",
]


@pytest.mark.parametrize("case", SETTING_CASES)
def test_bad_setting_fails_readably(failed_settings: dict[str, FailedStart], case: str) -> None:
    """Each kind of bad setting, as a flag or a `MOCK_EM_*` variable: one readable line that names
    the setting, a non-zero status, and the port never answered."""
    result = failed_settings[case]
    assert_readable_failure(result)


@pytest.mark.parametrize(
    "change",
    [{"Password": None}, {"Name": 42}, {"Enabled": "yes"}],
    ids=["null password", "numeric name", "string boolean"],
)
def test_fixture_values_of_the_wrong_type_fail_at_start(tmp_path: Path, change: dict[str, object]) -> None:
    """A fixture value of the wrong JSON type is refused at start like any other bad fixture."""
    seed = json.loads(SEED_FIXTURE.read_text())
    seed["CloudTenants"] = [{**tenant, **change} for tenant in seed["CloudTenants"]]
    path = tmp_path / "wrong-type.json"
    path.write_text(json.dumps(seed))
    result = run_failing_starts({"wrong type": (["--fixture", str(path)], {})}, deadline=10.0)["wrong type"]
    assert_readable_failure(result)


def test_bad_flag_value_is_argparse_usage_error(tmp_path: Path) -> None:
    """A flag value of the wrong type (`--port abc`) is argparse's usage error: status 2, the usage
    and a last line naming the flag, no traceback."""
    command = [sys.executable, "-m", "mock_em", "serve", "--port", "abc"]
    done = subprocess.run(command, capture_output=True, text=True, env=_clean_env(), timeout=30, check=False, cwd=REPO)
    assert done.returncode == 2
    assert done.stderr.strip().splitlines()[-1] == "mock-em serve: error: argument --port: invalid int value: 'abc'"
    assert "Traceback" not in done.stderr
