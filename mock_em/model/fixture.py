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
    utc = value.astimezone(UTC)
    text = f"{utc.year:04d}{utc:-%m-%dT%H:%M:%S}"  # strftime's %Y drops leading zeros before 1000
    if value.microsecond:
        text += f".{value.microsecond:06d}".rstrip("0")
    return text + "Z"


def parse_time(text: str) -> datetime:
    """Read a time written by `format_time` (or any ISO 8601 form with an offset) as aware UTC;
    ValueError for anything else, including times that leave datetime's range once in UTC."""
    value = datetime.fromisoformat(text.replace("Z", "+00:00"))
    if value.tzinfo is None:
        value = value.replace(tzinfo=UTC)
    try:
        return value.astimezone(UTC)
    except OverflowError:
        raise ValueError(f"{text!r} is outside the range of times") from None


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
    return None if value is None else parse_time(_typed(value, str, "a time"))


def _typed(value: Any, kind: type, what: str) -> Any:
    """`value` if it has the JSON type the world needs, else ValueError (bools are not numbers)."""
    if not isinstance(value, kind) or (kind is int and isinstance(value, bool)):
        raise ValueError(f"{value!r} is not {what}")
    return value


def _text(data: dict[str, Any], key: str, default: str | None = None) -> str:
    value = data[key] if default is None else data.get(key, default)
    return _typed(value, str, f"a string ({key})")


def _flag(data: dict[str, Any], key: str, default: bool) -> bool:
    return _typed(data.get(key, default), bool, f"true or false ({key})")


def _number(data: dict[str, Any], key: str, default: int) -> int:
    return _typed(data.get(key, default), int, f"a whole number ({key})")


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
                _text(s, "Name"),
                _text(s, "Description", ""),
                _number(s, "Port", 9392),
                _text(s, "Version", "9.5.0.1922"),
            )
            for s in data.get("BackupServers", [])
        ]
        where = "CloudTenants"
        tenants = [
            CloudTenant(
                id=UUID(t["Id"]),
                name=_text(t, "Name"),
                backup_server_id=UUID(t["BackupServerId"]),
                username=_text(t, "Username"),
                password=_text(t, "Password"),
                description=_text(t, "Description", ""),
                enabled=_flag(t, "Enabled", True),
                lease_expiration=_opt_parse(t.get("LeaseExpirationDate")),
                last_result=_text(t, "LastResult", "Success"),
                last_active=_opt_parse(t.get("LastActive")),
                throttling_enabled=_flag(t, "ThrottlingEnabled", False),
                throttling_speed_limit=_number(t, "ThrottlingSpeedLimit", 1),
                throttling_speed_unit=_text(t, "ThrottlingSpeedUnit", "Mbps"),
                public_ip_count=_number(t, "PublicIpCount", 0),
                backup_count=_number(t, "BackupCount", 0),
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
                    name=_text(r, "Name"),
                    tenant_id=UUID(r["TenantId"]),
                    backup_server_id=UUID(r["BackupServerId"]),
                    platform=Platform(r.get("Platform", "VMware")),
                    retention=_number(r, "Retention", 7),
                    schedule=ReplicaSchedule(
                        hour=int(sched.get("Hour", 20)),
                        minute=int(sched.get("Minute", 0)),
                        spread_minutes=int(sched.get("SpreadMinutes", 70)),
                        adhoc_rate=float(sched.get("AdhocRate", 0.1)),
                        seed=int(sched.get("Seed", 0)),
                    ),
                    vms=[Vm(_text(v, "Name"), _text(v, "DisplayName", "")) for v in r.get("Vms", [])],
                )
            )
        where = "CloudVmReplicaPoints"
        points = [
            CloudVmReplicaPoint(
                id=UUID(p["Id"]),
                replica_id=UUID(p["ReplicaId"]),
                vm_name=_text(p, "VmName"),
                creation_time=parse_time(_text(p, "CreationTimeUTC")),
                vm_display_name=_text(p, "VmDisplayName", ""),
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
