"""XML and JSON of the same object agree field by field (em-api.md §4, §7, §8).

The expected JSON is derived here from the XML response by a small, generic converter written
for this test (it does not use mock-em's own template engine), following the rules of §7:
attributes and elements both become properties, `<Links>` becomes an array, other lists become
an object holding one array, numbers and booleans are native, property order is the .NET one
(own fields first, then the base types' `Name`, `UID`, `Links`, `Href`, `Type`).
"""

from __future__ import annotations

import json
import logging
from collections.abc import Callable, Iterator
from typing import Any

import httpx
import pytest
from conftest import BASE, SEED_FIXTURE, START, EmClient, make_client
from lxml import etree
from xmlutil import API, UNKNOWN_GUID, local, parse

from mock_em import registry
from mock_em.app import create_app
from mock_em.model.clock import Clock
from mock_em.model.query_types import served_types
from mock_em.releases import DEFAULT_RELEASE
from mock_em.server import build_em
from mock_em.settings import Settings

JSON = {"Accept": "application/json"}
RESTORE_OPERATOR = ("ro", "pw")
USERS = ("Administrator:P@ssw0rd", "ro:pw:RestoreOperator")

# -- a generic XML → expected-JSON converter -----------------------------------------------------

NUMBERS = frozenset(
    {
        "Port",
        "Order",
        "VmCount",
        "ThrottlingSpeedLimit",
        "PublicIpCount",
        "BackupCount",
        "ReplicaCount",
        "StatusCode",
        "PageNum",
        "PageSize",
        "PagesCount",
        "Quota",
        "UsedQuota",
        "ProcessorUsageLimitMhz",
        "MemoryUsageLimitMb",
        "QuotaGb",
        "CountWithInternet",
        "CountWithoutInternet",
        "MemoryUsageMb",
        "CPUCount",
        "StorageUsageGb",
        "StorageLimitGb",
        "ExternalPort",
        "InternalPort",
        "Capacity",
        "FreeSpace",
        "RetryTimes",
        "RetryTimeout",
        "TimeOffsetUtc",
        "FullPeriod",
        "Progress",
        "TotalSize",
        "BackupSize",
        "DataSize",
    }
)
DOUBLES = frozenset({"DeduplicationRatio", "CompressRatio"})  # a backup file's ratios
BOOLEANS = frozenset(
    {
        "Enabled",
        "ThrottlingEnabled",
        "UseNetworkFailoverResources",
        "ObtainIPAddressAutomatically",
        "PostFailoverPlanCommandEnabled",
        "IsRetry",
        "PreFailoverPlanCommandEnabled",
        "ScheduleConfigured",
        "ScheduleEnabled",
        "RetrySpecified",
    }
)
# List elements and the key of their one JSON array.
LIST_KEYS = {
    "EntityReferences": "Refs",
    "Refs": "Refs",
    "LogonSessions": "LogonSessions",
    "CloudTenants": "CloudTenants",
    "CloudReplicas": "CloudReplicas",
    "CloudVmReplicaPoints": "CloudVmReplicaPoints",
    "BackupServers": "BackupServers",
    "BackupJobSessions": "BackupJobSessions",
    "ReplicaJobSessions": "ReplicaJobSessions",
    "BackupTaskSessions": "BackupTaskSessions",
    "ReplicaTaskSessions": "ReplicaTaskSessions",
    "CloudPublicIpAddresses": "CloudPublicIpAddresses",
    "SupportedVersions": "SupportedVersions",
    "Resources": "CloudTenantResources",
    "CloudTenantResources": "CloudTenantResources",
    "ComputeResources": "CloudTenantComputeResources",
    "CloudTenantComputeResources": "CloudTenantComputeResources",
    "StorageResourceStats": "StorageResourceStats",
    "Datastores": "Datastores",
    "Volumes": "Volumes",
    "CloudHardwarePlans": "CloudHardwarePlans",
    "CloudGateways": "CloudGateways",
    "CloudFailoverPlans": "CloudFailoverPlans",
    "Includes": "CloudFailoveredVms",
    "CloudFailoveredVms": "CloudFailoveredVms",
    "Repositories": "Repositories",
    "Jobs": "Jobs",
    "Backups": "Backups",
    "RestorePoints": "RestorePoints",
    "VmRestorePoints": "VmRestorePoints",
    "ManagedServers": "ManagedServers",
    "HierarchyRoots": "HierarchyRoots",
    "HierarchyItems": "HierarchyItems",
    "BackupFiles": "BackupFiles",
}
CHOICES = frozenset({"Entities", "HardwarePlanDetails"})  # JSON keys its one child by the child's element name
LINK_ORDER = ("Rel", "Href", "Name", "Type")
REFERENCE_ORDER = ("Links", "UID", "Name", "Href", "Type")
ENTITY_TAIL = ("Name", "UID", "Links", "Href", "Type")
RESOURCE_TAIL = ("Links", "Href", "Type")
# Child elements in schema order, by the element's Type attribute (or name); an element absent from
# the XML (a null value) is `null` in JSON, in its schema place.
SCHEMA_CHILDREN: dict[str, tuple[str, ...]] = {
    "Error": ("FirstChanceExceptionMessage", "StackTrace"),
    "LogonSession": ("Links", "UserName", "SessionId"),
    "CloudVmReplicaPoint": ("Links", "CreationTimeUTC", "VmName", "PointType", "State"),
    "CloudReplica": ("Links", "Platform"),
    "BackupServer": ("Links", "Description", "Port", "Version"),
    "ManagedServer": ("Links", "Description", "ManagedServerType"),
    "HierarchyRoot": ("Links", "HierarchyRootId", "UniqueId", "HostType"),
    "HierarchyItem": ("Links", "ObjectRef", "ObjectType", "ObjectName"),
    "CloudTenantResource": ("Links", "RepositoryQuota"),
    "CloudFailoveredVm": ("Links", "FailoverPlanVMId", "Name", "Order"),
    "CloudTenantComputeResource": (
        "Links",
        "CloudHardwarePlanUid",
        "WanAcceleratorUid",
        "PlatformType",
        "UseNetworkFailoverResources",
        "NetworkAppliance",
        "ComputeResourceStats",
    ),
    "Job": (
        "Links",
        "JobType",
        "Platform",
        "Description",
        "ScheduleConfigured",
        "ScheduleEnabled",
        "NextRun",
        "JobScheduleOptions",
    ),
    "RepositoryQuota": ("DisplayName", "RepositoryUid", "WanAcceleratorUid", "Quota", "UsedQuota"),
    "CloudTenant": (
        "Links",
        "Password",
        "Description",
        "Enabled",
        "LeaseOptions",
        "Resources",
        "LastResult",
        "LastActive",
        "VmCount",
        "ComputeResources",
        "ThrottlingEnabled",
        "ThrottlingSpeedLimit",
        "ThrottlingSpeedUnit",
        "PublicIpCount",
        "BackupCount",
        "ReplicaCount",
    ),
}


