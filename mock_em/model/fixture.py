"""Worlds as JSON fixture files: what `mock-em generate` writes and `serve --fixture` reads.

Keys use the vendor's names (`CloudTenants`, `CreationTimeUTC`, `PointType`), so a fixture reads
like the API it feeds. Lists keep their order: it is the order the API lists objects in.
"""

from __future__ import annotations

import json
from datetime import UTC, datetime
from pathlib import Path
from typing import Any
from uuid import UUID

from mock_em.model.entities import (
    BackupServer,
    CloudReplica,
    CloudTenant,
    CloudVmReplicaPoint,
    Platform,
    PointState,
    PointType,
    ReplicaSchedule,
    Vm,
)
from mock_em.model.world import World

FORMAT = "mock-em/world"
FORMAT_VERSION = 1


class FixtureError(ValueError):
    """A fixture file that cannot become a world; the message says where and why."""


def format_time(value: datetime) -> str:
    """UTC time as the vendor writes it: `2015-12-25T20:00:47Z`, a fraction only when non-zero."""
    text = value.astimezone(UTC).strftime("%Y-%m-%dT%H:%M:%S")
    if value.microsecond:
        text += f".{value.microsecond:06d}".rstrip("0")
    return text + "Z"


def parse_time(text: str) -> datetime:
    """Read a time written by `format_time` (or any ISO 8601 form with an offset) as aware UTC."""
    value = datetime.fromisoformat(text.replace("Z", "+00:00"))
    if value.tzinfo is None:
        value = value.replace(tzinfo=UTC)
    return value.astimezone(UTC)


def _opt_time(value: datetime | None) -> str | None:
    return None if value is None else format_time(value)


