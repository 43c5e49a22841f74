"""`/api/vmRestorePoints`: each VM's point in a kept restore point, one per successful (or
warning) task of a backup job run, until the job's retention drops it; a restore point's own at
`/api/restorePoints/{id}/vmRestorePoints`. Derived from the job runs at the world's time
(`mock_em.model.catalogue`), never stored in fixtures; see `docs/catalogue.md`.

Named `vm@yyyy-MM-dd HH:mm:ss` (UTC) of the task's start, as the vendor's example
(`sql01-hv@2013-08-24 05:03:25`). Sunday's points are synthetic fulls (`Algorithm`
`SyntheticFull`, `PointType` `Full`), the others increments (`Incremental`, `Increment`).
`HierarchyObjRef` names the VM as its host does: `urn:VMware:Vm:<hierarchy root id>.vm-<n>`
(`urn:HyperV:Vm:<hierarchy root id>.<VM guid>` for Hyper-V; `mock_em.model.inventory`).
"""

from __future__ import annotations

from typing import Any

from mock_em.model.access import Access
from mock_em.model.entities import VmRestorePoint
from mock_em.model.fixture_records import Codec, one_of
from mock_em.model.kinds import ForeignKey, Kind
from mock_em.model.query_columns import identity_fields, plain, query_for, string_field, uid_field
from mock_em.model.query_columns import text as text_column
from mock_em.model.query_fields import Field as QueryField
from mock_em.model.query_fields import Kind as FieldKind
from mock_em.model.query_fields import QueryType
from mock_em.model.query_point_names import name_column, name_compare, name_head, name_window
from mock_em.model.world import World
from mock_em.resources import restore_points
from mock_em.resources.backup_servers import server_fields, up_to_server
from mock_em.resources.catalogue_families import catalogue_family, catalogue_kind
from mock_em.resources.history.catalogue import read_vm_restore_point
from mock_em.wire.links import Hrefs, Link

PATH = "/vmRestorePoints"


def values(h: Hrefs, world: World, point: VmRestorePoint, access: Access) -> dict[str, Any]:
    """The entity's own fields in the schema's order, the VM's display name as an attribute."""
    return {
        "CreationTimeUTC": point.creation_time,
        "VmName": point.vm_name,
        "Algorithm": point.algorithm,
        "PointType": point.point_type,
        "HierarchyObjRef": point.hierarchy_obj_ref,
        "VmDisplayName": point.vm_display_name,
    }


def query(kind: Kind) -> QueryType:
    """The query type: the vendor's table of VmRestorePoint fields (get_query_vmrestorepoint);
    `Type` is the point's `PointType`. A point's name is `<vm>@<stamp>` of its creation time, as a
    replica point's is, so its `Name` takes the same shortcuts (`query_point_names`)."""
    uid, _ = identity_fields("VmRestorePoint")
    return query_for(
        kind,
        uid,
        QueryField("Name", FieldKind.STRING, name_column, narrow=name_window, head=name_head, compare=name_compare),
        QueryField("CreationTime", FieldKind.DATETIME, plain("creation_time"), store_order=True),
        string_field("Type", text_column("point_type")),
        string_field("Algorithm", text_column("algorithm")),
        string_field("VmName", text_column("vm_name")),
        uid_field("RestorePointUid", "restore_point_id.int", "RestorePoint"),
        *server_fields(),
    )


def ups(h: Hrefs, world: World, point: VmRestorePoint, access: Access) -> list[Link]:
    """Up to the backup server, then to the restore point."""
    parent = world.all("RestorePoint")[point.restore_point_id]
    up = Link("Up", "RestorePointReference", h.item(restore_points.PATH, parent.id), parent.name)
    return [*up_to_server(h, world, point, access), up]


# after RestorePoints: EntitiesType's order
PARENTS = (ForeignKey("restore_point_id", "RestorePoint"), ForeignKey("backup_file_id", "BackupFile"))
# a recorded world's fixture: `PointType` (`Full` or `Increment`) says whether it is a full
POINT_TYPE = Codec(
    lambda full: "Full" if full else "Increment",
    lambda value, key: one_of("Full", "Increment").load(value, key) == "Full",
)
KIND = catalogue_kind(
    VmRestorePoint,
    "VM restore point",
    PARENTS,
    query,
    8,
    "Id BackupServerId RestorePointId BackupFileId CreationTimeUTC=creation_time VmName VmDisplayName"
    " PointType=full HierarchyObjRef FineName",
    codecs={"PointType": POINT_TYPE},
)
# after restore points, as em12 links it
FAMILY = catalogue_family(KIND, PATH, values, ups=ups, position=5, reads=read_vm_restore_point)
