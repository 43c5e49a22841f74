"""The control plane's calls, grouped as the control plane is (`/mock/world`, snapshots, world
edits, clock, sessions, faults, journal), for `MockEmClient` to mix in.

Each method is one call of `_control` (`MockEmClient._control`: one HTTP request, its JSON answer
or a `MockEmError`), so this part says only what each call sends and what it answers; where the
connection is and how errors read stays with the client.
"""

from __future__ import annotations

import json
from collections.abc import Mapping
from datetime import datetime, timedelta
from pathlib import Path
from typing import Any, TypedDict, Unpack
from urllib.parse import quote
from uuid import UUID

from mock_em.model.fixture import format_time, parse_time

Id = str | UUID


class JournalFilters(TypedDict, total=False):
    """The filters of the journal and its count (see `ControlPlane.journal`)."""

    method: str | None
    path: str | None
    status: int | None
    session_id: Id | None
    since: int | datetime | str | None


def _journal_filters(filters: JournalFilters) -> dict[str, Any]:
    """The filters as the control plane's query (unknown names refused, as keywords were)."""
    unknown = set(filters) - set(JournalFilters.__annotations__)
    if unknown:
        raise TypeError(f"unknown journal filter(s): {', '.join(sorted(unknown))}")
    return {name: filters.get(name) for name in JournalFilters.__annotations__}


class ClockState(TypedDict):
    """`GET /mock/clock`: the time now and how it moves."""

    now: str
    virtual: bool
    frozen: bool
    rate: float
    worldTime: str


class WorldSummary(TypedDict):
    """How big the world is (what reset, regenerate, load and restore answer)."""

    backupServers: int
    tenants: int
    replicas: int
    vms: int
    points: int
    version: int
    worldTime: str


class SessionInfo(TypedDict):
    """A live logon session as the control plane lists it (without its token)."""

    sessionId: str
    userName: str
    role: str
    tenantId: str | None
    tenantName: str | None
    created: str
    lastUsed: str


def _id(value: Id) -> str:
    """A GUID given as UUID or text, as text."""
    return str(value)


def _seg(name: str) -> str:
    """A name as a path segment: `#`, `?` and spaces escaped, so `run #1?` reaches the server whole."""
    return quote(name, safe="")


def _time(value: datetime | str) -> str:
    """A datetime as the control plane reads it (ISO 8601 UTC); strings pass through unchanged."""
    if isinstance(value, datetime):
        if value.tzinfo is None:
            raise ValueError(f"a naive datetime is ambiguous; give it a timezone: {value.isoformat()}")
        return format_time(value)
    return value


def _duration(value: str | timedelta | float) -> dict[str, Any]:
    """`"1d"`/`"90s"` as `by`, a timedelta or a number as `seconds`."""
    if isinstance(value, timedelta):
        return {"seconds": value.total_seconds()}
    if isinstance(value, int | float):
        return {"seconds": float(value)}
    return {"by": value}


def _camel_case(values: Mapping[str, Any]) -> dict[str, Any]:
    """Python keyword names as the control plane's JSON names (`skip_first` → `skipFirst`); None
    values are left out so the server's defaults apply; UUIDs become text."""
    out: dict[str, Any] = {}
    for key, value in values.items():
        if value is None:
            continue
        head, *rest = key.split("_")
        if isinstance(value, datetime):
            value = _time(value)
        out[head + "".join(part.title() for part in rest)] = str(value) if isinstance(value, UUID) else value
    return out


