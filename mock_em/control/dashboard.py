"""A read-only dashboard of the world: `GET /mock/dashboard` (HTML) and `GET /mock/dashboard/data` (JSON).

The page is rendered on the server (it reads without JavaScript); a little vanilla JS
(`static/dashboard.js`) then polls `/mock/dashboard/data?html=1` every two seconds and swaps in the
sections that changed, rendered here from the same JSON, so it follows the clock without a reload
and everything it shows is escaped in one place. The JSON holds:

* a header: mock-em version, release, seed, clock (now; real, virtual, frozen or running at a rate)
  and world counts;
* tenants with their replication jobs and VMs, one timeline row per VM with a mark per restore
  point, placed by `CreationTimeUTC` over the retention window (non-Ready points drawn hollow);
* the newest requests of the journal and the live sessions.

Big worlds stay cheap: the page shows at most `MAX_TENANTS` tenants, `MAX_REPLICAS` jobs per tenant,
`MAX_VMS` VMs per job, `MAX_ROWS` VM rows in all and the newest `MAX_MARKS` points per VM, each with
"and N more". The one pass over all points is cached per world version.

The control token, when configured, applies here too. The data endpoint needs it in a header like
every guarded control route; the page also takes it as `?token=` (a browser cannot send headers)
and its script passes it on as `X-Mock-Token`: open `/mock/dashboard?token=<control token>`.
`GET /mock/` redirects to the page, keeping the query.
"""

from __future__ import annotations

import base64
import gzip
import hashlib
import hmac
from functools import cache
from html import escape
from importlib import resources
from string import Template
from typing import Any

import orjson
from fastapi import APIRouter, Query, Request
from fastapi.responses import HTMLResponse, RedirectResponse, Response

from mock_em.api.errors import VeeamError
from mock_em.control import PREFIX
from mock_em.control.auth import control_token
from mock_em.control.dashboard_data import MAX_ROWS, dashboard_data

POLL_MS = 2000
DATA_PATH = f"{PREFIX}/dashboard/data"

page = APIRouter(tags=["dashboard"])  # mounted outside the guard: checks the token itself, `?token=` too
router = APIRouter(prefix="/dashboard", tags=["dashboard"])  # guarded like every control route
NO_STORE = {"Cache-Control": "no-store", "X-Content-Type-Options": "nosniff"}


# -- the page's sections, rendered from the JSON (dashboard.js swaps them in as they change) ------

STATES = ("Ready", "Failover", "Failback", "PermanentFailover", "Unknown")


def _e(value: Any) -> str:
    return escape(str(value), quote=True)


def when(iso: str | None) -> str:
    """`2026-01-05T12:00:00Z` as `2026-01-05 12:00:00` (the page says UTC once)."""
    return iso.replace("T", " ").removesuffix("Z").split(".")[0] if iso else "—"


def _n(value: int) -> str:
    return f"{value:,}"


def _plural(count: int, word: str) -> str:
    return f"{_n(count)} {word}{'' if count == 1 else 's'}"


def _more(count: int, word: str, why: str = "") -> str:
    words = f"{word}{'' if count == 1 else 's'}"
    return f'<p class="more">and {_n(count)} more {words}{why}</p>' if count > 0 else ""


def _mark_class(state: str) -> str:
    return "pt ready" if state == "Ready" else f"pt odd st-{state.lower()}"


def render_summary(d: dict[str, Any]) -> str:
    """The header: who is answering, the clock and the world's size."""
    w, clock = d["world"], d["clock"]
    demo = ' · <span class="badge">demo</span>' if d["demo"] else ""
    facts = [
        ("Tenants", _n(w["tenants"]), ""),
        ("Replication jobs", _n(w["replicas"]), ""),
        ("VMs", _n(w["vms"]), ""),
        ("Restore points", _n(w["points"]), f"{_n(w['notReady'])} not Ready" if w["notReady"] else ""),
        ("Sessions", _n(d["sessions"]["total"]), ""),
    ]
    cells = "".join(
        f'<div class="fact"><dt>{_e(label)}</dt><dd><span class="big">{_e(value)}</span>'
        + (f'<span class="small">{_e(note)}</span>' if note else "")
        + "</dd></div>"
        for label, value, note in facts
    )
    return (
        f'<div class="brand"><h1>mock-em <span class="sub">dashboard</span></h1>'
        f'<p class="meta">Enterprise Manager {_e(d["release"])} · mock-em {_e(d["version"])} · seed {_e(d["seed"])}'
        f"{demo}</p></div>"
        f'<dl class="facts"><div class="fact clock"><dt>Clock (UTC)</dt><dd><span class="big" id="now">'
        f'{_e(when(clock["now"]))}</span><span class="small">{_e(clock["label"])}</span></dd></div>{cells}</dl>'
    )


