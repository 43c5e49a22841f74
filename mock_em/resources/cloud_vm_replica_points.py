"""`/api/cloud/vmReplicaPoints`: the restore points tenants' replication jobs leave on the provider
(the seed request, and the biggest lists: their items' bytes are kept as fragments)."""

from __future__ import annotations

from collections.abc import Callable, Sequence
from datetime import datetime
from itertools import compress
from operator import attrgetter
from typing import TYPE_CHECKING, Any
from uuid import UUID

from pydantic import BaseModel, ConfigDict

from mock_em.importer.entity import Entity, Reading, Unreadable
from mock_em.model.access import Access, NotFound, visible
from mock_em.model.entities import CloudReplica, CloudVmReplicaPoint, PointState, PointType
from mock_em.model.fixture_records import records
from mock_em.model.fixture_values import parse_time
from mock_em.model.ids import guid
from mock_em.model.kinds import ForeignKey, Kind
from mock_em.model.query_columns import enum_field, own_uid_field, query_for, ranked, string_field, uid_field, via
from mock_em.model.query_columns import text as text_column
from mock_em.model.query_fields import Field as QueryField
from mock_em.model.query_fields import Kind as FieldKind
from mock_em.model.query_fields import QueryType
from mock_em.model.query_point_names import CREATION_TIME, name_column, name_compare, name_head, name_window
from mock_em.model.schedule import latest_points
from mock_em.model.world import World
from mock_em.resources.backup_servers import server_up
from mock_em.resources.cloud_import import server_of
from mock_em.resources.cloud_replicas import KIND as REPLICA_KIND
from mock_em.resources.cloud_replicas import PATH as REPLICAS
from mock_em.resources.family import BadEdit, Down, Edits, Family, generation_part, guid_of, member_of
from mock_em.wire.links import Hrefs, Link

if TYPE_CHECKING:
    from mock_em.generator import Generation
    from mock_em.model.enterprise_manager import EnterpriseManager


def values(h: Hrefs, world: World, point: CloudVmReplicaPoint, access: Access) -> dict[str, Any]:
    """The entity's own fields."""
    return {
        "VmDisplayName": point.vm_display_name,
        "CreationTimeUTC": point.creation_time,
        "VmName": point.vm_name,
        "PointType": point.point_type.value,
        "State": point.state.value,
    }


def ups(h: Hrefs, world: World, point: CloudVmReplicaPoint, access: Access) -> list[Link]:
    """Up to the backup server of its replica, and to the replica."""
    replica = world.replicas[point.replica_id]
    links = server_up(h, world, replica.backup_server_id, access)
    links.append(Link("Up", "CloudReplicaReference", h.item(REPLICAS, replica.id), replica.name))
    return links


def reads(entity: Entity, reading: Reading) -> CloudVmReplicaPoint:
    """The point as EM lists it, its replica from its `Up` link (its backup server is its
    replica's: a stand-in where the source lists none, `cloud_import.server_of`)."""
    replica_id = entity.link_id("CloudReplicaReference", "Up")
    if replica_id is None:
        raise Unreadable(f"the point {entity.name!r} links up to no replica")
    created = entity.time("CreationTimeUTC")
    if created is None:
        raise Unreadable(f"the point {entity.name!r} lacks CreationTimeUTC")
    server_of(entity, reading)
    return CloudVmReplicaPoint(
        id=entity.id,
        replica_id=replica_id,
        vm_name=entity["VmName"],
        creation_time=created,
        vm_display_name=entity.get("VmDisplayName", ""),
        point_type=entity.member("PointType", PointType, PointType.Snapshot),
        state=entity.member("State", PointState, PointState.Ready),
    )


# -- control-plane edits (`/mock/world/points`) ---------------------------------------------------

VENDOR_BODY = ConfigDict(populate_by_name=True, extra="forbid")


class NewPoint(BaseModel):
    """A restore point to add by hand (an ad-hoc run)."""

    model_config = VENDOR_BODY
    ReplicaId: str
    VmName: str
    CreationTimeUTC: str | None = None
    PointType: str = "Snapshot"
    State: str = "Ready"


class PointChange(BaseModel):
    """`{"State": "Failover"}`."""

    model_config = VENDOR_BODY
    State: str


def build(manager: EnterpriseManager, body: NewPoint) -> CloudVmReplicaPoint:
    """A point of a VM the job replicates, at the clock's now unless a time is given."""
    rid = guid_of(body.ReplicaId, "ReplicaId")
    replica = manager.world.replicas.get(rid)
    if replica is None:
        raise NotFound(f"Cloud replica {rid} was not found")
    vm = next((v for v in replica.vms if v.name.casefold() == body.VmName.casefold()), None)
    if vm is None:
        raise BadEdit(f"VmName: replica {replica.name!r} does not replicate {body.VmName!r}")
    when: datetime = manager.clock.now().replace(microsecond=0)
    if body.CreationTimeUTC is not None:
        try:
            when = parse_time(body.CreationTimeUTC)
        except ValueError:
            raise BadEdit(f"CreationTimeUTC: {body.CreationTimeUTC!r} is not an ISO 8601 time") from None
    return CloudVmReplicaPoint(
        id=guid(manager.rng),
        replica_id=rid,
        vm_name=vm.name,
        creation_time=when,
        vm_display_name=vm.display_name,
        point_type=member_of(PointType, body.PointType, "PointType"),
        state=member_of(PointState, body.State, "State"),
    )


