"""The world generator: deterministic for a seed, sized as asked, realistic in its names, and
continued exactly by the schedule when the clock runs on."""

from __future__ import annotations

import json
import re
from collections import Counter
from dataclasses import replace
from datetime import UTC, datetime, timedelta
from typing import Any

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from mock_em.generator import WorldSize, generate_world
from mock_em.model.entities import Platform, PointState, PointType
from mock_em.model.fixture import world_to_dict
from mock_em.model.schedule import ADHOC_END, ADHOC_START, run_world
from mock_em.model.world import World
from mock_em.resources.cloud_replicas import PURPOSES

NOW = datetime(2026, 1, 5, 12, 0, 0, tzinfo=UTC)
POINT_NAME = re.compile(r"^srv\d{2,}@\d{4}-\d\d-\d\d \d\d:\d\d:\d\d$")
IP_NAME = r"172\.(1[6-9]|2\d|3[01])\.\d{1,3}\.\d{1,3}"
SERVER_NAME = re.compile(rf"^({IP_NAME}|vbr\d{{2,}}\.[a-z0-9-]+(\.[a-z0-9-]+)*\.[a-z]{{2,}})$")
TENANT_NAME = re.compile(r"^[A-Za-z0-9]+( [A-Za-z0-9]+)*$")
VERSION = re.compile(r"^9\.5\.\d\.\d{4}$")
MEDIUM = WorldSize(backup_servers=3, tenants=12, replicas_per_tenant=3, vms_per_replica=4, points_per_vm=7)


@pytest.fixture(scope="module")
def world() -> World:
    return generate_world(1234, MEDIUM, NOW)


def as_json(world: World, seed: int | None = None) -> bytes:
    return json.dumps(world_to_dict(world, seed), indent=1).encode()


# -- WorldSize --------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("kwargs", "message"),
    [
        ({"tenants": -1}, "WorldSize.tenants must be >= 0"),
        ({"points_per_vm": -3}, "WorldSize.points_per_vm must be >= 0"),
        ({"backup_servers": 0}, "backup_servers must be >= 1 when there are tenants"),
        ({"vms_per_replica": 2.5}, "WorldSize.vms_per_replica must be an integer"),
        ({"replicas_per_tenant": True}, "WorldSize.replicas_per_tenant must be an integer"),
    ],
)
def test_world_size_is_validated(kwargs: dict[str, Any], message: str) -> None:
    with pytest.raises(ValueError, match=re.escape(message)):
        WorldSize(**kwargs)


def test_world_size_totals_and_an_empty_provider() -> None:
    assert (MEDIUM.replicas, MEDIUM.vms, MEDIUM.points) == (36, 144, 1008)
    empty = generate_world(1, WorldSize(backup_servers=0, tenants=0), NOW)
    assert (len(empty.backup_servers), len(empty.tenants), len(empty.replicas), len(empty.points)) == (0, 0, 0, 0)


# -- determinism ------------------------------------------------------------------------------


def test_same_seed_same_world_byte_for_byte(world: World) -> None:
    again = generate_world(1234, MEDIUM, NOW)
    assert world_to_dict(again, 1234) == world_to_dict(world, 1234)
    assert as_json(again, 1234) == as_json(world, 1234)


def test_other_seeds_give_other_worlds(world: World) -> None:
    others = [generate_world(seed, MEDIUM, NOW) for seed in (1235, 0, 2**40)]
    texts = {as_json(w) for w in [world, *others]}
    assert len(texts) == 4
    for other in others:
        assert not set(other.points) & set(world.points)
        assert [t.name for t in other.tenants.values()] != [t.name for t in world.tenants.values()]


def test_generation_does_not_touch_the_global_random_state() -> None:
    import random

    random.seed(99)
    expected = random.random()
    random.seed(99)
    generate_world(5, WorldSize(), NOW)
    assert random.random() == expected


# -- shape and names --------------------------------------------------------------------------


