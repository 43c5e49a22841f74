"""The worker supervisor of `mock-em serve --workers N`: N processes serving one EM on the same sockets.

The parent binds the ports (`mock_em.server.serve`), then starts N spawned worker processes that
each join the EM kept in Redis and serve the inherited sockets. It reports the first failure of
any worker as a one-line error, prints worker 0's banner once all serve, and replaces a worker
that dies (the new one catches up from the shared log), giving up when workers keep dying.
"""

from __future__ import annotations

import asyncio
import multiprocessing
import queue
import signal
import socket
import sys
import threading
import time
from dataclasses import dataclass
from multiprocessing.connection import wait
from multiprocessing.process import BaseProcess
from typing import Any

from mock_em.server import Listener, banner, build_served, serve_all, uvicorn_servers
from mock_em.settings import Settings, SettingsError
from mock_em.store import connect

STARTUP_FAILURE = 3  # a worker's exit status when it could not build its EM or app
RESTART_LIMIT = 5  # replacements of dead workers allowed within RESTART_WINDOW seconds
RESTART_WINDOW = 60.0
STOP_GRACE = 10.0  # seconds a worker gets to finish its requests after SIGTERM


@dataclass(frozen=True, slots=True)
class _Report:
    """A worker's word to the parent: it serves (with the banner, from worker 0), or why it cannot."""

    index: int
    error: str | None = None
    banner: str | None = None


def _worker(
    settings: Settings, index: int, listeners: list[Listener], sockets: list[socket.socket], reports: Any
) -> None:
    """One worker process (spawned, so nothing is shared by accident): join the EM, serve the sockets."""
    try:
        served = build_served(settings, connect(settings))
    except Exception as exc:  # every failure becomes the parent's one-line error
        text = str(exc) if isinstance(exc, ValueError | OSError) and str(exc) else f"{type(exc).__name__}: {exc}"
        reports.put(_Report(index, error=text))
        sys.exit(STARTUP_FAILURE)
    tls = listeners[-1][2]
    served.fastapi.state.tls = tls
    servers = uvicorn_servers(served.app, settings, listeners, sockets)

    def started() -> None:
        reports.put(_Report(index, banner=banner(settings, served.em, tls) if index == 0 else None))

    assert served.replication is not None
    asyncio.run(serve_all(servers, prepare=served.replication.catch_up, on_started=started))


class _Workers:
    """The parent's view of its worker processes."""

    def __init__(self, settings: Settings, listeners: list[Listener], sockets: list[socket.socket]) -> None:
        self.context = multiprocessing.get_context("spawn")  # fork would copy a half-started event loop
        self.reports = self.context.Queue()
        self.settings, self.listeners, self.sockets = settings, listeners, sockets
        self.processes: list[BaseProcess] = []
        self.restarts: list[float] = []

    def start(self, index: int) -> BaseProcess:
        process = self.context.Process(
            target=_worker,
            args=(self.settings, index, self.listeners, self.sockets, self.reports),
            name=f"mock-em-worker-{index}",
        )
        process.start()
        return process

    def wait_ready(self, stop: threading.Event) -> str:
        """Block until every worker serves; the banner, or SettingsError with the first failure."""
        ready: set[int] = set()
        text = ""
        while len(ready) < len(self.processes):
            if stop.is_set():
                raise KeyboardInterrupt
            try:
                report: _Report = self.reports.get(timeout=0.2)
            except queue.Empty:
                dead = [i for i, p in enumerate(self.processes) if i not in ready and not p.is_alive()]
                if dead:
                    status = self.processes[dead[0]].exitcode
                    raise SettingsError(f"worker {dead[0]} exited with status {status} before serving") from None
                continue
            if report.error is not None:
                raise SettingsError(report.error)
            ready.add(report.index)
            text = report.banner or text
        return text

    def supervise(self, stop: threading.Event) -> None:
        """Until told to stop: replace a worker that dies (it rejoins the EM from the shared log)."""
        while not stop.is_set():
            wait([p.sentinel for p in self.processes], timeout=0.5)
            self._drain_reports()
            for index, process in enumerate(self.processes):
                if process.is_alive() or stop.wait(0.1):
                    continue
                now = time.monotonic()
                self.restarts = [t for t in self.restarts if now - t < RESTART_WINDOW] + [now]
                if len(self.restarts) > RESTART_LIMIT:
                    print(
                        f"mock-em: workers keep dying (worker {index}: status {process.exitcode}); stopping",
                        file=sys.stderr,
                        flush=True,
                    )
                    raise SystemExit(1)
                print(
                    f"mock-em: worker {index} (pid {process.pid}) exited with status {process.exitcode}; "
                    "starting another",
                    file=sys.stderr,
                    flush=True,
                )
                self.processes[index] = self.start(index)

    def _drain_reports(self) -> None:
        while True:
            try:
                report: _Report = self.reports.get_nowait()
            except queue.Empty:
                return
            if report.error is not None:
                print(f"mock-em: worker {report.index} could not start: {report.error}", file=sys.stderr, flush=True)

    def stop_all(self) -> None:
        """SIGTERM every worker (uvicorn finishes its requests), then kill what is left."""
        for process in self.processes:
            if process.is_alive():
                process.terminate()
        deadline = time.monotonic() + STOP_GRACE
        for process in self.processes:
            process.join(max(0.0, deadline - time.monotonic()))
            if process.is_alive():
                process.kill()
                process.join(5)


def run_workers(settings: Settings, listeners: list[Listener], sockets: list[socket.socket]) -> None:
    """Serve with `settings.workers` processes on the bound sockets until SIGINT or SIGTERM."""
    stop = threading.Event()
    previous = {sig: signal.signal(sig, lambda *_: stop.set()) for sig in (signal.SIGINT, signal.SIGTERM)}
    workers = _Workers(settings, listeners, sockets)
    try:
        workers.processes = [workers.start(index) for index in range(settings.workers)]
        try:
            text = workers.wait_ready(stop)
        except KeyboardInterrupt:
            return
        print(text, file=sys.stderr, flush=True)
        workers.supervise(stop)
    finally:
        workers.stop_all()
        for sig, handler in previous.items():
            signal.signal(sig, handler)
