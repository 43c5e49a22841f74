"""The query service: `/api/querySvc` and `/api/query` (em-api.md §6, §7): types and formats in any
case, the filter language over the seed world, errors, sorting, and paging by following links."""

from __future__ import annotations

import logging
import math
from collections.abc import Callable, Iterator
from typing import Any
from urllib.parse import parse_qsl, urlsplit

import httpx
import pytest
from conftest import BASE, SEED_FIXTURE, START, EmClient, make_client
from em_schema import assert_valid
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from lxml import etree
from xmlutil import API, assert_error, body, children, link, links, local, q

from mock_em.app import create_app
from mock_em.model.clock import Clock
from mock_em.server import build_em
from mock_em.settings import Settings

JSON = {"Accept": "application/json"}
USERS = ("Administrator:P@ssw0rd", "ro:pw:RestoreOperator")
TYPES = (
    "CloudVmReplicaPoint",
    "CloudReplica",
    "CloudGateway",
    "CloudTenant",
    "Job",
    "Backup",
    "Repository",
    "RestorePoint",
    "VmRestorePoint",
    "BackupJobSession",
    "ReplicaJobSession",
    "ReplicaTaskSession",
    "HierarchyRoot",
    "BackupTaskSession",
    "BackupServer",
    "ManagedServer",
    "BackupFile",
    "CloudPublicIpAddress",
    "CloudFailoverPlan",
)
CATALOGUE = ("Backup", "RestorePoint", "VmRestorePoint", "BackupFile")
SESSIONS = ("BackupJobSession", "ReplicaJobSession", "BackupTaskSession", "ReplicaTaskSession")
ENTITY_LISTS = {
    "CloudVmReplicaPoint": "CloudVmReplicaPoints",
    "CloudReplica": "CloudReplicas",
    "CloudGateway": "CloudGateways",
    "CloudTenant": "CloudTenants",
    "BackupServer": "BackupServers",
    "CloudPublicIpAddress": "CloudPublicIpAddresses",
    "CloudFailoverPlan": "CloudFailoverPlans",
    "Repository": "Repositories",
    "Job": "Jobs",
    "ManagedServer": "ManagedServers",
    "HierarchyRoot": "HierarchyRoots",
    **{name: name + "s" for name in (*CATALOGUE, *SESSIONS)},
}
# The element name of each entity inside its list (the schema names a point `CloudReplica`, §4).
ENTITY_ELEMENTS = {
    "CloudVmReplicaPoint": "CloudReplica",
    "CloudReplica": "CloudReplica",
    "CloudGateway": "CloudGateway",
    "CloudTenant": "CloudTenant",
    "BackupServer": "BackupServer",
    "CloudPublicIpAddress": "CloudPublicIp",
    "CloudFailoverPlan": "CloudFailoverPlan",
    "Repository": "Repository",
    "Job": "Job",
    "ManagedServer": "ManagedServer",
    "HierarchyRoot": "HierarchyRoot",
    **{name: name for name in (*CATALOGUE, *SESSIONS)},
}
SEED_COUNTS = {
    "CloudVmReplicaPoint": 6,
    "CloudReplica": 2,
    "CloudGateway": 1,
    "CloudTenant": 2,
    "BackupServer": 1,
    "CloudPublicIpAddress": 3,
    "CloudFailoverPlan": 1,
    "Repository": 1,
    "Job": 2,
    "Backup": 1,  # the backup job's
    "RestorePoint": 15,  # its one VM's 14 kept points (Retention), one per run, and Sunday's full they build on
    "VmRestorePoint": 15,
    "ManagedServer": 3,  # the backup server itself, its Hyper-V host and a proxy
    "HierarchyRoot": 1,  # the Hyper-V host
    "BackupFile": 15,  # one per restore point
    **dict.fromkeys(SESSIONS, 8),  # the two jobs' runs of the eight days before START, and any retries
}
BIG = {"tenants": 3, "replicas_per_tenant": 2, "vms_per_replica": 4, "points_per_vm": 7}

