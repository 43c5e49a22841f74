"""The plugin's fixtures used directly in this suite (the `pytest11` entry point loads them here
too): reset between tests, the marker on the shared server, the session fixture's logoff, and the
in-process clients. test_plugin.py runs the same things the way a user's project does."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path
from types import SimpleNamespace

import httpx
import pytest

from mock_em.testing import MockEmClient, MockEmServer, assert_all_sessions_logged_off
from mock_em.testing.plugin import CONTROL_KNOBS, SERVER_KNOBS, external_url, marker_settings

JSON = {"Accept": "application/json"}
SEED_SAMPLE = Path(__file__).resolve().parents[2] / "fixtures" / "seed-sample.json"


def test_shared_server_and_urls(
    mock_em: MockEmClient, mock_em_server: MockEmServer, mock_em_url: str, mock_em_api_url: str
) -> None:
    assert mock_em_url == mock_em_server.url == mock_em.base_url
    assert mock_em_api_url == f"{mock_em_url}/api"
    assert httpx.get(f"{mock_em_api_url}/", headers=JSON).status_code == 200
    mock_em.add_tenant("Left Behind Co")
    mock_em.save_snapshot("left-behind")
    mock_em.add_fault("/api/cloud", status=500)


def test_each_test_starts_afresh(mock_em: MockEmClient) -> None:
    """Whatever the test before changed (tenant, snapshot, fault) is gone."""
    assert "Left Behind Co" not in {t["Name"] for t in mock_em.world()["CloudTenants"]}
    assert mock_em.snapshots() == [] and mock_em.faults() == [] and mock_em.journal() == []


@pytest.mark.mock_em(seed=7, tenants=2, replicas_per_tenant=1, vms_per_replica=1, points_per_vm=3)
def test_marker_regenerates_the_shared_world(mock_em: MockEmClient, mock_em_server: MockEmServer) -> None:
    assert mock_em.base_url == mock_em_server.url  # no dedicated server for world knobs
    about = mock_em.about()
    assert about["seed"] == 7
    assert about["world"]["tenants"] == 2 and about["world"]["points"] == 6


@pytest.mark.mock_em(clock="2026-01-05T12:00:00Z", tenants=1)
def test_marker_clock_freezes_and_regenerates(mock_em: MockEmClient) -> None:
    state = mock_em.clock()
    assert state["now"] == "2026-01-05T12:00:00Z" and state["frozen"]
    newest = max(p["CreationTimeUTC"] for p in mock_em.world()["CloudVmReplicaPoints"])
    assert newest <= "2026-01-05T12:00:00Z"  # the world was generated at the marker's time


@pytest.mark.mock_em(fixture=SEED_SAMPLE)
def test_marker_fixture_loads_a_world_file(mock_em: MockEmClient, mock_em_server: MockEmServer) -> None:
    assert mock_em.base_url == mock_em_server.url
    assert mock_em.about()["world"]["points"] == 6  # the reference page's six points


@pytest.fixture
def logged_off_after(mock_em: MockEmClient) -> Iterator[None]:
    """Set up before `mock_em_session`, so its teardown runs after the session fixture's."""
    yield
    assert mock_em.sessions() == []


def test_session_fixture(logged_off_after: None, mock_em: MockEmClient, mock_em_session: str) -> None:
    assert mock_em.get_json("/cloud", mock_em_session)
    assert len(mock_em.sessions()) == 1
    assert_all_sessions_logged_off(mock_em)  # the fixture's own session is not the test's fault


def test_session_fixture_tolerates_an_expired_session(mock_em: MockEmClient, mock_em_session: str) -> None:
    mock_em.expire_sessions()


@pytest.mark.mock_em(user=["alice:Secret-1"], machine_name="EMX", tenants=1)
def test_marker_with_server_settings_gets_a_dedicated_server(
    mock_em: MockEmClient, mock_em_server: MockEmServer, mock_em_admin: tuple[str, str], mock_em_session: str
) -> None:
    assert mock_em.base_url != mock_em_server.url
    assert mock_em_admin == ("alice", "Secret-1")
    assert [s["userName"] for s in mock_em.sessions()] == ["EMX\\alice"]
    assert mock_em.about()["world"]["tenants"] == 1


@pytest.mark.mock_em(tenants=1, clock="2026-01-05T12:00:00Z")
def test_asgi_sync_client(mock_em_asgi_client: httpx.Client, mock_em_asgi_control: MockEmClient) -> None:
    token = mock_em_asgi_control.logon()
    refs = mock_em_asgi_client.get("/api/cloud/tenants", headers={**JSON, "X-RestSvcSessionId": token}).json()
    assert len(refs["Refs"]) == 1
    assert mock_em_asgi_control.clock()["now"] == "2026-01-05T12:00:00Z"


@pytest.mark.anyio
async def test_asgi_async_client(mock_em_asgi: httpx.AsyncClient) -> None:
    async with mock_em_asgi as client:
        logon = await client.post("/api/sessionMngr/?v=latest", auth=("Administrator", "P@ssw0rd"))
        assert logon.status_code == 201
        token = logon.headers["X-RestSvcSessionId"]
        client.cookies.clear()
        cloud = await client.get("/api/cloud", headers={"X-RestSvcSessionId": token})
        assert cloud.status_code == 200 and b"CloudConnectService" in cloud.content


# -- marker parsing -------------------------------------------------------------------------


def item(*markers: pytest.Mark) -> SimpleNamespace:
    """A stand-in for a test item carrying these markers, closest first."""
    return SimpleNamespace(nodeid="t.py::test", iter_markers=lambda name: iter(markers))


def test_knobs_are_split_between_control_plane_and_dedicated_server() -> None:
    assert {"seed", "tenants", "points_per_vm", "clock", "fixture"} <= CONTROL_KNOBS
    assert {"user", "release", "idle_timeout", "control_token", "journal_size"} <= SERVER_KNOBS
    assert not CONTROL_KNOBS & SERVER_KNOBS and "port" not in SERVER_KNOBS


def test_closest_marker_wins_and_user_becomes_a_tuple() -> None:
    near = pytest.mark.mock_em(seed=2, user="bob:pw").mark
    far = pytest.mark.mock_em(seed=1, tenants=3).mark
    assert marker_settings(item(near, far)) == {"seed": 2, "tenants": 3, "user": ("bob:pw",)}


@pytest.mark.parametrize(
    ("mark", "error"),
    [
        (pytest.mark.mock_em(tenant=3), "unknown mock_em setting(s) tenant"),
        (pytest.mark.mock_em(7), "keyword settings only"),
        (pytest.mark.mock_em(fixture="w.json", tenants=2), "excludes world-size"),
        (pytest.mark.mock_em(port=9399, tls=True), "port, tls=...) cannot be set per test"),
    ],
)
def test_marker_mistakes_are_usage_errors(mark: pytest.MarkDecorator, error: str) -> None:
    with pytest.raises(pytest.UsageError, match=error.replace("(", r"\(").replace(")", r"\)")):
        marker_settings(item(mark.mark))


def test_external_url_from_option_or_environment(monkeypatch: pytest.MonkeyPatch) -> None:
    config = SimpleNamespace(getoption=lambda name, default=None: None)
    monkeypatch.delenv("MOCK_EM_URL", raising=False)
    assert external_url(config) is None
    monkeypatch.setenv("MOCK_EM_URL", "http://em:9399")
    assert external_url(config) == "http://em:9399"
    config = SimpleNamespace(getoption=lambda name, default=None: "http://other:1")
    assert external_url(config) == "http://other:1"