def _legend() -> str:
    keys = "".join(
        f'<span class="key"><svg width="14" height="14" aria-hidden="true"><circle class="{_mark_class(s)}" '
        f'cx="7" cy="7" r="4"/></svg>{s}</span>'
        for s in STATES
    )
    now = '<svg width="8" height="14" aria-hidden="true"><line class="now" x1="4" x2="4" y1="0" y2="14"/></svg>'
    return f'<p class="legend">{keys}<span class="key">{now}now</span></p>'


def _row(vm: dict[str, Any], timeline: dict[str, Any]) -> str:
    grid = "".join(f'<line class="tick" x1="{t["x"]}%" x2="{t["x"]}%" y1="3" y2="17"/>' for t in timeline["ticks"])
    if timeline["now"] is not None:
        grid += f'<line class="now" x1="{timeline["now"]}%" x2="{timeline["now"]}%" y1="0" y2="20"/>'
    marks = "".join(
        f'<circle class="{_mark_class(p["state"])}" cx="{p["x"]}%" cy="10" r="4" data-time="{_e(p["time"])}" '
        f'data-state="{_e(p["state"])}"><title>{_e(p["name"])} · {_e(p["state"])} · {_e(p["type"])}</title></circle>'
        for p in vm["points"]
    )
    label = f"{vm['name']}: {_plural(vm['pointCount'], 'restore point')}, newest {when(vm['newest'])}"
    odd = f'<span class="warn">{_n(vm["notReady"])} not Ready</span> ' if vm["notReady"] else ""
    return (
        f'<tr><th scope="row">{_e(vm["name"])}</th><td class="tl"><svg class="line" width="100%" height="20" '
        f'role="img" aria-label="{_e(label)}">{grid}<line class="base" x1="0" x2="100%" y1="10" y2="10"/>{marks}'
        f'</svg></td><td class="num">{odd}{_n(vm["pointCount"])}</td></tr>'
    )


def _replica(r: dict[str, Any], timeline: dict[str, Any]) -> str:
    capped = f" (the page draws at most {MAX_ROWS} VM rows)" if r["rowsCapped"] else ""
    axis = "".join(f'<text x="{t["x"]}%" y="12">{_e(t["label"])}</text>' for t in timeline["ticks"] if t["label"])
    table = (
        '<table class="vms"><thead><tr><th scope="col">VM</th><th scope="col" class="axis">'
        f'<span class="sr">Restore points over time</span><svg width="100%" height="16" aria-hidden="true">{axis}</svg>'
        '</th><th scope="col" class="num">Points</th></tr></thead><tbody>'
        + "".join(_row(vm, timeline) for vm in r["vms"])
        + "</tbody></table>"
        if r["vms"]
        else ""
    )
    return (
        f'<div class="replica"><h4>{_e(r["name"])}</h4><p class="meta">{_e(r["platform"])} · retention '
        f"{_n(r['retention'])} · {_plural(r['vmsTotal'], 'VM')}</p>{table}{_more(r['vmsMore'], 'VM', capped)}</div>"
    )


def render_tenants(d: dict[str, Any]) -> str:
    """Tenants, their jobs and one restore-point timeline per VM."""
    timeline, tenants = d["timeline"], d["tenants"]
    stale = " (the world's newest points are older than that before now)" if timeline["stale"] else ""
    out = [
        f'<div class="section-head"><h2 id="tenants-title">Tenants <span class="count">{_n(tenants["total"])}</span>'
        f"</h2>{_legend()}</div>"
        f'<p class="window">Timelines from {_e(when(timeline["start"]))} to {_e(when(timeline["end"]))} UTC{stale}.</p>'
    ]
    for t in tenants["items"]:
        off = ' <span class="tag">disabled</span>' if not t["enabled"] else ""
        jobs = "".join(_replica(r, timeline) for r in t["replicas"])
        out.append(
            f'<article class="tenant" aria-labelledby="t-{_e(t["id"])}"><h3 id="t-{_e(t["id"])}">{_e(t["name"])}{off}'
            f'</h3><p class="meta">on {_e(t["backupServer"] or "—")} · {_plural(t["replicasTotal"], "replication job")}'
            f"</p>{jobs}{_more(t['replicasMore'], 'replication job')}</article>"
        )
    out.append(_more(tenants["more"], "tenant") if tenants["items"] else '<p class="empty">No tenants.</p>')
    return "".join(out)


def _table(kind: str, heads: list[str], rows: list[str]) -> str:
    numeric = ' class="num"'
    cols = "".join(f'<th scope="col"{numeric if h in ("Status", "ms", "Idle") else ""}>{h}</th>' for h in heads)
    return f'<table class="grid {kind}"><thead><tr>{cols}</tr></thead><tbody>{"".join(rows)}</tbody></table>'


