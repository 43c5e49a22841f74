"""Redis as run in production: a password, TLS (`rediss://`), a key prefix per EM; and a Redis the
server cannot use refused at start with one readable line, the password never shown.

Each case starts a real `redis-server` (skipped without the binary; the TLS cases also when it was
built without TLS) and runs `python -m mock_em serve --workers 1 --redis-url ...` as a subprocess.
"""

from __future__ import annotations

import os
import socket
import subprocess
import sys
import threading
import time
from collections.abc import Iterator
from pathlib import Path

import httpx
import pytest

from mock_em.settings import Settings, SettingsError
from mock_em.store import connect
from mock_em.store.redis_server import RedisServer, free_port, redis_server_binary
from mock_em.tls import TlsFiles, make_self_signed

CLOCK = "2026-01-05T12:00:00Z"
PASSWORD = "s3cret-Redis-pw"
SMALL = ["--tenants", "1", "--replicas-per-tenant", "1", "--vms-per-replica", "1", "--points-per-vm", "2"]
ROOT = Path(__file__).resolve().parents[2]

pytestmark = pytest.mark.skipif(
    redis_server_binary() is None, reason="redis-server is not installed (apt-get install redis-server)"
)


@pytest.fixture(autouse=True)
def _redis_package() -> None:
    pytest.importorskip("redis", reason="the redis package is not installed: pip install -e '.[redis]'")


@pytest.fixture(scope="module")
def guarded() -> Iterator[RedisServer]:
    """A redis-server that requires a password."""
    with RedisServer(tcp=True, password=PASSWORD) as server:
        yield server


@pytest.fixture(scope="module")
def tls_files(tmp_path_factory: pytest.TempPathFactory) -> TlsFiles:
    """A private CA and a certificate for 127.0.0.1 signed by it."""
    return make_self_signed(tmp_path_factory.mktemp("redis-tls"), ["127.0.0.1", "localhost"])


@pytest.fixture(scope="module")
def secure(tls_files: TlsFiles) -> Iterator[RedisServer]:
    """A redis-server on TLS only, with a password; skipped when it was built without TLS."""
    try:
        server = RedisServer(tls=tls_files, password=PASSWORD)
    except RuntimeError as exc:
        pytest.skip(f"this redis-server does not serve TLS: {exc}")
    with server:
        yield server


def start(url: str, *extra: str) -> tuple[subprocess.Popen[str], int]:
    """`mock-em serve --workers 1 --redis-url url` on a free loopback port."""
    port = free_port()
    command = [sys.executable, "-m", "mock_em", "serve", "--workers", "1", "--host", "127.0.0.1"]
    command += ["--port", str(port), "--redis-url", url, "--clock", CLOCK, *SMALL, *extra]
    env = {**os.environ, "PYTHONPATH": str(ROOT)}
    process = subprocess.Popen(command, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE, text=True, env=env)
    return process, port


def refused(url: str, *extra: str) -> str:
    """The one line a server refusing this Redis writes; it exits non-zero without serving."""
    process, _ = start(url, *extra)
    try:
        _, stderr = process.communicate(timeout=60)
    finally:
        process.kill()
    assert process.returncode not in (0, None), stderr
    lines = stderr.strip().splitlines()
    assert len(lines) == 1, stderr
    assert "Traceback" not in stderr
    assert PASSWORD not in stderr and "wrong-pw" not in stderr
    return lines[0]


def serves(url: str, *extra: str) -> None:
    """The server starts on this Redis and is ready; then it stops cleanly."""
    process, port = start(url, *extra)
    try:
        deadline = time.monotonic() + 60
        while time.monotonic() < deadline:
            assert process.poll() is None, process.communicate()[1]
            try:
                ready = httpx.get(f"http://127.0.0.1:{port}/mock/ready", timeout=5)
            except httpx.HTTPError:
                time.sleep(0.1)
                continue
            assert ready.status_code == 200, ready.text
            logon = httpx.post(f"http://127.0.0.1:{port}/api/sessionMngr/?v=latest", auth=("Administrator", "P@ssw0rd"))
            assert logon.status_code == 201
            break
        else:
            raise AssertionError("not ready within 60s")
    finally:
        process.terminate()
        _, stderr = process.communicate(timeout=30)
    assert PASSWORD not in stderr
    assert "Traceback" not in stderr


def with_password(url: str, password: str, user: str = "") -> str:
    """`redis://host:port/0` → `redis://user:password@host:port/0`."""
    scheme, rest = url.split("://", 1)
    return f"{scheme}://{user}:{password}@{rest.split('@', 1)[-1]}"