# The seed world's six points.
A = "srv39@2015-12-25 20:00:47"
B = "srv40@2015-12-27 21:08:13"
C = "srv38@2015-12-21 21:01:41"
D = "srv40@2015-12-22 21:05:43"
E = "srv38@2015-12-24 21:03:50"
F = "srv39@2015-12-22 11:25:26"
ALL = {A, B, C, D, E, F}
IN_TIME_ORDER = [C, F, D, E, A, B]


# -- fixtures and helpers --------------------------------------------------------------------------


@pytest.fixture(scope="module")
def seed() -> Iterator[EmClient]:
    """A checked client over the seed world, shared by the module's read-only tests."""
    client = make_client(Settings(fixture=str(SEED_FIXTURE), user=USERS))
    yield client
    client.close()


@pytest.fixture(scope="module")
def token(seed: EmClient) -> str:
    """An administrator's session on the seed world."""
    return seed.logon()


@pytest.fixture(scope="module")
def big() -> Iterator[EmClient]:
    """A checked client over a generated world of a few hundred points."""
    client = make_client(Settings(**BIG))
    yield client
    client.close()


@pytest.fixture(scope="module")
def lenient() -> Iterator[EmClient]:
    """An unchecked client over the seed world that returns server errors instead of raising them."""
    settings = Settings(fixture=str(SEED_FIXTURE))
    em = build_em(settings, Clock(START, frozen=True))
    client = EmClient(create_app(em, settings), base_url=BASE, raise_server_exceptions=False)
    client.em = em
    logging.getLogger("mock_em").disabled = True
    yield client
    logging.getLogger("mock_em").disabled = False
    client.close()


@pytest.fixture(scope="module")
def lenient_token(lenient: EmClient) -> str:
    """An administrator's session on the lenient client."""
    return lenient.logon()


def query(client: EmClient, token: str, params: dict[str, str] | str, json: bool = False) -> httpx.Response:
    """`GET /api/query` with these parameters (a dict, or a raw query string)."""
    headers = JSON if json else {}
    if isinstance(params, str):
        return client.get_as(token, f"/api/query?{params}", headers=headers)
    return client.get_as(token, "/api/query", params=params, headers=headers)


def ref_names(root: etree._Element) -> list[str]:
    """Names of the `<Ref>`s of an XML QueryResult."""
    refs = root.find(q("Refs"))
    assert refs is not None, etree.tostring(root)[:300]
    return [r.get("Name") or "" for r in refs]


def json_items(data: dict[str, Any], type_name: str) -> list[dict[str, Any]]:
    """The items of a JSON QueryResult, references or entities."""
    if "Refs" in data:
        return data["Refs"]["Refs"]
    list_name = ENTITY_LISTS[type_name]
    return data["Entities"][list_name][list_name]


def paging_links(data: dict[str, Any]) -> dict[str, str]:
    """Rel → Href of a JSON QueryResult's PagingInfo links."""
    return {li["Rel"]: li["Href"] for li in data["PagingInfo"]["Links"]}


def names_matching(seed: EmClient, token: str, filter_text: str, type_name: str = "CloudVmReplicaPoint") -> set[str]:
    """The Names a filter selects, read from XML references and from JSON entities (which must agree)."""
    xml = query(seed, token, {"type": type_name, "filter": filter_text})
    from_xml = ref_names(body(xml, 200, "QueryResult"))
    js = query(seed, token, {"type": type_name, "filter": filter_text, "format": "Entities"}, json=True)
    assert js.status_code == 200, js.text
    from_json = [item["Name"] for item in json_items(js.json(), type_name)]
    assert from_xml == from_json
    assert len(set(from_xml)) == len(from_xml)
    return set(from_xml)


