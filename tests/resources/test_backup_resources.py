"""A tenant's backup resources (`mock_em/resources/tenant/backup_resources.py`) as the wire shows
them: in the tenant's entity, at `/cloud/tenants/{id}/resources` and `/{resourceId}`, in XML and
JSON alike, to the roles and tenants that may read them."""

from __future__ import annotations

import json
from collections.abc import Iterator

import pytest
from conftest import EmClient, make_client
from xmlutil import API, UNKNOWN_GUID, Link, assert_error, body, children, links, logon, text

from mock_em.model.entities import Role
from mock_em.model.usage import tenant_resources
from mock_em.resources.tenant.backup_resources import KIND
from mock_em.settings import Settings
from resources.family_checks import JSON, ROLE_LOGONS, USERS, tenant_token


@pytest.fixture(scope="module")
def roles() -> Iterator[EmClient]:
    """A generated world with one account of each role."""
    client = make_client(Settings(user=USERS, tenants=4))
    yield client
    client.close()


def quota_fields(resource_element) -> dict[str, str | None]:  # type: ignore[no-untyped-def]
    """A `<CloudTenantResource>`'s `Id` and its `RepositoryQuota`'s fields."""
    quota = children(resource_element, "RepositoryQuota")[0]
    wan = children(quota, "WanAcceleratorUid")  # left out where the quota has no WAN accelerator
    fields = {name: text(quota, name) for name in ("DisplayName", "RepositoryUid")}
    fields["WanAcceleratorUid"] = wan[0].text if wan else None
    fields |= {name: text(quota, name) for name in ("Quota", "UsedQuota")}
    return {"Id": resource_element.get("Id"), **fields}


def expected(resource) -> dict[str, str | None]:  # type: ignore[no-untyped-def]
    """What the wire must show of a model resource."""
    wan = resource.wan_accelerator_id
    return {
        "Id": str(resource.id),
        "DisplayName": resource.repository_name,
        "RepositoryUid": f"urn:veeam:Repository:{resource.repository_id}",
        "WanAcceleratorUid": None if wan is None else f"urn:veeam:WanAccelerator:{wan}",
        "Quota": str(resource.quota_mb),
        "UsedQuota": str(resource.used_quota_mb),
    }


def test_every_tenant_entity_holds_its_resources(roles: EmClient) -> None:
    """Each tenant's entity lists one `CloudTenantResource` per repository quota, with positive
    quotas, and links Down to the list; the list and each item show the same fields."""
    world = roles.em.world
    token, _ = logon(roles)
    for tenant in world.tenants.values():
        mine = tenant_resources(world, tenant.id)
        assert mine and all(r.quota_mb > 0 for r in mine)
        entity = body(roles.get_as(token, f"/api/cloud/tenants/{tenant.id}?format=Entity"), 200, "CloudTenant")
        listed = f"{API}/cloud/tenants/{tenant.id}/resources"
        assert Link("Down", "CloudTenantResourceList", listed) in links(entity)
        nested = children(children(entity, "Resources")[0], "CloudTenantResource")
        assert [quota_fields(e) for e in nested] == [expected(r) for r in mine]
        assert all(e.get("Href") == f"{listed}/{e.get('Id')}" and not children(e, "Links") for e in nested)
        in_list = children(body(roles.get_as(token, listed), 200, "CloudTenantResources"), "CloudTenantResource")
        assert [quota_fields(e) for e in in_list] == [expected(r) for r in mine]
        server = world.backup_servers[tenant.backup_server_id]
        for resource in mine:
            item = body(roles.get_as(token, f"{listed}/{resource.id}"), 200, "CloudTenantResource")
            assert item.get("Href") == f"{listed}/{resource.id}" and item.get("Type") == "CloudTenantResource"
            assert quota_fields(item) == expected(resource)
            assert links(item) == [
                Link("Up", "CloudTenantReference", f"{API}/cloud/tenants/{tenant.id}", tenant.name),
                Link("Up", "BackupServerReference", f"{API}/backupServers/{server.id}", server.name),
            ]


def test_json_carries_the_same_fields(roles: EmClient) -> None:
    """The JSON notation of the list, an item and the tenant's entity hold the XML's values."""
    world = roles.em.world
    token, _ = logon(roles)
    tenant = next(iter(world.tenants.values()))
    resource = tenant_resources(world, tenant.id)[0]
    want = expected(resource)
    listed = roles.get_as(token, f"/api/cloud/tenants/{tenant.id}/resources", headers=JSON).json()
    item = roles.get_as(token, f"/api/cloud/tenants/{tenant.id}/resources/{resource.id}", headers=JSON).json()
    entity = roles.get_as(token, f"/api/cloud/tenants/{tenant.id}?format=Entity", headers=JSON).json()
    for shown in (listed["CloudTenantResources"][0], item, entity["Resources"]["CloudTenantResources"][0]):
        quota = shown["RepositoryQuota"]
        assert shown["Id"] == want["Id"] and shown["Type"] == "CloudTenantResource"
        assert quota["DisplayName"] == want["DisplayName"] and quota["RepositoryUid"] == want["RepositoryUid"]
        assert quota["WanAcceleratorUid"] == want["WanAcceleratorUid"]
        assert (quota["Quota"], quota["UsedQuota"]) == (resource.quota_mb, resource.used_quota_mb)
    assert entity["Resources"]["CloudTenantResources"][0]["Links"] is None
    assert [li["Rel"] for li in item["Links"]] == ["Up", "Up"]


