"""The dashboard over the control plane, in process: the page, its data, the living world, escaping,
the caps for big worlds and the control token. (tests/browser drives the page in a real browser.)"""

from __future__ import annotations

import time
import warnings
from collections.abc import Iterator
from html import escape
from typing import Any

import pytest
from conftest import BASE, SEED_FIXTURE, START
from lxml import html as lxml_html

with warnings.catch_warnings():
    warnings.simplefilter("ignore")
    from starlette.testclient import TestClient

from mock_em.app import create_app
from mock_em.control import dashboard_data
from mock_em.model.clock import Clock
from mock_em.server import build_em
from mock_em.settings import Settings

ADMIN = ("Administrator", "P@ssw0rd")
TOKEN = "dash-s3cret"
HOSTILE = "<script>alert(1)</script>"


def make_client(settings: Settings | None = None, clock: Clock | None = None) -> TestClient:
    """An in-process app over the EM these settings describe (a frozen clock at START unless given)."""
    settings = settings or Settings()
    if clock is None and not settings.demo:
        clock = Clock(START, frozen=True)
    return TestClient(create_app(build_em(settings, clock), settings), base_url=BASE)


@pytest.fixture
def client() -> Iterator[TestClient]:
    """The default generated world (4 tenants), clock frozen at START."""
    with make_client() as c:
        yield c


def data(client: TestClient, **headers: str) -> dict[str, Any]:
    """`GET /mock/dashboard/data`, asserted 200."""
    response = client.get("/mock/dashboard/data", headers=headers)
    assert response.status_code == 200, response.text
    return response.json()


def page(client: TestClient, url: str = "/mock/dashboard") -> str:
    """The page's HTML, asserted 200 text/html."""
    response = client.get(url)
    assert response.status_code == 200, response.text
    assert response.headers["content-type"] == "text/html; charset=utf-8"
    return response.text


def point_names(d: dict[str, Any]) -> set[str]:
    """Every restore point the data draws."""
    return {p["name"] for t in d["tenants"]["items"] for r in t["replicas"] for vm in r["vms"] for p in vm["points"]}


def vm_rows(d: dict[str, Any]) -> list[dict[str, Any]]:
    """Every VM row of the data."""
    return [vm for t in d["tenants"]["items"] for r in t["replicas"] for vm in r["vms"]]


# -- the page --------------------------------------------------------------------------------


def test_page_shows_every_tenant_with_its_jobs(client: TestClient) -> None:
    """200 text/html; each seeded tenant is a heading, its jobs and VMs are there, nothing is fetched
    from elsewhere, and a content security policy allows only the page's own style and script."""
    text = page(client)
    world = client.get("/mock/world").json()
    names = [t["Name"] for t in world["CloudTenants"]]
    assert len(names) == 4
    for name in names:
        assert escape(name) in text
    doc = lxml_html.fromstring(text)
    assert doc.xpath("//article[@class='tenant']/h3/text()") == names
    assert doc.get("lang") == "en" and doc.findtext(".//title") == "mock-em dashboard"
    assert {r["Name"] for r in world["CloudReplicas"]} == set(doc.xpath("//div[@class='replica']/h4/text()"))
    assert len(doc.xpath("//table[@class='vms']/tbody/tr")) == 24
    assert len(doc.xpath("//circle[@data-time]")) == len(world["CloudVmReplicaPoints"]) == 168
    links = doc.xpath(
        "//@src | //@href | //@action | //@xlink:href", namespaces={"xlink": "http://www.w3.org/1999/xlink"}
    )
    assert links and all(link.startswith(("#", "data:")) for link in links), links
    assert "@import" not in text and "url(" not in text
    csp = client.get("/mock/dashboard").headers["content-security-policy"]
    assert "default-src 'none'" in csp and "script-src 'sha256-" in csp and "connect-src 'self'" in csp


def test_page_links_its_data_and_marks_the_newest_point(client: TestClient) -> None:
    """The body names what the script polls and carries the newest point and the point count."""
    doc = lxml_html.fromstring(page(client))
    body = doc.find("body")
    d = data(client)
    assert body.get("data-src") == "/mock/dashboard/data?html=1"
    assert body.get("data-interval") == "2000"
    assert body.get("data-newest-point") == d["newestPoint"]
    assert body.get("data-point-count") == "168"
    assert doc.get_element_by_id("now").text == "2026-01-05 12:00:00"


