"""The worker supervisor of `mock-em serve --workers N`: N processes serving one EM on the same sockets.

The parent binds the ports (`mock_em.server.serve`), then starts N spawned worker processes that
each join the EM kept in Redis and serve the inherited sockets. It reports the first failure of
any worker as a one-line error and prints worker 0's banner once all serve. Afterwards it replaces
a worker that dies (SIGKILL, out of memory): sessions, world edits and clock changes live in Redis,
so the successor joins the same EM as a late process would. Connections the dead worker had
accepted are lost; the listening socket is shared, so connections still waiting in its queue are
served by the others. A worker that dies before it serves (say Redis is unreachable), or keeps
dying once it serves, is started again after a doubling delay, so the supervisor never spins; it
never gives up either, so the EM recovers by itself once the cause goes away. While a place waits
like that, the supervisor pings Redis itself: when Redis, away during the wait, answers again, the
successor starts at once instead of when the delay a long outage built up runs out.
"""

from __future__ import annotations

import asyncio
import multiprocessing
import signal
import socket
import sys
import threading
import time
from dataclasses import dataclass
from multiprocessing.connection import Connection, wait
from multiprocessing.process import BaseProcess
from typing import Any

from mock_em.server import Listener, banner, build_served, serve_all, uvicorn_servers
from mock_em.settings import Settings, SettingsError
from mock_em.store import client_options, connect

STARTUP_FAILURE = 3  # a worker's exit status when it could not build its EM or app
BACKOFF_FIRST = 0.5  # seconds before restarting a worker that died before serving; doubles each time
BACKOFF_LIMIT = 30.0  # the longest such wait
CRASH_WINDOW = 60.0  # a worker that served counts as crashing in a loop after a second death in this time
STOP_GRACE = 10.0  # seconds a worker gets to finish its requests after SIGTERM


@dataclass(frozen=True, slots=True)
class _Report:
    """A worker's word to the parent: it serves (with the banner, from worker 0), or why it cannot."""

    index: int
    error: str | None = None
    banner: str | None = None


def _worker(
    settings: Settings, index: int, listeners: list[Listener], sockets: list[socket.socket], report: Connection
) -> None:
    """One worker process (spawned, so nothing is shared by accident): join the EM, serve the sockets.

    Its reports go down a pipe of its own: a worker killed mid-report can break only that pipe,
    never a lock the other workers' reports would wait on (as with one shared queue)."""
    try:
        served = build_served(settings, connect(settings))
    except Exception as exc:  # every failure becomes the parent's one-line error
        text = str(exc) if isinstance(exc, ValueError | OSError) and str(exc) else f"{type(exc).__name__}: {exc}"
        report.send(_Report(index, error=text))
        sys.exit(STARTUP_FAILURE)
    tls = listeners[-1][2]
    served.fastapi.state.tls = tls
    servers = uvicorn_servers(served.app, settings, listeners, sockets)

    def started() -> None:
        report.send(_Report(index, banner=banner(settings, served.em, tls) if index == 0 else None))

    assert served.replication is not None
    asyncio.run(serve_all(servers, prepare=served.replication.catch_up, on_started=started))


@dataclass(slots=True)
class _Slot:
    """One worker place: its current process, the parent's end of its report pipe, whether the
    process served, and how many workers in this place in a row died before serving."""

    process: BaseProcess
    reports: Connection
    successor: bool = False  # it replaces a worker that died
    served: bool = False
    error: str | None = None  # why it could not start, as it reported
    failed_starts: int = 0
    deaths: tuple[float, ...] = ()  # when workers in this place died within CRASH_WINDOW (monotonic)
    restart_at: float | None = None  # set once it died: when its successor is due (monotonic)
    store_away: bool = False  # Redis did not answer the supervisor since a worker in this place last served


class _StoreWatch:
    """Whether the EM's Redis answers a ping from the supervisor (with the workers' short timeouts,
    so a Redis that hangs costs the supervisor's loop about a second per look, no more)."""

    def __init__(self, settings: Settings) -> None:
        self.settings = settings
        self._client: Any = None

    def answers(self) -> bool:
        """Redis answers now."""
        try:
            if self._client is None:
                import redis  # present: the parent connected before it started the workers

                self._client = redis.Redis.from_url(self.settings.redis_url, **client_options(self.settings))
            return bool(self._client.ping())
        except Exception:  # unreachable, refused, timed out, loading, a wrong password: not usable
            return False


