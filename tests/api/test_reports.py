"""The summary report on the wire (`/api/reports/summary` and its five frames): its links, the
frames' XML (schema-valid: EmClient checks) and JSON (shaped as real servers' captures), who may
read it, its paths, its errors, and its counts agreeing with what the rest of the API shows of the
same world (job sessions, task sessions, jobs, repositories) at any instant."""

from __future__ import annotations

import json
import re
from collections import defaultdict
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import pytest
from conftest import SEED_FIXTURE, START, EmClient, make_client
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from xmlutil import API, Link, assert_error, body, child_names, links, logon, parse, text

from mock_em.model.clock import Clock
from mock_em.settings import Settings

JSON = {"Accept": "application/json"}
USERS = ("Administrator:P@ssw0rd", "pu:pw:PortalUser", "ro:pw:RestoreOperator")
SUMMARY = "/api/reports/summary"
# Real servers' answers, beside the project (never copied into it).
CAPTURES = Path(__file__).resolve().parents[2].parent / "shared" / "captures"
# Each frame: its root element and its children in schema order.
FRAMES: dict[str, tuple[str, tuple[str, ...]]] = {
    "overview": (
        "OverviewReportFrame",
        (
            "BackupServers",
            "ProxyServers",
            "RepositoryServers",
            "RunningJobs",
            "ScheduledJobs",
            "SuccessfulVmLastestStates",
            "WarningVmLastestStates",
            "FailedVmLastestStates",
        ),
    ),
    "vms_overview": (
        "VmsOverviewReportFrame",
        (
            "ProtectedVms",
            "BackedUpVms",
            "ReplicatedVms",
            "RestorePoints",
            "FullBackupPointsSize",
            "IncrementalBackupPointsSize",
            "ReplicaRestorePointsSize",
            "SourceVmsSize",
            "SuccessBackupPercents",
            "ProtectedVmsReportLink",
        ),
    ),
    "job_statistics": (
        "JobStatisticsReportFrame",
        (
            "RunningJobs",
            "ScheduledJobs",
            "ScheduledBackupJobs",
            "ScheduledReplicaJobs",
            "TotalJobRuns",
            "SuccessfulJobRuns",
            "WarningsJobRuns",
            "FailedJobRuns",
            "MaxJobDuration",
            "MaxBackupJobDuration",
            "MaxReplicaJobDuration",
            "MaxDurationBackupJobName",
            "MaxDurationReplicaJobName",
            "BackupJobStatusReportLink",
        ),
    ),
    "processed_vms": ("ProcessedVmsReportFrame", ()),
    "repository": ("RepositoryReportFrame", ()),
}
URLS = [SUMMARY] + [f"{SUMMARY}/{segment}" for segment in FRAMES]
STRINGS = {
    "MaxDurationBackupJobName",
    "MaxDurationReplicaJobName",
    "ProtectedVmsReportLink",
    "BackupJobStatusReportLink",
}
DAY_STAMP = re.compile(r"^\d{4}-\d\d-\d\dT00:00:00\+00:00$")


@pytest.fixture(scope="module")
def seed() -> Iterator[EmClient]:
    """A checked client over the seed world with one account of each role (the tests only read)."""
    client = make_client(Settings(fixture=str(SEED_FIXTURE), user=USERS))
    yield client
    client.close()


def get_json(client: EmClient, token: str, url: str) -> Any:
    response = client.get_as(token, url, headers=JSON)
    assert response.status_code == 200, response.text[:300]
    assert response.headers["content-type"] == "application/json; charset=utf-8"
    return response.json()


# -- the report and its frames -----------------------------------------------------------------


def test_the_report_links_its_five_frames(seed: EmClient) -> None:
    """Five Down links of Type ReportFrame, in the contract's order and Names (`Repositories` is
    `/repository`); the Href the schema requires; JSON `{"Links": […], "Href": …}`."""
    token, _ = logon(seed)
    root = body(seed.get_as(token, SUMMARY), 200, "SummaryReport")
    assert root.get("Href") == f"{API}/reports/summary"
    assert root.get("Type") is None
    names = ("Overview", "VmsOverview", "JobStatistics", "ProcessedVms", "Repositories")
    expected = [
        Link("Down", "ReportFrame", f"{API}/reports/summary/{segment}", name)
        for segment, name in zip(FRAMES, names, strict=True)
    ]
    assert links(root) == expected
    data = get_json(seed, token, SUMMARY)
    assert list(data) == ["Links", "Href"]
    assert data["Href"] == f"{API}/reports/summary"
    assert data["Links"] == [{"Rel": li.Rel, "Href": li.Href, "Name": li.Name, "Type": li.Type} for li in expected]