def scalar(name: str, text: str) -> Any:
    """An attribute value or element text as JSON: numbers and booleans native, the rest strings."""
    if name in NUMBERS:
        assert text.lstrip("-").isdigit(), f"{name}={text!r} is not a number"
        return int(text)
    if name in BOOLEANS:
        assert text in ("true", "false"), f"{name}={text!r} is not a boolean"
        return text == "true"
    if name in DOUBLES:
        return float(text)
    return text


# Where EM's JSON puts a property first though the schema has it last: a job session's `IsRetry`
# (the 9.5 U4, v12 and v13 captures of em-api-monitoring.md §2.2).
LEADING = {"BackupJobSession": ("IsRetry",), "ReplicaJobSession": ("IsRetry",)}


def _ordered(name: str, props: dict[str, Any]) -> dict[str, Any]:
    if name == "Link":
        order = [k for k in LINK_ORDER if k in props]
    elif name in ("Ref", "EntityRef"):
        order = [k for k in REFERENCE_ORDER if k in props]
    elif "Href" in props:
        tail = ENTITY_TAIL if "UID" in props else RESOURCE_TAIL
        lead = [k for k in LEADING.get(name, ()) if k in props]
        order = lead + [k for k in props if k not in tail and k not in lead] + [k for k in tail if k in props]
    else:
        order = list(props)
    assert set(order) == set(props), f"<{name}>: properties {sorted(set(props) - set(order))} have no JSON place"
    return {k: props[k] for k in order}


