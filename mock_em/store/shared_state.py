"""The state a control snapshot holds, as JSON: what replaying the control log builds in a process.

Every process of a shared EM applies the same control log, so after the same entries each holds
the same state; compaction (`mock_em.store.compaction`) writes that state down so that the log's
head can go. The state is written as plain JSON data, never as a pickle: a snapshot is read from
Redis, and a pickle read from there would run whatever code its writer put in it. JSON gives its
writer no more than the control plane already does.

What is in it, and why nothing else is needed:

* the world as its fixture (`world_to_dict`: the same data `mock-em generate` writes and
  `serve --fixture` reads, which keeps every edit the control plane can make: run edits live on
  their jobs, deleted points are simply absent), its version, and the instant it is current to;
  a generated world's sessions and catalogue are derived from its jobs at that instant, as when a
  fixture is served;
* the saved snapshots (`/mock/snapshots`), each a world and its instant;
* the seed and initial seed, and the state of the RNG edits draw ids from;
* the clock's state: anchor, frozen, rate, virtual, and what its running time counts from;
* the fault rules: ids, specs, each rule's RNG state and statistics, and the next id;
* the demo failure rate, and the wall time the last applied entry was pinned to.

Everything else (the settings, the accounts, the sessions in Redis) every process has already.
"""

from __future__ import annotations

import dataclasses
import random
from typing import Any

import orjson

from mock_em.model.clock import Clock
from mock_em.model.enterprise_manager import EnterpriseManager, Snapshot
from mock_em.model.faults import ConnectionFault, FaultRule, FaultRules, FaultSpec
from mock_em.model.fixture import world_from_dict, world_to_dict
from mock_em.model.fixture_values import format_time, parse_time
from mock_em.model.instants import Instants
from mock_em.model.job_sessions import refresh_jobs
from mock_em.model.world import World

FORMAT = "mock-em/control-snapshot"
FORMAT_VERSION = 2  # 1 was a pickle; bumped whenever the contents change (an older one is not loaded)

# The clock's own state (`Clock`, `ReplicatedClock`); its start settings (`_initial`, `epoch`)
# come from the settings every process shares.
_CLOCK_TIMES = ("_anchor",)
_CLOCK_VALUES = ("_frozen", "_rate", "virtual", "_started", "_wall")


class SnapshotError(ValueError):
    """A control snapshot this version of mock-em cannot read."""


def capture(em: EnterpriseManager, faults: FaultRules, last_pin: float) -> bytes:
    """This process's shared state as JSON (call between two applied entries)."""
    clock = em.clock
    with clock._lock, faults._lock:
        state: dict[str, Any] = {
            "Format": FORMAT,
            "FormatVersion": FORMAT_VERSION,
            "world": _world(em.world),
            "worldTime": format_time(em.world_time),
            "seed": em.seed,
            "initialSeed": em.initial_seed,
            "snapshots": [
                {"name": name, "world": _world(saved.world), "worldTime": format_time(saved.world_time)}
                for name, saved in em.snapshots.items()
            ],
            "rng": _rng_state(em.rng.getstate()),
            "jobFailureRate": em.job_failure_rate,
            "clock": _clock_state(clock),
            "faults": {"next": faults._next, "rules": [_rule(rule) for rule in faults._rules.values()]},
            "lastPin": last_pin,
        }
    return orjson.dumps(state)


