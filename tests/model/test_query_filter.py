"""The filter language of the query service: what each filter selects, what each mistake says,
and property tests that no text can make the parser fail in any way but QueryError."""

from __future__ import annotations

import random
from collections.abc import Callable
from datetime import UTC, datetime, timedelta
from typing import Any
from uuid import UUID

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from mock_em.model.access import ADMIN
from mock_em.model.entities import (
    BackupServer,
    CloudReplica,
    CloudTenant,
    CloudVmReplicaPoint,
    Platform,
    PointState,
    PointType,
)
from mock_em.model.query import MAX_DEPTH, MAX_FILTER_LENGTH, QueryError, parse_filter, query_type
from mock_em.model.world import World


def uid(n: int) -> UUID:
    """A readable fixed GUID: uid(5) is 00000000-0000-4000-8000-000000000005."""
    return UUID(f"00000000-0000-4000-8000-{n:012d}")


def at(text: str) -> datetime:
    return datetime.fromisoformat(text).replace(tzinfo=UTC)


S1, S2 = uid(1), uid(2)
T1, T2, T3 = uid(11), uid(12), uid(13)
R1, R2, R3, R4 = uid(21), uid(22), uid(23), uid(24)

# index: (vm, creation time, point type, state, replica); the index is the point's GUID suffix - 100.
POINTS = [
    ("srv38", "2019-06-29 20:00:47", PointType.Snapshot, PointState.Ready, R1),
    ("srv39", "2019-06-29 23:59:59", PointType.Snapshot, PointState.Ready, R1),
    ("srv40", "2019-06-30 00:00:00", PointType.Full, PointState.Ready, R1),
    ("srv38", "2019-06-30 00:00:00.500000", PointType.Increment, PointState.Failover, R1),
    ("SRV41", "2019-06-30 12:00:00", PointType.ReverseIncrement, PointState.Failback, R2),
    ("file server 1", "2019-06-30 20:03:17", PointType.Snapshot, PointState.PermanentFailover, R2),
    ('say "hi"', "2019-07-01 08:15:00", PointType.Snapshot, PointState.Unknown, R3),
    ("srv39", "2019-07-01 20:00:00", PointType.Snapshot, PointState.Ready, R3),
    ("srv42", "2019-07-02 21:10:05", PointType.Increment, PointState.Ready, R4),
    ("srv39", "2019-06-30 00:00:00", PointType.Snapshot, PointState.Ready, R4),
]
ALL = list(range(len(POINTS)))


def build_world() -> World:
    """Two servers, three tenants, four replicas (two share a name, as the vendor's sample does)
    and ten points chosen to sit on the edges: midnight, a fraction of a second, upper case, a
    space and a quote in VM names, every point type and state."""
    servers = [
        BackupServer(S1, "172.17.53.48", "Main backup server"),
        BackupServer(S2, "bk02.example.com", 'Second "quoted" server', port=10001, version="9.5.4.2615"),
    ]
    tenants = [
        CloudTenant(T1, "ABC Company", S1, "abc", "pw"),
        CloudTenant(T2, "UCM Company", S1, "ucm", "pw", enabled=False),
        CloudTenant(T3, "Zeta Ltd", S2, "zeta", "pw"),
    ]
    replicas = [
        CloudReplica(R1, "ABC Company Servers Replication", T1, S1),
        CloudReplica(R2, "UCM Company CRM Replication", T2, S1, platform=Platform.HyperV),
        CloudReplica(R3, "Zeta Web Replication", T3, S2, platform=Platform.vCloud),
        CloudReplica(R4, "ABC Company Servers Replication", T1, S1),
    ]
    points = [
        CloudVmReplicaPoint(
            uid(100 + i),
            replica,
            vm,
            at(when),
            vm_display_name="Web Server 41" if vm == "SRV41" else "",
            point_type=ptype,
            state=state,
        )
        for i, (vm, when, ptype, state, replica) in enumerate(POINTS)
    ]
    return World.of(servers, tenants, replicas, points)


WORLD = build_world()
POINT = query_type("CloudVmReplicaPoint")