# -- the query service ---------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("user", "types"),
    [
        (("Administrator", "P@ssw0rd"), TYPES),
        (
            ("ro", "pw"),
            (
                "CloudVmReplicaPoint",
                "CloudReplica",
                "Backup",
                "RestorePoint",
                "VmRestorePoint",
                "HierarchyRoot",
                "BackupFile",
                "CloudFailoverPlan",
            ),
        ),
    ],
)
def test_query_service_links(seed: EmClient, user: tuple[str, str], types: tuple[str, ...]) -> None:
    """Up to the caller's LogonSession, Down one preset per type the caller may read, each answering."""
    response = seed.post("/api/sessionMngr/?v=latest", auth=user)
    session_href = response.headers["Location"]
    token = response.headers["X-RestSvcSessionId"]
    root = body(seed.get_as(token, "/api/querySvc"), 200, "QuerySvc")
    assert root.get("Type") == "QueryService"
    assert root.get("Href") == f"{API}/querySvc"
    found = links(root)
    assert found[0].Rel == "Up" and found[0].Type == "LogonSession" and found[0].Href == session_href
    downs = found[1:]
    assert [(d.Rel, d.Type) for d in downs] == [("Down", f"{t}List") for t in types]
    for type_name, down in zip(types, downs, strict=True):
        assert down.Href and down.Href.startswith(f"{API}/query?")
        params = {k.casefold(): v for k, v in parse_qsl(urlsplit(down.Href).query)}
        assert params["type"] == type_name
        result = body(seed.get_as(token, down.Href), 200, "QueryResult")
        entities = result.find(q("Entities"))
        assert entities is not None
        assert [local(c) for c in entities] == [ENTITY_LISTS[type_name]]
        held = len(seed.em.world.all(type_name))
        assert len(entities[0]) == held
        assert held >= SEED_COUNTS[type_name] if type_name in SESSIONS else held == SEED_COUNTS[type_name]


@pytest.mark.parametrize("type_name", TYPES)
@pytest.mark.parametrize("json", [False, True], ids=["xml", "json"])
@pytest.mark.parametrize(
    ("spelling", "fmt"),
    [
        (str, None),
        (str, "References"),
        (str.lower, "references"),
        (str.upper, "Entities"),
        (str.lower, "entities"),
        (str, "ENTITY"),
    ],
)
def test_every_type_in_both_formats(
    seed: EmClient, token: str, type_name: str, json: bool, spelling: Any, fmt: str | None
) -> None:
    """Every type answers References (default) or Entities, with type and format in any case."""
    params = {"type": spelling(type_name)}
    if fmt is not None:
        params["format"] = fmt
    response = query(seed, token, params, json=json)
    assert response.status_code == 200, response.text
    entities = fmt is not None and fmt.casefold().startswith("entit")
    count = len(seed.em.world.all(type_name))
    assert count >= SEED_COUNTS[type_name] if type_name in SESSIONS else count == SEED_COUNTS[type_name]
    if json:
        data = response.json()
        assert list(data) == ["Entities" if entities else "Refs", "PagingInfo"]
        items = json_items(data, type_name)
        assert len(items) == count
        assert {i["Type"] for i in items} == {type_name if entities else f"{type_name}Reference"}
        return
    root = body(response, 200, "QueryResult")
    if entities:
        (entity_list,) = children(root, "Entities")
        (inner,) = list(entity_list)
        assert local(inner) == ENTITY_LISTS[type_name]
        assert [local(e) for e in inner] == [ENTITY_ELEMENTS[type_name]] * count
        assert {e.get("Type") for e in inner} == {type_name}
    else:
        refs = root.find(q("Refs"))
        assert refs is not None and len(refs) == count
        assert {r.get("Type") for r in refs} == {f"{type_name}Reference"}


# -- filters -------------------------------------------------------------------------------------

