"""veeam-exporter 1.1.0 from PyPI, unmodified, scraped as Prometheus scrapes it, against mock-em.

veeam-exporter (peekjef72/veeam_exporter) is a Prometheus exporter for Enterprise Manager: on each
`GET /metrics?target=<host>` it logs on (`POST /api/sessionMngr/?v=latest`, Basic), reads JSON
and turns it into gauges through its own YAML metric files:

* `/backupServers?format=Entity` → `veeam_em_backup_servers_config{name,description,port,...}`;
* `/repositories?format=Entity` → `veeam_em_overview_repositories_capacity_{total,free}_bytes{name,type}`;
* `/backupSessions?format=Entity` (the whole history), kept where `CreationTimeUTC` is within a
  day of its clock, grouped by `Links[0].Name` + `JobName` + `JobType`: the newest session's state
  (its `Result`, or its `State` while `Result` is `None`), duration, and how many older sessions
  the job had that day → `veeam_em_jobs_sessions_{state,duration,retries}`;
* `/backupSessions/{id}/taskSessions?format=entity` of each of those newest sessions →
  `veeam_em_vmjobs_sessions_{state,duration,retries,total_bytes}` per VM, and `..._errors` with the
  task's `Reason` for a Warning or Failed one;
* `/reports/summary/overview`, `vms_overview` and `job_statistics` → `veeam_em_overview_*`.

The exporter runs in its own environment (`client_env.py`: its pinned dependencies cannot share
the test environment) as a separate process, through `run_at.py`, which stands its clock at
mock-em's frozen instant: the exporter reads "the last day" from its own clock. Its metric files
are its own, listed in its config in an order where the per-VM file follows the per-job file it
reads from (the package's default glob leaves that order to the file system).

Each expectation is worked out from mock-em's own API by another road than the exporter's
(`em_world.py`): the query service, filtered by `CreationTime`, for sessions and tasks; the
reports' frames cross-checked against the sessions and jobs.

The report tests need mock-em's `/api/reports/summary` frames; until mock-em serves those routes
(checked on the app's routes when this module loads) they are skipped, and run once it does.
"""

from __future__ import annotations

import re
from collections import Counter
from collections.abc import Iterator
from dataclasses import dataclass
from typing import Any

import pytest

from clients.em_world import (
    CLOCK,
    DAY_AGO,
    WORLD,
    Em,
    api,
    lasted,
    query,
    server_names,
    server_of,
    since_day_ago,
    stamp,
)
from clients.exporter_process import Exporter, running_exporter
from clients.prometheus_text import Labels, labeled, parse_metrics
from clients.routes import serves
from mock_em.testing import MockEmServer

# The exporter's codes, as its metrics' help texts state them.
JOB_STATES = {"Success": 1, "Warning": 2, "Failed": 3, "Idle": 4, "Working": 5}
VM_STATES = {"Success": 1, "Warning": 2, "Failed": 3, "Pending": 4, "InProgress": 5}
REPORT_FRAMES = ("overview", "vms_overview", "job_statistics")
REPORTS_SERVED = all(serves(f"/api/reports/summary/{frame}") for frame in REPORT_FRAMES)
needs_reports = pytest.mark.skipif(
    not REPORTS_SERVED, reason="mock-em does not serve /api/reports/summary/{overview,vms_overview,job_statistics} yet"
)


@pytest.fixture(scope="module")
def exporter(server: MockEmServer, tmp_path_factory: pytest.TempPathFactory) -> Iterator[Exporter]:
    """veeam-exporter serving /metrics on a free port, its clock at CLOCK."""
    where = tmp_path_factory.mktemp("veeam-exporter")
    try:
        with running_exporter(int(server.url.rsplit(":", 1)[1]), CLOCK, where) as running:
            yield running
    except RuntimeError as exc:
        pytest.fail(f"veeam-exporter could not be run: {exc}")


@dataclass
class Scrape:
    """What one scrape gave: the exposition text, its samples, and the requests it made."""

    text: str
    metrics: dict[str, dict[Labels, float]]
    requests: list[dict[str, Any]]  # the exporter's requests to mock-em, as the journal has them


@pytest.fixture(scope="module")
def scrape(exporter: Exporter, em: Em) -> Scrape:
    """The first scrape, and the requests it made (the journal's entries sent by `requests`)."""
    client, _ = em
    client.clear_journal()
    text = exporter.scrape()
    requests = [
        entry
        for entry in reversed(client.journal())
        if dict((k.lower(), v) for k, v in entry["headers"].items()).get("user-agent", "").startswith("python-requests")
    ]
    return Scrape(text, parse_metrics(text), requests)


