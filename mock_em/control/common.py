"""What the control routers share: the EM, summaries of its world and clock, parsing helpers."""

from __future__ import annotations

from typing import Any
from uuid import UUID

from fastapi import Request

from mock_em.api.errors import VeeamError
from mock_em.model.enterprise_manager import EnterpriseManager
from mock_em.model.fixture import format_time


def em(request: Request) -> EnterpriseManager:
    """The emulated Enterprise Manager (in demo mode, with its jobs run up to the clock's now)."""
    manager: EnterpriseManager = request.app.state.em
    if manager.live:
        manager.catch_up()
    return manager


def world_summary(manager: EnterpriseManager) -> dict[str, Any]:
    """How big the world is now."""
    world = manager.world
    return {
        "backupServers": len(world.backup_servers),
        "tenants": len(world.tenants),
        "replicas": len(world.replicas),
        "vms": sum(len(r.vms) for r in world.replicas.values()),
        "points": len(world.points),
        "version": world.version,
        "worldTime": format_time(manager.world_time),
    }


def clock_state(manager: EnterpriseManager) -> dict[str, Any]:
    """The clock as JSON."""
    clock = manager.clock
    return {
        "now": format_time(clock.now()),
        "virtual": clock.virtual,
        "frozen": clock.frozen,
        "rate": clock.rate,
        "worldTime": format_time(manager.world_time),
    }


def parse_uuid(text: str, what: str) -> UUID:
    """A GUID from a path or body, or 400."""
    try:
        return UUID(text)
    except (ValueError, TypeError):
        raise VeeamError(400, f"{what} {text!r} is not a GUID") from None
