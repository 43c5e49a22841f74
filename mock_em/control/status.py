"""Health, readiness, `about`, and reset: what a container orchestrator and a test harness ask first."""

from __future__ import annotations

from typing import Any

from fastapi import APIRouter, Request
from fastapi.responses import JSONResponse

from mock_em import __version__, registry
from mock_em.control.common import clock_state, em, world_summary
from mock_em.releases import ReleaseProfile
from mock_em.store.outage import state_of

# Health and readiness answer without the control token, so a HEALTHCHECK needs no secret.
open_router = APIRouter(tags=["status"])
router = APIRouter(tags=["status"])


@open_router.get("/health")
async def health() -> dict[str, str]:
    """The process answers."""
    return {"status": "ok"}


@open_router.get("/ready", response_model=None)
async def ready(request: Request) -> dict[str, Any] | JSONResponse:
    """The world is loaded and the vendor API answers; with a shared store, Redis answers too
    (503 with the reason while it does not: a load balancer then sends clients elsewhere)."""
    outage = state_of(request.app)
    if outage is not None:
        await outage.check()
        if outage.down:
            return JSONResponse({"ready": False, "reason": outage.reason}, status_code=503)
    return {"ready": True, "points": len(em(request).world.points)}


def profile_summary(profile: ReleaseProfile) -> dict[str, Any]:
    """What the release profile decides, as a harness checks it: the API versions the root lists
    and a logon accepts (besides `latest` and none), the one `latest` stands for, the JSON
    notation, and the resource paths the release serves (`registry.release_paths`)."""
    notation = profile.json
    return {
        "name": profile.name,
        "apiVersions": list(profile.api_versions),
        "latest": profile.latest,
        "json": {"camelCase": notation.camel_case, "nulls": notation.nulls, "timeDigits": notation.time_digits},
        "routes": registry.release_paths(profile.name),
    }


@router.get("/about")
async def about(request: Request) -> dict[str, Any]:
    """Version, seed, world size, clock, the emulated vendor routes and the release profile."""
    settings = request.app.state.settings
    paths = request.app.openapi()["paths"]  # the routes as documented, whatever the router nesting
    vendor_routes = sorted(
        f"{method.upper()} {path}" for path, methods in paths.items() if path.startswith("/api") for method in methods
    )
    return {
        "name": "mock-em",
        "version": __version__,
        "release": settings.release,
        "apiVersions": settings.api_versions,
        "seed": em(request).seed,
        "world": world_summary(em(request)),
        "clock": clock_state(em(request)),
        "sessions": len(em(request).sessions.live()),
        "deterministicSessions": em(request).sessions.deterministic,
        "routes": vendor_routes,
        "profile": profile_summary(settings.profile),
    }


@router.post("/reset")
async def reset(request: Request) -> dict[str, Any]:
    """Back to the world, clock and settings mock-em started with: no sessions, faults or journal."""
    em(request).reset()
    for hook in request.app.state.reset_hooks:
        hook()
    return {"reset": True, "world": world_summary(em(request)), "clock": clock_state(em(request))}
