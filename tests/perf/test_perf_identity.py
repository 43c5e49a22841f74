"""The fast path and the response cache change no byte: every answer (status, headers, body) is the
one FastAPI gives with nothing kept, for every route, form, notation, role and base URL, and for
the errors the fast path hands over. Two apps over the same world, logged on in the same order
(same seed and deterministic sessions, so the same tokens), one with the fast path and the caches,
one without."""

from __future__ import annotations

import json
import warnings
from collections.abc import Iterator
from datetime import UTC, datetime

import httpx
import pytest

with warnings.catch_warnings():
    warnings.simplefilter("ignore")
    from starlette.testclient import TestClient

from mock_em import registry
from mock_em.api.fastpath import FastPath
from mock_em.app import create_app
from mock_em.model.clock import Clock
from mock_em.model.world import World
from mock_em.server import build_em
from mock_em.settings import Settings

START = datetime(2026, 1, 5, 12, 0, 0, tzinfo=UTC)
USERS = ("Administrator:P@ssw0rd", "user:pw:PortalUser", "operator:pw:RestoreOperator")
NIL = "00000000-0000-4000-8000-000000000000"


def app_client(settings: Settings, fast: bool) -> TestClient:
    """A client over a fresh app: fast (fast path, caches) or plain (FastAPI alone, nothing kept)."""
    app = create_app(build_em(settings, Clock(START, frozen=True)), settings)
    if not fast:
        app.state.fast_path = False
        app.state.response_cache.enabled = False
        app.state.query_cache = None
    return TestClient(app, base_url="http://localhost:9399")


def fast_path_of(client: TestClient) -> FastPath:
    layer = client.app.middleware_stack or client.app.build_middleware_stack()  # type: ignore[attr-defined]
    while not isinstance(layer, FastPath):
        layer = layer.app
    return layer


def seen(response: httpx.Response) -> tuple[int, list[tuple[str, str]], bytes]:
    """What a client sees of an answer, less the Date header."""
    return response.status_code, [(k, v) for k, v in response.headers.multi_items() if k != "date"], response.content


class Pair:
    """The same requests to a fast and a plain app; `same` asserts they answer alike."""

    def __init__(self, settings: Settings) -> None:
        self.fast = app_client(settings, fast=True)
        self.plain = app_client(settings, fast=False)
        self.tokens: dict[str, str] = {}

    def request(self, method: str, url: str, **kwargs: object) -> httpx.Response:
        cookies = kwargs.pop("cookies", None)
        answers = []
        for client in (self.fast, self.plain):
            client.cookies.clear()
            if cookies:
                for name, value in cookies.items():  # type: ignore[attr-defined]
                    client.cookies.set(name, value)
            answers.append(client.request(method, url, **kwargs))  # type: ignore[arg-type]
        fast, plain = answers
        assert seen(fast) == seen(plain), f"{method} {url} {kwargs}: fast path differs"
        return fast

    def logon(self, name: str, user: str, password: str) -> str:
        response = self.request("POST", "/api/sessionMngr/?v=latest", auth=(user, password))
        assert response.status_code == 201, response.text
        self.tokens[name] = response.headers["X-RestSvcSessionId"]
        return self.tokens[name]

    def tenant_logon(self, name: str, username: str, password: str, as_json: bool) -> str:
        if as_json:
            body = json.dumps({"TenantCredentials": {"Username": username, "Password": password}})
            headers = {"Content-Type": "application/json", "Accept": "application/json"}
        else:
            body = (
                '<LoginSpec xmlns="http://www.veeam.com/ent/v1.0"><TenantCredentials>'
                f"<Username>{username}</Username><Password>{password}</Password>"
                "</TenantCredentials></LoginSpec>"
            )
            headers = {"Content-Type": "application/xml"}
        response = self.request("POST", "/api/sessionMngr/?v=latest", content=body, headers=headers)
        assert response.status_code == 201, response.text
        self.tokens[name] = response.headers["X-RestSvcSessionId"]
        return self.tokens[name]

    def close(self) -> None:
        self.fast.close()
        self.plain.close()


@pytest.fixture
def pair() -> Iterator[Pair]:
    made = Pair(
        Settings(
            seed=7,
            tenants=3,
            backup_servers=2,
            replicas_per_tenant=2,
            vms_per_replica=2,
            user=USERS,
            deterministic_sessions=True,
        )
    )
    yield made
    made.close()


def family_urls(world: World) -> list[str]:
    """Every family route of the registry, in each form, for the first and last object of its
    family, plus an unknown and a malformed id: a family added to the registry is compared too."""
    urls: list[str] = []
    for route in registry.ROUTES:
        path = f"/api{route.path}"
        if route.shape == "list":
            urls += [path, f"{path}?format=Entity"]
            continue
        ids = list(world.all(route.family.name))
        first, last = path.format(id=ids[0]), path.format(id=ids[-1])
        urls += [first, f"{first}?format=Entity", last, f"{last}?format=Entity", path.format(id=NIL)]
        urls.append(path.format(id="abc"))
        if route.shape == "item":
            urls.append(path.format(id=str(ids[0]).upper()))
    return urls


