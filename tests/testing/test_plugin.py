"""The plugin as a user's project meets it: a test file and no conftest, run by pytest in a
subprocess, with the fixtures coming only from the `pytest11` entry point of the installed package.

Each subprocess run costs about two seconds, so each run exercises several things at once.
"""

from __future__ import annotations

import json

import pytest

from mock_em.testing import MockEmServer

pytest_plugins = ["pytester"]

# Plugins the inner runs do not need: hypothesis alone takes about a second to import.
QUICK = ("-p", "no:cacheprovider", "-p", "no:hypothesispytest")

USER_TESTS = """
from xml.etree import ElementTree

import httpx
import pytest

from mock_em.testing import MockEmClient, MockEmError, assert_all_sessions_logged_off

JSON = {"Accept": "application/json"}


def test_fixtures(mock_em, mock_em_server, mock_em_url, mock_em_api_url, mock_em_admin, mock_em_session):
    assert not mock_em_server.external
    assert mock_em_url == mock_em_server.url and mock_em_url.startswith("http://127.0.0.1:")
    assert mock_em_api_url == mock_em_url + "/api"
    assert mock_em_admin == ("Administrator", "P@ssw0rd")
    tenants = httpx.get(mock_em_api_url + "/cloud/tenants", headers={**JSON, "X-RestSvcSessionId": mock_em_session})
    assert tenants.status_code == 200 and len(tenants.json()["Refs"]) == 4
    assert_all_sessions_logged_off(mock_em)
    mock_em.add_tenant("Leaky Co")
    mock_em.logon()


def test_isolated(mock_em):
    assert mock_em.about()["world"]["tenants"] == 4
    assert mock_em.sessions() == []


@pytest.mark.mock_em(seed=7, tenants=2, points_per_vm=3)
def test_marker_world(mock_em, mock_em_server):
    about = mock_em.about()
    assert about["seed"] == 7 and about["world"]["tenants"] == 2
    assert mock_em.base_url == mock_em_server.url


@pytest.mark.mock_em(user=["alice:Secret-1"], release="12")
def test_marker_dedicated(mock_em, mock_em_server, mock_em_url, mock_em_admin):
    assert mock_em_url != mock_em_server.url
    assert mock_em_admin == ("alice", "Secret-1")
    assert mock_em.about()["release"] == "12"
    with pytest.raises(MockEmError):
        mock_em.logon("Administrator", "P@ssw0rd")


def supported_versions(answer):
    root = ElementTree.fromstring(answer.content)
    return [v.get("Name") for v in root.iter("{http://www.veeam.com/ent/v1.0}SupportedVersion")]


@pytest.mark.mock_em(release="13")
def test_marker_release(mock_em, mock_em_server, mock_em_api_url, mock_em_admin, mock_em_asgi_client):
    assert mock_em.base_url != mock_em_server.url
    assert supported_versions(httpx.get(mock_em_api_url + "/")) == ["v1_5", "v1_6", "v1_7"]
    assert supported_versions(mock_em_asgi_client.get("/api/")) == ["v1_5", "v1_6", "v1_7"]
    assert mock_em.about()["profile"]["name"] == "13"
    assert httpx.post(mock_em_api_url + "/sessionMngr/?v=v1_4", auth=mock_em_admin).status_code == 400
    mock_em.logon()


def test_unmarked_release(mock_em, mock_em_api_url, mock_em_asgi_client):
    assert supported_versions(httpx.get(mock_em_api_url + "/")) == ["v1", "v1_1", "v1_2", "v1_3", "v1_4"]
    assert supported_versions(mock_em_asgi_client.get("/api/")) == ["v1", "v1_1", "v1_2", "v1_3", "v1_4"]
    assert mock_em.about()["profile"]["name"] == "9.5u4"


def test_sessions_random_by_default(mock_em, mock_em_server, mock_em_asgi_control):
    assert mock_em.about()["deterministicSessions"] is False
    assert mock_em_asgi_control.about()["deterministicSessions"] is False
    assert mock_em.logon() != mock_em_asgi_control.logon()


@pytest.mark.mock_em(deterministic_sessions=True)
def test_marker_deterministic_sessions(mock_em, mock_em_server, mock_em_url, mock_em_asgi_control):
    assert mock_em_url != mock_em_server.url
    assert mock_em.about()["deterministicSessions"] is True
    assert mock_em_asgi_control.about()["deterministicSessions"] is True
    assert mock_em.logon() == mock_em_asgi_control.logon()  # seed 1's first session in both


@pytest.mark.mock_em(tenants=1)
def test_asgi_sync(mock_em_asgi_client, mock_em_asgi_control):
    token = mock_em_asgi_control.logon()
    answer = mock_em_asgi_client.get("/api/cloud/tenants", headers={**JSON, "X-RestSvcSessionId": token})
    assert len(answer.json()["Refs"]) == 1


@pytest.fixture
def anyio_backend():
    return "asyncio"  # one run, even where trio is installed too


@pytest.mark.anyio
async def test_asgi_async(mock_em_asgi):
    answer = await mock_em_asgi.get("/api/")
    assert answer.status_code == 200 and b"EnterpriseManager" in answer.content
"""


def test_in_thread_server_marker_and_asgi(pytester: pytest.Pytester) -> None:
    pytester.makepyfile(test_user=USER_TESTS)
    result = pytester.runpytest_subprocess(*QUICK, "--strict-markers")
    result.assert_outcomes(passed=10)


def test_against_an_external_server(pytester: pytest.Pytester) -> None:
    """`--mock-em-url` (say, a container): the same fixtures, no thread, and reset still works."""
    with MockEmServer(tenants=1) as external, external.client() as client:
        pytester.makepyfile(
            test_external=f"""
            def test_one(mock_em, mock_em_server, mock_em_url):
                assert mock_em_server.external and mock_em_url == {external.url!r}
                mock_em.regenerate(tenants=3)

            def test_two(mock_em, mock_em_session):
                assert mock_em.about()["world"]["tenants"] == 1
            """
        )
        result = pytester.runpytest_subprocess(*QUICK, "--mock-em-url", external.url)
        result.assert_outcomes(passed=2)
        assert client.sessions() == []  # the session fixture logged off
        assert client.journal_count(method="DELETE", path="/api/logonSessions/*") == 1


def test_one_server_per_xdist_worker(pytester: pytest.Pytester) -> None:
    pytest.importorskip("xdist")
    out = pytester.path / "urls"
    out.mkdir()
    pytester.makepyfile(
        test_workers=f"""
        import os, pathlib, pytest

        @pytest.mark.parametrize("i", range(6))
        def test_record(i, mock_em_url):
            worker = os.environ["PYTEST_XDIST_WORKER"]
            pathlib.Path({str(out)!r}, f"{{worker}}-{{i}}").write_text(mock_em_url)
        """
    )
    result = pytester.runpytest_subprocess(*QUICK, "-n", "2")
    result.assert_outcomes(passed=6)
    by_worker: dict[str, set[str]] = {}
    for path in out.iterdir():
        by_worker.setdefault(path.name.split("-")[0], set()).add(path.read_text())
    assert len(by_worker) == 2, json.dumps({k: sorted(v) for k, v in by_worker.items()})
    urls = [next(iter(v)) for v in by_worker.values()]
    assert all(len(v) == 1 for v in by_worker.values())  # one server per worker ...
    assert urls[0] != urls[1]  # ... each on its own port
