"""What the dashboard shows, as JSON: gathered from the EM's world, clock and sessions and the journal.

The page (`dashboard_html`) is rendered from this JSON and `GET /mock/dashboard/data` answers it, so
the page and a script reading the data can never disagree. It holds:

* a header: mock-em version, release, seed, clock (now; real, virtual, frozen or running at a rate)
  and world counts;
* tenants with their replication jobs and VMs, one timeline row per VM with a mark per restore
  point, placed by `CreationTimeUTC` over the retention window;
* the backup servers' jobs with their sessions, and their repositories (`dashboard_jobs`);
* the newest requests of the journal and the live sessions.

Big worlds stay cheap: the page shows at most `MAX_TENANTS` tenants, `MAX_REPLICAS` jobs per tenant,
`MAX_VMS` VMs per job, `MAX_ROWS` VM rows in all and the newest `MAX_MARKS` points per VM, and says
how many more there are (`dashboard_jobs` has the caps of the jobs and repositories). The one
pass over all points is cached per world version.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta
from itertools import islice
from operator import attrgetter
from typing import Any

from fastapi import Request

from mock_em import __version__
from mock_em.control.common import clock_state, em, world_summary
from mock_em.control.dashboard_jobs import MAX_JOBS, MAX_REPOSITORIES, jobs_data, repositories_data
from mock_em.control.dashboard_jobs import MAX_SESSIONS as MAX_JOB_SESSIONS
from mock_em.control.dashboard_window import Window
from mock_em.control.journal import journal
from mock_em.control.sessions import session_json
from mock_em.model.entities import CloudReplica, CloudTenant, CloudVmReplicaPoint, PointState
from mock_em.model.fixture import format_time
from mock_em.model.journal import JournalEntry
from mock_em.model.usage import tenant_resources
from mock_em.model.world import World

MAX_TENANTS = 50
MAX_REPLICAS = 10  # per tenant
MAX_VMS = 20  # per replication job
MAX_ROWS = 200  # VM timeline rows on the whole page
MAX_MARKS = 40  # newest points drawn per VM
MAX_REQUESTS = 25
MAX_SESSIONS = 50
MAX_WINDOW_DAYS = 60


# -- the world, as much of it as the page shows (cached per world version) -------------------


@dataclass(slots=True)
class ReplicaView:
    """A shown replication job and the points of its shown VMs, oldest first."""

    replica: CloudReplica
    rows: list[tuple[str, list[CloudVmReplicaPoint]]]


@dataclass(slots=True)
class WorldView:
    """What one pass over the world found: the shown tenants and jobs, the newest point."""

    world: World
    version: int
    tenants: list[tuple[CloudTenant, list[ReplicaView], int]]  # (tenant, shown jobs, all its jobs)
    newest: datetime | None
    not_ready: int


by_time = attrgetter("creation_time")


def world_view(world: World) -> WorldView:
    """Pick what the page shows (store order, within the caps) and gather its points."""
    tenants = list(islice(world.tenants.values(), MAX_TENANTS))
    jobs: dict[int, list[CloudReplica]] = {t.id.int: [] for t in tenants}
    counts = dict.fromkeys(jobs, 0)
    for replica in world.replicas.values():
        key = replica.tenant_id.int
        if key in jobs:
            counts[key] += 1
            if len(jobs[key]) < MAX_REPLICAS:
                jobs[key].append(replica)
    budget, buckets = MAX_ROWS, {}
    shown: list[tuple[CloudTenant, list[ReplicaView], int]] = []
    for tenant in tenants:
        views = []
        for replica in jobs[tenant.id.int]:
            rows = []
            for vm in replica.vms[: min(MAX_VMS, budget)]:
                rows.append((vm.name, buckets.setdefault((replica.id.int, vm.name), [])))
            budget -= len(rows)
            views.append(ReplicaView(replica, rows))
        shown.append((tenant, views, counts[tenant.id.int]))
    # The one pass over every point (a world may hold millions): one loop, locals only.
    newest, not_ready, ready, find = None, 0, PointState.Ready, buckets.get
    for point in world.points.values():
        when = point.creation_time
        if newest is None or when > newest:
            newest = when
        if point.state is not ready:
            not_ready += 1
        bucket = find((point.replica_id.int, point.vm_name))
        if bucket is not None:
            bucket.append(point)
    for bucket in buckets.values():
        bucket.sort(key=by_time)
    return WorldView(world, world.version, shown, newest, not_ready)


def cached_view(request: Request, world: World) -> WorldView:
    """The view of this world at this version, computed once: the page polls every two seconds and
    the world rarely changes in between."""
    view: WorldView | None = getattr(request.app.state, "dashboard_view", None)
    if view is None or view.world is not world or view.version != world.version:
        view = world_view(world)
        request.app.state.dashboard_view = view
    return view


def window(view: WorldView, now: datetime) -> tuple[Window, bool]:
    """Retention days (one run a night) up to the next full hour; a world whose points are all
    older than that (a fixture under a real clock) is shown up to its newest point instead."""
    retention = max((r.replica.retention for _, views, _ in view.tenants for r in views), default=7)
    span = timedelta(days=min(retention, MAX_WINDOW_DAYS) + 1)
    end = now.replace(minute=0, second=0, microsecond=0) + timedelta(hours=1)
    newest = max(
        (pts[-1].creation_time for _, vs, _ in view.tenants for r in vs for _, pts in r.rows if pts), default=None
    )
    if newest is not None and newest < end - span:
        end = newest.replace(minute=0, second=0, microsecond=0) + timedelta(hours=2)
        return Window(end - span, end), True
    return Window(end - span, end), False


# -- labels the JSON carries ready-made (a script reading the data shows the page's words) -------


def _rate(rate: float) -> str:
    return f"{int(rate):,}" if rate == int(rate) else f"{rate:g}"


def clock_label(clock: dict[str, Any]) -> str:
    """`real time`, `virtual, frozen` or `virtual, running at 60×` for a `clock_state`."""
    if not clock["virtual"]:
        return "real time"
    if clock["frozen"]:
        return "virtual, frozen"
    return f"virtual, running at {_rate(clock['rate'])}×"


def idle_label(seconds: float) -> str:
    """`45 s`, `12 min`, `3 h 5 min`, `2 d 4 h`."""
    s = max(int(seconds), 0)
    if s < 60:
        return f"{s} s"
    if s < 3600:
        return f"{s // 60} min"
    if s < 86400:
        return f"{s // 3600} h {s % 3600 // 60} min"
    return f"{s // 86400} d {s % 86400 // 3600} h"


# -- the JSON --------------------------------------------------------------------------------


def _mark(point: CloudVmReplicaPoint, span: Window) -> dict[str, Any]:
    return {
        "name": point.name,
        "time": format_time(point.creation_time),
        "state": point.state.value,
        "type": point.point_type.value,
        "x": span.x(point.creation_time),
    }


def _replica_json(view: ReplicaView, span: Window) -> dict[str, Any]:
    replica = view.replica
    vms = []
    for name, points in view.rows:
        drawn = points[-MAX_MARKS:]
        vms.append(
            {
                "name": name,
                "pointCount": len(points),
                "notReady": sum(p.state is not PointState.Ready for p in points),
                "newest": format_time(points[-1].creation_time) if points else None,
                "points": [_mark(p, span) for p in drawn],
                "pointsMore": len(points) - len(drawn),
            }
        )
    return {
        "id": str(replica.id),
        "name": replica.name,
        "platform": replica.platform.value,
        "retention": replica.retention,
        "vmsTotal": len(replica.vms),
        "vmsMore": len(replica.vms) - len(vms),
        "rowsCapped": len(vms) < min(len(replica.vms), MAX_VMS),  # the page's row budget ran out
        "vms": vms,
    }


def _request_json(entry: JournalEntry) -> dict[str, Any]:
    return {
        "sequence": entry.sequence,
        "time": format_time(entry.time),
        "method": entry.method,
        "path": entry.path + (f"?{entry.query}" if entry.query else ""),
        "status": entry.status,
        "latencyMs": round(entry.latency_ms, 1),
        "userName": entry.user_name,
        "tokenRejected": entry.token_rejected,
        "fault": entry.fault,
    }


def dashboard_data(request: Request) -> dict[str, Any]:
    """Everything the page shows, as JSON (in demo mode `em` first catches the world up with the clock)."""
    manager = em(request)
    settings = request.app.state.settings
    view = cached_view(request, manager.world)
    now = manager.clock.now()
    span, stale = window(view, now)
    clock = clock_state(manager)
    tenants = []
    for tenant, views, replica_count in view.tenants:
        server = manager.world.backup_servers.get(tenant.backup_server_id)
        resources = tenant_resources(manager.world, tenant.id)
        tenants.append(
            {
                "id": str(tenant.id),
                "name": tenant.name,
                "enabled": tenant.enabled,
                "backupServer": server.name if server else None,
                "quotaMb": sum(r.quota_mb for r in resources) if resources else None,
                "usedQuotaMb": sum(r.used_quota_mb for r in resources) if resources else None,
                "replicasTotal": replica_count,
                "replicasMore": replica_count - len(views),
                "replicas": [_replica_json(v, span) for v in views],
            }
        )
    live = manager.sessions.live()
    sessions = []
    for session in live[-MAX_SESSIONS:][::-1]:  # most recent logon first
        entry = session_json(session, manager.world)
        entry["idle"] = idle_label((now - session.last_used).total_seconds())
        sessions.append(entry)
    requests = journal(request)
    return {
        "name": "mock-em",
        "version": __version__,
        "release": settings.release,
        "seed": manager.seed,
        "demo": manager.live,
        "clock": {**clock, "label": clock_label(clock)},
        "world": {**world_summary(manager), "notReady": view.not_ready},
        "newestPoint": format_time(view.newest) if view.newest else None,
        "timeline": {
            "start": format_time(span.start),
            "end": format_time(span.end),
            "now": None if stale else span.x(now),
            "stale": stale,
            "ticks": span.ticks(),
        },
        "tenants": {
            "total": len(manager.world.tenants),
            "more": len(manager.world.tenants) - len(tenants),
            "items": tenants,
        },
        "jobs": jobs_data(request, manager.world, now),
        "repositories": repositories_data(manager.world),
        "sessions": {"total": len(live), "more": len(live) - len(sessions), "items": sessions},
        "requests": {
            "kept": requests.count(),
            "items": [_request_json(e) for e in requests.entries(limit=MAX_REQUESTS)],
        },
        "limits": {
            "tenants": MAX_TENANTS,
            "replicas": MAX_REPLICAS,
            "vms": MAX_VMS,
            "rows": MAX_ROWS,
            "marks": MAX_MARKS,
            "jobs": MAX_JOBS,
            "jobSessions": MAX_JOB_SESSIONS,
            "repositories": MAX_REPOSITORIES,
        },
    }
