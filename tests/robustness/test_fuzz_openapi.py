"""Fuzzing: schemathesis over mock-em's own OpenAPI description (the emulated `/api` routes and the
`/mock` control plane), in-process against the ASGI app, plus Hypothesis properties over generated
worlds (every resource renders schema-valid XML and JSON with the same values), the query filter
over HTTP, and session life cycles.

Every operation gets at most `MAX_EXAMPLES` generated cases (positive and negative data, plus
schemathesis's coverage cases: wrong methods, missing and odd parameters), derandomized so CI runs
the same cases every time. Each case starts from a reset EM, logs on (administrator or tenant, in
turn) and sends its request with the session header; ids in paths are, for two cases in three,
swapped for ids that exist, so entity routes answer 2xx too. GET routes of `/api` are also asked
for `?format=Entity` and for JSON, because mock-em's OpenAPI does not describe those parameters.

Checked for every answer: no 5xx (no fault is injected here), every 4xx a Veeam Error, every 2xx
XML body valid against the vendor schema, every 2xx JSON body parseable, every 204 empty.
"""

from __future__ import annotations

import contextlib
import json
import zlib
from collections import Counter
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from typing import Any
from uuid import UUID

import httpx
import pytest
import schemathesis
from conftest import ADMIN, make_client
from em_schema import assert_valid
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from hypothesis.stateful import RuleBasedStateMachine, invariant, precondition, rule, run_state_machine_as_test
from lxml import etree
from robust_support import JSON_ACCEPT, SESSION_HEADER, error_fields, login_spec, route_table
from schemathesis.checks import not_a_server_error

from mock_em import registry
from mock_em.app import create_app
from mock_em.control.faults import NewFault
from mock_em.model.clock import Clock
from mock_em.model.entities import LogonSession
from mock_em.model.query_types import served_types
from mock_em.releases import DEFAULT_RELEASE
from mock_em.server import build_em
from mock_em.settings import Settings

MAX_EXAMPLES = 25
START = datetime(2026, 1, 5, 12, 0, 0, tzinfo=UTC)
SETTINGS = Settings(tenants=2, replicas_per_tenant=2, vms_per_replica=2, points_per_vm=2)
EM = build_em(SETTINGS, Clock(START, frozen=True))
APP = create_app(EM, SETTINGS)
SCHEMA = schemathesis.openapi.from_asgi("/mock/openapi.json", APP)
SNAPSHOT = "fuzz"
# A rule that exists for the `/mock/faults/{rule_id}` routes and matches nothing the fuzz sends.
HARMLESS_FAULT = {"path": "/api/never-requested", "status": 503}
# Size knobs of POST /mock/world/regenerate are clamped to 2: a world of a million points is a load
# test, not a fuzz case (the EM is reset to the original small world after any case that changed it).
SIZE_KNOBS = ("backupServers", "tenants", "replicasPerTenant", "vmsPerReplica", "pointsPerVm")
# every family the query service of the default release (the one fuzzed here) answers for
QUERY_TYPES = tuple(t.name for t in served_types(registry.kind_names(DEFAULT_RELEASE)))

CASES: Counter[str] = Counter()
REQUESTS: Counter[str] = Counter()
STATUSES: Counter[int] = Counter()
TURN = [0]
DIRTY = [True]  # a case may have changed the EM: reset before the next
RULE_ID: list[str] = []


# -- per case: a fresh EM state and a session ---------------------------------------------------


