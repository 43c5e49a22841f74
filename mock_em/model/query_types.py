"""The four types the query service answers for, each declared in one self-contained block: what
a scope may see of it, its fields and how each is read (see `query_columns`).

Fields follow the vendor's "Optional Parameters" tables for each query type (get_query_*.md),
with the enum orders of the vendor's enums, because filters compare enum values by index
(`State>=Failover` means Failover, Failback or PermanentFailover). Where the tables and the
9.5-era model part ways:

* CloudVmReplicaPoint `Type` takes Full, ReverseIncrement, Increment, Snapshot; today's table
  also lists CDP (first), which came with v11 continuous data protection and which no 9.5 point
  can have, so `Type==CDP` is refused like any unknown value.
* CloudVmReplicaPoint `BackupServerUid` / `BackupServerName` are those of the point's replica.
* CloudTenant `Type` (vCD, Standalone, ActiveDirectory) is Standalone for every tenant, and
  `OrganizationReference` (vCD tenants only) is left out.
* BackupServer `IpOrDnsName` is the server's Name: EM names a server by the address it was added with.
"""

from __future__ import annotations

from collections.abc import Sequence
from itertools import compress
from operator import attrgetter
from typing import Any

from mock_em.model.access import Access, visible
from mock_em.model.entities import Platform, PointState, PointType
from mock_em.model.kinds import kind
from mock_em.model.query_columns import (
    constant,
    enum_field,
    everyone,
    field_table,
    own_uid_field,
    plain,
    ranked,
    string_field,
    text,
    uid_field,
    via,
)
from mock_em.model.query_fields import Field, Kind, QueryError, QueryType, excerpt
from mock_em.model.query_point_names import CREATION_TIME, name_column, name_compare, name_head, name_window
from mock_em.model.world import World

__all__ = ["QUERY_TYPES", "TENANT_TYPES", "query_type"]


# -- CloudVmReplicaPoint ----------------------------------------------------------------------


_REPLICA_INT = attrgetter("replica_id.int")


def _points(world: World, scope: Access) -> Sequence[Any]:
    """A tenant sees the points of its own replicas (the access policy), found by one C-level
    set lookup per point rather than a Python call per point: a second instead of a few tenths
    over a million points."""
    points = list(world.points.values())
    if scope.tenant_id is None:
        return points
    mine = {r.id.int for r in visible(world, kind("CloudReplica"), scope)}
    return list(compress(points, map(mine.__contains__, map(_REPLICA_INT, points))))


def _replica_names(world: World) -> dict[int, str]:
    return {rid.int: r.name.casefold() for rid, r in world.replicas.items()}


def _replica_server_uids(world: World) -> dict[int, int]:
    return {rid.int: r.backup_server_id.int for rid, r in world.replicas.items()}


def _replica_server_names(world: World) -> dict[int, str]:
    servers = world.backup_servers
    return {rid.int: servers[r.backup_server_id].name.casefold() for rid, r in world.replicas.items()}


CLOUD_VM_REPLICA_POINT = QueryType(
    "CloudVmReplicaPoint",
    field_table(
        own_uid_field("CloudVmReplicaPoint", attrgetter("points")),
        Field("Name", Kind.STRING, name_column, narrow=name_window, head=name_head, compare=name_compare),
        CREATION_TIME,
        string_field("VmName", text("vm_name")),
        enum_field("Type", ranked("point_type", PointType), (t.value for t in PointType)),
        uid_field("ReplicaUid", "replica_id.int", "CloudReplica"),
        string_field("ReplicaName", via("replica_id.int", _replica_names)),
        string_field("VmDisplayName", text("vm_display_name")),
        Field(
            "BackupServerUid",
            Kind.UID,
            via("replica_id.int", _replica_server_uids),
            uid_prefix="urn:veeam:BackupServer:",
        ),
        string_field("BackupServerName", via("replica_id.int", _replica_server_names)),
        enum_field("State", ranked("state", PointState), (s.value for s in PointState)),
    ),
    _points,
    everyone,
    "",
)


# -- CloudReplica -----------------------------------------------------------------------------


def _replicas(world: World, scope: Access) -> Sequence[Any]:
    return visible(world, kind("CloudReplica"), scope)


CLOUD_REPLICA = QueryType(
    "CloudReplica",
    field_table(
        own_uid_field("CloudReplica", attrgetter("replicas")),
        string_field("Name", text("name")),
        enum_field("Platform", ranked("platform", Platform), (p.value for p in Platform)),
    ),
    _replicas,
    everyone,
    "",
)


# -- CloudTenant ------------------------------------------------------------------------------

TENANT_TYPES = ("vCD", "Standalone", "ActiveDirectory")
"""CloudTenant `Type` values in the order get_query_cloudtenant.md lists them. Every tenant of the
9.5-era world is `Standalone` (the model has no vCD or AD tenants)."""


def _tenants(world: World, scope: Access) -> Sequence[Any]:
    return visible(world, kind("CloudTenant"), scope)


def _server_names(world: World) -> dict[int, str]:
    return {sid.int: s.name.casefold() for sid, s in world.backup_servers.items()}


CLOUD_TENANT = QueryType(
    "CloudTenant",
    field_table(
        own_uid_field("CloudTenant", attrgetter("tenants")),
        string_field("Name", text("name")),
        Field("Enabled", Kind.BOOL, plain("enabled")),
        uid_field("BackupServerUid", "backup_server_id.int", "BackupServer"),
        string_field("BackupServerName", via("backup_server_id.int", _server_names)),
        enum_field("Type", constant(TENANT_TYPES.index("Standalone")), TENANT_TYPES),
    ),
    _tenants,
    lambda scope: scope.reads("CloudTenant"),
    "Access denied: your role may not read cloud tenants",
)


# -- BackupServer -----------------------------------------------------------------------------


def _servers(world: World, scope: Access) -> Sequence[Any]:
    return list(world.backup_servers.values())


BACKUP_SERVER = QueryType(
    "BackupServer",
    field_table(
        own_uid_field("BackupServer", attrgetter("backup_servers")),
        string_field("Name", text("name")),
        string_field("Description", text("description")),
        string_field("IpOrDnsName", text("name")),  # EM names a server by the address it was added with
        Field("Port", Kind.INT, plain("port")),
        string_field("Version", text("version")),  # a String in the vendor table: compared as text
    ),
    _servers,
    lambda scope: scope.reads("BackupServer"),
    "Access denied: your role may not read backup servers",
)


# -- the registry -----------------------------------------------------------------------------

QUERY_TYPES: dict[str, QueryType] = {
    t.name.casefold(): t for t in (CLOUD_VM_REPLICA_POINT, CLOUD_REPLICA, CLOUD_TENANT, BACKUP_SERVER)
}


def query_type(name: str) -> QueryType:
    """A query type by case-insensitive name (`type=backupServer` works, as in the vendor's examples)."""
    found = QUERY_TYPES.get(name.casefold())
    if found is None:
        supported = ", ".join(sorted(t.name for t in QUERY_TYPES.values()))
        raise QueryError(f"Unknown query type '{excerpt(name)}'; supported types are {supported}")
    return found
