"""The routes of a tenant's nested resources (`mock_em.resources.tenant`): each kind's list under
`/api/cloud/tenants/{id}/<segment>` and its items at `/{itemId}`.

Who may read them is the access policy's answer on their own kind (a Restore Operator: 403); the
tenant must be one the caller may see (another tenant's id: 404, as for any of its objects). A
tenant's own logon reads its own here although it may not read `/cloud/tenants` itself.
"""

from __future__ import annotations

from uuid import UUID

from fastapi import APIRouter

from mock_em.api.context import Ask, Body, get
from mock_em.api.request import parse_id
from mock_em.model.access import Access, NotFound
from mock_em.model.entities import CloudTenant
from mock_em.model.world import World
from mock_em.resources import NESTED
from mock_em.resources.backup_servers import server_up
from mock_em.resources.cloud_tenants import KIND as TENANT
from mock_em.resources.tenant.nested import PARENT_PATH, Nested, node
from mock_em.wire.cache import Doc, Whole
from mock_em.wire.links import Hrefs, Link
from mock_em.wire.template import TEMPLATES

router = APIRouter()


def tenant_of(world: World, access: Access, tenant_id: UUID) -> CloudTenant:
    """The tenant whose resources are asked for: NotFound for an unknown id or another tenant."""
    tenant = world.tenants.get(tenant_id)
    if tenant is None or (access.tenant_id is not None and access.tenant_id != tenant_id):
        raise NotFound(f"{TENANT.what} {tenant_id} was not found")
    return tenant


def item_links(h: Hrefs, world: World, tenant: CloudTenant, access: Access) -> list[Link]:
    """Up to the tenant (for callers who may read tenants) and to its backup server."""
    found = []
    if access.reads(TENANT):
        found.append(Link("Up", "CloudTenantReference", h.item(PARENT_PATH, tenant.id), tenant.name))
    return found + server_up(h, world, tenant.backup_server_id, access)


def _list(nested: Nested) -> Body:
    def body(ask: Ask, object_id: str) -> Doc:
        world, access = ask.em.world, ask.who.access
        access.require(nested.kind)
        tenant = tenant_of(world, access, parse_id(object_id, TENANT.what))
        links = item_links(ask.h, world, tenant, access)
        mine = [o for o in world.all(nested.name).values() if o.tenant_id == tenant.id]
        return Whole(
            TEMPLATES.node(nested.list_name, Items=[node(ask.h, nested, world, o, access, links) for o in mine])
        )

    body.__doc__ = f"A tenant's {nested.kind.plural} ({nested.list_name})."
    return body


def _item(nested: Nested) -> Body:
    def body(ask: Ask, object_id: str, item_id: str) -> Doc:
        world, access = ask.em.world, ask.who.access
        access.require(nested.kind)
        tenant = tenant_of(world, access, parse_id(object_id, TENANT.what))
        wanted = parse_id(item_id, nested.kind.what)
        found = world.all(nested.name).get(wanted)
        if found is None or found.tenant_id != tenant.id:
            raise NotFound(f"{nested.kind.what} {wanted} was not found")
        return Whole(node(ask.h, nested, world, found, access, item_links(ask.h, world, tenant, access)))

    body.__doc__ = f"One of a tenant's {nested.kind.plural} ({nested.name})."
    return body


for _nested in NESTED:
    for _make, _path, _shape in ((_list, _nested.list_path, "list"), (_item, _nested.item_path, "item")):
        _body = _make(_nested)
        _body.__name__ = f"{_nested.name}_{_shape}"
        get(router, "/api" + _path.replace("{id}", "{object_id}"))(_body)
