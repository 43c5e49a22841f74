"""Logon rate: logon + logoff pairs per second against mock-em under uvicorn.

    python bench/logon.py [--rounds 4] [--seconds 5]

mock-em (the seed's world) runs under uvicorn as in `bench/load.py`, pinned to one core; wrk
(2 threads, 32 connections, the other core) runs `bench/logon.lua`: each thread logs on with HTTP
Basic (`POST /api/sessionMngr/?v=latest`, 201), then logs that session off
(`DELETE /api/logonSessions/<SessionId>` with its token, 204), over and over. A pair is counted
at its 204; the table shows the median of the rounds.
"""

from __future__ import annotations

import argparse
import base64
import re
import subprocess
import sys
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))

from _common import ADMIN, BENCH, CLIENT_CPU, ROOT, machine, median, table, taskset, uvicorn_server

TARGET = 2000


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--rounds", type=int, default=4)
    parser.add_argument("--seconds", type=float, default=5)
    args = parser.parse_args()
    print(f"# logon: {machine()}; wrk -t2 -c32, {args.rounds} rounds of {args.seconds:g}s", flush=True)
    basic = base64.b64encode(f"{ADMIN[0]}:{ADMIN[1]}".encode()).decode()
    rows, rates = [], []
    with uvicorn_server("mock_em_app", {"MOCK_EM_FIXTURE": str(ROOT / "fixtures" / "seed-sample.json")}) as server:
        for i in range(args.rounds + 1):  # the first round warms up
            before = server.cpu_seconds()
            out = subprocess.run(
                [*taskset(CLIENT_CPU), "wrk", "-t2", "-c32", f"-d{args.seconds:g}s", "--latency",
                 "-s", str(BENCH / "logon.lua"), f"http://127.0.0.1:{server.port}"],
                capture_output=True, text=True, check=True, env={"BENCH_BASIC": basic, "PATH": "/usr/bin:/bin"},
                timeout=args.seconds + 60,
            ).stdout  # fmt: skip
            match = re.search(r"PAIRS (\d+) FAILURES (\d+) SECONDS ([\d.]+)", out)
            assert match, out
            done, failures, seconds = int(match.group(1)), int(match.group(2)), float(match.group(3))
            cpu_us = (server.cpu_seconds() - before) / max(done, 1) * 1e6
            p99 = re.search(r"^\s+99%\s+(\S+)", out, re.M)
            if i == 0:
                continue
            rates.append(done / seconds)
            rows.append([i, f"{done / seconds:,.0f}", failures, p99.group(1) if p99 else "", f"{cpu_us:.0f}"])
    print(table(["round", "pairs/s", "failures", "p99 (any request)", "server CPU µs/pair"], rows))
    rate = median(rates)
    verdict = "met" if rate >= TARGET else "NOT met"
    print()
    print(f"median: {rate:,.0f} logon + logoff pairs per second (target >= {TARGET:,}: {verdict})")


if __name__ == "__main__":
    main()