def restore(em: EnterpriseManager, faults: FaultRules, blob: bytes) -> float:
    """Make this process's shared state the snapshot's; returns the replication pin it held.

    SnapshotError (nothing changed) for a snapshot of another format or version, or one it cannot read."""
    try:
        state = orjson.loads(blob)
    except orjson.JSONDecodeError:
        raise SnapshotError("the control snapshot is not JSON (written by an older mock-em?)") from None
    if not isinstance(state, dict) or state.get("Format") != FORMAT:
        raise SnapshotError("the control snapshot is not a mock-em control snapshot")
    if state.get("FormatVersion") != FORMAT_VERSION:
        raise SnapshotError(
            f"control snapshot version {state.get('FormatVersion')!r}; this mock-em reads {FORMAT_VERSION}"
        )
    # Everything is read before anything changes: a snapshot that fails to load leaves the process as it was.
    try:
        world = _load_world(state["world"])
        snapshots = {saved["name"]: _load_saved(saved, em.instants) for saved in state["snapshots"]}
        rules = {rule.id: rule for rule in (_load_rule(data) for data in state["faults"]["rules"])}
        following = int(state["faults"]["next"])
        world_time, rng = parse_time(state["worldTime"]), _rng_tuple(state["rng"])
        seed, initial_seed, rate = int(state["seed"]), int(state["initialSeed"]), state["jobFailureRate"]
        rate = None if rate is None else float(rate)
        clock, pin = dict(state["clock"]), float(state["lastPin"])
        clock.update({name: parse_time(clock[name]) for name in _CLOCK_TIMES})
    except (KeyError, TypeError, ValueError) as exc:  # (a FixtureError is a ValueError that says where)
        raise SnapshotError(f"the control snapshot cannot be read: {exc!r}") from None
    # Caches are kept per world version: the loaded world must not reuse this process's numbers.
    world.version = max(world.version, em.world.version) + 1
    world.instants = em.instants
    em.world, em.world_time, em.job_failure_rate = world, world_time, rate
    em._set_failure_rate()
    # a generated world's sessions and next runs are derived at its own instant, as the writer had them
    refresh_jobs(world, world_time, taken_over=True)
    em.seed, em.initial_seed, em.snapshots = seed, initial_seed, snapshots
    em.rng.setstate(rng)
    _load_clock(em.clock, clock)
    with faults._lock:
        faults._rules, faults._next = rules, following
    return pin


class SharedState:
    """What a snapshot holds for one process: its EM and its fault rules."""

    def __init__(self, em: EnterpriseManager, faults: FaultRules) -> None:
        self.em = em
        self.faults = faults

    def capture(self, last_pin: float) -> bytes:
        """See `capture`."""
        return capture(self.em, self.faults, last_pin)

    def restore(self, blob: bytes) -> float:
        """See `restore`."""
        return restore(self.em, self.faults, blob)


# -- the world ---------------------------------------------------------------------------------


def _world(world: World) -> dict[str, Any]:
    data = world_to_dict(world)
    data["Version"] = world.version
    return data


def _load_world(data: dict[str, Any]) -> World:
    world = world_from_dict(data)
    world.version = int(data.get("Version", 0))
    return world


def _load_saved(data: dict[str, Any], instants: Instants) -> Snapshot:
    """A saved snapshot: its world with the sessions and catalogue derived at its own instant, as
    `save_snapshot`'s copy held them."""
    world = _load_world(data["world"])
    world.instants = instants
    world_time = parse_time(data["worldTime"])
    refresh_jobs(world, world_time, taken_over=True)
    return Snapshot(world, world_time)


# -- random generators: `Random.getstate()` is (version, 625 ints, gauss_next) -----------------


def _rng_state(state: tuple[Any, ...]) -> list[Any]:
    version, internal, gauss_next = state
    return [version, list(internal), gauss_next]


def _rng_tuple(data: list[Any]) -> tuple[Any, ...]:
    version, internal, gauss_next = data
    return (int(version), tuple(int(word) for word in internal), gauss_next)


# -- the clock ---------------------------------------------------------------------------------


def _clock_state(clock: Clock) -> dict[str, Any]:
    state: dict[str, Any] = {name: format_time(getattr(clock, name)) for name in _CLOCK_TIMES}
    state.update({name: getattr(clock, name) for name in _CLOCK_VALUES if hasattr(clock, name)})
    return state


def _load_clock(clock: Clock, state: dict[str, Any]) -> None:
    """Set the clock's state (its times already read back)."""
    with clock._lock:
        for name in (*_CLOCK_TIMES, *_CLOCK_VALUES):
            if name in state and hasattr(clock, name):
                setattr(clock, name, state[name])


# -- fault rules -------------------------------------------------------------------------------


def _rule(rule: FaultRule) -> dict[str, Any]:
    spec = dataclasses.asdict(rule.spec)
    if rule.spec.connection is not None:
        spec["connection"] = rule.spec.connection.value
    return {
        "id": rule.id,
        "spec": spec,
        "rng": _rng_state(rule.rng.getstate()),
        "matched": rule.matched,
        "fired": rule.fired,
        "skipped": rule.skipped,
    }


def _load_rule(data: dict[str, Any]) -> FaultRule:
    spec = dict(data["spec"])
    if spec.get("connection") is not None:
        spec["connection"] = ConnectionFault(spec["connection"])
    rng = random.Random()
    rng.setstate(_rng_tuple(data["rng"]))
    return FaultRule(data["id"], FaultSpec(**spec), rng, int(data["matched"]), int(data["fired"]), int(data["skipped"]))
