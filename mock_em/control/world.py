"""The world through the control plane: regenerate, load, export, snapshots and edits.

Vendor objects keep the vendor's names here too (the fixture file's `PascalCase` keys), so an
edit body reads like the fixture it ends up in. Ids of new objects come from the EM's seeded RNG.
"""

from __future__ import annotations

import string
from datetime import datetime
from typing import Any

from fastapi import APIRouter, Request
from pydantic import BaseModel, ConfigDict, Field

from mock_em.api.errors import VeeamError
from mock_em.control.common import em, parse_uuid, world_summary
from mock_em.generator import WorldSize, generate_world
from mock_em.model.enterprise_manager import NotFound
from mock_em.model.entities import (
    CloudReplica,
    CloudTenant,
    CloudVmReplicaPoint,
    Platform,
    PointState,
    PointType,
    Vm,
)
from mock_em.model.fixture import FixtureError, format_time, parse_time, world_from_dict, world_to_dict
from mock_em.model.ids import guid

router = APIRouter(prefix="/world", tags=["world"])
snapshots = APIRouter(prefix="/snapshots", tags=["snapshots"])

Vendor = ConfigDict(populate_by_name=True, extra="forbid")


class Regenerate(BaseModel):
    """A new generated world; unset knobs keep the server's settings."""

    model_config = ConfigDict(extra="forbid")
    seed: int | None = None
    backupServers: int | None = Field(default=None, ge=0, le=1000)
    tenants: int | None = Field(default=None, ge=0, le=100_000)
    replicasPerTenant: int | None = Field(default=None, ge=0, le=1000)
    vmsPerReplica: int | None = Field(default=None, ge=0, le=10_000)
    pointsPerVm: int | None = Field(default=None, ge=0, le=10_000)


class NewTenant(BaseModel):
    """A tenant to add; the password is generated when not given."""

    model_config = Vendor
    Name: str = Field(min_length=1, max_length=200)
    Password: str | None = Field(default=None, max_length=200)
    BackupServerId: str | None = None
    Description: str = ""
    Enabled: bool = True


class NewReplica(BaseModel):
    """A replication job to add to a tenant."""

    model_config = Vendor
    Name: str = Field(min_length=1, max_length=200)
    TenantId: str
    Platform: str = "VMware"
    Retention: int = Field(default=7, ge=1, le=10_000)
    Vms: list[str] = Field(default_factory=list, max_length=10_000)


class NewVm(BaseModel):
    """A VM to replicate; named `srvNN` (the next number across the provider) when not given."""

    model_config = Vendor
    Name: str | None = Field(default=None, min_length=1, max_length=200)


class NewPoint(BaseModel):
    """A restore point to add by hand (an ad-hoc run)."""

    model_config = Vendor
    ReplicaId: str
    VmName: str
    CreationTimeUTC: str | None = None
    PointType: str = "Snapshot"
    State: str = "Ready"


class PointChange(BaseModel):
    """`{"State": "Failover"}`."""

    model_config = Vendor
    State: str


def _enum(kind: type, value: str, field_name: str) -> Any:
    for member in kind:
        if member.value.casefold() == value.casefold():
            return member
    raise VeeamError(400, f"{field_name}: {value!r} is not one of {', '.join(m.value for m in kind)}")


def _password(manager_rng) -> str:
    alphabet = string.ascii_letters + string.digits
    return "".join(manager_rng.choice(alphabet) for _ in range(14))


def _tenant_json(tenant: CloudTenant) -> dict[str, Any]:
    return {
        "Id": str(tenant.id),
        "Name": tenant.name,
        "Username": tenant.username,
        "Password": tenant.password,
        "BackupServerId": str(tenant.backup_server_id),
        "Enabled": tenant.enabled,
    }


def _replica_json(replica: CloudReplica) -> dict[str, Any]:
    return {
        "Id": str(replica.id),
        "Name": replica.name,
        "TenantId": str(replica.tenant_id),
        "BackupServerId": str(replica.backup_server_id),
        "Platform": replica.platform.value,
        "Retention": replica.retention,
        "Vms": [v.name for v in replica.vms],
    }


def _point_json(point: CloudVmReplicaPoint) -> dict[str, Any]:
    return {
        "Id": str(point.id),
        "Name": point.name,
        "ReplicaId": str(point.replica_id),
        "VmName": point.vm_name,
        "CreationTimeUTC": format_time(point.creation_time),
        "PointType": point.point_type.value,
        "State": point.state.value,
    }


# -- whole worlds ---------------------------------------------------------------------------


@router.get("")
async def export_world(request: Request) -> dict[str, Any]:
    """The current world as a fixture (what `mock-em generate` writes and `--fixture` reads)."""
    return world_to_dict(em(request).world, em(request).seed)


