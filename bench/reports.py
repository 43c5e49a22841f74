"""The summary report over a big world: how long each of `/api/reports/summary` and its five frames
takes the first time it is asked (nothing kept: the report's counts and the rendered answer both
worked out) and once kept.

    python bench/reports.py [--points 1000000] [--rounds 5] [--backup-servers 4]

The world is `query_pages.py`'s (10 points per VM, 10 VMs per replica, 10 replicas per tenant, four
backup servers with their jobs; more servers, more jobs), generated at a fixed instant by night,
when jobs run. For each URL and notation: the first ask with the response cache and the report
cache emptied before it, and the median of `--rounds` asks after it, in wall and in this process's
CPU time, through the app in-process. The model's own first count of each frame is printed too.
The target, an answer in under 50 ms once counted, is judged on the CPU time of the kept ask. One
full garbage collection runs before any timing (see `main`).
"""

from __future__ import annotations

import argparse
import gc
import statistics
import sys
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

sys.path.insert(0, str(Path(__file__).resolve().parent))

from _common import ROOT, machine, table

TARGET_MS = 50
FRAMES = ("overview", "vms_overview", "job_statistics", "processed_vms", "repository")
URLS = ("/api/reports/summary", *(f"/api/reports/summary/{frame}" for frame in FRAMES))


def timed(ask: Callable[[], object]) -> tuple[float, float]:
    """(wall ms, CPU ms) of one call."""
    wall, cpu = time.perf_counter(), time.process_time()
    ask()
    return (time.perf_counter() - wall) * 1000, (time.process_time() - cpu) * 1000


def measure(app: Any, client: Any, token: str, rounds: int) -> list[list[Any]]:
    """Rows of (URL, notation, first ask, kept ask median) in (wall ms, CPU ms)."""

    def get(url: str, headers: dict[str, str]) -> None:
        response = client.get(url, headers={"X-RestSvcSessionId": token, **headers})
        assert response.status_code == 200, response.text[:300]

    rows = []
    for url in URLS:
        for notation, headers in (("XML", {}), ("JSON", {"Accept": "application/json"})):
            app.state.response_cache.clear()
            app.state.report_cache.clear()
            first = timed(lambda url=url, headers=headers: get(url, headers))
            kept = [timed(lambda url=url, headers=headers: get(url, headers)) for _ in range(rounds)]
            median = (statistics.median(k[0] for k in kept), statistics.median(k[1] for k in kept))
            rows.append([url.removeprefix("/api/reports/"), notation, first, median])
    return rows


def model_rows(world: Any, at: Any) -> list[list[Any]]:
    """Each frame counted by the model alone, from a fresh summary (what the first ask pays), with
    the jobs' days of runs already drawn (as the EM drew them when it took the world) and with
    none drawn yet (`job_history` keeps each drawn day)."""
    from mock_em.model import job_history
    from mock_em.model.reports import Summary

    frames = ("overview", "vms_overview", "job_statistics", "processed_vms", "repositories")

    def first_count(frame: str, forget_days: bool) -> tuple[float, float]:
        if forget_days:
            job_history._DAYS.clear()
            job_history._SIZES.clear()
        fresh = Summary(world, at)
        return timed(lambda: getattr(fresh, frame))

    primed = Summary(world, at)
    for frame in frames:  # every day any frame reads, drawn
        getattr(primed, frame)
    warm = [first_count(frame, False) for frame in frames]
    cold = [first_count(frame, True) for frame in frames]
    for frame in frames:  # and drawn again, for the asks through the app
        getattr(Summary(world, at), frame)
    return [[frame, w, c] for frame, w, c in zip(frames, warm, cold, strict=True)]


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--points", type=int, default=1_000_000)
    parser.add_argument("--rounds", type=int, default=5)
    parser.add_argument("--backup-servers", type=int, default=4, help="each with 3 to 8 jobs")
    args = parser.parse_args()
    sys.path.insert(0, str(ROOT))
    import warnings
    from datetime import UTC, datetime

    warnings.simplefilter("ignore")
    from starlette.testclient import TestClient

    from mock_em.app import create_app
    from mock_em.generator import WorldSize, generate_world
    from mock_em.model.clock import Clock
    from mock_em.model.enterprise_manager import EnterpriseManager
    from mock_em.settings import Settings

    print(f"# summary report: {machine()}", flush=True)
    now = datetime(2026, 1, 5, 23, 10, tzinfo=UTC)  # by night: jobs are running
    tenants = max(1, args.points // 1000)
    shape = {"replicas_per_tenant": 10, "vms_per_replica": 10, "points_per_vm": 10}
    size = WorldSize(backup_servers=args.backup_servers, tenants=tenants, **shape)
    started = time.perf_counter()
    world = generate_world(1, size, now)
    settings = Settings()
    em = EnterpriseManager.create(world, settings.accounts, seed=1, clock=Clock(now, frozen=True))
    built = time.perf_counter() - started
    # The world was built with the cyclic collector paused: a running server's first full
    # collection walks every object of it once (seconds for a million points), whichever request
    # it falls in. Done here, before timing, as a server has done it by the time it is polled.
    gc.collect()
    app = create_app(em, settings)
    client = TestClient(app)
    token = client.post("/api/sessionMngr/?v=latest", auth=("Administrator", "P@ssw0rd")).headers["X-RestSvcSessionId"]
    jobs, sessions = len(world.all("Job")), len(world.all("BackupJobSession")) + len(world.all("ReplicaJobSession"))
    print(f"\n{len(world.points):,} Cloud Connect points, {jobs} jobs, {sessions} job sessions; built in {built:.1f} s")
    print("\n# the model alone, each frame from a fresh summary (ms: wall / CPU)")
    print(table(
        ["frame", "first count", "first count, no day drawn yet"],
        [[f, *(f"{w:.1f} / {c:.1f}" for w, c in cells)] for f, *cells in model_rows(world, now)],
    ))  # fmt: skip
    rows = measure(app, client, token, args.rounds)
    print(f"\n# through the app in-process (ms: wall / CPU; kept: median of {args.rounds})")
    print(table(
        ["URL", "notation", "first (nothing kept)", "kept", f"kept < {TARGET_MS} ms CPU"],
        [[u, n, f"{f[0]:.1f} / {f[1]:.1f}", f"{k[0]:.2f} / {k[1]:.2f}", "met" if k[1] < TARGET_MS else "NOT met"]
         for u, n, f, k in rows],
    ))  # fmt: skip


if __name__ == "__main__":
    main()