def fresh_state() -> tuple[LogonSession, str]:
    """The EM as it started (world, clock, no sessions, empty journal) with a saved snapshot and a
    harmless fault rule, and a new session: in turn the administrator and each tenant. A full reset
    only follows a case that may have changed something (a 2xx to anything but GET); otherwise
    ending the sessions is enough. Returns the session and the fault rule's id."""
    if DIRTY[0] or not RULE_ID:
        EM.reset()
        for hook in APP.state.reset_hooks:
            hook()
        EM.snapshots.clear()
        EM.save_snapshot(SNAPSHOT)
        RULE_ID[:] = [APP.state.faults.add(NewFault(**HARMLESS_FAULT).spec()).id]
        DIRTY[0] = False
    EM.sessions.expire_all()
    TURN[0] += 1
    tenants = list(EM.world.tenants.values())
    choice = TURN[0] % (len(tenants) + 1)
    if choice == 0:
        session = EM.logon(*ADMIN)
    else:
        tenant = tenants[choice - 1]
        session = EM.logon_tenant(tenant.username, tenant.password)
    assert session is not None
    return session, RULE_ID[0]


def real_values(name: str, session: LogonSession, rule_id: str, chosen: dict[str, Any]) -> list[str]:
    """Existing values for a path parameter (empty when the name is not one we know)."""
    world = EM.world
    if name == "point_id":
        return [str(i) for i in world.points]
    if name == "replica_id":
        return [str(i) for i in world.replicas]
    if name == "tenant_id":
        return [str(i) for i in world.tenants]
    if name == "server_id":
        return [str(i) for i in world.backup_servers]
    if name == "session_id":
        return [str(session.session_id)]
    if name == "name":
        return [SNAPSHOT]
    if name == "rule_id":
        return [rule_id]
    if name == "vm_name":
        try:
            replica = world.replicas[UUID(str(chosen.get("replica_id")))]
        except (ValueError, KeyError):
            replica = next(iter(world.replicas.values()))
        return [vm.name for vm in replica.vms]
    return []


def use_real_ids(case: schemathesis.Case, session: LogonSession, rule_id: str) -> None:
    """For two cases in three (decided by the generated value, so derandomized runs repeat), put
    existing ids into the path."""
    params = case.path_parameters or {}
    for name in sorted(params, key=lambda n: n != "replica_id"):  # the replica before its VMs
        value = params[name]
        pick = zlib.crc32(repr(value).encode())
        candidates = real_values(name, session, rule_id, params)
        if candidates and pick % 3:
            params[name] = candidates[pick % len(candidates)]


def clamp_body(case: schemathesis.Case) -> None:
    """Keep regenerated worlds small."""
    if case.path == "/mock/world/regenerate" and isinstance(case.body, dict):
        for knob in SIZE_KNOBS:
            value = case.body.get(knob)
            if isinstance(value, int) and not isinstance(value, bool) and value > 2:
                case.body[knob] = 2


def variants(case: schemathesis.Case) -> list[dict[str, Any]]:
    """Extra (params, headers) for GET routes of the vendor API that the OpenAPI does not describe."""
    if case.method != "GET" or not case.path.startswith("/api"):
        return [{}]
    if case.path == "/api/query":
        return [
            {"params": {"type": t, "format": f}, "headers": h}
            for t in QUERY_TYPES
            for f in ("References", "Entities")
            for h in ({}, JSON_ACCEPT)
        ]
    if case.path in ("/api", "/api/querySvc", "/api/cloud") or case.path.startswith("/api/logonSessions"):
        return [{}, {"headers": JSON_ACCEPT}]
    return [
        {},
        {"params": {"format": "Entity"}},
        {"headers": JSON_ACCEPT},
        {"params": {"format": "Entity"}, "headers": JSON_ACCEPT},
    ]


# -- what every answer must be ---------------------------------------------------------------------


def as_httpx(response: schemathesis.Response) -> httpx.Response:
    """schemathesis's response as an httpx one (for the shared Veeam Error check)."""
    headers = [(k, v) for k, values in response.headers.items() for v in values if k != "content-encoding"]
    return httpx.Response(response.status_code, headers=headers, content=response.content)


