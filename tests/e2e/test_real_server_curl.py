"""The real-client test: the real server in its own process, driven with the `curl` binary exactly
as the seed page's requests are written."""

from __future__ import annotations

import os
import shutil
import signal
import socket
import subprocess
import sys
import tempfile
import time
import urllib.error
import urllib.request
from collections.abc import Callable, Iterator, Sequence
from dataclasses import dataclass
from pathlib import Path

import pytest
from em_schema import assert_valid
from lxml import etree

from e2e.seed_page import REPO, SEED_FIXTURE, canonical, rebase, ref_names, seed_sample_xml

START_DEADLINE = 15.0
NS = "{http://www.veeam.com/ent/v1.0}"


def free_port() -> int:
    """A TCP port nothing listens on right now."""
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def _clean_env() -> dict[str, str]:
    """This environment without `MOCK_EM_*` settings, so only the flags shape the server."""
    return {k: v for k, v in os.environ.items() if not k.startswith("MOCK_EM_")}


@dataclass
class Server:
    """A running `mock-em serve` process and the base URL it answers on."""

    process: subprocess.Popen[bytes]
    base: str
    log: Path

    def output(self) -> str:
        """What the server wrote to stdout and stderr so far."""
        return self.log.read_text(errors="replace")[-4000:]

    def stop(self) -> None:
        """SIGTERM, wait, and kill when it does not stop in time."""
        if self.process.poll() is None:
            self.process.send_signal(signal.SIGTERM)
            try:
                self.process.wait(timeout=10)
            except subprocess.TimeoutExpired:
                self.process.kill()
                self.process.wait(timeout=10)


def start_server(args: Sequence[str], port: int, log: Path) -> tuple[Server, float]:
    """Start `python -m mock_em serve …` and wait (15 s at most) until `GET /api/` answers 200;
    returns the server and the seconds from process start to that first 200."""
    with log.open("wb") as out:
        started = time.perf_counter()
        process = subprocess.Popen(
            [sys.executable, "-m", "mock_em", "serve", *args],
            cwd=REPO,
            env=_clean_env(),
            stdout=out,
            stderr=subprocess.STDOUT,
        )
    server = Server(process, f"http://127.0.0.1:{port}", log)
    deadline = started + START_DEADLINE
    while True:
        if process.poll() is not None:
            raise AssertionError(f"mock-em serve exited with {process.returncode}:\n{server.output()}")
        try:
            with urllib.request.urlopen(f"{server.base}/api/", timeout=2) as response:
                if response.status == 200:
                    return server, time.perf_counter() - started
        except (urllib.error.URLError, ConnectionError, TimeoutError):
            pass
        if time.perf_counter() > deadline:
            server.stop()
            raise AssertionError(f"GET /api/ did not answer within {START_DEADLINE} s:\n{server.output()}")
        time.sleep(0.02)


@pytest.fixture(scope="module")
def curl() -> str:
    """The `curl` binary (the test is about a real client, so no substitute)."""
    path = shutil.which("curl")
    if path is None:
        pytest.skip("curl is not installed")
    return path


@pytest.fixture(scope="module")
def server(curl: str) -> Iterator[Server]:
    """The real server on a free port of 127.0.0.1, serving the seed world; stopped afterwards."""
    port = free_port()
    with tempfile.TemporaryDirectory() as tmp:
        args = ["--host", "127.0.0.1", "--port", str(port), "--fixture", str(SEED_FIXTURE)]
        running, _ = start_server(args, port, Path(tmp) / "server.log")
        try:
            yield running
        finally:
            running.stop()


@dataclass
class CurlResponse:
    """Status line, headers and body of one `curl -s -i` exchange."""

    status: int
    headers: dict[str, str]
    body: bytes


def run_curl(curl: str, *args: str) -> CurlResponse:
    """Run `curl -s -i ARGS…` and split what it printed into status, headers and body."""
    done = subprocess.run([curl, "-s", "-i", *args], capture_output=True, timeout=30, check=False)
    assert done.returncode == 0, done.stderr.decode()
    head, _, body = done.stdout.partition(b"\r\n\r\n")
    status_line, *lines = head.decode("latin-1").split("\r\n")
    headers = {}
    for line in lines:
        name, _, value = line.partition(":")
        headers[name.strip().lower()] = value.strip()
    return CurlResponse(int(status_line.split()[1]), headers, body)


def curl_logon(curl: str, server: Server) -> CurlResponse:
    """`curl -s -i -X POST -u Administrator:P@ssw0rd http://HOST:PORT/api/sessionMngr/?v=latest`."""
    return run_curl(curl, "-X", "POST", "-u", "Administrator:P@ssw0rd", f"{server.base}/api/sessionMngr/?v=latest")