VALID_FILTERS: list[tuple[str, str, set[str]]] = [
    ("CloudVmReplicaPoint", "VmName==srv40", {B, D}),
    ("CloudVmReplicaPoint", 'Name=="srv39@2015-12-25 20:00:47"', {A}),
    ("CloudVmReplicaPoint", 'name=="SRV39@2015-12-25 20:00:47"', {A}),
    ("CloudVmReplicaPoint", 'CreationTime>"2015-12-24"', {A, B, E}),
    ("CloudVmReplicaPoint", "CreationTime>=2015-12-22;VmName!=srv38", {A, B, D, F}),
    ("CloudVmReplicaPoint", '(VmName==srv38,VmName==srv39);CreationTime<"2015-12-23"', {C, F}),
    ("CloudVmReplicaPoint", "VmName==srv38,VmName==srv40;CreationTime>2015-12-25", {B, C, E}),
    ("CloudVmReplicaPoint", 'CreationTime<"2015-12-22 12:00:00"', {C, F}),
    ("CloudVmReplicaPoint", 'CreationTime=="2015-12-25T20:00:47Z"', {A}),
    ("CloudVmReplicaPoint", 'ReplicaName=="UCM Company CRM Replication"', {A, F}),
    ("CloudVmReplicaPoint", 'replicaname=="ucm company crm replication"', {A, F}),
    ("CloudVmReplicaPoint", "ReplicaUid==urn:veeam:CloudReplica:6b2b42d5-3850-421c-93c1-e063f12a2ead", {A, F}),
    ("CloudVmReplicaPoint", "UID==urn:veeam:CloudVmReplicaPoint:93081441-6e3c-4584-b47a-08dc1ce24f84", {A}),
    ("CloudVmReplicaPoint", "State==Ready", ALL),
    ("CloudVmReplicaPoint", "state==READY", ALL),
    ("CloudVmReplicaPoint", "State>=Failover", set()),
    ("CloudVmReplicaPoint", "Type==Snapshot", ALL),
    ("CloudVmReplicaPoint", "Type!=Snapshot", set()),
    ("CloudVmReplicaPoint", "BackupServerName==172.17.53.48", ALL),
    ("CloudVmReplicaPoint", "BackupServerUid==urn:veeam:BackupServer:8fff3b8e-c3f1-4ef5-aecc-561f07bf9982", ALL),
    ("CloudVmReplicaPoint", "VMNAME==SrV40", {B, D}),
    ("CloudVmReplicaPoint", "VmDisplayName==srv38", {C, E}),
    ("CloudVmReplicaPoint", 'VmName=="srv""40"', set()),
    ("CloudVmReplicaPoint", 'VmName!="srv""40"', ALL),
    ("CloudVmReplicaPoint", " VmName == srv40 ", {B, D}),
    ("CloudVmReplicaPoint", "VmName>srv38;VmName<srv40", {A, F}),
    ("CloudReplica", 'Name=="ABC Company Servers Replication"', {"ABC Company Servers Replication"}),
    ("CloudReplica", "Platform==VMware", {"ABC Company Servers Replication", "UCM Company CRM Replication"}),
    ("CloudReplica", "Platform==HyperV", set()),
    ("CloudTenant", 'Name=="UCM Company"', {"UCM Company"}),
    ("CloudTenant", "Enabled==TRUE;BackupServerName==172.17.53.48", {"UCM Company", "ABC Company"}),
    ("CloudTenant", "Type==Standalone", {"UCM Company", "ABC Company"}),
    ("BackupServer", "Port==9392", {"172.17.53.48"}),
    ("BackupServer", "Port>9392", set()),
    ("BackupServer", "Name==172.17.53.48", {"172.17.53.48"}),
]


@pytest.mark.parametrize(("type_name", "filter_text", "expected"), VALID_FILTERS, ids=[f[1] for f in VALID_FILTERS])
def test_valid_filters(seed: EmClient, token: str, type_name: str, filter_text: str, expected: set[str]) -> None:
    """Each filter selects exactly the expected objects of the seed world."""
    assert names_matching(seed, token, filter_text, type_name) == expected


