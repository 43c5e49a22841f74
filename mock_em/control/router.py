"""All control routes under `/mock`, the token check on all but health and readiness (and the dashboard
page, which checks it itself so that a browser may bring it as `?token=`)."""

from __future__ import annotations

from fastapi import APIRouter, Depends

from mock_em.control import (
    PREFIX,
    billing,
    clock,
    dashboard,
    edits,
    faults,
    journal,
    point_deletions,
    sessions,
    status,
    world,
)
from mock_em.control.auth import control_token


def control_router() -> APIRouter:
    """The `/mock` router."""
    router = APIRouter(prefix=PREFIX)
    router.include_router(status.open_router)
    # The dashboard page checks the token itself (a browser brings it as ?token=); /mock/ leads to it.
    router.include_router(dashboard.page)
    router.add_api_route("", dashboard.to_dashboard, methods=["GET"], include_in_schema=False)
    guarded = APIRouter(dependencies=[Depends(control_token)])
    for sub in (
        status.router,
        world.router,
        edits.router,
        point_deletions.router,
        world.snapshots,
        clock.router,
        sessions.router,
        faults.router,
        journal.router,
        dashboard.router,
        billing.router,
    ):
        guarded.include_router(sub)
    router.include_router(guarded)
    return router
