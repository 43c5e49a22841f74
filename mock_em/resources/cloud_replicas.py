"""`/api/cloud/replicas`: tenants' replication jobs to the provider, with their restore points."""

from __future__ import annotations

from operator import attrgetter
from typing import TYPE_CHECKING, Any
from uuid import UUID

from pydantic import BaseModel, ConfigDict, Field

from mock_em.importer.entity import Entity, Reading
from mock_em.model.access import Access, NotFound
from mock_em.model.entities import CloudReplica, CloudTenant, Platform, ReplicaSchedule, Vm
from mock_em.model.fixture_records import records
from mock_em.model.ids import guid
from mock_em.model.kinds import OF_TENANT, ON_SERVER, Kind
from mock_em.model.query_columns import enum_field, identity_fields, query_for, ranked
from mock_em.model.query_fields import QueryType
from mock_em.model.world import World
from mock_em.resources.backup_servers import up_to_server
from mock_em.resources.cloud_import import server_of
from mock_em.resources.family import (
    BadEdit,
    Down,
    EditRoute,
    Edits,
    Family,
    Generates,
    SubCollection,
    guid_of,
    member_of,
)
from mock_em.wire.links import Hrefs, Link

if TYPE_CHECKING:
    from random import Random

    from mock_em.generator import Generation
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


def downs(h: Hrefs, world: World, replica: CloudReplica, access: Access) -> list[Link]:
    """Down to its restore points."""
    return [Link("Down", "CloudVmReplicaPointReferenceList", h.sub(PATH, replica.id, POINTS.segment))]


def reads(entity: Entity, reading: Reading) -> CloudReplica:
    """The job as EM lists it: its name, platform and backup server. EM shows neither its tenant
    nor its VMs, retention or schedule: the completion finds its tenant and its VMs (from its
    points and the failover plans) and its retention (the most points a VM keeps); the schedule
    stays the default, so its past is as read and its future runs are the default's
    (`cloud_import.completion`)."""
    return CloudReplica(
        id=entity.id,
        name=entity.name,
        tenant_id=None,  # type: ignore[arg-type]  # the completion's
        backup_server_id=server_of(entity, reading),  # type: ignore[arg-type]  # None: the completion's
        platform=entity.member("Platform", Platform, Platform.VMware),
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
    """A job as the control plane shows it: its fixture form without the schedule, its VMs by name."""
    shown = KIND.section.dump(replica)
    del shown["Schedule"]
    shown["Vms"] = [v.name for v in replica.vms]
    return shown


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


# -- the generator's part: a tenant's jobs, drawn right after the tenant -----------------------------

PURPOSES = (
    "Servers", "CRM", "ERP", "SQL", "Exchange", "File Servers", "Web", "Domain Controllers",
    "SharePoint", "Accounting", "Citrix", "Oracle", "Mail", "Terminal Servers", "Dev", "Print Servers",
)  # fmt: skip


def generate_replicas(g: Generation, tenant: CloudTenant) -> None:
    """`size.replicas_per_tenant` jobs of one tenant, all on one platform, each replicating
    `size.vms_per_replica` VMs numbered `srvNN` across the provider and keeping `size.points_per_vm`
    points (the last VM number is kept in `g.notes` between tenants)."""
    rng, size = g.rng, g.size
    vm_width = max(2, len(str(size.vms)))
    vm_number = g.notes.get("vm_number", 0)
    platform = Platform.VMware if rng.random() < 0.8 else Platform.HyperV
    for purpose in _purposes(rng, size.replicas_per_tenant):
        vms = [Vm(f"srv{vm_number + i + 1:0{vm_width}d}") for i in range(size.vms_per_replica)]
        vm_number += len(vms)
        g.add(
            CloudReplica(
                id=guid(rng),
                name=f"{tenant.name} {purpose} Replication",
                tenant_id=tenant.id,
                backup_server_id=tenant.backup_server_id,
                platform=platform,
                retention=size.points_per_vm,
                schedule=_schedule(rng),
                vms=vms,
            )
        )
    g.notes["vm_number"] = vm_number


def _purposes(rng: Random, count: int) -> list[str]:
    """`count` job purposes, unique within a tenant; numbered once the list runs out."""
    chosen = rng.sample(PURPOSES, min(count, len(PURPOSES)))
    return chosen + [f"{PURPOSES[i % len(PURPOSES)]} {i // len(PURPOSES) + 1}" for i in range(len(PURPOSES), count)]


def _schedule(rng: Random) -> ReplicaSchedule:
    """A nightly job between 19:00 and 22:45, points spreading over 30 to 90 minutes."""
    return ReplicaSchedule(
        hour=rng.randint(19, 22),
        minute=rng.choice((0, 15, 30, 45)),
        spread_minutes=rng.randint(30, 90),
        adhoc_rate=round(rng.uniform(0.05, 0.15), 2),
        seed=rng.getrandbits(32),
    )


def query(kind: Kind) -> QueryType:
    """The query type: the vendor's table of CloudReplica fields."""
    return query_for(
        kind,
        *identity_fields("CloudReplica", attrgetter("replicas")),
        enum_field("Platform", ranked("platform", Platform), (p.value for p in Platform)),
    )


KIND = Kind(
    CloudReplica,
    noun="replica",
    keys=(OF_TENANT, ON_SERVER),
    tenant_key="tenant_id",
    fixture=records(
        "Id Name TenantId BackupServerId Platform Retention Schedule Vms",
    ),
    query=query,
    query_order=1,
)

FAMILY = Family(
    KIND,
    PATH,
    values,
    ups=up_to_server,
    downs=downs,
    subs=(POINTS,),
    down=Down("CloudConnectService", 6),
    edits=EDITS,
    generates=Generates(generate_replicas, per="CloudTenant"),
    reads=reads,
)