def test_doubled_quotes_stand_for_one_quote(em_client: Callable[..., EmClient]) -> None:
    """`""` inside a quoted value is a literal quote."""
    client = em_client(fixture=str(SEED_FIXTURE))
    world = client.em.world
    replica = next(r for r in world.replicas.values() if r.name == "UCM Company CRM Replication")
    replica.name = 'UCM Company "CRM" Replication'
    world.changed()
    token = client.logon()
    assert names_matching(client, token, 'ReplicaName=="UCM Company ""CRM"" Replication"') == {A, F}
    response = query(client, token, {"type": "CloudVmReplicaPoint", "filter": 'ReplicaName=="UCM Company "CRM""'})
    assert_error(response, 400, "BadRequest")


INVALID: list[tuple[str, str]] = [
    ("type=CloudVmReplicaPoint&filter=Foo==1", "unknown field 'Foo'"),
    ("type=CloudVmReplicaPoint&filter=Platform==VMware", "unknown field 'Platform'"),
    ("type=CloudJob", "Unknown query type 'CloudJob'"),
    ("type=CloudVmReplicaPoint&filter=VmName=srv40", "'=' is not an operator"),
    ("type=CloudVmReplicaPoint&filter=VmName~srv40", "expected a comparison operator"),
    ("type=CloudVmReplicaPoint&filter=VmName<>srv40", "may not start with '>'"),
    ("type=CloudVmReplicaPoint&filter=VmName==", "expected a value"),
    ('type=CloudVmReplicaPoint&filter=Name=="srv39', "no closing"),
    ("type=CloudVmReplicaPoint&filter=(VmName==srv39", "expected ')'"),
    ("type=CloudVmReplicaPoint&filter=VmName==srv39)", "no matching '('"),
    ("type=CloudVmReplicaPoint&filter=VmName==srv39;", "expected a field name"),
    ('type=CloudVmReplicaPoint&filter=CreationTime>"2015-13-45"', "CreationTime needs a UTC date"),
    ("type=CloudVmReplicaPoint&filter=CreationTime>yesterday", "CreationTime needs a UTC date"),
    ("type=CloudVmReplicaPoint&filter=State==Broken", "State needs one of"),
    ("type=CloudVmReplicaPoint&filter=Type==CDP", "Type needs one of"),
    ("type=BackupServer&filter=Port==abc", "Port needs a whole number"),
    ("type=CloudTenant&filter=Enabled==maybe", "Enabled needs true or false"),
    ("type=CloudVmReplicaPoint&filter=", "the filter is empty"),
    ("type=CloudVmReplicaPoint&pageSize=0", "pageSize must be a whole number from 1"),
    ("type=CloudVmReplicaPoint&pageSize=abc", "pageSize must be a whole number from 1"),
    ("type=CloudVmReplicaPoint&page=-1", "page must be a whole number from 1"),
    ("type=CloudVmReplicaPoint&page=0", "page must be a whole number from 1"),
    ("type=CloudVmReplicaPoint&format=bogus", "Unknown query format 'bogus'"),
    ("format=Entities", "needs a type parameter"),
    ("", "needs a type parameter"),
    ("type=CloudVmReplicaPoint&sortAsc=Foo", "Cannot sort by 'Foo'"),
    ("type=CloudVmReplicaPoint&sortAsc=Name&sortDesc=Name", "either sortAsc or sortDesc"),
]


@pytest.mark.parametrize(("query_string", "fragment"), INVALID, ids=[i[0] for i in INVALID])
def test_invalid_queries(seed: EmClient, token: str, query_string: str, fragment: str) -> None:
    """Each mistake is a 400 Veeam Error naming it, in XML and in JSON."""
    root = assert_error(query(seed, token, query_string), 400, "BadRequest")
    assert fragment in (root.get("Message") or ""), root.get("Message")
    response = query(seed, token, query_string, json=True)
    assert response.status_code == 400
    data = response.json()
    assert (data["StatusCode"], data["Status"]) == (400, "BadRequest")
    assert fragment in data["Message"]