def test_mock_root_redirects_to_the_dashboard(client: TestClient) -> None:
    """`/mock/` (and `/mock`) lead to the page, keeping the query so a `?token=` survives."""
    for url in ("/mock/", "/mock", "/mock/?token=abc"):
        response = client.get(url, follow_redirects=False)
        assert response.status_code == 307
        assert response.headers["location"] == "/mock/dashboard" + ("?token=abc" if "token" in url else "")
    assert "mock-em dashboard" in client.get("/mock/").text


def test_each_tenant_shows_its_backup_quota_use(client: TestClient) -> None:
    """Each tenant's line says how much of its backup quota it uses, summed over its resources as a
    billing report sums them, and marks a tenant filled past its quota."""
    world = client.get("/mock/world").json()
    resources = world["CloudTenantResources"]
    first = resources[0]
    assert client.post(f"/mock/billing/resources/{first['Id']}/fill", json={"Percent": 130}).status_code == 200
    world = client.get("/mock/world").json()
    doc = lxml_html.fromstring(page(client))
    for tenant in world["CloudTenants"]:
        own = [r for r in world["CloudTenantResources"] if r["TenantId"] == tenant["Id"]]
        (article,) = doc.xpath("//article[h3/text()=$name]", name=tenant["Name"])
        shown = " ".join(article.xpath(".//span[@class='quota']//text()"))
        if not own:
            assert shown == "no backup quota"
            continue
        quota, used = sum(r["Quota"] for r in own), sum(r["UsedQuota"] for r in own)
        assert shown.startswith(
            f"{used / 1024:,.1f} of {quota / 1024:,.1f} GB backup quota ({round(100 * used / quota)}%)"
        )
        assert ("over quota" in shown) == (used > quota), tenant["Name"]
    assert any("over quota" in t for t in doc.xpath("//span[@class='quota']//text()"))


# -- the data ---------------------------------------------------------------------------------


def test_data_shape(client: TestClient) -> None:
    """Header, clock, world counts, tenants with jobs, VMs and points, requests and sessions."""
    token = client.post("/api/sessionMngr/?v=latest", auth=ADMIN).headers["X-RestSvcSessionId"]
    client.cookies.clear()
    assert client.get("/api/cloud/tenants", headers={"X-RestSvcSessionId": token}).status_code == 200
    d = data(client)
    assert {"name", "version", "release", "seed", "demo", "clock", "world", "newestPoint", "timeline"} <= set(d)
    assert (d["name"], d["release"], d["seed"], d["demo"]) == ("mock-em", "9.5u4", 1, False)
    assert d["clock"] | {"worldTime": None} == {
        "now": "2026-01-05T12:00:00Z",
        "virtual": True,
        "frozen": True,
        "rate": 1.0,
        "worldTime": None,
        "label": "virtual, frozen",
    }
    assert {k: d["world"][k] for k in ("tenants", "replicas", "vms", "points", "notReady")} == {
        "tenants": 4,
        "replicas": 8,
        "vms": 24,
        "points": 168,
        "notReady": 0,
    }
    timeline = d["timeline"]
    assert (timeline["start"], timeline["end"], timeline["stale"]) == (
        "2025-12-28T13:00:00Z",
        "2026-01-05T13:00:00Z",
        False,
    )
    assert 0 < timeline["now"] < 100 and [t["label"] for t in timeline["ticks"]][:2] == ["Dec 29", "Dec 30"]

    assert d["tenants"]["total"] == 4 and d["tenants"]["more"] == 0
    tenant = d["tenants"]["items"][0]
    assert set(tenant) == {
        "id",
        "name",
        "enabled",
        "backupServer",
        "quotaMb",
        "usedQuotaMb",
        "replicasTotal",
        "replicasMore",
        "replicas",
    }
    replica = tenant["replicas"][0]
    assert set(replica) == {"id", "name", "platform", "retention", "vmsTotal", "vmsMore", "rowsCapped", "vms"}
    assert (replica["retention"], replica["vmsTotal"], replica["vmsMore"]) == (7, 3, 0)
    vm = replica["vms"][0]
    assert set(vm) == {"name", "pointCount", "notReady", "newest", "points", "pointsMore"}
    assert vm["pointCount"] == len(vm["points"]) == 7
    times = [p["time"] for p in vm["points"]]
    assert times == sorted(times) and vm["newest"] == times[-1]
    for point in vm["points"]:
        assert set(point) == {"name", "time", "state", "type", "x"}
        assert point["name"].startswith(f"{vm['name']}@") and point["state"] == "Ready"
        assert 0 <= point["x"] <= 100
    xs = [p["x"] for p in vm["points"]]
    assert xs == sorted(xs) and xs[0] < xs[-1]

    world = client.get("/mock/world").json()
    assert d["newestPoint"] == max(p["CreationTimeUTC"] for p in world["CloudVmReplicaPoints"])

    (session,) = d["sessions"]["items"]
    assert session["userName"] == "EM01\\Administrator" and session["role"] == "PortalAdministrator"
    assert session["lastUsed"] == "2026-01-05T12:00:00Z" and session["idle"] == "0 s" and "token" not in session
    assert d["requests"]["kept"] == 2
    latest, logon = d["requests"]["items"]
    assert (latest["method"], latest["path"], latest["status"]) == ("GET", "/api/cloud/tenants", 200)
    assert latest["userName"] == "EM01\\Administrator" and latest["latencyMs"] >= 0
    assert (logon["method"], logon["path"], logon["status"]) == ("POST", "/api/sessionMngr/?v=latest", 201)


