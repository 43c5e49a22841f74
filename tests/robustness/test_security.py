"""Security: passwords and control tokens compared in constant time, no credential or token in the
server's log, tenant isolation on every route of the route table (a property over generated
worlds), the control-plane token enforced on every guarded control route, and the server listening
where it is told and nowhere else (checked on loopback only: 127.0.0.1 against 127.0.0.2 and ::1).
"""

from __future__ import annotations

import base64
import hmac
import re
import socket
import subprocess
import sys
import time
import warnings
from collections.abc import Iterator
from pathlib import Path
from typing import Any
from uuid import uuid4

import httpx
import pytest
from conftest import make_client
from e2e.seed_page import REPO
from e2e.test_real_server_curl import Server, _clean_env, free_port
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from robust_support import (
    JSON_ACCEPT,
    SESSION_HEADER,
    assert_error,
    concrete,
    listening_ports,
    login_spec,
    port_answers,
    route_table,
    running_server,
)

with warnings.catch_warnings():
    warnings.simplefilter("ignore")
    from starlette.testclient import TestClient

from mock_em import registry
from mock_em.app import create_app
from mock_em.model.access import Access, belongs_to
from mock_em.model.entities import Role
from mock_em.model.kinds import kind
from mock_em.resources import NESTED
from mock_em.server import build_em
from mock_em.settings import Settings

BASE = "http://localhost:9399"
LOGON = "/api/sessionMngr/?v=latest"
CONTROL_TOKEN = "ctl-T0ken-4f9a1c"
OPEN_CONTROL_ROUTES = {"/mock/health", "/mock/ready"}
# FastAPI's own pages (the OpenAPI description and the docs that render it): not control routes.
FRAMEWORK_ROUTES = {"/mock/docs", "/mock/openapi.json", "/docs/oauth2-redirect"}


# -- constant-time comparisons -------------------------------------------------------------------


@pytest.fixture
def digest_calls(monkeypatch: pytest.MonkeyPatch) -> list[tuple[int, int]]:
    """Every hmac.compare_digest call from now on, as (len(a), len(b))."""
    calls: list[tuple[int, int]] = []
    real = hmac.compare_digest

    def counting(a: Any, b: Any) -> bool:
        calls.append((len(a), len(b)))
        return real(a, b)

    monkeypatch.setattr(hmac, "compare_digest", counting)
    return calls


@pytest.fixture(scope="module")
def shared_client() -> Iterator[TestClient]:
    """One in-process client for the module, with a control token and two tenants."""
    settings = Settings(
        tenants=2, replicas_per_tenant=1, vms_per_replica=1, points_per_vm=2, control_token=CONTROL_TOKEN
    )
    with TestClient(create_app(build_em(settings), settings), base_url=BASE) as test_client:
        yield test_client


@pytest.fixture
def client(shared_client: TestClient) -> TestClient:
    """The shared client over an EM reset to how it started."""
    shared_client.app.state.em.reset()
    for hook in shared_client.app.state.reset_hooks:
        hook()
    shared_client.cookies.clear()
    return shared_client


def tenant_of(client: TestClient, index: int = 0) -> Any:
    """A tenant of the client's world."""
    return list(client.app.state.em.world.tenants.values())[index]


@pytest.mark.parametrize(
    ("user", "password", "status"),
    [
        ("Administrator", "P@ssw0rd", 201),
        ("Administrator", "wrong", 401),
        ("administrator", "", 401),
        ("NoSuchUser", "P@ssw0rd", 401),
        ("NoSuchUser", "x" * 5_000, 401),
        ("", "", 401),
    ],
    ids=["right", "wrong password", "empty password", "unknown user", "unknown user, long password", "empty"],
)
def test_basic_passwords_go_through_compare_digest(
    client: TestClient, digest_calls: list[tuple[int, int]], user: str, password: str, status: int
) -> None:
    """Known and unknown user names alike: the password is checked with hmac.compare_digest, so the
    time taken does not tell a known name from an unknown one (a timing test would be too noisy)."""
    response = client.post(LOGON, auth=(user, password))
    assert response.status_code == status
    assert len(digest_calls) >= 1, "the password was not compared with hmac.compare_digest"


@pytest.mark.parametrize("case", ["right", "wrong password", "unknown tenant"])
def test_tenant_passwords_go_through_compare_digest(
    client: TestClient, digest_calls: list[tuple[int, int]], case: str
) -> None:
    """Tenant logons (LoginSpec) too, for a known and an unknown tenant name."""
    tenant = tenant_of(client)
    username = "No Such Tenant" if case == "unknown tenant" else tenant.username
    password = tenant.password if case == "right" else "wrong-password"
    response = client.post(LOGON, content=login_spec(username, password))
    assert response.status_code == (201 if case == "right" else 401)
    assert len(digest_calls) >= 1


