"""The dashboard's jobs and repositories, in process: what `GET /mock/dashboard/data` says of them
agrees with what the vendor API serves (`/api/jobs`, the job and task sessions, `/api/repositories`),
the page draws it, follows the clock, stays deterministic and escapes every name.
(tests/browser drives the page in a real browser.)"""

from __future__ import annotations

import copy
import json
import time
from datetime import UTC, datetime
from html import escape
from typing import Any

import pytest
from conftest import SEED_FIXTURE, START, EmClient, make_client
from lxml import html as lxml_html

from mock_em.control.dashboard_jobs import MAX_JOBS, MAX_REPOSITORIES, schedule_label, used_percent
from mock_em.control.dashboard_jobs_html import size
from mock_em.model.clock import Clock
from mock_em.model.entities import JobSchedule
from mock_em.settings import Settings

JSON = {"Accept": "application/json"}
RUNNING = datetime(2026, 1, 5, 17, 5, tzinfo=UTC)  # the default world's 6-hourly file server backup runs
HOSTILE = '<img src=x onerror="alert(1)">'


def frozen(when: datetime = START, **settings: Any) -> EmClient:
    """A checked client over a generated (or given) world with its clock frozen at `when`."""
    return make_client(Settings(**settings), Clock(when, frozen=True))


def dashboard(client: EmClient) -> dict[str, Any]:
    """`GET /mock/dashboard/data`, asserted 200."""
    response = client.control("GET", "/mock/dashboard/data")
    assert response.status_code == 200, response.text
    return response.json()


def page(client: EmClient) -> lxml_html.HtmlElement:
    """The page, parsed."""
    response = client.control("GET", "/mock/dashboard")
    assert response.status_code == 200, response.text
    return lxml_html.fromstring(response.text)


def api(client: EmClient, path: str) -> list[dict[str, Any]]:
    """A vendor list in entity form as JSON, read as a Portal Administrator."""
    token = client.logon()
    body = client.get_as(token, f"{path}?format=Entity", headers=JSON).json()
    (items,) = body.values()
    return items


def own_id(entity: dict[str, Any]) -> str:
    """The GUID at the end of an entity's `UID` (`urn:veeam:Job:<id>`)."""
    return entity["UID"].rsplit(":", 1)[1]


def up_name(entity: dict[str, Any], kind: str) -> str:
    """The name on an entity's Up link of a type (its backup server's)."""
    (link,) = [x for x in entity["Links"] if x["Rel"] == "Up" and x["Type"] == kind]
    return link["Name"]


def job_sessions(client: EmClient) -> dict[str, list[dict[str, Any]]]:
    """Every job session the API serves, backup and replica, by job id, oldest first."""
    found: dict[str, list[dict[str, Any]]] = {}
    for session in api(client, "/api/backupSessions") + api(client, "/api/replicaSessions"):
        found.setdefault(session["JobUid"].rsplit(":", 1)[1], []).append(session)
    for sessions in found.values():
        sessions.sort(key=lambda s: s["CreationTimeUTC"])
    return found


def seed_fixture(failure_rate: float | None = None, **edits: list[dict[str, str]]) -> dict[str, Any]:
    """The seed sample with run edits on its jobs, by job name (and, if given, their tasks'
    `FailureRate`: 0 leaves only the failures the edits force)."""
    fixture = json.loads(SEED_FIXTURE.read_text())
    for job in fixture["Jobs"]:
        job["RunEdits"] = edits.get(job["Name"].replace(" ", "_"), [])
        if failure_rate is not None:
            job["FailureRate"] = failure_rate
    return fixture


# -- the data agrees with the vendor API ------------------------------------------------------------


@pytest.mark.parametrize("when", [START, RUNNING], ids=["noon", "while-a-job-runs"])
def test_jobs_are_the_api_jobs(when: datetime) -> None:
    """One item per job of `/api/jobs`, in its order, with its type, platform, server, schedule
    and `NextRun`; the counts add up to the API's."""
    with frozen(when) as client:
        d = dashboard(client)["jobs"]
        jobs = api(client, "/api/jobs")
        assert (d["total"], len(d["items"]), d["more"]) == (len(jobs), len(jobs), 0)
        assert [j["name"] for j in d["items"]] == [j["Name"] for j in jobs] and len(jobs) == 5
        for item, job in zip(d["items"], jobs, strict=True):
            assert item["id"] == own_id(job)
            assert (item["type"], item["platform"]) == (job["JobType"], job["Platform"])
            assert item["backupServer"] == up_name(job, "BackupServerReference")
            assert item["nextRun"] == job["NextRun"]
            assert (item["scheduleConfigured"], item["scheduleEnabled"]) == (
                job["ScheduleConfigured"],
                job["ScheduleEnabled"],
            )
            options = job["JobScheduleOptions"]
            if options["OptionsDaily"]["Enabled"]:
                assert item["schedule"] == f"daily at {options['OptionsDaily']['Time'][:5]}"
            else:
                assert item["schedule"].startswith(f"every {options['OptionsPeriodically']['FullPeriod']} h from ")


