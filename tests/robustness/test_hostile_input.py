"""Hostile input, one test per kind, each with the status it gets and a Veeam Error body (em-api.md
§8): bad credentials and session headers (401 with the Basic challenge), ids that are not GUIDs and
path traversal (404), over-long and deeply nested filters and malformed bodies (400), wrong methods
on every route of the route table (405), entity expansion and external entities (refused, never
resolved), and what the real server does with requests too big for its HTTP parser (a clean 400).

Most run in-process against the ASGI app; the ones about raw request lines and HTTP-level limits run
against a real `mock-em serve` on 127.0.0.1, over raw sockets so that no client normalises the path.
"""

from __future__ import annotations

import base64
import re
import socket
import time
import warnings
from collections.abc import Iterator
from pathlib import Path

import httpx
import pytest
from robust_support import (
    ADMIN,
    HTTP_METHODS,
    JSON_ACCEPT,
    SESSION_HEADER,
    assert_error,
    assert_unauthorized,
    concrete,
    error_fields,
    login_spec,
    route_table,
    running_server,
)

with warnings.catch_warnings():
    warnings.simplefilter("ignore")
    from starlette.testclient import TestClient

from e2e.test_real_server_curl import Server

from mock_em.app import create_app
from mock_em.model.query_filter import MAX_DEPTH, MAX_FILTER_LENGTH
from mock_em.server import build_em
from mock_em.settings import Settings

BASE = "http://localhost:9399"
LOGON = "/api/sessionMngr/?v=latest"
SETTINGS = Settings(tenants=2, replicas_per_tenant=1, vms_per_replica=2, points_per_vm=2)
APP = create_app(build_em(SETTINGS), SETTINGS)
ROUTES = route_table(APP)
FRAMEWORK = ("/mock/docs", "/mock/openapi.json", "/docs/oauth2-redirect")
ID_ROUTES = [path for path, methods in ROUTES if path.startswith("/api") and "{" in path and "GET" in methods]


@pytest.fixture(scope="module")
def shared_client() -> Iterator[TestClient]:
    """One in-process client for the module (making an app takes a tenth of a second)."""
    with TestClient(APP, base_url=BASE, raise_server_exceptions=False) as client:
        yield client


@pytest.fixture
def api(shared_client: TestClient) -> TestClient:
    """The in-process client, over an EM reset to how it started (world, clock, sessions, journal,
    faults); it sees 500s as responses, not as raised exceptions."""
    APP.state.em.reset()
    for hook in APP.state.reset_hooks:
        hook()
    shared_client.cookies.clear()
    return shared_client


def logon(client: TestClient) -> str:
    """An administrator's session token."""
    client.cookies.clear()
    response = client.post(LOGON, auth=ADMIN)
    assert response.status_code == 201, response.text
    client.cookies.clear()
    return response.headers[SESSION_HEADER]


def basic(raw: bytes) -> str:
    """An `Authorization` value: Basic and the base64 of `raw`."""
    return "Basic " + base64.b64encode(raw).decode("ascii")


# -- credentials ------------------------------------------------------------------------------------

BAD_AUTHORIZATION = {
    "missing": None,
    "scheme only": "Basic",
    "scheme and spaces": "Basic    ",
    "bearer": "Bearer abc.def.ghi",
    "digest": 'Digest username="Administrator", realm="RestSvc", nonce="x", response="y"',
    "not base64": "Basic !!!not*base64!!!",
    "base64 with junk after it": basic(b"Administrator:P@ssw0rd") + " junk",
    "no colon": basic(b"AdministratorP@ssw0rd"),
    "empty user and password": basic(b":"),
    "wrong password": basic(b"Administrator:wrong"),
    "password with a NUL": basic(b"Administrator:P@ssw0rd\x00"),
    "binary": basic(bytes(range(256))),
    "huge password (100 KB)": basic(b"Administrator:" + b"x" * 100_000),
    "huge user name (100 KB)": basic(b"A" * 100_000 + b":P@ssw0rd"),
    "huge base64 (1 MB)": "Basic " + "A" * 1_000_000,
    "non-ASCII user, UTF-8": basic("Ädministrator:P@ssw0rd".encode()),
    "non-ASCII user, Latin-1": basic("Ädministrator:P@ssw0rd".encode("latin-1")),
    "CJK user": basic("管理者:P@ssw0rd".encode()),
    "emoji password": basic("Administrator:🔑".encode()),
    "invalid UTF-8 user": basic(b"\xff\xfe\xfd:P@ssw0rd"),
}


