"""From Settings to a running server: build the world, the EM and the app, then serve them."""

from __future__ import annotations

from mock_em.app import create_app
from mock_em.generator import WorldSize, generate_world
from mock_em.model.clock import Clock
from mock_em.model.enterprise_manager import EnterpriseManager
from mock_em.model.fixture import load_world
from mock_em.model.world import World
from mock_em.settings import Settings


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
        clock = Clock(start, frozen=start is not None)
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

    return EnterpriseManager.create(
        world,
        settings.accounts,
        seed=seed,
        clock=clock,
        idle_timeout=settings.idle_timeout_delta,
        machine_name=settings.machine_name,
        origin=origin,
    )


def serve(settings: Settings) -> None:
    """Run the server until interrupted."""
    import uvicorn

    app = create_app(build_em(settings), settings)
    uvicorn.run(
        app,
        host=settings.host,
        port=settings.port,
        log_level=settings.log_level,
        access_log=False,
        server_header=False,
        date_header=True,
    )