@pytest.mark.parametrize("when", [START, RUNNING], ids=["noon", "while-a-job-runs"])
def test_sessions_results_and_progress_are_the_api_sessions(when: datetime) -> None:
    """Each job's sessions are the API's (count, names, results, retries, progress); its last
    result is the newest ended session's `Result`; the session going now shows the entity's
    `Progress`; the header's counts follow."""
    with frozen(when) as client:
        d = dashboard(client)["jobs"]
        by_job = job_sessions(client)
        running = 0
        for item in d["items"]:
            sessions = by_job.get(item["id"], [])
            assert item["sessionCount"] == len(sessions) and item["sessionsMore"] == 0
            assert item["retries"] == sum(s["IsRetry"] for s in sessions)
            shown = [(s["name"], s["result"], s["retry"], s["progress"], s["end"]) for s in item["sessions"]]
            wire = [(s["Name"], s["Result"], s["IsRetry"], s["Progress"], s["EndTimeUTC"]) for s in sessions]
            assert shown == wire
            ended = [s for s in sessions if s["EndTimeUTC"] is not None]
            assert item["last"]["name"] == ended[-1]["Name"]
            assert item["last"]["result"] == ended[-1]["Result"] != "None"
            going = [s for s in sessions if s["State"] != "Stopped"]
            if going:
                running += 1
                assert item["running"]["name"] == going[-1]["Name"]
                assert (item["running"]["progress"], item["running"]["state"]) == (
                    going[-1]["Progress"],
                    going[-1]["State"],
                )
                assert 0 <= item["running"]["progress"] < 100 and item["running"]["end"] is None
            else:
                assert item["running"] is None
            xs = [s["x"] for s in item["sessions"]]
            assert xs == sorted(xs) and all(0 <= s["x"] <= 100 and s["w"] >= 0 for s in item["sessions"])
        assert d["running"] == running == (1 if when == RUNNING else 0)
        last = [i["last"]["result"] for i in d["items"]]
        assert (d["failed"], d["warning"]) == (last.count("Failed"), last.count("Warning"))


def test_troubled_vms_are_the_failed_and_warning_task_sessions() -> None:
    """A session's troubled VMs are its task sessions that ended Failed or Warning, with their
    `Reason`; the default world's week holds both kinds and retries."""
    with frozen() as client:
        d = dashboard(client)["jobs"]
        tasks = api(client, "/api/backupTaskSessions") + api(client, "/api/replicaTaskSessions")
        troubled: dict[str, list[tuple[str, str, str]]] = {}
        for task in tasks:
            if task["EndTimeUTC"] and task["Result"] in ("Failed", "Warning"):
                entry = (task["VmDisplayName"], task["Result"], task["Reason"])
                troubled.setdefault(task["JobSessionUid"].rsplit(":", 1)[1], []).append(entry)
        shown = {
            s["id"]: [(p["vm"], p["result"], p["reason"]) for p in s["problems"]]
            for item in d["items"]
            for s in item["sessions"]
            if s["problems"]
        }
        assert shown == troubled
        results = {s["result"] for item in d["items"] for s in item["sessions"]}
        assert {"Success", "Warning", "Failed"} <= results
        assert any(s["retry"] for item in d["items"] for s in item["sessions"])
        assert all(reason.startswith(f"Processing {vm} Error: ") for ps in shown.values() for vm, _, reason in ps)


