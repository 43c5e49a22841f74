"""The pytest plugin: mock-em fixtures in any project that installs mock-em, with no conftest.

Registered through the `pytest11` entry point. Shaped after pytest-httpserver: one server per
session (per worker under pytest-xdist, each on a free port) and a cheap control-plane reset
before every test, so tests are isolated without paying for a new server each time.

Fixtures (all prefixed, so they never clash with a project's own `client` fixtures):

* `mock_em_server` (session): the shared `MockEmServer`, in a thread or external (`--mock-em-url`).
* `mock_em` (function): a `MockEmClient` for the test's server, reset before the test.
* `mock_em_url`, `mock_em_api_url`: the base URL and `…/api` of the test's server.
* `mock_em_admin`: `(user, password)` of the server's administrator.
* `mock_em_session`: a logged-on session token, logged off after the test.
* `mock_em_asgi_app`, `mock_em_asgi` (httpx.AsyncClient), `mock_em_asgi_client` (sync TestClient),
  `mock_em_asgi_control` (MockEmClient over it): a fresh in-process app per test, no socket.

The marker `@pytest.mark.mock_em(**settings)` takes `Settings` field names. World knobs (`seed`,
`backup_servers`, `tenants`, `replicas_per_tenant`, `vms_per_replica`, `points_per_vm`), `clock`
(frozen there) and `fixture` are applied to the shared server through the control plane;
any other setting (`user`, `release`, `idle_timeout`, `machine_name`, `public_url`,
`control_token`, `journal_size`, `demo`, …) needs a new server, so the test gets a dedicated
in-thread one (even when the session's server is external). Listening settings (`host`, `port`,
`tls…`) are not per test. In-process apps (`mock_em_asgi…`) are built per test, so every setting
applies to them directly.

Session ids are random in the plugin's servers too, as in `mock-em serve` and a real EM: a test
that passes only because the mock handed out a predictable token would fail against production,
and a token from one test's server must not work on another's. Tests that compare tokens across
runs or apps ask for `@pytest.mark.mock_em(deterministic_sessions=True)` (or set
`MOCK_EM_DETERMINISTIC_SESSIONS`), which gives such a test its own server.
"""

from __future__ import annotations

import os
import warnings
from collections.abc import Iterator
from dataclasses import fields
from typing import Any

import httpx
import pytest
from fastapi import FastAPI

from mock_em.generator import KNOBS
from mock_em.model.entities import Role
from mock_em.settings import Settings
from mock_em.testing.client import MockEmClient, MockEmError
from mock_em.testing.server import MockEmServer

MARKER = "mock_em"
ASGI_BASE_URL = "http://localhost:9399"

WORLD_KNOBS = ("seed", *(knob.name for knob in KNOBS))
CONTROL_KNOBS = frozenset({*WORLD_KNOBS, "clock", "fixture"})
# Where and how the plugin's servers listen is the plugin's business: plain HTTP on a free port.
NOT_PER_TEST = frozenset({"host", "port", "log_level", "tls", "tls_port", "tls_cert", "tls_key", "tls_host", "tls_dir"})
SERVER_KNOBS = frozenset(f.name for f in fields(Settings) if not f.name.startswith("_")) - CONTROL_KNOBS - NOT_PER_TEST
LISTEN = {"host": "127.0.0.1", "port": 0, "tls": False}


def pytest_addoption(parser: pytest.Parser) -> None:
    """`--mock-em-url`: test against a running server instead of one in a thread."""
    group = parser.getgroup("mock-em", "mock-em (Veeam Enterprise Manager test double)")
    group.addoption(
        "--mock-em-url",
        default=None,
        metavar="URL",
        help="base URL of a running mock-em (e.g. a container) to test against instead of starting one "
        "in a thread; default: $MOCK_EM_URL",
    )


def pytest_configure(config: pytest.Config) -> None:
    """Declare the marker so `--strict-markers` accepts it."""
    config.addinivalue_line(
        "markers",
        "mock_em(**settings): mock-em settings for this test, e.g. seed=7, tenants=2, points_per_vm=3, "
        "clock='2026-01-05T12:00:00Z' (applied through the control plane), or user=['alice:pw'], "
        "release='12' (a dedicated server for the test)",
    )