# Elements the schema requires that EM's JSON writes as null when empty (a job session's
# `FailureMessage`: null in the 9.5 U4, v12 and v13 captures, em-api-monitoring.md §2.2).
NULL_WHEN_EMPTY = frozenset({"FailureMessage"})


def _child(child: etree._Element) -> Any:
    name = local(child)
    if name in NULL_WHEN_EMPTY and not child.text and not len(child):
        return None
    if name == "Links":
        return [expected_json(link) for link in child]
    if name in CHOICES:
        assert len(child) == 1, f"<{name}> holds {len(child)} children"
        return {local(c): expected_json(c) for c in child}
    if name in LIST_KEYS or len(child) or child.attrib:
        return expected_json(child)
    return scalar(name, child.text or "")


def expected_json(element: etree._Element) -> Any:
    """The JSON that EM writes for this XML element (§7)."""
    name = local(element)
    if name in LIST_KEYS and not element.attrib:
        return {LIST_KEYS[name]: [expected_json(c) for c in element]}
    children = {local(c): c for c in element}
    assert len(children) == len(element), f"<{name}> repeats a child outside a list"
    # The Type attribute names the schema type where the element name does not (a point in a list
    # is `<CloudReplica Type="CloudVmReplicaPoint">`); links and references have no such children.
    schema = None if name in ("Link", "Ref", "EntityRef") else SCHEMA_CHILDREN.get(element.get("Type") or name)
    schema = schema or SCHEMA_CHILDREN.get(name)
    if schema:
        present = [n for n in schema if n in children]
        assert present == list(children), f"<{name}> children {list(children)} are not in schema order {schema}"
        names: tuple[str, ...] | list[str] = schema
    else:
        names = list(children)
    props: dict[str, Any] = {}
    for child_name in names:
        child = children.get(child_name)
        props[child_name] = None if child is None else _child(child)
    for attr, value in element.attrib.items():
        props[str(attr)] = scalar(str(attr), value)
    return _ordered(name, props)


def assert_same(actual: Any, expected: Any, path: str = "$") -> None:
    """Deep equality with the same key order and the same JSON types (True is not 1)."""
    if isinstance(expected, dict):
        assert isinstance(actual, dict), f"{path}: expected an object, got {actual!r}"
        assert list(actual) == list(expected), f"{path}: keys {list(actual)} != expected {list(expected)}"
        for key, value in expected.items():
            assert_same(actual[key], value, f"{path}.{key}")
    elif isinstance(expected, list):
        assert isinstance(actual, list), f"{path}: expected an array, got {actual!r}"
        assert len(actual) == len(expected), f"{path}: {len(actual)} items != expected {len(expected)}"
        for i, (a, e) in enumerate(zip(actual, expected, strict=True)):
            assert_same(a, e, f"{path}[{i}]")
    else:
        assert type(actual) is type(expected) and actual == expected, f"{path}: {actual!r} != expected {expected!r}"


def assert_agree(xml_response: httpx.Response, json_response: httpx.Response) -> Any:
    """The JSON answer is the XML answer's, field by field. Returns the JSON."""
    assert xml_response.headers["content-type"] == "application/xml; charset=utf-8"
    assert json_response.headers["content-type"] == "application/json; charset=utf-8"
    actual = json_response.json()
    assert_same(actual, expected_json(parse(xml_response)))
    return actual


# -- fixtures and helpers --------------------------------------------------------------------------


def both(client: EmClient, token: str | None, url: str, method: str = "GET") -> tuple[httpx.Response, httpx.Response]:
    """The same request answered in XML and in JSON."""
    client.cookies.clear()
    headers = {"X-RestSvcSessionId": token} if token else {}
    xml = client.request(method, url, headers=headers)
    client.cookies.clear()
    js = client.request(method, url, headers={**headers, **JSON})
    return xml, js


def compare(client: EmClient, token: str | None, url: str, status: int = 200, method: str = "GET") -> Any:
    """Fetch `url` in both notations, check the status and that they agree; returns the JSON."""
    xml, js = both(client, token, url, method)
    assert xml.status_code == status, (url, xml.status_code, xml.text[:300])
    assert js.status_code == status, (url, js.status_code, js.text[:300])
    return assert_agree(xml, js)


