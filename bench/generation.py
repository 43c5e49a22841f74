"""World generation: time and peak memory for 10,000, 100,000 and 1,000,000 points, and 100-point
query pages over the largest.

    python bench/generation.py [--sizes 10000,100000,1000000] [--rounds 3]

Each size is generated in a fresh process (so one size's memory does not hide another's): the
time of `generate_world`, and its peak memory as the growth of the process's maximum resident set
over what it held just before, per point ("kept" is what is still resident afterwards). Then, in
the process of the largest size, `GET /api/query` pages of 100 points through the app (in-process,
no sockets): the first query of a kind builds what the query service keeps per world version (the
scope's objects, a filter's matches, the start of a sort order); another page of the same query
mostly only slices and renders; the same page again is answered from the response cache. Last,
the first page of every kind of query with nothing kept yet, and the page after it
(`bench/query_pages.py`, which also runs alone).
"""

from __future__ import annotations

import argparse
import json
import os
import subprocess
import sys
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))

from _common import ROOT, machine, table
from query_pages import print_rows

QUERIES = [
    ("store order, page 1", "/api/query?type=CloudVmReplicaPoint&pageSize=100&page=1"),
    ("store order, page 5,000", "/api/query?type=CloudVmReplicaPoint&pageSize=100&page=5000"),
    ("sortAsc=Name, page 2", "/api/query?type=CloudVmReplicaPoint&sortAsc=name&pageSize=100&page=2"),
    ("sortDesc=CreationTime, page 3", "/api/query?type=CloudVmReplicaPoint&sortDesc=CreationTime&pageSize=100&page=3"),
    ("filter State==Ready, page 2", "/api/query?type=CloudVmReplicaPoint&filter=State==Ready&pageSize=100&page=2"),
    ("filter VmName==srv000042", "/api/query?type=CloudVmReplicaPoint&filter=VmName==srv000042&pageSize=100&page=1"),
]


def shape(points: int) -> dict[str, int]:
    """A provider of `points` points: 10 points per VM, 10 VMs per replica, 10 replicas per tenant."""
    tenants = max(1, points // 1000)
    return {
        "backup_servers": 4,
        "tenants": tenants,
        "replicas_per_tenant": 10,
        "vms_per_replica": 10,
        "points_per_vm": 10,
    }


CHILD = r"""
import gc, json, resource, sys, time, warnings
sys.path.insert(0, "bench")
from datetime import UTC, datetime
warnings.simplefilter("ignore")
from mock_em.generator import WorldSize, generate_world

def rss():
    return int(open("/proc/self/statm").read().split()[1]) * resource.getpagesize()

size = WorldSize(**json.loads(sys.argv[1]))
now = datetime(2026, 1, 5, 12, tzinfo=UTC)
generate_world(1, WorldSize(tenants=1), now)  # imports and Faker's first use, outside the measurement
gc.collect()
before = max(resource.getrusage(resource.RUSAGE_SELF).ru_maxrss * 1024, rss())
start = rss()
t, cpu = time.perf_counter(), time.process_time()
world = generate_world(1, size, now)
seconds, cpu = time.perf_counter() - t, time.process_time() - cpu
peak = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss * 1024
n = len(world.points)
out = {"points": n, "seconds": seconds, "cpu": cpu}
out |= {"peak_per_point": (peak - before) / n, "kept_per_point": (rss() - start) / n}
if sys.argv[2] == "1":
    from starlette.testclient import TestClient
    from mock_em.app import create_app
    from mock_em.model.clock import Clock
    from mock_em.model.enterprise_manager import EnterpriseManager
    from mock_em.settings import Settings
    settings = Settings()
    em = EnterpriseManager.create(world, settings.accounts, seed=1, clock=Clock(now, frozen=True))
    app = create_app(em, settings)
    client = TestClient(app)
    token = client.post("/api/sessionMngr/?v=latest", auth=("Administrator", "P@ssw0rd")).headers["X-RestSvcSessionId"]
    headers = {"X-RestSvcSessionId": token}

    def timed(url):
        t = time.perf_counter()
        r = client.get(url, headers=headers)
        assert r.status_code == 200, r.text
        return time.perf_counter() - t

    timings = []
    for title, url in json.loads(sys.argv[3]):
        first = timed(url)
        other = timed(url.replace("page=", "page=1"))  # page 2 -> 12, 5000 -> 15000: a page not seen yet
        again = timed(url)
        timings.append([title, first, other, again])
    out["queries"] = timings
    from query_pages import measure
    out["first_pages"] = measure(world, app, client, headers, int(sys.argv[4]))
print(json.dumps(out))
"""


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--sizes", default="10000,100000,1000000")
    parser.add_argument("--rounds", type=int, default=3, help="asks per first-page median")
    args = parser.parse_args()
    sizes = [int(s) for s in args.sizes.split(",")]
    print(f"# generation: {machine()}", flush=True)
    rows, queries, first_pages = [], None, None
    for n in sizes:
        result = subprocess.run(
            [sys.executable, "-c", CHILD, json.dumps(shape(n)), "1" if n == max(sizes) else "0", json.dumps(QUERIES),
             str(args.rounds)],
            capture_output=True, text=True, cwd=ROOT, env=os.environ, check=True,
        )  # fmt: skip
        out = json.loads(result.stdout.strip().splitlines()[-1])
        target = ""
        if out["points"] >= 1_000_000:
            target = "met" if out["seconds"] < 10 and out["peak_per_point"] < 500 else "NOT met"
        rows.append([
            f"{out['points']:,}", f"{out['seconds']:.2f}", f"{out['cpu']:.2f}",
            f"{out['peak_per_point']:.0f}", f"{out['kept_per_point']:.0f}", target,
        ])  # fmt: skip
        if "queries" in out:
            queries = (out["points"], out["queries"])
            first_pages = (out["points"], out["first_pages"])
    print(
        table(["points", "seconds", "CPU s", "peak bytes/point", "kept bytes/point", "target: < 10 s, < 500 B"], rows)
    )
    if queries:
        n, timings = queries
        print(f"\n# 100-point query pages over {n:,} points (in-process, ms)")
        print(table(
            ["query", "first ask (builds what is kept)", "another page", "same page again", "another page < 20 ms"],
            [[t, f"{a * 1000:.1f}", f"{b * 1000:.1f}", f"{c * 1000:.2f}", "met" if b < 0.020 else "NOT met"]
             for t, a, b, c in timings],
        ))  # fmt: skip
    if first_pages:
        print_rows(*first_pages)


if __name__ == "__main__":
    main()
