"""From Settings to a running server: build the world, the EM and the app, then serve them.

One process serves by default. With `--redis-url` the process joins an EM whose sessions, start
instant and control-plane changes are shared through Redis (`mock_em.store`), so that several
processes (`--workers N`, or containers behind one load balancer) answer as one. With
`--workers N` this process binds the ports and hands them to the supervisor in `mock_em.workers`,
which starts N worker processes serving the same sockets.
"""

from __future__ import annotations

import asyncio
import contextlib
import signal
import socket
import sys
import tempfile
import threading
from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from pathlib import Path

import uvicorn
from fastapi import FastAPI
from starlette.types import ASGIApp

from mock_em import __version__
from mock_em.api import errors
from mock_em.api.recorder import OutageJournal
from mock_em.api.replication import Replication
from mock_em.app import canonical_paths, create_app
from mock_em.generator import WorldSize, generate_world
from mock_em.model.clock import Clock
from mock_em.model.enterprise_manager import EnterpriseManager
from mock_em.model.fixture import load_world
from mock_em.model.world import World
from mock_em.settings import DEFAULT_USER, Settings, SettingsError
from mock_em.store import SharedStore, connect, redacted_url
from mock_em.store.clock import ReplicatedClock, pinned
from mock_em.store.compaction import Compactor, SharedState
from mock_em.store.outage import Outage, OutageGuard
from mock_em.store.sessions import RedisSessionStore
from mock_em.store.shared_state import SnapshotError
from mock_em.tls import TlsFiles, default_hosts, make_self_signed

DEMO_JOB_FAILURE_RATE = 0.1  # demo mode: one VM task in ten fails, so runs fail and retry to watch


def world_size(settings: Settings) -> WorldSize:
    """The generator's size knobs from settings."""
    return settings.world_size


def clock_for(settings: Settings, epoch: float | None = None) -> Clock:
    """The clock these settings describe; with `epoch`, one that several processes read alike."""
    start = settings.clock_start
    # The demo clock runs, from --clock or now, at --clock-rate; otherwise --clock freezes it.
    frozen = start is not None and not settings.demo
    rate = settings.clock_rate if settings.demo else 1.0
    if epoch is None:
        return Clock(start, frozen=frozen, rate=rate)
    return ReplicatedClock(start, frozen=frozen, rate=rate, epoch=epoch)


def build_em(settings: Settings, clock: Clock | None = None) -> EnterpriseManager:
    """The EM these settings describe: a fixture's world, or one generated for the seed."""
    if clock is None:
        clock = clock_for(settings)
    seed = settings.seed
    if settings.fixture:
        path = settings.fixture
        world, fixture_seed = load_world(path)
        seed = fixture_seed if fixture_seed is not None else seed

        def origin() -> World:
            return load_world(path)[0]
    else:
        size, started = world_size(settings), clock.now()
        world = generate_world(seed, size, started)

        def origin() -> World:
            return generate_world(seed, size, started)

    em = EnterpriseManager.create(
        world,
        settings.accounts,
        seed=seed,
        clock=clock,
        idle_timeout=settings.idle_timeout_delta,
        machine_name=settings.machine_name,
        origin=origin,
        deterministic_sessions=settings.deterministic_sessions,
        instants=settings.profile.instants,
    )
    em.live = settings.demo
    em.unusual_state_rate = settings.unusual_state_rate if settings.demo else 0.0
    if settings.demo:
        em.fail_jobs_often(DEMO_JOB_FAILURE_RATE)
    return em


@dataclass
class Served:
    """What one process serves: the ASGI app, the FastAPI app inside it, the EM behind both, and
    the replication layer when the EM is shared."""

    app: ASGIApp
    fastapi: FastAPI
    em: EnterpriseManager
    replication: Replication | None = None