def test_control_character_in_format_is_a_400(lenient: EmClient) -> None:
    """`format=%01` is a bad request like any other unknown format."""
    response = query(lenient, lenient.logon(), "type=CloudReplica&format=%01")
    assert response.status_code == 400, response.text


# -- sorting -------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("params", "expected"),
    [
        ({"sortAsc": "CreationTime"}, IN_TIME_ORDER),
        ({"sortDesc": "CreationTime"}, IN_TIME_ORDER[::-1]),
        ({"SORTASC": "creationtime"}, IN_TIME_ORDER),
        ({"sortAsc": "Name"}, sorted(ALL)),
        ({"sortDesc": "name"}, sorted(ALL, reverse=True)),
        ({"sortAsc": "Name", "filter": "VmName!=srv39"}, sorted(ALL - {A, F})),
        ({"sortDesc": "CreationTime", "pageSize": "2", "page": "2"}, IN_TIME_ORDER[::-1][2:4]),
    ],
)
def test_sorting(seed: EmClient, token: str, params: dict[str, str], expected: list[str]) -> None:
    """sortAsc / sortDesc order the whole result before paging."""
    response = query(seed, token, {"type": "CloudVmReplicaPoint", **params})
    assert ref_names(body(response, 200, "QueryResult")) == expected


def test_sort_by_vm_name_groups_points(seed: EmClient, token: str) -> None:
    """Sorting by a field with ties keeps every point once, grouped by that field."""
    response = query(seed, token, {"type": "CloudVmReplicaPoint", "sortAsc": "VmName"}, json=True)
    items = json_items(response.json(), "CloudVmReplicaPoint")
    vms = [i["Name"].split("@")[0] for i in items]
    assert vms == sorted(vms) and set(i["Name"] for i in items) == ALL


# -- paging --------------------------------------------------------------------------------------


def walk(client: EmClient, token: str, first_url: str, type_name: str) -> list[dict[str, Any]]:
    """Follow `Next` links from page 1; check each page's PagingInfo on the way."""
    items: list[dict[str, Any]] = []
    url: str | None = first_url
    expected_page = 1
    pages_count = None
    while url is not None:
        response = client.get_as(token, url, headers=JSON)
        assert response.status_code == 200, response.text
        data = response.json()
        info = data["PagingInfo"]
        pages_count = pages_count or info["PagesCount"]
        assert info["PageNum"] == expected_page
        assert info["PagesCount"] == pages_count
        page_items = json_items(data, type_name)
        assert 1 <= len(page_items) <= info["PageSize"]
        items += page_items
        url = paging_links(data).get("Next")
        expected_page += 1
        assert expected_page <= 1000, "Next links never end"
    assert expected_page - 1 == pages_count
    return items


@pytest.mark.parametrize("page_size", [1, 7, 100])
@pytest.mark.parametrize(
    ("sort", "key"),
    [("sortAsc=CreationTime", "CreationTimeUTC"), ("sortDesc=Name", "Name"), ("sortAsc=VmName", "VmName")],
)
def test_walking_next_links_yields_every_point_once(big: EmClient, page_size: int, sort: str, key: str) -> None:
    """From page 1, `Next` links visit every matching point exactly once, in sort order."""
    token = big.logon()
    world = big.em.world
    assert len(world.points) == 3 * 2 * 4 * 7
    url = f"/api/query?type=CloudVmReplicaPoint&format=Entities&{sort}&pageSize={page_size}&v=latest"
    items = walk(big, token, url, "CloudVmReplicaPoint")
    uids = [i["UID"] for i in items]
    assert len(uids) == len(set(uids)) == len(world.points)
    assert set(uids) == {f"urn:veeam:CloudVmReplicaPoint:{p}" for p in world.points}
    keys = [i[key].casefold() if key != "CreationTimeUTC" else i[key] for i in items]
    assert keys == sorted(keys, reverse=sort.startswith("sortDesc"))


