"""Fault rules over the control plane, and faults as a real HTTP client meets them.

The server here is the real app under uvicorn on a free port of 127.0.0.1, so connection faults
break a real TCP connection and the assertions are about what httpx raises, not about ASGI calls.
Connection faults run on both of uvicorn's HTTP implementations (h11 on asyncio, httptools on
uvloop), since the recorder reaches into each one's transport.
"""

from __future__ import annotations

import random
import threading
import time
import warnings
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from typing import Any

import httpx
import pytest
import uvicorn
from conftest import START
from em_schema import assert_valid
from lxml import etree

with warnings.catch_warnings():
    warnings.simplefilter("ignore")
    from starlette.testclient import TestClient

from mock_em.api.recorder import InjectedConnectionFault
from mock_em.app import create_app
from mock_em.model.clock import Clock
from mock_em.model.enterprise_manager import EnterpriseManager
from mock_em.server import build_em
from mock_em.settings import Settings

ADMIN = ("Administrator", "P@ssw0rd")
SESSION = "X-RestSvcSessionId"
JSON = {"Accept": "application/json"}
ENGINES = {"h11": ("h11", "asyncio"), "httptools": ("httptools", "uvloop")}


# -- a live server ------------------------------------------------------------------------------


@dataclass
class Live:
    """A running server: its base URL, its EM, and an httpx client for the control plane."""

    base: str
    em: EnterpriseManager
    http: httpx.Client

    def control(self, method: str, path: str, **kwargs: Any) -> httpx.Response:
        """A control-plane request (`/mock` + path)."""
        return self.http.request(method, f"/mock{path}", **kwargs)

    def add_fault(self, **rule: Any) -> dict[str, Any]:
        """Add a fault rule; assert it was created."""
        response = self.control("POST", "/faults", json=rule)
        assert response.status_code == 201, response.text
        return response.json()

    def fault(self, rule_id: str) -> dict[str, Any]:
        """One rule with its statistics."""
        response = self.control("GET", f"/faults/{rule_id}")
        assert response.status_code == 200, response.text
        return response.json()

    def journal(self, **params: Any) -> list[dict[str, Any]]:
        """Journal entries, newest first."""
        response = self.control("GET", "/journal", params=params)
        assert response.status_code == 200, response.text
        return response.json()["entries"]

    def logon(self, user: str = ADMIN[0], password: str = ADMIN[1]) -> str:
        """Log on (fresh connection) and return the token."""
        with httpx.Client(base_url=self.base) as client:
            response = client.post("/api/sessionMngr/?v=latest", auth=(user, password))
        assert response.status_code == 201, response.text
        return response.headers[SESSION]

    def logon_tenant(self, name: str, password: str) -> str:
        """Log a Cloud Connect tenant on and return the token."""
        spec = {"TenantCredentials": {"Username": name, "Password": password}}
        with httpx.Client(base_url=self.base) as client:
            response = client.post("/api/sessionMngr/?v=latest", json=spec)
        assert response.status_code == 201, response.text
        return response.headers[SESSION]

    def get(self, path: str, token: str | None = None, **headers: str) -> httpx.Response:
        """A vendor GET on a fresh connection (a broken connection must not poison a pool)."""
        if token is not None:
            headers[SESSION] = token
        with httpx.Client(base_url=self.base, timeout=10) as client:
            return client.get(path, headers=headers)


@contextmanager
def serve(engine: str = "h11", **settings: Any) -> Iterator[Live]:
    """The app under uvicorn in a background thread on a free port, stopped afterwards."""
    http, loop = ENGINES[engine]
    config_settings = Settings(host="127.0.0.1", port=0, **settings)
    em = build_em(config_settings, Clock(START, frozen=True))
    app = create_app(em, config_settings)
    config = uvicorn.Config(app, host="127.0.0.1", port=0, http=http, loop=loop, lifespan="off", log_level="error")
    server = uvicorn.Server(config)
    thread = threading.Thread(target=server.run, name=f"mock-em-{engine}", daemon=True)
    thread.start()
    deadline = time.monotonic() + 10
    while not server.started:
        assert thread.is_alive() and time.monotonic() < deadline, "uvicorn did not start"
        time.sleep(0.01)
    port = server.servers[0].sockets[0].getsockname()[1]
    base = f"http://127.0.0.1:{port}"
    headers = {"Authorization": f"Bearer {settings['control_token']}"} if settings.get("control_token") else {}
    try:
        with httpx.Client(base_url=base, headers=headers, timeout=10) as http_client:
            yield Live(base, em, http_client)
    finally:
        server.should_exit = True
        thread.join(10)


