"""Cloud Connect resources: `/api/cloud`, vmReplicaPoints, replicas, tenants (em-api.md §4, §5)."""

from __future__ import annotations

from uuid import UUID

import pytest
from conftest import EmClient
from lxml import etree
from xmlutil import (
    API,
    POINT_NAME,
    UNKNOWN_GUID,
    UTC_TIME,
    Link,
    assert_error,
    body,
    child_names,
    children,
    link,
    links,
    local,
    logon,
    text,
)

SERVER = "8fff3b8e-c3f1-4ef5-aecc-561f07bf9982"
SERVER_NAME = "172.17.53.48"
UCM = ("6b2b42d5-3850-421c-93c1-e063f12a2ead", "UCM Company CRM Replication")
ABC = ("8393c284-c953-403f-a9b9-cff63e0c6815", "ABC Company Servers Replication")
# The seed page's sample response, in its order: (point id, name, replica).
SEED_POINTS = [
    ("93081441-6e3c-4584-b47a-08dc1ce24f84", "srv39@2015-12-25 20:00:47", UCM),
    ("783781f0-4d83-4d09-ae82-12b5bed4710b", "srv40@2015-12-27 21:08:13", ABC),
    ("292e6d96-6b99-4776-bba2-2c030cd5824a", "srv38@2015-12-21 21:01:41", ABC),
    ("5ed13778-0191-4d9d-8105-33017348235d", "srv40@2015-12-22 21:05:43", ABC),
    ("574c07de-50eb-4117-88ec-5cd3403142dd", "srv38@2015-12-24 21:03:50", ABC),
    ("572167d1-c2f1-40b5-9ce9-6b277e507222", "srv39@2015-12-22 11:25:26", UCM),
]
TENANT_FIELDS = [
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
]
ENTITY_FORMATS = ["?format=Entity", "?format=entity", "?FORMAT=ENTITY", "?Format=Entities"]


def get(client: EmClient, url: str, root: str, status: int = 200) -> etree._Element:
    """GET with a fresh session and return the parsed root."""
    token, _ = logon(client)
    return body(client.get_as(token, url), status, root)


def ref_id(element: etree._Element) -> str:
    """The id at the end of a Ref's or entity's Href (query stripped)."""
    return (element.get("Href") or "").split("?", 1)[0].rsplit("/", 1)[-1]


def point_ref_links(point_id: str, name: str, replica: tuple[str, str]) -> list[Link]:
    """The three links of a seed point's reference."""
    return [
        Link("Up", "BackupServerReference", f"{API}/backupServers/{SERVER}", SERVER_NAME),
        Link("Up", "CloudReplicaReference", f"{API}/cloud/replicas/{replica[0]}", replica[1]),
        Link("Alternate", "CloudVmReplicaPoint", f"{API}/cloud/vmReplicaPoints/{point_id}?format=Entity", name),
    ]


# -- /api/cloud ------------------------------------------------------------------------------


@pytest.mark.parametrize("world", ["client", "seed_client"])
def test_cloud_service_links(world: str, request: pytest.FixtureRequest) -> None:
    """`/api/cloud` links Up to the caller's own session and Down to each collection in both forms."""
    client: EmClient = request.getfixturevalue(world)
    logon(client)  # someone else's session exists too
    token, sid = logon(client)
    root = body(client.get_as(token, "/api/cloud"), 200, "CloudConnectService")
    assert root.get("Href") == f"{API}/cloud"
    assert root.get("Type") == "CloudConnectService"
    found = links(root)
    assert found[0] == Link("Up", "LogonSession", f"{API}/logonSessions/{sid}")
    down = set(found[1:])
    for name, path in [
        ("CloudTenant", "tenants"),
        ("CloudVmReplicaPoint", "vmReplicaPoints"),
        ("CloudReplica", "replicas"),
    ]:
        assert Link("Down", f"{name}ReferenceList", f"{API}/cloud/{path}") in down
        assert Link("Down", f"{name}List", f"{API}/cloud/{path}?format=Entity") in down
    assert {li.Rel for li in found[1:]} == {"Down"}
    for li in found:
        assert li.Href is not None
        assert client.get_as(token, li.Href).status_code == 200, li


# -- /api/cloud/vmReplicaPoints --------------------------------------------------------------


