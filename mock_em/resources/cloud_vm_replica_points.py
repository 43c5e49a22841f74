"""`/api/cloud/vmReplicaPoints`: the restore points tenants' replication jobs leave on the provider
(the seed request, and the biggest lists: their items' bytes are kept as fragments)."""

from __future__ import annotations

from typing import Any
from uuid import UUID

from mock_em.model.access import Access
from mock_em.model.entities import CloudVmReplicaPoint, PointState, PointType
from mock_em.model.fixture_values import format_time, parse_time, text
from mock_em.model.kinds import FixtureSection, ForeignKey, Kind
from mock_em.model.world import World
from mock_em.resources.backup_servers import server_up
from mock_em.resources.cloud_replicas import PATH as REPLICAS
from mock_em.resources.family import Down, Family
from mock_em.wire.links import Hrefs, Link


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


def dump(p: CloudVmReplicaPoint) -> dict[str, Any]:
    """A restore point as fixture JSON."""
    return {
        "Id": str(p.id),
        "ReplicaId": str(p.replica_id),
        "VmName": p.vm_name,
        "VmDisplayName": p.vm_display_name,
        "CreationTimeUTC": format_time(p.creation_time),
        "PointType": p.point_type.value,
        "State": p.state.value,
    }


def load(p: dict[str, Any]) -> CloudVmReplicaPoint:
    """A restore point from fixture JSON."""
    return CloudVmReplicaPoint(
        id=UUID(p["Id"]),
        replica_id=UUID(p["ReplicaId"]),
        vm_name=text(p, "VmName"),
        creation_time=parse_time(text(p, "CreationTimeUTC")),
        vm_display_name=text(p, "VmDisplayName", ""),
        point_type=PointType(p.get("PointType", "Snapshot")),
        state=PointState(p.get("State", "Ready")),
    )


KIND = Kind(
    "CloudVmReplicaPoint",
    CloudVmReplicaPoint,
    what="Cloud VM replica point",
    plural="cloud VM replica points",
    noun="point",
    keys=(ForeignKey("replica_id", "CloudReplica"),),
    tenant_key="replica_id",
    fixture=FixtureSection("CloudVmReplicaPoints", dump, load),
)

FAMILY = Family(
    kind=KIND,
    path="/cloud/vmReplicaPoints",
    list_name="CloudVmReplicaPoints",
    in_list="CloudVmReplicaPointInList",  # the schema names its list items `<CloudReplica>` (em-api.md §4)
    values=values,
    ups=ups,
    down=Down("CloudConnectService", 1),
    fragments=True,
)