def newest_by_job(em: Em) -> dict[tuple[str, str, str], tuple[dict[str, Any], int]]:
    """Each job's newest backup session of the last day and how many it had, by server, job and type."""
    names = server_names(em)
    by_job: dict[tuple[str, str, str], list[dict[str, Any]]] = {}
    for session in since_day_ago(em, "BackupJobSession"):
        key = (server_of(session, names), session["JobName"], session["JobType"])
        by_job.setdefault(key, []).append(session)
    return {key: (max(runs, key=lambda s: s["CreationTimeUTC"]), len(runs)) for key, runs in by_job.items()}


# -- what the exporter read and produced ----------------------------------------------------------


def test_the_exporter_logs_on_and_reports_up(scrape: Scrape) -> None:
    """`veeam_em_up` is 1: the exporter's logon (Basic, `?v=latest`, JSON) opened a session."""
    assert scrape.metrics["veeam_em_up"] == {(): 1.0}
    logons = [r for r in scrape.requests if r["method"] == "POST"]
    assert [(r["canonicalPath"], r["status"]) for r in logons] == [("/api/sessionMngr", 201)]


def test_every_request_is_answered(scrape: Scrape) -> None:
    """Each request the exporter sent was answered 200 (201 for the logon), except those for
    paths mock-em has no route for, which got EM's 404; the per-VM file read the task sessions of
    each job's newest session."""
    assert scrape.requests, "the journal holds none of the exporter's requests"
    for request in scrape.requests:
        path = request["canonicalPath"]
        expected = 201 if request["method"] == "POST" else 200 if serves(path) else 404
        assert request["status"] == expected, request
    paths = Counter(re.sub(r"/[0-9a-f-]{36}/", "/{id}/", r["canonicalPath"]) for r in scrape.requests)
    assert paths["/api/backupSessions/{id}/taskSessions"] >= 4
    assert paths["/api/backupSessions"] == 1


def test_backup_servers(scrape: Scrape, em: Em) -> None:
    """One `config` series per backup server: its name, description, port and version."""
    servers = api(em, "/backupServers", format="Entity")["BackupServers"]
    samples = labeled(scrape.metrics["veeam_em_backup_servers_config"], "name", "description", "port", "full_version")
    assert samples == {(s["Name"], s["Description"], str(s["Port"]), s["Version"]): 1.0 for s in servers}
    assert len(servers) == WORLD["backup_servers"]


def test_repositories_capacity_and_free_space(scrape: Scrape, em: Em) -> None:
    """Capacity and free space per repository name and kind; -1 where the capacity is unknown.
    The exporter labels by name and kind only, so of the repositories of several servers that
    share both, the last one listed is the one shown (as with a real EM)."""
    listed = api(em, "/repositories", format="Entity")["Repositories"]
    by_label = {(r["Name"], r["Kind"]): r for r in listed}
    assert len(by_label) < len(listed)  # the world has such namesakes: the case is exercised
    assert any(r["Capacity"] == -1 for r in listed)
    for metric, field in (("capacity_total_bytes", "Capacity"), ("capacity_free_bytes", "FreeSpace")):
        samples = labeled(scrape.metrics[f"veeam_em_overview_repositories_{metric}"], "name", "type")
        assert samples == {key: float(r[field]) for key, r in by_label.items()}, metric
    queried = {r["UID"]: (r["Capacity"], r["FreeSpace"]) for r in query(em, "Repository")}
    assert queried == {r["UID"]: (r["Capacity"], r["FreeSpace"]) for r in listed}


def first_listed(em: Em) -> dict[tuple[str, str, str], str]:
    """Each job's first session of the last day in `/backupSessions?format=Entity`'s order: the
    exporter names a job's series after it (meeting a newer one, it updates every field but the
    name)."""
    names = server_names(em)
    first: dict[tuple[str, str, str], str] = {}
    for session in api(em, "/backupSessions", format="Entity")["BackupJobSessions"]:
        if stamp(session["CreationTimeUTC"]) > int(DAY_AGO.timestamp()):
            first.setdefault((server_of(session, names), session["JobName"], session["JobType"]), session["Name"])
    return first


