"""`GET /api/`: the entry point, the only resource besides logon that needs no session."""

from __future__ import annotations

from fastapi import APIRouter, Request
from starlette.responses import Response

from mock_em.api.context import respond
from mock_em.api.request import hrefs, settings
from mock_em.wire import documents as doc

router = APIRouter()


@router.get("/api")
async def enterprise_manager(request: Request) -> Response:
    """Links to logon and sessions, and one logon link per supported API version."""
    return respond(request, doc.enterprise_manager(hrefs(request), settings(request).api_versions))
