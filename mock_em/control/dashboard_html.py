"""The dashboard's HTML, rendered from its JSON (`dashboard_data`): the page and its live sections.

The markup lives in `static/` and is filled by `dashboard_markup.fill`, which escapes every value:
nothing here builds markup by hand. This module renders the header, the tenants, the logon sessions
and the requests, and puts the page together; `dashboard_jobs_html` renders the jobs and the
repositories.

The page reads without JavaScript; its script (`static/dashboard.js`) polls `/mock/dashboard/data?html=1`
and swaps in the sections that changed, rendered here from the same JSON as the first page.
"""

from __future__ import annotations

from typing import Any, NamedTuple

from mock_em.control.dashboard_jobs_html import render_jobs, render_repositories
from mock_em.control.dashboard_markup import NOTHING, Html, assets, escaped, fill, join, more, number, plural, when

POLL_MS = 2000  # how often the page's script asks for fresh sections


def _mark_class(state: str) -> str:
    return "pt ready" if state == "Ready" else f"pt odd st-{state.lower()}"


# -- the sections --------------------------------------------------------------------------------


def render_summary(d: dict[str, Any]) -> Html:
    """The header: who is answering, the clock and the world's size."""
    w, clock = d["world"], d["clock"]
    return fill(
        "summary",
        release=d["release"],
        version=d["version"],
        seed=d["seed"],
        demo=fill("demo") if d["demo"] else NOTHING,
        now=when(clock["now"]),
        clock=clock["label"],
        tenants=number(w["tenants"]),
        replicas=number(w["replicas"]),
        vms=number(w["vms"]),
        points=number(w["points"]),
        not_ready=fill("not_ready", count=number(w["notReady"])) if w["notReady"] else NOTHING,
        sessions=number(d["sessions"]["total"]),
        jobs=number(d["jobs"]["total"]),
        running=fill("jobs_running", count=number(d["jobs"]["running"])) if d["jobs"]["running"] else NOTHING,
    )


class Timeline(NamedTuple):
    """What every job and VM row of the tenants section shares: the same window, drawn once."""

    grid: Html  # a VM row's midnights and now
    axis: Html  # a job's dates above its rows
    max_rows: int  # the page's VM row budget, for the note when a job ran out of it


def _vm(vm: dict[str, Any], timeline: Timeline) -> Html:
    label = f"{vm['name']}: {plural(vm['pointCount'], 'restore point')}, newest {when(vm['newest'])}"
    count: str = number(vm["pointCount"])
    if vm["notReady"]:
        count = fill("warned_count", not_ready=number(vm["notReady"]), count=count)
    marks = join(fill("point", css=_mark_class(p["state"]), **p) for p in vm["points"])  # name, time, state, type, x
    return fill("vm", name=vm["name"], label=label, grid=timeline.grid, marks=marks, count=count)


def _replica(r: dict[str, Any], timeline: Timeline) -> Html:
    rows = join(_vm(vm, timeline) for vm in r["vms"])
    capped = fill("rows_capped", rows=timeline.max_rows) if r["rowsCapped"] else NOTHING
    return fill(
        "replica",
        name=r["name"],
        platform=r["platform"],
        retention=number(r["retention"]),
        vms=plural(r["vmsTotal"], "VM"),
        table=fill("vms", axis=timeline.axis, rows=rows) if r["vms"] else NOTHING,
        more=more(r["vmsMore"], "VM", capped),
    )


def _quota(quota_mb: int | None, used_mb: int | None) -> Html:
    """A tenant's backup quota use as billing reads it: used of quota in GB, and the share."""
    if quota_mb is None or used_mb is None:
        return fill("no_quota")
    share = round(100 * used_mb / quota_mb)
    return fill(
        "quota",
        used=f"{used_mb / 1024:,.1f}",
        quota=f"{quota_mb / 1024:,.1f}",
        share=number(share),
        over=fill("over_quota") if used_mb > quota_mb else NOTHING,
    )


