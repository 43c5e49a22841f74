"""The control snapshot's cost: its size, and the time to write and to load it, by world size.

    python bench/control_snapshot.py [--points 100000]

Compaction (`mock_em.store.compaction`) writes a snapshot of the shared state every
`--compact-every` control edits, and a late or restarted process loads it; both hold that
process's event loop meanwhile. For the default world and one of about `--points` Cloud Connect
restore points it prints the snapshot's size and the time `capture` and `restore` take, next to a
pickle of the same world (what the snapshot was before it became JSON), as a yardstick.
"""

from __future__ import annotations

import argparse
import pickle
import sys
import time
from collections.abc import Callable
from pathlib import Path
from typing import TypeVar

sys.path.insert(0, str(Path(__file__).resolve().parent))

from _common import table

from mock_em.server import build_served
from mock_em.settings import Settings
from mock_em.store.shared_state import capture, restore

CLOCK = "2026-01-05T12:00:00Z"
T = TypeVar("T")


def timed(action: Callable[[], T]) -> tuple[T, float]:
    """What `action()` returns, and the seconds it took."""
    started = time.perf_counter()
    result = action()
    return result, time.perf_counter() - started


def measure(size: dict[str, int]) -> list[str]:
    """One row: restore points, snapshot MB, capture s, restore s, pickle MB, dump s, load s."""
    settings = Settings(clock=CLOCK, **size)
    writer, reader = build_served(settings), build_served(settings)
    blob, captured = timed(lambda: capture(writer.em, writer.fastapi.state.faults, 0.0))
    _, restored = timed(lambda: restore(reader.em, reader.fastapi.state.faults, blob))
    pickled, dumped = timed(lambda: pickle.dumps(writer.em.world, protocol=pickle.HIGHEST_PROTOCOL))
    _, loaded = timed(lambda: pickle.loads(pickled))  # our own bytes
    points = len(writer.em.world.all("CloudVmReplicaPoint"))
    return [f"{points:,}", f"{len(blob) / 1e6:.1f}", f"{captured:.2f}", f"{restored:.2f}",
            f"{len(pickled) / 1e6:.1f}", f"{dumped:.2f}", f"{loaded:.2f}"]  # fmt: skip


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--points", type=int, default=100_000, help="about how many restore points the big world has")
    args = parser.parse_args()
    tenants = max(1, args.points // 2500)  # 5 replicas x 10 VMs x 50 points each
    sizes = [{}, {"tenants": tenants, "replicas_per_tenant": 5, "vms_per_replica": 10, "points_per_vm": 50}]
    rows = [measure(size) for size in sizes]
    header = ["points", "JSON MB", "capture s", "restore s", "pickle MB", "dump s", "load s"]
    print(table(header, rows))


if __name__ == "__main__":
    main()