def render_sessions(d: dict[str, Any]) -> str:
    """Live logon sessions, most recent first."""
    s = d["sessions"]
    rows = [
        f"<tr><td>{_e(x['userName'])}</td><td>{_e(x['role'])}</td><td>{_e(x['tenantName'] or '—')}</td>"
        f'<td class="time">{_e(when(x["lastUsed"]))}</td><td class="num">{_e(x["idle"])}</td></tr>'
        for x in s["items"]
    ]
    body = (
        _table("sessions", ["User", "Role", "Tenant", "Last used", "Idle"], rows)
        if rows
        else '<p class="empty">No live sessions.</p>'
    )
    head = f'<h2 id="sessions-title">Sessions <span class="count">{_n(s["total"])}</span></h2>'
    return head + body + _more(s["more"], "session")


def _status(r: dict[str, Any]) -> str:
    if r["status"] is None:
        return f'<span class="code cx">{_e(r["fault"] or "—")}</span>'
    return f'<span class="code c{r["status"] // 100}">{r["status"]}</span>'


def render_requests(d: dict[str, Any]) -> str:
    """The newest journaled requests to the vendor API."""
    q = d["requests"]
    rows = []
    for r in q["items"]:
        who = "token rejected" if r["tokenRejected"] else r["userName"] or "—"
        request = f"{r['method']} {r['path']}"
        rows.append(
            f'<tr><td class="time" title="{_e(when(r["time"]))}">{_e(when(r["time"])[11:])}</td>'
            f'<td><div class="req" title="{_e(request)}"><span class="method">{_e(r["method"])}</span> '
            f'<span class="path">{_e(r["path"])}</span></div></td><td class="num">{_status(r)}</td>'
            f'<td class="num">{r["latencyMs"]:.1f}</td><td title="{_e(who)}">{_e(who)}</td></tr>'
        )
    count = f"latest {len(rows)} of {_n(q['kept'])}" if rows else "0"
    head = f'<h2 id="requests-title">Requests <span class="count">{count}</span></h2>'
    heads = ["Time", "Request", "Status", "ms", "User"]
    return head + (_table("requests", heads, rows) if rows else '<p class="empty">No requests to /api yet.</p>')


def _sha(text: str) -> str:
    return "'sha256-" + base64.b64encode(hashlib.sha256(text.encode("utf-8")).digest()).decode("ascii") + "'"


@cache
def assets() -> tuple[Template, str, str, str]:
    """The page template, its stylesheet and script (inlined), and a CSP allowing just those two."""
    folder = resources.files("mock_em.control") / "static"
    template = Template((folder / "dashboard.html").read_text("utf-8"))
    css, js = (folder / "dashboard.css").read_text("utf-8"), (folder / "dashboard.js").read_text("utf-8")
    csp = (
        f"default-src 'none'; style-src {_sha(css)}; script-src {_sha(js)}; connect-src 'self'; img-src data:; "
        "base-uri 'none'; form-action 'none'; frame-ancestors 'none'"
    )
    return template, css, js, csp


def sections(d: dict[str, Any]) -> dict[str, str]:
    """The page's four live sections, by element id, rendered."""
    return {
        "summary": render_summary(d),
        "tenants": render_tenants(d),
        "sessions": render_sessions(d),
        "requests": render_requests(d),
    }


def render_page(d: dict[str, Any]) -> str:
    """The whole page for this data."""
    template, css, js, _ = assets()
    return template.substitute(
        css=css,
        js=js,
        data_url=_e(f"{DATA_PATH}?html=1"),
        interval=POLL_MS,
        newest=_e(d["newestPoint"] or ""),
        points=d["world"]["points"],
        **sections(d),
    )


# -- routes ------------------------------------------------------------------------------------

UNAUTHORIZED_PAGE = (
    '<!doctype html><html lang="en"><head><meta charset="utf-8"><title>mock-em dashboard</title></head><body>'
    "<h1>The dashboard needs the control token</h1><p>This mock-em has a control token "
    "(<code>MOCK_EM_CONTROL_TOKEN</code>). Open <code>/mock/dashboard?token=&lt;control token&gt;</code>, "
    "or send it as <code>X-Mock-Token</code> or <code>Authorization: Bearer</code>.</p></body></html>"
)


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
    return RedirectResponse(f"{PREFIX}/dashboard" + (f"?{query}" if query else ""), status_code=307)


@page.get("/dashboard", response_class=HTMLResponse)
async def dashboard_page(request: Request) -> Response:
    """The dashboard: HTML that re-draws itself from `/mock/dashboard/data` every two seconds."""
    if not await page_token(request):
        return HTMLResponse(UNAUTHORIZED_PAGE, 401, headers=NO_STORE)
    page = render_page(dashboard_data(request)).encode("utf-8")
    return packed(request, page, "text/html; charset=utf-8", {"Content-Security-Policy": assets()[3]})


@router.get("/data")
async def dashboard_json(
    request: Request,
    html: bool = Query(default=False, description="the page's sections rendered, instead of the item lists"),
) -> Response:
    """What the page shows, as JSON: header, tenants with their timelines, requests, sessions.

    With `?html=1` (what the page polls) the answer is the four rendered sections with the header's
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