def hrefs_of(node: Any) -> Iterator[str]:
    """Every `Href` in a JSON document."""
    if isinstance(node, dict):
        for key, value in node.items():
            if key == "Href" and isinstance(value, str):
                yield value
            else:
                yield from hrefs_of(value)
    elif isinstance(node, list):
        for item in node:
            yield from hrefs_of(item)


def resource_urls(client: EmClient) -> list[str]:
    """Every collection and every item of the world, in reference and entity form."""
    world = client.em.world
    urls = ["/api/", "/api/cloud", "/api/querySvc", "/api/logonSessions"]
    collections = ["/api/backupServers", "/api/cloud/tenants", "/api/cloud/replicas", "/api/cloud/vmReplicaPoints"]
    items = [f"/api/backupServers/{i}" for i in world.backup_servers]
    items += [f"/api/cloud/tenants/{i}" for i in world.tenants]
    items += [f"/api/cloud/replicas/{i}" for i in world.replicas]
    collections += [f"/api/cloud/replicas/{i}/vmReplicaPoints" for i in world.replicas]
    items += [f"/api/cloud/vmReplicaPoints/{i}" for i in list(world.points)[:12]]
    for url in collections + items:
        urls += [url, url + "?format=Entity"]
    return urls


# every family the query service of the default release answers for (the worlds here are served so)
QUERY_TYPES = tuple(t.name for t in served_types(registry.kind_names(DEFAULT_RELEASE)))


def query_urls() -> list[str]:
    """Queries of every type, in both forms, a middle page (all paging links) and an empty one."""
    urls = []
    for type_name in QUERY_TYPES:
        urls += [f"/api/query?type={type_name}", f"/api/query?type={type_name}&format=Entities"]
    urls += [
        "/api/query?type=CloudVmReplicaPoint&pageSize=2&page=2&sortAsc=Name",
        "/api/query?type=CloudVmReplicaPoint&format=Entities&pageSize=2&page=2&v=latest",
        "/api/query?type=CloudVmReplicaPoint&filter=VmName==nobody",
        "/api/query?type=CloudVmReplicaPoint&format=Entities&filter=VmName==nobody",
    ]
    return urls


def _make(**settings: Any) -> Iterator[EmClient]:
    client = make_client(Settings(**settings))
    yield client
    client.close()


@pytest.fixture(scope="module")
def seed() -> Iterator[EmClient]:
    """One checked client over the seed world for the whole module (the tests only read)."""
    yield from _make(fixture=str(SEED_FIXTURE), user=USERS)


@pytest.fixture(scope="module", params=["seed", "generated"])
def world_client(request: pytest.FixtureRequest) -> Iterator[EmClient]:
    """A client over the seed world, and one over a small generated world."""
    if request.param == "seed":
        yield from _make(fixture=str(SEED_FIXTURE), user=USERS)
    else:
        yield from _make(seed=7, tenants=3, replicas_per_tenant=1, vms_per_replica=2, points_per_vm=3, user=USERS)


@pytest.fixture
def lenient_client() -> Iterator[EmClient]:
    """A client over the seed world that returns server errors as responses instead of raising them."""
    settings = Settings(fixture=str(SEED_FIXTURE))
    em = build_em(settings, Clock(START, frozen=True))
    client = EmClient(create_app(em, settings), base_url=BASE, raise_server_exceptions=False)
    client.em = em
    logging.getLogger("mock_em").disabled = True
    yield client
    logging.getLogger("mock_em").disabled = False
    client.close()


# -- the converter itself --------------------------------------------------------------------------


def test_converter_follows_the_json_rules() -> None:
    """The converter applies §7 to a hand-written document, so a product mistake cannot hide in it."""
    xml = etree.fromstring(
        b'<CloudTenant xmlns="http://www.veeam.com/ent/v1.0" Href="h?format=Entity" Type="CloudTenant" '
        b'Name="N" UID="urn:veeam:CloudTenant:1"><Links><Link Rel="Up" Type="T" Href="u" Name="n"/>'
        b'<Link Rel="Delete" Href="d"/></Links><Password/><Enabled>true</Enabled>'
        b'<LeaseOptions Enabled="false"/><Resources/><VmCount>3</VmCount></CloudTenant>'
    )
    expected = expected_json(xml)
    assert json.dumps(expected) == json.dumps(
        {
            "Password": "",
            "Description": None,
            "Enabled": True,
            "LeaseOptions": {"Enabled": False},
            "Resources": {"CloudTenantResources": []},
            "LastResult": None,
            "LastActive": None,
            "VmCount": 3,
            "ComputeResources": None,
            "ThrottlingEnabled": None,
            "ThrottlingSpeedLimit": None,
            "ThrottlingSpeedUnit": None,
            "PublicIpCount": None,
            "BackupCount": None,
            "ReplicaCount": None,
            "Name": "N",
            "UID": "urn:veeam:CloudTenant:1",
            "Links": [{"Rel": "Up", "Href": "u", "Name": "n", "Type": "T"}, {"Rel": "Delete", "Href": "d"}],
            "Href": "h?format=Entity",
            "Type": "CloudTenant",
        }
    )