@pytest.mark.parametrize("presented", [CONTROL_TOKEN, "wrong", "w" * 500])
def test_control_token_goes_through_compare_digest(
    client: TestClient, digest_calls: list[tuple[int, int]], presented: str
) -> None:
    """The control token is compared with hmac.compare_digest, right or wrong."""
    response = client.get("/mock/about", headers={"Authorization": f"Bearer {presented}"})
    assert response.status_code == (200 if presented == CONTROL_TOKEN else 401)
    assert len(digest_calls) >= 1


# -- the control token on every guarded route ----------------------------------------------------

CONTROL_ROUTES = [
    (path, method)
    for path, methods in route_table(create_app(build_em(Settings(tenants=0)), Settings(tenants=0)))
    if path.startswith("/mock") and path not in FRAMEWORK_ROUTES
    for method in sorted(methods - {"HEAD"})
]
GUARDED = [(p, m) for p, m in CONTROL_ROUTES if p not in OPEN_CONTROL_ROUTES]


def test_control_routes_were_enumerated() -> None:
    """The route table gave the control plane (so the parametrised tests below cover it)."""
    paths = {p for p, _ in CONTROL_ROUTES}
    assert paths >= OPEN_CONTROL_ROUTES
    assert {"/mock/reset", "/mock/world", "/mock/faults", "/mock/journal", "/mock/sessions", "/mock/clock"} <= paths


@pytest.mark.parametrize(("path", "method"), GUARDED, ids=[f"{m} {p}" for p, m in GUARDED])
@pytest.mark.parametrize(
    "headers",
    [{}, {"Authorization": "Bearer wrong"}, {"X-Mock-Token": "wrong"}, {"Authorization": f"Basic {CONTROL_TOKEN}"}],
    ids=["none", "wrong bearer", "wrong header", "token as Basic"],
)
def test_control_token_is_enforced(client: TestClient, path: str, method: str, headers: dict[str, str]) -> None:
    """Every guarded control route, without the token or with a wrong one: 401 and a JSON Error
    (HTML for the dashboard page), and nothing changed."""
    before = client.app.state.em.world.version
    response = client.request(method, concrete(path), headers=headers, json={})
    assert response.status_code == 401, (response.status_code, response.text[:200])
    if response.headers["content-type"].startswith("application/json"):
        assert_error(response, 401)
    assert CONTROL_TOKEN not in response.text
    assert client.app.state.em.world.version == before


@pytest.mark.parametrize(("path", "method"), GUARDED, ids=[f"{m} {p}" for p, m in GUARDED])
@pytest.mark.parametrize(
    "headers",
    [{"Authorization": f"Bearer {CONTROL_TOKEN}"}, {"X-Mock-Token": CONTROL_TOKEN}],
    ids=["bearer", "header"],
)
def test_control_token_opens_every_guarded_route(
    client: TestClient, path: str, method: str, headers: dict[str, str]
) -> None:
    """With the token (either form) the same requests get past the check (any answer but 401)."""
    response = client.request(method, concrete(path), headers=headers, json={})
    assert response.status_code != 401, response.text[:300]


@pytest.mark.parametrize("path", sorted(OPEN_CONTROL_ROUTES))
def test_health_and_ready_stay_open(client: TestClient, path: str) -> None:
    """Health and readiness answer without the token (a container HEALTHCHECK has no secret)."""
    assert client.get(path).status_code == 200


# -- no credential or token in the log ------------------------------------------------------------

SECRET_USER = ("Alice", "S3cr3t-Pa55-9c2e")