@pytest.fixture(scope="module", params=sorted(ENGINES))
def server_each_engine(request: pytest.FixtureRequest) -> Iterator[Live]:
    """One server per uvicorn HTTP implementation, shared by the module."""
    with serve(request.param) as live:
        yield live


@pytest.fixture(scope="module")
def shared_server() -> Iterator[Live]:
    """One server (h11) shared by the module."""
    with serve() as live:
        yield live


@pytest.fixture
def live(shared_server: Live) -> Live:
    """The shared server, reset: no faults (ids from f1), an empty journal, no sessions."""
    assert shared_server.control("POST", "/reset").status_code == 200
    return shared_server


@pytest.fixture
def engine_live(server_each_engine: Live) -> Live:
    """The server of one HTTP implementation, reset."""
    assert server_each_engine.control("POST", "/reset").status_code == 200
    return server_each_engine


def assert_veeam_error(response: httpx.Response, status: int, name: str, message: str | None = None) -> None:
    """An XML Veeam Error the vendor schema accepts, with these values."""
    assert response.status_code == status, response.text
    assert response.headers["content-type"] == "application/xml; charset=utf-8"
    root = assert_valid(response.content)
    assert etree.QName(root).localname == "Error"
    assert root.get("StatusCode") == str(status)
    assert root.get("Status") == name
    if message is not None:
        assert root.get("Message") == message


# -- control endpoints ------------------------------------------------------------------------


def test_create_returns_the_rule_with_id_and_location(live: Live) -> None:
    """POST answers 201 with the normalised rule, its id and where to find it."""
    response = live.control("POST", "/faults", json={"method": "get", "path": "/api/cloud/", "status": 503})
    assert response.status_code == 201
    rule = response.json()
    assert response.headers["location"] == "/mock/faults/f1"
    assert rule == {
        "id": "f1",
        "method": "GET",
        "path": "/api/cloud",
        "userName": None,
        "tenant": None,
        "status": 503,
        "message": "The service is unavailable",
        "latencyMs": None,
        "latencyMinMs": None,
        "latencyMaxMs": None,
        "connection": None,
        "probability": 1.0,
        "skipFirst": 0,
        "maxCount": None,
        "seed": None,
        "active": True,
        "statistics": {"matched": 0, "fired": 0, "skipped": 0},
    }


def test_list_get_delete(live: Live) -> None:
    """Rules list in creation order; one can be read and deleted; deleting all empties the list."""
    ids = [live.add_fault(status=500 + i)["id"] for i in range(3)]
    assert ids == ["f1", "f2", "f3"]
    listed = live.control("GET", "/faults").json()["faults"]
    assert [r["id"] for r in listed] == ids
    assert live.fault("f2")["status"] == 501
    assert live.control("DELETE", "/faults/f2").json() == {"deleted": "f2"}
    assert [r["id"] for r in live.control("GET", "/faults").json()["faults"]] == ["f1", "f3"]
    assert live.control("DELETE", "/faults").json() == {"deleted": 2}
    assert live.control("GET", "/faults").json() == {"faults": []}
    assert live.add_fault(status=500)["id"] == "f4"  # ids keep counting until a reset


@pytest.mark.parametrize(("method", "path"), [("GET", "/faults/f9"), ("DELETE", "/faults/f9")])
def test_unknown_rule_is_a_404_error(live: Live, method: str, path: str) -> None:
    """An unknown rule id is a 404 Veeam Error in JSON, as every control-plane failure."""
    response = live.control(method, path)
    assert response.status_code == 404
    assert response.json()["Status"] == "NotFound"
    assert "f9" in response.json()["Message"]


BAD_RULES = [
    ({"status": 503, "colour": "red"}, "colour"),
    ({"status": 200}, "status"),
    ({"status": 599}, "status"),
    ({"status": "soon"}, "status"),
    ({"status": 503, "connection": "reset"}, "exclude"),
    ({"message": "hi", "latencyMs": 5}, "message"),
    ({"latencyMs": 5, "latencyMinMs": 1, "latencyMaxMs": 9}, "latencyMs"),
    ({"latencyMinMs": 1}, "latencyMaxMs"),
    ({"latencyMinMs": 9, "latencyMaxMs": 1}, "latencyMinMs"),
    ({"latencyMs": -1}, "latencyMs"),
    ({"latencyMs": 10_000_000}, "latencyMs"),
    ({"connection": "explode"}, "connection"),
    ({"status": 503, "probability": 1.5}, "probability"),
    ({"status": 503, "skipFirst": -1}, "skipFirst"),
    ({"status": 503, "maxCount": 0}, "maxCount"),
    ({"status": 503, "method": "GE T"}, "method"),
    ({"status": 503, "path": ""}, "path"),
    ({"status": 503, "userName": " "}, "userName"),
    ({"path": "/api/*"}, "action"),
    ({}, "action"),
]