def test_logon_with_curl(curl: str, server: Server) -> None:
    """201, the token header, the cookie and a Location on the address curl used."""
    response = curl_logon(curl, server)
    assert response.status == 201, response.body
    assert response.headers["content-type"] == "application/xml; charset=utf-8"
    assert int(response.headers["content-length"]) == len(response.body)
    assert "server" not in response.headers, "the framework's Server header leaks"
    token = response.headers["x-restsvcsessionid"]
    assert token
    assert response.headers["set-cookie"].startswith(f"X-RestSvcSessionId={token};")
    assert response.headers["location"].startswith(f"{server.base}/api/logonSessions/")
    session = assert_valid(response.body)
    assert session.get("Href") == response.headers["location"]
    assert session.findtext(f"{NS}SessionId") == response.headers["location"].rsplit("/", 1)[1]


def test_seed_request_with_curl(curl: str, server: Server) -> None:
    """`curl -s -H "X-RestSvcSessionId: <token>" …/api/cloud/vmReplicaPoints` → the page's six Refs,
    every Href built on 127.0.0.1:PORT."""
    token = curl_logon(curl, server).headers["x-restsvcsessionid"]
    done = subprocess.run(
        [curl, "-s", "-H", f"X-RestSvcSessionId: {token}", f"{server.base}/api/cloud/vmReplicaPoints"],
        capture_output=True,
        timeout=30,
        check=False,
    )
    assert done.returncode == 0, done.stderr.decode()
    sample = seed_sample_xml()
    assert_valid(done.stdout)
    assert canonical(done.stdout) == canonical(rebase(sample, server.base))
    assert ref_names(done.stdout) == ref_names(sample)
    hrefs = [e.get("Href") for e in etree.fromstring(done.stdout).iter() if e.get("Href")]
    assert len(hrefs) == 6 * 4
    assert all(href.startswith(f"{server.base}/api/") for href in hrefs)


def test_logoff_with_curl_kills_the_token(curl: str, server: Server) -> None:
    """`curl -X DELETE` the logon session → 204 and no body; the token then gets 401."""
    logon = curl_logon(curl, server)
    token, location = logon.headers["x-restsvcsessionid"], logon.headers["location"]
    points = f"{server.base}/api/cloud/vmReplicaPoints"
    assert run_curl(curl, "-H", f"X-RestSvcSessionId: {token}", points).status == 200
    deleted = run_curl(curl, "-X", "DELETE", "-H", f"X-RestSvcSessionId: {token}", location)
    assert deleted.status == 204
    assert deleted.body == b""
    after = run_curl(curl, "-H", f"X-RestSvcSessionId: {token}", points)
    assert after.status == 401
    assert after.headers["www-authenticate"] == "Basic Realm=RestSvc"
    assert assert_valid(after.body).tag == f"{NS}Error"


def test_time_to_first_response_of_default_serve(
    tmp_path: Path, capsys: pytest.CaptureFixture[str], record_property: Callable[[str, object], None]
) -> None:
    """From process start to the first 200 of `GET /api/` for a default `mock-em serve` (default
    generated world; only the port is chosen, to be free). Printed so it can be quoted. The
    server also stops cleanly on SIGTERM."""
    port = free_port()
    server, elapsed = start_server(["--port", str(port)], port, tmp_path / "server.log")
    try:
        with urllib.request.urlopen(f"{server.base}/api/", timeout=5) as response:
            assert b"<EnterpriseManager" in response.read()
    finally:
        server.stop()
    # uvicorn shuts down gracefully, then re-raises the signal: -SIGTERM (not -SIGKILL from `stop`).
    assert server.process.returncode in (0, -signal.SIGTERM), server.output()
    assert "Traceback" not in server.output()
    record_property("time_to_first_response_s", round(elapsed, 3))
    with capsys.disabled():
        print(f"\nmock-em serve (default world): first 200 of GET /api/ after {elapsed:.2f} s")
    assert elapsed < 30


def test_busy_port_fails_readably() -> None:
    """A port already in use: the process exits non-zero with uvicorn's one-line reason and no traceback."""
    with socket.socket() as taken:
        taken.bind(("127.0.0.1", 0))
        taken.listen()
        port = taken.getsockname()[1]
        command = [sys.executable, "-m", "mock_em", "serve", "--host", "127.0.0.1", "--port", str(port)]
        done = subprocess.run(command, capture_output=True, text=True, env=_clean_env(), timeout=30, check=False)
    assert done.returncode != 0
    assert "address already in use" in done.stderr.lower()
    assert "Traceback" not in done.stderr, done.stderr