def test_job_sessions_of_the_last_day(scrape: Scrape, em: Em) -> None:
    """Per job that ran in the day before the clock: its newest session's state code, its
    duration (to the clock while it runs) and the count of its other sessions that day."""
    newest = newest_by_job(em)
    named = first_listed(em)
    assert named.keys() == newest.keys()
    expected_state, expected_duration, expected_retries = {}, {}, {}
    for (server_name, job, job_type), (session, runs) in newest.items():
        key = (server_name, job, job_type, named[server_name, job, job_type])
        outcome = session["State"] if session["Result"] == "None" else session["Result"]
        expected_state[key] = float(JOB_STATES.get(outcome, 0))
        expected_duration[key] = float(lasted(session))
        expected_retries[key] = float(runs - 1)
    names = ("backupserver", "jobname", "jobtype", "name")
    assert labeled(scrape.metrics["veeam_em_jobs_sessions_state"], *names) == expected_state
    assert labeled(scrape.metrics["veeam_em_jobs_sessions_duration"], *names) == expected_duration
    assert labeled(scrape.metrics["veeam_em_jobs_sessions_retries"], *names) == expected_retries
    # The world exercises what the exporter distinguishes: every result, a running job, reruns.
    assert set(expected_state.values()) >= {1.0, 2.0, 3.0, 5.0}
    assert max(expected_retries.values()) >= 1
    assert len({key[0] for key in expected_state}) >= 3


def test_vm_task_sessions_of_each_newest_session(scrape: Scrape, em: Em) -> None:
    """Per VM of each job's newest session: the task's state code, duration, size and no retries;
    an `errors` series with the task's `Reason` for each Warning or Failed VM."""
    newest = {session["UID"]: key for key, (session, _) in newest_by_job(em).items()}
    tasks = [t for t in since_day_ago(em, "BackupTaskSession") if t["JobSessionUid"] in newest]
    expected: dict[str, dict[tuple[str, ...], float]] = {"state": {}, "duration": {}, "total_bytes": {}, "retries": {}}
    errors: dict[tuple[str, ...], float] = {}
    for task in tasks:
        server_name, job, _ = newest[task["JobSessionUid"]]
        key = (server_name, job, task["VmDisplayName"], task["Name"])
        outcome = task["Result"] if task["State"] == "Completed" else task["State"]
        state = float(VM_STATES.get(outcome, 0))
        expected["state"][key] = state
        expected["duration"][key] = float(lasted(task))
        expected["total_bytes"][key] = float(task["TotalSize"])
        expected["retries"][key] = 0.0
        if state in (2.0, 3.0):
            errors[(*key, task["Reason"])] = state
    names = ("backupserver", "jobname", "vmname", "taskname")
    for metric, values in expected.items():
        assert labeled(scrape.metrics[f"veeam_em_vmjobs_sessions_{metric}"], *names) == values, metric
    assert labeled(scrape.metrics["veeam_em_vmjobs_sessions_errors"], *names, "message") == errors
    assert {2.0, 3.0} <= set(errors.values()) and all(key[-1] for key in errors)  # a Reason for each
    assert 5.0 in expected["state"].values()  # a VM still being processed


def test_a_second_scrape_says_the_same(scrape: Scrape, exporter: Exporter) -> None:
    """Both clocks stand still and the exporter keeps its session: the next scrape is identical."""
    assert exporter.scrape() == scrape.text


# -- the summary report's frames -------------------------------------------------------------------


def finished_runs(em: Em) -> list[dict[str, Any]]:
    """Backup and replica sessions created in the day before the clock and ended by it."""
    runs = since_day_ago(em, "BackupJobSession") + since_day_ago(em, "ReplicaJobSession")
    return [s for s in runs if s["State"] == "Stopped"]


@needs_reports
def test_overview_frame(scrape: Scrape, em: Em) -> None:
    """`veeam_em_overview_element_count` is the overview frame; the frame counts the backup
    servers and repositories the API lists, and the scheduled jobs as job_statistics does."""
    frame = api(em, "/reports/summary/overview")
    fields = {
        ("backup", "server"): "BackupServers", ("proxy", "server"): "ProxyServers",
        ("repository", "server"): "RepositoryServers", ("scheduled_jobs", "tasks"): "ScheduledJobs",
        ("successful_vms", "tasks"): "SuccessfulVmLastestStates", ("warning_vms", "tasks"): "WarningVmLastestStates",
        ("failed_vms", "tasks"): "FailedVmLastestStates",
    }  # fmt: skip
    samples = labeled(scrape.metrics["veeam_em_overview_element_count"], "type", "count_type")
    assert samples == {key: float(frame[field]) for key, field in fields.items()}
    assert frame["BackupServers"] == len(api(em, "/backupServers")["Refs"])
    assert frame["RepositoryServers"] == len(api(em, "/repositories")["Refs"])
    assert frame["ScheduledJobs"] == api(em, "/reports/summary/job_statistics")["ScheduledJobs"]


