"""A read-only dashboard of the world: `GET /mock/dashboard` (HTML) and `GET /mock/dashboard/data` (JSON).

What it shows is `dashboard_data` (the JSON), how it looks is `dashboard_html` (rendered from that JSON
on the server, so the page reads without JavaScript; its script then polls `/mock/dashboard/data?html=1`
every two seconds and swaps in the sections that changed). This module is the routes.

The control token, when configured, applies here too. The data endpoint needs it in a header like
every guarded control route; the page also takes it as `?token=` (a browser cannot send headers)
and its script passes it on as `X-Mock-Token`: open `/mock/dashboard?token=<control token>`.
`GET /mock/` redirects to the page, keeping the query.
"""

from __future__ import annotations

import gzip
import hmac

import orjson
from fastapi import APIRouter, Query, Request
from fastapi.responses import HTMLResponse, RedirectResponse, Response

from mock_em.api.errors import VeeamError
from mock_em.control import PREFIX
from mock_em.control.auth import control_token
from mock_em.control.dashboard_data import dashboard_data
from mock_em.control.dashboard_html import assets, render_page, sections, unauthorized_page

PATH, DATA = "/dashboard", "/data"  # the page under /mock, its data under the page
PAGE_PATH = f"{PREFIX}{PATH}"
DATA_PATH = f"{PAGE_PATH}{DATA}"
NO_STORE = {"Cache-Control": "no-store", "X-Content-Type-Options": "nosniff"}

page = APIRouter(tags=["dashboard"])  # mounted outside the guard: checks the token itself, `?token=` too
router = APIRouter(prefix=PATH, tags=["dashboard"])  # guarded like every control route


async def page_token(request: Request) -> bool:
    """True when no token is configured, or the right one came as `?token=` or in a header."""
    expected = request.app.state.settings.control_token
    given = request.query_params.get("token")
    if not expected or (given is not None and hmac.compare_digest(given.encode(), expected.encode())):
        return True
    try:
        await control_token(request)
    except VeeamError:
        return False
    return True


async def to_dashboard(request: Request) -> RedirectResponse:
    """`/mock/` → `/mock/dashboard`, keeping the query (and so a `?token=`); mounted on the `/mock`
    router itself (`add_api_route("")`), as an included router may not have an empty path."""
    query = request.url.query
    return RedirectResponse(PAGE_PATH + (f"?{query}" if query else ""), status_code=307)


@page.get(PATH, response_class=HTMLResponse)
async def dashboard_page(request: Request) -> Response:
    """The dashboard: HTML that re-draws itself from `/mock/dashboard/data` every two seconds."""
    if not await page_token(request):
        return HTMLResponse(unauthorized_page(PAGE_PATH), 401, headers=NO_STORE)
    html = render_page(dashboard_data(request), DATA_PATH).encode("utf-8")
    return packed(request, html, "text/html; charset=utf-8", {"Content-Security-Policy": assets().csp})


@router.get(DATA)
async def dashboard_json(
    request: Request,
    html: bool = Query(default=False, description="the page's sections rendered, instead of the item lists"),
) -> Response:
    """What the page shows, as JSON: header, jobs with their sessions, tenants with their timelines,
    repositories, requests, sessions.

    With `?html=1` (what the page polls) the answer is the rendered sections with the header's
    values (`clock`, `world`, `newestPoint`), not the item lists they were rendered from."""
    data = dashboard_data(request)
    if html:
        data = {key: data[key] for key in ("clock", "world", "newestPoint")} | {"html": sections(data)}
    return packed(request, orjson.dumps(data), "application/json")


def packed(request: Request, body: bytes, media_type: str, headers: dict[str, str] | None = None) -> Response:
    """The answer, gzipped when it is big and the client takes gzip (the page of a big world is)."""
    headers = {**NO_STORE, **(headers or {}), "Vary": "Accept-Encoding"}
    if len(body) > 16_384 and "gzip" in request.headers.get("accept-encoding", "").lower():
        body = gzip.compress(body, compresslevel=1)
        headers["Content-Encoding"] = "gzip"
    return Response(body, media_type=media_type, headers=headers)