@router.put("")
async def load_world(request: Request) -> dict[str, Any]:
    """Serve the world in the body (a fixture) from now on."""
    try:
        data = await request.json()
    except (ValueError, RecursionError):  # RecursionError: JSON nested deeper than the parser goes
        raise VeeamError(400, "the body is not JSON: send a fixture as written by GET /mock/world") from None
    try:
        world = world_from_dict(data)
    except FixtureError as exc:
        raise VeeamError(400, f"not a usable fixture: {exc}") from None
    seed = data.get("Seed") if isinstance(data.get("Seed"), int) else None
    em(request).replace_world(world, seed)
    return world_summary(em(request))


@router.post("/regenerate")
async def regenerate(request: Request, body: Regenerate | None = None) -> dict[str, Any]:
    """Generate a new world (new seed and/or size) at the clock's now."""
    body = body or Regenerate()
    settings = request.app.state.settings
    manager = em(request)
    seed = body.seed if body.seed is not None else manager.seed
    try:
        size = WorldSize(
            backup_servers=_pick(body.backupServers, settings.backup_servers),
            tenants=_pick(body.tenants, settings.tenants),
            replicas_per_tenant=_pick(body.replicasPerTenant, settings.replicas_per_tenant),
            vms_per_replica=_pick(body.vmsPerReplica, settings.vms_per_replica),
            points_per_vm=_pick(body.pointsPerVm, settings.points_per_vm),
        )
    except ValueError as exc:
        raise VeeamError(400, str(exc)) from None
    if size.points > 5_000_000:
        raise VeeamError(400, f"a world of {size.points} points is more than this control call makes (5,000,000)")
    manager.replace_world(generate_world(seed, size, manager.clock.now()), seed)
    return {"seed": seed, **world_summary(manager)}


def _pick(value: int | None, default: int) -> int:
    return default if value is None else value


# -- snapshots ------------------------------------------------------------------------------


@snapshots.get("")
async def list_snapshots(request: Request) -> dict[str, Any]:
    """Saved snapshots by name."""
    return {
        "snapshots": [
            {"name": name, "points": len(s.world.points), "worldTime": format_time(s.world_time)}
            for name, s in em(request).snapshots.items()
        ]
    }


@snapshots.put("/{name}")
async def save_snapshot(request: Request, name: str) -> dict[str, Any]:
    """Save the current world under `name`."""
    snapshot = em(request).save_snapshot(name)
    return {"name": name, "points": len(snapshot.world.points), "worldTime": format_time(snapshot.world_time)}


@snapshots.post("/{name}/restore")
async def restore_snapshot(request: Request, name: str) -> dict[str, Any]:
    """Serve the snapshot `name` again (it stays saved)."""
    em(request).restore_snapshot(name)
    return world_summary(em(request))


@snapshots.delete("/{name}")
async def delete_snapshot(request: Request, name: str) -> dict[str, Any]:
    """Forget a snapshot."""
    if em(request).snapshots.pop(name, None) is None:
        raise NotFound(f"Snapshot {name!r} was not found")
    return {"deleted": name}


# -- edits ----------------------------------------------------------------------------------


@router.post("/tenants", status_code=201)
async def add_tenant(request: Request, body: NewTenant) -> dict[str, Any]:
    """Add a tenant (its username is its name, as Veeam tenants log on with their name)."""
    manager = em(request)
    world = manager.world
    if body.BackupServerId is not None:
        server_id = parse_uuid(body.BackupServerId, "BackupServerId")
    elif world.backup_servers:
        server_id = next(iter(world.backup_servers))
    else:
        raise VeeamError(400, "BackupServerId: the world has no backup server to put the tenant on")
    tenant = CloudTenant(
        id=guid(manager.rng),
        name=body.Name,
        backup_server_id=server_id,
        username=body.Name,
        password=body.Password if body.Password is not None else _password(manager.rng),
        description=body.Description,
        enabled=body.Enabled,
    )
    try:
        world.add_tenant(tenant)
    except KeyError:
        raise NotFound(f"Backup server {server_id} was not found") from None
    except ValueError as exc:
        raise VeeamError(400, str(exc)) from None
    return _tenant_json(tenant)


@router.delete("/tenants/{tenant_id}")
async def remove_tenant(request: Request, tenant_id: str) -> dict[str, Any]:
    """Remove a tenant with its replication jobs and their points."""
    try:
        removed = em(request).world.remove_tenant(parse_uuid(tenant_id, "tenant id"))
    except KeyError:
        raise NotFound(f"Cloud tenant {tenant_id} was not found") from None
    return {"deleted": tenant_id, "pointsRemoved": removed}