def test_seed_points_reproduce_the_seed_page(seed_client: EmClient) -> None:
    """The seed world's point references are exactly the seed page's sample, in its order."""
    root = get(seed_client, "/api/cloud/vmReplicaPoints", "EntityReferences")
    refs = children(root, "Ref")
    assert len(refs) == len(SEED_POINTS)
    for ref, (point_id, name, replica) in zip(refs, SEED_POINTS, strict=True):
        assert dict(ref.attrib) == {
            "Type": "CloudVmReplicaPointReference",
            "Href": f"{API}/cloud/vmReplicaPoints/{point_id}",
            "Name": name,
            "UID": f"urn:veeam:CloudVmReplicaPoint:{point_id}",
        }
        assert links(ref) == point_ref_links(point_id, name, replica)


def test_generated_point_refs_shape(client: EmClient) -> None:
    """Every generated point reference has the vendor's Type, Href, UID, name form and three links."""
    root = get(client, "/api/cloud/vmReplicaPoints", "EntityReferences")
    refs = children(root, "Ref")
    assert len(refs) == len(client.em.world.points) > 0
    for ref in refs:
        point_id = ref_id(ref)
        assert str(UUID(point_id)) == point_id
        assert ref.get("Type") == "CloudVmReplicaPointReference"
        assert ref.get("Href") == f"{API}/cloud/vmReplicaPoints/{point_id}"
        assert ref.get("UID") == f"urn:veeam:CloudVmReplicaPoint:{point_id}"
        assert POINT_NAME.match(ref.get("Name") or ""), ref.get("Name")
        found = links(ref)
        assert [(li.Rel, li.Type) for li in found] == [
            ("Up", "BackupServerReference"),
            ("Up", "CloudReplicaReference"),
            ("Alternate", "CloudVmReplicaPoint"),
        ]
        assert found[2].Href == f"{API}/cloud/vmReplicaPoints/{point_id}?format=Entity"
        assert found[2].Name == ref.get("Name")


@pytest.mark.parametrize("fmt", ENTITY_FORMATS)
def test_points_entity_list(seed_client: EmClient, fmt: str) -> None:
    """The entity list is `<CloudVmReplicaPoints>` of `<CloudReplica Type="CloudVmReplicaPoint">`, any case."""
    root = get(seed_client, f"/api/cloud/vmReplicaPoints{fmt}", "CloudVmReplicaPoints")
    items = list(root)
    assert [local(i) for i in items] == ["CloudReplica"] * len(SEED_POINTS)
    for item, (point_id, name, replica) in zip(items, SEED_POINTS, strict=True):
        assert item.get("Type") == "CloudVmReplicaPoint"
        assert item.get("Href") == f"{API}/cloud/vmReplicaPoints/{point_id}?format=Entity"
        assert item.get("Name") == name
        assert item.get("VmDisplayName") == name.split("@")[0]
        assert child_names(item) == ["Links", "CreationTimeUTC", "VmName", "PointType", "State"]
        assert link(item, "Alternate", "CloudVmReplicaPointReference").Href == f"{API}/cloud/vmReplicaPoints/{point_id}"
        assert link(item, "Up", "CloudReplicaReference").Href == f"{API}/cloud/replicas/{replica[0]}"


def test_generated_points_entity_list_matches_refs(client: EmClient) -> None:
    """The generated world's entity list holds the same points, in the same order, as the references."""
    token, _ = logon(client)
    refs = children(body(client.get_as(token, "/api/cloud/vmReplicaPoints"), 200, "EntityReferences"), "Ref")
    entities = body(client.get_as(token, "/api/cloud/vmReplicaPoints?format=Entity"), 200, "CloudVmReplicaPoints")
    assert [ref_id(e) for e in entities] == [ref_id(r) for r in refs]
    for entity in entities:
        assert local(entity) == "CloudReplica"
        assert entity.get("Type") == "CloudVmReplicaPoint"
        assert UTC_TIME.match(text(entity, "CreationTimeUTC") or "")
        assert text(entity, "PointType") in {"Full", "ReverseIncrement", "Increment", "Snapshot"}
        assert text(entity, "State") in {"Unknown", "Ready", "Failover", "Failback", "PermanentFailover"}


