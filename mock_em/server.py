"""From Settings to a running server: build the world, the EM and the app, then serve them."""

from __future__ import annotations

import asyncio
import sys
import tempfile
from pathlib import Path

from mock_em import __version__
from mock_em.app import create_app
from mock_em.generator import WorldSize, generate_world
from mock_em.model.clock import Clock
from mock_em.model.enterprise_manager import EnterpriseManager
from mock_em.model.fixture import load_world
from mock_em.model.world import World
from mock_em.settings import Settings
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
        return TlsFiles(Path(settings.tls_cert), Path(settings.tls_key), None)
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
    import uvicorn

    em = build_em(settings)
    app = create_app(em, settings)
    common = {"log_level": settings.log_level, "access_log": False, "server_header": False}
    configs = [uvicorn.Config(app, host=settings.host, port=settings.port, **common)]
    tls = None
    if settings.tls:
        tls = tls_files(settings)
        app.state.tls = tls
        configs.append(
            uvicorn.Config(
                app,
                host=settings.host,
                port=settings.tls_port,
                ssl_certfile=str(tls.cert),
                ssl_keyfile=str(tls.key),
                lifespan="off",
                **common,
            )
        )
    print(banner(settings, em, tls), file=sys.stderr, flush=True)
    asyncio.run(_serve_all([uvicorn.Server(config) for config in configs]))


async def _serve_all(servers: list) -> None:  # list[uvicorn.Server]
    """Serve every listener; when one is told to stop (SIGTERM, SIGINT), all stop."""

    async def follow() -> None:
        while not any(s.should_exit for s in servers):
            await asyncio.sleep(0.1)
        for server in servers:
            server.should_exit = True

    await asyncio.gather(follow(), *(server.serve() for server in servers))
