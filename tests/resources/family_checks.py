"""What every family's own test checks, over the wire, given the family's declaration: its
collection in both forms and notations, its entity's fields, who may read it, and its fixture
section. A family's `test_<module>.py` calls these with what it expects of that family."""

from __future__ import annotations

import json
from typing import Any

from conftest import EmClient
from lxml import etree
from xmlutil import API, assert_error, body, child_names, children, links, local, logon

from mock_em.model.access import Access, belongs_to
from mock_em.model.entities import Role
from mock_em.resources.family import Family
from mock_em.wire.template import TEMPLATES

JSON = {"Accept": "application/json"}
# One account of each role a user can have; tenants log on with their own credentials.
USERS = ("Administrator:P@ssw0rd", "pu:pw:PortalUser", "ro:pw:RestoreOperator")
ROLE_LOGONS = {Role.PortalAdministrator: ("Administrator", "P@ssw0rd"), Role.PortalUser: ("pu", "pw")}
ROLE_LOGONS[Role.RestoreOperator] = ("ro", "pw")
_STANDARD_ATTRIBUTES = {"Href", "Type", "Name", "UID"}


def uid(family: Family, object_id: Any) -> str:
    """The `UID` of one of the family's objects."""
    return f"urn:veeam:{family.name}:{object_id}"


def tenant_token(client: EmClient, username: str, password: str) -> str:
    """Log a Cloud Connect tenant on with its LoginSpec; its token."""
    spec = json.dumps({"TenantCredentials": {"Username": username, "Password": password}})
    client.cookies.clear()
    response = client.post("/api/sessionMngr/?v=latest", content=spec, headers={"Content-Type": "application/json"})
    assert response.status_code == 201, response.text
    client.cookies.clear()
    return response.headers["X-RestSvcSessionId"]


def check_collection(client: EmClient, family: Family) -> None:
    """As an administrator, the collection lists every object of the world in store order: as
    `<Ref>`s of the family's reference type, as the family's entity list (its items as the
    `in_list` template names them, where the vendor's schema names them otherwise), and the same
    objects in JSON (`Refs`, `list_name`)."""
    token, _ = logon(client)
    expected = [uid(family, object_id) for object_id in client.em.world.all(family.name)]
    assert expected, f"the world has no {family.kind.plural}"
    path = f"/api{family.path}"
    refs = body(client.get_as(token, path), 200, "EntityReferences")
    assert [r.get("UID") for r in refs] == expected
    assert {r.get("Type") for r in refs} == {family.reference_type}
    assert [r.get("Href") for r in refs] == [f"{API}{family.path}/{u.rsplit(':', 1)[-1]}" for u in expected]
    entities = body(client.get_as(token, f"{path}?format=Entity"), 200, family.list_name)
    item = TEMPLATES[family.in_list or family.name].root_name  # the template names the list's items
    assert child_names(entities) == [item] * len(expected)
    assert [e.get("UID") for e in entities] == expected
    assert {e.get("Type") for e in entities} == {family.name}
    data = client.get_as(token, path, headers=JSON).json()
    assert [r["UID"] for r in data["Refs"]] == expected
    data = client.get_as(token, f"{path}?format=Entity", headers=JSON).json()
    assert [e["UID"] for e in data[family.list_name]] == expected


def entity_of(client: EmClient, family: Family, object_id: Any) -> etree._Element:
    """One object's entity, as an administrator; its Href, UID and Alternate link checked."""
    token, _ = logon(client)
    href = f"{API}{family.path}/{object_id}"
    entity = body(client.get_as(token, f"{href}?format=Entity"), 200, family.name)
    assert (entity.get("Href"), entity.get("UID"), entity.get("Type")) == (
        f"{href}?format=Entity",
        uid(family, object_id),
        family.name,
    )
    assert [li.Href for li in links(entity) if li.Rel == "Alternate"] == [href]
    return entity


def own_fields(entity: etree._Element) -> dict[str, str]:
    """An entity's own fields as the wire shows them: each child but `<Links>` by name (its text,
    '' when empty), each of a child's attributes as `Child.Attribute`, and the entity's attributes
    beyond Href, Type, Name and UID."""
    found = {k: str(v) for k, v in entity.attrib.items() if k not in _STANDARD_ATTRIBUTES}
    for child in entity:
        name = local(child)
        if name == "Links":
            continue
        found[name] = child.text or ""
        found.update({f"{name}.{k}": str(v) for k, v in child.attrib.items()})
    return found