def build_served(settings: Settings, store: SharedStore | None = None) -> Served:
    """The app for these settings: on its own, or as one process of the EM that `store` holds."""
    if store is None:
        em = build_em(settings)
        app = create_app(em, settings)
        return Served(app, app, em)
    clock = clock_for(settings, store.epoch)
    with pinned(store.epoch):  # every process builds the world as of the instant the first one started
        em = build_em(settings, clock)
    em.sessions = RedisSessionStore(
        store.client,
        store.prefix,
        clock,
        em.seed,
        settings.idle_timeout_delta,
        deterministic=settings.deterministic_sessions,
    )
    app = create_app(em, settings)
    try:
        replication = Replication(
            app,
            store.log(),
            control_token=settings.control_token,
            floor=store.epoch,
            compactor=Compactor(store.client, store.prefix, settings.compact_every),
            state=SharedState(em, app.state.faults),
            kept=store.kept(),
        )
    except SnapshotError as exc:  # (the shared settings carry the format, so only a hand-written key gets here)
        raise SettingsError(
            f"redis-url: {store.url} (prefix {store.prefix!r}) holds a control snapshot this mock-em cannot read "
            f"({exc}); use another --redis-prefix, or delete that EM's keys"
        ) from None
    app.state.outage = outage = Outage(store.probe or store.client, store.url)
    refusals = OutageJournal(app, canonical_paths(settings.release))  # its 503s journaled as the recorder would
    guard = OutageGuard(replication, app, outage, errors.unavailable(app), worker=replication.worker, refusals=refusals)
    return Served(guard, app, em, replication)


def app_from_environment() -> ASGIApp:
    """An app from `MOCK_EM_*` variables alone, for ASGI servers that import a factory
    (`uvicorn --factory mock_em.server:app_from_environment`); several such processes with one
    `MOCK_EM_REDIS_URL` are one EM."""
    settings = Settings.from_sources()
    return build_served(settings, connect(settings) if settings.redis_url else None).app


def tls_files(settings: Settings) -> TlsFiles:
    """The user's certificate, or a self-signed CA and certificate made now."""
    if settings.tls_cert and settings.tls_key:
        files = TlsFiles(Path(settings.tls_cert), Path(settings.tls_key), None)
        for name, path in (("tls-cert", files.cert), ("tls-key", files.key)):
            if not path.is_file():
                raise SettingsError(f"{name}: cannot read {path}")
        return files
    folder = Path(settings.tls_dir) if settings.tls_dir else Path(tempfile.mkdtemp(prefix="mock-em-tls-"))
    return make_self_signed(folder, default_hosts([*settings.tls_host, settings.host]))


def banner(settings: Settings, em: EnterpriseManager, tls: TlsFiles | None) -> str:
    """What a person starting mock-em needs to know: where it listens and how to log on.

    Only the documented default password is shown; one given with --user stays out of the logs."""
    world = em.world
    account = settings.accounts[0]
    default = DEFAULT_USER.split(":", 1)
    shown_password = account.password if [account.user_name, account.password] == default else "(as configured)"
    lines = [
        f"mock-em {__version__}: Enterprise Manager {settings.release} on http://{settings.host}:{settings.port}/api/",
        f"  world: seed {em.seed}, {len(world.tenants)} tenants, {len(world.replicas)} replicas, "
        f"{len(world.points)} restore points",
        f"  log on as {account.user_name} / {shown_password}; control plane at /mock (docs: /mock/docs)",
    ]
    if tls is not None:
        lines.append(f"  HTTPS on port {settings.tls_port}" + (f", trust the CA in {tls.ca}" if tls.ca else ""))
    if em.sessions.deterministic:
        lines.append(
            f"  deterministic sessions: ids and tokens follow seed {em.seed}; anyone who can reach this server "
            "can predict them (for tests only)"
        )
    if settings.demo:
        lines.append(f"  demo: the world lives, clock rate {settings.clock_rate:g}")
    if settings.redis_url:
        workers = f"{settings.workers} worker processes" if settings.workers > 1 else "this process"
        lines.append(
            f"  shared: {workers} in the EM kept in {redacted_url(settings.redis_url)} (prefix {settings.redis_prefix})"
        )
    return "\n".join(lines)


Listener = tuple[str, int, TlsFiles | None]  # setting name, port, TLS files (None: plain HTTP)


