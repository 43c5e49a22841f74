"""The Veeam profile of a Prometheus exporter (peekjef72/httpapi_exporter, `contribs/veeam`),
replayed step by step against mock-em serving 12 and 13: the exporter tells 13 from 12 by
`supportedVersions` in `GET /api/` and then reads every key in that release's spelling
(`veeam.js`: camelCase names from 13, PascalCase before). Each collector's request and each key it
reads must be there, with the type it uses, or the exporter reports nothing for it."""

from __future__ import annotations

from collections.abc import Callable
from datetime import UTC, datetime, timedelta
from typing import Any

import pytest
from conftest import ADMIN, EmClient

from mock_em.model.clock import Clock

NOW = datetime(2026, 1, 5, 12, 0, 0, tzinfo=UTC)
JSON = {"Accept": "application/json"}


def spelled(version: int, *names: str) -> dict[str, str]:
    """`veeam.js`'s name tables: each key as the exporter reads it in that version."""
    return {n: (n[0].lower() + n[1:] if n != "UID" else "uid") if version >= 13 else n for n in names}


class Exporter:
    """The exporter's requests and reads (its `veeam_profile.yml` and collectors)."""

    def __init__(self, client: EmClient) -> None:
        self.client = client
        response = client.post("/api/sessionMngr/?v=latest", auth=ADMIN, headers=JSON)  # login
        assert response.status_code == 201
        self.headers = {**JSON, "X-RestSvcSessionId": response.headers["X-RestSvcSessionId"]}
        api = self.get("/")  # ping: "version = 12; if( api_results['supportedVersions'] != undefined ) version = 13"
        self.version = 13 if "supportedVersions" in api else 12

    def last_hours(self, type_name: str, n: dict[str, str]) -> list[dict[str, Any]]:
        """A collector's query: its type's entities of the last 12 h (`jobHistory: -12h`), from
        an unzoned start, listed under the type's plural in `Entities`."""
        start = (NOW - timedelta(hours=12)).strftime("%Y-%m-%dT%H:%M:%S")
        results = self.get(f'/query?type={type_name}&format=Entities&filter=CreationTime>="{start}"')
        plural = n[f"{type_name}s"]
        return results[n["Entities"]][plural][plural]

    def get(self, path: str) -> Any:
        response = self.client.get(f"/api{path}", headers=self.headers)
        assert response.status_code == 200, (path, response.text[:300])
        return response.json()


@pytest.fixture(params=["12", "13"])
def exporter(request: pytest.FixtureRequest, em_client: Callable[..., EmClient]) -> Exporter:
    client = em_client(clock=Clock(NOW, frozen=True), release=request.param, seed=4, backup_servers=3)
    found = Exporter(client)
    assert found.version == int(request.param)
    return found


def test_job_sessions(exporter: Exporter) -> None:
    """`veeam_backup_jobs_sessions_metrics`: the last 12 h of job sessions, an unzoned start."""
    n = spelled(exporter.version, "Entities", "BackupJobSessions", "Links", "Name", "JobName", "JobType",
                "CreationTimeUTC", "EndTimeUTC", "Progress", "UID", "Result", "State")  # fmt: skip
    sessions = exporter.last_hours("BackupJobSession", n)
    assert sessions
    for item in sessions:
        assert isinstance(item[n["Links"]][0][n["Name"]], str)  # the backup server
        assert all(isinstance(item[n[k]], str) for k in ("Name", "JobName", "JobType", "CreationTimeUTC", "UID"))
        assert item[n["Result"]] in ("None", "Success", "Warning", "Failed")
        assert item[n["State"]] in ("Starting", "Working", "Stopping", "Stopped")
        assert isinstance(item[n["Progress"]], int)
        # getTimestamp(): the time without its Z, read as a date
        datetime.fromisoformat(item[n["CreationTimeUTC"]].removesuffix("Z"))
        assert item[n["UID"]].split(":")[-1]


def test_task_sessions(exporter: Exporter) -> None:
    """`veeam_backup_jobs_tasks_sessions_metrics`: tasks, their server and job found by link type."""
    n = spelled(exporter.version, "Entities", "BackupTaskSessions", "Links", "Name", "Type", "VmDisplayName",
                "CreationTimeUTC", "TotalSize", "Reason", "UID", "Result", "State")  # fmt: skip
    tasks = exporter.last_hours("BackupTaskSession", n)
    assert tasks
    for item in tasks:
        types = {link[n["Type"]]: link[n["Name"]] for link in item[n["Links"]]}  # findLinkElementByType
        assert types["BackupServerReference"] and types["BackupJobSessionReference"]
        assert isinstance(item[n["TotalSize"]], int) and isinstance(item[n["Reason"]], str)
        assert item[n["State"]] in ("Pending", "InProgress", "Completed")


@pytest.mark.parametrize(("frame", "keys"), [
    ("overview", ("BackupServers", "ProxyServers", "RepositoryServers", "ScheduledJobs", "SuccessfulVmLastestStates",
                  "WarningVmLastestStates", "FailedVmLastestStates")),
    ("vms_overview", ("ProtectedVms", "BackedUpVms", "ReplicatedVms", "RestorePoints", "FullBackupPointsSize",
                      "IncrementalBackupPointsSize", "ReplicaRestorePointsSize", "SourceVmsSize",
                      "SuccessBackupPercents")),
    ("job_statistics", ("RunningJobs", "ScheduledJobs", "ScheduledBackupJobs", "ScheduledReplicaJobs", "TotalJobRuns",
                        "SuccessfulJobRuns", "WarningsJobRuns", "FailedJobRuns", "MaxJobDuration",
                        "MaxBackupJobDuration", "MaxReplicaJobDuration")),
])  # fmt: skip
def test_report_frames(exporter: Exporter, frame: str, keys: tuple[str, ...]) -> None:
    """`veeam_overview_metrics`, `veeam_overview_vms_metrics`, `veeam_job_overview_metrics`."""
    n = spelled(exporter.version, *keys)
    data = exporter.get(f"/reports/summary/{frame}")
    assert all(isinstance(data[n[k]], int) for k in keys), data


def test_repositories_servers_and_agents(exporter: Exporter) -> None:
    """`veeam_repositories_overview_metrics`, `veeam_backup_servers_metrics`, `veeam_agent_metrics`."""
    n = spelled(exporter.version, "Repositories", "Name", "Kind", "UID", "Capacity", "FreeSpace", "BackupServers",
                "Description", "Port", "Version", "DiscoveredComputers", "AgentVersion", "OsVersion", "HostStatus",
                "Links")  # fmt: skip
    repositories = exporter.get("/repositories?format=Entity")[n["Repositories"]]
    assert repositories and all(isinstance(r[n["Capacity"]], int) and r[n["Kind"]] for r in repositories)
    servers = exporter.get("/backupServers?format=Entity")[n["BackupServers"]]
    assert servers and all(s[n["Version"]].startswith(str(exporter.version)) for s in servers)
    assert all(isinstance(s[n["Port"]], int) and isinstance(s[n["Description"]], str) for s in servers)
    computers = exporter.get("/agents/discoveredComputers?format=Entity")[n["DiscoveredComputers"]]
    assert computers
    for agent in computers:
        assert agent[n["UID"]] and agent[n["Name"]] and agent[n["OsVersion"]]
        assert isinstance(agent[n["AgentVersion"]], str)  # empty where no agent is installed
        assert agent[n["HostStatus"]] in ("Online", "Offline")
        assert agent[n["Links"]][0][n["Name"]]  # its backup server
