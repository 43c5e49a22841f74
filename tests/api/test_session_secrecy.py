"""Sessions no one can guess: by default a SessionId is a random version-4 GUID from the operating
system's secure source and the token is base64 of it (em-api.md §3.1), so two servers started with
the same settings share no token, and a caller who sees its own tokens learns nothing of anyone
else's. Deterministic sessions (`deterministic_sessions`) are an explicit choice for tests, shown in
the banner and in `/mock/about`, and keep the n-th id of a seed what it has always been.
"""

from __future__ import annotations

import base64
import itertools
import warnings
from collections.abc import Callable, Iterable
from uuid import UUID

import httpx
import pytest
from conftest import ADMIN, START, EmClient
from xmlutil import SESSION_HEADER, body, text

with warnings.catch_warnings():
    warnings.simplefilter("ignore")
    from starlette.testclient import TestClient

from mock_em.model.clock import Clock
from mock_em.model.ids import guid
from mock_em.model.sessions import session_rng
from mock_em.server import banner
from mock_em.settings import Settings
from mock_em.testing import MockEmServer

# The first SessionIds seed 1 has always handed out (captured before ids became random by
# default); deterministic mode must keep them, since stored captures are compared against them.
SEED_1_FIRST_IDS = [
    "868b830d-d962-4ce2-97e6-39a38cfde6e8",
    "5e73442c-7a5b-4b63-ad66-1349959a8c98",
    "a4297a48-44aa-4491-8a4d-20076c10395c",
]
PROBE = "/api/logonSessions"
VERSION_AND_VARIANT = (0xF << 76) | (0x3 << 62)  # the 6 bits a version-4 GUID fixes


def b64(session_id: str) -> str:
    """The contract's token for a SessionId."""
    return base64.b64encode(session_id.encode("ascii")).decode("ascii")


def logon(client: EmClient) -> tuple[str, str]:
    """Log the administrator on: (token, SessionId), after checking the token rule on the wire."""
    client.cookies.clear()
    response = client.post("/api/sessionMngr/?v=latest", auth=ADMIN)
    session_id = text(body(response, 201, "LogonSession"), "SessionId") or ""
    token = response.headers[SESSION_HEADER]
    assert token == b64(session_id) and len(token) == 48
    assert response.headers["set-cookie"] == f"{SESSION_HEADER}={token}; Path=/api;"
    client.cookies.clear()
    return token, session_id


def status_with(client: EmClient, token: str) -> int:
    """The status `GET /api/logonSessions` answers to this token (header only, no cookie)."""
    client.cookies.clear()
    return client.get(PROBE, headers={SESSION_HEADER: token}).status_code


def tenant_logon(client: EmClient, username: str, password: str) -> str:
    """Log a Cloud Connect tenant on with a LoginSpec; its token."""
    client.cookies.clear()
    spec = (
        '<LoginSpec xmlns="http://www.veeam.com/ent/v1.0"><TenantCredentials>'
        f"<Username>{username}</Username><Password>{password}</Password>"
        "</TenantCredentials></LoginSpec>"
    )
    response = client.post("/api/sessionMngr/?v=latest", content=spec, headers={"Content-Type": "application/xml"})
    assert response.status_code == 201, response.text
    client.cookies.clear()
    return response.headers[SESSION_HEADER]


def twins(em_client: Callable[..., EmClient], **settings: object) -> tuple[EmClient, EmClient]:
    """Two apps with identical settings and clocks (seed 7)."""
    one = em_client(seed=7, clock=Clock(START, frozen=True), **settings)
    two = em_client(seed=7, clock=Clock(START, frozen=True), **settings)
    return one, two


# -- two servers -------------------------------------------------------------------------------


def test_two_apps_with_the_same_settings_share_no_token(em_client: Callable[..., EmClient]) -> None:
    """Same seed, same clock, same logon order: different tokens, and each refuses the other's."""
    one, two = twins(em_client)
    for _ in range(3):
        (token_one, id_one), (token_two, id_two) = logon(one), logon(two)
        assert token_one != token_two and id_one != id_two
        assert status_with(one, token_one) == status_with(two, token_two) == 200
        assert status_with(two, token_one) == 401
        assert status_with(one, token_two) == 401


def test_deterministic_apps_hand_out_the_same_tokens(em_client: Callable[..., EmClient]) -> None:
    """With deterministic sessions on both, the n-th logon gets the same token in each, so a token
    of one is accepted by the other."""
    one, two = twins(em_client, deterministic_sessions=True)
    for _ in range(3):
        (token_one, id_one), (token_two, id_two) = logon(one), logon(two)
        assert (token_one, id_one) == (token_two, id_two)
        assert status_with(two, token_one) == 200


def test_deterministic_ids_are_the_ones_seed_1_always_gave(em_client: Callable[..., EmClient]) -> None:
    """Deterministic mode keeps drawing as before: seed 1's first SessionIds are unchanged."""
    client = em_client(clock=Clock(START, frozen=True), deterministic_sessions=True)
    assert [logon(client)[1] for _ in SEED_1_FIRST_IDS] == SEED_1_FIRST_IDS


