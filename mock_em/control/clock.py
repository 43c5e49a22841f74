"""The one clock: read it, set it, advance it, freeze it, let it run again.

Every change runs the world forward to the new time: replication jobs leave the restore points
their schedules imply, and retention removes the oldest (moving backwards changes no points).
"""

from __future__ import annotations

from datetime import timedelta
from typing import Any

from fastapi import APIRouter, Request
from pydantic import BaseModel, Field

from mock_em.api.errors import VeeamError
from mock_em.control.common import clock_state, em
from mock_em.model.clock import LATEST_SETTABLE
from mock_em.model.fixture import parse_time
from mock_em.settings import parse_duration

router = APIRouter(prefix="/clock", tags=["clock"])


class SetClock(BaseModel):
    """`{"time": "2026-01-05T12:00:00Z"}`."""

    time: str = Field(description="ISO 8601 time, UTC unless it carries an offset")


class AdvanceClock(BaseModel):
    """`{"by": "1d"}` or `{"seconds": 3600}`."""

    by: str | None = Field(default=None, description="a duration such as 90s, 15m, 6h, 7d")
    seconds: float | None = Field(default=None, ge=0)


class ResumeClock(BaseModel):
    """`{"rate": 60}` runs a virtual minute per real second."""

    rate: float | None = Field(default=None, gt=0, le=1_000_000)


def _after_change(request: Request) -> dict[str, Any]:
    added, removed = em(request).catch_up()
    return {**clock_state(em(request)), "pointsAdded": added, "pointsRemoved": removed}


@router.get("")
async def get_clock(request: Request) -> dict[str, Any]:
    """The time now, and whether it is virtual, frozen or accelerated."""
    return clock_state(em(request))


@router.post("/set")
async def set_clock(request: Request, body: SetClock) -> dict[str, Any]:
    """Jump to a time (running or frozen as before)."""
    try:
        when = parse_time(body.time)
    except ValueError:
        raise VeeamError(400, f"time: {body.time!r} is not an ISO 8601 time in datetime's range") from None
    if when >= LATEST_SETTABLE:
        raise VeeamError(400, f"time: the clock can be set to before {LATEST_SETTABLE:%Y-%m-%d} only")
    em(request).clock.set(when)
    return _after_change(request)


@router.post("/advance")
async def advance_clock(request: Request, body: AdvanceClock) -> dict[str, Any]:
    """Move time forward; the world runs forward with it."""
    if (body.by is None) == (body.seconds is None):
        raise VeeamError(400, 'give exactly one of "by" (e.g. "1d") or "seconds"')
    try:
        delta = parse_duration(body.by) if body.by is not None else timedelta(seconds=body.seconds or 0)
    except (ValueError, OverflowError) as exc:
        raise VeeamError(400, f"by: {exc}") from None
    if delta > timedelta(days=3660):
        raise VeeamError(400, "by: at most ten years at a time")
    clock = em(request).clock
    if clock.now() + delta >= LATEST_SETTABLE:
        raise VeeamError(400, f"by: the clock can move to before {LATEST_SETTABLE:%Y-%m-%d} only")
    clock.advance(delta)
    return _after_change(request)


@router.post("/freeze")
async def freeze_clock(request: Request) -> dict[str, Any]:
    """Stop time where it stands."""
    em(request).clock.freeze()
    return _after_change(request)


@router.post("/resume")
async def resume_clock(request: Request, body: ResumeClock | None = None) -> dict[str, Any]:
    """Let time run again, optionally faster than real time."""
    em(request).clock.resume(body.rate if body else None)
    return _after_change(request)
