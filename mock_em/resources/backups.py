"""`/api/backups`: each backup job's backup on its repository, named as the job, with its restore
points at `/api/backups/{id}/restorePoints`. Derived from the jobs at the world's time
(`mock_em.model.catalogue`), never stored in fixtures; see `docs/catalogue.md`.

Links as the vendor's entity shows them (em-api-monitoring.md §5): Up to the repository, Up to
the backup server, Alternate, Down to the restore points and, from v10, to the backup files. A
Restore Operator reads backups but not repositories or backup servers, and is offered neither
link. From v10 the entity also says its `BackupType` (after `Platform`, as the vendor's
`/backups/{ID}` page shows it).
"""

from __future__ import annotations

from typing import Any

from mock_em.model.access import Access
from mock_em.model.entities import Backup
from mock_em.model.kinds import ForeignKey, Kind
from mock_em.model.query_columns import (
    identity_fields,
    query_for,
    reference_fields,
    uid_field,
)
from mock_em.model.query_fields import QueryType
from mock_em.model.world import World
from mock_em.resources import repositories
from mock_em.resources.backup_servers import server_fields, up_to_server
from mock_em.resources.catalogue_families import catalogue_family, catalogue_kind
from mock_em.resources.family import SubCollection
from mock_em.resources.history.catalogue import read_backup
from mock_em.wire.links import Hrefs, Link

PATH = "/backups"
POINTS = SubCollection("restorePoints", "RestorePoint", "backup_id")
# A backup's and a restore point's files, and the Down links to them, came with v10
# (em-api-monitoring.md §5); `/backupFiles` itself is in 9.5 (backup_files.py).
FILES_SINCE = "10"
FILES = SubCollection("backupFiles", "BackupFile", "backup_id", since=FILES_SINCE)
FILES_LINK = "BackupFileReferenceList"
# The vendor's `BackupType`: `Standard`, `ParentBackup` (a per-machine backup's parent, whose
# children are at `/backups/{ID}/childBackups`), `ChildBackup`. Each of mock-em's backups is its
# job's one backup, so `Standard`.
STANDARD = "Standard"


def values(h: Hrefs, world: World, backup: Backup, access: Access) -> dict[str, Any]:
    """The entity's own fields: the platform of the job's VMs, and (v10+) the backup's type."""
    return {"Platform": backup.platform.value, "BackupType": STANDARD}


def query(kind: Kind) -> QueryType:
    """The query type: the vendor's table of Backup fields (get_query_backup)."""
    return query_for(
        kind,
        *identity_fields("Backup"),
        *reference_fields("Job", "job_id", lambda world: world.all("Job")),
        uid_field("RepositoryUid", "repository_id.int", "Repository"),
        *server_fields(),
    )


def ups(h: Hrefs, world: World, backup: Backup, access: Access) -> list[Link]:
    """Up to the repository, then to the backup server, as the vendor's entity orders them."""
    found = []
    if access.reads(repositories.KIND):
        repository = world.all("Repository")[backup.repository_id]
        found.append(Link("Up", "RepositoryReference", h.item(repositories.PATH, repository.id), repository.name))
    return [*found, *up_to_server(h, world, backup, access)]


def downs(h: Hrefs, world: World, backup: Backup, access: Access) -> list[Link]:
    """Down to its restore points, then to its files (a release before v10 leaves that out:
    `since_links`)."""
    return [
        Link("Down", "RestorePointReferenceList", h.sub(PATH, backup.id, POINTS.segment)),
        Link("Down", FILES_LINK, h.sub(PATH, backup.id, FILES.segment)),
    ]


# after Jobs (and FailoverPlans), before Replicas and Repositories: EntitiesType's order
KIND = catalogue_kind(
    Backup,
    "backup",
    (ForeignKey("job_id", "Job"), ForeignKey("repository_id", "Repository")),
    query,
    5,
    "Id Name BackupServerId JobId RepositoryId Platform",
)
# LogonSession: after repositories, as em12's LogonSession links it
FAMILY = catalogue_family(
    KIND,
    PATH,
    values,
    ups=ups,
    downs=downs,
    subs=(POINTS, FILES),
    position=3,
    fragments=False,
    since_fields={"BackupType": "10"},  # em-api-monitoring.md §5: "v10+ BackupType"
    since_links={FILES_LINK: FILES_SINCE},
    reads=read_backup,
)
