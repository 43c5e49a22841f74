"""The routes of what a family's objects hold that is no entity (`Family.members`): an object's
list at `{item}/{segment}` and one member at `{item}/{segment}/{memberId}` (a cloud failover
plan's VMs, `/cloud/cloudFailoverPlans/{id}/includes[/{includeId}]`).

The object must be one the caller may see (the access policy's `find`: another tenant's plan is
not found, a role that may not read the family gets a 403); an unknown member id is a 404.
"""

from __future__ import annotations

from functools import cache

from fastapi import APIRouter

from mock_em import registry
from mock_em.api.context import Ask, Body, get
from mock_em.api.request import parse_id
from mock_em.model.access import NotFound, find
from mock_em.resources.family import Family, Members
from mock_em.wire.cache import Doc, Whole
from mock_em.wire.template import TEMPLATES


def _list(family: Family, members: Members) -> Body:
    def body(ask: Ask, object_id: str) -> Doc:
        obj = find(ask.em.world, family.kind, ask.who.access, parse_id(object_id, family.kind.what))
        items = [members.node(ask.h, obj, m, i) for i, m in enumerate(members.of(obj))]
        return Whole(TEMPLATES.node(members.list_name, Items=items))

    body.__doc__ = f"What one {family.kind.noun} holds ({members.list_name})."
    return body


def _item(family: Family, members: Members) -> Body:
    def body(ask: Ask, object_id: str, member_id: str) -> Doc:
        obj = find(ask.em.world, family.kind, ask.who.access, parse_id(object_id, family.kind.what))
        wanted = parse_id(member_id, members.what)
        for position, member in enumerate(members.of(obj)):
            if member.id == wanted:
                return Whole(members.node(ask.h, obj, member, position))
        raise NotFound(f"{members.what} {wanted} was not found")

    body.__doc__ = f"One of what a {family.kind.noun} holds ({members.name})."
    return body


@cache
def router_for(release: str) -> APIRouter:
    """The member routes of the families a release serves (one router per release)."""
    router = APIRouter()
    for family, list_path, item_path in registry.release_member_routes(release):
        assert family.members is not None
        for make, path, shape in ((_list, list_path, "list"), (_item, item_path, "item")):
            body = make(family, family.members)
            body.__name__ = f"{family.members.name}_{shape}"
            get(router, "/api" + path.replace("{id}", "{object_id}"))(body)
    return router