def exercise(base: str, tenant: dict[str, Any]) -> list[str]:
    """Logons (right, wrong, tenant, JSON), requests with tokens and cookies, control calls with and
    without the control token, errors; returns every secret that crossed the wire."""
    secrets = [SECRET_USER[1], "Wr0ng-Pa55-1b7d", tenant["Password"], "T3nant-Wr0ng-55aa", CONTROL_TOKEN]
    control = {"Authorization": f"Bearer {CONTROL_TOKEN}"}
    with httpx.Client(base_url=base, timeout=10) as http:
        tokens = []
        for user, password in (SECRET_USER, (SECRET_USER[0], "Wr0ng-Pa55-1b7d"), ("Nobody", "Wr0ng-Pa55-1b7d")):
            response = http.post(LOGON, auth=(user, password))
            http.cookies.clear()
            if response.status_code == 201:
                tokens.append(response.headers[SESSION_HEADER])
        for password in (tenant["Password"], "T3nant-Wr0ng-55aa"):
            http.post(LOGON, content=login_spec(tenant["Username"], password))
            http.post(LOGON, json={"TenantCredentials": {"Username": tenant["Username"], "Password": password}})
            http.cookies.clear()
        response = http.post(LOGON, content=login_spec(tenant["Username"], tenant["Password"]))
        http.cookies.clear()
        tokens.append(response.headers[SESSION_HEADER])
        for token in tokens:
            for path in ("/api/cloud/vmReplicaPoints", "/api/logonSessions", "/api/query?type=Nope", "/api/nowhere"):
                http.get(path, headers={SESSION_HEADER: token})
            http.get("/api/cloud", headers={"Cookie": f"{SESSION_HEADER}={token}"})
        http.get("/api/cloud", headers={SESSION_HEADER: "Zm9yZ2VkLXRva2VuLTQyNDI="})
        for headers in (control, {"X-Mock-Token": CONTROL_TOKEN}, {"Authorization": "Bearer not-the-token"}):
            http.get("/mock/journal", headers=headers)
            http.get("/mock/sessions", headers=headers)
        http.post("/mock/faults", headers=control, json={"path": "/api/cloud", "status": 503, "maxCount": 1})
        http.get("/api/cloud", headers={SESSION_HEADER: tokens[0]})
        http.delete("/mock/sessions", headers=control)
    secrets += tokens
    secrets.append("Zm9yZ2VkLXRva2VuLTQyNDI=")
    for user, password in (SECRET_USER, (SECRET_USER[0], "Wr0ng-Pa55-1b7d")):
        secrets.append(base64.b64encode(f"{user}:{password}".encode()).decode())
    return secrets


def banner_lines(log: str) -> tuple[list[str], list[str]]:
    """The start-up banner (up to the first uvicorn line) and the rest."""
    lines = log.splitlines()
    first_uvicorn = next((i for i, line in enumerate(lines) if re.match(r"^(INFO|DEBUG|WARNING|ERROR|TRACE)", line)), 0)
    return lines[:first_uvicorn], lines[first_uvicorn:]


@pytest.fixture(scope="module")
def logged_server(tmp_path_factory: pytest.TempPathFactory) -> Iterator[tuple[str, list[str]]]:
    """A real server at --log-level debug that saw every kind of secret; its log and the secrets."""
    tmp = tmp_path_factory.mktemp("logs")
    args = [
        "--log-level",
        "debug",
        "--user",
        ":".join(SECRET_USER),
        "--control-token",
        CONTROL_TOKEN,
        "--tenants",
        "2",
        "--replicas-per-tenant",
        "1",
    ]
    with running_server(tmp, *args, name="debug") as server:
        world = httpx.get(f"{server.base}/mock/world", headers={"X-Mock-Token": CONTROL_TOKEN}, timeout=10).json()
        secrets = exercise(server.base, world["CloudTenants"][0])
    yield server.log.read_text(errors="replace"), secrets


def test_no_credential_or_token_in_the_request_log(logged_server: tuple[str, list[str]]) -> None:
    """After start-up, nothing the server logs at debug level holds a password (right or wrong, EM
    user or tenant), a session token, a Basic header's base64 or the control token."""
    log, secrets = logged_server
    _, after_start = banner_lines(log)
    body = "\n".join(after_start)
    assert "DEBUG" in body or "INFO" in body, f"the server logged nothing at debug level:\n{log[:2000]}"
    leaked = [secret for secret in secrets if secret in body]
    assert leaked == [], f"secrets in the log: {leaked}\n{body[:3000]}"
    assert "Traceback" not in log


def test_no_configured_password_in_the_startup_banner(logged_server: tuple[str, list[str]]) -> None:
    """A password given with --user is not printed at start-up either."""
    log, _ = logged_server
    assert SECRET_USER[1] not in log


def test_no_control_token_in_the_startup_banner(logged_server: tuple[str, list[str]]) -> None:
    """The control token is not printed at start-up."""
    log, _ = logged_server
    assert CONTROL_TOKEN not in log


# -- tenant isolation on every route ------------------------------------------------------------