def world_to_dict(world: World, seed: int | None = None) -> dict[str, Any]:
    """The world as plain JSON data, in store order."""
    return {
        "Format": FORMAT,
        "FormatVersion": FORMAT_VERSION,
        "Seed": seed,
        "BackupServers": [
            {"Id": str(s.id), "Name": s.name, "Description": s.description, "Port": s.port, "Version": s.version}
            for s in world.backup_servers.values()
        ],
        "CloudTenants": [
            {
                "Id": str(t.id),
                "Name": t.name,
                "BackupServerId": str(t.backup_server_id),
                "Username": t.username,
                "Password": t.password,
                "Description": t.description,
                "Enabled": t.enabled,
                "LeaseExpirationDate": _opt_time(t.lease_expiration),
                "LastResult": t.last_result,
                "LastActive": _opt_time(t.last_active),
                "ThrottlingEnabled": t.throttling_enabled,
                "ThrottlingSpeedLimit": t.throttling_speed_limit,
                "ThrottlingSpeedUnit": t.throttling_speed_unit,
                "PublicIpCount": t.public_ip_count,
                "BackupCount": t.backup_count,
            }
            for t in world.tenants.values()
        ],
        "CloudReplicas": [
            {
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
            for r in world.replicas.values()
        ],
        "CloudVmReplicaPoints": [
            {
                "Id": str(p.id),
                "ReplicaId": str(p.replica_id),
                "VmName": p.vm_name,
                "VmDisplayName": p.vm_display_name,
                "CreationTimeUTC": format_time(p.creation_time),
                "PointType": p.point_type.value,
                "State": p.state.value,
            }
            for p in world.points.values()
        ],
    }


def _opt_parse(value: str | None) -> datetime | None:
    return None if value is None else parse_time(value)


def world_from_dict(data: Any) -> World:
    """Rebuild a world from `world_to_dict` data; FixtureError says what is wrong and where."""
    if not isinstance(data, dict) or data.get("Format") != FORMAT:
        raise FixtureError(f'not a mock-em world: expected an object with "Format": "{FORMAT}"')
    if data.get("FormatVersion") != FORMAT_VERSION:
        raise FixtureError(
            f"unsupported FormatVersion {data.get('FormatVersion')!r}; this mock-em reads {FORMAT_VERSION}"
        )
    where = "BackupServers"
    try:
        servers = [
            BackupServer(
                UUID(s["Id"]),
                s["Name"],
                s.get("Description", ""),
                int(s.get("Port", 9392)),
                s.get("Version", "9.5.0.1922"),
            )
            for s in data.get("BackupServers", [])
        ]
        where = "CloudTenants"
        tenants = [
            CloudTenant(
                id=UUID(t["Id"]),
                name=t["Name"],
                backup_server_id=UUID(t["BackupServerId"]),
                username=t["Username"],
                password=t["Password"],
                description=t.get("Description", ""),
                enabled=bool(t.get("Enabled", True)),
                lease_expiration=_opt_parse(t.get("LeaseExpirationDate")),
                last_result=t.get("LastResult", "Success"),
                last_active=_opt_parse(t.get("LastActive")),
                throttling_enabled=bool(t.get("ThrottlingEnabled", False)),
                throttling_speed_limit=int(t.get("ThrottlingSpeedLimit", 1)),
                throttling_speed_unit=t.get("ThrottlingSpeedUnit", "Mbps"),
                public_ip_count=int(t.get("PublicIpCount", 0)),
                backup_count=int(t.get("BackupCount", 0)),
            )
            for t in data.get("CloudTenants", [])
        ]
        where = "CloudReplicas"
        replicas = []
        for r in data.get("CloudReplicas", []):
            sched = r.get("Schedule", {})
            replicas.append(
                CloudReplica(
                    id=UUID(r["Id"]),
                    name=r["Name"],
                    tenant_id=UUID(r["TenantId"]),
                    backup_server_id=UUID(r["BackupServerId"]),
                    platform=Platform(r.get("Platform", "VMware")),
                    retention=int(r.get("Retention", 7)),
                    schedule=ReplicaSchedule(
                        hour=int(sched.get("Hour", 20)),
                        minute=int(sched.get("Minute", 0)),
                        spread_minutes=int(sched.get("SpreadMinutes", 70)),
                        adhoc_rate=float(sched.get("AdhocRate", 0.1)),
                        seed=int(sched.get("Seed", 0)),
                    ),
                    vms=[Vm(v["Name"], v.get("DisplayName", "")) for v in r.get("Vms", [])],
                )
            )
        where = "CloudVmReplicaPoints"
        points = [
            CloudVmReplicaPoint(
                id=UUID(p["Id"]),
                replica_id=UUID(p["ReplicaId"]),
                vm_name=p["VmName"],
                creation_time=parse_time(p["CreationTimeUTC"]),
                vm_display_name=p.get("VmDisplayName", ""),
                point_type=PointType(p.get("PointType", "Snapshot")),
                state=PointState(p.get("State", "Ready")),
            )
            for p in data.get("CloudVmReplicaPoints", [])
        ]
        where = "references"
        for section, items in (
            ("BackupServers", servers),
            ("CloudTenants", tenants),
            ("CloudReplicas", replicas),
            ("CloudVmReplicaPoints", points),
        ):
            seen: set[UUID] = set()
            for item in items:
                if item.id in seen:
                    raise FixtureError(f"{section}: the id {item.id} appears more than once")
                seen.add(item.id)
        return World.of(servers, tenants, replicas, points)
    except FixtureError:
        raise
    except KeyError as exc:
        raise FixtureError(f"{where}: an entry lacks the field {exc.args[0]!r}") from None
    except (TypeError, ValueError, AttributeError) as exc:
        raise FixtureError(f"{where}: {exc}") from None


def load_world(path: str | Path) -> tuple[World, int | None]:
    """Read a fixture file: the world and the seed it was generated from (None if hand-made)."""
    try:
        data = json.loads(Path(path).read_text(encoding="utf-8"))
    except OSError as exc:
        raise FixtureError(f"cannot read fixture {path}: {exc.strerror or exc}") from None
    except json.JSONDecodeError as exc:
        raise FixtureError(f"fixture {path} is not valid JSON: {exc}") from None
    seed = data.get("Seed") if isinstance(data, dict) else None
    return world_from_dict(data), seed if isinstance(seed, int) and not isinstance(seed, bool) else None


def dump_world(world: World, path: str | Path, seed: int | None = None) -> None:
    """Write a fixture file that `load_world` reads back to the same world."""
    Path(path).write_text(json.dumps(world_to_dict(world, seed), indent=1) + "\n", encoding="utf-8")