def test_repositories_are_the_api_repositories() -> None:
    """Each repository of `/api/repositories`, under its backup server, with its capacity and free
    space and the share used; the `-1` one is of unknown size, no share."""
    with frozen() as client:
        d = dashboard(client)["repositories"]
        repositories = api(client, "/api/repositories")
        shown = {r["id"]: (server["name"], r) for server in d["servers"] for r in server["repositories"]}
        assert d["total"] == len(repositories) == len(shown) == 7 and d["more"] == 0
        unknown = 0
        for repository in repositories:
            server, item = shown[own_id(repository)]
            assert server == up_name(repository, "BackupServerReference")
            capacity, free = repository["Capacity"], repository["FreeSpace"]
            assert (item["name"], item["capacity"], item["freeSpace"]) == (repository["Name"], capacity, free)
            if capacity == -1:
                unknown += 1
                assert item["usedPercent"] is None
            else:
                assert item["usedPercent"] == round(100 * (capacity - free) / capacity, 1)
        assert unknown == 1


# -- the page ------------------------------------------------------------------------------------


def test_page_draws_jobs_progress_results_and_repositories() -> None:
    """The running job's row has a progress bar at the entity's `Progress` and says the percent;
    results are coloured by class; every session is a mark, retries on the lower lane; each
    repository row says its share used, the unknown one says so and draws no bar."""
    with frozen(RUNNING) as client:
        d = dashboard(client)
        doc = page(client)
        (row,) = doc.xpath("//tr[@class='job'][@data-running='true']")
        (going,) = [i for i in d["jobs"]["items"] if i["running"]]
        assert row.get("data-job") == going["id"]
        (bar,) = row.xpath(".//*[@role='progressbar']")
        assert bar.get("aria-valuenow") == str(going["running"]["progress"])
        assert 0 < going["running"]["progress"] < 100
        assert row.xpath("string(.//span[@class='pct'])") == f"{going['running']['progress']}%"
        for item in d["jobs"]["items"]:
            (tr,) = doc.xpath("//tr[@data-job=$id]", id=item["id"])
            (result,) = tr.xpath(".//span[starts-with(@class, 'result ')]")
            assert result.get("class") == f"result r-{item['last']['result'].lower()}"
            marks = tr.xpath(".//rect[@data-start]")
            assert [m.get("data-start") for m in marks] == [s["start"] for s in item["sessions"]]
            for mark, session in zip(marks, item["sessions"], strict=True):
                assert mark.get("class").split()[:2] == ["ses", f"r-{session['result'].lower()}"]
                assert ("retry" in mark.get("class").split()) == session["retry"] == (mark.get("y") == "16")
                assert mark.findtext("title").startswith(session["name"])
        assert doc.xpath("//rect[contains(@class, 'r-failed')]") and doc.xpath("//rect[contains(@class, 'retry')]")
        rows = doc.xpath("//tr[@class='repo']")
        assert len(rows) == 7
        for r in (r for s in d["repositories"]["servers"] for r in s["repositories"]):
            (tr,) = doc.xpath("//tr[@data-repository=$id]", id=r["id"])
            if r["usedPercent"] is None:
                assert tr.xpath("string(td[@class='use unknown'])") == "unknown size"
                assert not tr.xpath(".//svg")
            else:
                assert tr.xpath("string(td[@class='num pct'])") == f"{r['usedPercent']:.1f}%"
                (meter,) = tr.xpath(".//*[@role='meter']")
                assert meter.get("aria-valuenow") == f"{r['usedPercent']:.1f}"
                assert f"{size(r['freeSpace'])} of {size(r['capacity'])}" in tr.text_content()
        assert doc.xpath("string(//div[@class='fact'][dt='Jobs']//span[@class='big'])") == "5"


def test_advancing_the_clock_ends_the_running_session() -> None:
    """The job running at the frozen clock has ended once the clock moves on: no progress bar, its
    last result is that session's, as the API says; the page shows it idle."""
    with frozen(RUNNING) as client:
        before = dashboard(client)["jobs"]
        (going,) = [i for i in before["items"] if i["running"]]
        assert client.control("POST", "/mock/clock/advance", json={"by": "2h"}).status_code == 200
        after = dashboard(client)["jobs"]
        (job,) = [i for i in after["items"] if i["id"] == going["id"]]
        assert after["running"] == 0 and job["running"] is None
        (ended,) = [s for s in job_sessions(client)[job["id"]] if s["Name"] == going["running"]["name"]]
        assert ended["State"] == "Stopped" and ended["Progress"] == 100
        assert job["last"]["name"] in {ended["Name"], *(s["name"] for s in job["sessions"] if s["retry"])}
        assert any(s["name"] == ended["Name"] and s["result"] == ended["Result"] for s in job["sessions"])
        doc = page(client)
        (row,) = doc.xpath("//tr[@data-job=$id]", id=job["id"])
        assert row.get("data-running") == "false" and not row.xpath(".//*[@role='progressbar']")
        assert row.xpath("string(.//span[@class='idle'])") == "idle"


