"""From Settings to a running server: build the world, the EM and the app, then serve them."""

from __future__ import annotations

import asyncio
import socket
import sys
import tempfile
from pathlib import Path

import uvicorn

from mock_em import __version__
from mock_em.app import create_app
from mock_em.generator import WorldSize, generate_world
from mock_em.model.clock import Clock
from mock_em.model.enterprise_manager import EnterpriseManager
from mock_em.model.fixture import load_world
from mock_em.model.world import World
from mock_em.settings import Settings, SettingsError
from mock_em.tls import TlsFiles, default_hosts, make_self_signed


def world_size(settings: Settings) -> WorldSize:
    """The generator's size knobs from settings."""
    return WorldSize(
        backup_servers=settings.backup_servers,
        tenants=settings.tenants,
        replicas_per_tenant=settings.replicas_per_tenant,
        vms_per_replica=settings.vms_per_replica,
        points_per_vm=settings.points_per_vm,
    )


def build_em(settings: Settings, clock: Clock | None = None) -> EnterpriseManager:
    """The EM these settings describe: a fixture's world, or one generated for the seed."""
    if clock is None:
        start = settings.clock_start
        # The demo clock runs, from --clock or now, at --clock-rate; otherwise --clock freezes it.
        clock = Clock(start, rate=settings.clock_rate) if settings.demo else Clock(start, frozen=start is not None)
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
    )
    em.live = settings.demo
    em.unusual_state_rate = settings.unusual_state_rate if settings.demo else 0.0
    return em


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
    """What a person starting mock-em needs to know: where it listens and how to log on."""
    world = em.world
    account = settings.accounts[0]
    lines = [
        f"mock-em {__version__}: Enterprise Manager {settings.release} on http://{settings.host}:{settings.port}/api/",
        f"  world: seed {em.seed}, {len(world.tenants)} tenants, {len(world.replicas)} replicas, "
        f"{len(world.points)} restore points",
        f"  log on as {account.user_name} / {account.password}; control plane at /mock (docs: /mock/docs)",
    ]
    if tls is not None:
        lines.append(f"  HTTPS on port {settings.tls_port}" + (f", trust the CA in {tls.ca}" if tls.ca else ""))
    if settings.demo:
        lines.append(f"  demo: the world lives, clock rate {settings.clock_rate:g}")
    return "\n".join(lines)


def serve(settings: Settings) -> None:
    """Run the server (HTTP on the port, and HTTPS on the TLS port when asked) until stopped."""
    tls = tls_files(settings) if settings.tls else None
    # Bind every port before anything starts: a taken port is a readable error, never a half-started server.
    listeners = [("port", settings.port, None)]
    if tls is not None:
        listeners.append(("tls-port", settings.tls_port, tls))
    sockets = [bind(settings.host, port, name) for name, port, _ in listeners]
    em = build_em(settings)
    app = create_app(em, settings)
    app.state.tls = tls
    common = {"log_level": settings.log_level.lower(), "access_log": False, "server_header": False}
    servers = []
    for (_, _, files), sock in zip(listeners, sockets, strict=True):
        ssl = {"ssl_certfile": str(files.cert), "ssl_keyfile": str(files.key), "lifespan": "off"} if files else {}
        config = uvicorn.Config(app, host=settings.host, port=sock.getsockname()[1], **common, **ssl)
        servers.append((uvicorn.Server(config), sock))
    print(banner(settings, em, tls), file=sys.stderr, flush=True)
    asyncio.run(_serve_all(servers))


def bind(host: str, port: int, setting: str) -> socket.socket:
    """A listening-ready socket on host:port, or SettingsError naming the setting."""
    family = socket.AF_INET6 if ":" in host else socket.AF_INET
    sock = socket.socket(family, socket.SOCK_STREAM)
    sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
    try:
        sock.bind((host, port))
    except OSError as exc:
        sock.close()
        raise SettingsError(f"{setting}: cannot listen on {host}:{port}: {exc.strerror or exc}") from None
    sock.set_inheritable(True)
    return sock


async def _serve_all(servers: list[tuple[uvicorn.Server, socket.socket]]) -> None:
    """Serve every listener; when one is told to stop (SIGTERM, SIGINT), all stop."""

    async def follow() -> None:
        while not any(server.should_exit for server, _ in servers):
            await asyncio.sleep(0.1)
        for server, _ in servers:
            server.should_exit = True

    await asyncio.gather(follow(), *(server.serve(sockets=[sock]) for server, sock in servers))
