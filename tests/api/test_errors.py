"""Every failure is a Veeam `<Error>`, never a framework page (em-api.md §8)."""

from __future__ import annotations

import pytest
from conftest import EmClient
from xmlutil import UNKNOWN_GUID, assert_error, logon

IDS = {"any": UNKNOWN_GUID}


@pytest.mark.parametrize(
    "path",
    ["/api/nope", "/nope", "/", "/api/cloud/nope", "/api/cloud/replicas/{any}/nope", "/api/backupServers/{any}/x"],
)
@pytest.mark.parametrize("with_session", [False, True])
def test_unknown_route_is_404(client: EmClient, path: str, with_session: bool) -> None:
    """A path mock-em does not serve is a 404 Error, with or without a session."""
    token, _ = logon(client)
    headers = {"X-RestSvcSessionId": token} if with_session else {}
    assert_error(client.get(path.format(**IDS), headers=headers), 404, "NotFound")


WRONG_METHODS = [
    ("DELETE", "/api/"),
    ("POST", "/api/"),
    ("PUT", "/api"),
    ("GET", "/api/sessionMngr/"),
    ("GET", "/api/sessionMngr"),
    ("DELETE", "/api/sessionMngr/?v=latest"),
    ("PUT", "/api/sessionMngr/"),
    ("POST", "/api/logonSessions"),
    ("DELETE", "/api/logonSessions"),
    ("PUT", "/api/logonSessions/{any}"),
    ("POST", "/api/logonSessions/{any}"),
    ("DELETE", "/api/cloud"),
    ("POST", "/api/cloud"),
    ("PUT", "/api/cloud/vmReplicaPoints"),
    ("POST", "/api/cloud/vmReplicaPoints"),
    ("DELETE", "/api/cloud/vmReplicaPoints"),
    ("DELETE", "/api/cloud/vmReplicaPoints/{any}"),
    ("PATCH", "/api/cloud/vmReplicaPoints/{any}"),
    ("POST", "/api/cloud/vmReplicaPoints/{any}/vmReplicaPoints"),
    ("POST", "/api/cloud/replicas"),
    ("DELETE", "/api/cloud/replicas/{any}"),
    ("PUT", "/api/cloud/replicas/{any}/vmReplicaPoints"),
    ("POST", "/api/cloud/tenants"),
    ("DELETE", "/api/cloud/tenants/{any}"),
    ("DELETE", "/api/backupServers"),
    ("PUT", "/api/backupServers/{any}"),
]


@pytest.mark.parametrize(("method", "path"), WRONG_METHODS)
def test_wrong_method_is_405(client: EmClient, method: str, path: str) -> None:
    """A known route with a method it does not serve is a 405 MethodNotAllowed Error."""
    token, _ = logon(client)
    response = client.request(method, path.format(**IDS), headers={"X-RestSvcSessionId": token})
    assert_error(response, 405, "MethodNotAllowed")


@pytest.mark.parametrize(
    ("method", "url", "headers"),
    [
        ("GET", "/api/cloud/vmReplicaPoints/%00", {}),
        ("GET", "/api/cloud/vmReplicaPoints/" + "a" * 5000, {}),
        ("GET", "/api/cloud/tenants/{any}?format=", {}),
        ("GET", "/api/cloud/tenants?format=Entity&format=bogus", {}),
        ("GET", "/api/cloud/replicas?v=%ZZ&format=%FF", {}),
        ("GET", "/api/cloud", {"X-RestSvcSessionId": "é".encode("latin-1")}),
        ("GET", "/api/cloud", {"Cookie": "X-RestSvcSessionId"}),
        ("GET", "/api/cloud", {"Cookie": ";;=;"}),
        ("POST", "/api/sessionMngr/?v=latest", {"Authorization": "Basic /w=="}),
        ("POST", "/api/sessionMngr/?v=latest", {"Authorization": "Basic " + "QQ==" * 2000}),
        ("POST", "/api/sessionMngr/?v=latest&v=v9", {"Authorization": "Basic Og=="}),
        ("POST", "/api/sessionMngr/?v=latest", {"Content-Type": "application/json", "Authorization": "x"}),
        ("GET", "/api/logonSessions/%20", {}),
    ],
)
def test_malformed_requests_get_veeam_errors(
    client: EmClient, method: str, url: str, headers: dict[str, str | bytes]
) -> None:
    """Odd input gets a 4xx Veeam Error, never a 500, a FastAPI `detail` or a traceback."""
    response = client.request(method, url.format(**IDS), headers=headers)
    assert 400 <= response.status_code < 500, (response.status_code, response.text[:300])
    status_names = {400: "BadRequest", 401: "Unauthorized", 404: "NotFound"}
    assert_error(response, response.status_code, status_names[response.status_code])


def test_mock_em_middleware_sits_inside_the_server_error_middleware() -> None:
    """mock-em's middleware (recorder, canonical paths, fast path) is placed right inside Starlette's
    ServerErrorMiddleware, so an exception anywhere in it still ends as a Veeam 500. That depends on
    how FastAPI builds its stack: a FastAPI release that builds it otherwise fails here, which is
    why pyproject.toml bounds the FastAPI versions to the tested range."""
    from starlette.middleware.errors import ServerErrorMiddleware

    from mock_em.api.fastpath import FastPath
    from mock_em.api.recorder import Recorder
    from mock_em.app import CanonicalPaths, create_app
    from mock_em.server import build_em
    from mock_em.settings import Settings

    stack = create_app(build_em(Settings()), Settings()).build_middleware_stack()
    assert isinstance(stack, ServerErrorMiddleware)
    assert isinstance(stack.app, Recorder)
    assert isinstance(stack.app.app, CanonicalPaths)
    assert isinstance(stack.app.app.app, FastPath)