def scalar(name: str, value: str) -> Any:
    return value if name in STRINGS else int(value)


@pytest.mark.parametrize("segment", [s for s, (_, fields) in FRAMES.items() if fields])
def test_a_frame_in_xml_and_json(seed: EmClient, segment: str) -> None:
    """Every field in schema order, and JSON the same values, numbers as numbers, then `Href`
    (the 9.5 U4 profile leaves out the `Links` and `Type` that later releases write as null)."""
    element, fields = FRAMES[segment]
    token, _ = logon(seed)
    root = body(seed.get_as(token, f"{SUMMARY}/{segment}"), 200, element)
    assert child_names(root) == list(fields)
    assert dict(root.attrib) == {"Href": f"{API}/reports/summary/{segment}"}
    data = get_json(seed, token, f"{SUMMARY}/{segment}")
    assert list(data) == [*fields, "Href"]
    assert data == {**{f: scalar(f, text(root, f) or "") for f in fields}, "Href": root.get("Href")}


def test_repository_frame_in_xml_and_json(seed: EmClient) -> None:
    """A Period per repository (Name, Capacity, FreeSpace, BackupSize) and the capacity planning
    report's link as an attribute; JSON `Periods`, then the link, then `Href`."""
    token, _ = logon(seed)
    root = body(seed.get_as(token, f"{SUMMARY}/repository"), 200, "RepositoryReportFrame")
    assert set(child_names(root)) == {"Period"}
    periods = [{f: scalar(f, text(p, f) or "") if f != "Name" else text(p, f) for f in child_names(p)} for p in root]
    assert all(list(p) == ["Name", "Capacity", "FreeSpace", "BackupSize"] for p in periods)
    data = get_json(seed, token, f"{SUMMARY}/repository")
    assert list(data) == ["Periods", "CapacityPlanningReportLink", "Href"]
    assert data["Periods"] == periods
    assert data["CapacityPlanningReportLink"] == root.get("CapacityPlanningReportLink")


def test_processed_vms_frame_in_xml_and_json(seed: EmClient) -> None:
    """Seven Days, today first, each a UTC midnight with its offset; JSON `Days`, then `Href`."""
    token, _ = logon(seed)
    root = body(seed.get_as(token, f"{SUMMARY}/processed_vms"), 200, "ProcessedVmsReportFrame")
    days = [dict(d.attrib) for d in root]
    assert child_names(root) == ["Day"] * 7
    assert [list(d) for d in days] == [["Timestamp", "ReplicatedVms", "BackupedVms"]] * 7
    stamps = [d["Timestamp"] for d in days]
    assert all(DAY_STAMP.match(s) for s in stamps)
    assert [datetime.fromisoformat(s) for s in stamps] == [
        datetime(2026, 1, 5, tzinfo=UTC) - timedelta(days=i) for i in range(7)
    ]
    data = get_json(seed, token, f"{SUMMARY}/processed_vms")
    assert list(data) == ["Days", "Href"]
    assert data["Days"] == [
        {"Timestamp": d["Timestamp"], "ReplicatedVms": int(d["ReplicatedVms"]), "BackupedVms": int(d["BackupedVms"])}
        for d in days
    ]


def test_the_seed_world_as_its_jobs_leave_it(seed: EmClient) -> None:
    """The seed's one VM, backed up (DB Backup, 17:00) and replicated (SQL Replication to DR,
    18:00): one protected VM; at START, Monday noon, yesterday's two runs are the period's, and
    Sunday's backup point a full."""
    token, _ = logon(seed)
    vms = get_json(seed, token, f"{SUMMARY}/vms_overview")
    assert (vms["ProtectedVms"], vms["BackedUpVms"], vms["ReplicatedVms"], vms["RestorePoints"]) == (1, 1, 1, 2)
    assert vms["FullBackupPointsSize"] > 0 and vms["IncrementalBackupPointsSize"] == 0
    assert vms["ReplicaRestorePointsSize"] > 0
    assert vms["SourceVmsSize"] > 0 and vms["SuccessBackupPercents"] == 100
    stats = get_json(seed, token, f"{SUMMARY}/job_statistics")
    assert (stats["TotalJobRuns"], stats["ScheduledBackupJobs"], stats["ScheduledReplicaJobs"]) == (2, 1, 1)
    assert (stats["MaxDurationBackupJobName"], stats["MaxDurationReplicaJobName"]) == (
        "DB Backup",
        "SQL Replication to DR",
    )


