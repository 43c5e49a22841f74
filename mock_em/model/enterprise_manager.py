"""The Enterprise Manager itself: one world, one clock, its accounts and its live sessions.

The api layer asks it questions ("who is this token?", "whose sessions may this caller see?") and
renders the answers; it never sees a request or an XML element. What a caller may read of the
world is the access policy's answer (`mock_em.model.access`).
"""

from __future__ import annotations

import copy
import random
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from uuid import UUID

from mock_em.model.access import Access, Forbidden, NotFound
from mock_em.model.accounts import Accounts, authenticate_tenant
from mock_em.model.clock import Clock
from mock_em.model.entities import Account, CloudVmReplicaPoint, LogonSession, PointState
from mock_em.model.instants import WHOLE_SECONDS, Instants
from mock_em.model.job_sessions import refresh_jobs
from mock_em.model.schedule import run_world
from mock_em.model.sessions import InMemorySessionStore, Sessions
from mock_em.model.world import World

__all__ = ["EnterpriseManager", "Forbidden", "NotFound", "Snapshot"]

UNUSUAL_STATES = (PointState.Failover, PointState.Failback, PointState.PermanentFailover, PointState.Unknown)
UNUSUAL_WEIGHTS = (5, 3, 1, 1)


@dataclass(frozen=True, slots=True)
class Snapshot:
    """A saved world and the instant it was current to."""

    world: World
    world_time: datetime


