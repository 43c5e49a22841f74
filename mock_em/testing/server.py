"""`MockEmServer`: mock-em on a real socket in a background thread, or an external one by URL.

A real socket (rather than an in-process transport) lets the code under test use its own HTTP
client, exactly as in production. The port is taken by binding port 0 before uvicorn starts, so
parallel runs (pytest-xdist workers, CI jobs on one host) never race for a port. Attaching to an
external server (a container, `mock-em serve` elsewhere) keeps the same interface, so a suite
written against the thread runs unchanged against the image that ships.
"""

from __future__ import annotations

import socket
import threading
import time
from dataclasses import replace
from types import TracebackType
from typing import Any, Self

import httpx

from mock_em.settings import Settings
from mock_em.testing.client import MockEmClient

START_TIMEOUT = 15.0


class MockEmServer:
    """One mock-em server: `start()`, `.url`, `client()`, `stop()`; also a context manager.

    `MockEmServer(tenants=2, seed=7)` runs a server in this process with those settings (any
    `Settings` field; host and port default to 127.0.0.1 and a free port).
    `MockEmServer(url="http://localhost:9399")` attaches to a server that is already running;
    `start()` then only waits until it answers, and `stop()` leaves it running.
    """

    def __init__(
        self,
        settings: Settings | None = None,
        *,
        url: str | None = None,
        control_token: str | None = None,
        **overrides: Any,
    ) -> None:
        if url is not None and (settings is not None or overrides):
            raise ValueError("an external server (url=...) takes no settings: configure it where it runs")
        self._external_url = url.rstrip("/") if url else None
        if url is None:
            if control_token is not None:
                overrides["control_token"] = control_token
            base = settings if settings is not None else Settings(host="127.0.0.1", port=0)
            if overrides:
                if isinstance(overrides.get("user"), str):
                    overrides["user"] = (overrides["user"],)
                elif "user" in overrides:
                    overrides["user"] = tuple(overrides["user"])
                base = replace(base, **overrides)
            settings = base
        if settings is not None and settings.tls:
            raise ValueError("MockEmServer serves plain HTTP; for HTTPS run `mock-em serve --tls` and attach by url")
        self.settings = settings
        self.control_token = (
            control_token if control_token is not None else (settings.control_token if settings else None)
        )
        self._server: Any = None
        self._thread: threading.Thread | None = None
        self._socket: socket.socket | None = None
        self._url: str | None = self._external_url

    # -- lifecycle ----------------------------------------------------------------------------

    @property
    def external(self) -> bool:
        """True when attached to a server this object did not start."""
        return self._external_url is not None

    @property
    def running(self) -> bool:
        """True between a successful `start()` and `stop()`."""
        if self.external:
            return self._url is not None
        return self._thread is not None and self._thread.is_alive()

    @property
    def url(self) -> str:
        """Base URL, e.g. `http://127.0.0.1:54321` (append `/api` for the vendor API)."""
        if self._url is None:
            raise RuntimeError("the server is not started: call start() or use it as a context manager")
        return self._url

    @property
    def api_url(self) -> str:
        """The vendor API's base URL."""
        return f"{self.url}/api"

    def start(self) -> Self:
        """Start the thread (or check the external server answers); returns self once it serves."""
        if self.external:
            self._wait_healthy()
            return self
        if self.running:
            return self
        import uvicorn

        from mock_em.app import create_app
        from mock_em.server import build_em

        settings = self.settings
        assert settings is not None
        sock = socket.socket(socket.AF_INET6 if ":" in settings.host else socket.AF_INET, socket.SOCK_STREAM)
        sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        sock.bind((settings.host, settings.port))
        sock.listen(128)
        port = sock.getsockname()[1]
        config = uvicorn.Config(
            create_app(build_em(settings), settings),
            log_level=settings.log_level.lower(),
            access_log=False,
            server_header=False,
            date_header=False,  # the app dates each answer by the EM's clock
            lifespan="off",
            timeout_graceful_shutdown=2,
        )
        self._server = uvicorn.Server(config)
        self._socket = sock
        self._thread = threading.Thread(
            target=self._server.run, kwargs={"sockets": [sock]}, name=f"mock-em:{port}", daemon=True
        )
        self._thread.start()
        host = settings.host if settings.host not in ("0.0.0.0", "::", "") else "127.0.0.1"
        self._url = f"http://{f'[{host}]' if ':' in host else host}:{port}"
        deadline = time.monotonic() + START_TIMEOUT
        while not self._server.started:
            if not self._thread.is_alive():
                self._cleanup()
                raise RuntimeError("mock-em failed to start (see the log above)")
            if time.monotonic() > deadline:
                self.stop()
                raise RuntimeError(f"mock-em did not start within {START_TIMEOUT:.0f} s")
            time.sleep(0.005)
        return self

    def stop(self) -> None:
        """Stop the thread and free the port; an external server is left running."""
        if self.external:
            return
        if self._server is not None and self._thread is not None:
            self._server.should_exit = True
            self._thread.join(timeout=5)
            if self._thread.is_alive():
                self._server.force_exit = True
                self._thread.join(timeout=5)
        self._cleanup()

    def _cleanup(self) -> None:
        if self._socket is not None:
            self._socket.close()
        self._socket = None
        self._server = None
        self._thread = None
        self._url = None

    def _wait_healthy(self) -> None:
        """Poll `/mock/health` of the external server until it answers 200."""
        deadline = time.monotonic() + START_TIMEOUT
        last: object = None
        while time.monotonic() < deadline:
            try:
                if httpx.get(f"{self.url}/mock/health", timeout=2).status_code == 200:
                    return
            except httpx.TransportError as exc:
                last = exc
            time.sleep(0.1)
        raise RuntimeError(f"mock-em at {self.url} did not answer /mock/health within {START_TIMEOUT:.0f} s: {last!r}")

    def client(self) -> MockEmClient:
        """A control-plane client for this server (close it, or use it as a context manager)."""
        return MockEmClient(self.url, control_token=self.control_token)

    def __enter__(self) -> Self:
        return self.start()

    def __exit__(self, kind: type[BaseException] | None, exc: BaseException | None, tb: TracebackType | None) -> None:
        self.stop()

    def __repr__(self) -> str:
        where = self._url or "not started"
        return f"MockEmServer({where}{', external' if self.external else ''})"