@pytest.mark.parametrize(("rule", "named"), BAD_RULES)
def test_bad_rules_are_400_errors(live: Live, rule: dict[str, Any], named: str) -> None:
    """A rule that makes no sense is refused with a 400 Veeam Error that names the problem."""
    response = live.control("POST", "/faults", json=rule)
    assert response.status_code == 400, response.text
    error = response.json()
    assert error["Status"] == "BadRequest"
    assert named in error["Message"]
    assert live.control("GET", "/faults").json() == {"faults": []}


def test_rules_are_documented_in_openapi(live: Live) -> None:
    """The fault and journal routes and the rule body appear in the control plane's OpenAPI."""
    spec = live.control("GET", "/openapi.json").json()
    for path in ("/mock/faults", "/mock/faults/{rule_id}", "/mock/journal", "/mock/journal/count"):
        assert path in spec["paths"], path
    schema = spec["components"]["schemas"]["NewFault"]
    assert schema["additionalProperties"] is False
    assert "skipFirst" in schema["properties"] and schema["description"]


# -- status faults ----------------------------------------------------------------------------


def test_status_fault_answers_a_valid_xml_error(live: Live) -> None:
    """A status fault answers that status with a schema-valid Veeam Error, before any session check."""
    live.add_fault(path="/api/cloud/*", status=503)
    assert_veeam_error(live.get("/api/cloud/vmReplicaPoints"), 503, "ServiceUnavailable", "The service is unavailable")


def test_status_fault_answers_json_when_asked(live: Live) -> None:
    """With `Accept: application/json` the Error is JSON, shaped as EM writes it."""
    live.add_fault(status=502, message="upstream gone")
    response = live.get("/api/", **JSON)
    assert response.status_code == 502
    assert response.headers["content-type"] == "application/json; charset=utf-8"
    assert response.json() == {
        "FirstChanceExceptionMessage": None,
        "StackTrace": None,
        "Message": "upstream gone",
        "StatusCode": 502,
        "Status": "BadGateway",
    }


def test_a_401_fault_challenges_like_em(live: Live) -> None:
    """A 401 fault looks like an expired session: EM's message and its Basic challenge."""
    token = live.logon()
    live.add_fault(status=401, path="/api/cloud")
    response = live.get("/api/cloud", token)
    assert_veeam_error(
        response, 401, "Unauthorized", "The logon session does not exist, has been closed or has expired"
    )
    assert response.headers["www-authenticate"] == "Basic Realm=RestSvc"


def test_control_plane_and_other_paths_are_never_faulted(live: Live) -> None:
    """A catch-all rule leaves `/mock` and paths outside `/api` alone."""
    live.add_fault(status=500)
    assert live.control("GET", "/faults").status_code == 200
    assert live.get("/nope").status_code == 404
    assert live.get("/api").status_code == 500


def test_method_and_glob_matching(live: Live) -> None:
    """Rules match on the method and on a case-insensitive glob over the canonical path."""
    token = live.logon()
    live.add_fault(method="GET", path="/api/cloud/*", status=503)
    assert live.get("/api/cloud/tenants", token).status_code == 503
    assert live.get("/API/Cloud/Tenants/", token).status_code == 503  # canonicalised, then matched
    assert live.get("/api/cloud/replicas", token).status_code == 503
    assert live.get("/api/cloud", token).status_code == 200  # the glob needs something after /cloud/
    assert live.get("/api/backupServers", token).status_code == 200
    with httpx.Client(base_url=live.base) as client:
        delete = client.delete("/api/cloud/tenants", headers={SESSION: token})
    assert delete.status_code == 405  # not a GET: the app answers
    assert live.fault("f1")["statistics"] == {"matched": 3, "fired": 3, "skipped": 0}


def test_first_rule_that_fires_wins(live: Live) -> None:
    """Rules are tried in creation order; a rule that spares a match lets the next one try."""
    live.add_fault(path="/api", status=503, skipFirst=1)
    live.add_fault(path="/api", status=500)
    live.add_fault(path="/api", status=502)
    assert live.get("/api").status_code == 500  # f1 spared it, f2 fired
    assert live.get("/api").status_code == 503
    assert [live.fault(i)["statistics"]["matched"] for i in ("f1", "f2", "f3")] == [2, 1, 0]