def apply(body: PointChange) -> Callable[[CloudVmReplicaPoint], None]:
    """A change of state (a failover, a failback …), checked before the point is looked up."""
    state = member_of(PointState, body.State, "State")

    def change(point: CloudVmReplicaPoint) -> None:
        point.state = state

    return change


def control_json(point: CloudVmReplicaPoint) -> dict[str, Any]:
    """A point as the control plane shows it: its fixture form with its `Name` (`srvNN@time`) and
    without the display name."""
    shown = KIND.section.dump(point)
    del shown["VmDisplayName"]
    return {"Id": shown.pop("Id"), "Name": point.name, **shown}


EDITS = Edits("points", new=NewPoint, build=build, json=control_json, change=PointChange, apply=apply)


# -- the generator's part: after every job, the points their schedules left ----------------------------


def generate_points(g: Generation) -> None:
    """Not invented: each VM holds the newest `retention` points its job's schedule
    (`model.schedule`) left by `now`, so advancing the clock later continues exactly this history.
    In the order a database would have inserted them (by time); the sort is stable, so ties keep
    replica and VM order."""
    points: list[CloudVmReplicaPoint] = []
    for replica in g.all("CloudReplica").values():
        for vm in replica.vms:
            points.extend(latest_points(replica, vm, g.now, replica.retention))
    points.sort(key=attrgetter("creation_time"))
    g.sections[KIND.name] = {p.id: p for p in points}


_REPLICA_INT = attrgetter("replica_id.int")


def _points(world: World, access: Access) -> Sequence[Any]:
    """What the access policy gives (a tenant sees the points of its own replicas), found by one
    C-level set lookup per point rather than a Python call per point: a second instead of a few
    tenths over a million points."""
    points = list(world.points.values())
    if access.tenant_id is None:
        return points
    mine = {r.id.int for r in visible(world, REPLICA_KIND, access)}
    return list(compress(points, map(mine.__contains__, map(_REPLICA_INT, points))))


def _replica_names(world: World) -> dict[int, str]:
    return {rid.int: r.name.casefold() for rid, r in world.replicas.items()}


def _replicas(world: World) -> dict[UUID, CloudReplica]:
    return world.replicas


def _replica_server_uids(world: World) -> dict[int, int]:
    return {rid.int: r.backup_server_id.int for rid, r in world.replicas.items()}


def _replica_server_names(world: World) -> dict[int, str]:
    servers = world.backup_servers
    return {rid.int: servers[r.backup_server_id].name.casefold() for rid, r in world.replicas.items()}


def query(kind: Kind) -> QueryType:
    """The query type: the vendor's table of CloudVmReplicaPoint fields, with its enum orders
    (filters compare enum values by index: `State>=Failover` is Failover, Failback or
    PermanentFailover). `Type` takes Full, ReverseIncrement, Increment, Snapshot: today's table
    also lists CDP, which came with v11 and which no 9.5 point can have, so `Type==CDP` is refused
    like any unknown value. `BackupServerUid` / `BackupServerName` are those of the point's replica.
    Names are `<vm>@<stamp>`, which lets Name filters and sorts skip formatting most of them."""
    return query_for(
        kind,
        own_uid_field("CloudVmReplicaPoint", attrgetter("points")),
        QueryField("Name", FieldKind.STRING, name_column, narrow=name_window, head=name_head, compare=name_compare),
        CREATION_TIME,
        string_field("VmName", text_column("vm_name")),
        enum_field("Type", ranked("point_type", PointType), (t.value for t in PointType)),
        uid_field("ReplicaUid", "replica_id.int", "CloudReplica"),
        string_field("ReplicaName", via("replica_id.int", _replica_names, _replicas)),
        string_field("VmDisplayName", text_column("vm_display_name")),
        QueryField(
            "BackupServerUid",
            FieldKind.UID,
            via("replica_id.int", _replica_server_uids, _replicas),
            uid_prefix="urn:veeam:BackupServer:",
        ),
        string_field("BackupServerName", via("replica_id.int", _replica_server_names, _replicas)),
        enum_field("State", ranked("state", PointState), (s.value for s in PointState)),
        objects=_points,
    )


KIND = Kind(
    CloudVmReplicaPoint,
    noun="point",
    keys=(ForeignKey("replica_id", "CloudReplica"),),
    tenant_key="replica_id",
    fixture=records(
        "Id ReplicaId VmName VmDisplayName CreationTimeUTC=creation_time PointType State",
    ),
    query=query,
    query_order=0,
)

FAMILY = Family(
    KIND,
    "/cloud/vmReplicaPoints",
    values,
    in_list="CloudVmReplicaPointInList",  # the schema names its list items `<CloudReplica>` (em-api.md §4)
    ups=ups,
    down=Down("CloudConnectService", 5),
    fragments=True,
    edits=EDITS,
    generates=generation_part(generate_points),
    reads=reads,
)