API_GET_ROUTES = [
    path
    for path, methods in route_table(create_app(build_em(Settings()), Settings()))
    if path.startswith("/api") and "GET" in methods
]
# What the id in each GET route's path names: a family's kind (from the registry), or a session.
ID_KINDS = {f"/api{route.path}": route.family.name for route in registry.ROUTES if "{id}" in route.path}
ID_KINDS["/api/logonSessions/{session_id}"] = "sessions"
# A tenant's nested resources: the list's id is the tenant's, the item's is the nested object's.
ID_KINDS |= {f"/api{n.list_path}": "CloudTenant" for n in NESTED}
ID_KINDS |= {f"/api{n.item_path}": n.name for n in NESTED}
# What a family's objects hold (a failover plan's VMs): both routes' ids are filled with the
# holder's, so another tenant's plan is not found, whatever the member id.
ID_KINDS |= {f"/api{path}": f.name for f, *paths in registry.MEMBER_ROUTES for path in paths}
KINDS = (*registry.BY_NAME, *(n.name for n in NESTED))
NESTED_PATHS = {f"/api{p}" for n in NESTED for p in (n.list_path, n.item_path)}
# Routes of families a tenant's role may not read at all, and the summary report (docs/reports.md):
# tenants get 403 there (em-api.md §3.1).
PROVIDER_ONLY = (
    *(f"/api{f.path}" for f in registry.BY_NAME.values() if not Access(Role.CloudTenant, uuid4()).reads(f.kind)),
    "/api/reports",
    "/api/lookup",  # and `/api/lookupSvc`: the provider's virtual infrastructure
)


def route_kind(path: str) -> str:
    """The kind of the id in a FastAPI route's path (`/api/cloud/replicas/{object_id}`)."""
    return ID_KINDS[re.sub(r"\{object_id\}", "{id}", path)]


def test_every_api_route_is_classified() -> None:
    """Every GET route's path parameters are ones the isolation property knows how to fill."""
    for path in API_GET_ROUTES:
        if re.findall(r"\{(\w+)\}", path):
            assert route_kind(path) in {*KINDS, "sessions"}, f"{path}: add it to ID_KINDS"


def objects_of(world: Any, sessions: dict[str, str], tenant_id: Any) -> dict[str, set[str]]:
    """The ids of each kind that belong to a tenant (by the access policy's owner), and its sessions."""
    found: dict[str, set[str]] = {
        name: {str(o.id) for o in world.all(name).values() if belongs_to(world, kind(name), o, tenant_id)}
        for name in KINDS
    }
    found["sessions"] = {sid for sid, who in sessions.items() if who == str(tenant_id)}
    return found


@settings(max_examples=4, deadline=None, database=None, suppress_health_check=list(HealthCheck))
@given(seed=st.integers(0, 2**31 - 1), tenants=st.integers(2, 3), points=st.integers(1, 2))
def test_tenant_isolation_on_every_route(seed: int, tenants: int, points: int) -> None:
    """For every GET route of the vendor API and every tenant of a generated world: with another
    tenant's (or the administrator's) ids in the path, 404 (or 403 on provider-only routes); without
    ids, no other tenant's id anywhere in the body, XML or JSON."""
    size = {"replicas_per_tenant": 2, "vms_per_replica": 1, "points_per_vm": points}
    client = make_client(Settings(seed=seed, tenants=tenants, **size))
    try:
        world = client.em.world
        admin_token = client.logon()
        sessions: dict[str, str] = {}  # SessionId → tenant id ("admin" for the administrator)
        admin_session = client.get_as(admin_token, "/api/logonSessions", headers=JSON_ACCEPT).json()
        sessions[admin_session["LogonSessions"][0]["SessionId"]] = "admin"
        tokens = {}
        for tenant in world.tenants.values():
            client.cookies.clear()
            response = client.post(LOGON, content=login_spec(tenant.username, tenant.password))
            assert response.status_code == 201
            tokens[str(tenant.id)] = response.headers[SESSION_HEADER]
            own = client.get_as(tokens[str(tenant.id)], "/api/logonSessions", headers=JSON_ACCEPT).json()
            sessions[own["LogonSessions"][0]["SessionId"]] = str(tenant.id)
        servers = {str(s) for s in world.backup_servers}
        for tenant in world.tenants.values():
            token = tokens[str(tenant.id)]
            foreign: dict[str, set[str]] = {name: set() for name in (*KINDS, "sessions")}
            for other in world.tenants.values():
                if other.id != tenant.id:
                    for kind, ids in objects_of(world, sessions, other.id).items():
                        foreign.setdefault(kind, set()).update(ids)
            for kind, ids in objects_of(world, sessions, tenant.id).items():
                foreign[kind] -= ids  # what tenants share (a hardware plan) is its own too
            foreign["sessions"].update(sid for sid, who in sessions.items() if who == "admin")
            foreign["BackupServer"] = servers
            check_routes(client, token, foreign)
    finally:
        client.close()