def check_answer(case: schemathesis.Case, response: schemathesis.Response, accept_json: bool) -> None:
    """No 5xx; errors are Veeam Errors; 2xx XML validates; 2xx JSON parses; 204 is empty."""
    STATUSES[response.status_code] += 1
    case.validate_response(response, checks=[not_a_server_error])
    answer = as_httpx(response)
    content_type = answer.headers.get("content-type", "")
    if answer.status_code >= 400:
        error_fields(answer)
        return
    if answer.status_code == 204:
        assert answer.content == b"", answer.content[:200]
        return
    if case.method == "HEAD":
        return
    if case.path.startswith("/mock"):  # the control plane: JSON (FastAPI's JSONResponse), or a dashboard page
        assert content_type.startswith(("application/json", "text/", "application/javascript")), content_type
        if content_type.startswith("application/json"):
            json.loads(answer.content)
    elif accept_json:
        assert content_type == "application/json; charset=utf-8", (case.path, content_type)
        json.loads(answer.content)
    else:
        assert content_type == "application/xml; charset=utf-8", (case.path, content_type)
        assert_valid(answer.content)


# -- known bugs: tolerated here (counted), each pinned by an xfail(strict) test in test_hostile_input --

KNOWN_BUG_HITS: Counter[str] = Counter()


def known_bug(case: schemathesis.Case, exc: Exception) -> str | None:
    """The name of the known bug this exception is, or None (then the case fails).

    Remove an entry when its xfail test in test_hostile_input starts passing (strict xfail turns
    that into a failure, as a reminder)."""
    return None  # none known at present


def run_case(case: schemathesis.Case) -> None:
    """Send the case (and its variants) from a fresh state with a session, and check each answer."""
    CASES[f"{case.method} {case.path}"] += 1
    session, rule_id = fresh_state()
    use_real_ids(case, session, rule_id)
    clamp_body(case)
    base_headers: dict[str, str] = {}
    if case.path.startswith("/api") and case.path not in ("/api", "/api/sessionMngr"):
        base_headers[SESSION_HEADER] = session.token
    for variant in variants(case):
        headers = {**base_headers, **variant.get("headers", {})}
        kwargs: dict[str, Any] = {"headers": headers}
        if variant.get("params"):
            kwargs["params"] = variant["params"]
        if case.path == "/api/sessionMngr" and CASES[f"{case.method} {case.path}"] % 2:
            kwargs["auth"] = ADMIN
        REQUESTS[f"{case.method} {case.path}"] += 1
        try:
            response = case.call(**kwargs)
        except Exception as exc:  # the in-process transport re-raises what became a 500
            bug = known_bug(case, exc)
            if bug is None:
                raise
            KNOWN_BUG_HITS[bug] += 1
            DIRTY[0] = True
            continue
        if case.method not in ("GET", "HEAD") and response.status_code < 300:
            DIRTY[0] = True
        check_answer(case, response, "application/json" in headers.get("Accept", ""))


FUZZ_SETTINGS = settings(
    max_examples=MAX_EXAMPLES,
    derandomize=True,
    deadline=None,
    database=None,
    suppress_health_check=list(HealthCheck),
)


@pytest.fixture(scope="module", autouse=True)
def _summary(request: pytest.FixtureRequest) -> Iterator[None]:
    """After the module: how many cases and requests each operation got, and the statuses seen."""
    yield
    if not CASES:
        return
    lines = ["", f"schemathesis fuzz: max_examples={MAX_EXAMPLES} per operation and mode; cases (requests):"]
    single = sorted(name for name in CASES if CASES[name] == 1 and REQUESTS[name] == 1)
    lines += [f"  {CASES[name]:4d} ({REQUESTS[name]:4d})  {name}" for name in sorted(set(CASES) - set(single))]
    lines.append(f"     1 (   1)  each of {len(single)} more (coverage cases: mostly methods a route does not allow)")
    total_cases, total_requests = sum(CASES.values()), sum(REQUESTS.values())
    lines.append(f"  {total_cases} cases, {total_requests} requests; statuses {dict(sorted(STATUSES.items()))}")
    if KNOWN_BUG_HITS:
        lines.append(f"  known bugs hit (pinned by xfail tests): {dict(KNOWN_BUG_HITS)}")
    capture = request.config.pluginmanager.get_plugin("capturemanager")
    with capture.global_and_fixture_disabled() if capture else contextlib.nullcontext():
        print("\n".join(lines), flush=True)


