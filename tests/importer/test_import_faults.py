"""A source that fails on the way (a 503, a dropped connection, a body cut short, a session
that expires mid-crawl) is read whole all the same, to the same entities and the same fixture as
a source that does not; and the client keeps its rate.

The crawl reads every family here, not only those with a reader, so that what it reads is the
whole served world whatever the readers are."""

from __future__ import annotations

import io
import json
import random
import time
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import httpcore  # noqa: F401  # see below
import pytest

from mock_em.importer.client import Gentleness
from mock_em.importer.command import ImportFailed, ImportOptions, Outcome, run_import
from mock_em.importer.progress import Progress
from mock_em.resources import FAMILIES
from mock_em.testing.client import MockEmClient
from mock_em.testing.server import MockEmServer

# httpx imports httpcore when it first needs it and maps its errors by class from then on; a test
# run in-process by pytester (tests/testing) drops the modules first imported during it, so an
# httpcore imported there comes back as other classes that httpx no longer maps. Imported here,
# at collection, it is there before any test and stays one module.

ROOT = Path(__file__).resolve().parents[2]
SEED_FIXTURE = str(ROOT / "fixtures" / "seed-sample.json")
CLOCK = "2026-11-30T10:00:00Z"
FAST = Gentleness(rate=1000, burst=4, concurrency=2, retries=4, backoff=0.01, max_backoff=0.05, timeout=10)
PAGE = 4  # small pages: the seed sample's larger families take several


class Hooked(Progress):
    """Progress that also runs `hook(requests so far)` after each request (to act mid-crawl)."""

    def __init__(self, hook: Callable[[int], None] | None = None) -> None:
        super().__init__(io.StringIO(), quiet=True)
        self.hook = hook

    def request(self, method: str, path: str, status: int | None) -> None:
        super().request(method, path, status)
        if self.hook is not None:
            self.hook(self.requests)


@pytest.fixture(scope="module")
def server() -> Iterator[MockEmServer]:
    with MockEmServer(fixture=SEED_FIXTURE, clock=CLOCK) as running:
        yield running


@pytest.fixture
def control(server: MockEmServer) -> Iterator[MockEmClient]:
    with server.client() as client:
        client.reset()
        yield client


def _read(
    server: MockEmServer, out: Path, gentleness: Gentleness = FAST, hook: Callable[[int], None] | None = None
) -> Outcome:
    options = ImportOptions(url=server.url, user="Administrator", out=str(out), page_size=PAGE, gentleness=gentleness)
    return run_import(options, "P@ssw0rd", Hooked(hook), families=list(FAMILIES), jitter=random.Random(1))


def _entities(outcome: Outcome) -> dict[str, list[dict[str, Any]]]:
    return {name: [e.data for e in items] for name, items in outcome.crawled.entities.items()}


@pytest.fixture(scope="module")
def clean(server: MockEmServer, tmp_path_factory: pytest.TempPathFactory) -> tuple[Outcome, bytes]:
    with server.client() as client:
        client.reset()
    out = tmp_path_factory.mktemp("clean") / "world.json"
    outcome = _read(server, out)
    return outcome, out.read_bytes()


def test_a_clean_read_reads_every_family_in_store_order(clean: tuple[Outcome, bytes]) -> None:
    outcome, _ = clean
    assert outcome.crawled.absent == {}
    assert set(outcome.crawled.entities) == {f.kind.name for f in FAMILIES if f.since is None}  # 9.5 U4's
    assert len(outcome.crawled.entities["RestorePoint"]) == 15  # four pages of four
    assert outcome.retried == 0 and outcome.relogons == 0


FAULTS: dict[str, dict[str, Any]] = {
    "503": {"path": "/api/query", "status": 503, "skip_first": 3, "max_count": 2},
    "500 on the logon": {"path": "/api/sessionMngr", "status": 500, "max_count": 1},
    "reset": {"path": "/api/query", "connection": "reset", "skip_first": 5, "max_count": 1},
    "closed without answer": {"path": "/api/query", "connection": "empty", "skip_first": 2, "max_count": 1},
    "body cut short": {"path": "/api/query", "connection": "truncated", "skip_first": 7, "max_count": 1},
    "401": {"path": "/api/query", "status": 401, "skip_first": 6, "max_count": 1},
}


