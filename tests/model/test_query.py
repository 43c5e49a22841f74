"""The query engine around the filter language: query types and fields, sorting, paging,
scoping and roles, and queries over a generated world."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from itertools import chain
from typing import Any
from uuid import UUID

import pytest

from mock_em.generator import WorldSize, generate_world
from mock_em.model.access import ADMIN, Access
from mock_em.model.enterprise_manager import Forbidden
from mock_em.model.entities import (
    BackupServer,
    CloudReplica,
    CloudTenant,
    CloudVmReplicaPoint,
    PointState,
    PointType,
    Role,
)
from mock_em.model.query import (
    DEFAULT_PAGE_SIZE,
    QUERY_TYPES,
    Kind,
    QueryError,
    QueryPage,
    parse_filter,
    query_type,
    run_query,
)
from mock_em.model.world import World

NOW = datetime(2026, 1, 5, 12, 0, tzinfo=UTC)
BASE = datetime(2025, 12, 31, 20, 0, tzinfo=UTC)

SESSION_FIELDS = [
    "UID",
    "Name",
    "JobType",
    "JobUid",
    "JobName",
    "CreationTime",
    "EndTime",
    "State",
    "Result",
    "IsRetry",
    "BackupServerUid",
    "BackupServerName",
]
TASK_FIELDS = [
    "UID",
    "Name",
    "CreationTime",
    "EndTime",
    "State",
    "Result",
    "Reason",
    "TotalSize",
    "JobSessionUid",
    "JobUid",
    "JobName",
    "BackupServerUid",
    "BackupServerName",
    "VmDisplayName",
]


def uid(n: int) -> UUID:
    return UUID(f"00000000-0000-4000-8000-{n:012d}")


S1, S2 = uid(1), uid(2)
T1, T2 = uid(11), uid(12)
R1, R2, R3 = uid(21), uid(22), uid(23)

# (vm, minutes after BASE, state, replica): ties on time and name on purpose, to see stability.
POINTS = [
    ("srv02", 30, PointState.Ready, R1),
    ("srv01", 10, PointState.Ready, R1),
    ("SRV03", 30, PointState.Failover, R2),
    ("srv01", 20, PointState.Unknown, R3),
    ("srv02", 10, PointState.Ready, R3),
    ("srv10", 30, PointState.Ready, R1),
    ("srv01", 20, PointState.Ready, R2),
]


def build_world() -> World:
    """Two tenants on two servers; T1 owns R1 and R3, T2 owns R2."""
    return World.of(
        [BackupServer(S1, "172.17.53.48", "main"), BackupServer(S2, "bk02.example.com", "second", port=10001)],
        [
            CloudTenant(T1, "ABC Company", S1, "abc", "pw"),
            CloudTenant(T2, "UCM Company", S2, "ucm", "pw", enabled=False),
        ],
        [
            CloudReplica(R1, "ABC Company Servers Replication", T1, S1),
            CloudReplica(R2, "UCM Company CRM Replication", T2, S2),
            CloudReplica(R3, "ABC Company SQL Replication", T1, S1),
        ],
        [
            CloudVmReplicaPoint(uid(100 + i), replica, vm, BASE + timedelta(minutes=minutes), state=state)
            for i, (vm, minutes, state, replica) in enumerate(POINTS)
        ],
    )


WORLD = build_world()


def indexes(page: QueryPage) -> list[int]:
    return [p.id.int - uid(100).int for p in page.items]


# -- types and fields -------------------------------------------------------------------------


def test_query_types_and_their_fields() -> None:
    fields = {t.name: [f.name for f in t.fields.values()] for t in QUERY_TYPES.values()}
    assert fields == {
        "CloudVmReplicaPoint": [
            "UID",
            "Name",
            "CreationTime",
            "VmName",
            "Type",
            "ReplicaUid",
            "ReplicaName",
            "VmDisplayName",
            "BackupServerUid",
            "BackupServerName",
            "State",
        ],
        "CloudReplica": ["UID", "Name", "Platform"],
        "CloudGateway": ["UID", "Name", "Enabled", "Description", "BackupServerUid", "BackupServerName"],
        "CloudTenant": ["UID", "Name", "Enabled", "BackupServerUid", "BackupServerName", "Type"],
        "BackupServer": ["UID", "Name", "Description", "IpOrDnsName", "Port", "Version"],
        "CloudPublicIpAddress": [
            "UID",
            "Name",
            "IpAddress",
            "CloudTenantUid",
            "CloudTenantName",
            "BackupServerUid",
            "BackupServerName",
        ],
        "Repository": ["UID", "Name", "FreeSpace", "Capacity", "BackupServerUid", "BackupServerName"],
        "Job": [
            "UID",
            "Name",
            "Description",
            "NextRun",
            "JobType",
            "Platform",
            "ScheduleConfigured",
            "ScheduleEnabled",
            "BackupServerUid",
            "BackupServerName",
        ],
        "Backup": ["UID", "Name", "JobUid", "JobName", "RepositoryUid", "BackupServerUid", "BackupServerName"],
        "RestorePoint": [
            "UID",
            "Name",
            "CreationTime",
            "BackupUid",
            "BackupName",
            "BackupServerUid",
            "BackupServerName",
        ],
        "VmRestorePoint": [
            "UID",
            "Name",
            "CreationTime",
            "Type",
            "Algorithm",
            "VmName",
            "RestorePointUid",
            "BackupServerUid",
            "BackupServerName",
        ],
        "BackupFile": [
            "UID",
            "Name",
            "CreationTimeUTC",
            "BackupSize",
            "DataSize",
            "CompressRatio",
            "FileType",
            "BackupUid",
            "BackupName",
            "BackupServerUid",
            "BackupServerName",
        ],
        "BackupJobSession": SESSION_FIELDS,
        "ReplicaJobSession": SESSION_FIELDS,
        "BackupTaskSession": TASK_FIELDS,
        "ReplicaTaskSession": TASK_FIELDS,
        "CloudFailoverPlan": [
            "UID",
            "Name",
            "Description",
            "CloudTenantUid",
            "CloudTenantName",
            "BackupServerUid",
            "BackupServerName",
        ],
        "ManagedServer": ["UID", "Name", "Description", "ManagedServerType"],
        "HierarchyRoot": ["UID", "Name", "UniqueId", "HostType", "BackupServerUid", "BackupServerName"],
        "AgentProtectionGroup": ["UID", "Name", "BackupServerUid", "BackupServerName"],
        "DiscoveredComputer": [
            "UID",
            "Name",
            "BackupServerUid",
            "BackupServerName",
            "AgentVersion",
            "AgentStatus",
            "OsVersion",
            "IpAddress",
            "ProtectionGroupUid",
            "ProtectionGroupName",
        ],
    }
    for qtype in QUERY_TYPES.values():
        assert QUERY_TYPES[qtype.name.casefold()] is qtype
        assert all(key == f.name.casefold() for key, f in qtype.fields.items())
    point = QUERY_TYPES["cloudvmreplicapoint"].fields
    assert point["creationtime"].kind is Kind.DATETIME
    assert point["state"].kind is Kind.ENUM
    assert point["state"].values == ("Unknown", "Ready", "Failover", "Failback", "PermanentFailover")
    assert point["type"].values == ("Full", "ReverseIncrement", "Increment", "Snapshot")
    assert point["uid"].kind is Kind.UID
    assert QUERY_TYPES["cloudreplica"].fields["platform"].values == ("VMware", "HyperV", "vCloud")
    assert QUERY_TYPES["cloudtenant"].fields["enabled"].kind is Kind.BOOL
    assert QUERY_TYPES["backupserver"].fields["port"].kind is Kind.INT
    assert QUERY_TYPES["backupfile"].fields["compressratio"].kind is Kind.DOUBLE


@pytest.mark.parametrize("name", ["CloudVmReplicaPoint", "cloudvmreplicapoint", "CLOUDVMREPLICAPOINT"])
def test_type_names_are_case_insensitive(name: str) -> None:
    assert query_type(name).name == "CloudVmReplicaPoint"
    assert run_query(WORLD, ADMIN, name).type.name == "CloudVmReplicaPoint"


@pytest.mark.parametrize("name", ["RestoreSession", "", "CloudVmReplicaPoints", "x" * 500])
def test_unknown_type_lists_the_supported_ones(name: str) -> None:
    with pytest.raises(QueryError) as caught:
        run_query(WORLD, ADMIN, name)
    message = str(caught.value)
    assert "Unknown query type" in message
    supported = "Backup, BackupFile, BackupJobSession, BackupServer, BackupTaskSession, CloudFailoverPlan, CloudGateway"
    assert f"{supported}, CloudPublicIpAddress, CloudReplica, CloudTenant, CloudVmReplicaPoint" in message
    assert message.endswith(
        ", HierarchyRoot, Job, ManagedServer, ReplicaJobSession, ReplicaTaskSession, Repository, RestorePoint,"
        " VmRestorePoint"
    )
    assert "x" * 80 not in message and len(message) < 600  # the unknown name is cut short; the types are listed


def test_each_type_lists_its_objects_in_store_order() -> None:
    assert indexes(run_query(WORLD, ADMIN, "CloudVmReplicaPoint")) == list(range(len(POINTS)))
    assert [r.id for r in run_query(WORLD, ADMIN, "CloudReplica").items] == [R1, R2, R3]
    assert [t.id for t in run_query(WORLD, ADMIN, "CloudTenant").items] == [T1, T2]
    assert [s.id for s in run_query(WORLD, ADMIN, "BackupServer").items] == [S1, S2]


# -- sorting ----------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("sort_asc", "sort_desc", "expected"),
    [
        ("CreationTime", None, [1, 4, 3, 6, 0, 2, 5]),
        ("creationtime", None, [1, 4, 3, 6, 0, 2, 5]),
        (None, "CreationTime", [0, 2, 5, 3, 6, 1, 4]),  # ties keep store order in both directions
        ("VmName", None, [1, 3, 6, 0, 4, 2, 5]),  # case-insensitive: srv01 < srv02 < SRV03 < srv10
        (None, "vmname", [5, 2, 0, 4, 1, 3, 6]),
        ("State", None, [3, 0, 1, 4, 5, 6, 2]),  # enum order: Unknown, Ready, Failover
        (None, "State", [2, 0, 1, 4, 5, 6, 3]),
        ("ReplicaName", None, [0, 1, 5, 3, 4, 2, 6]),  # ABC … Servers, ABC … SQL, UCM
        ("BackupServerName", None, [0, 1, 3, 4, 5, 2, 6]),
        ("Name", None, [1, 3, 6, 4, 0, 2, 5]),  # srv01@20:10, srv01@20:20 (twice), …
        ("UID", None, [0, 1, 2, 3, 4, 5, 6]),
        (None, "UID", [6, 5, 4, 3, 2, 1, 0]),
        ("Type", None, [0, 1, 2, 3, 4, 5, 6]),  # all Snapshot: store order
    ],
)
def test_sorting_is_stable(sort_asc: str | None, sort_desc: str | None, expected: list[int]) -> None:
    page = run_query(WORLD, ADMIN, "CloudVmReplicaPoint", sort_asc=sort_asc, sort_desc=sort_desc)
    assert indexes(page) == expected


def test_sorting_other_types() -> None:
    page = run_query(WORLD, ADMIN, "BackupServer", sort_desc="name")
    assert [s.name for s in page.items] == ["bk02.example.com", "172.17.53.48"]
    page = run_query(WORLD, ADMIN, "CloudTenant", sort_asc="Enabled")
    assert [t.name for t in page.items] == ["UCM Company", "ABC Company"]
    page = run_query(WORLD, ADMIN, "BackupServer", sort_desc="Port")
    assert [s.port for s in page.items] == [10001, 9392]


def test_sort_with_filter_and_pages() -> None:
    pages = [
        indexes(run_query(WORLD, ADMIN, "CloudVmReplicaPoint", filter_text="State==Ready", sort_desc="VmName",
                          page=str(n), page_size="2"))
        for n in (1, 2, 3)
    ]  # fmt: skip
    assert pages == [[5, 0], [4, 1], [6]]


@pytest.mark.parametrize("name", ["Foo", "", "Platform", "CreationTimeUTC"])
def test_unknown_sort_field(name: str) -> None:
    with pytest.raises(QueryError, match=r"Cannot sort by .*CloudVmReplicaPoint has no such field.*VmName"):
        run_query(WORLD, ADMIN, "CloudVmReplicaPoint", sort_asc=name)
    with pytest.raises(QueryError, match="Cannot sort by"):
        run_query(WORLD, ADMIN, "CloudVmReplicaPoint", sort_desc=name)


def test_sort_both_ways_at_once() -> None:
    with pytest.raises(QueryError, match="either sortAsc or sortDesc"):
        run_query(WORLD, ADMIN, "CloudVmReplicaPoint", sort_asc="Name", sort_desc="Name")


# -- paging -----------------------------------------------------------------------------------


@pytest.fixture(scope="module")
def generated() -> World:
    return generate_world(42, WorldSize(backup_servers=2, tenants=3, replicas_per_tenant=2, vms_per_replica=3,
                                        points_per_vm=4), NOW)  # fmt: skip


@pytest.mark.parametrize("size", [1, 7, 100])
@pytest.mark.parametrize("sort", [None, "CreationTime"])
def test_every_item_exactly_once_across_pages(generated: World, size: int, sort: str | None) -> None:
    first = run_query(generated, ADMIN, "CloudVmReplicaPoint", page_size=str(size), sort_desc=sort)
    total = len(generated.points)
    assert first.total == total == 72
    assert first.pages_count == -(-total // size)
    seen = list(
        chain.from_iterable(
            run_query(generated, ADMIN, "CloudVmReplicaPoint", page=str(n), page_size=str(size), sort_desc=sort).items
            for n in range(1, first.pages_count + 1)
        )
    )
    assert len(seen) == total
    assert {p.id for p in seen} == set(generated.points)
    if sort is None:
        assert seen == list(generated.points.values())
    else:
        assert [p.creation_time for p in seen] == sorted((p.creation_time for p in seen), reverse=True)


def test_paging_defaults_and_counts(generated: World) -> None:
    page = run_query(generated, ADMIN, "CloudVmReplicaPoint")
    assert (page.page, page.page_size, page.pages_count, page.total) == (1, DEFAULT_PAGE_SIZE, 1, 72)
    page = run_query(generated, ADMIN, "CloudVmReplicaPoint", page_size="72")
    assert page.pages_count == 1 and len(page.items) == 72
    page = run_query(generated, ADMIN, "CloudVmReplicaPoint", page_size="71")
    assert page.pages_count == 2
    page = run_query(generated, ADMIN, "CloudVmReplicaPoint", page_size="71", page="2")
    assert page.items == [list(generated.points.values())[-1]]


def test_page_past_the_last_is_empty() -> None:
    page = run_query(WORLD, ADMIN, "CloudVmReplicaPoint", page="5", page_size="3")
    assert (page.items, page.page, page.page_size, page.pages_count, page.total) == ([], 5, 3, 3, 7)
    page = run_query(WORLD, ADMIN, "CloudVmReplicaPoint", page=str(2**31 - 1), filter_text="State==Ready")
    assert page.items == [] and page.page == 2**31 - 1 and page.pages_count == 1


def test_empty_result_has_one_page() -> None:
    page = run_query(WORLD, ADMIN, "CloudVmReplicaPoint", filter_text="VmName==nothing", page_size="5")
    assert (page.items, page.page, page.pages_count, page.total) == ([], 1, 1, 0)
    empty = World()
    page = run_query(empty, ADMIN, "BackupServer")
    assert (page.items, page.pages_count, page.total) == ([], 1, 0)


@pytest.mark.parametrize("value", ["0", "-1", "abc", "", " ", "1.5", "+3", "1e3", "٣", "99999999999", "2147483648"])
def test_bad_page_size(value: str) -> None:
    with pytest.raises(QueryError, match="pageSize must be a whole number from 1"):
        run_query(WORLD, ADMIN, "CloudVmReplicaPoint", page_size=value)


@pytest.mark.parametrize("value", ["0", "-2", "first", "", "2.0", "99999999999"])
def test_bad_page(value: str) -> None:
    with pytest.raises(QueryError, match="page must be a whole number from 1"):
        run_query(WORLD, ADMIN, "CloudVmReplicaPoint", page=value)


def test_page_numbers_may_carry_spaces() -> None:
    page = run_query(WORLD, ADMIN, "CloudVmReplicaPoint", page=" 2", page_size="3 ")
    assert (page.page, page.page_size, indexes(page)) == (2, 3, [3, 4, 5])


# -- scoping and roles ------------------------------------------------------------------------

TENANT_1 = Access(Role.CloudTenant, T1)
TENANT_2 = Access(Role.CloudTenant, T2)


def test_tenants_see_only_their_own_points_and_replicas() -> None:
    assert indexes(run_query(WORLD, TENANT_1, "CloudVmReplicaPoint")) == [0, 1, 3, 4, 5]
    assert indexes(run_query(WORLD, TENANT_2, "CloudVmReplicaPoint")) == [2, 6]
    assert [r.id for r in run_query(WORLD, TENANT_1, "CloudReplica").items] == [R1, R3]
    page = run_query(WORLD, TENANT_1, "CloudVmReplicaPoint", filter_text="VmName==srv01", sort_desc="CreationTime")
    assert (indexes(page), page.total) == ([3, 1], 2)
    page = run_query(WORLD, TENANT_2, "CloudVmReplicaPoint", filter_text=f"ReplicaUid==urn:veeam:CloudReplica:{R1}")
    assert page.items == [] and page.pages_count == 1
    other = f"UID==urn:veeam:CloudVmReplicaPoint:{uid(100)}"
    page = run_query(WORLD, TENANT_2, "CloudVmReplicaPoint", filter_text=other)
    assert page.items == []


@pytest.mark.parametrize("scope", [TENANT_1, Access(Role.RestoreOperator)])
@pytest.mark.parametrize("type_name", ["CloudTenant", "cloudtenant", "BackupServer"])
def test_roles_that_may_not_read_a_type_are_forbidden(scope: Access, type_name: str) -> None:
    with pytest.raises(Forbidden):
        run_query(WORLD, scope, type_name)
    with pytest.raises(Forbidden):  # before the parameters are looked at
        run_query(WORLD, scope, type_name, filter_text="((garbage", page="x", sort_asc="nope")


def test_restore_operators_and_portal_users_read_points() -> None:
    operator = Access(Role.RestoreOperator)
    assert run_query(WORLD, operator, "CloudVmReplicaPoint").total == len(POINTS)
    assert run_query(WORLD, operator, "CloudReplica").total == 3
    user = Access(Role.PortalUser)
    assert run_query(WORLD, user, "CloudTenant", filter_text="Enabled==false").items[0].id == T2
    assert run_query(WORLD, user, "BackupServer").total == 2


def test_forbidden_is_a_permission_error_and_query_error_a_value_error() -> None:
    assert issubclass(Forbidden, PermissionError)
    assert issubclass(QueryError, ValueError)


def test_filter_errors_come_through_run_query() -> None:
    with pytest.raises(QueryError, match="position 7"):
        run_query(WORLD, ADMIN, "CloudVmReplicaPoint", filter_text="VmName")
    with pytest.raises(QueryError, match="unknown field 'VmName' for type CloudReplica"):
        run_query(WORLD, ADMIN, "CloudReplica", filter_text="VmName==x")


# -- a generated world ------------------------------------------------------------------------


def _quote(text: str) -> str:
    return '"' + text.replace('"', '""') + '"'


def _by_hand(world: World, test: Any) -> list[CloudVmReplicaPoint]:
    return [p for p in world.points.values() if test(p)]


def test_queries_over_a_generated_world(generated: World) -> None:
    points = list(generated.points.values())
    some = points[len(points) // 2]
    replica = generated.replicas[some.replica_id]
    server = generated.backup_servers[replica.backup_server_id]

    def run(text: str) -> list[CloudVmReplicaPoint]:
        return run_query(generated, ADMIN, "CloudVmReplicaPoint", filter_text=text, page_size="1000").items

    assert run(f"VmName=={some.vm_name.upper()}") == _by_hand(generated, lambda p: p.vm_name == some.vm_name)
    assert run(f'Name=="{some.name}"') == [some]
    assert run(f"UID==urn:veeam:CloudVmReplicaPoint:{some.id}") == [some]
    assert run(f"ReplicaName=={_quote(replica.name)}") == _by_hand(
        generated, lambda p: generated.replicas[p.replica_id].name == replica.name
    )
    assert run(f"BackupServerName=={_quote(server.name)};Type==Snapshot;State==Ready") == _by_hand(
        generated, lambda p: generated.replicas[p.replica_id].backup_server_id == server.id
    )
    stamp = some.creation_time.strftime("%Y-%m-%dT%H:%M:%SZ")
    assert run(f"CreationTime>={stamp}") == _by_hand(generated, lambda p: p.creation_time >= some.creation_time)
    day = some.creation_time.strftime("%Y-%m-%d")
    midnight = some.creation_time.replace(hour=0, minute=0, second=0, microsecond=0)
    assert run(f'CreationTime<"{day}"') == _by_hand(generated, lambda p: p.creation_time < midnight)
    assert run("State>=Failover") == []
    assert run("Type!=Snapshot") == _by_hand(generated, lambda p: p.point_type is not PointType.Snapshot)


def test_a_filter_is_compiled_once_and_reused(generated: World) -> None:
    flt = parse_filter("State==Ready;CreationTime>2025-01-01", query_type("CloudVmReplicaPoint"))
    points = list(generated.points.values())
    assert flt.select(generated, points) == points
    assert flt.select(generated, points[:5]) == points[:5]
    assert flt.select(generated, []) == []
