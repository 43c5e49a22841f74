"""`/api/cloud/replicas`: tenants' replication jobs to the provider, with their restore points."""

from __future__ import annotations

from operator import attrgetter
from typing import Any
from uuid import UUID

from mock_em.model.access import Access
from mock_em.model.entities import CloudReplica, Platform, ReplicaSchedule, Vm
from mock_em.model.fixture_values import number, text
from mock_em.model.kinds import FixtureSection, ForeignKey, Kind
from mock_em.model.query_columns import enum_field, own_uid_field, query_for, ranked, string_field
from mock_em.model.query_columns import text as text_column
from mock_em.model.query_fields import QueryType
from mock_em.model.world import World
from mock_em.resources.backup_servers import server_up
from mock_em.resources.family import Down, Family, SubCollection
from mock_em.wire.links import Hrefs, Link

PATH = "/cloud/replicas"
# A replica's restore points; API v1_2 (EM 9.0) kept them under the points' own path.
POINTS = SubCollection(
    "vmReplicaPoints",
    "CloudVmReplicaPoint",
    "replica_id",
    aliases=("/cloud/vmReplicaPoints/{id}/vmReplicaPoints",),
)


def values(h: Hrefs, world: World, replica: CloudReplica, access: Access) -> dict[str, Any]:
    """The entity's own fields (without the schema's `<Ref>`, as real servers, em-api.md §11)."""
    return {"Platform": replica.platform.value}


def ups(h: Hrefs, world: World, replica: CloudReplica, access: Access) -> list[Link]:
    """Up to its backup server."""
    return server_up(h, world, replica.backup_server_id, access)


def downs(h: Hrefs, world: World, replica: CloudReplica, access: Access) -> list[Link]:
    """Down to its restore points."""
    return [Link("Down", "CloudVmReplicaPointReferenceList", h.sub(PATH, replica.id, POINTS.segment))]


def dump(r: CloudReplica) -> dict[str, Any]:
    """A replication job as fixture JSON, with the schedule its points follow."""
    return {
        "Id": str(r.id),
        "Name": r.name,
        "TenantId": str(r.tenant_id),
        "BackupServerId": str(r.backup_server_id),
        "Platform": r.platform.value,
        "Retention": r.retention,
        "Schedule": {
            "Hour": r.schedule.hour,
            "Minute": r.schedule.minute,
            "SpreadMinutes": r.schedule.spread_minutes,
            "AdhocRate": r.schedule.adhoc_rate,
            "Seed": r.schedule.seed,
        },
        "Vms": [{"Name": v.name, "DisplayName": v.display_name} for v in r.vms],
    }


def load(r: dict[str, Any]) -> CloudReplica:
    """A replication job from fixture JSON."""
    sched = r.get("Schedule", {})
    return CloudReplica(
        id=UUID(r["Id"]),
        name=text(r, "Name"),
        tenant_id=UUID(r["TenantId"]),
        backup_server_id=UUID(r["BackupServerId"]),
        platform=Platform(r.get("Platform", "VMware")),
        retention=number(r, "Retention", 7),
        schedule=ReplicaSchedule(
            hour=int(sched.get("Hour", 20)),
            minute=int(sched.get("Minute", 0)),
            spread_minutes=int(sched.get("SpreadMinutes", 70)),
            adhoc_rate=float(sched.get("AdhocRate", 0.1)),
            seed=int(sched.get("Seed", 0)),
        ),
        vms=[Vm(text(v, "Name"), text(v, "DisplayName", "")) for v in r.get("Vms", [])],
    )


def query(kind: Kind) -> QueryType:
    """The query type: the vendor's table of CloudReplica fields."""
    return query_for(
        kind,
        own_uid_field("CloudReplica", attrgetter("replicas")),
        string_field("Name", text_column("name")),
        enum_field("Platform", ranked("platform", Platform), (p.value for p in Platform)),
    )


KIND = Kind(
    "CloudReplica",
    CloudReplica,
    what="Cloud replica",
    plural="cloud replicas",
    noun="replica",
    keys=(ForeignKey("tenant_id", "CloudTenant"), ForeignKey("backup_server_id", "BackupServer")),
    tenant_key="tenant_id",
    fixture=FixtureSection("CloudReplicas", dump, load),
    query=query,
    query_order=1,
)

FAMILY = Family(
    kind=KIND,
    path=PATH,
    list_name="CloudReplicas",
    values=values,
    ups=ups,
    downs=downs,
    subs=(POINTS,),
    down=Down("CloudConnectService", 6),
)