def test_demo_mode_sessions_start_and_end_while_the_page_polls() -> None:
    """In demo mode the clock runs: polling alone brings new sessions and ends them."""
    settings = Settings(demo=True, clock_rate=1_000_000, clock="2026-01-05T12:00:00Z", unusual_state_rate=0)
    with make_client(settings, Clock(START, rate=1_000_000)) as client:
        first = dashboard(client)["jobs"]
        newest = {i["id"]: i["sessions"][-1]["name"] for i in first["items"]}
        deadline = time.monotonic() + 10
        while True:
            later = dashboard(client)["jobs"]
            moved = [i for i in later["items"] if i["sessions"][-1]["name"] != newest[i["id"]]]
            if moved:
                break
            assert time.monotonic() < deadline, "no new session within 10 s at a million virtual seconds per second"
            time.sleep(0.05)
        assert all(i["last"] and i["last"]["end"] for i in moved)


def test_jobs_and_repositories_are_deterministic_for_a_frozen_clock() -> None:
    """The same seed and clock give the same bytes, call after call and EM after EM."""
    with frozen(RUNNING) as one, frozen(RUNNING) as other:
        first = one.control("GET", "/mock/dashboard/data?html=1").content
        assert one.control("GET", "/mock/dashboard/data?html=1").content == first
        a, b = dashboard(one), dashboard(other)
        assert json.dumps([a["jobs"], a["repositories"]]) == json.dumps([b["jobs"], b["repositories"]])
        polled = json.loads(first)["html"]
        again = other.control("GET", "/mock/dashboard/data?html=1").json()["html"]
        assert (polled["jobs"], polled["repositories"]) == (again["jobs"], again["repositories"])


def test_a_seed_job_forced_to_fail_and_warn() -> None:
    """The seed sample with yesterday's DB Backup run failed (its retry then succeeds) and SQL
    Replication to DR warned: colours, the retry and the failed VM's reason as the API has them."""
    fixture = seed_fixture(
        0,
        DB_Backup=[{"Action": "Fail", "At": "2026-01-04T17:00:00Z"}],
        SQL_Replication_to_DR=[{"Action": "Warn", "At": "2026-01-04T18:00:00Z"}],
    )
    with frozen(datetime(2026, 1, 5, 17, 3, tzinfo=UTC)) as client:
        assert client.control("PUT", "/mock/world", json=fixture).status_code == 200
        d = dashboard(client)["jobs"]
        backup, replica = d["items"]
        assert (backup["name"], replica["name"]) == ("DB Backup", "SQL Replication to DR")
        assert backup["schedule"] == "daily at 17:00" and replica["schedule"] == "daily at 18:00"
        assert backup["running"]["progress"] == job_sessions(client)[backup["id"]][-1]["Progress"]
        assert 0 < backup["running"]["progress"] < 100
        failed = [s for s in backup["sessions"] if s["result"] == "Failed"]
        assert len(failed) == 1 and not failed[0]["retry"]
        (problem,) = failed[0]["problems"]
        assert problem["vm"] == "sqlsrv03" and problem["reason"].startswith("Processing sqlsrv03 Error: ")
        (retry,) = [s for s in backup["sessions"] if s["retry"]]
        assert retry["start"] > failed[0]["end"] and backup["last"]["retry"] is True
        assert replica["last"]["result"] == "Warning" and d["warning"] == 1 and d["running"] == 1
        doc = page(client)
        (warned,) = doc.xpath("//tr[@data-job=$id]//span[@data-result='Warning']", id=replica["id"])
        assert warned.get("class") == "result r-warning" and "Processing sqlsrv03 Error: " in warned.get("title")
        (mark,) = doc.xpath("//tr[@data-job=$id]//rect[@data-result='Failed']", id=backup["id"])
        assert "sqlsrv03: Failed: Processing sqlsrv03 Error: " in mark.findtext("title")


# -- escaping and caps ------------------------------------------------------------------------------


