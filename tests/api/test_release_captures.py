"""Each capture of a real EM 12 or 13 (`../shared/captures`) against mock-em serving that release
with a world that holds the same kinds of objects: the same keys at every level of the JSON (in
the same order, except where the tool that kept the capture sorted them), the same JSON types at
every path, and the same spellings of enumerations (every value mock-em writes where the real
server wrote an enumeration is one the vendor has)."""

from __future__ import annotations

import json
from collections import defaultdict
from collections.abc import Callable
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import pytest
from conftest import ADMIN, EmClient

from mock_em.model.clock import Clock

CAPTURES = Path(__file__).resolve().parents[2].parent / "shared" / "captures"
pytestmark = pytest.mark.skipif(not CAPTURES.is_dir(), reason="the shared captures are not beside the project")
NOW = datetime(2026, 1, 5, 12, 0, 0, tzinfo=UTC)  # by day: last night's runs have all ended
JSON = {"Accept": "application/json"}
TYPES = {type(None): "null", bool: "boolean", int: "number", float: "number", str: "string"}
# Paths whose values are vendor enumerations, by their last key (either notation's spelling).
ENUMERATIONS = frozenset({"state", "result", "jobtype", "rel", "kind", "type"})
# What the vendor's enumerations hold where the captures show only some of the values.
VENDOR_VALUES = {
    "state": {"Starting", "Working", "Stopping", "Stopped", "Pending", "InProgress", "Completed", "Idle",
              "Postprocessing", "WaitingTape", "WaitingRepository", "Resuming"},
    "result": {"None", "Success", "Warning", "Failed"},
    "jobtype": {"Backup", "Replica", "BackupCopy", "ImmediateBackupCopy", "ImmediateBackupCopyWorker"},
    "kind": {"WindowsLocal", "LinuxLocal", "Extendable", "DDBoost", "AmazonS3Compatible", "Cifs", "Nfs"},
}  # fmt: skip


def capture(name: str) -> Any:
    return json.loads((CAPTURES / name).read_text(encoding="utf-8"))


class Shape:
    """Every object's key lists by path (`$.Entities.BackupJobSessions.BackupJobSessions[]`), the
    JSON types at every path, and the strings at every path."""

    def __init__(self, document: Any) -> None:
        self.keys: dict[str, set[tuple[str, ...]]] = defaultdict(set)
        self.types: dict[str, set[str]] = defaultdict(set)
        self.strings: dict[str, set[str]] = defaultdict(set)
        self._walk(document, "$")

    def _walk(self, value: Any, path: str) -> None:
        if isinstance(value, dict):
            self.keys[path].add(tuple(value))
            self.types[path].add("object")
            for key, item in value.items():
                self._walk(item, f"{path}.{key}")
        elif isinstance(value, list):
            self.types[path].add("array")
            for item in value:
                self._walk(item, f"{path}[]")
        else:
            self.types[path].add(TYPES[type(value)])
            if isinstance(value, str):
                self.strings[path].add(value)


def assert_same_shape(ours: Any, real: Any, *, ordered: bool = True) -> None:
    """The keys of every object of `real` are those of the object at the same path in `ours`; the
    types at every path of `ours` are among `real`'s there (a list empty in the capture says
    nothing of its items); enumerations are spelled as the vendor spells them."""
    mine, theirs = Shape(ours), Shape(real)
    for path, key_lists in theirs.keys.items():
        assert path in mine.keys, f"{path}: not in mock-em's answer"
        if ordered:
            assert mine.keys[path] == key_lists, (path, sorted(mine.keys[path]), sorted(key_lists))
        else:
            assert {frozenset(k) for k in mine.keys[path]} == {frozenset(k) for k in key_lists}, path
    for path, found in mine.types.items():
        if path in theirs.types:
            assert found <= theirs.types[path], (path, found, theirs.types[path])
    for path, found in mine.strings.items():
        last = path.rsplit(".", 1)[-1].removesuffix("[]").casefold()
        if last in ENUMERATIONS and path in theirs.strings:
            known = theirs.strings[path] | VENDOR_VALUES.get(last, set())
            if last == "type":  # a link's or an object's type: its kind, or a reference to one
                known |= {t for t in found if t.endswith(("Reference", "ReferenceList", "List")) or t.isalpha()}
            assert found <= known, (path, found - known)


@pytest.fixture(params=["12", "13"])
def release(request: pytest.FixtureRequest) -> str:
    return request.param


def served(em_client: Callable[..., EmClient], release: str) -> tuple[EmClient, str]:
    """A client of an EM of `release` over a world with backup jobs, sessions and repositories."""
    client = em_client(clock=Clock(NOW, frozen=True), release=release, seed=4, backup_servers=3)
    response = client.post("/api/sessionMngr/?v=latest", auth=ADMIN, headers=JSON)
    assert response.status_code == 201, response.text
    return client, response.headers["X-RestSvcSessionId"]


def get_json(client: EmClient, token: str, url: str) -> Any:
    response = client.get(url, headers={**JSON, "X-RestSvcSessionId": token})
    assert response.status_code == 200, response.text
    return response.json()