@SCHEMA.parametrize()
@FUZZ_SETTINGS
def test_fuzz_operation(case: schemathesis.Case) -> None:
    """Any generated request to any operation: no 5xx, Veeam Errors, schema-valid XML."""
    run_case(case)


def test_openapi_describes_every_vendor_route() -> None:
    """Every `/api` route is in the OpenAPI document schemathesis reads, so none escapes the fuzz."""
    described = {(m.upper(), p) for p, ops in APP.openapi()["paths"].items() for m in ops}
    routed = {(m, p) for p, methods in route_table(APP) for m in methods if p.startswith("/api") and m != "HEAD"}
    assert routed, "the route table is empty"
    assert routed - described == set()


def test_openapi_describes_vendor_parameters() -> None:
    """The query operation documents its parameters and the session header (so fuzzers send them)."""
    operation = APP.openapi()["paths"]["/api/query"]["get"]
    names = {p["name"].casefold() for p in operation.get("parameters", [])}
    assert {"type", "format", "filter", "page", "pagesize", "x-restsvcsessionid"} <= names


# -- Hypothesis: generated worlds render schema-valid XML and matching JSON -------------------------


def xml_pairs(element: etree._Element) -> Counter[tuple[str, str]]:
    """(name, value) of every attribute and every leaf element's text (namespace declarations and
    empty values left out)."""
    pairs: Counter[tuple[str, str]] = Counter()
    for node in element.iter():
        if not isinstance(node.tag, str):
            continue
        for name, value in node.attrib.items():
            if value != "":
                pairs[(etree.QName(name).localname, value)] += 1
        if len(node) == 0 and node.text and node.text.strip():
            pairs[(etree.QName(node).localname, node.text)] += 1
    return pairs


def json_pairs(data: Any, key: str = "") -> Counter[tuple[str, str]]:
    """(key, value) of every scalar in a JSON document, values written as XML writes them."""
    pairs: Counter[tuple[str, str]] = Counter()
    if isinstance(data, dict):
        for name, value in data.items():
            pairs += json_pairs(value, name)
    elif isinstance(data, list):
        for item in data:
            pairs += json_pairs(item, key)
    elif data is None or data == "":
        pass
    elif isinstance(data, bool):
        pairs[(key, "true" if data else "false")] += 1
    else:
        pairs[(key, str(data))] += 1
    return pairs


def resource_urls(world: Any, session_id: str) -> list[str]:
    """Every resource of the vendor API for this world, in reference and entity forms."""
    urls = ["/api/", "/api/logonSessions", f"/api/logonSessions/{session_id}", "/api/cloud", "/api/querySvc"]
    collections = {
        "/api/backupServers": world.backup_servers,
        "/api/cloud/tenants": world.tenants,
        "/api/cloud/replicas": world.replicas,
        "/api/cloud/vmReplicaPoints": world.points,
    }
    for base, objects in collections.items():
        urls += [base, f"{base}?format=Entity"]
        for object_id in objects:
            urls += [f"{base}/{object_id}", f"{base}/{object_id}?format=Entity"]
    for replica_id in world.replicas:
        urls += [f"/api/cloud/replicas/{replica_id}/vmReplicaPoints"]
        urls += [f"/api/cloud/replicas/{replica_id}/vmReplicaPoints?format=Entity"]
    for query_type in QUERY_TYPES:
        urls += [f"/api/query?type={query_type}", f"/api/query?type={query_type}&format=Entities&pageSize=3"]
    return urls