@router.post("/replicas", status_code=201)
async def add_replica(request: Request, body: NewReplica) -> dict[str, Any]:
    """Add a replication job to a tenant (on the tenant's backup server)."""
    manager = em(request)
    world = manager.world
    tenant_id = parse_uuid(body.TenantId, "TenantId")
    tenant = world.tenants.get(tenant_id)
    if tenant is None:
        raise NotFound(f"Cloud tenant {tenant_id} was not found")
    vms = [Vm(name) for name in body.Vms]
    replica = CloudReplica(
        id=guid(manager.rng),
        name=body.Name,
        tenant_id=tenant_id,
        backup_server_id=tenant.backup_server_id,
        platform=_enum(Platform, body.Platform, "Platform"),
        retention=body.Retention,
        vms=vms,
    )
    replica.schedule.seed = manager.rng.getrandbits(32)
    world.add_replica(replica)
    return _replica_json(replica)


@router.delete("/replicas/{replica_id}")
async def remove_replica(request: Request, replica_id: str) -> dict[str, Any]:
    """Remove a replication job and its points."""
    try:
        removed = em(request).world.remove_replica(parse_uuid(replica_id, "replica id"))
    except KeyError:
        raise NotFound(f"Cloud replica {replica_id} was not found") from None
    return {"deleted": replica_id, "pointsRemoved": removed}


@router.post("/replicas/{replica_id}/vms", status_code=201)
async def add_vm(request: Request, replica_id: str, body: NewVm | None = None) -> dict[str, Any]:
    """Replicate one more VM in a job."""
    world = em(request).world
    rid = parse_uuid(replica_id, "replica id")
    name = body.Name if body and body.Name else world.next_vm_name()
    try:
        world.add_vm(rid, Vm(name))
    except KeyError:
        raise NotFound(f"Cloud replica {replica_id} was not found") from None
    except ValueError as exc:
        raise VeeamError(400, str(exc)) from None
    return _replica_json(world.replicas[rid])


@router.delete("/replicas/{replica_id}/vms/{vm_name}")
async def remove_vm(request: Request, replica_id: str, vm_name: str) -> dict[str, Any]:
    """Stop replicating a VM; its points go too."""
    try:
        removed = em(request).world.remove_vm(parse_uuid(replica_id, "replica id"), vm_name)
    except KeyError:
        raise NotFound(f"VM {vm_name} of cloud replica {replica_id} was not found") from None
    return {"deleted": vm_name, "pointsRemoved": removed}


@router.post("/points", status_code=201)
async def add_point(request: Request, body: NewPoint) -> dict[str, Any]:
    """Add a restore point (at the clock's now unless a time is given)."""
    manager = em(request)
    world = manager.world
    rid = parse_uuid(body.ReplicaId, "ReplicaId")
    replica = world.replicas.get(rid)
    if replica is None:
        raise NotFound(f"Cloud replica {rid} was not found")
    vm = next((v for v in replica.vms if v.name.casefold() == body.VmName.casefold()), None)
    if vm is None:
        raise VeeamError(400, f"VmName: replica {replica.name!r} does not replicate {body.VmName!r}")
    when: datetime = manager.clock.now().replace(microsecond=0)
    if body.CreationTimeUTC is not None:
        try:
            when = parse_time(body.CreationTimeUTC)
        except ValueError:
            raise VeeamError(400, f"CreationTimeUTC: {body.CreationTimeUTC!r} is not an ISO 8601 time") from None
    point = CloudVmReplicaPoint(
        id=guid(manager.rng),
        replica_id=rid,
        vm_name=vm.name,
        creation_time=when,
        vm_display_name=vm.display_name,
        point_type=_enum(PointType, body.PointType, "PointType"),
        state=_enum(PointState, body.State, "State"),
    )
    world.add_point(point)
    return _point_json(point)


@router.delete("/points/{point_id}")
async def remove_point(request: Request, point_id: str) -> dict[str, Any]:
    """Remove a restore point."""
    try:
        em(request).world.remove_point(parse_uuid(point_id, "point id"))
    except KeyError:
        raise NotFound(f"Cloud VM replica point {point_id} was not found") from None
    return {"deleted": point_id}


@router.patch("/points/{point_id}")
async def change_point(request: Request, point_id: str, body: PointChange) -> dict[str, Any]:
    """Change a point's state (e.g. `Failover`)."""
    state = _enum(PointState, body.State, "State")
    try:
        point = em(request).world.set_point_state(parse_uuid(point_id, "point id"), state)
    except KeyError:
        raise NotFound(f"Cloud VM replica point {point_id} was not found") from None
    return _point_json(point)