class _Workers:
    """The parent's view of its worker processes."""

    def __init__(self, settings: Settings, listeners: list[Listener], sockets: list[socket.socket]) -> None:
        self.context = multiprocessing.get_context("spawn")  # fork would copy a half-started event loop
        self.settings, self.listeners, self.sockets = settings, listeners, sockets
        self.slots: list[_Slot] = []
        self.store = _StoreWatch(settings)

    def start(self, index: int) -> _Slot:
        """A new worker in place `index`, with a fresh report pipe."""
        ours, theirs = self.context.Pipe(duplex=False)
        process = self.context.Process(
            target=_worker,
            args=(self.settings, index, self.listeners, self.sockets, theirs),
            name=f"mock-em-worker-{index}",
        )
        process.start()
        theirs.close()  # the child holds its own copy
        return _Slot(process, ours)

    @staticmethod
    def _read(slot: _Slot) -> _Report | None:
        """The slot's next report, or None when none is waiting (or its worker is gone)."""
        try:
            return slot.reports.recv() if slot.reports.poll() else None
        except (EOFError, OSError):
            return None

    def wait_ready(self, stop: threading.Event) -> str:
        """Block until every worker serves; the banner, or SettingsError with the first failure."""
        text = ""
        while not all(slot.served for slot in self.slots):
            if stop.is_set():
                raise KeyboardInterrupt
            waiting = [slot for slot in self.slots if not slot.served]
            wait([s.reports for s in waiting] + [s.process.sentinel for s in waiting], timeout=0.2)
            for slot in waiting:
                dead = not slot.process.is_alive()  # before reading: a report sent before dying is read
                report = self._read(slot)
                if report is not None and report.error is not None:
                    raise SettingsError(report.error)
                if report is not None:
                    slot.served = True
                    text = report.banner or text
                elif dead:
                    index, status = self.slots.index(slot), slot.process.exitcode
                    raise SettingsError(f"worker {index} exited with status {status} before serving")
        return text

    def supervise(self, stop: threading.Event) -> None:
        """Until told to stop: replace a worker that dies (it rejoins the EM from Redis)."""
        while not stop.is_set():
            live = [slot for slot in self.slots if slot.restart_at is None]
            due = [slot.restart_at for slot in self.slots if slot.restart_at is not None]
            timeout = min([0.5] + [max(0.0, at - time.monotonic()) for at in due])
            wait([s.process.sentinel for s in live] + [s.reports for s in live if not s.served], timeout=timeout)
            if stop.is_set():
                return
            self._watch_store()
            for index, slot in enumerate(self.slots):
                self._look_after(index, slot)

    def _watch_store(self) -> None:
        """While places wait to retry a worker that could not start, ping Redis once per look; a
        place that saw Redis away since its last worker served retries at once when it answers
        again (its workers most likely died for want of Redis, and the doubling delay a long
        outage reached would otherwise leave the EM a worker short for up to BACKOFF_LIMIT after
        it ended), once: a successor that fails again waits as usual. A cause that is not Redis
        keeps the usual delays, since Redis answers throughout."""
        now = time.monotonic()
        waiting = [
            (index, slot)
            for index, slot in enumerate(self.slots)
            if slot.restart_at is not None and slot.restart_at > now and slot.failed_starts
        ]
        if not waiting:
            return
        answers = self.store.answers()
        for index, slot in waiting:
            if not answers:
                slot.store_away = True
            elif slot.store_away:
                slot.restart_at, slot.store_away = time.monotonic(), False
                print(f"mock-em: Redis answers again; starting worker {index} now", file=sys.stderr, flush=True)

    def _look_after(self, index: int, slot: _Slot) -> None:
        """Read a slot's report; when its worker died, say so and schedule a successor, after a
        doubling delay if it died before serving; start the successor when it is due."""
        if slot.restart_at is None:
            dead = not slot.process.is_alive()
            report = self._read(slot)
            if report is not None and report.error is not None:
                slot.error = report.error
            elif report is not None and not slot.served:
                slot.served, slot.store_away = True, False
                if slot.successor:
                    print(f"mock-em: worker {index} (pid {slot.process.pid}) serves", file=sys.stderr, flush=True)
            if not dead:
                return
            slot.process.join()
            slot.reports.close()
            now = time.monotonic()
            slot.deaths = (*(t for t in slot.deaths if now - t < CRASH_WINDOW), now)
            slot.failed_starts = 0 if slot.served else slot.failed_starts + 1
            # One death of a serving worker is replaced at once; deaths before serving, or a
            # serving worker dying again and again, wait longer each time.
            strikes = slot.failed_starts or len(slot.deaths) - 1
            delay = min(BACKOFF_LIMIT, BACKOFF_FIRST * 2 ** (strikes - 1)) if strikes else 0.0
            why = "" if slot.served else " before serving" + (f" ({slot.error})" if slot.error else "")
            print(
                f"mock-em: worker {index} (pid {slot.process.pid}) exited with status {slot.process.exitcode}{why}; "
                "starting another" + (f" in {delay:g}s" if delay else ""),
                file=sys.stderr,
                flush=True,
            )
            slot.restart_at = now + delay
        if slot.restart_at is not None and time.monotonic() >= slot.restart_at:
            successor = self.start(index)
            successor.successor, successor.failed_starts, successor.deaths = True, slot.failed_starts, slot.deaths
            successor.store_away = slot.store_away
            self.slots[index] = successor

    def stop_all(self) -> None:
        """SIGTERM every worker (uvicorn finishes its requests), then kill what is left."""
        processes = [slot.process for slot in self.slots if slot.restart_at is None]
        for process in processes:
            if process.is_alive():
                process.terminate()
        deadline = time.monotonic() + STOP_GRACE
        for process in processes:
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
        workers.slots = [workers.start(index) for index in range(settings.workers)]
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
