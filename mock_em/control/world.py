"""The world through the control plane: regenerate, load, export and snapshots.

The edits of single objects (`/mock/world/tenants`, …) are built from the families'
declarations, in `mock_em.control.edits`.
"""

from __future__ import annotations

from typing import Any

from fastapi import APIRouter, Request
from pydantic import BaseModel, ConfigDict, Field, create_model

from mock_em.api.errors import VeeamError
from mock_em.control.common import em, world_summary
from mock_em.generator import KNOBS, WorldSize, generate_world
from mock_em.model.enterprise_manager import NotFound
from mock_em.model.fixture import FixtureError, format_time, world_from_dict, world_to_dict

router = APIRouter(prefix="/world", tags=["world"])
snapshots = APIRouter(prefix="/snapshots", tags=["snapshots"])


# A new generated world's body: `seed` and every size knob (`backupServers`, `tenants`, …), each
# bounded by the knob's `control_max`; unset knobs keep the server's settings.
Regenerate: type[BaseModel] = create_model(
    "Regenerate",
    __config__=ConfigDict(extra="forbid"),
    __doc__="A new generated world; unset knobs keep the server's settings.",
    seed=(int | None, None),
    **{knob.camel: (int | None, Field(default=None, ge=0, le=knob.control_max)) for knob in KNOBS},  # type: ignore[call-overload]
)


# -- whole worlds ---------------------------------------------------------------------------


@router.get("")
async def export_world(request: Request) -> dict[str, Any]:
    """The current world as a fixture (what `mock-em generate` writes and `--fixture` reads)."""
    return world_to_dict(em(request).world, em(request).seed)


@router.put("")
async def load_world(request: Request) -> dict[str, Any]:
    """Serve the world in the body (a fixture) from now on."""
    try:
        data = await request.json()
    except (ValueError, RecursionError):  # RecursionError: JSON nested deeper than the parser goes
        raise VeeamError(400, "the body is not JSON: send a fixture as written by GET /mock/world") from None
    try:
        world = world_from_dict(data)
    except FixtureError as exc:
        raise VeeamError(400, f"not a usable fixture: {exc}") from None
    seed = data.get("Seed") if isinstance(data.get("Seed"), int) else None
    em(request).replace_world(world, seed)
    return world_summary(em(request))


@router.post("/regenerate")
async def regenerate(request: Request, body: Regenerate | None = None) -> dict[str, Any]:
    """Generate a new world (new seed and/or size) at the clock's now."""
    body = body or Regenerate()
    settings = request.app.state.settings
    manager = em(request)
    seed = body.seed if body.seed is not None else manager.seed
    try:
        size = WorldSize(
            **{knob.name: _pick(getattr(body, knob.camel), getattr(settings, knob.name)) for knob in KNOBS}
        )
    except ValueError as exc:
        raise VeeamError(400, str(exc)) from None
    if size.points > 5_000_000:
        raise VeeamError(400, f"a world of {size.points} points is more than this control call makes (5,000,000)")
    manager.replace_world(generate_world(seed, size, manager.clock.now()), seed)
    return {"seed": seed, **world_summary(manager)}


def _pick(value: int | None, default: int) -> int:
    return default if value is None else value


# -- snapshots ------------------------------------------------------------------------------


@snapshots.get("")
async def list_snapshots(request: Request) -> dict[str, Any]:
    """Saved snapshots by name."""
    return {
        "snapshots": [
            {"name": name, "points": len(s.world.points), "worldTime": format_time(s.world_time)}
            for name, s in em(request).snapshots.items()
        ]
    }


@snapshots.put("/{name}")
async def save_snapshot(request: Request, name: str) -> dict[str, Any]:
    """Save the current world under `name`."""
    snapshot = em(request).save_snapshot(name)
    return {"name": name, "points": len(snapshot.world.points), "worldTime": format_time(snapshot.world_time)}


@snapshots.post("/{name}/restore")
async def restore_snapshot(request: Request, name: str) -> dict[str, Any]:
    """Serve the snapshot `name` again (it stays saved)."""
    em(request).restore_snapshot(name)
    return world_summary(em(request))


@snapshots.delete("/{name}")
async def delete_snapshot(request: Request, name: str) -> dict[str, Any]:
    """Forget a snapshot."""
    if em(request).snapshots.pop(name, None) is None:
        raise NotFound(f"Snapshot {name!r} was not found")
    return {"deleted": name}
