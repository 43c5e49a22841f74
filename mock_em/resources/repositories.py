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
from typing import TYPE_CHECKING, Any
from uuid import UUID

from mock_em.model.access import Access
from mock_em.model.entities import UNKNOWN_SIZE, CloudTenantResource, Repository, RepositoryKind
from mock_em.model.fixture_records import records
from mock_em.model.ids import guid
from mock_em.model.kinds import ON_SERVER, PORTAL, Kind
from mock_em.model.query_columns import own_uid_field, plain, query_for, string_field
from mock_em.model.query_columns import text as text_column
from mock_em.model.query_fields import Field as QueryField
from mock_em.model.query_fields import Kind as FieldKind
from mock_em.model.query_fields import QueryType
from mock_em.model.usage import MB, RESOURCE_KIND
from mock_em.model.world import World
from mock_em.resources.backup_servers import server_fields, up_to_server
from mock_em.resources.family import Down, Family, generation_part
from mock_em.wire.links import Hrefs

if TYPE_CHECKING:
    from mock_em.generator import Generation

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
        own_uid_field("Repository", lambda world: world.all("Repository")),
        string_field("Name", text_column("name")),
        QueryField("FreeSpace", FieldKind.INT, plain("free_space")),
        QueryField("Capacity", FieldKind.INT, plain("capacity")),
        *server_fields(),
    )


def never_zero(repository: Repository) -> None:
    """Monitoring clients divide by Capacity: a repository's size is known (> 0) or -1, never 0."""
    if repository.capacity == 0 or (repository.capacity == UNKNOWN_SIZE) != (repository.free_space == UNKNOWN_SIZE):
        raise ValueError(f"repository {repository.name!r}: Capacity must be positive, or -1 with FreeSpace -1")


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


KIND = Kind(
    Repository,
    noun="repository",
    keys=(ON_SERVER,),
    readers=PORTAL,
    fixture=records("Id Name BackupServerId Kind Capacity FreeSpace", check=never_zero),
    query=query,
    query_order=5,  # after jobs and before backup servers, as the vendor's query entities list them
)

FAMILY = Family(
    KIND,
    PATH,
    values,
    ups=up_to_server,
    down=Down("LogonSession", 2),  # after backup servers and jobs, as EM's LogonSession links them
    generates=generation_part(generate_repositories),
)