def selected(text: str, type_name: str = "CloudVmReplicaPoint") -> list[Any]:
    qtype = query_type(type_name)
    objects = list(qtype.objects(WORLD, ADMIN))
    return parse_filter(text, qtype).select(WORLD, objects)


def point_indexes(text: str) -> list[int]:
    return [p.id.int - uid(100).int for p in selected(text)]


def urn(kind: str, n: int) -> str:
    return f"urn:veeam:{kind}:{uid(n)}"


VALID_POINT_FILTERS: list[tuple[str, list[int]]] = [
    # every operator on a string, case-insensitive both in the field name and the value
    ("VmName==srv39", [1, 7, 9]),
    ("vmname==SRV39", [1, 7, 9]),
    ("VMNAME==srv41", [4]),
    ("VmName!=srv39", [0, 2, 3, 4, 5, 6, 8]),
    ("VmName<srv39", [0, 3, 5, 6]),
    ("VmName<=srv38", [0, 3, 5, 6]),
    ("VmName>srv40", [4, 8]),
    ("VmName>=SRV42", [8]),
    # quoting: spaces, doubled quotes; unquoted values ignore their spaces
    ('VmName=="file server 1"', [5]),
    ("VmName==file server 1", []),
    ("VmName==fileserver1", []),
    ("VmName==s r v 3 9", [1, 7, 9]),
    ('VmName=="say ""hi"""', [6]),
    ('VmName==""', []),
    ('VmDisplayName=="web server 41"', [4]),
    ("VmDisplayName==srv39", [1, 7, 9]),
    # dates: date-only is midnight UTC; times quoted or not; fractions; offsets
    ('CreationTime=="2019-06-30"', [2, 9]),
    ("CreationTime==2019-06-30", [2, 9]),
    ("CreationTime<2019-06-30", [0, 1]),
    ('CreationTime>="2019-06-30";CreationTime<"2019-07-01"', [2, 3, 4, 5, 9]),
    ("CreationTime>2019-06-30T00:00:00Z", [3, 4, 5, 6, 7, 8]),
    ("CreationTime>2019-06-29T23:59:59z", [2, 3, 4, 5, 6, 7, 8, 9]),
    ('CreationTime=="2019-06-30T00:00:00.5Z"', [3]),
    ("CreationTime==2019-06-30T00:00:00.500Z", [3]),
    ('CreationTime=="2019-06-30 12:00:00"', [4]),
    ("CreationTime==2019-06-30 12:00:00", [4]),
    ('CreationTime=="2019-06-30T14:00:00+02:00"', [4]),
    ("CreationTime<=2019-06-29 23:59:59", [0, 1]),
    ("CreationTime!=2019-06-30", [0, 1, 3, 4, 5, 6, 7, 8]),
    # enums compare by the vendor's order
    ("Type==Snapshot", [0, 1, 5, 6, 7, 9]),
    ("type==FULL", [2]),
    ("Type>Full", [0, 1, 3, 4, 5, 6, 7, 8, 9]),
    ("Type<=ReverseIncrement", [2, 4]),
    ("State>=Failover", [3, 4, 5]),
    ("State<Ready", [6]),
    ('State=="ready"', [0, 1, 2, 7, 8, 9]),
    ("State!=Ready", [3, 4, 5, 6]),
    # values read through the world: replica and backup server
    ('ReplicaName=="ABC Company Servers Replication"', [0, 1, 2, 3, 8, 9]),
    ('ReplicaName=="abc company servers replication"', [0, 1, 2, 3, 8, 9]),
    ("ReplicaName>Zeta", [6, 7]),
    ("BackupServerName==bk02.example.com", [6, 7]),
    ('BackupServerName=="172.17.53.48"', [0, 1, 2, 3, 4, 5, 8, 9]),
    # UIDs: case-insensitive, typed; a UID of another type or no UID at all matches nothing
    (f"ReplicaUid=={urn('CloudReplica', 23)}", [6, 7]),
    (f"ReplicaUid=={urn('CloudReplica', 23).upper()}", [6, 7]),
    (f'ReplicaUid!="{urn("CloudReplica", 23)}"', [0, 1, 2, 3, 4, 5, 8, 9]),
    (f"UID=={urn('CloudVmReplicaPoint', 105)}", [5]),
    (f"uid!={urn('CloudVmReplicaPoint', 105)}", [0, 1, 2, 3, 4, 6, 7, 8, 9]),
    (f"UID=={urn('CloudReplica', 105)}", []),
    (f"UID=={urn('CloudVmReplicaPoint', 999)}", []),
    ("UID==junk", []),
    ("UID!=junk", ALL),
    (f"UID>={urn('CloudVmReplicaPoint', 108)}", [8, 9]),
    (f"BackupServerUid=={urn('BackupServer', 2)}", [6, 7]),
    (f"BackupServerUid<{urn('BackupServer', 2)}", [0, 1, 2, 3, 4, 5, 8, 9]),
    # a point's Name is <vm>@<creation time to the second>
    ('Name=="srv39@2019-06-29 23:59:59"', [1]),
    ('name=="SRV39@2019-06-29 23:59:59"', [1]),
    ('Name=="srv38@2019-06-30 00:00:00"', [3]),
    ("Name==srv39@2019-06-29 23:59:59", []),  # unquoted: the space goes, so no name matches
    ('Name!="srv39@2019-06-29 23:59:59"', [0, 2, 3, 4, 5, 6, 7, 8, 9]),
    ("Name==srv39", []),
    ('Name=="srv39@2019-02-30 00:00:00"', []),
    ('Name>"srv4"', [2, 4, 8]),
    # AND binds tighter than OR; parentheses override; grouping and spacing are free
    ("VmName==srv38,VmName==srv39;State==Ready", [0, 1, 3, 7, 9]),
    ("(VmName==srv38,VmName==srv39);State==Ready", [0, 1, 7, 9]),
    ("VmName==srv38;State==Ready,Type==Full", [0, 2]),
    ("VmName==srv38;(State==Ready,Type==Full)", [0]),
    ("State==Ready;VmName==srv39;Type==Snapshot;CreationTime>2019-06-30", [7]),
    ("VmName==srv39,VmName==srv40,vmname==SRV42", [1, 2, 7, 8, 9]),
    (f"VmName==srv40,UID=={urn('CloudVmReplicaPoint', 106)},Type==Full", [2, 6]),
    ("UID==junk,VmName==srv40", [2]),
    ("VmName==nothing;State>=Failover", []),
    ("((((VmName==srv39))))", [1, 7, 9]),
    ("((VmName==srv39,(VmName==srv40));(Type==Full,State==Ready))", [1, 2, 7, 9]),
    (" ( VmName == srv39 ; Type == Snapshot ) ", [1, 7, 9]),
    ("VmName==srv39\t;\nType==Full", []),
]


