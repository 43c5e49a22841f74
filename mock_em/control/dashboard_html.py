"""The dashboard's HTML, rendered from its JSON (`dashboard_data`): the page and its four live sections.

The markup lives in `static/`: `dashboard.html` is the page, `dashboard_fragments.html` the pieces its
sections are made of, both `string.Template`s. `fill` escapes every value it puts into one unless the
value is `Html` (what `fill` itself returns), so a name from a fixture or a world edit can only ever
reach the page as text: escaping happens in this one place, and nothing here builds markup by hand.

The page reads without JavaScript; its script (`static/dashboard.js`) polls `/mock/dashboard/data?html=1`
and swaps in the sections that changed, rendered here from the same JSON as the first page.
"""

from __future__ import annotations

import base64
import hashlib
import re
from collections.abc import Iterable
from dataclasses import dataclass
from functools import cache
from html import escape
from importlib import resources
from string import Template
from typing import Any, NamedTuple

POLL_MS = 2000  # how often the page's script asks for fresh sections

FRAGMENT = re.compile(r"^<!-- fragment (\w+): [^\n]* -->\n", re.MULTILINE)
LINE_BREAK = re.compile(r"\n\s*")  # with the indentation after it: for reading the fragments only


class Html(str):
    """Markup rendered by `fill` from escaped values: goes into a template as it is."""

    __slots__ = ()


NOTHING = Html("")


@dataclass(frozen=True, slots=True)
class Assets:
    """The page template, the fragments of its sections, its stylesheet and script (inlined) and a
    content security policy allowing just those two."""

    page: Template
    fragments: dict[str, Template]
    css: str
    js: str
    csp: str


def _sha(text: str) -> str:
    return "'sha256-" + base64.b64encode(hashlib.sha256(text.encode("utf-8")).digest()).decode("ascii") + "'"


def parse_fragments(text: str) -> dict[str, Template]:
    """Each `<!-- fragment NAME: … -->` line starts a fragment running to the next one; line breaks
    and indentation are dropped so the fragments can be laid out for reading."""
    _, *pieces = FRAGMENT.split(text)
    return {name: Template(LINE_BREAK.sub("", body)) for name, body in zip(pieces[::2], pieces[1::2], strict=True)}


@cache
def assets() -> Assets:
    """The files of `static/`, read once."""
    folder = resources.files("mock_em.control") / "static"
    css, js = (folder / "dashboard.css").read_text("utf-8"), (folder / "dashboard.js").read_text("utf-8")
    csp = (
        f"default-src 'none'; style-src {_sha(css)}; script-src {_sha(js)}; connect-src 'self'; img-src data:; "
        "base-uri 'none'; form-action 'none'; frame-ancestors 'none'"
    )
    page = Template((folder / "dashboard.html").read_text("utf-8"))
    return Assets(page, parse_fragments((folder / "dashboard_fragments.html").read_text("utf-8")), css, js, csp)


def _escaped(values: dict[str, object]) -> dict[str, str]:
    return {key: value if isinstance(value, Html) else escape(str(value), quote=True) for key, value in values.items()}


def fill(fragment: str, **values: object) -> Html:
    """A fragment with its `$holes` filled: values escaped, `Html` as it is."""
    return Html(assets().fragments[fragment].substitute(_escaped(values)))


def join(parts: Iterable[Html]) -> Html:
    """Rendered pieces one after another."""
    return Html("".join(parts))


# -- how values read on the page -------------------------------------------------------------


def when(iso: str | None) -> str:
    """`2026-01-05T12:00:00Z` as `2026-01-05 12:00:00` (the page says UTC once)."""
    return iso.replace("T", " ").removesuffix("Z").split(".")[0] if iso else "—"


def _n(value: int) -> str:
    return f"{value:,}"


def _plural(count: int, word: str) -> str:
    return f"{_n(count)} {word}{'' if count == 1 else 's'}"


def _more(count: int, word: str, why: Html = NOTHING) -> Html:
    what = f"{word}{'' if count == 1 else 's'}"
    return fill("more", count=_n(count), what=what, why=why) if count > 0 else NOTHING


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
        tenants=_n(w["tenants"]),
        replicas=_n(w["replicas"]),
        vms=_n(w["vms"]),
        points=_n(w["points"]),
        not_ready=fill("not_ready", count=_n(w["notReady"])) if w["notReady"] else NOTHING,
        sessions=_n(d["sessions"]["total"]),
    )


class Timeline(NamedTuple):
    """What every job and VM row of the tenants section shares: the same window, drawn once."""

    grid: Html  # a VM row's midnights and now
    axis: Html  # a job's dates above its rows
    max_rows: int  # the page's VM row budget, for the note when a job ran out of it


def _vm(vm: dict[str, Any], timeline: Timeline) -> Html:
    label = f"{vm['name']}: {_plural(vm['pointCount'], 'restore point')}, newest {when(vm['newest'])}"
    count: str = _n(vm["pointCount"])
    if vm["notReady"]:
        count = fill("warned_count", not_ready=_n(vm["notReady"]), count=count)
    marks = join(fill("point", css=_mark_class(p["state"]), **p) for p in vm["points"])  # name, time, state, type, x
    return fill("vm", name=vm["name"], label=label, grid=timeline.grid, marks=marks, count=count)


def _replica(r: dict[str, Any], timeline: Timeline) -> Html:
    rows = join(_vm(vm, timeline) for vm in r["vms"])
    capped = fill("rows_capped", rows=timeline.max_rows) if r["rowsCapped"] else NOTHING
    return fill(
        "replica",
        name=r["name"],
        platform=r["platform"],
        retention=_n(r["retention"]),
        vms=_plural(r["vmsTotal"], "VM"),
        table=fill("vms", axis=timeline.axis, rows=rows) if r["vms"] else NOTHING,
        more=_more(r["vmsMore"], "VM", capped),
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
        share=_n(share),
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
        jobs=_plural(t["replicasTotal"], "replication job"),
        replicas=join(_replica(r, timeline) for r in t["replicas"]),
        more=_more(t["replicasMore"], "replication job"),
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
        total=_n(tenants["total"]),
        start=when(window["start"]),
        end=when(window["end"]),
        stale=fill("stale") if window["stale"] else NOTHING,
        items=join(_tenant(t, timeline) for t in tenants["items"]),
        more=_more(tenants["more"], "tenant") if tenants["items"] else fill("no_tenants"),
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
    return fill("sessions", total=_n(s["total"]), table=table, more=_more(s["more"], "session"))


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
    count = f"latest {len(rows)} of {_n(q['kept'])}"
    return fill("requests", count=count, table=fill("requests_table", rows=join(rows)))


# -- the page ----------------------------------------------------------------------------------


def sections(d: dict[str, Any]) -> dict[str, Html]:
    """The page's four live sections, by element id, rendered."""
    return {
        "summary": render_summary(d),
        "tenants": render_tenants(d),
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
    return page.page.substitute(_escaped(values))


def unauthorized_page(page_path: str) -> str:
    """What the page's URL answers (401) without the control token, and how to bring it."""
    return fill("unauthorized", page=page_path)
