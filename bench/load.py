"""Load: mock-em against a raw ASGI reference serving the same bytes, under the same uvicorn.

    python bench/load.py [--rounds 4] [--seconds 5] [--only list-6]

For each world (the seed's 6 points, its jobs, their sessions and its repository; 1,000 and 10,000
generated points) it starts mock-em and the reference (`bench/servers.py`) with uvicorn (uvloop,
httptools, no access log, one worker) pinned to one core, logs on, fetches each scenario's bytes
from mock-em and gives them to the reference, then runs wrk (2 threads, 32 connections, pinned to
the other core) against each scenario, alternating the two servers round by round, and prints
medians: requests/s, p50, p99, and mock-em's requests/s as a share of the reference's.
"""

from __future__ import annotations

import argparse
import json
import sys
import tempfile
from dataclasses import dataclass
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))

from _common import ROOT, WrkResult, fetch, logon, machine, measured, median, table, uvicorn_server, wrk

FROZEN = "2026-01-05T12:00:00Z"  # generated worlds at a fixed instant: the same bytes on every run
WORLDS = {
    # Frozen too: the seed's points are fixed, but its jobs' sessions are drawn up to the clock.
    "seed": {"MOCK_EM_FIXTURE": str(ROOT / "fixtures" / "seed-sample.json"), "MOCK_EM_CLOCK": FROZEN},
    "1k": {"MOCK_EM_TENANTS": "10", "MOCK_EM_REPLICAS_PER_TENANT": "5", "MOCK_EM_VMS_PER_REPLICA": "4"},
    "10k": {"MOCK_EM_TENANTS": "20", "MOCK_EM_REPLICAS_PER_TENANT": "10", "MOCK_EM_VMS_PER_REPLICA": "10"},
}
for name in ("1k", "10k"):
    WORLDS[name] |= {"MOCK_EM_POINTS_PER_VM": "5", "MOCK_EM_SEED": "1", "MOCK_EM_CLOCK": FROZEN}


@dataclass(frozen=True)
class Scenario:
    key: str
    title: str
    world: str
    path: str  # `{point}` stands for the first point's id
    json: bool = False
    target: float | None = None  # the share of the reference issue 6 asks for


POINTS = "/api/cloud/vmReplicaPoints"
QUERY = "/api/query?type=CloudVmReplicaPoint&sortAsc=name&pageSize=100&page=7"
SCENARIOS = [
    Scenario("list-6", "list, 6 points (seed)", "seed", POINTS, target=0.75),
    Scenario("list-6-json", "list, 6 points, JSON", "seed", POINTS, json=True),
    Scenario("entity", "one point, entity form", "seed", POINTS + "/{point}?format=Entity"),
    *(
        Scenario(f"{key}{suffix}", f"{title}{form}", "seed", path + query, target=0.6)
        for key, title, path in (
            ("sessions", "backup job sessions", "/api/backupSessions"),
            ("tasks", "backup task sessions", "/api/backupTaskSessions"),
            ("jobs", "jobs", "/api/jobs"),
            ("repositories", "repositories", "/api/repositories"),
        )
        for suffix, form, query in (("", " (seed)", ""), ("-entity", ", entities", "?format=Entity"))
    ),
    Scenario("list-1k", "list, 1,000 points", "1k", POINTS, target=0.85),
    Scenario("list-1k-json", "list, 1,000 points, JSON", "1k", POINTS, json=True),
    Scenario("query", "query page, 100 of 10,000 sorted", "10k", QUERY),
    Scenario("list-10k", "list, 10,000 points", "10k", POINTS),
]  # fmt: skip


@dataclass
class Outcome:
    scenario: Scenario
    size: int
    reference: list[WrkResult]
    mock: list[WrkResult]


def first_point(port: int, token: str) -> str:
    _, body = fetch(port, POINTS, token, json=True)
    return json.loads(body)["Refs"][0]["UID"].rsplit(":", 1)[1]


