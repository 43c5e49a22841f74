"""`/api/restorePoints`: what each backup job run left in its job's backup, kept while any of its
VM restore points is (`/api/restorePoints/{id}/vmRestorePoints`); a backup's own at
`/api/backups/{id}/restorePoints`. Derived from the job runs at the world's time
(`mock_em.model.catalogue`), never stored in fixtures; see `docs/catalogue.md`.

Named as SQL Server writes a datetime, space-padded, in UTC (`Mar  2 2026 10:00PM`, the form EM
12 and older send; em-api-monitoring.md §2.2, §5). Links as the vendor's docs show them: Up to the
backup server, Up to the backup, Alternate, Down to the VM restore points and, from v10, to its
backup file.
"""

from __future__ import annotations

from typing import Any

from mock_em.model.access import Access
from mock_em.model.entities import RestorePoint
from mock_em.model.kinds import ForeignKey, Kind
from mock_em.model.query_columns import identity_fields, plain, query_for, reference_fields
from mock_em.model.query_fields import Field as QueryField
from mock_em.model.query_fields import Kind as FieldKind
from mock_em.model.query_fields import QueryType
from mock_em.model.world import World
from mock_em.resources import backups
from mock_em.resources.backup_servers import server_fields, up_to_server
from mock_em.resources.catalogue_families import catalogue_family, catalogue_kind
from mock_em.resources.family import SubCollection
from mock_em.resources.history.catalogue import read_restore_point
from mock_em.wire.links import Hrefs, Link

PATH = "/restorePoints"
VM_POINTS = SubCollection("vmRestorePoints", "VmRestorePoint", "restore_point_id")
# v10+ links a restore point Down to its file (em-api-monitoring.md §5; backup_files.py)
FILES = SubCollection("backupFiles", "BackupFile", "restore_point_id", since=backups.FILES_SINCE)


def values(h: Hrefs, world: World, point: RestorePoint, access: Access) -> dict[str, Any]:
    """The entity's own field: when the run that made it started."""
    return {"BackupDateUTC": point.backup_date}


def query(kind: Kind) -> QueryType:
    """The query type: the vendor's table of RestorePoint fields (get_query_restorepoint)."""
    return query_for(
        kind,
        *identity_fields("RestorePoint"),
        QueryField("CreationTime", FieldKind.DATETIME, plain("backup_date"), store_order=True),
        *reference_fields("Backup", "backup_id", lambda world: world.all("Backup")),
        *server_fields(),
    )


def ups(h: Hrefs, world: World, point: RestorePoint, access: Access) -> list[Link]:
    """Up to the backup server, then to the backup."""
    backup = world.all("Backup")[point.backup_id]
    return [
        *up_to_server(h, world, point, access),
        Link("Up", "BackupReference", h.item(backups.PATH, backup.id), backup.name),
    ]


def downs(h: Hrefs, world: World, point: RestorePoint, access: Access) -> list[Link]:
    """Down to its VM restore points, then to its file (a release before v10 leaves that out:
    `since_links`)."""
    return [
        Link("Down", "VmRestorePointReferenceList", h.sub(PATH, point.id, VM_POINTS.segment)),
        Link("Down", backups.FILES_LINK, h.sub(PATH, point.id, FILES.segment)),
    ]


# after Repositories: EntitiesType's order
KIND = catalogue_kind(
    RestorePoint,
    "restore point",
    (ForeignKey("backup_id", "Backup"),),
    query,
    7,
    "Id Name BackupServerId BackupId BackupDateUTC=backup_date BackupFileId",
)
# LogonSession: after backups, as em12's LogonSession links it
FAMILY = catalogue_family(
    KIND,
    PATH,
    values,
    ups=ups,
    downs=downs,
    subs=(VM_POINTS, FILES),
    position=4,
    since_links={backups.FILES_LINK: backups.FILES_SINCE},
    reads=read_restore_point,
)