def check_routes(client: Any, token: str, foreign: dict[str, set[str]]) -> None:
    """One tenant's view of every GET route: ids that are not its own are not found (403 where the
    whole route is the provider's), and no listing shows another tenant's (or the admin's) ids."""
    leaks = set().union(*(ids for k, ids in foreign.items() if k != "BackupServer"))
    for path in API_GET_ROUTES:
        # A tenant reads its own nested resources under `/cloud/tenants/{id}`: others' are not found.
        provider_only = path.startswith(PROVIDER_ONLY) and re.sub(r"\{object_id\}", "{id}", path) not in NESTED_PATHS
        if re.findall(r"\{(\w+)\}", path):
            for object_id in sorted(foreign[route_kind(path)])[:3]:
                response = client.get_as(token, concrete(path, object_id))
                assert_error(response, 403 if provider_only else 404)
            continue
        if path == "/api/query":
            urls = [
                f"/api/query?type={t}&format={f}"
                for t in ("CloudVmReplicaPoint", "CloudReplica")
                for f in ("References", "Entities")
            ]
        else:
            urls = [path, f"{path}?format=Entity"]
        for url in urls:
            for accept in ({}, JSON_ACCEPT):
                response = client.get_as(token, url, headers=accept)
                if provider_only:
                    assert_error(response, 403)
                    continue
                assert response.status_code == 200, (url, response.text[:200])
                found = {leak for leak in leaks if leak in response.text}
                assert not found, f"{url} shows another tenant's ids: {found}"


# -- listening where told and nowhere else ------------------------------------------------------


def ipv6_loopback() -> bool:
    """True when this machine has ::1."""
    try:
        with socket.socket(socket.AF_INET6, socket.SOCK_STREAM) as sock:
            sock.bind(("::1", 0))
        return True
    except OSError:
        return False


def process_tree_ports(pid: int) -> set[tuple[str, int]]:
    """Listening sockets of a process and its children."""
    found = listening_ports(pid)
    for task in Path(f"/proc/{pid}/task").iterdir():
        for child in (task / "children").read_text().split():
            try:
                found |= process_tree_ports(int(child))
            except OSError:
                continue
    return found


@pytest.mark.parametrize("tls", [False, True], ids=["http", "http+https"])
def test_listens_only_where_told(tmp_path: Path, tls: bool) -> None:
    """`--host 127.0.0.1`: the process listens on exactly the configured ports of 127.0.0.1, and
    another loopback address (127.0.0.2; ::1 where there is IPv6) is refused on them. (Only loopback
    addresses are used: a test here never connects to this machine's other interfaces.)"""
    extra: list[str] = []
    tls_port = None
    if tls:
        tls_port = free_port()
        extra = ["--tls", "--tls-port", str(tls_port), "--tls-dir", str(tmp_path / "tls")]
    with running_server(tmp_path, "--tenants", "1", *extra) as server:
        port = int(server.base.rsplit(":", 1)[1])
        expected = {("127.0.0.1", port)} | ({("127.0.0.1", tls_port)} if tls_port else set())
        assert process_tree_ports(server.process.pid) == expected
        for listening in sorted(p for _, p in expected):
            assert port_answers("127.0.0.1", listening)
            assert not port_answers("127.0.0.2", listening), "answers on 127.0.0.2 too"
            if ipv6_loopback():
                assert not port_answers("::1", listening), "answers on ::1 too"


def test_listens_on_another_loopback_address_when_told(tmp_path: Path) -> None:
    """`--host 127.0.0.2`: answers there, and 127.0.0.1 is refused."""
    port = free_port()
    server = start_on_host(tmp_path, "127.0.0.2", port)
    try:
        assert port_answers("127.0.0.2", port)
        assert not port_answers("127.0.0.1", port)
        assert process_tree_ports(server.process.pid) == {("127.0.0.2", port)}
    finally:
        server.stop()


def start_on_host(tmp_path: Path, host: str, port: int) -> Server:
    """`mock-em serve --host HOST` (start_server waits on 127.0.0.1; this waits on HOST)."""
    log = tmp_path / "other-host.log"
    with log.open("wb") as out:
        process = subprocess.Popen(
            [sys.executable, "-m", "mock_em", "serve", "--host", host, "--port", str(port), "--tenants", "1"],
            cwd=REPO,
            env=_clean_env(),
            stdout=out,
            stderr=subprocess.STDOUT,
        )
    server = Server(process, f"http://{host}:{port}", log)
    deadline = time.monotonic() + 15
    while not port_answers(host, port):
        if process.poll() is not None or time.monotonic() > deadline:
            server.stop()
            raise AssertionError(f"mock-em did not listen on {host}:{port}:\n{server.output()}")
        time.sleep(0.05)
    return server
