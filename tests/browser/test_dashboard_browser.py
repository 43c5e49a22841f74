"""The dashboard in a real headless browser: Debian's chromium driven by selenium through Debian's
chromedriver (never a downloaded one), against mock-em under uvicorn in a thread.

The server has a control token, so the page is opened as `/mock/dashboard?token=…` and its script
must pass the token on to every poll. Install the browser with
`apt-get install chromium chromium-driver`; without it these tests skip and say so.
"""

from __future__ import annotations

import json
import shutil
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import httpx
import pytest
from selenium import webdriver
from selenium.common.exceptions import NoAlertPresentException
from selenium.webdriver.chrome.options import Options
from selenium.webdriver.chrome.service import Service
from selenium.webdriver.common.by import By
from selenium.webdriver.remote.webelement import WebElement
from selenium.webdriver.support.ui import WebDriverWait

from mock_em.testing import MockEmClient, MockEmServer

SEED_FIXTURE = Path(__file__).resolve().parents[2] / "fixtures" / "seed-sample.json"

CHROMIUM = Path("/usr/bin/chromium")
CHROMEDRIVER = Path("/usr/bin/chromedriver")
TOKEN = "browser-s3cret"
ADMIN = ("Administrator", "P@ssw0rd")
SCREENSHOT_COPY = Path("/tmp/mock-em-dashboard.png")
WAIT = 15  # seconds, at most, for the page to follow the world
HOSTILE = '<script>window.pwned = 1</script><img src=x onerror="window.pwned = 2">'
ARGUMENTS = (
    "--headless=new",
    "--no-sandbox",
    "--disable-gpu",
    "--disable-dev-shm-usage",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
    "--no-first-run",
    "--disable-quic",
    "--window-size=1440,1000",
)

missing = [str(p) for p in (CHROMIUM, CHROMEDRIVER) if not p.exists()]
pytestmark = pytest.mark.skipif(
    bool(missing),
    reason=f"needs Debian's chromium and chromium-driver ({', '.join(missing)} not installed): "
    "apt-get install chromium chromium-driver",
)


@pytest.fixture(scope="module")
def server() -> Iterator[MockEmServer]:
    """mock-em on a free port of 127.0.0.1, its virtual clock frozen, with a control token."""
    with MockEmServer(clock="2026-01-05T12:00:00Z", control_token=TOKEN) as running:
        yield running


@pytest.fixture
def control(server: MockEmServer) -> Iterator[MockEmClient]:
    """The control plane of the freshly reset server."""
    with server.client() as client:
        client.reset()
        yield client