def test_polled_data_carries_the_rendered_sections(client: TestClient) -> None:
    """`?html=1` answers the page's sections (and the header values), not the item lists."""
    response = client.get("/mock/dashboard/data?html=1")
    polled = response.json()
    assert set(polled) == {"clock", "world", "newestPoint", "html"}
    assert set(polled["html"]) == {"summary", "jobs", "tenants", "repositories", "sessions", "requests"}
    text = page(client)
    assert all(section in text for section in polled["html"].values())
    assert response.headers["cache-control"] == "no-store"


def test_a_new_point_appears_after_advancing_the_clock(client: TestClient) -> None:
    """A frozen clock moved a day: the nightly runs leave points, the data and the page show them."""
    before = data(client)
    changes = client.post("/mock/clock/advance", json={"by": "1d"}).json()
    assert changes["pointsAdded"] > 0
    after = data(client)
    assert after["clock"]["now"] == "2026-01-06T12:00:00Z"
    assert after["newestPoint"] > before["newestPoint"]
    new = point_names(after) - point_names(before)
    assert new and all(name.split("@")[1] > before["newestPoint"].replace("T", " ") for name in new)
    text = page(client)
    assert all(escape(name) in text for name in new)
    assert f'data-newest-point="{after["newestPoint"]}"' in text


def test_demo_mode_world_lives_while_the_page_polls() -> None:
    """In demo mode the clock runs: polling alone catches the world up, new points appear."""
    settings = Settings(demo=True, clock_rate=1_000_000, clock="2026-01-05T12:00:00Z", unusual_state_rate=0)
    with make_client(settings) as client:
        first = data(client)
        assert first["demo"] is True and first["clock"]["frozen"] is False
        assert first["clock"]["label"] == "virtual, running at 1,000,000×"
        deadline = time.monotonic() + 10
        while (later := data(client))["newestPoint"] == first["newestPoint"]:
            assert time.monotonic() < deadline, "no new point within 10 s at a million virtual seconds per second"
            time.sleep(0.05)
        assert later["clock"]["now"] > first["clock"]["now"]
        assert point_names(later) - point_names(first)
        assert 'class="badge">demo<' in page(client)