@pytest.mark.parametrize(
    "mutate",
    [
        lambda d: d.update(VmCount="3"),  # a number as a string
        lambda d: d.update(Enabled="true"),  # a boolean as a string
        lambda d: d["Links"].reverse(),  # links out of order
        lambda d: d.pop("Description"),  # a null left out
        lambda d: d.update(Extra=1),  # a property the XML lacks
        lambda d: d["Links"][0].update(Rel="Down"),  # a changed value
    ],
)
def test_comparer_notices_a_difference(mutate: Callable[[dict[str, Any]], Any]) -> None:
    """`assert_same` fails on any change of value, type, order or presence."""
    xml = etree.fromstring(
        b'<CloudTenant xmlns="http://www.veeam.com/ent/v1.0" Href="h" Type="CloudTenant" Name="N" UID="U">'
        b'<Links><Link Rel="Up" Href="u"/><Link Rel="Alternate" Href="a"/></Links><Enabled>true</Enabled>'
        b"<VmCount>3</VmCount></CloudTenant>"
    )
    actual = json.loads(json.dumps(expected_json(xml)))
    assert_same(actual, expected_json(xml))
    mutate(actual)
    with pytest.raises(AssertionError):
        assert_same(actual, expected_json(xml))


def test_key_order_differences_are_noticed() -> None:
    """The same properties in another order are a difference."""
    with pytest.raises(AssertionError, match="keys"):
        assert_same({"Href": "h", "Rel": "Up"}, {"Rel": "Up", "Href": "h"})


# -- every resource ----------------------------------------------------------------------------


def test_every_resource_agrees(world_client: EmClient) -> None:
    """Root, sessions, /cloud, the query service, every collection and item in both forms."""
    token = world_client.logon()
    for url in resource_urls(world_client):
        compare(world_client, token, url)


@pytest.mark.parametrize("url", query_urls())
def test_every_query_result_agrees(world_client: EmClient, url: str) -> None:
    """QueryResult with Refs and with Entities, PagingInfo with all its links, empty results."""
    compare(world_client, world_client.logon(), url)


def test_logon_session_from_logon_agrees_in_json(seed: EmClient) -> None:
    """The LogonSession a JSON logon returns is the XML of the same session."""
    response = seed.post("/api/sessionMngr/?v=latest", auth=("Administrator", "P@ssw0rd"), headers=JSON)
    assert response.status_code == 201
    session = response.json()
    token = response.headers["X-RestSvcSessionId"]
    assert list(session) == ["UserName", "SessionId", "Links", "Href", "Type"]
    xml, _ = both(seed, token, f"/api/logonSessions/{session['SessionId']}")
    assert_agree(xml, response)


def test_logon_session_from_xml_logon_agrees(seed: EmClient) -> None:
    """The XML LogonSession of a logon is the JSON of the same session."""
    response = seed.post("/api/sessionMngr/?v=latest", auth=("Administrator", "P@ssw0rd"))
    assert response.status_code == 201
    root = parse(response)
    session_id = root.findtext("{http://www.veeam.com/ent/v1.0}SessionId")
    token = response.headers["X-RestSvcSessionId"]
    _, js = both(seed, token, f"/api/logonSessions/{session_id}")
    assert_agree(response, js)


def test_restore_operator_resources_agree(world_client: EmClient) -> None:
    """A Restore Operator's documents (no backup server links) agree too."""
    token = world_client.logon(*RESTORE_OPERATOR)
    for url in ["/api/cloud", "/api/querySvc", "/api/logonSessions", "/api/cloud/vmReplicaPoints?format=Entity"]:
        compare(world_client, token, url)