# -- settings -------------------------------------------------------------------------------


def base_settings() -> Settings:
    """The settings of servers the plugin starts: `MOCK_EM_*` variables, plain HTTP on 127.0.0.1 and a
    free port (so xdist workers and parallel jobs never collide)."""
    return Settings.from_sources(overrides=LISTEN)


def external_url(config: pytest.Config) -> str | None:
    """The external server's URL from `--mock-em-url` or `MOCK_EM_URL`, if any."""
    return config.getoption("mock_em_url", None) or os.environ.get("MOCK_EM_URL") or None


def marker_settings(node: pytest.Item) -> dict[str, Any]:
    """The `mock_em` markers' settings; the closest marker (function over class over module) wins."""
    merged: dict[str, Any] = {}
    for marker in reversed(list(node.iter_markers(MARKER))):
        if marker.args:
            raise pytest.UsageError(f"{node.nodeid}: @pytest.mark.mock_em takes keyword settings only")
        merged.update(marker.kwargs)
    fixed = sorted(set(merged) & NOT_PER_TEST)
    if fixed:
        raise pytest.UsageError(
            f"{node.nodeid}: mock_em({', '.join(fixed)}=...) cannot be set per test: "
            "the plugin's servers serve plain HTTP on 127.0.0.1 and a free port"
        )
    unknown = sorted(set(merged) - CONTROL_KNOBS - SERVER_KNOBS)
    if unknown:
        known = ", ".join(sorted(CONTROL_KNOBS | SERVER_KNOBS))
        raise pytest.UsageError(f"{node.nodeid}: unknown mock_em setting(s) {', '.join(unknown)}; known: {known}")
    if "fixture" in merged and any(k in merged for k in WORLD_KNOBS if k != "seed"):
        raise pytest.UsageError(f"{node.nodeid}: mock_em(fixture=...) excludes world-size settings")
    if "user" in merged:
        user = merged["user"]
        merged["user"] = (user,) if isinstance(user, str) else tuple(user)
    if "fixture" in merged:
        merged["fixture"] = str(merged["fixture"])
    return merged


def settings_for(node: pytest.Item) -> Settings:
    """Base settings with this test's marker applied (for dedicated and in-process servers)."""
    knobs = marker_settings(node)
    try:
        return Settings.from_sources(overrides={**LISTEN, **knobs})
    except ValueError as exc:
        raise pytest.UsageError(f"{node.nodeid}: mock_em marker: {exc}") from None


def apply_world_knobs(client: MockEmClient, knobs: dict[str, Any]) -> None:
    """Put the marker's clock, fixture and world size into effect on a freshly reset server."""
    if "clock" in knobs:
        client.freeze()  # first, so that the clock stands exactly at the marker's time
        client.set_clock(knobs["clock"])
    if "fixture" in knobs:
        client.load_world(knobs["fixture"])
        return
    world = {k: knobs[k] for k in WORLD_KNOBS if k in knobs}
    if world or "clock" in knobs:  # a new clock needs a world generated at that time
        client.regenerate(**world)


def admin_of(settings: Settings) -> tuple[str, str]:
    """The first administrator account (or the first account) that may log on."""
    accounts = [a for a in settings.accounts if a.tenant_id is None]
    admins = [a for a in accounts if a.role is Role.PortalAdministrator] or accounts
    return admins[0].user_name, admins[0].password


# -- servers --------------------------------------------------------------------------------


@pytest.fixture(scope="session")
def mock_em_server(pytestconfig: pytest.Config) -> Iterator[MockEmServer]:
    """The session's shared server: in a thread on a free port (per xdist worker), or external."""
    url = external_url(pytestconfig)
    if url:
        server = MockEmServer(url=url, control_token=os.environ.get("MOCK_EM_CONTROL_TOKEN") or None)
    else:
        server = MockEmServer(base_settings())
    server.start()
    yield server
    server.stop()