def serve(settings: Settings) -> None:
    """Run the server (HTTP on the port, and HTTPS on the TLS port when asked) until stopped."""
    tls = tls_files(settings) if settings.tls else None
    # Bind every port before anything starts: a taken port is a readable error, never a half-started server.
    listeners: list[Listener] = [("port", settings.port, None)]
    if tls is not None:
        listeners.append(("tls-port", settings.tls_port, tls))
    sockets = [bind(settings.host, port, name) for name, port, _ in listeners]
    store = connect(settings) if settings.redis_url else None  # an unusable Redis is a readable error too
    if settings.workers > 1:
        from mock_em.workers import run_workers  # the supervisor builds on this module

        run_workers(settings, listeners, sockets)
        return
    served = build_served(settings, store)
    served.fastapi.state.tls = tls
    servers = uvicorn_servers(served.app, settings, listeners, sockets)
    print(banner(settings, served.em, tls), file=sys.stderr, flush=True)
    asyncio.run(serve_all(servers, prepare=served.replication.catch_up if served.replication else None))


def uvicorn_servers(
    app: ASGIApp, settings: Settings, listeners: list[Listener], sockets: list[socket.socket]
) -> list[tuple[uvicorn.Server, socket.socket]]:
    """One uvicorn server per listener, all serving `app`."""
    # A bounded graceful shutdown: a request held by a latency fault must not hold `docker stop`.
    common = {
        "log_level": settings.log_level.lower(),
        "access_log": False,
        "server_header": False,
        "date_header": False,  # the app dates each answer by the EM's clock (mock_em.app)
        "timeout_graceful_shutdown": 1,
    }
    servers = []
    for (_, _, files), sock in zip(listeners, sockets, strict=True):
        ssl = {"ssl_certfile": str(files.cert), "ssl_keyfile": str(files.key), "lifespan": "off"} if files else {}
        config = uvicorn.Config(app, host=settings.host, port=sock.getsockname()[1], **common, **ssl)
        servers.append((uvicorn.Server(config), sock))
    return servers


def bind(host: str, port: int, setting: str) -> socket.socket:
    """A listening-ready socket on host:port, or SettingsError naming the setting."""
    family = socket.AF_INET6 if ":" in host else socket.AF_INET
    sock = socket.socket(family, socket.SOCK_STREAM)
    sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
    # Accepted connections inherit this: without it small answers wait for the peer's delayed ACK.
    sock.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)
    try:
        sock.bind((host, port))
    except OSError as exc:
        sock.close()
        raise SettingsError(f"{setting}: cannot listen on {host}:{port}: {exc.strerror or exc}") from None
    sock.set_inheritable(True)
    return sock


async def serve_all(
    servers: list[tuple[uvicorn.Server, socket.socket]],
    prepare: Callable[[], Awaitable[None]] | None = None,
    on_started: Callable[[], None] | None = None,
) -> None:
    """Serve every listener; when one is told to stop (SIGTERM, SIGINT), all stop.

    `prepare` runs first (a shared EM catches up with the control log before its first answer);
    `on_started` is called once every listener accepts connections.
    """
    if prepare is not None:
        await prepare()
    if threading.current_thread() is threading.main_thread():
        _stop_all_on_signals(servers)

    async def follow() -> None:
        announced = on_started is None
        while not any(server.should_exit for server, _ in servers):
            if not announced and all(server.started for server, _ in servers):
                announced = True
                on_started()  # type: ignore[misc]  # not None when not announced
            await asyncio.sleep(0.05)
        for server, _ in servers:
            server.should_exit = True

    await asyncio.gather(follow(), *(server.serve(sockets=[sock]) for server, sock in servers))


def _stop_all_on_signals(servers: list[tuple[uvicorn.Server, socket.socket]]) -> None:
    """SIGTERM and SIGINT stop every listener gracefully and the process exits 0; a second SIGINT
    forces it. (uvicorn's own handlers stop one server and re-raise the signal afterwards, which
    turns Ctrl-C into a KeyboardInterrupt traceback.)"""
    loop = asyncio.get_running_loop()

    def stop(sig: signal.Signals) -> None:
        for server, _ in servers:
            if server.should_exit and sig == signal.SIGINT:
                server.force_exit = True
            server.should_exit = True

    for sig in (signal.SIGINT, signal.SIGTERM):
        loop.add_signal_handler(sig, stop, sig)
    for server, _ in servers:
        server.capture_signals = contextlib.nullcontext  # type: ignore[method-assign]