def check_readers(client: EmClient, family: Family, forbidden: set[Role]) -> None:
    """Each user role gets the collection and an item (200), or a 403 Veeam Error for the roles
    in `forbidden`, in XML and JSON; the declaration agrees."""
    some_id = next(iter(client.em.world.all(family.name)))
    for role, (user, password) in ROLE_LOGONS.items():
        assert Access(role).reads(family.kind) == (role not in forbidden), role
        token, _ = logon(client, user, password)
        for url in (f"/api{family.path}", f"/api{family.path}/{some_id}?format=Entity"):
            if role in forbidden:
                error = assert_error(client.get_as(token, url), 403, "Forbidden")
                assert error.get("Message") == family.kind.denied
                assert client.get_as(token, url, headers=JSON).json()["Status"] == "Forbidden"
            else:
                assert client.get_as(token, url).status_code == 200, (role, url)


def check_tenants_see_their_own(client: EmClient, family: Family, readable: bool) -> dict[str, set[str]]:
    """Each tenant of the world: 403 on the collection where tenants may not read the family;
    otherwise exactly its own objects (by the foreign keys that lead to it), and another tenant's
    object is not found. The objects each tenant saw, by tenant name."""
    world = client.em.world
    seen: dict[str, set[str]] = {}
    for tenant in world.tenants.values():
        token = tenant_token(client, tenant.username, tenant.password)
        response = client.get_as(token, f"/api{family.path}")
        if not readable:
            assert_error(response, 403, "Forbidden")
            continue
        shown = {str(r.get("UID")) for r in body(response, 200, "EntityReferences")}
        objects = world.all(family.name).values()
        own = {uid(family, o.id) for o in objects if belongs_to(world, family.kind, o, tenant.id)}
        assert shown == own, tenant.name
        others = [o.id for o in objects if not belongs_to(world, family.kind, o, tenant.id)]
        for object_id in others[:2]:
            assert_error(client.get_as(token, f"/api{family.path}/{object_id}"), 404, "NotFound")
        seen[tenant.name] = shown
    return seen


def check_fixture_round_trip(client: EmClient, family: Family) -> None:
    """Every object of the world goes through its fixture section as JSON and comes back equal;
    the section's objects are those the collection lists."""
    section = family.kind.section
    assert section is not None, f"{family.name} has no fixture section"
    objects = list(client.em.world.all(family.name).values())
    dumped = json.loads(json.dumps([section.dump(o) for o in objects]))
    loaded = [section.load(d) for d in dumped]
    assert loaded == objects
    token, _ = logon(client)
    refs = children(body(client.get_as(token, f"/api{family.path}"), 200, "EntityReferences"), "Ref")
    assert [d["Id"] for d in dumped] == [str(r.get("UID")).rsplit(":", 1)[-1] for r in refs]


def check_path_case(client: EmClient, family: Family) -> None:
    """An item's path in upper case answers the same bytes as the vendor's spelling."""
    token, _ = logon(client)
    some = next(iter(client.em.world.all(family.name)))
    plain = client.get_as(token, f"/api{family.path}/{some}?format=Entity")
    assert plain.status_code == 200, plain.text
    assert client.get_as(token, f"/api{family.path.upper()}/{some}?format=Entity").content == plain.content


def query_uids(client: EmClient, token: str, family: Family, **params: str) -> list[str]:
    """The UIDs `GET /api/query?type=<family>&format=Entities` lists in JSON, in order."""
    query = {"type": family.name, "format": "Entities", **params}
    data = client.get_as(token, "/api/query", params=query, headers=JSON)
    assert data.status_code == 200, data.text
    return [e["UID"] for e in data.json()["Entities"][family.list_name][family.list_name]]


def check_provider_only(client: EmClient, family: Family) -> None:
    """Portal administrators and users read the family, Restore Operators and tenants get a 403
    (and no link), and its paths answer in any case."""
    check_readers(client, family, forbidden={Role.RestoreOperator})
    check_tenants_see_their_own(client, family, readable=False)
    check_path_case(client, family)