def test_other_states_are_drawn_differently(client: TestClient) -> None:
    """A point in another state than Ready is a hollow mark of its state, counted as not Ready."""
    world = client.get("/mock/world").json()
    point = world["CloudVmReplicaPoints"][0]
    assert client.patch(f"/mock/world/points/{point['Id']}", json={"State": "Failover"}).status_code == 200
    d = data(client)
    assert d["world"]["notReady"] == 1
    (row,) = [vm for vm in vm_rows(d) if vm["notReady"]]
    assert [p["state"] for p in row["points"] if p["time"] == point["CreationTimeUTC"]] == ["Failover"]
    doc = lxml_html.fromstring(page(client))
    (mark,) = doc.xpath("//circle[@data-state='Failover']")
    assert mark.get("class") == "pt odd st-failover" and mark.get("data-time") == point["CreationTimeUTC"]
    assert mark.findtext("title").endswith("· Failover · Snapshot")
    assert len(doc.xpath("//circle[@class='pt ready']")) == 167 + 1  # the legend has one of each
    assert "1 not Ready" in doc.text_content()


def test_a_fixture_from_the_past_is_drawn_around_its_points() -> None:
    """The seed page's points (2015) under a 2026 clock: the window follows the points, not now."""
    with make_client(Settings(fixture=str(SEED_FIXTURE))) as client:
        d = data(client)
        assert d["timeline"]["stale"] is True and d["timeline"]["now"] is None
        assert d["timeline"]["start"] < d["newestPoint"] < d["timeline"]["end"] < "2016"
        xs = [p["x"] for vm in vm_rows(d) for p in vm["points"]]
        assert len(xs) == 6 and max(xs) > 50 and any(x > 0 for x in xs)
        assert "older than that before now" in page(client)


# -- escaping ---------------------------------------------------------------------------------


def test_hostile_names_are_escaped(client: TestClient) -> None:
    """Names from fixtures and edits reach the page as text, never as markup, in text and attributes."""
    tenant = client.post("/mock/world/tenants", json={"Name": HOSTILE}).json()
    quoted = '"><img src=x onerror=alert(2)>'
    replica = client.post(
        "/mock/world/replicas",
        json={"Name": f"{quoted} & <b>job</b>", "TenantId": tenant["Id"], "Vms": [f"vm{quoted}"]},
    ).json()
    client.post("/mock/world/points", json={"ReplicaId": replica["Id"], "VmName": f"vm{quoted}"})
    for text in (page(client), *client.get("/mock/dashboard/data?html=1").json()["html"].values()):
        assert "<script>alert" not in text and "<img" not in text and "<b>job" not in text
    text = page(client)
    assert escape(HOSTILE) in text and "&lt;script&gt;alert(1)&lt;/script&gt;" in text
    doc = lxml_html.fromstring(text)
    assert HOSTILE in doc.xpath("//article[@class='tenant']/h3/text()")
    assert f"{quoted} & <b>job</b>" in doc.xpath("//div[@class='replica']/h4/text()")
    (mark,) = doc.xpath("//circle[starts-with(title, 'vm\"')]")
    assert mark.findtext("title").startswith(f"vm{quoted}@")
    assert [s for s in doc.xpath("//svg/@aria-label") if s.startswith("vm")] == [
        f"vm{quoted}: 1 restore point, newest 2026-01-05 12:00:00"
    ]
    assert len(doc.xpath("//script")) == 1  # the page's own
    assert data(client)["tenants"]["items"][-1]["name"] == HOSTILE  # JSON carries the name as it is


# -- caps ---------------------------------------------------------------------------------------