def test_probability_zero_and_one(live: Live) -> None:
    """Probability 0 never fires (but counts matches); probability 1 always fires."""
    live.add_fault(path="/api", status=500, probability=0)
    live.add_fault(path="/api", status=503, probability=1)
    assert [live.get("/api").status_code for _ in range(5)] == [503] * 5
    assert live.fault("f1")["statistics"] == {"matched": 5, "fired": 0, "skipped": 0}
    assert live.fault("f2")["statistics"] == {"matched": 5, "fired": 5, "skipped": 0}


def test_probability_is_reproducible_with_a_seed(live: Live) -> None:
    """The same seed fires on the same requests."""

    def run() -> list[int]:
        live.control("DELETE", "/faults")
        live.add_fault(path="/api", status=503, probability=0.5, seed=11)
        return [live.get("/api").status_code for _ in range(12)]

    first = run()
    assert first == run()
    rng = random.Random(11)
    assert first == [503 if rng.random() < 0.5 else 200 for _ in range(12)]
    assert 200 in first and 503 in first


def test_skip_first_and_max_count(live: Live) -> None:
    """`skipFirst` spares the first N matches; `maxCount` hits spend the rule, which then stops matching."""
    live.add_fault(path="/api", status=503, skipFirst=2, maxCount=2)
    codes = [live.get("/api").status_code for _ in range(6)]
    assert codes == [200, 200, 503, 503, 200, 200]
    rule = live.fault("f1")
    assert rule["statistics"] == {"matched": 4, "fired": 2, "skipped": 2}
    assert rule["active"] is False


def test_user_and_tenant_matching(live: Live) -> None:
    """Rules may name the session's user (with or without the machine prefix) or tenant."""
    tenant = next(iter(live.em.world.tenants.values()))
    admin = live.logon()
    customer = live.logon_tenant(tenant.username, tenant.password)
    live.add_fault(path="/api/cloud", userName="EM01\\administrator", status=503)
    live.add_fault(path="/api/cloud/replicas", tenant=tenant.name.upper(), status=500)
    live.add_fault(path="/api/cloud/tenants", tenant=str(tenant.id), status=502)
    assert live.get("/api/cloud", admin).status_code == 503
    assert live.get("/api/cloud", customer).status_code == 200
    assert live.get("/api/cloud", "no-such-token").status_code == 401  # no session: user rules never match
    assert live.get("/api/cloud/replicas", admin).status_code == 200
    assert live.get("/api/cloud/replicas", customer).status_code == 500
    assert live.get("/api/cloud/tenants", customer).status_code == 502


# -- latency ----------------------------------------------------------------------------------


def test_fixed_latency_delays_the_answer(live: Live) -> None:
    """A fixed delay holds the answer back at least that long, then the app answers normally."""
    live.add_fault(path="/api", latencyMs=300)
    started = time.perf_counter()
    response = live.get("/api")
    elapsed = time.perf_counter() - started
    assert response.status_code == 200
    assert elapsed >= 0.3
    entry = live.journal(limit=1)[0]
    assert entry["fault"] == "latency" and entry["delayMs"] == 300
    assert entry["latencyMs"] >= 300


def test_latency_with_a_status(live: Live) -> None:
    """A delay and a status: the error comes late."""
    live.add_fault(path="/api", latencyMs=150, status=504)
    started = time.perf_counter()
    response = live.get("/api")
    assert time.perf_counter() - started >= 0.15
    assert_veeam_error(response, 504, "GatewayTimeout")


def test_random_latency_is_reproducible(live: Live) -> None:
    """Random delays are drawn from the rule's own seeded RNG: the same seed, the same delays."""

    def delays(seed: int) -> list[float]:
        live.control("DELETE", "/faults")
        live.control("DELETE", "/journal")
        live.add_fault(path="/api", latencyMinMs=1, latencyMaxMs=40, seed=seed)
        for _ in range(4):
            assert live.get("/api").status_code == 200
        entries = list(reversed(live.journal()))
        assert all(e["latencyMs"] >= e["delayMs"] for e in entries)
        return [e["delayMs"] for e in entries]

    first = delays(7)
    assert first == delays(7)
    rng = random.Random(7)
    assert first == [round(rng.uniform(1, 40), 3) for _ in range(4)]
    assert all(1 <= d <= 40 for d in first)
    assert delays(8) != first