@pytest.mark.parametrize("value", list(BAD_AUTHORIZATION.values()), ids=list(BAD_AUTHORIZATION))
def test_bad_basic_credentials_are_401(api: TestClient, value: str | None) -> None:
    """Malformed, wrong, huge or foreign credentials: 401, the Basic challenge and an Error."""
    headers = {} if value is None else {"Authorization": value}
    response = api.post(LOGON, headers=headers)
    fields = assert_unauthorized(response)
    assert "P@ssw0rd" not in fields["Message"]
    assert SESSION_HEADER.lower() not in response.headers
    assert len(response.content) < 2000, "the Error must not echo the credentials"


def test_raw_non_ascii_bytes_in_authorization_are_401(api: TestClient) -> None:
    """Header bytes that are not ASCII (not even base64): 401 and an Error."""
    response = api.post(LOGON, headers={"Authorization": b"Basic \xc3\xa4\xff\xfe"})
    assert_unauthorized(response)


@pytest.mark.parametrize("encoding", ["utf-8", "latin-1"])
def test_non_ascii_user_names_log_on_when_configured(encoding: str) -> None:
    """A configured account with a non-ASCII name and password logs on, in UTF-8 (what browsers and
    curl send) and in Latin-1 (RFC 7617's historical default): 201 and its name in the session."""
    settings = Settings(tenants=0, user=("Jürgen:Pässwörd",))
    with TestClient(create_app(build_em(settings), settings), base_url=BASE) as client:
        response = client.post(LOGON, headers={"Authorization": basic("Jürgen:Pässwörd".encode(encoding))})
        assert response.status_code == 201, response.text
        assert "<UserName>EM01\\Jürgen</UserName>" in response.content.decode("utf-8")
        wrong = client.post(LOGON, headers={"Authorization": basic("Jürgen:Passworter".encode(encoding))})
        assert_unauthorized(wrong)


# -- session headers --------------------------------------------------------------------------------

BAD_TOKENS: dict[str, str | bytes | None] = {
    "missing": None,
    "empty": "",
    "spaces": "   ",
    "10 KB of base64": "A" * 10_240,
    "10 KB of junk": "%$#!" * 2_560,
    "a logon session id": "7686d89e-26fd-48e6-963c-c9dbce802981",
    "non-ASCII bytes": b"\xc3\xa4\xff",
}


@pytest.mark.parametrize("token", list(BAD_TOKENS.values()), ids=list(BAD_TOKENS))
@pytest.mark.parametrize("accept", [{}, JSON_ACCEPT], ids=["xml", "json"])
def test_bad_session_headers_are_401(api: TestClient, token: str | bytes | None, accept: dict[str, str]) -> None:
    """Missing, empty, 10 KB or unknown session tokens: 401, the Basic challenge and an Error (in the
    notation asked for)."""
    headers: dict[str, str | bytes] = dict(accept)
    if token is not None:
        headers[SESSION_HEADER] = token
    api.cookies.clear()
    response = api.get("/api/cloud/vmReplicaPoints", headers=headers)
    assert_unauthorized(response)
    assert response.headers["content-type"].startswith("application/json" if accept else "application/xml")


def test_logged_off_and_cookie_tokens_are_401(api: TestClient) -> None:
    """A token after logoff, and an unknown token in the cookie (which wins over the header): 401."""
    token = logon(api)
    sessions = api.get("/api/logonSessions", headers={SESSION_HEADER: token, **JSON_ACCEPT}).json()
    own = sessions["LogonSessions"][0]["SessionId"]
    assert api.delete(f"/api/logonSessions/{own}", headers={SESSION_HEADER: token}).status_code == 204
    assert_unauthorized(api.get("/api/cloud", headers={SESSION_HEADER: token}))
    fresh = logon(api)
    api.cookies.set(SESSION_HEADER, "A" * 10_240)
    assert_unauthorized(api.get("/api/cloud", headers={SESSION_HEADER: fresh}))
    api.cookies.clear()


# -- ids that are not GUIDs ---------------------------------------------------------------------------

NOT_GUIDS = {
    "word": "not-a-guid",
    "number": "12345",
    "GUID with a bad digit": "00000000-0000-4000-8000-00000000000g",
    "GUID too long": "00000000-0000-4000-8000-0000000000000",
    "300 characters": "x" * 300,
    "dot dot": "%2e%2e",
    "space": "%20",
    "non-ASCII": "%C3%9F",
    "invalid UTF-8": "%FF%FE",
    "SQL": "1%27%20OR%20%271%27=%271",
    "script": "%3Cscript%3E",
}


@pytest.mark.parametrize("value", list(NOT_GUIDS.values()), ids=list(NOT_GUIDS))
@pytest.mark.parametrize("route", ID_ROUTES)
def test_ids_that_are_not_guids_are_404(api: TestClient, route: str, value: str) -> None:
    """Every GET route with an id in its path: a value that is not a GUID names no object (404)."""
    token = logon(api)
    response = api.get(concrete(route, value), headers={SESSION_HEADER: token})
    assert_error(response, 404)