# -- against real servers' captures --------------------------------------------------------------

needs_captures = pytest.mark.skipif(not CAPTURES.is_dir(), reason="the shared captures are not beside the project")


def capture(name: str) -> Any:
    return json.loads((CAPTURES / name).read_text(encoding="utf-8"))


def as_released(real: dict[str, Any]) -> list[str]:
    """A v12/v13 frame's keys as the 9.5 U4 profile writes them: nulls left out, but `Href`, which
    the schema requires and mock-em adds (em-api-monitoring.md §9)."""
    return [k for k, v in real.items() if v is not None or k == "Href"]


@needs_captures
@pytest.mark.parametrize(
    ("name", "segment"),
    [("em12-report-job-statistics.json", "job_statistics"), ("em12-report-vms-overview.json", "vms_overview")],
)
def test_json_keys_types_and_order_as_em12(seed: EmClient, name: str, segment: str) -> None:
    """The keys of a real EM 12's frame, in its order, with its value types; the report links are
    the vendor's constants, the real server's very strings."""
    real = capture(name)
    token, _ = logon(seed)
    ours = get_json(seed, token, f"{SUMMARY}/{segment}")
    assert list(ours) == as_released(real)
    for key, value in real.items():
        if value is not None:
            assert type(ours[key]) is type(value), key
            if key.endswith("ReportLink"):
                assert ours[key] == value
    assert isinstance(ours["Href"], str)


def pascal(key: str) -> str:
    """An EM 13 camelCase key as EM 12 spells it."""
    return key[0].upper() + key[1:]


@needs_captures
@pytest.mark.parametrize("segment", ["overview", "job_statistics", "vms_overview", "repository"])
def test_json_keys_and_types_as_em13(seed: EmClient, segment: str) -> None:
    """The keys and value types of a real EM 13's four frames (its top-level key order was sorted
    by the tool that kept it, so the order is the schema's); a Period's keys in their order."""
    real = {pascal(k): v for k, v in capture("em13-reports-four-frames.json")[segment].items()}
    token, _ = logon(seed)
    ours = get_json(seed, token, f"{SUMMARY}/{segment}")
    assert set(ours) == set(as_released(real))
    for key, value in real.items():
        if key == "Periods":
            expected = [[(pascal(k), type(v)) for k, v in p.items()] for p in value]
            assert ours[key] and all([(k, type(v)) for k, v in p.items()] == expected[0] for p in ours[key])
        elif value is not None:
            assert type(ours[key]) is type(value), key
            if key.endswith("ReportLink"):
                assert ours[key] == value


# -- who may read it ------------------------------------------------------------------------------


def session_links(client: EmClient, user: str, password: str) -> tuple[str, list[Link]]:
    response = client.post("/api/sessionMngr/?v=latest", auth=(user, password))
    assert response.status_code == 201
    client.cookies.clear()
    return response.headers["X-RestSvcSessionId"], links(parse(response))


@pytest.mark.parametrize(("user", "password"), [("Administrator", "P@ssw0rd"), ("pu", "pw")])
def test_portal_roles_are_linked_to_the_report_and_read_it(seed: EmClient, user: str, password: str) -> None:
    """The LogonSession links the report right after the query and lookup services, as EM 12's
    does; every URL of the report answers."""
    token, found = session_links(seed, user, password)
    report = Link("Down", "Report", f"{API}/reports/summary", "Summary")
    assert found.count(report) == 1
    assert [li.Type for li in found[found.index(report) - 2 : found.index(report)]] == ["QueryService", "LookupService"]
    for url in URLS:
        assert seed.get_as(token, url).status_code == 200


def test_restore_operators_are_refused(seed: EmClient) -> None:
    """The vendor's roles table lists the reports among a Restore Operator's unavailable
    operations: no link, and 403 on every URL of the report, in either notation."""
    token, found = session_links(seed, "ro", "pw")
    assert all(li.Type != "Report" for li in found)
    for url in URLS:
        assert_error(seed.get_as(token, url), 403, "Forbidden")
        refused = seed.get_as(token, url, headers=JSON)
        assert refused.status_code == 403 and refused.json()["Status"] == "Forbidden"


