"""The Redis session store against a real redis-server: the in-memory store's behaviour, shared.

Two `RedisSessionStore` objects over one Redis stand for two processes of one EM. Expiry follows
the EM's (here frozen, virtual) clock, never Redis's own timers.
"""

from __future__ import annotations

import itertools
from collections.abc import Callable, Iterator
from datetime import UTC, datetime, timedelta
from uuid import UUID

import pytest

from mock_em.model.clock import Clock
from mock_em.model.entities import Account, Role
from mock_em.model.sessions import InMemorySessionStore, Sessions
from mock_em.store.log import REPLAYING
from mock_em.store.redis_server import RedisServer, redis_server_binary
from mock_em.store.sessions import RedisSessionStore, stamp, unstamp

redis = pytest.importorskip("redis", reason="the redis package is not installed: pip install -e '.[redis]'")
pytestmark = pytest.mark.skipif(
    redis_server_binary() is None, reason="redis-server is not installed (apt-get install redis-server)"
)

START = datetime(2026, 1, 5, 12, 0, 0, tzinfo=UTC)
IDLE = timedelta(minutes=15)
ADMIN = Account("Administrator", "P@ssw0rd", Role.PortalAdministrator)
TENANT = Account("acme", "s3cret", Role.CloudTenant, UUID("6b2b42d5-3850-421c-93c1-e063f12a2ead"))
_prefixes = itertools.count()

Factory = Callable[..., RedisSessionStore]


@pytest.fixture(scope="module")
def redis_client() -> Iterator[redis.Redis]:
    """A private redis-server (Unix socket, nothing on disk) for this module."""
    with RedisServer() as server:
        client = redis.Redis.from_url(server.url)
        yield client
        client.close()


@pytest.fixture
def clock() -> Clock:
    """The EM's clock: virtual and frozen, moved by hand."""
    return Clock(START, frozen=True)


@pytest.fixture
def stores(redis_client: redis.Redis, clock: Clock) -> Factory:
    """`stores(seed=1)` → a store under this test's own prefix; call it twice for two processes.
    Random session ids (the default) unless `deterministic=True`."""
    prefix = f"test-{next(_prefixes)}:"

    def make(seed: int = 1, idle: timedelta = IDLE, deterministic: bool = False) -> RedisSessionStore:
        return RedisSessionStore(redis_client, prefix, clock, seed, idle, deterministic=deterministic)

    return make


def test_it_is_a_session_store(stores: Factory) -> None:
    """Both stores satisfy the interface the EM uses."""
    assert isinstance(stores(), Sessions)
    assert isinstance(InMemorySessionStore(Clock(START, frozen=True), 1), Sessions)


def test_ids_and_tokens_match_the_in_memory_store_across_processes(stores: Factory) -> None:
    """Deterministic mode: the n-th logon gets the in-memory store's n-th id and token, whichever
    process makes it."""
    first, second = stores(seed=7, deterministic=True), stores(seed=7, deterministic=True)
    shared = [first.logon(ADMIN, "EM01\\Administrator"), second.logon(ADMIN, "x"), first.logon(TENANT, "acme")]
    local = InMemorySessionStore(Clock(START, frozen=True), 7, deterministic=True)
    expected = [local.logon(ADMIN, "u") for _ in range(3)]
    assert [(s.session_id, s.token) for s in shared] == [(s.session_id, s.token) for s in expected]
    assert len({s.token for s in shared}) == 3


def test_a_session_made_in_one_process_is_valid_in_another(stores: Factory, clock: Clock) -> None:
    """Logon through one store; the other finds it by token and by id, with the same details."""
    made = stores().logon(TENANT, "acme")
    other = stores()
    clock.advance(timedelta(minutes=5))
    used = other.use(made.token)
    assert used is not None
    assert (used.session_id, used.token, used.user_name, used.created) == (
        made.session_id,
        made.token,
        "acme",
        START,
    )
    assert (used.account.user_name, used.account.role, used.account.tenant_id) == (
        "acme",
        Role.CloudTenant,
        TENANT.tenant_id,
    )
    assert used.account.password == ""  # not kept in the shared store
    assert used.last_used == START + timedelta(minutes=5)
    found = other.get(made.session_id)
    assert found is not None and found.token == made.token
    assert other.use("no-such-token") is None
    assert other.get(UUID(int=1)) is None