@pytest.mark.parametrize("value", ["not-a-guid", "x" * 300, "%C3%9F"])
def test_logoff_of_a_non_guid_is_404(api: TestClient, value: str) -> None:
    """DELETE /api/logonSessions/{not a GUID}: 404, and the caller's session lives on."""
    token = logon(api)
    assert_error(api.delete(f"/api/logonSessions/{value}", headers={SESSION_HEADER: token}), 404)
    assert api.get("/api/cloud", headers={SESSION_HEADER: token}).status_code == 200


CONTROL_ID_ROUTES = [
    ("DELETE", "/mock/sessions/{}"),
    ("DELETE", "/mock/world/tenants/{}"),
    ("DELETE", "/mock/world/replicas/{}"),
    ("DELETE", "/mock/world/points/{}"),
]


@pytest.mark.parametrize(("method", "route"), CONTROL_ID_ROUTES)
def test_control_ids_that_are_not_guids_are_400(api: TestClient, method: str, route: str) -> None:
    """The control plane says plainly that an id is not a GUID (400, JSON Error)."""
    response = api.request(method, route.format("not-a-guid"))
    assert_error(response, 400)
    assert response.headers["content-type"].startswith("application/json")


@pytest.mark.parametrize(
    ("url", "status"),
    [
        ("/api/cloud/tenants/%00", 404),
        ("/api/cloud/vmReplicaPoints/%1F", 404),
        ("/api/logonSessions/%07", 404),
        ("/api/cloud/replicas?format=%01", 400),
        ("/api/query?type=CloudTenant&format=%1B", 400),
    ],
)
def test_control_characters_in_error_messages(api: TestClient, url: str, status: int) -> None:
    """A control character in an id or parameter, echoed into the Error's Message: the Error it earns
    (the character escaped), not a 500. (Found by the fuzz: lxml refuses such characters in XML.)"""
    token = logon(api)
    assert_error(api.get(url, headers={SESSION_HEADER: token}), status)


def test_control_characters_in_the_api_version(api: TestClient) -> None:
    """`POST /api/sessionMngr/?v=%01`: 400 naming the unsupported version, not a 500."""
    assert_error(api.post("/api/sessionMngr/?v=%01", auth=ADMIN), 400)


# -- filters ----------------------------------------------------------------------------------------


def query(api: TestClient, filter_text: str, query_type: str = "CloudVmReplicaPoint") -> httpx.Response:
    """GET /api/query with this filter, as the administrator."""
    token = logon(api)
    return api.get("/api/query", params={"type": query_type, "filter": filter_text}, headers={SESSION_HEADER: token})


def test_filter_at_the_length_limit_runs(api: TestClient) -> None:
    """A filter of exactly MAX_FILTER_LENGTH characters is still a query (200)."""
    text = 'VmName=="' + "a" * (MAX_FILTER_LENGTH - 10) + '"'
    assert len(text) == MAX_FILTER_LENGTH
    assert query(api, text).status_code == 200


@pytest.mark.parametrize("length", [MAX_FILTER_LENGTH + 1, 60_000])
def test_over_long_filters_are_400(api: TestClient, length: int) -> None:
    """Longer filters: 400 and an Error naming the limit."""
    text = 'VmName=="' + "a" * (length - 10) + '"'
    fields = assert_error(query(api, text), 400)
    assert str(MAX_FILTER_LENGTH) in fields["Message"]


def test_long_query_strings_are_ignored_where_unknown(api: TestClient) -> None:
    """60 KB of unknown query parameters on a collection: ignored (200), as EM ignores them."""
    token = logon(api)
    params = [(f"p{i}", "v" * 20) for i in range(2_200)]
    response = api.get("/api/cloud/vmReplicaPoints", params=params, headers={SESSION_HEADER: token})
    assert response.status_code == 200
    assert len(str(response.request.url)) > 55_000


def test_parentheses_at_the_depth_limit_run(api: TestClient) -> None:
    """MAX_DEPTH nested parentheses: a query (200)."""
    text = "(" * MAX_DEPTH + 'VmName=="srv01"' + ")" * MAX_DEPTH
    assert query(api, text).status_code == 200


@pytest.mark.parametrize(
    "text",
    [
        "(" * (MAX_DEPTH + 1) + 'VmName=="srv01"' + ")" * (MAX_DEPTH + 1),
        "(" * 4_000 + "VmName==a" + ")" * 4_000,
        "(" * MAX_FILTER_LENGTH,
        ")" * 1_000,
        "()" * 1_000,
        "(VmName==a;" * 500,
    ],
    ids=["depth+1", "depth 4000", "only open", "only close", "empty pairs", "unclosed and-chains"],
)
def test_deeply_nested_or_unbalanced_parentheses_are_400(api: TestClient, text: str) -> None:
    """Nesting beyond the limit or unbalanced: 400 and an Error, quickly (no recursion blow-up)."""
    started = time.perf_counter()
    fields = assert_error(query(api, text), 400)
    assert time.perf_counter() - started < 2.0
    assert "filter" in fields["Message"].lower()