@needs_reports
def test_vms_overview_frame(scrape: Scrape, em: Em) -> None:
    """`veeam_em_overview_vms_*` are the vms_overview frame's counts, sizes and success percent."""
    frame = api(em, "/reports/summary/vms_overview")
    counts = {"protected": "ProtectedVms", "backedup": "BackedUpVms", "replicated": "ReplicatedVms",
              "restore_points": "RestorePoints"}  # fmt: skip
    sizes = {"full_backup_points": "FullBackupPointsSize", "incremental_backup_points": "IncrementalBackupPointsSize",
             "replica_restore_points": "ReplicaRestorePointsSize", "source_vms": "SourceVmsSize"}  # fmt: skip
    assert labeled(scrape.metrics["veeam_em_overview_vms_count"], "type") == {
        (k,): float(frame[f]) for k, f in counts.items()
    }
    assert labeled(scrape.metrics["veeam_em_overview_vms_total_bytes"], "type") == {
        (k,): float(frame[f]) for k, f in sizes.items()
    }
    assert scrape.metrics["veeam_em_overview_vms_sucess_backup_percent"] == {(): float(frame["SuccessBackupPercents"])}
    assert frame["BackedUpVms"] > 0 and frame["ProtectedVms"] >= frame["BackedUpVms"]
    assert frame["FullBackupPointsSize"] + frame["IncrementalBackupPointsSize"] > 0


@needs_reports
def test_job_statistics_frame(scrape: Scrape, em: Em) -> None:
    """`veeam_em_overview_jobs_*` are the job_statistics frame, and the frame is the sessions of
    the day before the clock: finished runs by result, the longest backup and replica run, the
    jobs scheduled and the jobs running (em-api-monitoring.md §1.3)."""
    frame = api(em, "/reports/summary/job_statistics")
    assert labeled(scrape.metrics["veeam_em_overview_jobs_count"], "type") == {
        ("running",): float(frame["RunningJobs"]), ("scheduled",): float(frame["ScheduledJobs"]),
        ("scheduled_backup",): float(frame["ScheduledBackupJobs"]),
        ("scheduled_replica",): float(frame["ScheduledReplicaJobs"]),
    }  # fmt: skip
    assert labeled(scrape.metrics["veeam_em_overview_jobs_runs_count"], "type") == {
        ("total",): float(frame["TotalJobRuns"]), ("successfull",): float(frame["SuccessfulJobRuns"]),
        ("warning",): float(frame["WarningsJobRuns"]), ("failed",): float(frame["FailedJobRuns"]),
    }  # fmt: skip
    assert labeled(scrape.metrics["veeam_em_overview_jobs_max_duration"], "type", "jobname") == {
        ("job", ""): float(frame["MaxJobDuration"]),
        ("backupjob", frame["MaxDurationBackupJobName"]): float(frame["MaxBackupJobDuration"]),
        ("replicajob", frame["MaxDurationReplicaJobName"]): float(frame["MaxReplicaJobDuration"]),
    }

    finished = finished_runs(em)
    results = Counter(s["Result"] for s in finished)
    assert (frame["SuccessfulJobRuns"], frame["WarningsJobRuns"], frame["FailedJobRuns"]) == (
        results["Success"], results["Warning"], results["Failed"],
    )  # fmt: skip
    assert frame["TotalJobRuns"] == len(finished) > 0
    for kind, duration, name in (("Backup", "MaxBackupJobDuration", "MaxDurationBackupJobName"),
                                 ("Replica", "MaxReplicaJobDuration", "MaxDurationReplicaJobName")):  # fmt: skip
        runs = [s for s in finished if s["JobType"] == kind]
        longest = max((lasted(s) for s in runs), default=0)
        assert frame[duration] == longest, kind
        assert frame[name] in ({s["JobName"] for s in runs if lasted(s) == longest} or {""}), kind
    assert frame["MaxJobDuration"] == max(frame["MaxBackupJobDuration"], frame["MaxReplicaJobDuration"])

    jobs = api(em, "/jobs", format="Entity")["Jobs"]
    scheduled = Counter(j["JobType"] for j in jobs if j["ScheduleConfigured"] and j["ScheduleEnabled"])
    assert frame["ScheduledBackupJobs"] == scheduled["Backup"] + scheduled["BackupCopy"]
    assert frame["ScheduledReplicaJobs"] == scheduled["Replica"]
    assert frame["ScheduledJobs"] == frame["ScheduledBackupJobs"] + frame["ScheduledReplicaJobs"]
    newest: dict[str, dict[str, Any]] = {}
    for session in sorted(since_day_ago(em, "BackupJobSession") + since_day_ago(em, "ReplicaJobSession"),
                          key=lambda s: s["CreationTimeUTC"]):  # fmt: skip
        newest[session["JobUid"]] = session
    assert frame["RunningJobs"] == sum(s["State"] != "Stopped" for s in newest.values()) > 0