@pytest.mark.parametrize(("text", "expected"), VALID_POINT_FILTERS)
def test_point_filters(text: str, expected: list[int]) -> None:
    assert point_indexes(text) == expected


def test_matches_agrees_with_select() -> None:
    flt = parse_filter("State>=Failover,VmName==srv39", POINT)
    chosen = [p for p in WORLD.points.values() if flt.matches(WORLD, p)]
    assert chosen == flt.select(WORLD, list(WORLD.points.values()))
    assert [p.id.int - uid(100).int for p in chosen] == [1, 3, 4, 5, 7, 9]


VALID_OTHER_FILTERS: list[tuple[str, str, list[str]]] = [
    ("CloudReplica", "Platform==hyperv", ["UCM Company CRM Replication"]),
    ("CloudReplica", "Platform>VMware", ["UCM Company CRM Replication", "Zeta Web Replication"]),
    ("CloudReplica", 'Name=="ABC Company Servers Replication"', ["ABC Company Servers Replication"] * 2),
    ("CloudReplica", f"UID=={urn('CloudReplica', 22)}", ["UCM Company CRM Replication"]),
    ("CloudTenant", "Enabled==TRUE", ["ABC Company", "Zeta Ltd"]),
    ("CloudTenant", "enabled==false", ["UCM Company"]),
    ("CloudTenant", "Enabled!=false", ["ABC Company", "Zeta Ltd"]),
    ("CloudTenant", "Type==standalone", ["ABC Company", "UCM Company", "Zeta Ltd"]),
    ("CloudTenant", "Type==vCD", []),
    ("CloudTenant", "Type>vCD;Type<ActiveDirectory", ["ABC Company", "UCM Company", "Zeta Ltd"]),
    ("CloudTenant", 'BackupServerName=="172.17.53.48"', ["ABC Company", "UCM Company"]),
    ("CloudTenant", f"BackupServerUId=={urn('BackupServer', 2)}", ["Zeta Ltd"]),
    ("CloudTenant", 'BackupServerName=="172.17.53.48";Type==Standalone', ["ABC Company", "UCM Company"]),
    ("CloudTenant", "Name>=u", ["UCM Company", "Zeta Ltd"]),
    ("BackupServer", "Port==9392", ["172.17.53.48"]),
    ("BackupServer", "Port>9392", ["bk02.example.com"]),
    ("BackupServer", 'Port>="-1"', ["172.17.53.48", "bk02.example.com"]),
    ("BackupServer", 'Version>="9.5.4"', ["bk02.example.com"]),
    ("BackupServer", 'Description=="second ""QUOTED"" server"', ["bk02.example.com"]),
    ("BackupServer", "IpOrDnsName==172.17.53.48", ["172.17.53.48"]),
    ("BackupServer", f"UID=={urn('BackupServer', 1)}", ["172.17.53.48"]),
]