# -- wrong methods on every route -------------------------------------------------------------------

WRONG_METHODS = [
    (path, method)
    for path, methods in ROUTES
    if not path.startswith(FRAMEWORK)
    for method in (*HTTP_METHODS, "TRACE")
    if method not in methods
]


@pytest.mark.parametrize(("path", "method"), WRONG_METHODS, ids=[f"{m} {p}" for p, m in WRONG_METHODS])
def test_wrong_methods_are_405_on_every_route(api: TestClient, path: str, method: str) -> None:
    """Every route of the route table, every method it does not allow: 405, an `Allow` header with
    the methods it does allow, and an Error (XML on /api, JSON on /mock; HEAD has no body)."""
    token = logon(api)
    response = api.request(method, concrete(path), headers={SESSION_HEADER: token})
    assert response.status_code == 405, (response.status_code, response.text[:300])
    allowed = {m.strip() for m in response.headers.get("allow", "").split(",") if m.strip()}
    expected = next(methods for p, methods in ROUTES if p == path)
    assert allowed and allowed <= expected, (allowed, expected)
    if method != "HEAD":
        error_fields(response)
        wanted = "application/json" if path.startswith("/mock") else "application/xml"
        assert response.headers["content-type"].startswith(wanted)


MULTI_METHOD = [path for path, methods in ROUTES if len(methods - {"HEAD"}) > 1 and not path.startswith(FRAMEWORK)]


@pytest.mark.parametrize("path", MULTI_METHOD)
def test_allow_header_lists_every_method(api: TestClient, path: str) -> None:
    """A 405 on a resource with several methods lists them all."""
    token = logon(api)
    response = api.request("TRACE", concrete(path), headers={SESSION_HEADER: token})
    assert response.status_code == 405
    allowed = {m.strip() for m in response.headers.get("allow", "").split(",") if m.strip()}
    assert allowed >= next(methods for p, methods in ROUTES if p == path) - {"HEAD"}


def test_the_route_table_is_not_empty() -> None:
    """The enumeration above saw the vendor routes and the control plane."""
    paths = {p for p, _ in ROUTES}
    assert {"/api/sessionMngr", "/api/cloud/vmReplicaPoints", "/mock/reset", "/mock/faults"} <= paths
    assert len(WRONG_METHODS) > 200


# -- XML bodies --------------------------------------------------------------------------------------

NOT_WELL_FORMED = {
    "truncated": b'<LoginSpec xmlns="http://www.veeam.com/ent/v1.0"><TenantCredentials>',
    "mismatched": b'<LoginSpec xmlns="http://www.veeam.com/ent/v1.0"></Spec>',
    "two roots": b"<a/><b/>",
    "bare text": b"hello",
    "bad entity": b'<LoginSpec xmlns="http://www.veeam.com/ent/v1.0">&nope;</LoginSpec>',
    "bad encoding": b'<?xml version="1.0" encoding="utf-8"?><LoginSpec>\xff\xfe</LoginSpec>',
    "NUL": b"<LoginSpec>\x00</LoginSpec>",
    "binary": bytes(range(256)),
    "wrong root": b'<Credentials xmlns="http://www.veeam.com/ent/v1.0"/>',
    "wrong namespace": b'<LoginSpec xmlns="urn:other"><TenantCredentials/></LoginSpec>',
    "no password": (
        b'<LoginSpec xmlns="http://www.veeam.com/ent/v1.0"><TenantCredentials><Username>x</Username>'
        b"</TenantCredentials></LoginSpec>"
    ),
    "deeply nested": b"<a>" * 5_000 + b"</a>" * 5_000,
    "over 64 KB": b'<LoginSpec xmlns="http://www.veeam.com/ent/v1.0"><!--' + b"x" * 70_000 + b"--></LoginSpec>",
}


@pytest.mark.parametrize("body", list(NOT_WELL_FORMED.values()), ids=list(NOT_WELL_FORMED))
def test_malformed_login_specs_are_400(api: TestClient, body: bytes) -> None:
    """A LoginSpec body that is not well-formed, or not a LoginSpec: 400 and an Error, even with
    valid Basic credentials beside it (a body that is there must make sense)."""
    response = api.post(LOGON, content=body, headers={"Content-Type": "application/xml"}, auth=ADMIN)
    assert_error(response, 400)