def test_idle_expiry_follows_the_ems_clock(stores: Factory, clock: Clock) -> None:
    """Exactly the idle timeout after the last use a session lives; a microsecond later it is gone,
    in every process; use refreshes it, peek and get do not."""
    one, two = stores(), stores()
    session = one.logon(ADMIN, "EM01\\Administrator")
    clock.advance(IDLE)
    assert two.peek(session.token) is not None
    assert two.use(session.token) is not None  # used at START + 15m: the timeout starts again
    clock.advance(IDLE)
    assert one.get(session.session_id) is not None
    assert one.peek(session.token) is not None
    clock.advance(timedelta(microseconds=1))
    assert one.peek(session.token) is None
    assert two.get(session.session_id) is None
    assert two.live() == []
    assert one.use(session.token) is None
    clock.set(START)  # moving the clock back does not revive a session that was dropped
    assert one.use(session.token) is None


def test_expiry_is_exact_for_far_future_virtual_times(stores: Factory, clock: Clock) -> None:
    """Times compare as text in Lua, so a clock in year 9000 expires sessions to the microsecond."""
    clock.set(datetime(9000, 1, 1, tzinfo=UTC))
    store = stores()
    session = store.logon(ADMIN, "a")
    clock.advance(IDLE)
    assert store.use(session.token) is not None
    clock.advance(IDLE + timedelta(microseconds=1))
    assert store.use(session.token) is None
    assert unstamp(stamp(datetime(9000, 1, 1, 0, 0, 0, 1, tzinfo=UTC))) == datetime(9000, 1, 1, 0, 0, 0, 1, tzinfo=UTC)


def test_logoff_in_one_process_is_honoured_by_another(stores: Factory) -> None:
    """Logoff through one store ends the session for all; a second logoff finds nothing."""
    one, two = stores(), stores()
    session = one.logon(ADMIN, "a")
    assert two.logoff(session.session_id) is True
    assert one.use(session.token) is None
    assert one.get(session.session_id) is None
    assert one.logoff(session.session_id) is False


def test_live_lists_every_processes_sessions_oldest_first(stores: Factory, clock: Clock) -> None:
    """`live` sees sessions of all processes in logon order, without the idle ones."""
    one, two = stores(), stores()
    first = one.logon(ADMIN, "a")
    clock.advance(IDLE)
    second = two.logon(TENANT, "acme")
    third = one.logon(ADMIN, "b")
    assert [s.session_id for s in two.live()] == [first.session_id, second.session_id, third.session_id]
    clock.advance(timedelta(seconds=1))  # the first has now been idle longer than the timeout
    assert [s.session_id for s in one.live()] == [second.session_id, third.session_id]
    # Sessions of the same account compare equal by account, as the EM's visibility rules need.
    assert one.live()[0].account != one.live()[1].account
    assert two.use(third.token).account == one.peek(third.token).account  # type: ignore[union-attr]


def test_expire_all_ends_every_session(stores: Factory) -> None:
    """`expire_all` ends the sessions of all processes and says how many there were."""
    one, two = stores(), stores()
    sessions = [one.logon(ADMIN, "a"), two.logon(ADMIN, "b")]
    assert two.expire_all() == 2
    assert all(one.use(s.token) is None for s in sessions)
    assert one.live() == []
    assert one.expire_all() == 0
    # Logons go on with fresh ids after it: expiring sessions does not rewind the id sequence.
    assert one.logon(ADMIN, "c").session_id not in {s.session_id for s in sessions}


def test_replayed_commands_leave_the_shared_sessions_alone(stores: Factory) -> None:
    """While a process re-applies another's command, its end-all or end-one changes nothing: the
    process that received the command made that change already, and newer sessions must stay."""
    store = stores()
    session = store.logon(ADMIN, "a")
    token = REPLAYING.set(True)
    try:
        assert store.expire_all() == 0
        assert store.logoff(session.session_id) is False
    finally:
        REPLAYING.reset(token)
    assert store.use(session.token) is not None


def test_an_emptied_store_starts_the_ids_over(stores: Factory, redis_client: redis.Redis) -> None:
    """Deterministic mode: after the store is flushed the counter restarts, and so do the ids (as a
    fresh EM's would)."""
    store = stores(seed=3, deterministic=True)
    before = [store.logon(ADMIN, "a").session_id for _ in range(2)]
    redis_client.flushdb()
    assert store.logon(ADMIN, "a").session_id == before[0]


def test_many_logons_sweep_expired_sessions(stores: Factory, clock: Clock, redis_client: redis.Redis) -> None:
    """Expired sessions nobody asks for again are swept away as logons go on."""
    store = stores(idle=timedelta(seconds=1))
    for _ in range(70):
        store.logon(ADMIN, "a")
        clock.advance(timedelta(seconds=2))
    prefix = store._counter.removesuffix("sessions:logons")
    assert redis_client.hlen(f"{prefix}sessions:data") < 10