@pytest.mark.parametrize(("type_name", "text", "expected"), VALID_OTHER_FILTERS)
def test_other_type_filters(type_name: str, text: str, expected: list[str]) -> None:
    assert [o.name for o in selected(text, type_name)] == expected


INVALID_FILTERS: list[tuple[str, str, list[str]]] = [
    ("CloudVmReplicaPoint", "", ["position 1", "empty"]),
    ("CloudVmReplicaPoint", "Name", ["position 5", "expected a comparison operator (==, !=, <, >, <=, >=)", "'Name'"]),
    ("CloudVmReplicaPoint", "Name=x", ["position 5", "'=' is not an operator, use '=='"]),
    ("CloudVmReplicaPoint", "Name~x", ["position 5", "after 'Name'", "found '~x'"]),
    ("CloudVmReplicaPoint", "Name==", ["position 7", "expected a value", "end of the filter"]),
    ("CloudVmReplicaPoint", "Name==;VmName==x", ["position 7", "expected a value", "found ';VmName==x'"]),
    ("CloudVmReplicaPoint", 'Name=="abc', ["position 7", "no closing '\"'"]),
    ("CloudVmReplicaPoint", 'Name=="a""', ["position 7", "no closing"]),
    ("CloudVmReplicaPoint", "(Name==x", ["position 9", "expected ')' to close the '(' at position 1"]),
    ("CloudVmReplicaPoint", "Name==x)", ["position 8", "')' has no matching '('"]),
    ("CloudVmReplicaPoint", "Name==x;", ["position 9", "expected a field name or '('"]),
    ("CloudVmReplicaPoint", ";Name==x", ["position 1", "expected a field name or '('", "found ';Name==x'"]),
    ("CloudVmReplicaPoint", "Name==x,,VmName==y", ["position 9", "expected a field name"]),
    ("CloudVmReplicaPoint", "()", ["position 2", "expected a field name or '('"]),
    ("CloudVmReplicaPoint", 'Name=="a" b', ["position 11", "expected ';' (AND), ',' (OR)", "found 'b'"]),
    ("CloudVmReplicaPoint", 'Name==a"b"', ["position 8", "'\"' inside an unquoted value"]),
    ("CloudVmReplicaPoint", "Name==(x)", ["position 7", "'(' inside an unquoted value"]),
    ("CloudVmReplicaPoint", "Name===x", ["position 7", "may not start with '='"]),
    ("CloudVmReplicaPoint", "Name<>x", ["position 6", "may not start with '>'"]),
    ("CloudVmReplicaPoint", '"Name"==x', ["position 1", "a quoted value may only follow a comparison operator"]),
    ("CloudVmReplicaPoint", "Name==x VmName==y", []),  # valid: the unquoted value is 'xVmName==y'
    ("CloudVmReplicaPoint", "Foo==1", ["position 1", "unknown field 'Foo'", "CloudVmReplicaPoint", "VmName, Type"]),
    ("CloudVmReplicaPoint", "VmName==x;Platform==VMware", ["position 11", "unknown field 'Platform'"]),
    ("CloudVmReplicaPoint", "CreationTime>abc", ["position 14", "CreationTime needs a UTC date and time", "'abc'"]),
    ("CloudVmReplicaPoint", 'CreationTime=="2019-02-30"', ["position 15", "CreationTime needs"]),
    ("CloudVmReplicaPoint", "CreationTime==2019-6-30", ["CreationTime needs"]),
    ("CloudVmReplicaPoint", "CreationTime==12:00:00", ["CreationTime needs"]),
    ("CloudVmReplicaPoint", "State==Bogus", ["position 8", "State needs one of Unknown, Ready, Failover"]),
    ("CloudVmReplicaPoint", "Type==CDP", ["Type needs one of Full, ReverseIncrement, Increment, Snapshot"]),
    ("CloudVmReplicaPoint", "Name\x00==x", ["position 5", "found '\\x00==x'"]),
    ("CloudTenant", "Enabled==yes", ["position 10", "Enabled needs true or false", "'yes'"]),
    ("CloudTenant", "State==Ready", ["unknown field 'State'", "Enabled, BackupServerUid"]),
    ("CloudTenant", "Type==Tenant", ["Type needs one of vCD, Standalone, ActiveDirectory"]),
    ("CloudReplica", "Platform==Xen", ["Platform needs one of VMware, HyperV, vCloud"]),
    ("BackupServer", "Port==abc", ["position 7", "Port needs a whole number"]),
    ("BackupServer", "Port==1.5", ["Port needs a whole number"]),
    ("BackupServer", "Port==99999999999999999999", ["Port needs a whole number"]),
    ("BackupFile", "CompressRatio==abc", ["position 16", "CompressRatio needs a number", "'abc'"]),
    ("BackupFile", "CompressRatio>1.2.3", ["CompressRatio needs a number"]),
    ("BackupFile", "CompressRatio<1e999", ["CompressRatio needs a number"]),
    ("BackupFile", "CompressRatio<nan", ["CompressRatio needs a number"]),
    ("BackupFile", "CompressRatio>=1.5;CompressRatio<2;CompressRatio!=.5;CompressRatio>1e-2", []),
    ("CloudVmReplicaPoint", "(" * (MAX_DEPTH + 1) + "Name==x" + ")" * (MAX_DEPTH + 1), ["position 65", "deeper"]),
    ("CloudVmReplicaPoint", "Name==" + "x" * MAX_FILTER_LENGTH, [f"position {MAX_FILTER_LENGTH + 1}", "at most"]),
]