BILLION_LAUGHS = b"""<?xml version="1.0"?>
<!DOCTYPE LoginSpec [
 <!ENTITY lol "lol">
 <!ENTITY lol1 "&lol;&lol;&lol;&lol;&lol;&lol;&lol;&lol;&lol;&lol;">
 <!ENTITY lol2 "&lol1;&lol1;&lol1;&lol1;&lol1;&lol1;&lol1;&lol1;&lol1;&lol1;">
 <!ENTITY lol3 "&lol2;&lol2;&lol2;&lol2;&lol2;&lol2;&lol2;&lol2;&lol2;&lol2;">
 <!ENTITY lol4 "&lol3;&lol3;&lol3;&lol3;&lol3;&lol3;&lol3;&lol3;&lol3;&lol3;">
 <!ENTITY lol5 "&lol4;&lol4;&lol4;&lol4;&lol4;&lol4;&lol4;&lol4;&lol4;&lol4;">
 <!ENTITY lol6 "&lol5;&lol5;&lol5;&lol5;&lol5;&lol5;&lol5;&lol5;&lol5;&lol5;">
 <!ENTITY lol7 "&lol6;&lol6;&lol6;&lol6;&lol6;&lol6;&lol6;&lol6;&lol6;&lol6;">
 <!ENTITY lol8 "&lol7;&lol7;&lol7;&lol7;&lol7;&lol7;&lol7;&lol7;&lol7;&lol7;">
 <!ENTITY lol9 "&lol8;&lol8;&lol8;&lol8;&lol8;&lol8;&lol8;&lol8;&lol8;&lol8;">
]>
<LoginSpec xmlns="http://www.veeam.com/ent/v1.0"><TenantCredentials>
<Username>&lol9;</Username><Password>&lol9;</Password></TenantCredentials></LoginSpec>"""


def test_billion_laughs_is_refused_quickly(api: TestClient) -> None:
    """Entity expansion: 400 within a second, the Error short (nothing expanded into it)."""
    started = time.perf_counter()
    response = api.post(LOGON, content=BILLION_LAUGHS, headers={"Content-Type": "application/xml"})
    assert time.perf_counter() - started < 1.0
    fields = assert_error(response, 400)
    assert "lollol" not in response.text
    assert len(fields["Message"]) < 500


def external_entity_bodies(target: Path) -> dict[str, bytes]:
    """LoginSpecs that try to read `target` through the XML parser."""
    uri = target.as_uri()
    return {
        "general entity": (
            f'<?xml version="1.0"?><!DOCTYPE LoginSpec [<!ENTITY xxe SYSTEM "{uri}">]>'
            '<LoginSpec xmlns="http://www.veeam.com/ent/v1.0"><TenantCredentials>'
            "<Username>&xxe;</Username><Password>&xxe;</Password></TenantCredentials></LoginSpec>"
        ).encode(),
        "parameter entity": (
            f'<?xml version="1.0"?><!DOCTYPE LoginSpec [<!ENTITY % ext SYSTEM "{uri}"> %ext;]>'
            '<LoginSpec xmlns="http://www.veeam.com/ent/v1.0"/>'
        ).encode(),
        "external DTD": (
            f'<?xml version="1.0"?><!DOCTYPE LoginSpec SYSTEM "{uri}">'
            '<LoginSpec xmlns="http://www.veeam.com/ent/v1.0"/>'
        ).encode(),
        "XInclude": (
            '<LoginSpec xmlns="http://www.veeam.com/ent/v1.0" xmlns:xi="http://www.w3.org/2001/XInclude">'
            f'<TenantCredentials><Username><xi:include href="{uri}" parse="text"/></Username>'
            f'<Password><xi:include href="{uri}" parse="text"/></Password></TenantCredentials></LoginSpec>'
        ).encode(),
    }


@pytest.mark.parametrize("kind", ["general entity", "parameter entity", "external DTD", "XInclude"])
def test_external_entities_are_never_resolved(api: TestClient, tmp_path: Path, kind: str) -> None:
    """A LoginSpec pointing at a local file: refused (400; XInclude, never processed, is a failed
    tenant logon: 401), and the file's contents appear in no answer, the journal included."""
    marker = "MARKER-7f3c-" + kind.replace(" ", "-")
    secret = tmp_path / "secret.txt"
    secret.write_text(marker)
    body = external_entity_bodies(secret)[kind]
    response = api.post(LOGON, content=body, headers={"Content-Type": "application/xml"})
    if kind == "XInclude":
        assert_unauthorized(response)
    else:
        assert_error(response, 400)
    journal = api.get("/mock/journal")
    for answer in (response, journal, api.get("/mock/sessions")):
        assert marker not in answer.text


# -- JSON bodies of the wrong shape ---------------------------------------------------------------