class ControlPlane:
    """World, snapshot, edit, clock, session, fault and journal calls of the control plane."""

    def _control(self, method: str, path: str, *, body: Any = None, params: Mapping[str, Any] | None = None) -> Any:
        """One control-plane call; its JSON answer (the client making the calls says how)."""
        raise NotImplementedError

    # -- worlds -------------------------------------------------------------------------------

    def world(self) -> dict[str, Any]:
        """The current world as a fixture (the JSON `mock-em generate` writes)."""
        return self._control("GET", "/world")

    def load_world(self, fixture: Mapping[str, Any] | str | Path) -> WorldSummary:
        """Serve a world from a fixture: a dict, or the path of a fixture file."""
        if isinstance(fixture, str | Path):
            fixture = json.loads(Path(fixture).read_text(encoding="utf-8"))
        return self._control("PUT", "/world", body=dict(fixture))

    def regenerate(
        self,
        seed: int | None = None,
        *,
        backup_servers: int | None = None,
        tenants: int | None = None,
        replicas_per_tenant: int | None = None,
        vms_per_replica: int | None = None,
        points_per_vm: int | None = None,
    ) -> dict[str, Any]:
        """A new generated world at the clock's now; knobs left None keep the server's settings."""
        body = {
            "seed": seed,
            "backupServers": backup_servers,
            "tenants": tenants,
            "replicasPerTenant": replicas_per_tenant,
            "vmsPerReplica": vms_per_replica,
            "pointsPerVm": points_per_vm,
        }
        return self._control("POST", "/world/regenerate", body={k: v for k, v in body.items() if v is not None})

    # -- snapshots ----------------------------------------------------------------------------

    def save_snapshot(self, name: str) -> dict[str, Any]:
        """Keep the current world under `name` (replacing a snapshot of that name)."""
        return self._control("PUT", f"/snapshots/{_seg(name)}")

    def restore_snapshot(self, name: str) -> WorldSummary:
        """Serve the snapshot again; it stays saved."""
        return self._control("POST", f"/snapshots/{_seg(name)}/restore")

    def snapshots(self) -> list[dict[str, Any]]:
        """Saved snapshots: name, points and the time their world was current to."""
        return self._control("GET", "/snapshots")["snapshots"]

    def delete_snapshot(self, name: str) -> None:
        """Forget a snapshot."""
        self._control("DELETE", f"/snapshots/{_seg(name)}")

    # -- world edits --------------------------------------------------------------------------

    def add_tenant(
        self,
        name: str,
        password: str | None = None,
        *,
        backup_server_id: Id | None = None,
        description: str = "",
        enabled: bool = True,
    ) -> dict[str, Any]:
        """Add a tenant (it logs on as `name`; a password is generated when not given)."""
        body: dict[str, Any] = {"Name": name, "Description": description, "Enabled": enabled}
        if password is not None:
            body["Password"] = password
        if backup_server_id is not None:
            body["BackupServerId"] = _id(backup_server_id)
        return self._control("POST", "/world/tenants", body=body)

    def remove_tenant(self, tenant_id: Id) -> dict[str, Any]:
        """Remove a tenant with its replication jobs and their points."""
        return self._control("DELETE", f"/world/tenants/{_id(tenant_id)}")

    def add_replica(
        self,
        tenant_id: Id,
        name: str,
        *,
        vms: list[str] | tuple[str, ...] = (),
        retention: int = 7,
        platform: str = "VMware",
    ) -> dict[str, Any]:
        """Add a replication job to a tenant; its VMs leave points as the clock runs."""
        body = {
            "TenantId": _id(tenant_id),
            "Name": name,
            "Vms": list(vms),
            "Retention": retention,
            "Platform": platform,
        }
        return self._control("POST", "/world/replicas", body=body)

    def remove_replica(self, replica_id: Id) -> dict[str, Any]:
        """Remove a replication job and its points."""
        return self._control("DELETE", f"/world/replicas/{_id(replica_id)}")

    def add_vm(self, replica_id: Id, name: str | None = None) -> dict[str, Any]:
        """Replicate one more VM in a job (named `srvNN` when not given); answers the replica."""
        return self._control("POST", f"/world/replicas/{_id(replica_id)}/vms", body={"Name": name} if name else {})

    def remove_vm(self, replica_id: Id, vm_name: str) -> dict[str, Any]:
        """Stop replicating a VM; its points go too."""
        return self._control("DELETE", f"/world/replicas/{_id(replica_id)}/vms/{_seg(vm_name)}")

    def add_point(
        self,
        replica_id: Id,
        vm_name: str,
        creation_time: datetime | str | None = None,
        *,
        point_type: str = "Snapshot",
        state: str = "Ready",
    ) -> dict[str, Any]:
        """Add a restore point by hand (at the clock's now unless a time is given)."""
        body: dict[str, Any] = {
            "ReplicaId": _id(replica_id),
            "VmName": vm_name,
            "PointType": point_type,
            "State": state,
        }
        if creation_time is not None:
            body["CreationTimeUTC"] = _time(creation_time)
        return self._control("POST", "/world/points", body=body)

    def remove_point(self, point_id: Id) -> dict[str, Any]:
        """Remove a restore point."""
        return self._control("DELETE", f"/world/points/{_id(point_id)}")

    def set_point_state(self, point_id: Id, state: str) -> dict[str, Any]:
        """Change a point's `State` (`Failover`, `Failback`, `PermanentFailover`, …)."""
        return self._control("PATCH", f"/world/points/{_id(point_id)}", body={"State": state})

    # -- clock --------------------------------------------------------------------------------

    def clock(self) -> ClockState:
        """The time now, and whether it is virtual, frozen or accelerated."""
        return self._control("GET", "/clock")

    def now(self) -> datetime:
        """The server's time now, as an aware UTC datetime."""
        return parse_time(self.clock()["now"])

    def set_clock(self, when: datetime | str) -> dict[str, Any]:
        """Jump to a time; jobs run up to it (moving backwards changes no points)."""
        return self._control("POST", "/clock/set", body={"time": _time(when)})

    def advance(self, by: str | timedelta | float = "1d") -> dict[str, Any]:
        """Move time forward (`"1d"`, `"6h"`, a timedelta or seconds); answers pointsAdded/Removed."""
        return self._control("POST", "/clock/advance", body=_duration(by))

    def freeze(self) -> dict[str, Any]:
        """Stop time where it stands."""
        return self._control("POST", "/clock/freeze")

    def resume(self, rate: float | None = None) -> dict[str, Any]:
        """Let time run again, `rate` virtual seconds per real second (unchanged when None)."""
        return self._control("POST", "/clock/resume", body={"rate": rate} if rate is not None else {})

    # -- sessions -----------------------------------------------------------------------------

    def sessions(self) -> list[SessionInfo]:
        """Every live logon session, oldest first."""
        return self._control("GET", "/sessions")["sessions"]

    def expire_sessions(self) -> int:
        """End every session (as an EM restart would); how many there were."""
        return self._control("DELETE", "/sessions")["expired"]

    def expire_session(self, session_id: Id) -> None:
        """End one session; its token gets 401 from now on (to test re-logon)."""
        self._control("DELETE", f"/sessions/{_id(session_id)}")

    # -- faults -------------------------------------------------------------------------------

    def add_fault(
        self,
        path: str = "*",
        *,
        method: str | None = None,
        status: int | None = None,
        message: str | None = None,
        latency_ms: float | None = None,
        latency_min_ms: float | None = None,
        latency_max_ms: float | None = None,
        connection: str | None = None,
        probability: float | None = None,
        skip_first: int | None = None,
        max_count: int | None = None,
        seed: int | None = None,
        user_name: str | None = None,
        tenant: str | None = None,
    ) -> dict[str, Any]:
        """Make matching vendor requests fail: answers the rule with its `id` (`f1`, `f2`, …).

        Matching: `path` (a glob over the canonical path, `*` spans `/`), `method`, the session's
        `user_name` or `tenant`. Action: `status` (+ `message`), a delay (`latency_ms`, or
        `latency_min_ms`..`latency_max_ms`) and/or `connection` (`reset`, `empty`, `truncated`).
        How often: `probability`, `skip_first` matches spared, at most `max_count` hits.
        """
        rule = {
            "path": path,
            "method": method,
            "status": status,
            "message": message,
            "latency_ms": latency_ms,
            "latency_min_ms": latency_min_ms,
            "latency_max_ms": latency_max_ms,
            "connection": connection,
            "probability": probability,
            "skip_first": skip_first,
            "max_count": max_count,
            "seed": seed,
            "user_name": user_name,
            "tenant": tenant,
        }
        return self._control("POST", "/faults", body=_camel_case(rule))

    def faults(self) -> list[dict[str, Any]]:
        """The fault rules in the order they are tried, with statistics (matched, fired, skipped)."""
        return self._control("GET", "/faults")["faults"]

    def fault(self, fault_id: str) -> dict[str, Any]:
        """One fault rule with its statistics."""
        return self._control("GET", f"/faults/{fault_id}")

    def delete_fault(self, fault_id: str) -> None:
        """Remove one fault rule; requests it matched are answered normally again."""
        self._control("DELETE", f"/faults/{fault_id}")

    def clear_faults(self) -> int:
        """Remove every fault rule; how many there were."""
        return self._control("DELETE", "/faults")["deleted"]

    # -- journal ------------------------------------------------------------------------------

    def journal(self, *, limit: int | None = None, **filters: Unpack[JournalFilters]) -> list[dict[str, Any]]:
        """Journaled vendor-API requests, NEWEST FIRST, matching every filter given.

        `path` is a glob if it holds `*`, `?` or `[`, else a substring (of the path as sent or the
        canonical one, any case); `session_id` a SessionId; `since` a sequence number (entries
        after it) or a time (requests received since); `limit` keeps the newest. Control-plane
        requests are never journaled.
        """
        params = _camel_case({**_journal_filters(filters), "limit": limit})
        return self._control("GET", "/journal", params=params)["entries"]

    def journal_count(self, **filters: Unpack[JournalFilters]) -> int:
        """How many journaled requests match (the same filters as `journal`)."""
        return self._control("GET", "/journal/count", params=_camel_case(_journal_filters(filters)))["count"]

    def clear_journal(self) -> int:
        """Forget every journaled request; how many there were."""
        return self._control("DELETE", "/journal")["deleted"]