def test_tenant_resources_agree(world_client: EmClient) -> None:
    """A tenant's LogonSession (typed Delete link), /cloud, replicas and points agree."""
    tenant = next(iter(world_client.em.world.tenants.values()))
    spec = {"TenantCredentials": {"Username": tenant.username, "Password": tenant.password}}
    logon = world_client.post("/api/sessionMngr/?v=latest", json=spec, headers=JSON)
    assert logon.status_code == 201, logon.text
    token = logon.headers["X-RestSvcSessionId"]
    xml, _ = both(world_client, token, f"/api/logonSessions/{logon.json()['SessionId']}")
    assert_agree(xml, logon)
    for url in ["/api/cloud", "/api/cloud/replicas", "/api/cloud/replicas?format=Entity", "/api/cloud/vmReplicaPoints"]:
        compare(world_client, token, url)


# -- explicit shapes (§7), independent of the converter -----------------------------------------


def test_reference_list_shape(seed: EmClient) -> None:
    """`{"Refs": [...]}` of EntityRefs ordered Links, UID, Name, Href, Type; links Rel, Href, Name, Type."""
    response = seed.get_as(seed.logon(), "/api/cloud/vmReplicaPoints", headers=JSON)
    data = response.json()
    assert list(data) == ["Refs"]
    assert len(data["Refs"]) == 6
    for ref in data["Refs"]:
        assert list(ref) == ["Links", "UID", "Name", "Href", "Type"]
        assert ref["Type"] == "CloudVmReplicaPointReference"
        assert [list(link) for link in ref["Links"]] == [["Rel", "Href", "Name", "Type"]] * 3


def test_entity_shape(seed: EmClient) -> None:
    """An entity: own fields (elements, then attributes), then Name, UID, Links, Href, Type."""
    point = "93081441-6e3c-4584-b47a-08dc1ce24f84"
    response = seed.get_as(seed.logon(), f"/api/cloud/vmReplicaPoints/{point}?format=Entity", headers=JSON)
    data = response.json()
    assert list(data) == [
        "CreationTimeUTC",
        "VmName",
        "PointType",
        "State",
        "VmDisplayName",
        "Name",
        "UID",
        "Links",
        "Href",
        "Type",
    ]
    assert data["CreationTimeUTC"] == "2015-12-25T20:00:47Z"
    assert data["Name"] == "srv39@2015-12-25 20:00:47"
    assert data["Type"] == "CloudVmReplicaPoint"


@pytest.mark.parametrize(
    ("url", "key"),
    [
        ("/api/cloud/tenants?format=Entity", "CloudTenants"),
        ("/api/cloud/replicas?format=Entity", "CloudReplicas"),
        ("/api/cloud/vmReplicaPoints?format=Entity", "CloudVmReplicaPoints"),
        ("/api/backupServers?format=Entity", "BackupServers"),
        ("/api/logonSessions", "LogonSessions"),
    ],
)
def test_entity_list_shape(seed: EmClient, url: str, key: str) -> None:
    """Entity lists are `{"<Plural>": [...]}`."""
    data = seed.get_as(seed.logon(), url, headers=JSON).json()
    assert list(data) == [key]
    assert isinstance(data[key], list) and data[key]


def test_tenant_entity_types(seed: EmClient) -> None:
    """Numbers and booleans are native JSON; the password is an empty string."""
    data = seed.get_as(seed.logon(), "/api/cloud/tenants?format=Entity", headers=JSON).json()
    tenant = data["CloudTenants"][0]
    assert tenant["Password"] == ""
    assert tenant["Enabled"] is True
    assert tenant["LeaseOptions"] == {"Enabled": False}
    assert tenant["VmCount"] == 1 and tenant["ThrottlingSpeedLimit"] == 1
    assert tenant["Resources"] == {"CloudTenantResources": []}