@pytest.fixture
def _mock_em_target(request: pytest.FixtureRequest) -> Iterator[tuple[MockEmServer, bool]]:
    """The server this test talks to, and whether it is dedicated to the test.

    The shared server is only asked for when needed, so a run whose tests all need dedicated
    servers never starts it.
    """
    knobs = marker_settings(request.node)
    if any(k in SERVER_KNOBS for k in knobs):
        with MockEmServer(settings_for(request.node)) as server:
            yield server, True
    else:
        yield request.getfixturevalue("mock_em_server"), False


@pytest.fixture
def mock_em(request: pytest.FixtureRequest, _mock_em_target: tuple[MockEmServer, bool]) -> Iterator[MockEmClient]:
    """A control-plane client for the test's server, reset (world, clock, sessions, faults, journal,
    snapshots) and set up as the `mock_em` marker asks before the test runs."""
    server, dedicated = _mock_em_target
    with server.client() as client:
        if not dedicated:
            client.reset()
            for snapshot in client.snapshots():
                client.delete_snapshot(snapshot["name"])
            apply_world_knobs(client, marker_settings(request.node))
        yield client


@pytest.fixture
def mock_em_url(mock_em: MockEmClient) -> str:
    """Base URL of the test's server, e.g. `http://127.0.0.1:54321` (reset like `mock_em`)."""
    return mock_em.base_url


@pytest.fixture
def mock_em_api_url(mock_em_url: str) -> str:
    """The vendor API's base URL: `mock_em_url + "/api"`."""
    return f"{mock_em_url}/api"


@pytest.fixture
def mock_em_admin(_mock_em_target: tuple[MockEmServer, bool]) -> tuple[str, str]:
    """`(user, password)` of the test server's administrator (`Administrator`, `P@ssw0rd` by default)."""
    server, _ = _mock_em_target
    return admin_of(server.settings if server.settings is not None else Settings.from_sources())


@pytest.fixture
def mock_em_session(mock_em: MockEmClient, mock_em_admin: tuple[str, str]) -> Iterator[str]:
    """A session token of the administrator, logged off after the test (if still live).

    Its session is left out of `assert_all_sessions_logged_off`: the fixture, not the code under
    test, is responsible for it.
    """
    token = mock_em.logon(*mock_em_admin)
    mock_em.ignored_sessions.add(mock_em.session_id(token))
    yield token
    try:
        mock_em.logoff(token)
    except MockEmError as exc:
        if exc.status != 401:  # 401: the test expired it, which is fine
            raise


# -- in-process -----------------------------------------------------------------------------


@pytest.fixture
def mock_em_asgi_app(request: pytest.FixtureRequest) -> FastAPI:
    """A fresh mock-em ASGI app for this test (every marker setting applies directly)."""
    from mock_em.app import create_app
    from mock_em.server import build_em

    settings = settings_for(request.node)
    return create_app(build_em(settings), settings)


@pytest.fixture
def mock_em_asgi(mock_em_asgi_app: FastAPI) -> httpx.AsyncClient:
    """An `httpx.AsyncClient` wired to the in-process app: no socket, no thread (for async tests).

    It holds nothing to release (the ASGI transport has no connections), so it needs no closing.
    """
    return httpx.AsyncClient(transport=httpx.ASGITransport(app=mock_em_asgi_app), base_url=ASGI_BASE_URL)


@pytest.fixture
def mock_em_asgi_client(mock_em_asgi_app: FastAPI) -> Iterator[httpx.Client]:
    """A synchronous client (starlette's TestClient, an `httpx.Client`) for the in-process app."""
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")  # starlette warns on import about its httpx backend
        from starlette.testclient import TestClient

    client = TestClient(mock_em_asgi_app, base_url=ASGI_BASE_URL)
    yield client
    client.close()


@pytest.fixture
def mock_em_asgi_control(mock_em_asgi_client: httpx.Client) -> MockEmClient:
    """A `MockEmClient` over the in-process app, to move its clock or edit its world."""
    return MockEmClient(http=mock_em_asgi_client)
