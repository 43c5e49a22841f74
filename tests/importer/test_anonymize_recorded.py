"""The anonymizer over a recorded world's fixture (its job sessions, task sessions and backup
catalogue kept as their source showed them): nothing original is left, and the anonymized world
answers every question about its history as the original does, but for names and GUIDs: the
same sessions with the same results and times, the same points, files and sizes, the same
summary report. Where this mock-em writes no history into fixtures, there is nothing to test.
"""

from __future__ import annotations

import copy
import json
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest
from conftest import EmClient, make_client
from test_anonymize import GUID, compare, originals

from mock_em.importer.anonymize import anonymize
from mock_em.model.fixture import world_from_dict, world_to_dict
from mock_em.registry import family
from mock_em.settings import Settings

HISTORY = ("Backup", "RestorePoint", "VmRestorePoint", "BackupFile",
           "BackupJobSession", "ReplicaJobSession", "BackupTaskSession", "ReplicaTaskSession")  # fmt: skip
FRAMES = ("", "/overview", "/vms_overview", "/job_statistics", "/processed_vms", "/repository")
JSON = {"Accept": "application/json"}


def recorded(release: str) -> dict[str, Any]:
    """The default generated world, marked recorded, as its fixture."""
    client = make_client(Settings(release=release))
    world = copy.deepcopy(client.em.world)
    client.close()
    world.recorded = True
    data = world_to_dict(world, None)
    if "BackupJobSessions" not in data:
        pytest.skip("this mock-em writes no recorded history into fixtures")
    return data


def history_names(data: dict[str, Any]) -> set[str]:
    """The names the history's sections hold besides the world's own."""
    found = originals(data)
    for section in ("BackupJobSessions", "ReplicaJobSessions", "BackupTaskSessions", "ReplicaTaskSessions"):
        found |= {item["JobName"] for item in data[section]}
    found |= {item["VmName"] for item in data["VmRestorePoints"]} | {item["Name"] for item in data["Backups"]}
    return found


@pytest.fixture(params=["9.5u4", "13"], scope="module")
def pair(request: pytest.FixtureRequest) -> tuple[str, dict[str, Any], dict[str, Any], dict[str, Any]]:
    data = recorded(request.param)
    result, report = anonymize(data, 11)
    return request.param, data, result, report


def test_nothing_original_is_left(pair: tuple[str, dict[str, Any], dict[str, Any], dict[str, Any]]) -> None:
    _, data, result, report = pair
    text = json.dumps(result).lower()
    plain = GUID.sub("", text)
    names = history_names(data)
    assert sorted(v for v in names if v.lower() in (text if GUID.fullmatch(v) else plain)) == []
    assert [v for v in names if v.lower() in json.dumps(report).lower()] == []
    compare(data, result, "", names)
    assert report["Sections"]["BackupTaskSessions"]["JobName"] == len(data["BackupTaskSessions"])
    world_from_dict(result)


def test_the_history_answers_as_before(
    pair: tuple[str, dict[str, Any], dict[str, Any], dict[str, Any]],
    em_client: Callable[..., EmClient],
    tmp_path: Path,
) -> None:
    release, data, result, _ = pair
    clients = []
    for name, fixture in (("source", data), ("anonymized", result)):
        path = tmp_path / f"{name}.json"
        path.write_text(json.dumps(fixture), encoding="utf-8")
        client = em_client(fixture=str(path), release=release)
        clients.append((client, client.logon()))
    (before, before_token), (after, after_token) = clients
    names = history_names(data)
    urls = [f"/api{family(name).path}{form}" for name in HISTORY for form in ("", "?format=Entity")]
    urls += [f"/api/reports/summary{frame}" for frame in FRAMES]
    for url in urls:
        shown, anonymized = before.get_as(before_token, url, headers=JSON), after.get_as(after_token, url, headers=JSON)
        assert shown.status_code == anonymized.status_code == 200, url
        compare(shown.json(), anonymized.json(), url, names)
        assert after.get_as(after_token, url).status_code == 200  # XML, schema-checked