@pytest.mark.parametrize(("type_name", "text", "fragments"), INVALID_FILTERS)
def test_invalid_filters(type_name: str, text: str, fragments: list[str]) -> None:
    if not fragments:
        parse_filter(text, query_type(type_name))
        return
    with pytest.raises(QueryError) as caught:
        parse_filter(text, query_type(type_name))
    message = str(caught.value)
    for fragment in fragments:
        assert fragment in message
    assert message.isprintable()


def test_syntax_errors_say_where_and_what() -> None:
    with pytest.raises(QueryError) as caught:
        parse_filter('VmName=="x";Name', POINT)
    assert str(caught.value) == (
        "Filter syntax error at position 17: expected a comparison operator (==, !=, <, >, <=, >=) after 'Name', "
        "found the end of the filter"
    )


def test_nesting_up_to_the_bound_is_fine() -> None:
    text = "(" * MAX_DEPTH + "VmName==srv40" + ")" * MAX_DEPTH
    assert point_indexes(text) == [2]


def test_longest_filter_is_fine() -> None:
    clause = "VmName==srv40;"
    text = (clause * (MAX_FILTER_LENGTH // len(clause)))[:-1]
    text += "," + "x" * (MAX_FILTER_LENGTH - len(text) - 1)
    assert len(text) == MAX_FILTER_LENGTH
    with pytest.raises(QueryError):  # the tail 'xxx' is a field name with no operator
        parse_filter(text, POINT)
    text = (clause * (MAX_FILTER_LENGTH // len(clause)))[:-1]
    assert point_indexes(text) == [2]


# -- property tests ---------------------------------------------------------------------------

FILTER_ALPHABET = st.sampled_from([*'()";,=!<> \t', "Name", "VmName", "State", "Type", "Ready", "x", "é", "\x00"])
ANY_TEXT = st.one_of(
    st.text(max_size=60),
    st.lists(FILTER_ALPHABET, max_size=30).map("".join),
    st.text(alphabet='()";,=!<> aZ0-:.T', max_size=40),
)


@settings(max_examples=400, deadline=None)
@given(text=ANY_TEXT, type_name=st.sampled_from(["CloudVmReplicaPoint", "CloudReplica", "CloudTenant", "BackupServer"]))
def test_random_text_raises_only_query_error(text: str, type_name: str) -> None:
    qtype = query_type(type_name)
    try:
        flt = parse_filter(text, qtype)
    except QueryError as exc:
        assert str(exc).isprintable()
        return
    flt.select(WORLD, list(qtype.objects(WORLD, ADMIN)))


@settings(max_examples=50, deadline=None)
@given(depth=st.integers(MAX_DEPTH + 1, 5000), closed=st.booleans())
def test_deep_nesting_is_a_query_error_not_a_recursion_error(depth: int, closed: bool) -> None:
    text = "(" * depth + "Name==x" + (")" * depth if closed else "")
    if len(text) > MAX_FILTER_LENGTH:
        text = text[:MAX_FILTER_LENGTH]
    with pytest.raises(QueryError, match=r"deeper than 64|at most"):
        parse_filter(text, POINT)


# An independent oracle: each field read straight from the entities, compared the vendor's way.
Getter = Callable[[World, CloudVmReplicaPoint], Any]
ORACLE: dict[str, tuple[str, Getter]] = {
    "UID": ("uid", lambda w, p: f"urn:veeam:CloudVmReplicaPoint:{p.id}"),
    "Name": ("str", lambda w, p: p.name),
    "CreationTime": ("time", lambda w, p: p.creation_time),
    "VmName": ("str", lambda w, p: p.vm_name),
    "Type": ("enum", lambda w, p: list(PointType).index(p.point_type)),
    "ReplicaUid": ("uid", lambda w, p: f"urn:veeam:CloudReplica:{p.replica_id}"),
    "ReplicaName": ("str", lambda w, p: w.replicas[p.replica_id].name),
    "VmDisplayName": ("str", lambda w, p: p.vm_display_name),
    "BackupServerUid": ("uid", lambda w, p: f"urn:veeam:BackupServer:{w.replicas[p.replica_id].backup_server_id}"),
    "BackupServerName": ("str", lambda w, p: w.backup_servers[w.replicas[p.replica_id].backup_server_id].name),
    "State": ("enum", lambda w, p: list(PointState).index(p.state)),
}
ENUMS = {"Type": PointType, "State": PointState}
COMPARE = {
    "==": lambda a, b: a == b,
    "!=": lambda a, b: a != b,
    "<": lambda a, b: a < b,
    ">": lambda a, b: a > b,
    "<=": lambda a, b: a <= b,
    ">=": lambda a, b: a >= b,
}
UNQUOTABLE = set(';,)("') | set("=!<>")


def _quote(text: str) -> str:
    return '"' + text.replace('"', '""') + '"'


@st.composite
def comparisons(draw: st.DrawFn) -> tuple[str, str, Any, str]:
    """(field, operator, the value the oracle compares with, the value as filter text)."""
    field = draw(st.sampled_from(sorted(ORACLE)))
    op = draw(st.sampled_from(sorted(COMPARE)))
    kind, get = ORACLE[field]
    points = list(WORLD.points.values())
    if kind == "enum":
        member = draw(st.sampled_from(list(ENUMS[field])))
        text = draw(st.sampled_from([member.value, member.value.upper(), member.value.lower()]))
        return field, op, list(ENUMS[field]).index(member), draw(st.sampled_from([text, _quote(text)]))
    if kind == "time":
        base = draw(st.sampled_from([get(WORLD, p) for p in points]))
        moment = base + draw(st.sampled_from([timedelta(0), timedelta(seconds=1), -timedelta(microseconds=500000)]))
        forms = [moment.strftime("%Y-%m-%dT%H:%M:%S") + f".{moment.microsecond:06d}Z"]
        if not moment.microsecond:
            forms += [moment.strftime("%Y-%m-%d %H:%M:%S"), moment.strftime("%Y-%m-%dT%H:%M:%SZ")]
            if not (moment.hour or moment.minute or moment.second):
                forms.append(moment.strftime("%Y-%m-%d"))
        text = draw(st.sampled_from(forms))
        quoted = " " in text or draw(st.booleans())
        return field, op, moment, _quote(text) if quoted else text
    known = [get(WORLD, p) for p in points]
    value = draw(st.one_of(st.sampled_from(known), st.text(alphabet='ab SRV39"@;,()=-:', max_size=12)))
    value = draw(st.sampled_from([value, value.upper(), value.swapcase()]))
    spaceless = "".join(value.split())
    unquotable = spaceless and spaceless[0] not in UNQUOTABLE and not (set(spaceless) & UNQUOTABLE)
    if unquotable and draw(st.booleans()):
        return field, op, spaceless, value  # printed unquoted: its spaces are ignored
    return field, op, value, _quote(value)


def _nodes() -> st.SearchStrategy[Any]:
    return st.recursive(
        comparisons().map(lambda c: ("cmp", c)),
        lambda kids: st.tuples(st.sampled_from(["and", "or"]), st.lists(kids, min_size=2, max_size=3)),
        max_leaves=8,
    )


def _print(node: Any, rng: random.Random, inside: str | None = None) -> str:
    """Filter text for a tree: parentheses where precedence needs them, and at random elsewhere;
    field names in random case; random spaces between tokens (never inside values)."""

    def gap() -> str:
        return rng.choice(["", "", " ", "  "])

    if node[0] == "cmp":
        field, op, _, value = node[1]
        name = rng.choice([field, field.lower(), field.upper()])
        text = f"{gap()}{name}{gap()}{op}{gap()}{value}"
        if value.startswith('"'):
            text += gap()
        return f"({text})" if rng.random() < 0.1 else text
    kind, kids = node
    sep = ";" if kind == "and" else ","
    text = sep.join(_print(kid, rng, kind) for kid in kids)
    if (inside == "and" and kind == "or") or (inside is not None and rng.random() < 0.3):
        text = f"{gap()}({text}){gap()}"
    return text


def _oracle(node: Any, point: CloudVmReplicaPoint) -> bool:
    if node[0] == "cmp":
        field, op, value, _ = node[1]
        kind, get = ORACLE[field]
        actual = get(WORLD, point)
        if kind in ("str", "uid"):
            actual, value = actual.casefold(), value.casefold()
            if kind == "uid":
                value = value.strip()
        return COMPARE[op](actual, value)
    results = [_oracle(kid, point) for kid in node[1]]
    return all(results) if node[0] == "and" else any(results)


@settings(max_examples=300, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(tree=_nodes(), rng=st.randoms(use_true_random=False))
def test_printed_trees_select_what_the_oracle_selects(tree: Any, rng: random.Random) -> None:
    text = _print(tree, rng)
    flt = parse_filter(text, POINT)
    points = list(WORLD.points.values())
    expected = [p for p in points if _oracle(tree, p)]
    assert flt.select(WORLD, points) == expected, text
    assert [p for p in points if flt.matches(WORLD, p)] == expected, text