def test_counts_match_the_size(world: World) -> None:
    world.check()
    assert len(world.backup_servers) == MEDIUM.backup_servers
    assert len(world.tenants) == MEDIUM.tenants
    assert len(world.replicas) == MEDIUM.replicas
    assert sum(len(r.vms) for r in world.replicas.values()) == MEDIUM.vms
    assert len(world.points) == MEDIUM.points
    per_vm = Counter((p.replica_id, p.vm_name) for p in world.points.values())
    assert set(per_vm.values()) == {MEDIUM.points_per_vm}
    per_tenant = Counter(r.tenant_id for r in world.replicas.values())
    assert set(per_tenant.values()) == {MEDIUM.replicas_per_tenant}


def test_backup_servers_look_real(world: World) -> None:
    names = [s.name for s in world.backup_servers.values()]
    assert len(set(names)) == len(names)
    for server in world.backup_servers.values():
        assert SERVER_NAME.match(server.name), server.name
        assert server.port == 9392
        assert VERSION.match(server.version), server.version
        assert len(server.description) > 10


def test_server_names_mix_ips_and_fqdns() -> None:
    names = [s.name for s in generate_world(3, WorldSize(backup_servers=20, tenants=0), NOW).backup_servers.values()]
    assert any(n.startswith("172.") for n in names) and any(n.startswith("vbr") for n in names)


def test_tenants_are_companies_with_credentials(world: World) -> None:
    names = [t.name for t in world.tenants.values()]
    assert len({n.casefold() for n in names}) == len(names)
    for tenant in world.tenants.values():
        assert TENANT_NAME.match(tenant.name), tenant.name
        assert tenant.username == tenant.name
        assert len(tenant.password) >= 12 and tenant.password.isalnum()
        assert any(c.isdigit() for c in tenant.password) and any(c.isupper() for c in tenant.password)
        assert tenant.description
        assert tenant.last_active is not None and tenant.last_active < NOW
        assert tenant.lease_expiration is None or tenant.lease_expiration > NOW
        assert tenant.backup_server_id in world.backup_servers
    assert sum(t.lease_expiration is None for t in world.tenants.values()) > len(names) / 2


def test_many_tenants_stay_unique_and_mix_short_and_long_names() -> None:
    many = generate_world(8, WorldSize(tenants=400, replicas_per_tenant=0), NOW)
    names = [t.name for t in many.tenants.values()]
    assert len({n.casefold() for n in names}) == 400
    assert all("," not in n and TENANT_NAME.match(n) for n in names)
    short = [n for n in names if re.fullmatch(r"[A-Z]{3} Company", n)]
    assert 0.3 * 400 < len(short) < 0.7 * 400


def test_replication_jobs_are_named_for_tenant_and_purpose(world: World) -> None:
    names = [r.name for r in world.replicas.values()]
    assert len(set(names)) == len(names)
    for replica in world.replicas.values():
        tenant = world.tenants[replica.tenant_id]
        assert replica.backup_server_id == tenant.backup_server_id
        purpose = replica.name.removeprefix(tenant.name + " ").removesuffix(" Replication")
        assert replica.name == f"{tenant.name} {purpose} Replication" and purpose in PURPOSES
        assert replica.retention == MEDIUM.points_per_vm
        assert replica.platform in (Platform.VMware, Platform.HyperV)
        s = replica.schedule
        assert 19 <= s.hour <= 22 and s.minute in (0, 15, 30, 45) and 30 <= s.spread_minutes <= 90
        assert 0.05 <= s.adhoc_rate <= 0.15


def test_more_jobs_than_purposes_are_numbered() -> None:
    crowded = generate_world(2, WorldSize(tenants=1, replicas_per_tenant=len(PURPOSES) + 5, vms_per_replica=1), NOW)
    names = [r.name for r in crowded.replicas.values()]
    assert len(set(names)) == len(PURPOSES) + 5
    assert all(n.endswith(" Replication") for n in names)


