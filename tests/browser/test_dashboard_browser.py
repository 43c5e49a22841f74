"""The dashboard in a real headless browser: Debian's chromium driven by selenium through Debian's
chromedriver (never a downloaded one), against mock-em under uvicorn in a thread.

The server has a control token, so the page is opened as `/mock/dashboard?token=…` and its script
must pass the token on to every poll. Install the browser with
`apt-get install chromium chromium-driver`; without it these tests skip and say so.
"""

from __future__ import annotations

import shutil
import time
from collections.abc import Iterator
from pathlib import Path

import httpx
import pytest
from selenium import webdriver
from selenium.common.exceptions import NoAlertPresentException
from selenium.webdriver.chrome.options import Options
from selenium.webdriver.chrome.service import Service
from selenium.webdriver.common.by import By
from selenium.webdriver.support.ui import WebDriverWait

from mock_em.testing import MockEmClient, MockEmServer

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
