"""A throwaway `redis-server` (Debian's package) for tests and local trials of `--workers`.

It keeps nothing on disk (`--save ''`, no append-only file) unless asked to persist (an
append-only file synced on every write, so that data outlives a stop and a start, as a production
Redis's does), and lives in a temporary folder; it listens on a Unix socket by default (no
free-port race) or on a loopback TCP port, optionally with a password (`requirepass`) or with TLS
(a `rediss://` URL; the `TlsFiles` of `mock_em.tls`). `stop_server` and `start_server` stop it and
start it again on the same port and folder, as an outage does.
"""

from __future__ import annotations

import contextlib
import shutil
import socket
import ssl
import subprocess
import tempfile
import time
from pathlib import Path
from types import TracebackType

from mock_em.tls import TlsFiles


def redis_server_binary() -> str | None:
    """The `redis-server` program on PATH, or None (`apt-get install redis-server`)."""
    return shutil.which("redis-server")


def free_port() -> int:
    """A loopback TCP port nobody listens on right now."""
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


class RedisServer:
    """`with RedisServer() as server: ... server.url ...`: a private Redis until the block ends."""

    def __init__(
        self,
        *,
        tcp: bool = False,
        start_timeout: float = 10.0,
        password: str | None = None,
        tls: TlsFiles | None = None,
        persist: bool = False,
    ) -> None:
        binary = redis_server_binary()
        if binary is None:
            raise FileNotFoundError("redis-server is not installed (apt-get install redis-server)")
        self.folder = Path(tempfile.mkdtemp(prefix="mock-em-redis-"))  # short: a socket path has ~100 bytes
        tcp = tcp or tls is not None
        self.port = free_port() if tcp else 0
        self.socket_path = self.folder / "redis.sock"
        self.tls = tls
        self.password = password
        durable = ["--appendonly", "yes", "--appendfsync", "always"] if persist else ["--appendonly", "no"]
        plain_port = "0" if tls else str(self.port)
        args = [binary, "--port", plain_port, "--bind", "127.0.0.1", "--save", "", *durable]
        args += ["--dir", str(self.folder), "--daemonize", "no", "--loglevel", "warning"]
        if not tcp:
            args += ["--unixsocket", str(self.socket_path), "--unixsocketperm", "700"]
        if password is not None:
            args += ["--requirepass", password]
        if tls is not None:
            args += ["--tls-port", str(self.port), "--tls-cert-file", str(tls.cert), "--tls-key-file", str(tls.key)]
            args += ["--tls-auth-clients", "no"]
        scheme = "rediss" if tls else "redis"
        auth = f":{password}@" if password is not None else ""
        self.url = f"{scheme}://{auth}127.0.0.1:{self.port}/0" if tcp else f"unix://{self.socket_path}?db=0"
        self._args = args
        self._start_timeout = start_timeout
        self._log = self.folder / "redis.log"
        self.start_server()

    def start_server(self) -> None:
        """Start the server (again: same port, folder and data if it persists); wait until it answers."""
        with self._log.open("ab") as log:  # a file, not a pipe: a pipe nobody reads can fill and stall it
            self._process = subprocess.Popen(self._args, stdout=log, stderr=subprocess.STDOUT)
        self._wait_ready(self._start_timeout)

    def stop_server(self) -> None:
        """Stop the server (SIGTERM: a persisting one has every write on disk) and keep its folder."""
        if self._process.poll() is None:
            self._process.terminate()
            try:
                self._process.wait(5)
            except subprocess.TimeoutExpired:
                self._process.kill()
                self._process.wait(5)

    def _wait_ready(self, timeout: float) -> None:
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            if self._process.poll() is not None:
                output = self._log.read_text(errors="replace")
                self.stop()
                raise RuntimeError(f"redis-server exited at start: {output.strip()}")
            if self._answers():
                return
            time.sleep(0.02)
        self.stop()
        raise RuntimeError(f"redis-server did not answer within {timeout:g}s")

    def _answers(self) -> bool:
        family, address = (
            (socket.AF_INET, ("127.0.0.1", self.port)) if self.port else (socket.AF_UNIX, str(self.socket_path))
        )
        with contextlib.suppress(OSError), socket.socket(family, socket.SOCK_STREAM) as raw:
            raw.settimeout(1)
            raw.connect(address)
            sock = raw
            if self.tls is not None:
                context = ssl.create_default_context(cafile=str(self.tls.ca) if self.tls.ca else None)
                context.check_hostname, context.verify_mode = False, ssl.CERT_NONE
                sock = context.wrap_socket(raw)
            sock.sendall(b"PING\r\n")
            reply = sock.recv(16)
            # With a password, an unauthenticated PING is refused: the server answers all the same.
            return reply.startswith(b"+PONG") or reply.startswith(b"-NOAUTH")
        return False

    def stop(self) -> None:
        """Stop the server and remove its folder."""
        self.stop_server()
        shutil.rmtree(self.folder, ignore_errors=True)

    def __enter__(self) -> RedisServer:
        return self

    def __exit__(
        self, kind: type[BaseException] | None, error: BaseException | None, trace: TracebackType | None
    ) -> None:
        self.stop()
