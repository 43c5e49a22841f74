"""The dashboard's jobs and repositories sections, rendered from its JSON (`dashboard_jobs`).

A job's row says what it is, when it runs, how its newest ended session ended (coloured by result,
the VMs that failed or warned and their reasons on hover), the session going now as a progress bar
with its percent, and a timeline of its sessions: each as long as it ran, coloured by result,
retries on a lower lane so that a run and its retry minutes later are both seen. A repository's row
is a bar of the share used and the figures it comes from; a repository of unknown size says so.
Bars and marks are SVG placed in percent, so the page needs no inline style (its content security
policy allows none) and no script to lay them out.
"""

from __future__ import annotations

from typing import Any

from mock_em.control.dashboard_markup import NOTHING, Html, fill, join, more, number, plural, when

UNITS = ("B", "KB", "MB", "GB", "TB", "PB", "EB")
HIGH, FULL = 80.0, 95.0  # a repository this full (percent) is drawn as filling up, as full
LANES = {False: (4, 9), True: (16, 5)}  # a session's (y, height) on its timeline: runs above, retries below


def size(count: int) -> str:
    """Bytes as the vendor's consoles show them: 1024-based, one decimal (`881.8 GB`, `1.0 TB`)."""
    value, unit = float(count), 0
    while abs(value) >= 1024 and unit < len(UNITS) - 1:
        value, unit = value / 1024, unit + 1
    return f"{int(value)} B" if unit == 0 else f"{value:,.1f} {UNITS[unit]}"


def result_class(result: str) -> str:
    """The colour class of a `Result`: `success`, `warning`, `failed`, or `none` while running."""
    return result.lower()


def _problems(session: dict[str, Any]) -> str:
    """The VMs that failed or warned in a session, with their task session's `Reason`."""
    lines = [f"{p['vm']}: {p['result']}: {p['reason'] or 'no reason given'}" for p in session["problems"]]
    if session["problemsMore"]:
        lines.append(f"and {plural(session['problemsMore'], 'more VM')}")
    return "\n".join(lines)


def _title(session: dict[str, Any]) -> str:
    """A session's tooltip: name, result (or state and progress), retry, span, troubled VMs."""
    ended = session["end"] is not None
    what = session["result"] if ended else f"{session['state']} {session['progress']}%"
    span = f"{when(session['start'])[11:]}–{when(session['end'])[11:] if ended else 'now'}"
    head = " · ".join([session["name"], what, *(["retry"] if session["retry"] else []), span])
    problems = _problems(session)
    return f"{head}\n{problems}" if problems else head


def _last(last: dict[str, Any] | None) -> Html:
    if last is None:
        return fill("never_run")
    return fill(
        "last_result",
        css=result_class(last["result"]),
        result=last["result"],
        title=_title(last),
        retry=fill("retry_tag") if last["retry"] else NOTHING,
        ended=f"ended {when(last['end'])}",
    )


def _now(running: dict[str, Any] | None) -> Html:
    if running is None:
        return fill("idle")
    return fill(
        "progress",
        session=running["name"],
        progress=running["progress"],
        state=running["state"],
        retry=" (retry)" if running["retry"] else "",
        since=when(running["start"])[11:],
    )


def _mark(session: dict[str, Any]) -> Html:
    y, height = LANES[session["retry"]]
    return fill(
        "job_session",
        css=result_class(session["result"]),
        retry=fill("job_session_retry") if session["retry"] else NOTHING,
        x=session["x"],
        w=session["w"],
        y=y,
        h=height,
        result=session["result"],
        start=session["start"],
        is_retry=str(session["retry"]).lower(),
        title=_title(session),
    )


def _job(job: dict[str, Any], grid: Html) -> Html:
    sessions = job["sessions"]
    label = f"{job['name']}: {plural(job['sessionCount'], 'session')}, {plural(job['retries'], 'retry', 'retries')}"
    drawn = len(sessions)
    return fill(
        "job",
        id=job["id"],
        running="true" if job["running"] else "false",
        name=job["name"],
        disabled=fill("job_disabled") if job["scheduleConfigured"] and not job["scheduleEnabled"] else NOTHING,
        type=job["type"],
        platform=job["platform"],
        server=job["backupServer"] or "—",
        vms=plural(job["vms"], "VM"),
        schedule=job["schedule"],
        next=f"next {when(job['nextRun'])}" if job["nextRun"] else "no next run",
        last=_last(job["last"]),
        now=_now(job["running"]),
        label=label,
        grid=grid,
        marks=join(_mark(s) for s in sessions),
        marks_more=fill("marks_more", drawn=number(drawn), count=number(job["sessionCount"]))
        if job["sessionsMore"]
        else NOTHING,
    )


def _tallies(jobs: dict[str, Any]) -> Html:
    counts = (("running", jobs["running"], "running"), ("r-text-failed", jobs["failed"], "last failed"))
    counts += (("r-text-warning", jobs["warning"], "last warned"),)
    return join(fill("tally", css=css, text=f"{number(n)} {text}") for css, n, text in counts if n)


def render_jobs(d: dict[str, Any]) -> Html:
    """The backup servers' jobs, one row each, with a timeline of the sessions EM keeps."""
    jobs, history = d["jobs"], d["jobs"]["history"]
    grid = join([*(fill("job_tick", x=t["x"]) for t in history["ticks"]), fill("job_now", x=history["now"])])
    axis = join(fill("axis_label", x=t["x"], label=t["label"]) for t in history["ticks"] if t["label"])
    rows = join(_job(job, grid) for job in jobs["items"])
    return fill(
        "jobs",
        total=number(jobs["total"]),
        days=history["days"],
        start=when(history["start"]),
        end=when(history["end"]),
        counts=_tallies(jobs),
        table=fill("jobs_table", axis=axis, rows=rows) if jobs["items"] else fill("no_jobs"),
        more=more(jobs["more"], "job"),
    )


def _level(percent: float) -> str:
    return "full" if percent >= FULL else "high" if percent >= HIGH else "ok"


def _repository(r: dict[str, Any]) -> Html:
    common = {"id": r["id"], "name": r["name"], "kind": r["kind"], "jobs": plural(r["jobs"], "job")}
    percent = r["usedPercent"]
    if percent is None:
        return fill("repository_unknown", **common)
    return fill(
        "repository",
        **common,
        percent=f"{percent:.1f}",
        bar=min(max(percent, 0.0), 100.0),
        level=_level(percent),
        free=size(r["freeSpace"]),
        capacity=size(r["capacity"]),
    )


def render_repositories(d: dict[str, Any]) -> Html:
    """Each backup server's repositories: how full each is."""
    repositories = d["repositories"]
    servers = []
    for server in repositories["servers"]:
        rows = [_repository(r) for r in server["repositories"]]
        table = fill("repositories_table", rows=join(rows)) if rows else fill("no_repositories")
        servers.append(fill("repository_server", name=server["name"] or "—", table=table))
    return fill(
        "repositories",
        total=number(repositories["total"]),
        servers=join(servers) if servers else fill("no_repositories"),
        more=more(repositories["more"], "repository", many="repositories"),
    )