WRONG_JSON_LOGON = {
    "array": b"[]",
    "string": b'"TenantCredentials"',
    "number": b"42",
    "null": b"null",
    "credentials a string": b'{"TenantCredentials": "tenant:password"}',
    "credentials an array": b'{"TenantCredentials": ["tenant", "password"]}',
    "numbers": b'{"TenantCredentials": {"Username": 1, "Password": 2}}',
    "no password": b'{"TenantCredentials": {"Username": "tenant"}}',
    "nested objects": b'{"TenantCredentials": {"Username": {"a": 1}, "Password": "x"}}',
    "not JSON": b'{"TenantCredentials": ',
    "deep arrays": b"[" * 10_000 + b"]" * 10_000,
    "huge number": b'{"TenantCredentials": {"Username": 1' + b"0" * 5_000 + b', "Password": "x"}}',
}


@pytest.mark.parametrize("body", list(WRONG_JSON_LOGON.values()), ids=list(WRONG_JSON_LOGON))
def test_wrong_json_login_specs_are_400(api: TestClient, body: bytes) -> None:
    """A JSON LoginSpec of the wrong shape: 400 and an Error."""
    response = api.post(LOGON, content=body, headers={"Content-Type": "application/json", **JSON_ACCEPT})
    assert_error(response, 400)


def test_json_object_without_tenant_credentials_falls_back_to_basic(api: TestClient) -> None:
    """`{}` carries no TenantCredentials: the Basic credentials decide (401 without, 201 with)."""
    headers = {"Content-Type": "application/json"}
    assert_unauthorized(api.post(LOGON, content=b"{}", headers=headers))
    assert api.post(LOGON, content=b"{}", headers=headers, auth=ADMIN).status_code == 201


CONTROL_BODIES = {
    "array": b"[]",
    "string": b'"x"',
    "number": b"1",
    "not JSON": b"{",
    "deep arrays": b"[" * 5_000 + b"]" * 5_000,
}
CONTROL_BODY_ROUTES = [
    ("POST", "/mock/faults"),
    ("POST", "/mock/clock/set"),
    ("POST", "/mock/clock/advance"),
    ("POST", "/mock/world/tenants"),
    ("POST", "/mock/world/replicas"),
    ("POST", "/mock/world/points"),
    ("PATCH", "/mock/world/points/00000000-0000-4000-8000-000000000000"),
    ("PUT", "/mock/world"),
    ("POST", "/mock/world/regenerate"),
    ("POST", "/mock/clock/resume"),
]


@pytest.mark.parametrize("body", list(CONTROL_BODIES.values()), ids=list(CONTROL_BODIES))
@pytest.mark.parametrize(("method", "path"), CONTROL_BODY_ROUTES)
def test_wrong_json_on_the_control_plane_is_400(api: TestClient, method: str, path: str, body: bytes) -> None:
    """Control routes that take a JSON body: wrong shapes and non-JSON get 400 and a JSON Error."""
    response = api.request(method, path, content=body, headers={"Content-Type": "application/json"})
    assert_error(response, 400)


def test_deeply_nested_json_world_is_400(api: TestClient) -> None:
    """A world body nested too deep to parse: 400 and a JSON Error."""
    body = b"[" * 5_000 + b"]" * 5_000
    assert_error(api.put("/mock/world", content=body, headers={"Content-Type": "application/json"}), 400)


# -- unknown content types --------------------------------------------------------------------------


@pytest.mark.parametrize(
    "content_type",
    ["application/x-unknown", "text/plain", "multipart/form-data; boundary=x", "application/x-www-form-urlencoded"],
)
def test_unknown_content_types_on_logon(api: TestClient, content_type: str) -> None:
    """The logon body's notation is sniffed (JSON if it starts with `{` or `[`, else XML), whatever
    the Content-Type says: nonsense is 400, a LoginSpec logs the tenant on, no body is Basic."""
    headers = {"Content-Type": content_type}
    assert_error(api.post(LOGON, content=b"name=value&x=1", headers=headers, auth=ADMIN), 400)
    tenant = next(iter(api.app.state.em.world.tenants.values()))
    spec = login_spec(tenant.username, tenant.password)
    assert api.post(LOGON, content=spec, headers=headers).status_code == 201
    assert api.post(LOGON, content=b"", headers=headers, auth=ADMIN).status_code == 201


@pytest.mark.parametrize("content_type", ["text/plain", "application/xml", "application/x-unknown"])
def test_unknown_content_types_on_the_control_plane_are_400(api: TestClient, content_type: str) -> None:
    """A control route that takes JSON, sent another type (even with a JSON body): 400, JSON Error."""
    response = api.post("/mock/faults", content=b'{"status": 503}', headers={"Content-Type": content_type})
    assert_error(response, 400)
    assert api.get("/mock/faults").json()["faults"] == []


# -- values the control plane cannot hold ----------------------------------------------------------