@settings(max_examples=10, deadline=None, database=None, suppress_health_check=[HealthCheck.too_slow])
@given(
    seed=st.integers(min_value=0, max_value=2**32 - 1),
    backup_servers=st.integers(1, 2),
    tenants=st.integers(0, 3),
    replicas=st.integers(0, 2),
    vms=st.integers(0, 2),
    points=st.integers(0, 3),
)
def test_any_generated_world_renders_valid_xml_and_matching_json(
    seed: int, backup_servers: int, tenants: int, replicas: int, vms: int, points: int
) -> None:
    """Every resource of any small generated world: schema-valid XML (the client's response hook
    validates it) and JSON carrying exactly the XML's names and values."""
    client = make_client(
        Settings(
            seed=seed,
            backup_servers=backup_servers,
            tenants=tenants,
            replicas_per_tenant=replicas,
            vms_per_replica=vms,
            points_per_vm=points,
        )
    )
    try:
        token = client.logon()
        session_id = next(iter(client.em.sessions.live())).session_id
        for url in resource_urls(client.em.world, str(session_id)):
            as_xml = client.get_as(token, url)
            as_json = client.get_as(token, url, headers=JSON_ACCEPT)
            assert as_xml.status_code == as_json.status_code == 200, (url, as_xml.text[:300])
            root = assert_valid(as_xml.content)
            assert xml_pairs(root) == json_pairs(as_json.json()), url
    finally:
        client.close()


# -- Hypothesis: any filter over HTTP is a result or a 400 Veeam Error --------------------------------

FILTER_ATOMS = st.sampled_from(
    [
        *("Name", "VmName", "CreationTime", "State", "Type", "UID", "ReplicaName", "Platform", "Enabled", "Port"),
        *("==", "!=", ">=", "<=", "<", ">", ";", ",", "(", ")", '"', '""', " ", "srv01", "2026-01-01", "Ready", "1"),
    ]
)
FILTERS = st.one_of(
    st.lists(FILTER_ATOMS, max_size=12).map("".join),
    st.text(max_size=40),
    st.text(alphabet="()", max_size=200),
)


@pytest.fixture(scope="module")
def query_client() -> Iterator[Any]:
    """One checked client over a small world, with an administrator and a tenant token."""
    client = make_client(SETTINGS)
    tenant = next(iter(client.em.world.tenants.values()))
    client.cookies.clear()
    logon = client.post("/api/sessionMngr/", content=login_spec(tenant.username, tenant.password))
    assert logon.status_code == 201, logon.text
    client.tokens = [client.logon(), logon.headers[SESSION_HEADER]]  # type: ignore[attr-defined]
    yield client
    client.close()


@settings(max_examples=150, deadline=None, database=None, suppress_health_check=list(HealthCheck))
@given(
    text=FILTERS,
    query_type=st.sampled_from(QUERY_TYPES),
    entities=st.booleans(),
    as_json=st.booleans(),
    tenant=st.booleans(),
)
def test_any_filter_is_a_result_or_a_veeam_400(
    query_client: Any, text: str, query_type: str, entities: bool, as_json: bool, tenant: bool
) -> None:
    """Whatever the filter text, the answer is 200 (schema-valid), 400 or (a tenant asking for
    provider types) 403, always with a Veeam Error for the errors."""
    params = {"type": query_type, "filter": text, "format": "Entities" if entities else "References"}
    headers = JSON_ACCEPT if as_json else {}
    response = query_client.get_as(query_client.tokens[tenant], "/api/query", params=params, headers=headers)
    assert response.status_code in (200, 400, 403), (text, response.status_code, response.text[:300])
    if response.status_code != 200:
        error_fields(response)


# -- Hypothesis: session life cycles --------------------------------------------------------------