def test_seed_point_both_forms(seed_client: EmClient) -> None:
    """One point: EntityRef in reference form, CloudVmReplicaPoint entity with the seed's fields; Alternates cross."""
    point_id, name, replica = SEED_POINTS[0]
    token, _ = logon(seed_client)
    ref = body(seed_client.get_as(token, f"/api/cloud/vmReplicaPoints/{point_id}"), 200, "EntityRef")
    assert dict(ref.attrib) == {
        "Type": "CloudVmReplicaPointReference",
        "Href": f"{API}/cloud/vmReplicaPoints/{point_id}",
        "Name": name,
        "UID": f"urn:veeam:CloudVmReplicaPoint:{point_id}",
    }
    assert links(ref) == point_ref_links(point_id, name, replica)
    entity_href = link(ref, "Alternate", "CloudVmReplicaPoint").Href
    assert entity_href is not None
    entity = body(seed_client.get_as(token, entity_href), 200, "CloudVmReplicaPoint")
    assert entity.get("Href") == entity_href
    assert entity.get("Type") == "CloudVmReplicaPoint"
    assert entity.get("Name") == name
    assert entity.get("UID") == f"urn:veeam:CloudVmReplicaPoint:{point_id}"
    assert entity.get("VmDisplayName") == "srv39"
    assert links(entity) == [
        Link("Up", "BackupServerReference", f"{API}/backupServers/{SERVER}", SERVER_NAME),
        Link("Up", "CloudReplicaReference", f"{API}/cloud/replicas/{replica[0]}", replica[1]),
        Link("Alternate", "CloudVmReplicaPointReference", ref.get("Href"), name),
    ]
    assert child_names(entity) == ["Links", "CreationTimeUTC", "VmName", "PointType", "State"]
    assert text(entity, "CreationTimeUTC") == "2015-12-25T20:00:47Z"
    assert text(entity, "VmName") == "srv39"
    assert text(entity, "PointType") == "Snapshot"
    assert text(entity, "State") == "Ready"


# -- format parameter ------------------------------------------------------------------------

COLLECTIONS = ["/api/cloud/vmReplicaPoints", "/api/cloud/replicas", "/api/cloud/tenants", "/api/backupServers"]


@pytest.mark.parametrize("path", COLLECTIONS)
@pytest.mark.parametrize("fmt", ["bogus", "Entit"])
def test_bogus_format_is_400(client: EmClient, path: str, fmt: str) -> None:
    """An unknown `format` value is a bad request on collections and items alike."""
    token, _ = logon(client)
    assert_error(client.get_as(token, f"{path}?format={fmt}"), 400, "BadRequest")
    item = children(body(client.get_as(token, path), 200, "EntityReferences"), "Ref")[0].get("Href")
    assert_error(client.get_as(token, f"{item}?format={fmt}"), 400, "BadRequest")


@pytest.mark.parametrize("path", COLLECTIONS)
def test_unknown_query_parameters_ignored(client: EmClient, path: str) -> None:
    """Stray parameters (`v=latest`, `JobType==Backup`) change nothing; `format` still works beside them."""
    token, _ = logon(client)
    plain = client.get_as(token, path)
    assert plain.status_code == 200
    stray = client.get_as(token, f"{path}?v=latest&JobType==Backup")
    assert stray.status_code == 200
    assert stray.content == plain.content
    entity = client.get_as(token, f"{path}?format=Entity")
    stray_entity = client.get_as(token, f"{path}?v=latest&format=Entity&JobType==Backup")
    assert stray_entity.content == entity.content
    assert local(body(entity)) != "EntityReferences"


# -- /api/cloud/replicas ---------------------------------------------------------------------


def test_seed_replicas_refs(seed_client: EmClient) -> None:
    """Replica references: Up server, Alternate entity, Down their points."""
    root = get(seed_client, "/api/cloud/replicas", "EntityReferences")
    refs = {ref_id(r): r for r in children(root, "Ref")}
    assert set(refs) == {UCM[0], ABC[0]}
    for replica_id, name in (UCM, ABC):
        ref = refs[replica_id]
        assert ref.get("Type") == "CloudReplicaReference"
        assert ref.get("Href") == f"{API}/cloud/replicas/{replica_id}"
        assert ref.get("Name") == name
        assert ref.get("UID") == f"urn:veeam:CloudReplica:{replica_id}"
        assert links(ref) == [
            Link("Up", "BackupServerReference", f"{API}/backupServers/{SERVER}", SERVER_NAME),
            Link("Alternate", "CloudReplica", f"{API}/cloud/replicas/{replica_id}?format=Entity", name),
            Link("Down", "CloudVmReplicaPointReferenceList", f"{API}/cloud/replicas/{replica_id}/vmReplicaPoints"),
        ]