@pytest.mark.parametrize(
    "body",
    [b'{"seconds": 1e15}', b'{"by": "99999999999999999999d"}', b'{"seconds": Infinity}'],
    ids=["1e15 seconds", "huge by", "infinity"],
)
def test_clock_advance_out_of_range(api: TestClient, body: bytes) -> None:
    """An advance past what the clock can hold: 400 and a JSON Error."""
    response = api.post("/mock/clock/advance", content=body, headers={"Content-Type": "application/json"})
    assert_error(response, 400)


@pytest.mark.parametrize("when", ["0001-01-01T00:00:00+01:00", "9999-12-31T23:59:59-01:00"])
def test_clock_set_out_of_range(api: TestClient, when: str) -> None:
    """A time that is out of range once in UTC: 400 and a JSON Error."""
    assert_error(api.post("/mock/clock/set", json={"time": when}), 400)


def test_running_clock_at_the_end_of_time(api: TestClient) -> None:
    """Set near the end of datetime's range and run it fast: the server keeps answering (the set is
    refused with 400, or the clock stops at its limit)."""
    set_answer = api.post("/mock/clock/set", json={"time": "9999-12-31T00:00:00Z"})
    if set_answer.status_code == 400:
        return
    api.post("/mock/clock/resume", json={"rate": 1_000_000})
    time.sleep(0.2)
    assert api.get("/mock/clock").status_code == 200
    assert api.get("/api/").status_code == 200


def test_times_before_year_1000_stay_valid(api: TestClient) -> None:
    """Clock set to year 500, world regenerated: entity XML valid, exported world loads again."""
    assert api.post("/mock/clock/set", json={"time": "0500-01-01T00:00:00Z"}).status_code == 200
    api.post("/mock/clock/freeze")
    assert api.post("/mock/world/regenerate", json={}).status_code == 200
    token = logon(api)
    response = api.get("/api/cloud/vmReplicaPoints?format=Entity", headers={SESSION_HEADER: token})
    assert response.status_code == 200
    assert re.search(rb"<CreationTimeUTC>\d{4}-", response.content), response.content[:500]
    exported = api.get("/mock/world").json()
    assert api.put("/mock/world", json=exported).status_code == 200


# -- the real server: raw request lines and HTTP-level limits ---------------------------------------


@pytest.fixture(scope="module")
def server(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Server]:
    """A real server on 127.0.0.1 (small world)."""
    tmp = tmp_path_factory.mktemp("hostile")
    with running_server(tmp, "--tenants", "2", "--replicas-per-tenant", "1", "--points-per-vm", "2") as running:
        yield running


def raw_request(server: Server, request: bytes, timeout: float = 10.0) -> tuple[int, dict[str, str], bytes]:
    """Send bytes as they are; status, headers and body of the answer (status 0: no answer)."""
    host, port = server.base.removeprefix("http://").split(":")
    with socket.create_connection((host, int(port)), timeout=timeout) as sock:
        sock.sendall(request)
        data = b""
        while True:
            try:
                chunk = sock.recv(65536)
            except ConnectionResetError:
                break
            if not chunk:
                break
            data += chunk
    if not data.startswith(b"HTTP/1.1 "):
        return 0, {}, data
    head, _, body = data.partition(b"\r\n\r\n")
    status_line, *lines = head.decode("latin-1").split("\r\n")
    headers = {}
    for line in lines:
        name, _, value = line.partition(":")
        headers[name.strip().lower()] = value.strip()
    return int(status_line.split()[1]), headers, body


@pytest.fixture(scope="module")
def raw_token(server: Server) -> bytes:
    """A session header line for the real server (an administrator's session)."""
    request = (
        b"POST /api/sessionMngr/ HTTP/1.1\r\nHost: 127.0.0.1\r\nConnection: close\r\nContent-Length: 0\r\n"
        b"Authorization: " + basic(b"Administrator:P@ssw0rd").encode() + b"\r\n\r\n"
    )
    status, headers, _ = raw_request(server, request)
    assert status == 201
    return SESSION_HEADER.encode() + b": " + headers[SESSION_HEADER.lower()].encode() + b"\r\n"


def get(target: bytes, *extra: bytes) -> bytes:
    """A GET request line and headers, closing the connection after the answer."""
    return b"GET " + target + b" HTTP/1.1\r\nHost: 127.0.0.1\r\nConnection: close\r\n" + b"".join(extra) + b"\r\n"


def as_response(status: int, headers: dict[str, str], body: bytes) -> httpx.Response:
    """An httpx response from raw parts (for the shared Error check)."""
    return httpx.Response(status, headers=headers, content=body)


