"""`GET /api/`: the entry point, the only resource besides logon that needs no session."""

from __future__ import annotations

from fastapi import APIRouter, Request
from starlette.responses import Response

from mock_em.api.context import hrefs, settings, xml_response
from mock_em.wire import xml

router = APIRouter()


@router.get("/api")
async def enterprise_manager(request: Request) -> Response:
    """Links to logon and sessions, and one logon link per supported API version."""
    return xml_response(xml.enterprise_manager(hrefs(request), settings(request).api_versions))