def test_tenants_are_refused(seed: EmClient) -> None:
    """A Cloud Connect tenant is not linked to the report and gets 403 on each of its URLs."""
    tenant = next(iter(seed.em.world.tenants.values()))
    spec = (
        '<LoginSpec xmlns="http://www.veeam.com/ent/v1.0"><TenantCredentials>'
        f"<Username>{tenant.username}</Username><Password>{tenant.password}</Password>"
        "</TenantCredentials></LoginSpec>"
    )
    response = seed.post("/api/sessionMngr/?v=latest", content=spec, headers={"Content-Type": "application/xml"})
    assert response.status_code == 201
    seed.cookies.clear()
    assert all(li.Type != "Report" for li in links(parse(response)))
    for url in URLS:
        assert_error(seed.get_as(response.headers["X-RestSvcSessionId"], url), 403, "Forbidden")


def test_a_session_is_needed_by_header_or_cookie(seed: EmClient) -> None:
    """No token: 401; the session cookie alone does as the header does."""
    seed.cookies.clear()
    for url in URLS:
        assert_error(seed.get(url), 401, "Unauthorized")
    token, _ = logon(seed)
    by_header = seed.get_as(token, f"{SUMMARY}/overview")
    seed.cookies.set("X-RestSvcSessionId", token)
    by_cookie = seed.get(f"{SUMMARY}/overview")
    seed.cookies.clear()
    assert by_cookie.status_code == 200 and by_cookie.content == by_header.content


# -- paths and errors ----------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("variant", "canonical"),
    [
        ("/api/reports/summary/Vms_Overview", "/api/reports/summary/vms_overview"),
        ("/API/REPORTS/SUMMARY/JOB_STATISTICS/", "/api/reports/summary/job_statistics"),
        ("/api/Reports/Summary", "/api/reports/summary"),
        ("/api/reports/summary/", "/api/reports/summary"),
        ("/Api/reports/SUMMARY/Processed_VMs", "/api/reports/summary/processed_vms"),
        ("/api/reports/summary/Repository", "/api/reports/summary/repository"),
        ("/api/reports/summary/OVERVIEW?Format=Entity", "/api/reports/summary/overview"),
    ],
)
def test_paths_in_any_case(seed: EmClient, variant: str, canonical: str) -> None:
    """Path segments in any case, with or without a trailing slash: the canonical answer, its
    Hrefs canonical."""
    token, _ = logon(seed)
    expected = seed.get_as(token, canonical)
    got = seed.get_as(token, variant)
    assert got.status_code == expected.status_code == 200
    assert got.content == expected.content


@pytest.mark.parametrize("frame", ["statistics", "vmsoverview", "repositories", "overview2", "00000000-0000"])
def test_an_unknown_frame_is_not_found(seed: EmClient, frame: str) -> None:
    """Only the five frames are served: any other name is a 404 Veeam Error, XML or JSON."""
    token, _ = logon(seed)
    assert_error(seed.get_as(token, f"{SUMMARY}/{frame}"), 404, "NotFound")
    missing = seed.get_as(token, f"{SUMMARY}/{frame}", headers=JSON)
    assert missing.status_code == 404 and missing.json()["Status"] == "NotFound"
    assert_error(seed.get_as(token, f"{SUMMARY}/overview/more"), 404, "NotFound")


@pytest.mark.parametrize("method", ["POST", "PUT", "DELETE", "PATCH"])
@pytest.mark.parametrize("url", [SUMMARY, f"{SUMMARY}/overview", f"{SUMMARY}/repository"])
def test_other_methods_are_not_allowed(seed: EmClient, method: str, url: str) -> None:
    """The report is read only: 405 Veeam Error naming GET as allowed."""
    token, _ = logon(seed)
    seed.cookies.clear()
    refused = seed.request(method, url, headers={"X-RestSvcSessionId": token})
    assert_error(refused, 405, "MethodNotAllowed")
    assert refused.headers["Allow"] == "GET"


# -- time ------------------------------------------------------------------------------------------


