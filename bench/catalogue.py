"""A backup catalogue of a million VM restore points: how long the world takes to generate and
to be taken by the EM, and how fast 100-item query pages over its `VmRestorePoint`s answer.

    python bench/catalogue.py [--vm-points 1000000] [--rounds 5] [--backup-servers 10]

The world: `--backup-servers` servers, each with as many backup jobs of 34 VMs keeping 30
points per VM as make about `--vm-points` VM restore points (the job knobs of `WorldSize`; no
replication jobs, no tenants), at an instant by night, when jobs run. Timed: `generate_world`
(the jobs, their runs drawn, what their backups hold) and the EM taking the world (`refresh_jobs`:
sessions, task sessions, the catalogue), in wall and in this process's CPU time; the target is
both together under 10 s. Then, through the app in-process, `GET /api/query?type=VmRestorePoint`
pages of 100 in entity form: the first ask with the query service's kept results and the
response cache emptied before it, and another page of the same query right after (what a client
paging through pays); the target, under 20 ms, is judged on the CPU time of the other page.
"""

from __future__ import annotations

import argparse
import gc
import sys
import time
from pathlib import Path
from typing import Any
from urllib.parse import urlencode

sys.path.insert(0, str(Path(__file__).resolve().parent))

from _common import ROOT, machine, table
from _common import median_ms as timed

GENERATE_TARGET_S = 10
PAGE_TARGET_MS = 20
VMS_PER_JOB, RETENTION = 34, 30


def clocked(work: Any) -> tuple[Any, float, float]:
    """`work()`'s answer, wall seconds and CPU seconds."""
    wall, cpu = time.perf_counter(), time.process_time()
    answer = work()
    return answer, time.perf_counter() - wall, time.process_time() - cpu


def queries(world: Any) -> list[tuple[str, dict[str, str], str, str]]:
    """(title, query parameters, the page asked first, the other page asked after it) for each
    kind measured."""
    point = next(iter(world.all("VmRestorePoint").values()))
    restore_point = f"urn:veeam:RestorePoint:{point.restore_point_id}"
    return [
        ("no sort, no filter", {}, "1", "2"),
        ("no sort, pages 5,000 and 5,001", {}, "5000", "5001"),
        ("sortDesc=CreationTime", {"sortDesc": "CreationTime"}, "1", "2"),
        ("sortDesc=CreationTime, pages 60 and 61", {"sortDesc": "CreationTime"}, "60", "61"),
        ("sortAsc=Name", {"sortAsc": "Name"}, "1", "3"),
        (f"filter VmName=={point.vm_name}", {"filter": f"VmName=={point.vm_name}"}, "1", "1"),
        ("filter RestorePointUid", {"filter": f"RestorePointUid=={restore_point}"}, "1", "1"),
        ("filter Type==Full, sortAsc=CreationTime", {"filter": "Type==Full", "sortAsc": "CreationTime"}, "1", "2"),
    ]


def measure(world: Any, app: Any, client: Any, headers: dict[str, str], rounds: int) -> list[list[Any]]:
    """Rows of (query, its first page with nothing kept, the other page after it): (wall ms, CPU ms)."""

    def cold() -> None:
        app.state.query_cache.clear()
        app.state.response_cache.clear()

    def get(params: dict[str, str], page: str) -> None:
        query = {"type": "VmRestorePoint", **params, "format": "Entities", "pageSize": "100", "page": page}
        answer = client.get("/api/query?" + urlencode(query), headers=headers)
        assert answer.status_code == 200, answer.text[:300]

    rows = []
    for title, params, page, other in queries(world):
        first = timed(lambda params=params, page=page: get(params, page), cold, rounds)
        after_first = lambda params=params, page=page: (cold(), get(params, page))  # noqa: E731
        then = timed(lambda params=params, other=other: get(params, other), after_first, rounds)
        rows.append([title, first, then])
    return rows


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--vm-points", type=int, default=1_000_000)
    parser.add_argument("--rounds", type=int, default=5)
    parser.add_argument("--backup-servers", type=int, default=10)
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

    print(f"# backup catalogue: {machine()}", flush=True)
    now = datetime(2026, 1, 5, 23, 10, tzinfo=UTC)  # by night: jobs are running
    # about one job in ten has its schedule disabled and keeps no points; the others keep their
    # chains back to the week's full, about 14 % over `RETENTION`
    jobs = max(1, round(args.vm_points / (args.backup_servers * VMS_PER_JOB * RETENTION * 0.9 * 1.14)))
    size = WorldSize(
        backup_servers=args.backup_servers, tenants=0, jobs_per_server=jobs, vms_per_job=VMS_PER_JOB,
        job_retention=RETENTION, replica_jobs_percent=0,
    )  # fmt: skip
    settings = Settings()
    world, gen_wall, gen_cpu = clocked(lambda: generate_world(1, size, now))
    em, take_wall, take_cpu = clocked(
        lambda: EnterpriseManager.create(world, settings.accounts, seed=1, clock=Clock(now, frozen=True))
    )
    counts = {kind: len(world.all(kind)) for kind in ("Job", "RestorePoint", "VmRestorePoint", "BackupTaskSession")}
    total = gen_wall + take_wall
    print(f"\n{counts['VmRestorePoint']:,} VM restore points in {counts['RestorePoint']:,} restore points of "
          f"{counts['Job']:,} jobs; {counts['BackupTaskSession']:,} task sessions")  # fmt: skip
    print(table(
        ["step", "wall s", "CPU s"],
        [["generate_world", f"{gen_wall:.2f}", f"{gen_cpu:.2f}"],
         ["the EM takes the world", f"{take_wall:.2f}", f"{take_cpu:.2f}"],
         [f"both (target < {GENERATE_TARGET_S} s)", f"{total:.2f}", f"{gen_cpu + take_cpu:.2f}"
          + (" met" if gen_cpu + take_cpu < GENERATE_TARGET_S else " NOT met")]],
    ))  # fmt: skip
    gc.collect()  # a running server's first full collection, done before any timing
    app = create_app(em, settings)
    client = TestClient(app)
    token = client.post("/api/sessionMngr/?v=latest", auth=("Administrator", "P@ssw0rd")).headers["X-RestSvcSessionId"]
    rows = measure(world, app, client, {"X-RestSvcSessionId": token}, args.rounds)
    print(f"\n# 100-item pages of VmRestorePoint entities (ms: wall / CPU, median of {args.rounds})")
    print(table(
        ["query", "first page asked, nothing kept", "another page", f"another < {PAGE_TARGET_MS} ms CPU"],
        [[q, f"{f[0]:.1f} / {f[1]:.1f}", f"{o[0]:.1f} / {o[1]:.1f}", "met" if o[1] < PAGE_TARGET_MS else "NOT met"]
         for q, f, o in rows],
    ))  # fmt: skip


if __name__ == "__main__":
    main()