TRAVERSALS = [
    b"/api/../mock/world",
    b"/api/cloud/../../mock/world",
    b"/api/cloud/tenants/..%2F..%2F..%2Fmock%2Fworld",
    b"/api/%2e%2e/mock/world",
    b"/api/%2E%2E%2Fmock%2Fworld",
    b"/api/..%5C..%5Cmock/world",
    b"/api/cloud/tenants/..;/..;/mock/world",
    b"//mock/world",
    b"http://127.0.0.1/api/../mock/world",
    b"/api/cloud/tenants/abc%2Fdef",
    b"/api/cloud/tenants/%252e%252e%252fmock",
]


@pytest.mark.parametrize("target", TRAVERSALS, ids=[t.decode() for t in TRAVERSALS])
def test_path_traversal_and_encoded_slashes_are_404(server: Server, raw_token: bytes, target: bytes) -> None:
    """Dot segments (plain, encoded, backslashed), encoded slashes in ids, with a live session: 404
    and an Error, never the control plane's world (paths are not normalised: nothing leaves /api)."""
    status, headers, body = raw_request(server, get(target, raw_token))
    assert status == 404, (status, body[:300])
    error_fields(as_response(status, headers, body))
    assert b"mock-em/world" not in body


@pytest.mark.parametrize(
    ("encoded", "plain"), [(b"/api%2Fcloud", b"/api/cloud"), (b"/api/cloud/tenants/%2F", b"/api/cloud/tenants/")]
)
def test_encoded_slash_between_segments_is_a_separator(
    server: Server, raw_token: bytes, encoded: bytes, plain: bytes
) -> None:
    """`/api%2Fcloud` is `/api/cloud` (uvicorn decodes the path before routing): without a session
    the same 401 as the plain path, with one the same 200 document. Pinned, not a traversal: a
    decoded path is still matched against the route table and cannot leave /api."""
    assert raw_request(server, get(encoded))[0] == raw_request(server, get(plain))[0] == 401
    assert_unauthorized(as_response(*raw_request(server, get(encoded))))
    with_session = raw_request(server, get(encoded, raw_token))
    assert with_session[0] == 200
    assert with_session[2] == raw_request(server, get(plain, raw_token))[2]


def test_huge_credentials_over_http_are_401(server: Server) -> None:
    """A 1 MB Basic header through the real HTTP parser: 401, the challenge, an Error."""
    value = basic(b"Administrator:" + b"x" * 750_000).encode()
    request = b"POST /api/sessionMngr/ HTTP/1.1\r\nHost: 127.0.0.1\r\nConnection: close\r\nContent-Length: 0\r\n"
    status, headers, body = raw_request(server, request + b"Authorization: " + value + b"\r\n\r\n")
    assert status == 401, (status, body[:300])
    assert headers["www-authenticate"] == "Basic Realm=RestSvc"
    error_fields(as_response(status, headers, body))


@pytest.mark.parametrize(
    "value", [b"", b"A" * 10_240, b"\xc3\xa4\xff\xfe", b"A" * 200_000], ids=["empty", "10 KB", "bytes", "200 KB"]
)
def test_bad_session_headers_over_http_are_401(server: Server, value: bytes) -> None:
    """Empty, 10 KB, 200 KB and non-ASCII session headers through the real parser: 401 and an Error."""
    status, headers, body = raw_request(
        server, get(b"/api/cloud/vmReplicaPoints", SESSION_HEADER.encode() + b": " + value + b"\r\n")
    )
    assert status == 401, (status, body[:300])
    error_fields(as_response(status, headers, body))


@pytest.mark.parametrize("size", [70_000, 1_000_000])
def test_over_long_request_lines_get_a_clean_rejection(server: Server, size: int) -> None:
    """A request line over the HTTP parser's limit (httptools: 64 KB): a clean HTTP-level 400 (or
    414/431, if the server changes), never a 500 or a stack trace; the server answers afterwards."""
    status, headers, body = raw_request(server, get(b"/api/query?filter=" + b"a" * size))
    assert status in (400, 414, 431), (status, body[:300])
    assert b"Traceback" not in body
    if headers.get("content-type", "").startswith(("application/xml", "application/json")):
        error_fields(as_response(status, headers, body))
    else:
        assert len(body) < 200, body[:300]
    assert raw_request(server, get(b"/api/"))[0] == 200


def test_not_http_at_all_gets_a_clean_rejection(server: Server) -> None:
    """A TLS ClientHello (or any binary) on the HTTP port: a clean 400 or a closed connection."""
    status, _, body = raw_request(server, b"\x16\x03\x01\x00\xa5\x01\x00\x00\xa1\x03\x03" + b"\x00" * 200)
    assert status in (0, 400), (status, body[:300])
    assert b"Traceback" not in body
    assert raw_request(server, get(b"/api/"))[0] == 200


def test_the_server_logged_no_traceback(server: Server) -> None:
    """After all of the above (this module's real-server tests ran first), no stack trace in the log."""
    assert raw_request(server, get(b"/api/"))[0] == 200
    assert "Traceback" not in server.output()
