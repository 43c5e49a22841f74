"""First pages of queries over a big world: how long the first ask of each kind of query takes
when nothing is kept yet, and the next page after it.

    python bench/query_pages.py [--points 1000000] [--rounds 3]

For each kind (sortAsc / sortDesc on every field of CloudVmReplicaPoint, a few filters, no sort)
it times, with the query service's kept results and the response cache emptied before each ask:
`run_query` alone (the model), and `GET /api/query` through the app in-process, in references and
in entities (the model plus rendering a 100-point page); then page 2 right after a first page.
Medians of `--rounds` asks, in wall time and in this process's CPU time: on a machine shared with
other work the wall time swings with the load while the CPU time barely moves, so the target is
judged on the CPU time of the slower format. `bench/generation.py` runs the same over its largest
world.
"""

from __future__ import annotations

import argparse
import sys
from collections.abc import Callable
from pathlib import Path
from typing import Any
from urllib.parse import urlencode

sys.path.insert(0, str(Path(__file__).resolve().parent))

from _common import ROOT, machine, table
from _common import median_ms as timed

TARGET_MS = 500


def kinds(world: Any) -> list[tuple[str, dict[str, str]]]:
    """The kinds of query measured, as `run_query` keyword arguments' query-string names."""
    from mock_em.model.query import QUERY_TYPES

    replica = next(iter(world.replicas.values()))
    found: list[tuple[str, dict[str, str]]] = [("no sort, no filter", {})]
    for field in QUERY_TYPES["cloudvmreplicapoint"].fields.values():
        for direction in ("sortAsc", "sortDesc"):
            found.append((f"{direction}={field.name}", {direction: field.name}))
    found += [
        ("filter State==Ready", {"filter": "State==Ready"}),
        ("filter State!=Ready, sortAsc=Name", {"filter": "State!=Ready", "sortAsc": "Name"}),
        ("filter time range, sortDesc=CreationTime", {"filter": "CreationTime>=2026-01-01;CreationTime<2026-01-03",
                                                     "sortDesc": "CreationTime"}),
        ("filter Name range (srv0001…)", {"filter": "Name>=srv0001;Name<srv0002"}),
        ("filter Name==<one point>", {"filter": f"Name=={next(iter(world.points.values())).name}"}),
        ('filter Name=="<one point>"', {"filter": f'Name=="{next(iter(world.points.values())).name}"'}),
        ("filter ReplicaName, sortAsc=Name", {"filter": f'ReplicaName=="{replica.name}"', "sortAsc": "Name"}),
        ("filter ReplicaUid, sortDesc=CreationTime", {"filter": f"ReplicaUid==urn:veeam:CloudReplica:{replica.id}",
                                                     "sortDesc": "CreationTime"}),
        ("filter VmName a or b, sortAsc=VmName", {"filter": "VmName==srv000042,VmName==srv000043",
                                                  "sortAsc": "VmName"}),
    ]  # fmt: skip
    return found


def measure(world: Any, app: Any, client: Any, headers: dict[str, str], rounds: int) -> list[list[Any]]:
    """Rows of (query, then (wall ms, CPU ms) for: the model, references, entities, page 2), each
    the median of `rounds` asks."""
    from mock_em.model.access import ADMIN
    from mock_em.model.query import QueryCache, run_query

    args = {"filter": "filter_text", "sortAsc": "sort_asc", "sortDesc": "sort_desc"}

    def cold() -> None:
        app.state.query_cache.clear()
        app.state.response_cache.clear()

    def median_ms(ask: Callable[[], object], before: Callable[[], None] = cold) -> tuple[float, float]:
        return timed(ask, before, rounds)

    def get(params: dict[str, str]) -> None:
        r = client.get("/api/query?" + urlencode(params), headers=headers)
        assert r.status_code == 200, r.text

    rows = []
    for title, params in kinds(world):
        base = {"type": "CloudVmReplicaPoint", **params, "pageSize": "100"}
        model = median_ms(
            lambda base=base: run_query(
                world, ADMIN, base["type"], cache=QueryCache(), page="1", page_size="100",
                **{args[k]: v for k, v in base.items() if k in args},
            )
        )  # fmt: skip
        refs = median_ms(lambda base=base: get({**base, "page": "1"}))
        entities = median_ms(lambda base=base: get({**base, "page": "1", "format": "Entities"}))

        def first_page(base: dict[str, str] = base) -> None:
            cold()
            get({**base, "page": "1"})

        second = median_ms(lambda base=base: get({**base, "page": "2"}), before=first_page)
        rows.append([title, model, refs, entities, second])
    return rows


def print_rows(points: int, rows: list[list[Any]]) -> None:
    """The table both this script and `generation.py` print: wall / CPU ms per cell."""
    print(f"\n# first pages of 100 over {points:,} points, nothing kept yet (in-process, median ms: wall / CPU)")
    print(table(
        ["query", "model (run_query)", "app, references", "app, entities", "then page 2",
         f"first page < {TARGET_MS} ms CPU"],
        [[t, *(f"{w:.0f} / {c:.0f}" for w, c in (m, r, e)), f"{s[0]:.1f} / {s[1]:.1f}",
          "met" if max(r[1], e[1]) < TARGET_MS else "NOT met"] for t, m, r, e, s in rows],
    ))  # fmt: skip


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--points", type=int, default=1_000_000)
    parser.add_argument("--rounds", type=int, default=3)
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

    print(f"# query pages: {machine()}", flush=True)
    now = datetime(2026, 1, 5, 12, tzinfo=UTC)
    tenants = max(1, args.points // 1000)  # the shape of bench/generation.py: 10 points, VMs and replicas per level
    size = WorldSize(backup_servers=4, tenants=tenants, replicas_per_tenant=10, vms_per_replica=10, points_per_vm=10)
    world = generate_world(1, size, now)
    settings = Settings()
    em = EnterpriseManager.create(world, settings.accounts, seed=1, clock=Clock(now, frozen=True))
    app = create_app(em, settings)
    client = TestClient(app)
    token = client.post("/api/sessionMngr/?v=latest", auth=("Administrator", "P@ssw0rd")).headers["X-RestSvcSessionId"]
    print_rows(len(world.points), measure(world, app, client, {"X-RestSvcSessionId": token}, args.rounds))


if __name__ == "__main__":
    main()
