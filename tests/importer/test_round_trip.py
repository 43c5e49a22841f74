"""Importing from a mock-em is the test of `mock-em import`: serve world A on a real socket,
import it with the command, serve the fixture as B at the same instant, and compare a canonical
crawl of both (`canonical.py`): every answer the same, XML and JSON, in each release profile.
"""

from __future__ import annotations

import json
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import pytest
from canonical import crawl, differences
from conftest import SEED_FIXTURE, make_client

from mock_em.cli import main
from mock_em.model.clock import Clock
from mock_em.settings import Settings
from mock_em.testing.server import MockEmServer

AT = datetime(2026, 12, 9, 0, 0, 0, tzinfo=UTC)
PASSWORD = "P@ssw0rd"
SMALL = {"jobs_per_server": 2, "vms_per_job": 2, "job_retention": 4}  # a generated world read quickly

WORLDS = [
    pytest.param({"fixture": str(SEED_FIXTURE)}, "9.5u4", id="seed-9.5u4"),
    pytest.param({"fixture": str(SEED_FIXTURE)}, "13", id="seed-13"),
    pytest.param({}, "9.5u4", id="generated-9.5u4"),
    pytest.param({}, "12", id="generated-12"),
    pytest.param({"seed": 5, **SMALL}, "10", id="seed5-10"),
    pytest.param({"seed": 5, **SMALL}, "13", id="seed5-13"),
]


def import_world(world: dict[str, Any], release: str, out: Path, *more: str) -> Path:
    """Serve the world as A (clock frozen at AT) and import it with the command into `out`."""
    password = out.parent / "password"
    password.write_text(PASSWORD + "\n", encoding="utf-8")
    settings = Settings(host="127.0.0.1", port=0, clock=AT.isoformat(), release=release, **world)
    with MockEmServer(settings) as source:
        argv = ["import", "--from", source.url, "--user", "Administrator", "--password-file", str(password)]
        assert main([*argv, "--out", str(out), "--rate", "1000", "--quiet", *more]) == 0
    return out


def crawled(settings: Settings, release: str, whole_up_to: int | None = None) -> dict[str, tuple[int, str]]:
    """The canonical crawl of an EM over these settings at AT."""
    client = make_client(settings, Clock(AT, frozen=True))
    try:
        return crawl(client, client.logon(), client.em.world, release, whole_up_to)
    finally:
        client.close()


@pytest.mark.parametrize(("world", "release"), WORLDS)
def test_an_imported_world_answers_as_its_source(world: dict[str, Any], release: str, tmp_path: Path) -> None:
    fixture = import_world(world, release, tmp_path / "world.json")
    data = json.loads(fixture.read_text(encoding="utf-8"))
    assert data["Release"] == release
    source = crawled(Settings(release=release, **world), release)
    copy = crawled(Settings.from_sources({"fixture": str(fixture)}, environ={}), release)
    assert sorted(copy) == sorted(source)
    assert not differences(source, copy), "\n".join(differences(source, copy))


BIG = {"jobs_per_server": 98, "vms_per_job": 34, "job_retention": 30, "replica_jobs_percent": 0}


def test_a_world_of_100000_vm_restore_points_answers_as_its_source(tmp_path: Path) -> None:
    """About 110,000 VM restore points (98 jobs of 34 VMs keeping 30 points each) and 50,000 task
    sessions, in 12's notation: imported through paged queries, served back, the same answers
    (each big kind's whole list compared once, in JSON: `canonical.urls`)."""
    fixture = import_world(BIG, "12", tmp_path / "world.json")
    source = crawled(Settings(release="12", **BIG), "12", whole_up_to=5000)
    copy = crawled(Settings.from_sources({"fixture": str(fixture)}, environ={}), "12", whole_up_to=5000)
    assert len(json.loads(source["json /api/query?type=VmRestorePoint&format=Entities&pageSize=1000000"][1])
               ["Entities"]["VmRestorePoints"]["VmRestorePoints"]) >= 100_000  # fmt: skip
    assert sorted(copy) == sorted(source)
    assert not differences(source, copy), "\n".join(differences(source, copy))
