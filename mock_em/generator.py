"""Generate a realistic Cloud Connect provider's world from a seed and a size.

One seeded `random.Random` decides the structure (ids, counts, schedules, credentials) and one
Faker instance seeded the same way supplies the words (company names, domains, contacts), so the
same (seed, size, now) gives the same world, byte for byte. Restore points are not invented
here: each VM holds the newest `retention` points its job's schedule (`model.schedule`) left by
`now`, so advancing the clock later (`run_world`) continues exactly this history.
"""

from __future__ import annotations

import gc
import random
import re
import string
from collections.abc import Iterable
from dataclasses import dataclass, fields
from datetime import UTC, datetime, timedelta
from operator import attrgetter
from uuid import UUID

from faker import Faker

from mock_em.generator_billing import add_billing
from mock_em.model.entities import (
    BackupServer,
    CloudReplica,
    CloudTenant,
    CloudVmReplicaPoint,
    Platform,
    ReplicaSchedule,
    Vm,
)
from mock_em.model.ids import guid
from mock_em.model.schedule import latest_points
from mock_em.model.world import World

PURPOSES = (
    "Servers", "CRM", "ERP", "SQL", "Exchange", "File Servers", "Web", "Domain Controllers",
    "SharePoint", "Accounting", "Citrix", "Oracle", "Mail", "Terminal Servers", "Dev", "Print Servers",
)  # fmt: skip
VERSIONS = ("9.5.0.1922", "9.5.0.1922", "9.5.4.2615", "9.5.4.2866")  # 9.5 U3a (em-api.md §5.6) and U4, U4b
_PASSWORD_CHARS = string.ascii_letters + string.digits
_NOT_NAME = re.compile(r"[^A-Za-z0-9 ]+")


@dataclass(frozen=True)
class WorldSize:
    """How big a provider to generate; a fresh world holds exactly `points` restore points."""

    backup_servers: int = 1
    tenants: int = 4
    replicas_per_tenant: int = 2
    vms_per_replica: int = 3
    points_per_vm: int = 7

    def __post_init__(self) -> None:
        for f in fields(self):
            value = getattr(self, f.name)
            if isinstance(value, bool) or not isinstance(value, int):
                raise ValueError(f"WorldSize.{f.name} must be an integer, got {value!r}")
            if value < 0:
                raise ValueError(f"WorldSize.{f.name} must be >= 0, got {value}")
        if self.tenants > 0 and self.backup_servers < 1:
            raise ValueError("WorldSize.backup_servers must be >= 1 when there are tenants (each tenant lives on one)")

    @property
    def replicas(self) -> int:
        """Replication jobs across the provider."""
        return self.tenants * self.replicas_per_tenant

    @property
    def vms(self) -> int:
        """Replicated VMs across the provider."""
        return self.replicas * self.vms_per_replica

    @property
    def points(self) -> int:
        """Restore points a freshly generated world holds."""
        return self.vms * self.points_per_vm


def generate_world(seed: int, size: WorldSize, now: datetime) -> World:
    """A provider with `size` objects whose points are the schedule's newest as of `now`.

    The cyclic garbage collector is paused meanwhile: a million points are a few million new
    objects, each batch of which made it rescan the growing heap (a third of the time, for
    objects that hold no cycles and are all still wanted); it runs again, as it was, afterwards."""
    if now.tzinfo is None:
        raise ValueError("generate_world needs a timezone-aware `now`")
    collecting = gc.isenabled()
    gc.disable()
    try:
        return _generate(seed, size, now.astimezone(UTC))
    finally:
        if collecting:
            gc.enable()


def _generate(seed: int, size: WorldSize, now: datetime) -> World:
    rng = random.Random(seed)
    fake = Faker("en_US")
    fake.seed_instance(seed)
    servers = _backup_servers(rng, fake, size.backup_servers)
    server_ids = list(servers)
    tenants: dict[UUID, CloudTenant] = {}
    replicas: dict[UUID, CloudReplica] = {}
    names: set[str] = set()
    vm_width = max(2, len(str(size.vms)))
    vm_number = 0
    for _ in range(size.tenants):
        tenant = _tenant(rng, fake, names, server_ids[rng.randrange(len(server_ids))], now)
        tenants[tenant.id] = tenant
        platform = Platform.VMware if rng.random() < 0.8 else Platform.HyperV
        for purpose in _purposes(rng, size.replicas_per_tenant):
            vms = [Vm(f"srv{vm_number + i + 1:0{vm_width}d}") for i in range(size.vms_per_replica)]
            vm_number += len(vms)
            replica = CloudReplica(
                id=guid(rng),
                name=f"{tenant.name} {purpose} Replication",
                tenant_id=tenant.id,
                backup_server_id=tenant.backup_server_id,
                platform=platform,
                retention=size.points_per_vm,
                schedule=_schedule(rng),
                vms=vms,
            )
            replicas[replica.id] = replica
    points = _points(replicas.values(), now)
    world = World(
        {"BackupServer": servers, "CloudTenant": tenants, "CloudReplica": replicas, "CloudVmReplicaPoint": points}
    )
    return add_billing(world, seed, now)


