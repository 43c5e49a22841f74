"""The hot path in-process: CPU time per request of mock-em's app and of the raw-ASGI reference.

    python bench/hotpath.py [--requests 50000] [--rounds 5] [--profile] [--points 6|1000]

No sockets, no uvicorn: each app is called with a scope shaped as uvicorn's (httptools) and a
`receive`/`send` that do nothing, over the same request (`GET /api/cloud/vmReplicaPoints` with a
session header), so the figure is the apps' own cost per request, the part mock-em can change.
The two apps are measured in turn, round by round, and the medians and their ratio printed; a
quick check between two versions of the fast path before the minutes `load.py` takes.
`--profile` runs cProfile over mock-em's requests and prints the costliest functions.
"""

from __future__ import annotations

import argparse
import asyncio
import cProfile
import json
import os
import pstats
import statistics
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

sys.path.insert(0, str(Path(__file__).resolve().parent))

from _common import ADMIN, ROOT, machine

PATH = "/api/cloud/vmReplicaPoints"


def _scope(path: str, headers: list[tuple[bytes, bytes]], method: str = "GET") -> dict[str, Any]:
    """A fresh scope as uvicorn's httptools protocol makes it, one per request."""
    return {
        "type": "http",
        "asgi": {"version": "3.0", "spec_version": "2.4"},
        "http_version": "1.1",
        "server": ("127.0.0.1", 8000),
        "client": ("127.0.0.1", 50000),
        "scheme": "http",
        "method": method,
        "root_path": "",
        "path": path,
        "raw_path": path.encode(),
        "query_string": b"",
        "headers": headers,
        "state": {},
    }


class Sink:
    """`receive` and `send`: an empty request body in, the answer's status and bytes kept."""

    def __init__(self) -> None:
        self.status = 0
        self.body = b""

    async def receive(self) -> dict[str, Any]:
        return {"type": "http.request", "body": b"", "more_body": False}

    async def send(self, message: dict[str, Any]) -> None:
        if message["type"] == "http.response.start":
            self.status = message["status"]
            self.body = b""
        else:
            self.body += message.get("body", b"")


async def _serve(app: Any, requests: int, headers: list[tuple[bytes, bytes]], sink: Sink) -> float:
    """CPU µs per request over `requests` calls of `app`."""
    started = time.process_time()
    for _ in range(requests):
        await app(_scope(PATH, headers), sink.receive, sink.send)
    return (time.process_time() - started) / requests * 1e6


def _mock_em(points: int) -> tuple[Any, str]:
    """mock-em as `bench/load.py` serves it (seed world, or generated points), and a logged-on token."""
    if points == 6:
        os.environ["MOCK_EM_FIXTURE"] = str(ROOT / "fixtures" / "seed-sample.json")
    else:  # load.py's 1k world
        os.environ |= {
            "MOCK_EM_TENANTS": "10", "MOCK_EM_REPLICAS_PER_TENANT": "5", "MOCK_EM_VMS_PER_REPLICA": "4",
            "MOCK_EM_POINTS_PER_VM": "5", "MOCK_EM_SEED": "1", "MOCK_EM_CLOCK": "2026-01-05T12:00:00Z",
        }  # fmt: skip
    from servers import mock_em_app

    app = mock_em_app()
    sink = Sink()
    import base64

    basic = base64.b64encode(f"{ADMIN[0]}:{ADMIN[1]}".encode())
    scope = _scope("/api/sessionMngr/", [(b"host", b"127.0.0.1:8000"), (b"authorization", b"Basic " + basic)], "POST")
    scope["query_string"] = b"v=latest"

    async def logon() -> str:
        started: dict[str, Any] = {}

        async def send(message: dict[str, Any]) -> None:
            if message["type"] == "http.response.start":
                started.update(message)

        await app(scope, sink.receive, send)
        return dict(started["headers"])[b"x-restsvcsessionid"].decode()

    return app, asyncio.run(logon())


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--requests", type=int, default=50_000)
    parser.add_argument("--rounds", type=int, default=5)
    parser.add_argument("--points", type=int, default=6, choices=(6, 1000))
    parser.add_argument("--profile", action="store_true")
    args = parser.parse_args()
    requests = args.requests if args.points == 6 else max(args.requests // 20, 100)
    app, token = _mock_em(args.points)
    headers = [(b"host", b"127.0.0.1:8000"), (b"x-restsvcsessionid", token.encode())]
    sink = Sink()
    asyncio.run(_serve(app, 10, headers, sink))
    assert sink.status == 200, sink.status
    body = sink.body
    with tempfile.NamedTemporaryFile("w", suffix=".json", delete=False) as spec:
        json.dump({"token": token, "bodies": [[PATH, "", False, body.decode("latin-1")]]}, spec)
    os.environ["REFERENCE_BODIES"] = spec.name
    from servers import reference_app

    reference = reference_app()
    ref_sink = Sink()
    asyncio.run(_serve(reference, 10, headers, ref_sink))
    Path(spec.name).unlink()
    assert ref_sink.body == body
    if args.profile:
        profile = cProfile.Profile()
        profile.enable()
        asyncio.run(_serve(app, requests, headers, sink))
        profile.disable()
        pstats.Stats(profile).sort_stats("tottime").print_stats(25)
        return
    mine: list[float] = []
    ref: list[float] = []
    for i in range(args.rounds):
        order = [(reference, ref_sink, ref), (app, sink, mine)]
        for target, out, into in order if i % 2 == 0 else order[::-1]:
            into.append(asyncio.run(_serve(target, requests, headers, out)))
    journal = app.state.journal
    assert sink.body == body and journal.count() > 0
    m, r = statistics.median(mine), statistics.median(ref)
    print(f"# hotpath: {machine()}; {args.points} points, {requests} requests x {args.rounds} rounds")
    print(f"reference {r:.1f} µs/req, mock-em {m:.1f} µs/req, CPU ratio {r / m:.2f}")


if __name__ == "__main__":
    main()