@pytest.fixture
def browser(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Iterator[webdriver.Chrome]:
    """Headless chromium with a fresh profile; selenium is pointed at the installed driver and browser."""
    monkeypatch.setenv("SE_OFFLINE", "true")  # selenium manager: never download a driver or browser
    options = Options()
    options.binary_location = str(CHROMIUM)
    for argument in ARGUMENTS:
        options.add_argument(argument)
    options.add_argument(f"--user-data-dir={tmp_path / 'chromium-profile'}")
    options.set_capability("goog:loggingPrefs", {"browser": "ALL"})
    driver = webdriver.Chrome(service=Service(str(CHROMEDRIVER)), options=options)
    try:
        yield driver
    finally:
        driver.quit()


def open_dashboard(browser: webdriver.Chrome, server: MockEmServer) -> None:
    """Load the page with the token and wait until its script has polled successfully once."""
    browser.get(f"{server.url}/mock/dashboard?token={TOKEN}")
    WebDriverWait(browser, WAIT).until(lambda d: d.find_element(By.TAG_NAME, "body").get_attribute("data-polls"))
    status = browser.find_element(By.ID, "status").text
    assert status.startswith("Live"), status


def console_errors(browser: webdriver.Chrome) -> list[str]:
    """Severe browser console messages (a CSP violation, a failed fetch, a script error)."""
    return [entry["message"] for entry in browser.get_log("browser") if entry["level"] == "SEVERE"]


def test_dashboard_follows_the_clock(
    server: MockEmServer, control: MockEmClient, browser: webdriver.Chrome, tmp_path: Path
) -> None:
    """The page shows the tenants; a day later (clock advanced over the control plane) it shows the
    night's new restore points without a reload."""
    started = time.monotonic()
    open_dashboard(browser, server)
    tenants = browser.find_element(By.ID, "tenants")
    names = [t["Name"] for t in control.world()["CloudTenants"]]
    assert len(names) == 4
    for name in names:
        assert name in tenants.text
    body = browser.find_element(By.TAG_NAME, "body")
    before = body.get_attribute("data-newest-point")
    assert before and browser.find_elements(By.CSS_SELECTOR, f'circle[data-time="{before}"]')
    marks_before = len(browser.find_elements(By.CSS_SELECTOR, "#tenants circle[data-time]"))
    browser.execute_script("window.sameDocument = true")

    changes = control.advance("1d")
    assert changes["pointsAdded"] > 0
    newest = max(p["CreationTimeUTC"] for p in control.world()["CloudVmReplicaPoints"])
    assert newest > before
    advanced = time.monotonic()
    WebDriverWait(browser, WAIT).until(
        lambda d: (
            d.find_element(By.TAG_NAME, "body").get_attribute("data-newest-point") == newest
            and d.find_elements(By.CSS_SELECTOR, f'#tenants circle[data-time="{newest}"]')
        )
    )
    followed = time.monotonic() - advanced
    assert browser.execute_script("return window.sameDocument") is True, "the page reloaded"
    assert browser.find_element(By.ID, "now").text == "2026-01-06 12:00:00"
    assert len(browser.find_elements(By.CSS_SELECTOR, "#tenants circle[data-time]")) == marks_before  # retention

    with httpx.Client(base_url=server.api_url) as api:  # a client of the vendor API: journal and sessions
        logon = api.post("/sessionMngr/?v=latest", auth=ADMIN)
        session = {"X-RestSvcSessionId": logon.headers["X-RestSvcSessionId"]}
        assert api.get("/cloud/tenants", headers=session).status_code == 200
        assert api.get("/cloud/vmReplicaPoints", headers=session, params={"format": "Entity"}).status_code == 200
    WebDriverWait(browser, WAIT).until(
        lambda d: (
            "/api/cloud/vmReplicaPoints?format=Entity" in d.find_element(By.ID, "requests").text
            and "EM01\\Administrator" in d.find_element(By.ID, "sessions").text
        )
    )
    assert console_errors(browser) == []

    screenshot = tmp_path / "mock-em-dashboard.png"
    assert browser.save_screenshot(str(screenshot))
    shutil.copyfile(screenshot, SCREENSHOT_COPY)
    print(f"\nscreenshot: {screenshot} (copied to {SCREENSHOT_COPY})")
    print(f"page followed the clock {followed:.2f} s after the advance; test ran {time.monotonic() - started:.2f} s")


def test_hostile_tenant_name_stays_text(server: MockEmServer, control: MockEmClient, browser: webdriver.Chrome) -> None:
    """A tenant named like markup shows as its name, before and after the script swaps sections in,
    and nothing in it runs."""
    control.add_tenant(HOSTILE)
    open_dashboard(browser, server)
    control.advance("1h")  # a change the next poll swaps in through the script
    WebDriverWait(browser, WAIT).until(lambda d: d.find_element(By.ID, "now").text == "2026-01-05 13:00:00")
    headings = [h.text for h in browser.find_elements(By.CSS_SELECTOR, "#tenants article h3")]
    assert HOSTILE in headings
    assert browser.execute_script("return window.pwned") is None
    assert not browser.find_elements(By.CSS_SELECTOR, "#tenants img, #tenants script")
    with pytest.raises(NoAlertPresentException):
        browser.switch_to.alert.text  # noqa: B018 - reading it is what raises when there is none
    assert console_errors(browser) == []


# -- the jobs and the repositories ---------------------------------------------------------------

RUNS_AT = "2026-01-05T17:03:00Z"  # the seed sample's DB Backup runs daily at 17:00 UTC: it is running


def seed_with_edits(**edits: list[dict[str, str]]) -> dict[str, Any]:
    """The seed sample, its jobs given run edits by name (`DB_Backup=[…]`)."""
    fixture = json.loads(SEED_FIXTURE.read_text())
    for job in fixture["Jobs"]:
        job["RunEdits"] = edits.get(job["Name"].replace(" ", "_"), [])
    return fixture


def sessions_of(control: MockEmClient, token: str, job_name: str) -> list[dict[str, Any]]:
    """A job's sessions as `/api/backupSessions` and `/api/replicaSessions` serve them, oldest first."""
    found = [
        *control.get_json("/backupSessions", token, format="Entity")["BackupJobSessions"],
        *control.get_json("/replicaSessions", token, format="Entity")["ReplicaJobSessions"],
    ]
    return sorted((s for s in found if s["JobName"] == job_name), key=lambda s: s["CreationTimeUTC"])


def job_row(browser: webdriver.Chrome, job: dict[str, Any]) -> WebElement:
    """A job's row of the jobs panel."""
    return browser.find_element(By.CSS_SELECTOR, f'#jobs tr[data-job="{job["UID"].rsplit(":", 1)[1]}"]')


def test_jobs_panel_shows_a_running_job_and_follows_it_to_its_end(
    server: MockEmServer, control: MockEmClient, browser: webdriver.Chrome, tmp_path: Path
) -> None:
    """The seed sample frozen at 17:03 while DB Backup runs (its run of yesterday forced to fail,
    then retried; SQL Replication to DR's forced to warn): the page shows DB Backup's progress bar
    at the session's `Progress`, the warning and the failure in their colours, the repository's
    share used as `/api/repositories` gives it; minutes later (clock advanced over the control
    plane, five at a time until it has) the row shows the run ended, as the API does, without a
    reload."""
    control.load_world(
        seed_with_edits(
            DB_Backup=[{"Action": "Fail", "At": "2026-01-04T17:00:00Z"}],
            SQL_Replication_to_DR=[{"Action": "Warn", "At": "2026-01-04T18:00:00Z"}],
        )
    )
    control.set_clock(RUNS_AT)
    token = control.logon()
    backup, replica = control.get_json("/jobs", token, format="Entity")["Jobs"]
    assert (backup["Name"], replica["Name"]) == ("DB Backup", "SQL Replication to DR")
    (going,) = [s for s in sessions_of(control, token, "DB Backup") if s["State"] != "Stopped"]
    progress = going["Progress"]
    assert 0 < progress < 100

    open_dashboard(browser, server)
    row = job_row(browser, backup)
    assert row.get_attribute("data-running") == "true"
    bar = row.find_element(By.CSS_SELECTOR, "[role=progressbar]")
    assert bar.get_attribute("aria-valuenow") == str(progress)
    assert row.find_element(By.CSS_SELECTOR, ".pct").text == f"{progress}%"
    done = bar.find_element(By.CSS_SELECTOR, "rect.done")
    track = bar.find_element(By.CSS_SELECTOR, "rect.track")
    share = done.rect["width"] / track.rect["width"]
    assert abs(share - progress / 100) < 0.02, share  # the bar is drawn as long as the percent says

    failed = row.find_elements(By.CSS_SELECTOR, "rect.ses.r-failed")
    retries = row.find_elements(By.CSS_SELECTOR, "rect.ses.retry")
    runs = sessions_of(control, token, "DB Backup")
    assert len(failed) == sum(s["Result"] == "Failed" for s in runs) >= 1  # the forced failure, at least
    assert len(retries) == sum(s["IsRetry"] for s in runs) >= 1
    success = row.find_element(By.CSS_SELECTOR, "rect.ses.r-success:not(.retry)")
    assert failed[0].value_of_css_property("fill") != success.value_of_css_property("fill")
    last_replica = [s for s in sessions_of(control, token, replica["Name"]) if s["EndTimeUTC"]][-1]
    assert last_replica["Result"] == "Warning"
    result = job_row(browser, replica).find_element(By.CSS_SELECTOR, ".last .result")
    assert result.text == "Warning" and result.get_attribute("class") == "result r-warning"
    assert "Processing sqlsrv03 Error: " in result.get_attribute("title")
    ok = row.find_element(By.CSS_SELECTOR, ".last .result")
    assert [s for s in runs if s["EndTimeUTC"]][-1]["Result"] == "Success"  # the retry of the forced failure
    assert ok.get_attribute("class") == "result r-success"
    assert result.value_of_css_property("color") != ok.value_of_css_property("color")

    repositories = control.get_json("/repositories", token, format="Entity")["Repositories"]
    assert repositories
    for repository in repositories:
        capacity, free = repository["Capacity"], repository["FreeSpace"]
        own_id = repository["UID"].rsplit(":", 1)[1]
        line = browser.find_element(By.CSS_SELECTOR, f'#repositories tr[data-repository="{own_id}"]')
        assert repository["Name"] in line.text
        assert line.find_element(By.CSS_SELECTOR, ".pct").text == f"{round(100 * (capacity - free) / capacity, 1):.1f}%"
    browser.execute_script("window.sameDocument = true")

    minutes, ended = 0, going
    while ended["State"] != "Stopped" and minutes < 60:  # a run of one VM lasts minutes: five at a time
        control.advance("5m")
        minutes += 5
        (ended,) = [s for s in sessions_of(control, token, "DB Backup") if s["Name"] == going["Name"]]
    assert ended["State"] == "Stopped" and ended["EndTimeUTC"] is not None
    WebDriverWait(browser, WAIT).until(lambda d: job_row(d, backup).get_attribute("data-running") == "false")
    row = job_row(browser, backup)
    assert browser.execute_script("return window.sameDocument") is True, "the page reloaded"
    assert not row.find_elements(By.CSS_SELECTOR, "[role=progressbar]")
    assert row.find_element(By.CSS_SELECTOR, ".run").text == "idle"
    last = row.find_element(By.CSS_SELECTOR, ".last")
    assert last.find_element(By.CSS_SELECTOR, ".result").text == ended["Result"]
    assert f"ended {ended['EndTimeUTC'].replace('T', ' ').removesuffix('Z')}" in last.text
    assert browser.find_element(By.ID, "now").text == f"2026-01-05 17:{3 + minutes:02d}:00"
    assert console_errors(browser) == []

    screenshot = tmp_path / "mock-em-dashboard-jobs.png"
    assert browser.save_screenshot(str(screenshot))
    print(f"\nscreenshot: {screenshot}")


def test_hostile_job_and_repository_names_stay_text(
    server: MockEmServer, control: MockEmClient, browser: webdriver.Chrome
) -> None:
    """A job, its VM and a repository named like markup show as their names, before and after the
    script swaps the sections in, and nothing in them runs."""
    fixture = seed_with_edits(DB_Backup=[{"Action": "Fail", "At": "2026-01-05T11:00:00Z"}])
    job = fixture["Jobs"][0]
    job["Name"], job["Vms"][0]["DisplayName"] = f"job{HOSTILE}", f"vm{HOSTILE}"
    job["Schedule"]["Hour"] = 11
    fixture["Repositories"][0]["Name"] = f"repo{HOSTILE}"
    control.load_world(fixture)
    open_dashboard(browser, server)
    control.advance("1h")  # the failed run of 11:00 is on the timeline; the sections are swapped in
    WebDriverWait(browser, WAIT).until(lambda d: d.find_element(By.ID, "now").text == "2026-01-05 13:00:00")
    names = [e.text for e in browser.find_elements(By.CSS_SELECTOR, "#jobs .job-name")]
    assert f"job{HOSTILE}" in names
    assert f"repo{HOSTILE}" in [e.text for e in browser.find_elements(By.CSS_SELECTOR, "#repositories .repo-name")]
    titles = browser.execute_script(
        "return [...document.querySelectorAll('#jobs rect.ses.r-failed title')].map(t => t.textContent)"
    )
    assert any(f"Processing vm{HOSTILE} Error: " in t for t in titles), titles
    assert browser.execute_script("return window.pwned") is None
    assert not browser.find_elements(By.CSS_SELECTOR, "#jobs img, #repositories img, #jobs script")
    assert console_errors(browser) == []
