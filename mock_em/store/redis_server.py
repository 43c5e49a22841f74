"""A throwaway `redis-server` (Debian's package) for tests and local trials of `--workers`.

It keeps nothing on disk (`--save ''`, no append-only file) and lives in a temporary folder; it
listens on a Unix socket by default (no free-port race) or on a loopback TCP port.
"""

from __future__ import annotations

import contextlib
import shutil
import socket
import subprocess
import tempfile
import time
from pathlib import Path
from types import TracebackType


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

    def __init__(self, *, tcp: bool = False, start_timeout: float = 10.0) -> None:
        binary = redis_server_binary()
        if binary is None:
            raise FileNotFoundError("redis-server is not installed (apt-get install redis-server)")
        self.folder = Path(tempfile.mkdtemp(prefix="mock-em-redis-"))  # short: a socket path has ~100 bytes
        self.port = free_port() if tcp else 0
        self.socket_path = self.folder / "redis.sock"
        args = [binary, "--port", str(self.port), "--bind", "127.0.0.1", "--save", "", "--appendonly", "no"]
        args += ["--dir", str(self.folder), "--daemonize", "no", "--loglevel", "warning"]
        if not tcp:
            args += ["--unixsocket", str(self.socket_path), "--unixsocketperm", "700"]
        self.url = f"redis://127.0.0.1:{self.port}/0" if tcp else f"unix://{self.socket_path}?db=0"
        self._log = self.folder / "redis.log"
        with self._log.open("wb") as log:  # a file, not a pipe: a pipe nobody reads can fill and stall it
            self._process = subprocess.Popen(args, stdout=log, stderr=subprocess.STDOUT)
        self._wait_ready(start_timeout)

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
        with contextlib.suppress(OSError), socket.socket(family, socket.SOCK_STREAM) as sock:
            sock.settimeout(1)
            sock.connect(address)
            sock.sendall(b"PING\r\n")
            return sock.recv(16).startswith(b"+PONG")
        return False

    def stop(self) -> None:
        """Stop the server and remove its folder."""
        if self._process.poll() is None:
            self._process.terminate()
            try:
                self._process.wait(5)
            except subprocess.TimeoutExpired:
                self._process.kill()
                self._process.wait(5)
        shutil.rmtree(self.folder, ignore_errors=True)

    def __enter__(self) -> RedisServer:
        return self

    def __exit__(
        self, kind: type[BaseException] | None, error: BaseException | None, trace: TracebackType | None
    ) -> None:
        self.stop()