def test_walking_a_filtered_query(big: EmClient) -> None:
    """Paging a filtered query visits exactly the matching points."""
    token = big.logon()
    world = big.em.world
    replica = next(iter(world.replicas.values()))
    expected = {f"urn:veeam:CloudVmReplicaPoint:{p.id}" for p in world.points.values() if p.replica_id == replica.id}
    url = f"/api/query?type=CloudVmReplicaPoint&filter=ReplicaUid==urn:veeam:CloudReplica:{replica.id}&pageSize=5"
    items = walk(big, token, url, "CloudVmReplicaPoint")
    uids = [i["UID"] for i in items]
    assert len(uids) == len(set(uids)) and set(uids) == expected


@pytest.mark.parametrize(
    ("page", "rels"),
    [
        (1, ["First", "Next", "Last"]),
        (2, ["First", "Previous", "Next", "Last"]),
        (3, ["First", "Previous", "Last"]),
    ],
)
def test_paging_info_and_links(seed: EmClient, token: str, page: int, rels: list[str]) -> None:
    """PageNum, PageSize, PagesCount; First and Last always, Previous past page 1, Next before the last."""
    response = query(seed, token, f"type=CloudVmReplicaPoint&pageSize=2&page={page}&sortAsc=CreationTime")
    root = body(response, 200, "QueryResult")
    (info,) = children(root, "PagingInfo")
    assert (info.get("PageNum"), info.get("PageSize"), info.get("PagesCount")) == (str(page), "2", "3")
    found = links(info)
    assert [li.Rel for li in found] == rels
    assert all(li.Type is None and li.Name is None for li in found)
    targets = {"First": 1, "Previous": page - 1, "Next": page + 1, "Last": 3}
    for li in found:
        assert li.Href == f"{API}/query?type=CloudVmReplicaPoint&pageSize=2&page={targets[li.Rel]}&sortAsc=CreationTime"
    assert ref_names(root) == IN_TIME_ORDER[(page - 1) * 2 : page * 2]


def test_next_link_repeats_the_query_in_place(seed: EmClient, token: str) -> None:
    """Extra parameters stay, `pageSize`/`page` are replaced where they stand, names matched in any
    case; percent-escapes come back in lower-case hex, as releases up to 12 write them."""
    original = "v=latest&Type=CloudVmReplicaPoint&PAGESIZE=2&filter=VmName%21%3Dnobody&Page=1&sortAsc=name&x=1"
    root = body(query(seed, token, original), 200, "QueryResult")
    (info,) = children(root, "PagingInfo")
    written = original.replace("%3D", "%3d")
    nxt = link(info, "Next", None)
    assert nxt.Href == f"{API}/query?" + written.replace("Page=1", "Page=2")
    last = link(info, "Last", None)
    assert last.Href == f"{API}/query?" + written.replace("Page=1", "Page=3")
    assert body(seed.get_as(token, nxt.Href), 200, "QueryResult") is not None


def test_next_link_appends_missing_paging_parameters(big: EmClient) -> None:
    """Without `page`/`pageSize` the links append them after the original parameters."""
    token = big.logon()
    original = "type=CloudVmReplicaPoint&v=latest&sortAsc=Name"
    data = query(big, token, original, json=True).json()
    nxt = paging_links(data)["Next"]
    assert nxt.startswith(f"{API}/query?{original}&")
    params = parse_qsl(urlsplit(nxt).query)
    assert params[:3] == parse_qsl(original)
    assert sorted(params[3:]) == [("page", "2"), ("pageSize", "100")]