def test_platforms_mostly_vmware_some_hyperv() -> None:
    big = generate_world(4, WorldSize(tenants=200, replicas_per_tenant=1, vms_per_replica=0), NOW)
    platforms = Counter(r.platform for r in big.replicas.values())
    assert platforms[Platform.VMware] > platforms[Platform.HyperV] > 0


def test_vms_are_numbered_across_the_provider(world: World) -> None:
    vms = [vm.name for r in world.replicas.values() for vm in r.vms]
    width = max(2, len(str(len(vms))))
    assert vms == [f"srv{i:0{width}d}" for i in range(1, len(vms) + 1)]
    assert all(vm.display_name == vm.name for r in world.replicas.values() for vm in r.vms)


def test_points_are_well_formed_and_stored_by_creation_time(world: World) -> None:
    points = list(world.points.values())
    assert [p.creation_time for p in points] == sorted(p.creation_time for p in points)
    assert points[-1].creation_time <= NOW
    assert all(p.creation_time > NOW - timedelta(days=MEDIUM.points_per_vm + 1) for p in points)
    for point in points:
        assert POINT_NAME.match(point.name), point.name
        assert point.point_type is PointType.Snapshot and point.state is PointState.Ready
        assert point.id.version == 4


def test_points_are_nightly_in_the_jobs_window_or_adhoc_in_office_hours(world: World) -> None:
    kinds: Counter[str] = Counter()
    for point in world.points.values():
        s = world.replicas[point.replica_id].schedule
        t = point.creation_time
        of_day = t.hour * 3600 + t.minute * 60 + t.second
        start = s.hour * 3600 + s.minute * 60
        if start <= of_day < start + s.spread_minutes * 60 or of_day < start + s.spread_minutes * 60 - 86400:
            kinds["nightly"] += 1
        else:
            assert ADHOC_START <= of_day < ADHOC_END, point.name
            kinds["adhoc"] += 1
    assert 0.03 < kinds["adhoc"] / len(world.points) < 0.2, kinds


# -- the clock running on ---------------------------------------------------------------------


def without_tenant_times(data: dict[str, Any]) -> dict[str, Any]:
    """The parts of a world that do not depend on when it was generated."""
    timeless = [
        {k: v for k, v in t.items() if k not in ("LastActive", "LeaseExpirationDate")} for t in data["CloudTenants"]
    ]
    return {**data, "CloudTenants": timeless}


@pytest.mark.parametrize("delta", [timedelta(minutes=30), timedelta(hours=9), timedelta(days=3), timedelta(days=400)])
def test_run_world_continues_to_a_fresh_generation(delta: timedelta) -> None:
    size = replace(MEDIUM, tenants=5)
    world = generate_world(77, size, NOW)
    run_world(world, NOW, NOW + delta)
    fresh = generate_world(77, size, NOW + delta)
    assert world_to_dict(world)["CloudVmReplicaPoints"] == world_to_dict(fresh)["CloudVmReplicaPoints"]
    assert without_tenant_times(world_to_dict(world)) == without_tenant_times(world_to_dict(fresh))


@settings(max_examples=25, deadline=None)
@given(
    seed=st.integers(0, 2**63),
    servers=st.integers(1, 3),
    tenants=st.integers(0, 4),
    replicas=st.integers(0, 3),
    vms=st.integers(0, 3),
    points=st.integers(0, 9),
    hours=st.integers(-24 * 400, 24 * 400),
)
def test_any_small_world_is_consistent(
    seed: int, servers: int, tenants: int, replicas: int, vms: int, points: int, hours: int
) -> None:
    size = WorldSize(servers, tenants, replicas, vms, points)
    world = generate_world(seed, size, NOW + timedelta(hours=hours))
    world.check()
    assert (len(world.backup_servers), len(world.tenants), len(world.replicas)) == (servers, tenants, size.replicas)
    assert len(world.points) == size.points
    assert len({p.name for p in world.points.values()}) == size.points