def test_caps_keep_a_big_world_small(client: TestClient) -> None:
    """At most 50 tenants, 10 jobs per tenant, 20 VMs per job and 200 VM rows, each with "and N more"."""
    body = {"tenants": 55, "replicasPerTenant": 11, "vmsPerReplica": 21, "pointsPerVm": 1}
    assert client.post("/mock/world/regenerate", json=body).status_code == 200
    started = time.perf_counter()
    d = data(client)
    text = client.get("/mock/dashboard", headers={"Accept-Encoding": "gzip"})
    elapsed = time.perf_counter() - started
    assert d["world"]["vms"] == 55 * 11 * 21
    assert (d["tenants"]["total"], len(d["tenants"]["items"]), d["tenants"]["more"]) == (55, 50, 5)
    first = d["tenants"]["items"][0]
    assert (first["replicasTotal"], len(first["replicas"]), first["replicasMore"]) == (11, 10, 1)
    job = first["replicas"][0]
    assert (job["vmsTotal"], len(job["vms"]), job["vmsMore"], job["rowsCapped"]) == (21, 20, 1, False)
    rows = vm_rows(d)
    assert len(rows) == dashboard_data.MAX_ROWS == 200
    capped = [r for t in d["tenants"]["items"] for r in t["replicas"] if r["rowsCapped"]]
    assert capped and capped[-1]["vms"] == [] and capped[-1]["vmsMore"] == 21
    assert text.headers["content-encoding"] == "gzip"
    doc = lxml_html.fromstring(text.text)
    assert len(doc.xpath("//article[@class='tenant']")) == 50
    assert len(doc.xpath("//table[@class='vms']/tbody/tr")) == 200
    more = [p.text_content() for p in doc.xpath("//p[@class='more']")]
    assert "and 5 more tenants" in more and "and 1 more replication job" in more and "and 1 more VM" in more
    assert "and 21 more VMs (the page draws at most 200 VM rows)" in more
    assert len(text.text) < 1_000_000 and elapsed < 10


def test_marks_sessions_and_requests_are_capped(client: TestClient) -> None:
    """The newest 40 points per VM, the newest 25 requests, the 50 most recent sessions."""
    body = {"tenants": 1, "replicasPerTenant": 1, "vmsPerReplica": 1, "pointsPerVm": 45}
    assert client.post("/mock/world/regenerate", json=body).status_code == 200
    for _ in range(52):
        assert client.post("/api/sessionMngr/?v=latest", auth=ADMIN).status_code == 201
    d = data(client)
    (vm,) = vm_rows(d)
    assert (vm["pointCount"], len(vm["points"]), vm["pointsMore"]) == (45, 40, 5)
    assert vm["points"][-1]["time"] == vm["newest"]
    assert (d["sessions"]["total"], len(d["sessions"]["items"]), d["sessions"]["more"]) == (52, 50, 2)
    assert (d["requests"]["kept"], len(d["requests"]["items"])) == (52, 25)
    assert d["requests"]["items"][0]["sequence"] == 52
    assert "and 2 more sessions" in page(client)


# -- the control token ----------------------------------------------------------------------------


def test_the_control_token_guards_page_and_data() -> None:
    """The page takes the token as `?token=` or a header; the data only in a header, like every
    guarded route. Without it neither shows anything of the world."""
    with make_client(Settings(control_token=TOKEN)) as client:
        name = client.get("/mock/world", headers={"X-Mock-Token": TOKEN}).json()["CloudTenants"][0]["Name"]
        for url, headers in (
            ("/mock/dashboard", {}),
            ("/mock/dashboard?token=wrong", {}),
            ("/mock/dashboard", {"X-Mock-Token": "wrong"}),
        ):
            response = client.get(url, headers=headers)
            assert response.status_code == 401 and response.headers["content-type"].startswith("text/html")
            assert "?token=" in response.text and escape(name) not in response.text
        for url, headers in (
            (f"/mock/dashboard?token={TOKEN}", {}),
            ("/mock/dashboard", {"X-Mock-Token": TOKEN}),
            ("/mock/dashboard", {"Authorization": f"Bearer {TOKEN}"}),
        ):
            response = client.get(url, headers=headers)
            assert response.status_code == 200 and escape(name) in response.text
        for url, headers in (
            ("/mock/dashboard/data", {}),
            (f"/mock/dashboard/data?token={TOKEN}", {}),
            ("/mock/dashboard/data?html=1", {"X-Mock-Token": "wrong"}),
        ):
            response = client.get(url, headers=headers)
            assert response.status_code == 401 and response.json()["StatusCode"] == 401
            assert name not in response.text
        assert data(client, **{"X-Mock-Token": TOKEN})["tenants"]["total"] == 4
        assert (
            client.get("/mock/dashboard/data?html=1", headers={"Authorization": f"Bearer {TOKEN}"}).status_code == 200
        )
        redirect = client.get(f"/mock/?token={TOKEN}", follow_redirects=False)
        assert redirect.headers["location"] == f"/mock/dashboard?token={TOKEN}"