def test_query_result_refs_shape(seed: EmClient) -> None:
    """`{"Refs":{"Refs":[…]},"PagingInfo":{"Links":[…],"PageNum":1,"PageSize":100,"PagesCount":1}}`."""
    data = seed.get_as(seed.logon(), "/api/query?type=CloudVmReplicaPoint", headers=JSON).json()
    assert list(data) == ["Refs", "PagingInfo"]
    assert list(data["Refs"]) == ["Refs"] and len(data["Refs"]["Refs"]) == 6
    paging = data["PagingInfo"]
    assert list(paging) == ["Links", "PageNum", "PageSize", "PagesCount"]
    assert (paging["PageNum"], paging["PageSize"], paging["PagesCount"]) == (1, 100, 1)
    assert [link["Rel"] for link in paging["Links"]] == ["First", "Last"]
    assert all(list(link) == ["Rel", "Href"] for link in paging["Links"])


def test_query_result_entities_shape(seed: EmClient) -> None:
    """`{"Entities":{"CloudVmReplicaPoints":{"CloudVmReplicaPoints":[…]}},"PagingInfo":…}`."""
    url = "/api/query?type=CloudVmReplicaPoint&format=Entities"
    data = seed.get_as(seed.logon(), url, headers=JSON).json()
    assert list(data) == ["Entities", "PagingInfo"]
    assert list(data["Entities"]) == ["CloudVmReplicaPoints"]
    assert list(data["Entities"]["CloudVmReplicaPoints"]) == ["CloudVmReplicaPoints"]
    points = data["Entities"]["CloudVmReplicaPoints"]["CloudVmReplicaPoints"]
    assert len(points) == 6 and all(p["Type"] == "CloudVmReplicaPoint" for p in points)
    assert (data["PagingInfo"]["PageNum"], data["PagingInfo"]["PageSize"]) == (1, 100)


def test_replica_entities_query_shape(seed: EmClient) -> None:
    """A CloudReplica query's entities are `{"Entities":{"CloudReplicas":{"CloudReplicas":[…]}}}`."""
    url = "/api/query?type=CloudReplica&format=Entities"
    data = seed.get_as(seed.logon(), url, headers=JSON).json()
    replicas = data["Entities"]["CloudReplicas"]["CloudReplicas"]
    assert [list(r) for r in replicas] == [["Platform", "Name", "UID", "Links", "Href", "Type"]] * 2


# -- errors ----------------------------------------------------------------------------------------

ERROR_KEYS = ["FirstChanceExceptionMessage", "StackTrace", "Message", "StatusCode", "Status"]


@pytest.mark.parametrize(
    ("method", "url", "authenticated", "status", "status_name"),
    [
        ("GET", "/api/cloud", False, 401, "Unauthorized"),
        ("GET", f"/api/cloud/vmReplicaPoints/{UNKNOWN_GUID}", True, 404, "NotFound"),
        ("GET", "/api/no/such/thing", True, 404, "NotFound"),
        ("GET", "/api/query?type=CloudVmReplicaPoint&filter=Foo==1", True, 400, "BadRequest"),
        ("GET", "/api/query?type=Nothing", True, 400, "BadRequest"),
        ("POST", "/api/cloud", True, 405, "MethodNotAllowed"),
        ("DELETE", "/api/cloud/replicas", True, 405, "MethodNotAllowed"),
    ],
)
def test_error_shapes(
    seed: EmClient, method: str, url: str, authenticated: bool, status: int, status_name: str
) -> None:
    """Error JSON is exactly FirstChanceExceptionMessage, StackTrace, Message, StatusCode, Status."""
    token = seed.logon() if authenticated else None
    data = compare(seed, token, url, status, method)
    assert list(data) == ERROR_KEYS
    assert data["FirstChanceExceptionMessage"] is None and data["StackTrace"] is None
    assert data["StatusCode"] == status and data["Status"] == status_name
    assert isinstance(data["Message"], str) and data["Message"]


def test_forbidden_error_shape(seed: EmClient) -> None:
    """403 for a role that may not read backup servers, in both notations."""
    data = compare(seed, seed.logon(*RESTORE_OPERATOR), "/api/backupServers", 403)
    assert list(data) == ERROR_KEYS
    assert (data["StatusCode"], data["Status"]) == (403, "Forbidden")


def test_bad_logon_error_shape(seed: EmClient) -> None:
    """A failed logon answers 401 with a Veeam Error in the notation asked for."""
    xml = seed.post("/api/sessionMngr/?v=latest", auth=("Administrator", "wrong"))
    js = seed.post("/api/sessionMngr/?v=latest", auth=("Administrator", "wrong"), headers=JSON)
    assert xml.status_code == 401
    assert xml.headers["www-authenticate"] == "Basic Realm=RestSvc"
    data = assert_agree(xml, js)
    assert list(data) == ERROR_KEYS and data["Status"] == "Unauthorized"


