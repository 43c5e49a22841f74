"""All control routes under `/mock`, the token check on all but health and readiness."""

from __future__ import annotations

from fastapi import APIRouter, Depends

from mock_em.control import PREFIX, clock, faults, journal, sessions, status, world
from mock_em.control.auth import control_token


def control_router() -> APIRouter:
    """The `/mock` router."""
    router = APIRouter(prefix=PREFIX)
    router.include_router(status.open_router)
    guarded = APIRouter(dependencies=[Depends(control_token)])
    for sub in (
        status.router,
        world.router,
        world.snapshots,
        clock.router,
        sessions.router,
        faults.router,
        journal.router,
    ):
        guarded.include_router(sub)
    router.include_router(guarded)
    return router