def urls_of(client: TestClient) -> list[str]:
    """Every fast route, in each form, with a few parameter spellings, and some that fail."""
    world = client.app.state.em.world  # type: ignore[attr-defined]
    point = next(iter(world.points))
    points = "/api/cloud/vmReplicaPoints"
    query = "/api/query?type=CloudVmReplicaPoint"
    return [
        *family_urls(world),
        "/api/cloud", "/api/cloud?format=Entity",
        f"{points}?Format=entities", f"{points}?format=References",
        f"{points}?v=latest&format=Entity", f"{points}?format=Entity&format=bogus", f"{points}?format=",
        f"{points}?format=bogus",
        f"{points}/{point}?format=nope", f"{points}/xyz",
        "/api/querySvc", query, f"{query}&pageSize=5&page=2", f"{query}&format=Entities&pageSize=3",
        f"{query}&sortAsc=name&pageSize=7",
        "/api/query?type=cloudvmreplicapoint&sortDesc=CreationTime&pageSize=4&page=3",
        f"{query}&filter=State==Ready&pageSize=5",
        f"{query}&filter=VmName==srv01,VmName==srv02;State==Ready&sortAsc=VmName",
        f"{query}&filter=bad((", f"{query}&page=999", f"{query}&pageSize=0", f"{query}&format=bad",
        "/api/query?Type=CloudVmReplicaPoint&PageSize=2&Page=1&Format=entities", "/api/query?type=Nope", "/api/query",
        "/api/query?type=CloudTenant&format=Entities", "/api/query?type=BackupServer", "/api/query?type=CloudReplica",
        "/API/Cloud/VmReplicaPoints/", "/api/backupservers", "/api/cloud/nothing", "/api/logonSessions",
    ]  # fmt: skip


def test_every_route_form_and_role_answers_alike(pair: Pair) -> None:
    pair.logon("admin", "Administrator", "P@ssw0rd")
    pair.logon("user", "user", "pw")
    pair.logon("operator", "operator", "pw")
    tenants = list(pair.fast.app.state.em.world.tenants.values())  # type: ignore[attr-defined]
    pair.tenant_logon("tenant", tenants[0].username, tenants[0].password, as_json=False)
    pair.tenant_logon("other", tenants[1].username, tenants[1].password, as_json=True)
    urls = urls_of(pair.fast)
    for token in pair.tokens.values():
        for host in (None, "em.example:1234"):
            for accept in (None, "application/json", "text/xml, Application/JSON;q=0.5"):
                for url in urls:
                    headers = {"X-RestSvcSessionId": token}
                    if accept:
                        headers["Accept"] = accept
                    if host:
                        headers["Host"] = host
                    pair.request("GET", url, headers=headers)
                    pair.request("GET", url, headers=headers)  # the second answer comes from the cache
    assert fast_path_of(pair.fast).served > 0
    assert pair.fast.app.state.response_cache.hits > 0  # type: ignore[attr-defined]


def test_tokens_cookies_methods_and_errors_answer_alike(pair: Pair) -> None:
    token = pair.logon("admin", "Administrator", "P@ssw0rd")
    point = next(iter(pair.fast.app.state.em.world.points))  # type: ignore[attr-defined]
    for url in ("/api/cloud/vmReplicaPoints", f"/api/cloud/vmReplicaPoints/{point}", "/api/cloud", "/api/querySvc"):
        pair.request("GET", url)
        pair.request("GET", url, headers={"X-RestSvcSessionId": "bogus"})
        pair.request("GET", url, cookies={"X-RestSvcSessionId": token})
        pair.request("GET", url, headers={"X-RestSvcSessionId": "bogus"}, cookies={"X-RestSvcSessionId": token})
        pair.request("GET", url, headers={"X-RestSvcSessionId": token}, cookies={"X-RestSvcSessionId": "bogus"})
        pair.request("HEAD", url, headers={"X-RestSvcSessionId": token})
        pair.request("POST", url, headers={"X-RestSvcSessionId": token})
        pair.request("GET", url + "?format=Entity", headers={"X-RestSvcSessionId": token, "Accept": "application/json"})


