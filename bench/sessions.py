"""Job sessions in bulk: 2,000-session query pages over a world of many backup servers.

    python bench/sessions.py [--servers 100] [--rounds 5]

Monitoring clients read the backup job sessions as one big query page (`sortDesc=CreationTime&
pageSize=2000&page=1`, em-api-monitoring.md §4) and the task sessions likewise. This builds a
world of `--servers` backup servers (each with its three to eight jobs, eight days of sessions
drawn from their schedules) at a fixed instant, serves it in-process, and times `GET /api/query`
for both types, in XML and JSON, references and entities, page 1 and page 2:

* first ask: nothing kept (the query service's results, the response cache and its list-item
  fragments emptied);
* query kept: the response cache and fragments emptied, the query service's results kept (a
  page not asked for before, its items never rendered);
* after a change: the world changed since the last ask (its version moved, as any edit or clock
  move does), so neither the query's results nor the body are current; the items' fragments are
  kept (what a client polling a world that moves pays on every poll);
* again: the same request once more (the whole body kept).

Medians of `--rounds` asks, in wall and CPU time (CPU time barely moves with the load of a shared
machine). The target (50 ms per page once warm) is judged on the CPU time after a change.
"""

from __future__ import annotations

import argparse
import sys
import time
import warnings
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

sys.path.insert(0, str(Path(__file__).resolve().parent))

from _common import ROOT, machine, median_ms, table

TARGET_MS = 50
NOW = datetime(2026, 1, 5, 12, tzinfo=UTC)
PAGE = "sortDesc=CreationTime&pageSize=2000&page={page}"
TYPES = ("BackupJobSession", "BackupTaskSession")
FORMATS = (("XML, references", False, ""), ("XML, entities", False, "&format=Entities"),
           ("JSON, references", True, ""), ("JSON, entities", True, "&format=Entities"))  # fmt: skip


def build(servers: int) -> tuple[Any, Any, dict[str, str], dict[str, int]]:
    """The app over a generated world of `servers` backup servers, a logged-on admin's headers,
    and how many of each session kind the world holds."""
    sys.path.insert(0, str(ROOT))
    warnings.simplefilter("ignore")
    from starlette.testclient import TestClient

    from mock_em.app import create_app
    from mock_em.generator import WorldSize, generate_world
    from mock_em.model.clock import Clock
    from mock_em.model.enterprise_manager import EnterpriseManager
    from mock_em.settings import Settings

    world = generate_world(1, WorldSize(backup_servers=servers), NOW)
    settings = Settings()
    em = EnterpriseManager.create(world, settings.accounts, seed=1, clock=Clock(NOW, frozen=True))
    app = create_app(em, settings)
    client = TestClient(app)
    token = client.post("/api/sessionMngr/?v=latest", auth=("Administrator", "P@ssw0rd")).headers["X-RestSvcSessionId"]
    kinds = ("Job", "BackupJobSession", "BackupTaskSession", "ReplicaJobSession", "ReplicaTaskSession")
    counts = {kind: len(em.world.all(kind)) for kind in kinds}
    return app, client, {"X-RestSvcSessionId": token}, counts


def measure(app: Any, client: Any, headers: dict[str, str], rounds: int) -> list[list[Any]]:
    """Rows: type, format, page, items on the page, bytes, then (wall, CPU) ms: first ask, query kept,
    after a change, again."""
    rows = []

    def cold() -> None:
        app.state.query_cache.clear()
        app.state.response_cache.clear()

    def rendered() -> None:
        app.state.response_cache.clear()

    def changed() -> None:
        app.state.em.world.changed()

    for kind in TYPES:
        for title, json, form in FORMATS:
            for page in (1, 2):
                url = f"/api/query?type={kind}&{PAGE.format(page=page)}{form}"
                wanted = {**headers, "Accept": "application/json"} if json else headers
                sizes: list[int] = []

                def get(url: str = url, wanted: dict[str, str] = wanted, sizes: list[int] = sizes) -> None:
                    response = client.get(url, headers=wanted)
                    assert response.status_code == 200, response.text[:500]
                    sizes.append(len(response.content))

                first = median_ms(get, cold, rounds)
                kept = median_ms(get, rendered, rounds)
                get()  # the items' fragments, kept
                moved = median_ms(get, changed, rounds)
                again = median_ms(get, lambda: None, rounds)
                items = count_items(client.get(url, headers={**headers, "Accept": "application/json"}).json())
                rows.append([kind, title, page, items, sizes[-1], first, kept, moved, again])
    return rows


def count_items(data: dict[str, Any]) -> int:
    """The items on a JSON query page, references or entities."""
    if data.get("Refs"):
        return len(data["Refs"]["Refs"])
    (inner,) = data["Entities"].values()
    (items,) = inner.values()
    return len(items)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--servers", type=int, default=100, help="backup servers in the generated world")
    parser.add_argument("--rounds", type=int, default=5)
    args = parser.parse_args()
    print(f"# sessions: {machine()}", flush=True)
    started = time.perf_counter()
    app, client, headers, counts = build(args.servers)
    built = time.perf_counter() - started
    print(f"# world: {args.servers} backup servers at {NOW:%Y-%m-%dT%H:%M}Z, built in {built:.1f} s: "
          + ", ".join(f"{n:,} {kind}" for kind, n in counts.items()))  # fmt: skip
    rows = measure(app, client, headers, args.rounds)
    print(f"\n# GET /api/query?type=…&{PAGE.format(page='N')} (in-process, median ms: wall / CPU)")
    print(table(
        ["type", "format", "page", "items", "bytes", "first ask", "query kept", "after a change", "again",
         f"after a change < {TARGET_MS} ms CPU"],
        [[kind, title, page, f"{items:,}", f"{size:,}",
          *(f"{w:.1f} / {c:.1f}" for w, c in (first, kept, moved, again)),
          "met" if moved[1] < TARGET_MS else "NOT met"]
         for kind, title, page, items, size, first, kept, moved, again in rows],
    ))  # fmt: skip


if __name__ == "__main__":
    main()