def test_frames_follow_the_world_time() -> None:
    """The frames count at the EM's world time: kept answers are not served once it moves, even
    when the world itself did not change (its version stays); running the clock on runs the jobs."""
    client = make_client(Settings(fixture=str(SEED_FIXTURE)))
    try:
        token, _ = logon(client)
        url = f"{SUMMARY}/job_statistics"
        before = get_json(client, token, url)
        assert before["TotalJobRuns"] == 2
        version = client.em.world.version
        client.em.world_time += timedelta(days=2)  # the period moves past every session the world shows
        assert client.em.world.version == version
        assert get_json(client, token, url)["TotalJobRuns"] == 0
        client.em.world_time -= timedelta(days=2)
        assert get_json(client, token, url) == before
        moved = client.control("POST", "/mock/clock/advance", json={"by": "1d"})
        assert moved.status_code == 200, moved.text
        token, _ = logon(client)
        days = get_json(client, token, f"{SUMMARY}/processed_vms")["Days"]
        assert days[0]["Timestamp"] == "2026-01-06T00:00:00+00:00"
        assert (days[1]["BackupedVms"], days[1]["ReplicatedVms"]) == (1, 1)  # Monday's 17:00 and 18:00 runs
    finally:
        client.close()


def test_the_fast_path_answers_as_fastapi() -> None:
    """Served from kept bytes or rendered by FastAPI alone, every URL of the report gives the same
    bytes, XML and JSON; and the same seed and clock give the same bytes in another app."""
    fast = make_client(Settings(seed=3, backup_servers=2, tenants=1))
    plain = make_client(Settings(seed=3, backup_servers=2, tenants=1))
    plain.app.state.fast_path = False  # type: ignore[attr-defined]
    plain.app.state.response_cache.enabled = False  # type: ignore[attr-defined]
    plain.app.state.report_cache = None  # type: ignore[attr-defined]
    try:
        fast_token, plain_token = logon(fast)[0], logon(plain)[0]
        for url in URLS:
            for headers in ({}, JSON):
                twice = [fast.get_as(fast_token, url, headers=headers) for _ in range(2)]
                once = plain.get_as(plain_token, url, headers=headers)
                assert twice[0].content == twice[1].content == once.content, url
    finally:
        fast.close()
        plain.close()


# -- consistency with the rest of the API, over generated worlds -------------------------------------


def entities(client: EmClient, token: str, type_name: str, filter_text: str | None = None) -> list[dict[str, Any]]:
    """Every entity of a query type (matching a filter), as JSON."""
    url = f"/api/query?type={type_name}&format=Entities&pageSize=100000"
    if filter_text:
        url += f"&filter={filter_text}"
    data = get_json(client, token, url)
    (items,) = data["Entities"].values()
    (found,) = items.values()
    return found


def stamp(when: datetime) -> str:
    return when.strftime('"%Y-%m-%dT%H:%M:%SZ"')


def utc(text_value: str) -> datetime:
    return datetime.fromisoformat(text_value.replace("Z", "+00:00"))


def seconds(session: dict[str, Any]) -> int:
    return int((utc(session["EndTimeUTC"]) - utc(session["CreationTimeUTC"])).total_seconds())


def check_job_statistics(client: EmClient, token: str, at: datetime) -> None:
    """The job frame against the sessions and jobs the query service finds."""
    stats = get_json(client, token, f"{SUMMARY}/job_statistics")
    overview = get_json(client, token, f"{SUMMARY}/overview")
    running = {
        s["JobUid"]
        for kind in ("BackupJobSession", "ReplicaJobSession")
        for s in entities(client, token, kind, "State!=Stopped")
    }
    assert stats["RunningJobs"] == overview["RunningJobs"] == len(running)
    period = f"CreationTime>{stamp(at - timedelta(hours=24))};CreationTime<={stamp(at)};State==Stopped"
    backup = entities(client, token, "BackupJobSession", period)
    replica = entities(client, token, "ReplicaJobSession", period)
    results = [s["Result"] for s in backup + replica]
    assert stats["TotalJobRuns"] == len(results)
    for key, result in (("SuccessfulJobRuns", "Success"), ("WarningsJobRuns", "Warning"), ("FailedJobRuns", "Failed")):
        assert stats[key] == results.count(result)
        assert stats[key] == len(entities(client, token, "BackupJobSession", f"{period};Result=={result}")) + len(
            entities(client, token, "ReplicaJobSession", f"{period};Result=={result}")
        )
    for sessions, duration, name in (
        (backup, "MaxBackupJobDuration", "MaxDurationBackupJobName"),
        (replica, "MaxReplicaJobDuration", "MaxDurationReplicaJobName"),
    ):
        longest = max((seconds(s) for s in sessions), default=0)
        assert stats[duration] == longest
        assert stats[name] in ({s["JobName"] for s in sessions if seconds(s) == longest} or {""})
    assert stats["MaxJobDuration"] == max(stats["MaxBackupJobDuration"], stats["MaxReplicaJobDuration"])
    jobs = entities(client, token, "Job", "ScheduleConfigured==true;ScheduleEnabled==true")
    kinds = [j["JobType"] for j in jobs]
    assert (stats["ScheduledJobs"], stats["ScheduledBackupJobs"], stats["ScheduledReplicaJobs"]) == (
        len(jobs),
        kinds.count("Backup"),
        kinds.count("Replica"),
    )
    assert overview["ScheduledJobs"] == len(jobs)