def run_world(world: str, scenarios: list[Scenario], rounds: int, seconds: float) -> list[Outcome]:
    outcomes: list[Outcome] = []
    with uvicorn_server("mock_em_app", WORLDS[world]) as mock:
        mock_port = mock.port
        token = logon(mock_port)
        point = first_point(mock_port, token)
        paths = {s.key: s.path.replace("{point}", point) for s in scenarios}
        bodies, sizes = [], {}
        for s in scenarios:
            status, body = fetch(mock_port, paths[s.key], token, s.json)
            assert status == 200, (s, status)
            path, _, query = paths[s.key].partition("?")
            bodies.append([path, query, s.json, body.decode("latin-1")])
            sizes[s.key] = len(body)
        with tempfile.NamedTemporaryFile("w", suffix=".json", delete=False) as spec:
            json.dump({"token": token, "bodies": bodies}, spec)
        with uvicorn_server("reference_app", {"REFERENCE_BODIES": spec.name}) as ref:
            ref_port = ref.port
            servers = {ref_port: ref, mock_port: mock}
            for s in scenarios:
                headers = {"X-RestSvcSessionId": token} | ({"Accept": "application/json"} if s.json else {})
                urls = {p: f"http://127.0.0.1:{p}{paths[s.key]}" for p in (ref_port, mock_port)}
                for port in urls:  # warm up: first render, first query index, connection set-up
                    wrk(urls[port], 1, headers)
                results: dict[int, list[WrkResult]] = {ref_port: [], mock_port: []}
                for i in range(rounds):
                    order = (ref_port, mock_port) if i % 2 == 0 else (mock_port, ref_port)
                    for port in order:
                        results[port].append(measured(servers[port], urls[port], seconds, headers))
                outcomes.append(Outcome(s, sizes[s.key], results[ref_port], results[mock_port]))
                print(f"  {s.title}: done", file=sys.stderr, flush=True)
        Path(spec.name).unlink(missing_ok=True)
    return outcomes


def report(outcomes: list[Outcome]) -> str:
    rows = []
    for o in outcomes:
        ref_rps, mock_rps = median([r.requests_per_s for r in o.reference]), median([r.requests_per_s for r in o.mock])
        ratio = mock_rps / ref_rps if ref_rps else float("nan")
        target = o.scenario.target
        verdict = "" if target is None else (f">= {target}: " + ("met" if ratio >= target else "NOT met"))
        errors = sum(r.errors for r in o.reference + o.mock)
        ref_cpu, mock_cpu = median([r.cpu_us for r in o.reference]), median([r.cpu_us for r in o.mock])
        ref_p50, ref_p99 = median([r.p50_ms for r in o.reference]), median([r.p99_ms for r in o.reference])
        p50, p99 = median([r.p50_ms for r in o.mock]), median([r.p99_ms for r in o.mock])
        rows.append([
            o.scenario.title, f"{o.size:,}",
            f"{ref_rps:,.0f}", f"{ref_p50:.2f}", f"{ref_p99:.2f}", f"{mock_rps:,.0f}", f"{p50:.2f}", f"{p99:.2f}",
            f"{ratio:.2f}", verdict + (f" ({errors} errors)" if errors else ""),
            f"{ref_cpu:.0f} / {mock_cpu:.0f}", f"{ref_cpu / mock_cpu:.2f}" if mock_cpu else "",
        ])  # fmt: skip
    headers = ["scenario", "bytes", "ref req/s", "ref p50 ms", "ref p99 ms", "mock-em req/s", "p50 ms", "p99 ms",
               "ratio", "target", "CPU µs/req ref / mock-em", "CPU ratio"]  # fmt: skip
    return table(headers, rows)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--rounds", type=int, default=4, help="rounds per server and scenario (medians are taken)")
    parser.add_argument("--seconds", type=float, default=5, help="length of one wrk round")
    parser.add_argument("--only", action="append", help="scenario keys: " + ", ".join(s.key for s in SCENARIOS))
    args = parser.parse_args()
    chosen = [s for s in SCENARIOS if not args.only or s.key in args.only]
    print(f"# load: {machine()}; wrk -t2 -c32, {args.rounds} rounds of {args.seconds:g}s per server", flush=True)
    outcomes: list[Outcome] = []
    for world in WORLDS:
        mine = [s for s in chosen if s.world == world]
        if mine:
            outcomes += run_world(world, mine, args.rounds, args.seconds)
    print(report(outcomes))


if __name__ == "__main__":
    main()