# -- content negotiation and logon variants ------------------------------------------------------


@pytest.mark.parametrize(
    ("accept", "is_json"),
    [
        ("application/json", True),
        ("text/html, application/json;q=0.9", True),
        ("application/xml, application/json", True),
        ("APPLICATION/JSON", True),
        ("application/json; charset=utf-8", True),
        ("*/*", False),
        ("application/xml", False),
        ("text/xml", False),
        (None, False),
    ],
)
def test_content_negotiation(seed: EmClient, accept: str | None, is_json: bool) -> None:
    """`application/json` anywhere in Accept → JSON; otherwise XML (also for errors)."""
    token = seed.logon()
    headers = {"X-RestSvcSessionId": token}
    if accept is not None:
        headers["Accept"] = accept
    seed.cookies.clear()
    for url, status in (("/api/cloud/replicas", 200), (f"/api/cloud/replicas/{UNKNOWN_GUID}", 404)):
        response = seed.get(url, headers=headers)
        assert response.status_code == status
        if is_json:
            assert response.headers["content-type"] == "application/json; charset=utf-8"
            assert isinstance(response.json(), dict)
        else:
            assert response.headers["content-type"] == "application/xml; charset=utf-8"
            assert response.content.startswith(b'<?xml version="1.0" encoding="utf-8"?>')


def test_missing_accept_header_gives_xml(seed: EmClient) -> None:
    """A request without any Accept header gets XML."""
    token = seed.logon()
    request = seed.build_request("GET", "/api/cloud", headers={"X-RestSvcSessionId": token})
    del request.headers["accept"]
    seed.cookies.clear()
    response = seed.send(request)
    assert response.status_code == 200
    assert response.headers["content-type"] == "application/xml; charset=utf-8"


@pytest.mark.parametrize(
    "url",
    [
        "/api/sessionMngr/?v=latest",
        "/api/sessionMngr/?v=v1_4",
        "/api/sessionMngr/",
        "/api/sessionMngr",
        f"{API}/sessionMngr/?v=v1_2",
    ],
)
def test_logon_with_json_content_type_and_empty_body(seed: EmClient, url: str) -> None:
    """Clients send `Content-Type: application/json` with no body, `?v=v1_4` or no `?v`: all log on."""
    headers = {"Content-Type": "application/json", **JSON}
    response = seed.post(url, auth=("Administrator", "P@ssw0rd"), headers=headers, content=b"")
    assert response.status_code == 201, response.text
    data = response.json()
    assert list(data) == ["UserName", "SessionId", "Links", "Href", "Type"]
    assert data["UserName"] == "EM01\\Administrator"
    assert data["Type"] == "LogonSession"
    assert response.headers["Location"] == data["Href"]
    assert all(h.startswith(f"{BASE}/api") for h in hrefs_of(data))


# -- control characters echoed into Error messages -------------------------------------------------


def test_unknown_path_with_control_character_is_a_404(lenient_client: EmClient) -> None:
    """`/api/nope%01` is not found; the Error must still be well-formed XML."""
    token = lenient_client.logon()
    response = lenient_client.get_as(token, "/api/nope%01")
    assert response.status_code == 404, response.text


def test_unknown_id_with_control_character_is_a_404(lenient_client: EmClient) -> None:
    """`/api/cloud/replicas/%01` is not found."""
    token = lenient_client.logon()
    response = lenient_client.get_as(token, "/api/cloud/replicas/%01")
    assert response.status_code == 404, response.text


def test_bad_format_with_control_character_is_a_400(lenient_client: EmClient) -> None:
    """`/api/cloud/replicas?format=%01` is a bad request."""
    token = lenient_client.logon()
    response = lenient_client.get_as(token, "/api/cloud/replicas?format=%01")
    assert response.status_code == 400, response.text


def test_bad_version_with_control_character_is_a_400(lenient_client: EmClient) -> None:
    """`POST /api/sessionMngr/?v=%01` is a bad request."""
    response = lenient_client.post("/api/sessionMngr/?v=%01", auth=("Administrator", "P@ssw0rd"))
    assert response.status_code == 400, response.text