@dataclass
class EnterpriseManager:
    """Everything one emulated EM knows.

    `world_time` is the instant the world is current to: when the clock moves past it, the
    replication jobs run (`catch_up`) and leave the points their schedules imply. `origin`
    rebuilds the world the EM started with, so a reset needs no second copy of a large world.
    """

    world: World
    clock: Clock
    accounts: Accounts
    sessions: Sessions
    seed: int
    world_time: datetime = field(default=None)  # type: ignore[assignment]  # set in __post_init__
    origin: Callable[[], World] | None = None
    snapshots: dict[str, Snapshot] = field(default_factory=dict)
    rng: random.Random = field(default=None)  # type: ignore[assignment]  # ids of objects made by edits
    live: bool = False  # demo mode: the world follows the clock on every request
    unusual_state_rate: float = 0.0  # share of new points that end in a state other than Ready
    job_failure_rate: float | None = None  # demo mode: every job's tasks fail this often (None: as the world says)
    instants: Instants = WHOLE_SECONDS  # how precise the times it shows are (its release's)

    def __post_init__(self) -> None:
        self.initial_seed = self.seed  # what a reset returns to after a regenerate with another seed
        if self.world_time is None:
            self.world_time = self.clock.now()
        if self.rng is None:
            self.rng = random.Random(f"edits:{self.seed}")
        self.world.instants = self.instants
        # a generated world's fixture holds no NextRun or sessions (a recorded world's keeps its own)
        refresh_jobs(self.world, self.world_time, taken_over=True)

    @classmethod
    def create(
        cls,
        world: World,
        accounts: Iterable[Account],
        *,
        seed: int,
        clock: Clock | None = None,
        idle_timeout: timedelta = timedelta(minutes=15),
        machine_name: str = "EM01",
        origin: Callable[[], World] | None = None,
        deterministic_sessions: bool = False,
        instants: Instants = WHOLE_SECONDS,
    ) -> EnterpriseManager:
        """An EM over `world` with these EM user accounts; `origin` rebuilds `world` for resets.
        `instants`: how precise the times it shows are (its release's profile).

        Session ids are unguessable unless `deterministic_sessions` draws them from the seed."""
        clock = clock or Clock()
        sessions = InMemorySessionStore(clock, seed, idle_timeout, deterministic=deterministic_sessions)
        accounts_of = Accounts(accounts, machine_name)
        return cls(world, clock, accounts_of, sessions, seed, clock.now(), origin, instants=instants)

    # -- the world over time ----------------------------------------------------------------

    def catch_up(self) -> tuple[int, int]:
        """Run the replication jobs up to the clock's now; returns (points added, points removed).

        Moving the clock backwards leaves the world as it is: jobs do not un-run.
        """
        now = self.clock.now()
        if now <= self.world_time:
            return 0, 0
        on_added = self._maybe_unusual if self.unusual_state_rate > 0 else None
        changes = run_world(self.world, self.world_time, now, on_added)
        self.world_time = now
        return changes

    def fail_jobs_often(self, rate: float) -> None:
        """Demo mode: every job's tasks fail at `rate` (then retried as failures are), in this world
        and in every world the EM takes later, so that a demo shows failures and retries."""
        self.job_failure_rate = rate
        self._set_failure_rate()
        refresh_jobs(self.world, self.world_time, taken_over=True)

    def _set_failure_rate(self) -> None:
        if self.job_failure_rate is not None:
            for job in self.world.all("Job").values():
                job.failure_rate = self.job_failure_rate

    def _maybe_unusual(self, point: CloudVmReplicaPoint) -> None:
        """Some runs end a point in another state (a failover test, a broken chain): drawn from
        the point's own id, so the same seed and clock give the same states."""
        rng = random.Random(f"state:{self.seed}:{point.id}")
        if rng.random() < self.unusual_state_rate:
            point.state = rng.choices(UNUSUAL_STATES, UNUSUAL_WEIGHTS)[0]

    def replace_world(self, world: World, seed: int | None = None) -> None:
        """Serve another world from now on (regenerated, loaded or restored)."""
        world.version = self.world.version + 1  # anything cached for the old world is stale
        world.instants = self.instants
        self.world = world
        self.world_time = self.clock.now()
        self._set_failure_rate()
        refresh_jobs(world, self.world_time, taken_over=True)
        if seed is not None:
            self.seed = seed

    def reset(self) -> None:
        """Back to the world and clock the EM started with, with no sessions."""
        self.clock.reset()
        self.seed = self.initial_seed
        if self.origin is not None:
            self.replace_world(self.origin())
        self.sessions.expire_all()
        self.rng = random.Random(f"edits:{self.seed}")

    def save_snapshot(self, name: str) -> Snapshot:
        """Keep a copy of the world under `name` (replacing one of that name)."""
        snapshot = Snapshot(copy.deepcopy(self.world), self.world_time)
        self.snapshots[name] = snapshot
        return snapshot

    def restore_snapshot(self, name: str) -> None:
        """Serve a copy of the snapshot `name` (it stays saved for later restores)."""
        try:
            snapshot = self.snapshots[name]
        except KeyError:
            raise NotFound(f"Snapshot {name!r} was not found") from None
        self.replace_world(copy.deepcopy(snapshot.world))
        self.world_time = snapshot.world_time
        refresh_jobs(self.world, self.world_time, taken_over=True)

    # -- sessions ---------------------------------------------------------------------------

    def logon(self, user_name: str, password: str) -> LogonSession | None:
        """Log an EM user on with Basic credentials; None when they do not match."""
        account = self.accounts.authenticate(user_name, password)
        if account is None:
            return None
        return self.sessions.logon(account, self.accounts.display_name(account))

    def logon_tenant(self, username: str, password: str) -> LogonSession | None:
        """Log a Cloud Connect tenant on with its TenantCredentials; None when they do not match."""
        account = authenticate_tenant(self.world.tenants.values(), username, password)
        if account is None:
            return None
        return self.sessions.logon(account, account.user_name)

    def visible_sessions(self, caller: LogonSession) -> list[LogonSession]:
        """`/logonSessions`: the caller's own session first (clients delete `[0]` to log off),
        then, for administrators, every other live session."""
        others = [s for s in self.sessions.live() if s.session_id != caller.session_id]
        if not Access.of(caller.account).sees_all_sessions:
            others = [s for s in others if s.account == caller.account]
        return [caller, *others]

    def find_session(self, caller: LogonSession, session_id: UUID) -> LogonSession:
        """A session the caller may see, or NotFound."""
        for session in self.visible_sessions(caller):
            if session.session_id == session_id:
                return session
        raise NotFound(f"Logon session {session_id} was not found")
