"""`veeam` 0.1.5 from PyPI (`veeam.client.VeeamClient`, on `requests`), unmodified, against mock-em.

A small client for reporting jobs to a chat channel. It logs on with `POST /sessionMngr/?v=v1_4`
(Basic) and reads JSON:

* the query service, with the filter forms it writes itself: `creationtime>"<a day ago>Z"` (every
  backup job session of the last day), `result=="Failed";creationtime>"…"` (the failed ones), and
  per failed one `jobname=="<job>";(result=="Success",result=="Warning");creationtime>"<its start>"`
  (a later good run of the same job: without one, the failure persists);
* `/jobs`, `/jobs/{id}?format=Entity` and `/jobs/{id}/backupSessions?format=Entity`;
* the summary report's frames (`repository`, `processed_vms`, `job_statistics`, `vms_overview`,
  `overview`), and `repository`'s `Periods` as free-space percentages (`get_repos`);
* `/logonSessions` to find its own session, then `DELETE` it.

"A day ago" is the client's own clock's: each call that reads it runs with the process's clock
standing at mock-em's frozen instant (time-machine). Expectations come from the lists
(`/backupSessions?format=Entity`), the road the client does not take. The report tests skip until
mock-em serves `/api/reports/summary/repository` and `processed_vms`.
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Iterator
from typing import Any

import pytest

from clients.em_world import DAY_AGO, NOW, Em, api, stamp
from clients.routes import serves
from mock_em.testing import MockEmServer

VeeamClient = pytest.importorskip("veeam.client").VeeamClient
time_machine = pytest.importorskip("time_machine")

needs_reports = pytest.mark.skipif(
    not all(serves(f"/api/reports/summary/{frame}") for frame in ("repository", "processed_vms")),
    reason="mock-em does not serve /api/reports/summary/repository and processed_vms yet",
)


@pytest.fixture
def client(server: MockEmServer) -> Iterator[Any]:
    """A logged-on VeeamClient."""
    veeam = VeeamClient(server.api_url, "Administrator", "P@ssw0rd")
    yield veeam
    veeam.session.close()


@pytest.fixture
def at_clock() -> Iterator[None]:
    """This process's clock standing at mock-em's instant (the client's "a day ago" reads it)."""
    with time_machine.travel(NOW, tick=False):
        yield


def sessions_of_the_day(em: Em) -> list[dict[str, Any]]:
    """The backup job sessions created in the day before the clock, from the list of all."""
    listed = api(em, "/backupSessions", format="Entity")["BackupJobSessions"]
    return [s for s in listed if stamp(s["CreationTimeUTC"]) > int(DAY_AGO.timestamp())]


def uids(sessions: list[dict[str, Any]]) -> Counter[str]:
    return Counter(s["UID"] for s in sessions)


@pytest.mark.usefixtures("at_clock")
def test_jobs_of_one_day(client: Any, em: Em) -> None:
    """`get_jobs_1_day` is every backup job session of the last day, each marked `job`."""
    day = sessions_of_the_day(em)
    found = client.get_jobs_1_day()
    assert uids(found) == uids(day) and len(day) > 1
    assert {s["message_type"] for s in found} == {"job"}
    listed = {s["UID"]: s for s in day}
    for session in found:  # the query's entity is the list's, field for field
        assert {k: v for k, v in session.items() if k != "message_type"} == listed[session["UID"]]


@pytest.mark.usefixtures("at_clock")
def test_failed_and_persistently_failed_jobs(client: Any, em: Em) -> None:
    """`get_failed_jobs` is the last day's Failed sessions; `get_persistently_failed_jobs` those of
    them whose job (by name) had no Success or Warning session created after them."""
    day = sessions_of_the_day(em)
    failed = [s for s in day if s["Result"] == "Failed"]
    assert uids(client.get_failed_jobs()) == uids(failed) and failed
    everything = api(em, "/backupSessions", format="Entity")["BackupJobSessions"]

    def recovered(session: dict[str, Any]) -> bool:
        return any(
            later["JobName"] == session["JobName"]
            and later["Result"] in ("Success", "Warning")
            and stamp(later["CreationTimeUTC"]) > stamp(session["CreationTimeUTC"])
            for later in everything
        )

    persistent = [s for s in failed if not recovered(s)]
    found = client.get_persistently_failed_jobs()
    assert uids(found) == uids(persistent)
    assert {s["message_type"] for s in found} == {"job_failed"}
    assert 0 < len(persistent) < len(failed)  # the world has both: a failure since recovered, one not


def test_jobs_and_their_sessions(client: Any, em: Em) -> None:
    """`get_jobs` lists the jobs' references; `get_job` reads each entity and `get_backup_sessions`
    its backup sessions, newest first: the list's sessions of that job (a replication job has none)."""
    refs = client.get_jobs()["Refs"]
    entities = api(em, "/jobs", format="Entity")["Jobs"]
    assert {r["UID"] for r in refs} == {j["UID"] for j in entities}
    everything = api(em, "/backupSessions", format="Entity")["BackupJobSessions"]
    by_job = Counter(s["JobUid"] for s in everything)
    assert len(by_job) > 1
    for ref in refs:
        job_id = ref["UID"].rsplit(":", 1)[1]
        job = client.get_job(job_id)
        assert (job["UID"], job["Name"], job["Type"]) == (ref["UID"], ref["Name"], "Job")
        sessions = client.get_backup_sessions(job_id)["BackupJobSessions"]
        assert uids(sessions) == Counter({s["UID"]: 1 for s in everything if s["JobUid"] == ref["UID"]})
        assert [s["CreationTimeUTC"] for s in sessions] == sorted(
            (s["CreationTimeUTC"] for s in sessions), reverse=True
        )
        if job["JobType"] == "Replica":
            assert sessions == []


def test_logout_ends_the_session(client: Any) -> None:
    """`logout` finds its own session first in `/logonSessions` and deletes it: the token is dead."""
    client.logout()
    assert client.session.get(f"{client.url}/jobs").status_code == 401


@needs_reports
def test_repositories_report(client: Any, em: Em) -> None:
    """`get_repos`: a `Period` per repository of known capacity, with its free share in percent."""
    repositories = api(em, "/repositories", format="Entity")["Repositories"]
    known = Counter((r["Name"], r["Capacity"], r["FreeSpace"]) for r in repositories if r["Capacity"] != -1)
    periods = client.get_repos()
    assert Counter((p["Name"], p["Capacity"], p["FreeSpace"]) for p in periods) == known
    for period in periods:
        assert period["BackupSize"] == period["Capacity"] - period["FreeSpace"]
        assert period["percentage_free"] == round(period["FreeSpace"] / period["Capacity"] * 100, 2)
        assert period["message_type"] == "repo"


@needs_reports
def test_processed_vms_report(client: Any) -> None:
    """`get_vms_processed_day`: seven days, today first, each counting VMs backed up and replicated."""
    days = client.get_vms_processed_day()["Days"]
    assert len(days) == 7
    stamps = [d["Timestamp"] for d in days]
    assert stamps == sorted(stamps, reverse=True) and stamps[0].startswith(f"{NOW:%Y-%m-%d}")
    assert sum(d["BackupedVms"] for d in days) > 0