def test_logon_and_logoff_answer_alike(pair: Pair) -> None:
    """Logon and logoff run on the fast path; refusals are FastAPI's, in FastAPI's order of checks."""
    admin = pair.logon("admin", "Administrator", "P@ssw0rd")
    user = pair.logon("user", "user", "pw")
    pair.request("POST", "/api/sessionMngr/?v=latest", auth=("Administrator", "wrong"))
    pair.request("POST", "/api/sessionMngr/?v=v9_9", auth=("Administrator", "P@ssw0rd"))
    pair.request("POST", "/api/sessionMngr/?v=v9_9", content=b"x" * 70_000)  # version refused before the body
    pair.request("POST", "/api/sessionMngr/?v=latest", content=b"x" * 70_000, auth=("Administrator", "P@ssw0rd"))
    pair.request(
        "POST", "/api/sessionMngr/?v=latest", content=b"{bad json", headers={"Content-Type": "application/json"}
    )
    pair.request("POST", "/api/sessionMngr", headers={"Authorization": "Bearer abc"})
    pair.request("POST", "/api/sessionMngr", headers={"Authorization": "Basic !!!"})
    pair.request(
        "POST",
        "/api/sessionMngr/?v=v1_4",
        auth=("EM01\\administrator", "P@ssw0rd"),
        headers={"Accept": "application/json"},
    )
    tenant = next(iter(pair.fast.app.state.em.world.tenants.values()))  # type: ignore[attr-defined]
    pair.tenant_logon("tenant", tenant.username, tenant.password, as_json=True)
    pair.request(
        "POST",
        "/api/sessionMngr",
        content=json.dumps({"TenantCredentials": {"Username": tenant.username, "Password": "no"}}),
    )
    sessions = pair.request(
        "GET", "/api/logonSessions", headers={"X-RestSvcSessionId": admin, "Accept": "application/json"}
    )
    ids = [s["SessionId"] for s in sessions.json()["LogonSessions"]]
    pair.request("GET", f"/api/logonSessions/{ids[1]}", headers={"X-RestSvcSessionId": admin})
    pair.request("DELETE", f"/api/logonSessions/{ids[0]}", headers={"X-RestSvcSessionId": user})  # not the user's: 404
    pair.request("DELETE", f"/api/logonSessions/{NIL}", headers={"X-RestSvcSessionId": admin})
    pair.request("DELETE", "/api/logonSessions/nonsense", headers={"X-RestSvcSessionId": admin})
    pair.request("DELETE", f"/api/logonSessions/{ids[1]}", headers={"X-RestSvcSessionId": "bogus"})
    pair.request("DELETE", f"/api/logonSessions/{ids[1]}", headers={"X-RestSvcSessionId": admin})  # 204
    pair.request("GET", "/api/cloud", headers={"X-RestSvcSessionId": user})  # that was the user's session: 401
    pair.request("DELETE", f"/api/logonSessions/{ids[0]}", headers={"X-RestSvcSessionId": admin})  # its own: 204
    pair.request("GET", "/api/cloud", headers={"X-RestSvcSessionId": admin})
    assert fast_path_of(pair.fast).served > 0


@pytest.mark.parametrize("public_url", ["https://em.example:9398/prefix/", "http://proxy.example"])
def test_a_public_url_answers_alike(public_url: str) -> None:
    # seed 4: a world in which some tenant has a public IP address, so every family has items
    made = Pair(Settings(seed=4, tenants=2, public_url=public_url, deterministic_sessions=True))
    try:
        token = made.logon("admin", "Administrator", "P@ssw0rd")
        for url in urls_of(made.fast):
            made.request("GET", url, headers={"X-RestSvcSessionId": token})
            made.request("GET", url, headers={"X-RestSvcSessionId": token, "Accept": "application/json"})
    finally:
        made.close()


def test_the_seed_sample_answers_alike() -> None:
    from pathlib import Path

    fixture = Path(__file__).resolve().parents[2] / "fixtures" / "seed-sample.json"
    made = Pair(Settings(fixture=str(fixture), deterministic_sessions=True))
    try:
        token = made.logon("admin", "Administrator", "P@ssw0rd")
        for url in urls_of(made.fast):
            made.request("GET", url, headers={"X-RestSvcSessionId": token})
    finally:
        made.close()


def journal_of(client: TestClient) -> list[tuple[object, ...]]:
    """Every journal entry of an app, oldest first, less its latency (which is measured)."""
    entries = client.app.state.journal.entries()  # type: ignore[attr-defined]
    return [tuple(getattr(e, f) for f in e.__slots__ if f != "latency_ms") for e in reversed(entries)]


def test_the_fast_lane_journals_as_fastapi_does(pair: Pair) -> None:
    """The recorder's fast lane (the fast path called without the layers between) leaves the entry
    the full chain leaves, for answers it gives and for every request it hands on."""
    admin = pair.logon("admin", "Administrator", "P@ssw0rd")
    user = pair.logon("user", "user", "pw")
    urls = [url for url in urls_of(pair.fast) if not url.startswith("/api/logonSessions")]
    for token in (admin, user, "bogus", None):
        for url in urls:
            headers = {"X-RestSvcSessionId": token} if token else {}
            pair.request("GET", url, headers=headers)
            pair.request("GET", url, headers=headers | {"Accept": "application/json"})
            pair.request("GET", url, cookies={"X-RestSvcSessionId": token or "x"})
    pair.request("DELETE", f"/api/logonSessions/{NIL}", headers={"X-RestSvcSessionId": admin})
    pair.request("GET", "/api/cloud", headers={"X-RestSvcSessionId": admin})
    assert fast_path_of(pair.fast).served > 0
    assert journal_of(pair.fast) == journal_of(pair.plain)