def test_seed_replica_both_forms(seed_client: EmClient) -> None:
    """One replica as EntityRef and as CloudReplica entity with Platform; the Alternate links cross."""
    replica_id, name = ABC
    token, _ = logon(seed_client)
    ref = body(seed_client.get_as(token, f"/api/cloud/replicas/{replica_id}"), 200, "EntityRef")
    assert ref.get("Type") == "CloudReplicaReference"
    assert ref.get("Name") == name
    entity_href = link(ref, "Alternate", "CloudReplica").Href
    assert entity_href == f"{API}/cloud/replicas/{replica_id}?format=Entity"
    entity = body(seed_client.get_as(token, entity_href), 200, "CloudReplica")
    assert entity.get("Href") == entity_href
    assert entity.get("Type") == "CloudReplica"
    assert entity.get("UID") == f"urn:veeam:CloudReplica:{replica_id}"
    assert link(entity, "Alternate", "CloudReplicaReference").Href == ref.get("Href")
    assert link(entity, "Down", "CloudVmReplicaPointReferenceList").Href == f"{ref.get('Href')}/vmReplicaPoints"
    assert child_names(entity) == ["Links", "Platform"]
    assert text(entity, "Platform") in {"VMware", "HyperV", "vCloud"}


@pytest.mark.parametrize("fmt", ENTITY_FORMATS[:2])
def test_replicas_entity_list(seed_client: EmClient, fmt: str) -> None:
    """`?format=Entity` on replicas gives `<CloudReplicas>` of CloudReplica entities."""
    root = get(seed_client, f"/api/cloud/replicas{fmt}", "CloudReplicas")
    assert child_names(root) == ["CloudReplica", "CloudReplica"]
    assert {ref_id(r) for r in root} == {UCM[0], ABC[0]}
    assert {r.get("Type") for r in root} == {"CloudReplica"}


@pytest.mark.parametrize(("replica", "expected"), [(UCM, [0, 5]), (ABC, [1, 2, 3, 4])])
def test_seed_replica_points_only_that_replica(
    seed_client: EmClient, replica: tuple[str, str], expected: list[int]
) -> None:
    """`/replicas/{id}/vmReplicaPoints` lists that replica's points only; the 9.0 path answers the same."""
    token, _ = logon(seed_client)
    response = seed_client.get_as(token, f"/api/cloud/replicas/{replica[0]}/vmReplicaPoints")
    root = body(response, 200, "EntityReferences")
    assert [ref_id(r) for r in children(root, "Ref")] == [SEED_POINTS[i][0] for i in expected]
    old = seed_client.get_as(token, f"/api/cloud/vmReplicaPoints/{replica[0]}/vmReplicaPoints")
    assert old.status_code == 200
    assert old.content == response.content
    entities = body(
        seed_client.get_as(token, f"/api/cloud/replicas/{replica[0]}/vmReplicaPoints?format=Entity"),
        200,
        "CloudVmReplicaPoints",
    )
    assert [ref_id(e) for e in entities] == [SEED_POINTS[i][0] for i in expected]


def test_generated_replica_points_partition_all_points(client: EmClient) -> None:
    """In the generated world, each replica's point list is exactly its share of all points, in order."""
    token, _ = logon(client)
    all_refs = children(body(client.get_as(token, "/api/cloud/vmReplicaPoints"), 200, "EntityReferences"), "Ref")
    replicas = children(body(client.get_as(token, "/api/cloud/replicas"), 200, "EntityReferences"), "Ref")
    assert len(replicas) == len(client.em.world.replicas) > 1
    seen: list[str] = []
    for replica in replicas:
        down = link(replica, "Down", "CloudVmReplicaPointReferenceList").Href
        assert down is not None
        own = children(body(client.get_as(token, down), 200, "EntityReferences"), "Ref")
        assert own, down
        expected = [r for r in all_refs if link(r, "Up", "CloudReplicaReference").Href == replica.get("Href")]
        assert [ref_id(r) for r in own] == [ref_id(r) for r in expected]
        seen += [ref_id(r) for r in own]
    assert sorted(seen) == sorted(ref_id(r) for r in all_refs)


# -- /api/cloud/tenants ----------------------------------------------------------------------


