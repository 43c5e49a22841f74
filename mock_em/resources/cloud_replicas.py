"""`/api/cloud/replicas`: tenants' replication jobs to the provider, with their restore points."""

from __future__ import annotations

from typing import TYPE_CHECKING, Any
from uuid import UUID

from pydantic import BaseModel, ConfigDict, Field

from mock_em.model.access import Access, NotFound
from mock_em.model.entities import CloudReplica, Platform, ReplicaSchedule, Vm
from mock_em.model.fixture_values import number, text
from mock_em.model.ids import guid
from mock_em.model.kinds import FixtureSection, ForeignKey, Kind
from mock_em.model.world import World
from mock_em.resources.backup_servers import server_up
from mock_em.resources.family import BadEdit, Down, EditRoute, Edits, Family, SubCollection, guid_of, member_of
from mock_em.wire.links import Hrefs, Link

if TYPE_CHECKING:
    from mock_em.model.enterprise_manager import EnterpriseManager

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


# -- control-plane edits (`/mock/world/replicas`, and a job's VMs) -----------------------------------

VENDOR_BODY = ConfigDict(populate_by_name=True, extra="forbid")


class NewReplica(BaseModel):
    """A replication job to add to a tenant."""

    model_config = VENDOR_BODY
    Name: str = Field(min_length=1, max_length=200)
    TenantId: str
    Platform: str = "VMware"
    Retention: int = Field(default=7, ge=1, le=10_000)
    Vms: list[str] = Field(default_factory=list, max_length=10_000)


class NewVm(BaseModel):
    """A VM to replicate; named `srvNN` (the next number across the provider) when not given."""

    model_config = VENDOR_BODY
    Name: str | None = Field(default=None, min_length=1, max_length=200)


def build(manager: EnterpriseManager, body: NewReplica) -> CloudReplica:
    """A job of an existing tenant, on the tenant's backup server; its schedule's seed comes from
    the EM's RNG after the id (the order the control plane always drew them in)."""
    tenant_id = guid_of(body.TenantId, "TenantId")
    tenant = manager.world.tenants.get(tenant_id)
    if tenant is None:
        raise NotFound(f"Cloud tenant {tenant_id} was not found")
    replica = CloudReplica(
        id=guid(manager.rng),
        name=body.Name,
        tenant_id=tenant_id,
        backup_server_id=tenant.backup_server_id,
        platform=member_of(Platform, body.Platform, "Platform"),
        retention=body.Retention,
        vms=[Vm(name) for name in body.Vms],
    )
    replica.schedule.seed = manager.rng.getrandbits(32)
    return replica


def control_json(replica: CloudReplica) -> dict[str, Any]:
    """A job as the control plane shows it: its VMs by name."""
    return {
        "Id": str(replica.id),
        "Name": replica.name,
        "TenantId": str(replica.tenant_id),
        "BackupServerId": str(replica.backup_server_id),
        "Platform": replica.platform.value,
        "Retention": replica.retention,
        "Vms": [v.name for v in replica.vms],
    }


def add_vm(manager: EnterpriseManager, replica_id: UUID, sent: str, body: NewVm | None, _: dict[str, str]) -> dict:
    """Replicate one more VM in a job."""
    world = manager.world
    name = body.Name if body and body.Name else world.next_vm_name()
    try:
        world.add_vm(replica_id, Vm(name))
    except KeyError:
        raise NotFound(f"Cloud replica {sent} was not found") from None
    except ValueError as exc:
        raise BadEdit(str(exc)) from None
    return control_json(world.replicas[replica_id])


def remove_vm(manager: EnterpriseManager, replica_id: UUID, sent: str, _: None, path: dict[str, str]) -> dict:
    """Stop replicating a VM; its points go too."""
    vm_name = path["vm_name"]
    try:
        removed = manager.world.remove_vm(replica_id, vm_name)
    except KeyError:
        raise NotFound(f"VM {vm_name} of cloud replica {sent} was not found") from None
    return {"deleted": vm_name, "pointsRemoved": removed}


EDITS = Edits(
    "replicas",
    new=NewReplica,
    build=build,
    json=control_json,
    removed=(("pointsRemoved", "CloudVmReplicaPoint"),),
    routes=(
        EditRoute("POST", "/vms", add_vm, body=NewVm, status=201, summary="Replicate one more VM in a job."),
        EditRoute("DELETE", "/vms/{vm_name}", remove_vm, summary="Stop replicating a VM; its points go too."),
    ),
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
)

FAMILY = Family(
    kind=KIND,
    path=PATH,
    list_name="CloudReplicas",
    values=values,
    ups=ups,
    downs=downs,
    subs=(POINTS,),
    down=Down("CloudConnectService", 2),
    edits=EDITS,
)