def test_default_page_size_is_100(big: EmClient) -> None:
    """Without `pageSize` the answer holds 100 items and says PageSize 100."""
    token = big.logon()
    total = len(big.em.world.points)
    data = query(big, token, "type=CloudVmReplicaPoint", json=True).json()
    assert len(data["Refs"]["Refs"]) == 100
    info = data["PagingInfo"]
    assert (info["PageNum"], info["PageSize"], info["PagesCount"]) == (1, 100, math.ceil(total / 100))
    root = body(query(big, token, "type=CloudVmReplicaPoint&page=2"), 200, "QueryResult")
    assert len(ref_names(root)) == total - 100


@pytest.mark.parametrize("fmt", ["References", "Entities"])
def test_empty_result(seed: EmClient, token: str, fmt: str) -> None:
    """No match: PageNum 1, PagesCount 1, an empty list, links First and Last only."""
    params = {"type": "CloudVmReplicaPoint", "filter": "VmName==nobody", "format": fmt, "pageSize": "5"}
    data = query(seed, token, params, json=True).json()
    assert json_items(data, "CloudVmReplicaPoint") == []
    info = data["PagingInfo"]
    assert (info["PageNum"], info["PageSize"], info["PagesCount"]) == (1, 5, 1)
    assert [li["Rel"] for li in info["Links"]] == ["First", "Last"]
    root = body(query(seed, token, params), 200, "QueryResult")
    (info_xml,) = children(root, "PagingInfo")
    assert (info_xml.get("PageNum"), info_xml.get("PagesCount")) == ("1", "1")
    container = root.find(q("Entities") if fmt == "Entities" else q("Refs"))
    assert container is not None
    if fmt == "Entities":
        assert [local(c) for c in container] == ["CloudVmReplicaPoints"] and len(container[0]) == 0
    else:
        assert len(container) == 0


# -- no filter text ever breaks the server -------------------------------------------------------

FILTER_TOKENS = [
    "UID",
    "Name",
    "CreationTime",
    "VmName",
    "Type",
    "ReplicaUid",
    "ReplicaName",
    "State",
    "Port",
    "Enabled",
    "==",
    "!=",
    "<",
    ">",
    "<=",
    ">=",
    "=",
    "!",
    '"',
    '""',
    "(",
    ")",
    ";",
    ",",
    " ",
    "0",
    "7",
    "2015-12-22",
    "T20:00:00Z",
    "srv39",
    "Ready",
    "urn:veeam:CloudReplica:",
    "é",
    "İ",
    "\u212a",
    "😀",
    "\x00",
    "\t",
    "\u2028",
    "\ufffe",
]
filters = st.lists(
    st.one_of(st.sampled_from(FILTER_TOKENS), st.text(st.characters(blacklist_categories=("Cs",)), max_size=3)),
    max_size=14,
).map("".join)


@settings(max_examples=200, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(
    filter_text=filters,
    type_name=st.sampled_from(TYPES),
    json=st.booleans(),
    sort=st.sampled_from([None, "Name", "CreationTime", "UID", "nonsense"]),
)
def test_random_filters_never_break_the_server(
    lenient: EmClient, lenient_token: str, filter_text: str, type_name: str, json: bool, sort: str | None
) -> None:
    """Any filter text gives 200 or a 4xx Veeam Error, never a 5xx or a framework error page."""
    token = lenient_token
    params = {"type": type_name, "filter": filter_text}
    if sort is not None:
        params["sortAsc"] = sort
    response = query(lenient, token, params, json=json)
    assert response.status_code < 500, (filter_text, response.text[:300])
    if json:
        assert response.headers["content-type"] == "application/json; charset=utf-8"
        data = response.json()
        if response.status_code >= 400:
            assert list(data) == ["FirstChanceExceptionMessage", "StackTrace", "Message", "StatusCode", "Status"]
            assert data["StatusCode"] == response.status_code and data["Message"]
        return
    root = assert_valid(response.content)
    if response.status_code >= 400:
        assert local(root) == "Error"
        assert root.get("StatusCode") == str(response.status_code) and root.get("Message")
    else:
        assert local(root) == "QueryResult"
