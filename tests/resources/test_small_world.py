"""The small world the README names for clients that fetch every backup file one by one (the
Zabbix template: at most 10 requests a poll, em-api-monitoring.md §8): one backup job of one VM
keeping 3 points, on a Wednesday at midnight, is a chain of 3 backup files, Sunday's full and two
increments, and the template's whole poll fits in its 10 requests."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import UTC, datetime

import pytest
from conftest import EmClient, make_client

from mock_em.model.clock import Clock
from mock_em.model.entities import JobType
from mock_em.settings import Settings

SMALL = {"jobs_per_server": 1, "vms_per_job": 1, "job_retention": 3, "replica_jobs_percent": 0}
WEDNESDAY = datetime(2026, 12, 9, tzinfo=UTC)  # the README's --clock
FRAMES = ("overview", "vms_overview", "job_statistics", "processed_vms", "repository")
JSON = {"Accept": "application/json"}


@pytest.fixture
def small() -> Iterator[EmClient]:
    client = make_client(Settings(**SMALL), Clock(WEDNESDAY, frozen=True))
    yield client
    client.close()


def test_one_backup_job_and_a_chain_of_three_files(small: EmClient) -> None:
    """One backup job (no replication job), its backup holding Sunday's full and the two
    increments after it, oldest first, and what they take is what the repository holds for it."""
    world = small.em.world
    (job,) = world.all("Job").values()
    assert job.job_type is JobType.Backup and len(job.vms) == 1 and job.retention == 3
    files = sorted(world.all("BackupFile").values(), key=lambda f: f.creation_time)
    assert [f.file_type for f in files] == ["vbk", "vib", "vib"]
    assert files[0].creation_time.weekday() == 6  # Sunday's synthetic full
    assert sum(f.backup_size for f in files) == job.backup_bytes > 0


def test_the_zabbix_poll_fits_in_ten_requests(small: EmClient) -> None:
    """As the template polls: `POST /api/sessionMngr` (no slash, no `?v=`, an empty body), then
    by its cookie alone the summary, its five frames, `/backupFiles` and each file: 10 requests,
    each answered 200."""
    small.cookies.clear()
    logon = small.post("/api/sessionMngr", auth=("Administrator", "P@ssw0rd"), content=b"")
    assert logon.status_code == 201
    urls = ["/api/reports/summary", *(f"/api/reports/summary/{frame}" for frame in FRAMES), "/api/backupFiles"]
    answers = [small.get(url, headers=JSON) for url in urls]
    refs = answers[-1].json()["Refs"]
    answers += [small.get(ref["Href"], headers=JSON) for ref in refs]
    assert len(refs) == 3 and len(answers) == 10
    assert [a.status_code for a in answers] == [200] * 10
    assert sorted(a.json()["Name"].rsplit(".", 1)[1] for a in answers[-3:]) == ["vbk", "vib", "vib"]