def _points(replicas: Iterable[CloudReplica], now: datetime) -> dict[UUID, CloudVmReplicaPoint]:
    """Every VM's retained points, in the order a database would have inserted them (by time)."""
    points: list[CloudVmReplicaPoint] = []
    for replica in replicas:
        for vm in replica.vms:
            points.extend(latest_points(replica, vm, now, replica.retention))
    points.sort(key=attrgetter("creation_time"))  # stable: ties keep replica and VM order
    return {p.id: p for p in points}


def _backup_servers(rng: random.Random, fake: Faker, count: int) -> dict[UUID, BackupServer]:
    """Backup servers named by private IP (as the seed's `172.17.53.48`) or by FQDN."""
    domain = fake.domain_name()
    servers: dict[UUID, BackupServer] = {}
    used: set[str] = set()
    while len(servers) < count:
        if rng.random() < 0.5:
            name = f"172.{rng.randint(16, 31)}.{rng.randint(0, 255)}.{rng.randint(1, 254)}"
        else:
            name = f"vbr{len(used) + 1:02d}.{domain}"
        if name in used:
            continue
        used.add(name)
        role = rng.choice(("Cloud Connect backup server", "Veeam Backup & Replication server", "Service provider VBR"))
        server = BackupServer(guid(rng), name, f"{role}, {fake.city()} datacenter", 9392, rng.choice(VERSIONS))
        servers[server.id] = server
    return servers


def _tenant_name(rng: random.Random, fake: Faker, taken: set[str]) -> str:
    """A company name unique (case-insensitively, as tenant logon compares) across the provider."""
    for _ in range(20):
        if rng.random() < 0.5:
            name = "".join(rng.choice(string.ascii_uppercase) for _ in range(3)) + " Company"
        else:
            name = " ".join(_NOT_NAME.sub(" ", fake.company()).split())
        if name.casefold() not in taken:
            taken.add(name.casefold())
            return name
    number = 2
    while f"{name} {number}".casefold() in taken:  # a crowded provider: number the last try
        number += 1
    taken.add(f"{name} {number}".casefold())
    return f"{name} {number}"


def _password(rng: random.Random) -> str:
    """12 to 16 letters and digits, with at least one of each kind a password policy asks for."""
    chars = [rng.choice(string.ascii_uppercase), rng.choice(string.ascii_lowercase), rng.choice(string.digits)]
    chars += [rng.choice(_PASSWORD_CHARS) for _ in range(rng.randint(9, 13))]
    rng.shuffle(chars)
    return "".join(chars)


def _tenant(rng: random.Random, fake: Faker, taken: set[str], server_id: UUID, now: datetime) -> CloudTenant:
    """A tenant company; it logs on with its own name, as Veeam tenants do."""
    name = _tenant_name(rng, fake, taken)
    contact = f"Contact: {fake.name()}, {fake.phone_number()}"
    description = rng.choice((f"{name} DR site. {contact}", f"{fake.catch_phrase()}. {contact}", contact))
    leased = rng.random() < 0.1  # most tenants have no lease; a few run on a contract that ends
    lease_end = (now + timedelta(days=rng.randint(30, 720))).replace(hour=0, minute=0, second=0, microsecond=0)
    throttled = rng.random() < 0.2
    return CloudTenant(
        id=guid(rng),
        name=name,
        backup_server_id=server_id,
        username=name,
        password=_password(rng),
        description=description,
        lease_expiration=lease_end if leased else None,
        last_result=rng.choices(("Success", "Warning", "Failed"), (90, 7, 3))[0],
        last_active=(now - timedelta(seconds=rng.randrange(60, 3 * 86400))).replace(microsecond=0),
        throttling_enabled=throttled,
        throttling_speed_limit=rng.choice((10, 20, 50, 100)) if throttled else 1,
        public_ip_count=rng.choice((0, 0, 0, 1, 2, 4)),
        backup_count=rng.randint(0, 6),
    )


def _purposes(rng: random.Random, count: int) -> list[str]:
    """`count` job purposes, unique within a tenant; numbered once the list runs out."""
    chosen = rng.sample(PURPOSES, min(count, len(PURPOSES)))
    return chosen + [f"{PURPOSES[i % len(PURPOSES)]} {i // len(PURPOSES) + 1}" for i in range(len(PURPOSES), count)]


def _schedule(rng: random.Random) -> ReplicaSchedule:
    """A nightly job between 19:00 and 22:45, points spreading over 30 to 90 minutes."""
    return ReplicaSchedule(
        hour=rng.randint(19, 22),
        minute=rng.choice((0, 15, 30, 45)),
        spread_minutes=rng.randint(30, 90),
        adhoc_rate=round(rng.uniform(0.05, 0.15), 2),
        seed=rng.getrandbits(32),
    )
