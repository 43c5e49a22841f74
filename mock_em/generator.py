"""Generate a realistic Cloud Connect provider's world from a seed and a size.

One seeded `random.Random` decides the structure (ids, counts, schedules, credentials) and one
Faker instance seeded the same way supplies the words (company names, domains, contacts), so the
same (seed, size, now) gives the same world, byte for byte. Restore points are not invented
here: each VM holds the newest `retention` points its job's schedule (`model.schedule`) left by
`now`, so advancing the clock later (`run_world`) continues exactly this history.

Each family draws its own objects (`Family.generates`, in its module): backup servers, then each
tenant followed by its replication jobs, then every job's points. The order of the draws is the
world, so it is fixed by the registry's order and by which part calls which (`Generation.each`).
The size's knobs are declared here once (`KNOBS`).
"""

from __future__ import annotations

import random
from collections.abc import Callable
from dataclasses import dataclass, field, fields
from datetime import UTC, datetime
from functools import cache
from typing import Any
from uuid import UUID

from faker import Faker

from mock_em.model.collector import collector_paused
from mock_em.model.kinds import kind_of, kinds
from mock_em.model.world import World


@dataclass(frozen=True, slots=True)
class Knob:
    """One world-size knob, declared once with `WorldSize`'s field: the settings field, the
    `mock-em` flag, the `MOCK_EM_*` variable, the marker keyword and `POST /mock/world/regenerate`'s
    body field are all named after it, and `control_max` bounds the control call."""

    name: str  # the field of WorldSize and Settings: `replicas_per_tenant`
    help: str  # what it counts, for `--help`: "replication jobs per tenant"
    default: int
    control_max: int  # the most `POST /mock/world/regenerate` accepts

    @property
    def flag(self) -> str:
        """The command line's flag: `--replicas-per-tenant`."""
        return "--" + self.name.replace("_", "-")

    @property
    def env(self) -> str:
        """The environment variable: `MOCK_EM_REPLICAS_PER_TENANT`."""
        return f"MOCK_EM_{self.name.upper()}"

    @property
    def camel(self) -> str:
        """The control plane's JSON name: `replicasPerTenant`."""
        first, *rest = self.name.split("_")
        return first + "".join(part.capitalize() for part in rest)


def knob(default: int, help: str, control_max: int) -> Any:
    """A WorldSize field that is also a knob (its name is the field's)."""
    return field(default=default, metadata={"knob": (help, control_max)})


@dataclass(frozen=True)
class WorldSize:
    """How big a provider to generate; a fresh world holds exactly `points` restore points.

    Each field is a knob (`KNOBS`): settings, flags, variables, the pytest marker and the control
    plane's regenerate body take theirs from here."""

    backup_servers: int = knob(1, "backup servers", 1000)
    tenants: int = knob(4, "Cloud Connect tenants", 100_000)
    replicas_per_tenant: int = knob(2, "replication jobs per tenant", 1000)
    vms_per_replica: int = knob(3, "VMs per replication job", 10_000)
    points_per_vm: int = knob(7, "restore points kept per VM", 10_000)
    jobs_per_server: int = knob(0, "backup and replication jobs per backup server (0: 3 to 8, drawn)", 10_000)
    vms_per_job: int = knob(0, "VMs per backup or replication job (0: 1 to 6, drawn)", 10_000)
    job_retention: int = knob(0, "restore points a backup job keeps per VM (0: 14 to 30, drawn)", 10_000)
    replica_jobs_percent: int = knob(20, "share of the jobs that are replication jobs, in percent", 100)

    def __post_init__(self) -> None:
        for f in fields(self):
            value = getattr(self, f.name)
            if isinstance(value, bool) or not isinstance(value, int):
                raise ValueError(f"WorldSize.{f.name} must be an integer, got {value!r}")
            if value < 0:
                raise ValueError(f"WorldSize.{f.name} must be >= 0, got {value}")
        if self.replica_jobs_percent > 100:
            raise ValueError(f"WorldSize.replica_jobs_percent must be <= 100, got {self.replica_jobs_percent}")
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


KNOBS: tuple[Knob, ...] = tuple(
    Knob(f.name, f.metadata["knob"][0], f.default, f.metadata["knob"][1]) for f in fields(WorldSize)
)


def generate_world(seed: int, size: WorldSize, now: datetime) -> World:
    """A provider with `size` objects whose points are the schedule's newest as of `now`, built
    with the cyclic collector paused (`mock_em.model.collector`)."""
    if now.tzinfo is None:
        raise ValueError("generate_world needs a timezone-aware `now`")
    with collector_paused():
        return _generate(seed, size, now.astimezone(UTC))


@dataclass(slots=True)
class Generation:
    """One world being generated, as the families' parts (`Family.generates`) see it: the one
    seeded RNG, the Faker seeded alike, the size, `now`, the objects made so far by kind, and
    `notes` a part keeps between its calls (the tenant names taken, the last VM number)."""

    rng: random.Random
    fake: Faker
    size: WorldSize
    now: datetime
    seed: int = 0  # parts with an RNG of their own seed it from this
    sections: dict[str, dict[UUID, Any]] = field(default_factory=dict)
    notes: dict[str, Any] = field(default_factory=dict)

    def all(self, kind: str) -> dict[UUID, Any]:
        """The objects of a kind made so far, in the order made."""
        return self.sections.setdefault(kind, {})

    def add(self, obj: Any) -> None:
        """Keep a new object (its kind's section, in the order made)."""
        self.all(kind_of(obj).name)[obj.id] = obj

    def world(self) -> World:
        """The world made so far, sharing every section (a part that reads and adds across kinds)."""
        for name in kinds():
            self.all(name)
        return World(self.sections)

    def each(self, parent: Any) -> None:
        """Run the parts that are drawn per object of the parent's kind, for this one."""
        for part in _parts_per(kind_of(parent).name):
            part(self, parent)


def _generate(seed: int, size: WorldSize, now: datetime) -> World:
    fake = Faker("en_US")
    fake.seed_instance(seed)
    generation = Generation(random.Random(seed), fake, size, now, seed)
    for part in _parts_per(None):
        part(generation)
    return World(generation.sections)


@cache
def _parts_per(kind: str | None) -> list[Callable[..., None]]:
    """The families' generator parts run once (None) or per object of `kind`, in registry order."""
    from mock_em.resources import FAMILIES  # the families' parts use this module's Generation

    return [f.generates.part for f in FAMILIES if f.generates is not None and f.generates.per == kind]