# -- connection faults ------------------------------------------------------------------------


def test_reset_breaks_the_connection(engine_live: Live) -> None:
    """`reset`: the client's read fails; no response arrives."""
    engine_live.add_fault(path="/api/cloud", connection="reset")
    with pytest.raises((httpx.ReadError, httpx.RemoteProtocolError)):
        engine_live.get("/api/cloud")
    assert engine_live.get("/api").status_code == 200  # the server itself is fine
    entry = engine_live.journal(path="/api/cloud")[0]
    assert entry["status"] is None and entry["fault"] == "reset"


def test_empty_closes_without_a_response(engine_live: Live) -> None:
    """`empty`: the server closes the connection without sending a byte."""
    engine_live.add_fault(path="/api/cloud", connection="empty")
    with pytest.raises(httpx.RemoteProtocolError, match="without sending"):
        engine_live.get("/api/cloud")
    assert engine_live.get("/api").status_code == 200
    assert engine_live.journal(limit=2)[1]["fault"] == "empty"


def test_truncated_sends_part_of_the_body(engine_live: Live) -> None:
    """`truncated`: status and Content-Length arrive, then the body stops short and the connection closes."""
    token = engine_live.logon()
    engine_live.add_fault(path="/api/cloud/vmReplicaPoints", connection="truncated")
    received = bytearray()
    with (
        httpx.Client(base_url=engine_live.base, timeout=10) as client,
        client.stream("GET", "/api/cloud/vmReplicaPoints", headers={SESSION: token}) as response,
    ):
        assert response.status_code == 200
        declared = int(response.headers["content-length"])
        with pytest.raises(httpx.RemoteProtocolError, match="complete message body"):
            for chunk in response.iter_raw():
                received += chunk
    assert 0 < len(received) < declared
    entry = engine_live.journal(limit=1)[0]
    assert entry["status"] == 200 and entry["fault"] == "truncated"


def test_truncated_bodiless_answer_still_falls_short(engine_live: Live) -> None:
    """A 204 cannot be cut short, so it goes out as 200 with one byte promised and none sent."""
    token = engine_live.logon()
    session_id = engine_live.control("GET", "/sessions").json()["sessions"][0]["sessionId"]
    engine_live.add_fault(method="DELETE", path="/api/logonSessions/*", connection="truncated")
    with pytest.raises(httpx.RemoteProtocolError):
        engine_live.http.delete(f"/api/logonSessions/{session_id}", headers={SESSION: token})
    assert engine_live.control("GET", "/sessions").json()["sessions"] == []  # the logoff happened


def test_connection_faults_without_a_transport_raise() -> None:
    """In-process clients have no connection to break: they see a ConnectionError instead."""
    settings = Settings()
    app = create_app(build_em(settings, Clock(START, frozen=True)), settings)
    with TestClient(app) as client:
        assert client.post("/mock/faults", json={"path": "/api", "connection": "reset"}).status_code == 201
        with pytest.raises(InjectedConnectionFault, match="f1"):
            client.get("/api")
        assert client.get("/mock/journal").json()["entries"][0]["status"] is None


# -- reset and the control token --------------------------------------------------------------


def test_reset_clears_faults_and_restarts_ids(live: Live) -> None:
    """POST /mock/reset removes every rule, and ids start again at f1."""
    live.add_fault(status=503)
    live.add_fault(status=503)
    assert live.control("POST", "/reset").status_code == 200
    assert live.control("GET", "/faults").json() == {"faults": []}
    assert live.get("/api").status_code == 200
    assert live.add_fault(status=503)["id"] == "f1"


def test_control_token_guards_faults() -> None:
    """With a control token, fault routes need it; health stays open."""
    with serve(control_token="s3cret") as live:
        bare = httpx.Client(base_url=live.base)
        with bare:
            assert bare.post("/mock/faults", json={"status": 503}).status_code == 401
            assert bare.get("/mock/faults").status_code == 401
            assert bare.delete("/mock/faults/f1").status_code == 401
            assert bare.get("/mock/health").status_code == 200
            wrong = {"Authorization": "Bearer nope"}
            assert bare.get("/mock/faults", headers=wrong).status_code == 401
            assert bare.get("/mock/faults", headers={"X-Mock-Token": "s3cret"}).status_code == 200
        assert live.add_fault(status=503)["id"] == "f1"  # live.http sends the Bearer token
        assert live.control("GET", "/faults").status_code == 200