def test_root(em_client: Callable[..., EmClient], release: str) -> None:
    client, _ = served(em_client, release)
    response = client.get("/api/", headers=JSON)
    assert_same_shape(response.json(), capture(f"em{release}-root.json"))


def test_logon_session(em_client: Callable[..., EmClient]) -> None:
    client = em_client(clock=Clock(NOW, frozen=True), release="12")
    response = client.post("/api/sessionMngr/?v=latest", auth=ADMIN, headers=JSON)
    assert response.status_code == 201
    assert_same_shape(response.json(), capture("em12-logonsession.json"))


@pytest.mark.parametrize("kind", ["BackupJobSession", "BackupTaskSession"])
def test_session_queries(em_client: Callable[..., EmClient], release: str, kind: str) -> None:
    """The monitoring tools' query: last night's sessions (all ended), as entities."""
    client, token = served(em_client, release)
    since = (NOW - timedelta(hours=16)).strftime("%Y-%m-%dT%H:%M:%SZ")
    until = (NOW - timedelta(hours=4)).strftime("%Y-%m-%dT%H:%M:%SZ")
    url = f'/api/query?type={kind}&format=Entities&filter=CreationTime>="{since}";CreationTime<"{until}"'
    ours = get_json(client, token, url)
    assert_same_shape(ours, capture(f"em{release}-query-{kind.lower()}.json"))


def test_repositories(em_client: Callable[..., EmClient]) -> None:
    client, token = served(em_client, "12")
    ours = get_json(client, token, "/api/repositories?format=Entity")
    assert_same_shape(ours, capture("em12-repositories-entities.json"))


@pytest.mark.parametrize(("name", "frame"), [("em12-report-job-statistics.json", "job_statistics"),
                                             ("em12-report-vms-overview.json", "vms_overview")])  # fmt: skip
def test_report_frames_of_12(em_client: Callable[..., EmClient], name: str, frame: str) -> None:
    client, token = served(em_client, "12")
    assert_same_shape(get_json(client, token, f"/api/reports/summary/{frame}"), capture(name))


@pytest.mark.parametrize("frame", ["overview", "job_statistics", "vms_overview", "repository"])
def test_report_frames_of_13(em_client: Callable[..., EmClient], frame: str) -> None:
    """The four frames the tool kept, whose top-level keys it sorted (so their order is no evidence)."""
    client, token = served(em_client, "13")
    real = capture("em13-reports-four-frames.json")[frame]
    assert_same_shape(get_json(client, token, f"/api/reports/summary/{frame}"), real, ordered=False)


@pytest.mark.parametrize(("release", "escape"), [("9.5u4", "%3e%3d%22"), ("12", "%3e%3d%22"), ("13", "%3E%3D%22")])
def test_paging_links_write_escapes_in_the_release_case(
    em_client: Callable[..., EmClient], release: str, escape: str
) -> None:
    """Paging links repeat the query with its escapes in lower-case hex up to 12 and upper-case in
    13, as the captured paging links show them, whatever case the client sent."""
    client, token = served(em_client, release)
    for sent in ("%3E%3D%22", "%3e%3d%22"):
        url = f"/api/query?type=BackupJobSession&filter=CreationTime{sent}2026-01-01T00%3A00%3A00{sent[-3:]}"
        ours = get_json(client, token, url)
        paging = ours.get("PagingInfo") or ours["pagingInfo"]
        hrefs = [li.get("Href") or li["href"] for li in paging.get("Links") or paging["links"]]
        assert all(escape in href for href in hrefs), hrefs


@pytest.mark.parametrize("release", ["12", "13"])
def test_logon_session_links_in_the_captured_order(em_client: Callable[..., EmClient], release: str) -> None:
    """An administrator's LogonSession links what mock-em serves of the 68 links a real 12 gives,
    in their order: the reference lists, the query and lookup services and the report, then the
    entity lists and `/agents`. Two links are mock-em's own additions, kept in every release:
    `/cloud` (em-api.md §3.1; the captured EM had no Cloud Connect) and `/logonSessions`."""
    client = em_client(clock=Clock(NOW, frozen=True), release=release)
    response = client.post("/api/sessionMngr/?v=latest", auth=ADMIN, headers=JSON)
    ours = response.json()
    real = capture("em12-logonsession.json")

    def typed(document: dict[str, Any]) -> list[tuple[str, str | None, str]]:
        found = document.get("Links") or document["links"]
        return [
            (
                (li.get("Rel") or li["rel"]),
                li.get("Type", li.get("type")),
                (li.get("Href") or li["href"]).split("/api")[1],
            )
            for li in found
        ]

    theirs = [(rel, kind, path) for rel, kind, path in typed(real) if rel != "Delete"]
    mine = [(rel, kind, path) for rel, kind, path in typed(ours) if rel != "Delete"]
    own = {"CloudConnectService", "LogonSessionList"}
    assert [link for link in mine if link[1] not in own] == [link for link in theirs if link in mine]
    assert len(mine) - len(own) >= 30
