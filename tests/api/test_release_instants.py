"""Fractions of a second where a release shows them (em-api-monitoring.md §7): 12 writes times to
the millisecond, 13 to the microsecond and puts the fraction in names too; 9.5 U4 shows whole
seconds. A time or a name read from an answer is exactly what the query service compares, so a
client that filters by what it was shown finds it."""

from __future__ import annotations

import re
from collections.abc import Callable
from datetime import UTC, datetime
from typing import Any
from urllib.parse import quote

import pytest
from conftest import ADMIN, EmClient

from mock_em.model.clock import Clock

NOW = datetime(2026, 1, 5, 12, 0, 0, tzinfo=UTC)
JSON = {"Accept": "application/json"}
TIME = {"9.5u4": r"\d{4}-\d\d-\d\dT\d\d:\d\d:\d\dZ", "12": r"[^.]+(\.\d{1,3})?Z", "13": r"[^.]+(\.\d{1,6})?Z"}
SECONDS, MICROSECONDS = r"\d{4}-\d\d-\d\d \d\d:\d\d:\d\d", r"\d{4}-\d\d-\d\d \d\d:\d\d:\d\d\.\d{6}"
SQL_TIME = r"[A-Z][a-z]{2} [ 1-3]\d \d{4} [ 1]\d:\d\d[AP]M"  # `Jul  2 2019  1:50AM`
NAME_STAMP = {"9.5u4": SECONDS, "12": SECONDS, "13": MICROSECONDS}
POINT_NAME = {"9.5u4": SQL_TIME, "12": SQL_TIME, "13": MICROSECONDS}


def keyed(data: dict[str, Any], key: str) -> Any:
    """A member in either notation (PascalCase, or 13's camelCase)."""
    return data[key] if key in data else data[key[0].lower() + key[1:] if key != "UID" else "uid"]


@pytest.fixture(params=["9.5u4", "12", "13"])
def release(request: pytest.FixtureRequest) -> str:
    return request.param


@pytest.fixture
def served(em_client: Callable[..., EmClient], release: str) -> tuple[EmClient, dict[str, str]]:
    client = em_client(clock=Clock(NOW, frozen=True), release=release, seed=4, backup_servers=2)
    response = client.post("/api/sessionMngr/?v=latest", auth=ADMIN)
    assert response.status_code == 201
    return client, {**JSON, "X-RestSvcSessionId": response.headers["X-RestSvcSessionId"]}


def entities(client: EmClient, headers: dict[str, str], type_name: str, query: str = "") -> list[dict[str, Any]]:
    response = client.get(f"/api/query?type={type_name}&format=Entities&pageSize=10000{query}", headers=headers)
    assert response.status_code == 200, response.text
    found = keyed(response.json(), "Entities")
    (listed,) = [v for v in found.values() if v is not None]
    return next(iter(listed.values()))


@pytest.mark.parametrize(("type_name", "time_key"), [("BackupJobSession", "CreationTimeUTC"),
                                                     ("BackupTaskSession", "CreationTimeUTC"),
                                                     ("VmRestorePoint", "CreationTimeUTC"),
                                                     ("RestorePoint", "BackupDateUTC")])  # fmt: skip
def test_times_and_names_as_the_release_writes_them(served, release: str, type_name: str, time_key: str) -> None:
    client, headers = served
    items = entities(client, headers, type_name)
    assert items
    times = [keyed(item, time_key) for item in items]
    assert all(re.fullmatch(TIME[release], t) for t in times), times[:5]
    if release != "9.5u4":  # most carry a fraction; a few fall on a whole second or have zeros cut
        assert sum("." in t for t in times) > len(times) * 0.8
    names = [keyed(item, "Name") for item in items]
    pattern = POINT_NAME[release] if type_name == "RestorePoint" else rf".+@{NAME_STAMP[release]}"
    assert all(re.fullmatch(pattern, name) for name in names), names[:5]
    if release == "13" and type_name != "RestorePoint":  # the name's fraction is its time's
        for name, time in zip(names, times, strict=True):
            assert name.rpartition(".")[2].rstrip("0") == time[:-1].partition(".")[2], (name, time)


@pytest.mark.parametrize("type_name", ["BackupJobSession", "BackupTaskSession", "VmRestorePoint"])
def test_a_client_finds_what_it_was_shown(served, release: str, type_name: str) -> None:
    """The shown time and name, sent back in a filter, find the object: `==` on the time (to its
    last digit) and on the name, and `>` the time leaves it out."""
    client, headers = served
    items = entities(client, headers, type_name)
    for item in items[:: max(1, len(items) // 12)]:
        uid, time, name = keyed(item, "UID"), keyed(item, "CreationTimeUTC"), keyed(item, "Name")
        by_time = entities(client, headers, type_name, "&filter=" + quote(f'CreationTime=="{time}"'))
        assert uid in [keyed(found, "UID") for found in by_time], (time, name)
        later = entities(client, headers, type_name, "&filter=" + quote(f'CreationTime>"{time}";Name=="{name}"'))
        assert later == []
        by_name = entities(client, headers, type_name, "&filter=" + quote(f'Name=="{name}"'))
        assert [keyed(found, "UID") for found in by_name] == [uid]


def test_a_session_and_its_restore_point_share_their_instant(served, release: str) -> None:
    """A restore point is made when its job session started, and a VM point when its task did."""
    client, headers = served
    sessions = {keyed(s, "UID").rpartition(":")[2]: s for s in entities(client, headers, "BackupJobSession")}
    points = entities(client, headers, "RestorePoint")
    checked = 0
    for session in sessions.values():
        related = [li for li in keyed(session, "Links") if keyed(li, "Rel") == "Related"]
        for link in related:
            point_id = keyed(link, "Href").rpartition("/")[2]
            (point,) = [p for p in points if keyed(p, "UID").endswith(point_id)]
            assert keyed(point, "BackupDateUTC") == keyed(session, "CreationTimeUTC")
            checked += 1
    assert checked