class SessionLifeCycle(RuleBasedStateMachine):
    """Logons, uses, logoffs and idle time in any order; the EM agrees with a simple model: a token
    works exactly while its session was neither logged off nor idle for more than the timeout."""

    def __init__(self) -> None:
        super().__init__()
        self.clock = Clock(START, frozen=True)
        self.client = make_client(
            Settings(tenants=2, replicas_per_tenant=1, vms_per_replica=1, points_per_vm=1), self.clock
        )
        self.timeout = self.client.em.sessions.idle_timeout
        self.sessions: dict[str, dict[str, Any]] = {}  # token → {"id", "last", "user", "alive"}
        self.tenants = list(self.client.em.world.tenants.values())

    def teardown(self) -> None:
        self.client.close()

    def _alive(self, token: str) -> bool:
        state = self.sessions[token]
        return state["alive"] and self.clock.now() - state["last"] <= self.timeout

    @rule(who=st.integers(0, 2))
    def logon(self, who: int) -> None:
        """Log on as the administrator or a tenant."""
        self.client.cookies.clear()
        if who == 0 or not self.tenants:
            response = self.client.post("/api/sessionMngr/?v=latest", auth=ADMIN)
            user = f"EM01\\{ADMIN[0]}"
        else:
            tenant = self.tenants[(who - 1) % len(self.tenants)]
            response = self.client.post("/api/sessionMngr/", content=login_spec(tenant.username, tenant.password))
            user = tenant.username
        assert response.status_code == 201, response.text
        token = response.headers[SESSION_HEADER]
        assert token not in self.sessions, "a token was handed out twice"
        sid = etree.fromstring(response.content).findtext("{http://www.veeam.com/ent/v1.0}SessionId")
        self.sessions[token] = {"id": sid, "last": self.clock.now(), "user": user, "alive": True}

    @precondition(lambda self: bool(self.sessions))
    @rule(index=st.integers(0, 100))
    def use(self, index: int) -> None:
        """A request with a token: 200 with its own session while alive, else 401."""
        token = list(self.sessions)[index % len(self.sessions)]
        state = self.sessions[token]
        response = self.client.get_as(token, f"/api/logonSessions/{state['id']}")
        if self._alive(token):
            assert response.status_code == 200, response.text
            assert (
                etree.fromstring(response.content).findtext("{http://www.veeam.com/ent/v1.0}UserName") == state["user"]
            )
            state["last"] = self.clock.now()
        else:
            assert response.status_code == 401, (response.status_code, response.text)
            error_fields(response)
            state["alive"] = False

    @precondition(lambda self: bool(self.sessions))
    @rule(index=st.integers(0, 100))
    def logoff(self, index: int) -> None:
        """DELETE its own session: 204 while alive (then the token is dead), else 401."""
        token = list(self.sessions)[index % len(self.sessions)]
        state = self.sessions[token]
        self.client.cookies.clear()
        response = self.client.delete(f"/api/logonSessions/{state['id']}", headers={SESSION_HEADER: token})
        if self._alive(token):
            assert response.status_code == 204, response.text
        else:
            assert response.status_code == 401, response.text
        state["alive"] = False

    @rule(minutes=st.integers(0, 20))
    def idle(self, minutes: int) -> None:
        """Time passes."""
        self.clock.advance(timedelta(minutes=minutes))

    @invariant()
    def live_sessions_match(self) -> None:
        """The EM holds exactly the sessions the model says are alive (expired ones are purged)."""
        listed = {str(s.session_id) for s in self.client.em.sessions.live()}  # what GET /mock/sessions lists
        expected = {s["id"] for t, s in self.sessions.items() if self._alive(t)}
        assert listed == expected


def test_session_life_cycles() -> None:
    """Random interleavings of logon, use, logoff and idle time."""
    run_state_machine_as_test(
        SessionLifeCycle,
        settings=settings(
            max_examples=20,
            stateful_step_count=20,
            deadline=None,
            database=None,
            suppress_health_check=list(HealthCheck),
        ),
    )