def check_points(client: EmClient, token: str, at: datetime) -> None:
    """Processed VMs per day and points of the period against the task sessions: a point is left
    by a task that completed well, when it ended."""
    days = get_json(client, token, f"{SUMMARY}/processed_vms")["Days"]
    first = datetime.fromisoformat(days[-1]["Timestamp"])
    per_day: dict[tuple[str, str], set[tuple[str, str]]] = defaultdict(set)
    in_period = 0
    for kind, field in (("BackupTaskSession", "BackupedVms"), ("ReplicaTaskSession", "ReplicatedVms")):
        for task in entities(client, token, kind, f"EndTime>={stamp(first)};State==Completed;Result!=Failed"):
            ended = utc(task["EndTimeUTC"])
            server = task["Links"][0]["Href"]  # Up to its backup server
            per_day[(field, ended.date().isoformat())].add((server, task["VmDisplayName"]))
            in_period += ended > at - timedelta(hours=24)
    for day in days:
        date = day["Timestamp"][:10]
        assert day["BackupedVms"] == len(per_day[("BackupedVms", date)]), date
        assert day["ReplicatedVms"] == len(per_day[("ReplicatedVms", date)]), date
    assert get_json(client, token, f"{SUMMARY}/vms_overview")["RestorePoints"] == in_period


def check_infrastructure(client: EmClient, token: str) -> None:
    """Servers and repositories as their collections show them; a Period per repository of known
    size, in their order."""
    overview = get_json(client, token, f"{SUMMARY}/overview")
    servers = get_json(client, token, "/api/backupServers")["Refs"]
    repositories = get_json(client, token, "/api/repositories?format=Entity")["Repositories"]
    assert overview["BackupServers"] == overview["ProxyServers"] == len(servers)
    assert overview["RepositoryServers"] == len(repositories)
    periods = get_json(client, token, f"{SUMMARY}/repository")["Periods"]
    assert periods == [
        {
            "Name": r["Name"],
            "Capacity": r["Capacity"],
            "FreeSpace": r["FreeSpace"],
            "BackupSize": r["Capacity"] - r["FreeSpace"],
        }
        for r in repositories
        if r["Capacity"] != -1
    ]
    assert all(p["Capacity"] > 0 for p in periods)
    vms = get_json(client, token, f"{SUMMARY}/vms_overview")
    states = sum(overview[k] for k in ("SuccessfulVmLastestStates", "WarningVmLastestStates", "FailedVmLastestStates"))
    assert states == vms["ProtectedVms"]


@settings(max_examples=10, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(
    seed=st.integers(1, 5_000),
    day=st.integers(0, 6),
    hour=st.sampled_from([0, 1, 2, 3, 12, 22, 23]),
    minute=st.integers(0, 59),
    run_on=st.booleans(),
)
def test_the_frames_agree_with_the_sessions_jobs_and_repositories(
    seed: int, day: int, hour: int, minute: int, run_on: bool
) -> None:
    """In generated worlds at instants by night (jobs running) and by day, made at that instant or
    run on to it by the clock: running jobs, runs by result, their longest, scheduled jobs, points
    and processed VMs, servers and repositories are what the query service and the collections
    show of the same world."""
    at = START + timedelta(days=day, hours=hour - START.hour, minutes=minute, seconds=minute)
    size = {"seed": seed, "backup_servers": 2, "tenants": 1, "replicas_per_tenant": 1, "points_per_vm": 2}
    client = make_client(Settings(**size), Clock(START if run_on else at, frozen=True))
    try:
        if run_on and at > START:
            moved = client.control("POST", "/mock/clock/set", json={"time": at.isoformat()})
            assert moved.status_code == 200, moved.text
        token, _ = logon(client)
        check_job_statistics(client, token, client.em.world_time)
        check_points(client, token, client.em.world_time)
        check_infrastructure(client, token)
    finally:
        client.close()
