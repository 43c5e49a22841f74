"""`/api/backupFiles`: the file holding each kept restore point of a backup job's backup (a
`vbk` full or a `vib` increment), with its restore points at `/api/backupFiles/{id}/restorePoints`
and VM restore points at `/api/backupFiles/{id}/vmRestorePoints`; from v10 on, a backup's own at
`/api/backups/{id}/backupFiles`, a restore point's at `/api/restorePoints/{id}/backupFiles`.
Derived from the job runs at the world's time (`mock_em.model.backup_files`), never stored in
fixtures; see `docs/catalogue.md`.

The type is absent from the 9.5 schema but documented for 9.5 (em-api-monitoring.md §5, §7): the
fields and links follow the vendor's example entity, in its order: Up to the backup, Up to the
backup server, Alternate, `Related` to the restore points (typed `BackupFileReferenceList`, as the
example types it), Down to the VM restore points. Backups and restore points link Down to their
files from v10 on, and only then (`backups.FILES_SINCE`); `/api/backupFiles` is in every release.
"""

from __future__ import annotations

from typing import Any

from mock_em.model.access import Access
from mock_em.model.entities import BackupFile
from mock_em.model.kinds import ForeignKey, Kind
from mock_em.model.query_columns import identity_fields, plain, query_for, reference_fields, string_field
from mock_em.model.query_columns import text as text_column
from mock_em.model.query_fields import Field as QueryField
from mock_em.model.query_fields import Kind as FieldKind
from mock_em.model.query_fields import QueryType
from mock_em.model.world import World
from mock_em.resources import backups
from mock_em.resources.backup_servers import server_fields, up_to_server
from mock_em.resources.catalogue_families import catalogue_family, catalogue_kind
from mock_em.resources.family import SubCollection
from mock_em.resources.history.catalogue import complete_catalogue, read_backup_file
from mock_em.wire.links import Hrefs, Link

PATH = "/backupFiles"
# a file's restore points: those its VM points belong to (one, as mock-em writes files)
POINTS = SubCollection(
    "restorePoints", "RestorePoint", "backup_file_id", through=("VmRestorePoint", "restore_point_id")
)
VM_POINTS = SubCollection("vmRestorePoints", "VmRestorePoint", "backup_file_id")


def values(h: Hrefs, world: World, file: BackupFile, access: Access) -> dict[str, Any]:
    """The entity's own fields in the vendor's example's order."""
    return {
        "FilePath": file.file_path,
        "BackupSize": file.backup_size,
        "DataSize": file.data_size,
        "DeduplicationRatio": file.deduplication_ratio,
        "CompressRatio": file.compress_ratio,
        "CreationTimeUtc": file.creation_time,
        "FileType": file.file_type,
    }


def query(kind: Kind) -> QueryType:
    """The query type: the vendor's table of BackupFile fields (get_query_backupfile)."""
    return query_for(
        kind,
        *identity_fields("BackupFile"),
        QueryField("CreationTimeUTC", FieldKind.DATETIME, plain("creation_time"), store_order=True),
        QueryField("BackupSize", FieldKind.INT, plain("backup_size")),
        QueryField("DataSize", FieldKind.INT, plain("data_size")),
        QueryField("CompressRatio", FieldKind.DOUBLE, plain("compress_ratio")),
        string_field("FileType", text_column("file_type")),
        *reference_fields("Backup", "backup_id", lambda world: world.all("Backup")),
        *server_fields(),
    )


def ups(h: Hrefs, world: World, file: BackupFile, access: Access) -> list[Link]:
    """Up to the backup, then to the backup server, as the vendor's example orders them."""
    backup = world.all("Backup")[file.backup_id]
    up = Link("Up", "BackupReference", h.item(backups.PATH, backup.id), backup.name)
    return [up, *up_to_server(h, world, file, access)]


def downs(h: Hrefs, world: World, file: BackupFile, access: Access) -> list[Link]:
    """Related to its restore points and Down to its VM restore points, typed as the vendor's example."""
    return [
        Link("Related", "BackupFileReferenceList", h.sub(PATH, file.id, POINTS.segment)),
        Link("Down", "VmRestorePointReferenceList", h.sub(PATH, file.id, VM_POINTS.segment)),
    ]


# after BackupServers, before CloudPublicIps: EntitiesType's order
KIND = catalogue_kind(
    BackupFile,
    "backup file",
    (ForeignKey("backup_id", "Backup"), ForeignKey("restore_point_id", "RestorePoint")),
    query,
    14,
    "Id Name BackupServerId BackupId RestorePointId FilePath BackupSize DataSize DeduplicationRatio CompressRatio"
    " CreationTimeUTC=creation_time FileType",
)
# LogonSession: after the task sessions, as em12's LogonSession links it
FAMILY = catalogue_family(
    KIND,
    PATH,
    values,
    ups=ups,
    downs=downs,
    subs=(POINTS, VM_POINTS),
    position=10,
    reads=read_backup_file,
    completes=complete_catalogue,  # a point's file and a file's point, once both are read
)