def test_roles_as_em_enforces_them(roles: EmClient) -> None:
    """Portal administrators and users read every tenant's resources; a Restore Operator gets a
    403 Veeam Error (and no Down link is offered to those who may not follow it)."""
    world = roles.em.world
    tenant = next(iter(world.tenants.values()))
    resource = tenant_resources(world, tenant.id)[0]
    urls = (f"/api/cloud/tenants/{tenant.id}/resources", f"/api/cloud/tenants/{tenant.id}/resources/{resource.id}")
    for role, (user, password) in ROLE_LOGONS.items():
        token, _ = logon(roles, user, password)
        for url in urls:
            if role is Role.RestoreOperator:
                assert assert_error(roles.get_as(token, url), 403, "Forbidden").get("Message") == KIND.denied
                assert roles.get_as(token, url, headers=JSON).json()["StatusCode"] == 403
            else:
                assert roles.get_as(token, url).status_code == 200, (role, url)


def test_tenants_see_their_own_and_nobody_elses(roles: EmClient) -> None:
    """A tenant's logon reads its own resources; another tenant's list, item, or its own item
    under another tenant's path are not found (404), never forbidden."""
    world = roles.em.world
    tenants = list(world.tenants.values())
    for tenant, other in zip(tenants, tenants[1:] + tenants[:1], strict=True):
        token = tenant_token(roles, tenant.username, tenant.password)
        own = tenant_resources(world, tenant.id)
        shown = children(
            body(roles.get_as(token, f"/api/cloud/tenants/{tenant.id}/resources"), 200, "CloudTenantResources"),
            "CloudTenantResource",
        )
        assert [e.get("Id") for e in shown] == [str(r.id) for r in own]
        assert [li.Type for li in links(shown[0])] == []  # a tenant may not read tenants nor servers
        theirs = tenant_resources(world, other.id)[0]
        for url in (
            f"/api/cloud/tenants/{other.id}/resources",
            f"/api/cloud/tenants/{other.id}/resources/{theirs.id}",
            f"/api/cloud/tenants/{other.id}/resources/{own[0].id}",
        ):
            assert_error(roles.get_as(token, url), 404, "NotFound")


def test_unknown_ids_are_not_found(roles: EmClient) -> None:
    """An unknown tenant, an unknown resource, a resource of another tenant, or an id that is no
    GUID: 404 with a Veeam Error naming what was not found."""
    world = roles.em.world
    token, _ = logon(roles)
    first, second = list(world.tenants)[:2]
    resource = tenant_resources(world, second)[0]
    cases = {
        f"/api/cloud/tenants/{UNKNOWN_GUID}/resources": f"Cloud tenant {UNKNOWN_GUID} was not found",
        f"/api/cloud/tenants/{first}/resources/{UNKNOWN_GUID}": f"Cloud tenant resource {UNKNOWN_GUID} was not found",
        f"/api/cloud/tenants/{first}/resources/{resource.id}": f"Cloud tenant resource {resource.id} was not found",
        f"/api/cloud/tenants/{first}/resources/not-a-guid": "Cloud tenant resource not-a-guid was not found",
    }
    for url, message in cases.items():
        assert assert_error(roles.get_as(token, url), 404, "NotFound").get("Message") == message


def test_paths_match_in_any_case(roles: EmClient) -> None:
    """`/API/Cloud/Tenants/{id}/RESOURCES` is the same route; the ids are kept as sent."""
    token, _ = logon(roles)
    tenant = next(iter(roles.em.world.tenants))
    plain = roles.get_as(token, f"/api/cloud/tenants/{tenant}/resources")
    assert roles.get_as(token, f"/API/Cloud/Tenants/{tenant}/RESOURCES/").content == plain.content


def test_fixture_round_trip(roles: EmClient) -> None:
    """Every resource goes through the `CloudTenantResources` fixture section and comes back
    equal; a section whose quota is not positive is refused."""
    section = KIND.section
    assert section is not None
    objects = list(roles.em.world.all(KIND.name).values())
    dumped = json.loads(json.dumps([section.dump(o) for o in objects]))
    assert [section.load(d) for d in dumped] == objects
    with pytest.raises(ValueError, match="must be positive"):
        section.load({**dumped[0], "Quota": 0})