def test_a_password_protected_redis_serves_with_the_password(guarded: RedisServer) -> None:
    """`redis://:pw@host:port/0` and `redis://default:pw@...` both work; the password is not logged."""
    serves(guarded.url)
    serves(with_password(guarded.url, PASSWORD, "default"), "--redis-prefix", "em-default:")


def test_a_wrong_or_missing_password_is_refused_in_one_line(guarded: RedisServer) -> None:
    """A wrong password, or none where one is required: one line, naming the URL without it."""
    wrong = refused(with_password(guarded.url, "wrong-pw"))
    assert wrong.startswith("mock-em: redis-url: cannot use redis://:***@127.0.0.1:"), wrong
    missing = refused(guarded.url.replace(f":{PASSWORD}@", ""))
    assert "cannot use redis://127.0.0.1:" in missing
    assert "Authentication" in missing or "NOAUTH" in missing, missing


def test_tls_serves_with_the_ca_and_is_refused_without(secure: RedisServer, tls_files: TlsFiles) -> None:
    """`rediss://` with `--redis-ca` (the private CA) serves; without it the system CAs do not know
    the certificate, and the refusal says so in one line."""
    assert secure.url.startswith("rediss://")
    serves(secure.url, "--redis-ca", str(tls_files.ca))
    line = refused(secure.url)
    assert line.startswith("mock-em: redis-url: cannot use rediss://:***@127.0.0.1:"), line
    assert "certificate" in line.lower() or "ssl" in line.lower(), line


def test_a_plain_client_of_a_tls_redis_is_refused(secure: RedisServer) -> None:
    """`redis://` to a TLS-only port: the server never speaks, and the refusal comes in bounded time."""
    started = time.monotonic()
    line = refused(secure.url.replace("rediss://", "redis://"))
    assert "cannot use redis://:***@" in line
    assert time.monotonic() - started < 30


def test_an_unreachable_redis_is_refused_in_one_line() -> None:
    """Nothing listens on the port."""
    line = refused(f"redis://:{PASSWORD}@127.0.0.1:{free_port()}/0")
    assert "cannot use redis://:***@127.0.0.1:" in line
    assert "refused" in line.lower() or "connect" in line.lower(), line


def test_a_server_that_is_not_redis_is_refused_in_one_line() -> None:
    """An HTTP server where Redis was expected."""
    listener = socket.socket()
    listener.bind(("127.0.0.1", 0))
    listener.listen()
    port = listener.getsockname()[1]
    stop = threading.Event()

    def answer_http() -> None:
        listener.settimeout(0.2)
        while not stop.is_set():
            try:
                conn, _ = listener.accept()
            except OSError:
                continue
            with conn:
                conn.recv(1024)
                conn.sendall(b"HTTP/1.1 400 Bad Request\r\nContent-Length: 0\r\nConnection: close\r\n\r\n")

    thread = threading.Thread(target=answer_http, daemon=True)
    thread.start()
    try:
        line = refused(f"redis://127.0.0.1:{port}/0")
    finally:
        stop.set()
        thread.join(5)
        listener.close()
    assert line.startswith(f"mock-em: redis-url: cannot use redis://127.0.0.1:{port}/0: "), line


def test_a_ca_file_that_is_not_there_is_refused(secure: RedisServer, tmp_path: Path) -> None:
    """`--redis-ca` naming no file; and `--redis-ca` without TLS."""
    assert "redis-ca: cannot read" in refused(secure.url, "--redis-ca", str(tmp_path / "none.pem"))
    assert "redis-ca: only with a rediss://" in refused("redis://127.0.0.1:1/0", "--redis-ca", str(tmp_path))


def test_each_prefix_is_an_em_of_its_own(guarded: RedisServer) -> None:
    """Two EMs with other settings on one Redis, each under its own prefix; the same prefix with
    other settings is refused."""
    common = {"clock": CLOCK, "tenants": 1, "redis_url": guarded.url}
    one = connect(Settings(**common, seed=1, redis_prefix="em-one:"))
    two = connect(Settings(**common, seed=2, redis_prefix="em-two:"))
    assert one.client.get("em-one:config") != two.client.get("em-two:config")
    with pytest.raises(SettingsError, match="already holds an EM with other settings"):
        connect(Settings(**common, seed=3, redis_prefix="em-one:"))
    one.client.close()
    two.client.close()
