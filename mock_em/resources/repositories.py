"""`/api/repositories`: the backup repositories of the backup servers connected to Enterprise
Manager, and each server's own at `/api/backupServers/{id}/repositories` (`backup_servers.py`).

A repository shows its `Capacity` and `FreeSpace` in bytes (-1 for both where the storage does not
say, as object storage; never 0) and its `Kind`. The repositories the tenants' backup resources
name (`RepositoryUid`) are real ones of the tenant's backup server, and their free space follows
what the tenants' cloud backups hold there (`mock_em.model.usage`). See `docs/repositories.md`.
"""

from __future__ import annotations

import math
import random
from collections.abc import Callable
from typing import TYPE_CHECKING, Any
from uuid import UUID

from pydantic import BaseModel, ConfigDict, Field

from mock_em.importer.entity import Entity, Reading
from mock_em.model.access import Access, NotFound
from mock_em.model.entities import UNKNOWN_SIZE, CloudTenantResource, Repository, RepositoryKind
from mock_em.model.fixture_records import records
from mock_em.model.ids import guid
from mock_em.model.kinds import ON_SERVER, PORTAL, Kind
from mock_em.model.query_columns import identity_fields, plain, query_for
from mock_em.model.query_fields import Field as QueryField
from mock_em.model.query_fields import Kind as FieldKind
from mock_em.model.query_fields import QueryType
from mock_em.model.usage import MB, RESOURCE_KIND
from mock_em.model.world import World
from mock_em.resources.backup_servers import server_fields, up_to_server
from mock_em.resources.family import BadEdit, Down, Edits, Family, generation_part, guid_of, member_of
from mock_em.resources.managed_servers import server_of
from mock_em.wire.links import Hrefs

if TYPE_CHECKING:
    from mock_em.generator import Generation
    from mock_em.model.enterprise_manager import EnterpriseManager

PATH = "/repositories"


def values(h: Hrefs, world: World, repository: Repository, access: Access) -> dict[str, Any]:
    """Capacity and free space in bytes, then the `Kind` later EM versions add (kept in every
    release: a 9.5-era client on port 9399 reads it; em-api-monitoring.md §7)."""
    return {"Capacity": repository.capacity, "FreeSpace": repository.free_space, "Kind": repository.kind.value}


def query(kind: Kind) -> QueryType:
    """The query type: the vendor's table of Repository fields (get_query_repository); sizes are
    Int64 in bytes, compared as numbers (`FreeSpace<107374182400`, the vendor's example)."""
    return query_for(
        kind,
        *identity_fields("Repository"),
        QueryField("FreeSpace", FieldKind.INT, plain("free_space")),
        QueryField("Capacity", FieldKind.INT, plain("capacity")),
        *server_fields(),
    )


def never_zero(repository: Repository) -> None:
    """Monitoring clients divide by Capacity: a repository's size is known (> 0) or -1, never 0."""
    if repository.capacity == 0 or (repository.capacity == UNKNOWN_SIZE) != (repository.free_space == UNKNOWN_SIZE):
        raise ValueError(f"repository {repository.name!r}: Capacity must be positive, or -1 with FreeSpace -1")


# -- the import's reader ----------------------------------------------------------------------------


def reads(entity: Entity, reading: Reading) -> Repository:
    """A repository as its entity shows it. Its free space is taken as current (an EM taking a
    world notes what its jobs' backups hold, `job_sessions.refresh_jobs`). A source that leaves
    `Kind` out (9.5's schema has none) gives `WindowsLocal`, the vendor's default repository;
    one whose storage reports no size (0, or a size without free space) gives -1 for both, as
    mock-em shows object storage, so that monitoring clients never divide by 0."""
    kind = RepositoryKind.WindowsLocal
    if entity.get("Kind") is not None:
        kind = entity.member("Kind", RepositoryKind)
    capacity, free = entity.get("Capacity", UNKNOWN_SIZE), entity.get("FreeSpace", UNKNOWN_SIZE)
    if capacity in (0, UNKNOWN_SIZE) or free == UNKNOWN_SIZE:
        if (capacity, free) != (UNKNOWN_SIZE, UNKNOWN_SIZE):
            reading.warn(
                f"repositories: {entity.name!r} shows Capacity {capacity} and FreeSpace {free}: read as unknown (-1)"
            )
        capacity = free = UNKNOWN_SIZE
    return Repository(entity.id, entity.name, server_of(entity), kind, int(capacity), int(free))