def test_hostile_job_vm_repository_and_server_names_are_escaped() -> None:
    """Names from a fixture reach the jobs and repositories sections as text, in text and in
    attributes (titles, labels), and the JSON carries them as they are."""
    fixture = seed_fixture(DB_Backup=[{"Action": "Fail", "At": "2026-01-05T11:00:00Z"}])
    hostile = copy.deepcopy(fixture)
    hostile["BackupServers"][0]["Name"] = f"srv{HOSTILE}"
    hostile["Repositories"][0]["Name"] = f"repo{HOSTILE}"
    job = hostile["Jobs"][0]
    job["Name"] = f"job{HOSTILE}"
    job["Schedule"]["Hour"] = 11
    job["Vms"][0]["DisplayName"] = f"vm{HOSTILE}"
    with frozen(datetime(2026, 1, 5, 11, 30, tzinfo=UTC)) as client:
        assert client.control("PUT", "/mock/world", json=hostile).status_code == 200
        texts = [client.control("GET", "/mock/dashboard").text]
        texts += client.control("GET", "/mock/dashboard/data?html=1").json()["html"].values()
        for text in texts:
            assert "<img" not in text and 'onerror="' not in text
        text = texts[0]
        assert escape(f"job{HOSTILE}") in text and escape(f"repo{HOSTILE}") in text
        doc = lxml_html.fromstring(text)
        assert f"job{HOSTILE}" in doc.xpath("//tr[@class='job']/th/span[@class='job-name']/text()")
        assert f"repo{HOSTILE}" in doc.xpath("//tr[@class='repo']//span[@class='repo-name']/text()")
        assert f"srv{HOSTILE}" in doc.xpath("//div[@class='repo-server']/h3/text()")
        titles = doc.xpath("//tr[@class='job']//rect/title/text()")
        assert any(f"vm{HOSTILE}: Failed: Processing vm{HOSTILE} Error: " in t for t in titles)
        assert any(label.startswith(f"job{HOSTILE}: ") for label in doc.xpath("//svg/@aria-label"))
        assert len(doc.xpath("//script")) == 1
        d = dashboard(client)
        assert d["jobs"]["items"][0]["name"] == f"job{HOSTILE}"
        assert d["repositories"]["servers"][0]["repositories"][0]["name"] == f"repo{HOSTILE}"


def test_caps_keep_many_jobs_and_repositories_small() -> None:
    """At most 50 jobs and 100 repositories, each with "and N more"; the counts stay whole."""
    with frozen() as client:
        body = {"backupServers": 30, "tenants": 30, "replicasPerTenant": 1, "vmsPerReplica": 1, "pointsPerVm": 1}
        assert client.control("POST", "/mock/world/regenerate", json=body).status_code == 200
        d = dashboard(client)
        jobs, repositories = d["jobs"], d["repositories"]
        assert jobs["total"] == len(api(client, "/api/jobs")) > MAX_JOBS == len(jobs["items"])
        assert jobs["more"] == jobs["total"] - MAX_JOBS
        shown = sum(len(s["repositories"]) for s in repositories["servers"])
        assert repositories["total"] == len(api(client, "/api/repositories")) > MAX_REPOSITORIES == shown
        text = " ".join(p.text_content() for p in page(client).xpath("//p[@class='more']"))
        assert f"and {jobs['more']} more job" in text
        assert f"and {repositories['more']} more repositor" in text


# -- the pure helpers -----------------------------------------------------------------------------


def test_used_percent_never_divides_by_an_unknown_size() -> None:
    """-1 (unknown) and 0 give no share; otherwise the share used, to one decimal."""
    assert used_percent(-1, -1) is None and used_percent(0, 0) is None and used_percent(100, -1) is None
    assert used_percent(1000, 250) == 75.0 and used_percent(3, 2) == 33.3 and used_percent(10, 10) == 0.0


def test_schedule_labels_and_sizes() -> None:
    """Schedules read as EM's options set them; sizes as the consoles show bytes."""
    assert schedule_label(JobSchedule(hour=17, minute=0)) == "daily at 17:00"
    assert schedule_label(JobSchedule(hour=5, minute=30, every_hours=6)) == "every 6 h from 05:30"
    assert schedule_label(JobSchedule(hour=13, minute=0, every_hours=4)) == "every 4 h from 01:00"
    assert schedule_label(JobSchedule(configured=False)) == "by hand only"
    assert size(512) == "512 B" and size(1024**3) == "1.0 GB" and size(1079639011328) == "1,005.5 GB"
    assert size(161614546342080) == "147.0 TB"
