"""Start-up: how long a default `mock-em serve` takes to answer its first request.

    python bench/startup.py [--rounds 5]

Starts `mock-em serve --host 127.0.0.1 --port <free>` (the default world: seed 1, 168 points) and
asks `GET /api/` every few milliseconds until it answers; the time from starting the process to
that first answer is the number. Each round is a fresh process; the table shows every round and
the median. (The first round also pays for a cold disk cache, as a first start after install does.)
"""

from __future__ import annotations

import argparse
import os
import subprocess
import sys
import time
import urllib.request
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))

from _common import ROOT, free_port, machine, median, table

TARGET = 1.5


def first_answer(port: int) -> float:
    """Seconds from starting `mock-em serve` to its first answer to `GET /api/`."""
    executable = Path(sys.executable).with_name("mock-em")
    command = [str(executable)] if executable.exists() else [sys.executable, "-m", "mock_em"]
    started = time.perf_counter()
    process = subprocess.Popen(
        [*command, "serve", "--host", "127.0.0.1", "--port", str(port)],
        cwd=ROOT,
        env={k: v for k, v in os.environ.items() if not k.startswith("MOCK_EM_")},
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )
    try:
        while True:
            try:
                with urllib.request.urlopen(f"http://127.0.0.1:{port}/api/", timeout=1) as response:
                    response.read()
                return time.perf_counter() - started
            except OSError:
                if process.poll() is not None:
                    raise RuntimeError(f"mock-em serve exited with {process.returncode}") from None
                if time.perf_counter() - started > 60:
                    raise RuntimeError("no answer within 60 s") from None
                time.sleep(0.005)
    finally:
        process.terminate()
        process.wait(10)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--rounds", type=int, default=5)
    args = parser.parse_args()
    print(f"# startup: {machine()}", flush=True)
    times = [first_answer(free_port()) for _ in range(args.rounds)]
    print(table(["round", "seconds to first answer"], [[i + 1, f"{t:.3f}"] for i, t in enumerate(times)]))
    verdict = "met" if median(times) <= TARGET else "NOT met"
    print(f"\nmedian: {median(times):.3f} s (target <= {TARGET} s: {verdict})")


if __name__ == "__main__":
    main()