@pytest.mark.parametrize("world", ["client", "seed_client"])
def test_tenant_refs_and_both_forms(world: str, request: pytest.FixtureRequest) -> None:
    """Tenant refs link Up server and Alternate entity; the entity has the schema's fields in order, empty Password."""
    client: EmClient = request.getfixturevalue(world)
    token, _ = logon(client)
    refs = children(body(client.get_as(token, "/api/cloud/tenants"), 200, "EntityReferences"), "Ref")
    assert len(refs) == len(client.em.world.tenants) > 0
    for ref in refs:
        tenant_id = ref_id(ref)
        href = f"{API}/cloud/tenants/{tenant_id}"
        assert ref.get("Type") == "CloudTenantReference"
        assert ref.get("Href") == href
        assert ref.get("UID") == f"urn:veeam:CloudTenant:{tenant_id}"
        assert [(li.Rel, li.Type) for li in links(ref)] == [
            ("Up", "BackupServerReference"),
            ("Alternate", "CloudTenant"),
        ]
        assert link(ref, "Alternate", "CloudTenant").Href == f"{href}?format=Entity"
        single = body(client.get_as(token, href), 200, "EntityRef")
        assert dict(single.attrib) == dict(ref.attrib)
        entity = body(client.get_as(token, f"{href}?format=Entity"), 200, "CloudTenant")
        assert entity.get("Href") == f"{href}?format=Entity"
        assert entity.get("Type") == "CloudTenant"
        assert entity.get("Name") == ref.get("Name")
        assert link(entity, "Alternate", "CloudTenantReference").Href == href
        fields = child_names(entity)
        assert fields[0] == "Links"
        assert fields[1:] == [f for f in TENANT_FIELDS if f in fields], fields
        assert set(TENANT_FIELDS) - set(fields) <= {"ComputeResources"}, fields
        assert text(entity, "Password") == ""
        assert text(entity, "Enabled") in {"true", "false"}
        assert int(text(entity, "VmCount") or "-1") >= 0
        lease = children(entity, "LeaseOptions")[0]
        assert lease.get("Enabled") in {"true", "false"}


def test_tenants_entity_list(client: EmClient) -> None:
    """`?format=Entity` on tenants gives `<CloudTenants>` in reference order; passwords never shown."""
    token, _ = logon(client)
    refs = children(body(client.get_as(token, "/api/cloud/tenants"), 200, "EntityReferences"), "Ref")
    root = body(client.get_as(token, "/api/cloud/tenants?format=Entity"), 200, "CloudTenants")
    assert child_names(root) == ["CloudTenant"] * len(refs)
    assert [ref_id(t) for t in root] == [ref_id(r) for r in refs]
    assert all(text(t, "Password") == "" for t in root)
    passwords = {t.password for t in client.em.world.tenants.values()}
    assert not any(p.encode() in etree.tostring(root) for p in passwords if p)


def test_tenant_count_follows_setting(em_client) -> None:
    """`tenants=2` gives exactly two tenants."""
    client = em_client(tenants=2)
    assert len(children(get(client, "/api/cloud/tenants", "EntityReferences"), "Ref")) == 2


# -- unknown ids -----------------------------------------------------------------------------

ITEM_ROUTES = [
    "/api/cloud/vmReplicaPoints/{id}",
    "/api/cloud/vmReplicaPoints/{id}?format=Entity",
    "/api/cloud/vmReplicaPoints/{id}/vmReplicaPoints",
    "/api/cloud/replicas/{id}",
    "/api/cloud/replicas/{id}?format=Entity",
    "/api/cloud/replicas/{id}/vmReplicaPoints",
    "/api/cloud/replicas/{id}/vmReplicaPoints?format=Entity",
    "/api/cloud/tenants/{id}",
    "/api/cloud/tenants/{id}?format=Entity",
    "/api/backupServers/{id}",
    "/api/backupServers/{id}?format=Entity",
]


@pytest.mark.parametrize("route", ITEM_ROUTES)
@pytest.mark.parametrize("unknown", [UNKNOWN_GUID, "not-a-guid", "42"])
def test_unknown_ids_are_404(client: EmClient, route: str, unknown: str) -> None:
    """An id that names nothing (or is no GUID) is a 404 Error on every item route."""
    token, _ = logon(client)
    assert_error(client.get_as(token, route.format(id=unknown)), 404, "NotFound")


@pytest.mark.parametrize(
    ("route", "wrong"),
    [
        ("/api/cloud/replicas/{id}", SEED_POINTS[0][0]),
        ("/api/cloud/replicas/{id}/vmReplicaPoints", SEED_POINTS[0][0]),
        ("/api/cloud/vmReplicaPoints/{id}/vmReplicaPoints", SEED_POINTS[0][0]),
        ("/api/cloud/vmReplicaPoints/{id}", UCM[0]),
        ("/api/cloud/tenants/{id}", SERVER),
        ("/api/backupServers/{id}", UCM[0]),
    ],
)
def test_id_of_another_kind_is_404(seed_client: EmClient, route: str, wrong: str) -> None:
    """An existing id of another resource kind is not found under this route."""
    token, _ = logon(seed_client)
    assert_error(seed_client.get_as(token, route.format(id=wrong)), 404, "NotFound")