def _tenant(t: dict[str, Any], timeline: Timeline) -> Html:
    return fill(
        "tenant",
        id=t["id"],
        name=t["name"],
        disabled=NOTHING if t["enabled"] else fill("disabled"),
        server=t["backupServer"] or "—",
        quota=_quota(t["quotaMb"], t["usedQuotaMb"]),
        jobs=plural(t["replicasTotal"], "replication job"),
        replicas=join(_replica(r, timeline) for r in t["replicas"]),
        more=more(t["replicasMore"], "replication job"),
    )


def render_tenants(d: dict[str, Any]) -> Html:
    """Tenants, their jobs and one restore-point timeline per VM."""
    window, tenants = d["timeline"], d["tenants"]
    grid = [fill("tick", x=t["x"]) for t in window["ticks"]]
    if window["now"] is not None:
        grid.append(fill("now", x=window["now"]))
    axis = join(fill("axis_label", x=t["x"], label=t["label"]) for t in window["ticks"] if t["label"])
    timeline = Timeline(join(grid), axis, d["limits"]["rows"])
    return fill(
        "tenants",
        total=number(tenants["total"]),
        start=when(window["start"]),
        end=when(window["end"]),
        stale=fill("stale") if window["stale"] else NOTHING,
        items=join(_tenant(t, timeline) for t in tenants["items"]),
        more=more(tenants["more"], "tenant") if tenants["items"] else fill("no_tenants"),
    )


def render_sessions(d: dict[str, Any]) -> Html:
    """Live logon sessions, most recent first."""
    s = d["sessions"]
    rows = [
        fill(
            "session",
            user=x["userName"],
            role=x["role"],
            tenant=x["tenantName"] or "—",
            last_used=when(x["lastUsed"]),
            idle=x["idle"],
        )
        for x in s["items"]
    ]
    table = fill("sessions_table", rows=join(rows)) if rows else fill("no_sessions")
    return fill("sessions", total=number(s["total"]), table=table, more=more(s["more"], "session"))


def _request(r: dict[str, Any]) -> Html:
    at = when(r["time"])
    family, status = ("x", r["fault"] or "—") if r["status"] is None else (r["status"] // 100, r["status"])
    return fill(
        "request",
        when=at,
        time=at[11:],
        request=f"{r['method']} {r['path']}",
        method=r["method"],
        path=r["path"],
        family=family,
        status=status,
        ms=f"{r['latencyMs']:.1f}",
        user="token rejected" if r["tokenRejected"] else r["userName"] or "—",
    )


def render_requests(d: dict[str, Any]) -> Html:
    """The newest journaled requests to the vendor API."""
    q = d["requests"]
    rows = [_request(r) for r in q["items"]]
    if not rows:
        return fill("requests", count="0", table=fill("no_requests"))
    count = f"latest {len(rows)} of {number(q['kept'])}"
    return fill("requests", count=count, table=fill("requests_table", rows=join(rows)))


# -- the page ----------------------------------------------------------------------------------


def sections(d: dict[str, Any]) -> dict[str, Html]:
    """The page's live sections, by element id, rendered."""
    return {
        "summary": render_summary(d),
        "jobs": render_jobs(d),
        "tenants": render_tenants(d),
        "repositories": render_repositories(d),
        "sessions": render_sessions(d),
        "requests": render_requests(d),
    }


def render_page(d: dict[str, Any], data_path: str) -> str:
    """The whole page for this data; its script polls `data_path`."""
    page = assets()
    values = {
        "css": Html(page.css),
        "js": Html(page.js),
        "data_url": f"{data_path}?html=1",
        "data_path": data_path,
        "interval": POLL_MS,
        "newest": d["newestPoint"] or "",
        "points": d["world"]["points"],
        **sections(d),
    }
    return page.page.substitute(escaped(values))


def unauthorized_page(page_path: str) -> str:
    """What the page's URL answers (401) without the control token, and how to bring it."""
    return fill("unauthorized", page=page_path)