def test_two_servers_with_the_same_settings_share_no_token() -> None:
    """The same holds for real servers on sockets (what the plugin and `serve` start)."""
    settings = Settings(host="127.0.0.1", port=0, seed=7, clock="2026-01-05T12:00:00Z")
    with MockEmServer(settings) as one, MockEmServer(settings) as two, one.client() as a, two.client() as b:
        token_a, token_b = a.logon(), b.logon()
        assert token_a != token_b
        assert a.about()["deterministicSessions"] is False

        def status(server: MockEmServer, token: str) -> int:
            return httpx.get(f"{server.url}{PROBE}", headers={SESSION_HEADER: token}).status_code

        assert status(one, token_a) == status(two, token_b) == 200
        assert status(one, token_b) == status(two, token_a) == 401


# -- what one caller can learn -----------------------------------------------------------------


def test_ids_are_distinct_random_version_4_guids(em_client: Callable[..., EmClient]) -> None:
    """200 logons: distinct version-4 GUIDs, tokens base64 of them, and no relation between them: every
    one of the 122 random bits takes both values, and consecutive ids are not a fixed step apart."""
    client = em_client(clock=Clock(START, frozen=True))
    made = [logon(client) for _ in range(200)]
    ids = [UUID(session_id) for _, session_id in made]
    assert len(set(ids)) == len(ids)
    assert all(i.version == 4 and i.variant == "specified in RFC 4122" for i in ids)
    assert all(str(i) == s for i, (_, s) in zip(ids, made, strict=True))  # lower-case, hyphenated
    random_bits = ~VERSION_AND_VARIANT & ((1 << 128) - 1)
    always_set = always_clear = random_bits
    for i in ids:
        always_set &= i.int
        always_clear &= ~i.int
    assert always_set == 0 and always_clear == 0
    steps = {b.int - a.int for a, b in itertools.pairwise(ids)}
    assert len(steps) == len(ids) - 1
    seeded = session_rng(client.em.seed)
    assert not {guid(seeded) for _ in range(1000)} & set(ids)


def derived_tokens(seen: Iterable[str], seed: int) -> set[str]:
    """Every token a caller could compute from the SessionIds it was given: neighbours of each id
    (as a number, either byte order), its raw bytes in base64 (the 24-character form), the session
    sequences of the seed and of small seeds (where the next id of a seeded mock-em would be), and the
    second GUID of each seeded draw (what such a mock-em once used as the token)."""
    seen = list(seen)
    candidates: set[UUID] = set()
    raw: set[str] = set()
    for text_id in seen:
        session_id = UUID(text_id)
        for step in (*range(-3, 0), *range(1, 4)):
            for number in (session_id.int, int.from_bytes(session_id.bytes_le, "big")):
                candidates.add(UUID(int=(number + step) % (1 << 128)))
                candidates.add(UUID(int=(number + (step << 64)) % (1 << 128)))
        raw.add(base64.b64encode(session_id.bytes).decode("ascii"))
    for any_seed in {seed, *range(11)}:
        rng = session_rng(any_seed)
        for _ in range(len(seen) + 8):
            candidates.update((guid(rng), guid(rng)))
    tokens = {b64(str(c)) for c in candidates} | raw
    return tokens - {b64(s) for s in seen}


@pytest.mark.parametrize("deterministic", [False, True], ids=["random", "deterministic"])
def test_a_tenant_cannot_derive_the_administrators_token(
    em_client: Callable[..., EmClient], deterministic: bool
) -> None:
    """A tenant logs on before and after the administrator and tries every token it can derive
    from its own SessionIds. By default all are refused; with deterministic sessions the seeded
    sequence gives the administrator's session away (why that mode is for tests only)."""
    client = em_client(clock=Clock(START, frozen=True), deterministic_sessions=deterministic)
    tenant = next(iter(client.em.world.tenants.values()))

    def tenant_session() -> str:
        token = tenant_logon(client, tenant.username, tenant.password)
        session_id = base64.b64decode(token, validate=True).decode("ascii")
        assert str(UUID(session_id)) == session_id
        return session_id

    seen = [tenant_session() for _ in range(3)]
    admin_token, _ = logon(client)
    seen += [tenant_session() for _ in range(3)]
    guesses = derived_tokens(seen, client.em.seed)
    assert len(guesses) > 400
    accepted = {guess for guess in guesses if status_with(client, guess) != 401}
    if deterministic:
        assert accepted == {admin_token}
    else:
        assert accepted == set()
        assert status_with(client, admin_token) == 200  # the administrator's session was live throughout


# -- the mode is visible -----------------------------------------------------------------------


@pytest.mark.parametrize("deterministic", [False, True], ids=["random", "deterministic"])
def test_about_and_banner_show_the_mode(em_client: Callable[..., EmClient], deterministic: bool) -> None:
    """`/mock/about` says whether sessions are deterministic; the start-up banner says so when they are."""
    client = em_client(deterministic_sessions=deterministic)
    with TestClient(client.app) as plain:  # the control plane's JSON, unchecked by the vendor schema
        about = plain.get("/mock/about")
    assert about.status_code == 200
    assert about.json()["deterministicSessions"] is deterministic
    shown = banner(Settings(deterministic_sessions=deterministic), client.em, None)
    assert ("deterministic sessions" in shown) is deterministic
    if deterministic:
        assert "predict" in shown