# -- the generator's part ------------------------------------------------------------------------

TB = 10**12
PB = 10**15
OWN = (  # name, kinds to draw from, smallest and biggest capacity; the first one every server has
    ("Backup Repository 1", (RepositoryKind.WindowsLocal, RepositoryKind.LinuxLocal), 10 * TB, 200 * TB),
    ("SOBR-01", (RepositoryKind.Extendable,), 10 * TB, 200 * TB),
    ("DD-Boost", (RepositoryKind.DDBoost,), PB // 2, 2 * PB),
    ("Wasabi S3", (RepositoryKind.AmazonS3Compatible,), UNKNOWN_SIZE, UNKNOWN_SIZE),
)
TENANT_SHARE = 0.25  # the tenants' quotas on a cloud repository take at most this share of it


def generate_repositories(g: Generation) -> None:
    """Each backup server's two to four repositories of its own, then the cloud repositories its
    tenants' backup resources name, 30 % to 70 % full. Drawn from an RNG of their own
    (`repositories:{seed}`) after every other part, so no older draw moves."""
    rng = random.Random(f"repositories:{g.seed}")
    tenants, resources = g.all("CloudTenant"), g.all(RESOURCE_KIND).values()
    for server_id in g.all("BackupServer"):
        chosen = [OWN[0], *sorted(rng.sample(OWN[1:], rng.randint(1, 3)), key=OWN.index)]
        for name, kinds, smallest, biggest in chosen:
            capacity = rng.randint(smallest, biggest) if smallest > 0 else UNKNOWN_SIZE
            kind = rng.choice(kinds)
            g.add(Repository(guid(rng), name, server_id, kind, capacity, _free(rng, capacity)))
        on_server = [r for r in resources if tenants[r.tenant_id].backup_server_id == server_id]
        for repository_id, named in _by_repository(on_server).items():
            g.add(_cloud_repository(rng, repository_id, server_id, named))


def _by_repository(resources: list[CloudTenantResource]) -> dict[UUID, list[CloudTenantResource]]:
    """Backup resources grouped by the repository they name, in store order."""
    found: dict[UUID, list[CloudTenantResource]] = {}
    for resource in resources:
        found.setdefault(resource.repository_id, []).append(resource)
    return found


def _cloud_repository(
    rng: random.Random, repository_id: UUID, server_id: UUID, named: list[CloudTenantResource]
) -> Repository:
    """The repository behind the tenants' quotas: a block repository (a scale-out one where the
    provider calls it a SOBR) named as the quotas show it, big enough that the quotas fit in a
    quarter of it, so that only a control-plane fill past a quota can overfill it."""
    kind = RepositoryKind.Extendable if "SOBR" in named[0].repository_name else RepositoryKind.WindowsLocal
    quotas = sum(r.quota_mb for r in named) * MB
    capacity = max(rng.randint(10 * TB, 200 * TB), math.ceil(quotas / TENANT_SHARE))
    held = sum(r.used_quota_mb for r in named) * MB
    return Repository(
        repository_id, named[0].repository_name, server_id, kind, capacity, _free(rng, capacity, held, most=0.45)
    )


def _free(rng: random.Random, capacity: int, held: int = 0, most: float = 0.7) -> int:
    """Free space of a repository 30 % to 70 % full; -1 where capacity is. Beside the tenants'
    cloud backups (`held` bytes, at most a quarter of it), the provider's own backups take 30 % to
    `most` of it, drawn whatever the time, so that a world generated at T1 equals one generated at T0 and run to
    T1 (`model.schedule.run_world`)."""
    if capacity == UNKNOWN_SIZE:
        return UNKNOWN_SIZE
    own = rng.uniform(0.3, most)
    return capacity - round(capacity * own) - held


# -- control-plane edits (`/mock/world/repositories`) ----------------------------------------------

VENDOR_BODY = ConfigDict(populate_by_name=True, extra="forbid")


class NewRepository(BaseModel):
    """A repository to add to a backup server: `Capacity` in bytes (-1 where unknown), empty
    unless `FreeSpace` says otherwise."""

    model_config = VENDOR_BODY
    Name: str = Field(min_length=1, max_length=200)
    BackupServerId: str
    Kind: str = RepositoryKind.WindowsLocal.value
    Capacity: int = Field(default=100 * TB, ge=-1)
    FreeSpace: int | None = None


class RepositoryChange(BaseModel):
    """`{"Capacity": 50000000000000}`, `{"FreeSpace": 0}` or `{"Percent": 95}` (how full)."""

    model_config = VENDOR_BODY
    Capacity: int | None = Field(default=None, ge=-1)
    FreeSpace: int | None = None
    Percent: float | None = Field(default=None, ge=0, le=1000)


def sized(capacity: int, free_space: int | None) -> tuple[int, int]:
    """Capacity and free space as a repository may hold them (BadEdit otherwise): never a capacity
    of 0, -1 for both or for neither; free space defaults to the whole capacity."""
    if capacity == 0:
        raise BadEdit("Capacity: 0 is not a size (monitoring clients divide by it); -1 is unknown")
    free = capacity if free_space is None else free_space
    if (capacity == UNKNOWN_SIZE) != (free == UNKNOWN_SIZE):
        raise BadEdit("Capacity and FreeSpace are both -1 (unknown) or neither")
    return capacity, free


def build(manager: EnterpriseManager, body: NewRepository) -> Repository:
    """A repository of an existing backup server."""
    server_id = guid_of(body.BackupServerId, "BackupServerId")
    if server_id not in manager.world.backup_servers:
        raise NotFound(f"Backup server {server_id} was not found")
    capacity, free = sized(body.Capacity, body.FreeSpace)
    kind = member_of(RepositoryKind, body.Kind, "Kind")
    return Repository(guid(manager.rng), body.Name, server_id, kind, capacity, free)


def apply(body: RepositoryChange) -> Callable[[Repository], None]:
    """A new size, free space or fill (`Percent` of the capacity used; over 100 overfills it)."""
    given = [name for name in ("FreeSpace", "Percent") if getattr(body, name) is not None]
    if len(given) > 1 or (body.Capacity is None and not given):
        raise BadEdit("give Capacity, and at most one of FreeSpace and Percent")

    def change(repository: Repository) -> None:
        capacity = repository.capacity if body.Capacity is None else body.Capacity
        if body.Percent is not None:
            if capacity == UNKNOWN_SIZE:
                raise BadEdit("Percent: the repository's capacity is unknown (-1)")
            free = capacity - round(capacity * body.Percent / 100)
        elif body.FreeSpace is not None:
            free = body.FreeSpace
        elif body.Capacity is not None and repository.capacity != UNKNOWN_SIZE and capacity != UNKNOWN_SIZE:
            free = repository.free_space + capacity - repository.capacity  # what is stored stays
        else:
            free = None
        repository.capacity, repository.free_space = sized(capacity, free)

    return change


EDITS = Edits(
    "repositories", new=NewRepository, build=build, json=lambda r: KIND.section.dump(r),
    change=RepositoryChange, apply=apply,
)  # fmt: skip


KIND = Kind(
    Repository,
    noun="repository",
    keys=(ON_SERVER,),
    readers=PORTAL,
    fixture=records("Id Name BackupServerId Kind Capacity FreeSpace", check=never_zero),
    query=query,
    query_order=6,  # after jobs and before backup servers, as the vendor's query entities list them
)

FAMILY = Family(
    KIND,
    PATH,
    values,
    ups=up_to_server,
    down=Down("LogonSession", 2),  # after backup servers and jobs, as EM's LogonSession links them
    edits=EDITS,
    generates=generation_part(generate_repositories),
    reads=reads,
)