@pytest.mark.parametrize("fault", list(FAULTS))
def test_a_passing_fault_ends_in_the_same_fixture(
    fault: str, clean: tuple[Outcome, bytes], control: MockEmClient, server: MockEmServer, tmp_path: Path
) -> None:
    rule = control.add_fault(method="POST" if "logon" in fault else "GET", **FAULTS[fault])
    out = tmp_path / "world.json"
    outcome = _read(server, out)
    fired = next(f for f in control.faults() if f["id"] == rule["id"])["statistics"]["fired"]
    assert fired == FAULTS[fault]["max_count"]
    assert _entities(outcome) == _entities(clean[0])
    assert out.read_bytes() == clean[1]
    if fault == "401":
        assert outcome.relogons == 1
    else:
        assert outcome.retried == fired
    journal = control.journal()
    assert {e["method"] for e in journal} <= {"GET", "POST", "DELETE"}
    assert {e["canonicalPath"] for e in journal if e["method"] != "GET"} <= {"/api/sessionMngr"} | {
        e["canonicalPath"] for e in journal if e["canonicalPath"].startswith("/api/logonSessions/")
    }


def test_sessions_that_expire_mid_crawl_are_logged_on_again(
    clean: tuple[Outcome, bytes], control: MockEmClient, server: MockEmServer, tmp_path: Path
) -> None:
    def expire(requests: int) -> None:
        if requests in (10, 25):  # as an EM restart would, twice
            control.expire_sessions()

    out = tmp_path / "world.json"
    outcome = _read(server, out, hook=expire)
    assert outcome.relogons == 2
    assert _entities(outcome) == _entities(clean[0]) and out.read_bytes() == clean[1]
    logons = [e for e in control.journal() if e["method"] == "POST"]
    assert len(logons) == 3


def test_a_lasting_failure_fails_writes_nothing_and_still_logs_off(
    control: MockEmClient, server: MockEmServer, tmp_path: Path
) -> None:
    control.add_fault("/api/query", method="GET", status=503, skip_first=4)
    out = tmp_path / "world.json"
    with pytest.raises(ImportFailed, match=r"answered 503: The service is unavailable \(5 attempts\)"):
        _read(server, out)
    assert not out.exists()
    assert control.journal()[0]["method"] == "DELETE"  # the last request: the logoff
    assert control.sessions() == []


def test_a_family_the_source_does_not_serve_is_absent_with_one_warning(
    control: MockEmClient, server: MockEmServer, tmp_path: Path
) -> None:
    control.add_fault("/api/query", method="GET", status=403, max_count=1)  # the first family's first page
    outcome = _read(server, tmp_path / "world.json")
    assert list(outcome.crawled.absent) == [FAMILIES[0].kind.name]
    not_read = [w for w in outcome.warnings if "not read" in w]
    assert not_read == [f"{FAMILIES[0].kind.plural}: not read (403: Access denied); the world has none"]
    assert any("stands in for a server" in w for w in outcome.warnings)  # what named one keeps it, as a stand-in
    assert len(outcome.crawled.entities) == len([f for f in FAMILIES if f.since is None]) - 1


def test_the_rate_holds(control: MockEmClient, server: MockEmServer, tmp_path: Path) -> None:
    slow = Gentleness(rate=40, burst=2, concurrency=2, retries=0, timeout=10)
    started = time.monotonic()
    outcome = _read(server, tmp_path / "world.json", gentleness=slow)
    took = time.monotonic() - started
    assert outcome.requests >= 30  # enough that the burst is a small part
    assert took >= 0.9 * (outcome.requests - 2) / 40
    assert control.journal_count() == outcome.requests


def test_the_import_json_is_the_served_world_in_its_order(clean: tuple[Outcome, bytes]) -> None:
    seed = json.loads(Path(SEED_FIXTURE).read_text(encoding="utf-8"))
    outcome, _ = clean
    uids = [e.data["UID"].rsplit(":", 1)[-1] for e in outcome.crawled.entities["CloudTenant"]]
    assert uids == [tenant["Id"] for tenant in seed["CloudTenants"]]
