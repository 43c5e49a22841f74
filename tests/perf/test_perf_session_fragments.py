"""Job and task session lists keep each item's bytes (`Family.fragments`): after the clock moves,
a list is joined from the kept items of the sessions that did not change, and is byte for byte
what a fresh rendering gives; an item's content key follows everything its documents show (its
job's and its backup server's names, a task's job session's)."""

from __future__ import annotations

import dataclasses
import warnings
from collections.abc import Iterator
from datetime import UTC, datetime

import pytest

with warnings.catch_warnings():
    warnings.simplefilter("ignore")
    from starlette.testclient import TestClient

from mock_em.app import create_app
from mock_em.model.clock import Clock
from mock_em.model.kinds import kind
from mock_em.server import build_em
from mock_em.settings import Settings
from mock_em.wire.cache import FragmentCache, content_key

RUNNING = datetime(2026, 1, 5, 14, 10, tzinfo=UTC)  # seed 1, four servers: a backup job is running
SESSIONS = "/api/backupSessions?format=Entity"
WATCHED = [
    SESSIONS,
    "/api/backupTaskSessions",
    "/api/replicaSessions?format=Entity",
    "/api/replicaTaskSessions?format=Entity",
    "/api/query?type=BackupJobSession&sortDesc=CreationTime&pageSize=2000&page=1",
    "/api/query?type=BackupTaskSession&format=Entities&sortDesc=CreationTime&pageSize=2000&page=1",
]


class Client:
    """A client over one app, able to ask for an answer fresh (nothing kept, no fast path)."""

    def __init__(self) -> None:
        settings = Settings(seed=1, backup_servers=4)
        self.app = create_app(build_em(settings, Clock(RUNNING, frozen=True)), settings)
        self.http = TestClient(self.app, base_url="http://localhost:9399")
        self.logon()

    def logon(self) -> None:
        response = self.http.post("/api/sessionMngr/?v=latest", auth=("Administrator", "P@ssw0rd"))
        self.token = response.headers["X-RestSvcSessionId"]

    def get(self, url: str, as_json: bool = False) -> bytes:
        headers = {"X-RestSvcSessionId": self.token} | ({"Accept": "application/json"} if as_json else {})
        response = self.http.get(url, headers=headers)
        assert response.status_code == 200, (url, response.text)
        return response.content

    def fresh(self, url: str, as_json: bool = False) -> bytes:
        state = self.app.state
        queries = state.query_cache
        state.fast_path, state.response_cache.enabled, state.query_cache = False, False, None
        try:
            return self.get(url, as_json)
        finally:
            state.fast_path, state.response_cache.enabled, state.query_cache = True, True, queries

    def watch(self) -> dict[tuple[str, bool], bytes]:
        """Every watched answer (twice: the second from the cache), checked against a fresh one."""
        answers = {}
        for url in WATCHED:
            for as_json in (False, True):
                first, kept = self.get(url, as_json), self.get(url, as_json)
                assert first == kept == self.fresh(url, as_json), (url, as_json)
                answers[(url, as_json)] = kept
        return answers

    @property
    def fragments(self) -> FragmentCache:
        return self.app.state.response_cache.fragments


@pytest.fixture
def client() -> Iterator[Client]:
    made = Client()
    yield made
    made.http.close()


def shown(client: Client) -> dict[object, tuple[object, ...]]:
    """What each backup job session's entity shows, by id: its fields, its job's and its server's."""
    world = client.app.state.em.world
    jobs, servers = world.all("Job"), world.all("BackupServer")
    return {
        s.id: (
            dataclasses.astuple(s),
            dataclasses.astuple(jobs[s.job_id]),
            dataclasses.astuple(servers[s.backup_server_id]),
        )
        for s in world.all("BackupJobSession").values()
    }


def test_session_lists_after_the_clock_moves_are_joined_from_kept_items(client: Client) -> None:
    before = client.watch()
    shown_before = shown(client)
    response = client.http.post("/mock/clock/advance", json={"by": "20m"})
    assert response.status_code == 200, response.text
    client.logon()  # twenty minutes idle ended the session
    kept = len(client.fragments)
    after = client.get(SESSIONS)
    assert after == client.fresh(SESSIONS) != before[(SESSIONS, False)]  # the running session moved on
    moved = [i for i, now in shown(client).items() if shown_before.get(i) != now]
    # New bytes for exactly the sessions whose entity shows something new (a finished run changes
    # its job's backup size, so that job's sessions count too); the others' bytes were reused.
    assert len(client.fragments) - kept == len(moved)
    assert 0 < len(moved) < len(shown_before) // 2
    client.watch()


def test_a_session_content_key_follows_its_job_and_server() -> None:
    app = create_app(build_em(Settings(seed=1, backup_servers=2), Clock(RUNNING, frozen=True)), Settings())
    world = app.state.em.world
    session = next(iter(world.all("BackupJobSession").values()))
    task = next(t for t in world.all("BackupTaskSession").values() if t.session_id == session.id)
    job, server = world.all("Job")[session.job_id], world.all("BackupServer")[session.backup_server_id]
    fragments = FragmentCache()

    def keys() -> tuple[object, object]:
        return (
            content_key(kind("BackupJobSession"), world, fragments)(session),
            content_key(kind("BackupTaskSession"), world, fragments)(task),
        )

    original = keys()
    for store, obj, field, value in (
        ("Job", job, "name", "Renamed Job"),
        ("BackupServer", server, "name", "renamed.example"),
        ("BackupJobSession", session, "job_name", "Renamed Job"),  # and so its name
    ):
        world.all(store)[obj.id] = dataclasses.replace(obj, **{field: value})
        changed = keys()
        assert changed[1] != original[1], (store, field)  # a task shows its session, its job's and its server
        if store != "BackupJobSession":
            assert changed[0] != original[0], (store, field)
        world.all(store)[obj.id] = obj
        assert keys() == original
