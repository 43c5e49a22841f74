"""The vendor GET routes of the resource families a release serves, made from the registry, and
the service documents that link them (`/api/cloud`, `/api/agents`).

One body per route shape (a collection, an item, an item's sub-collection), parametrised by the
family: FastAPI and the fast path both answer from these bodies (see `api.context.get`). What a
caller may see is the access policy's answer; how it looks is the wire layer's.
"""

from __future__ import annotations

from collections.abc import Sequence
from functools import cache
from typing import Any

from fastapi import APIRouter

from mock_em import registry
from mock_em.api.context import Ask, Body, get
from mock_em.api.request import parse_id
from mock_em.model.access import find, visible
from mock_em.registry import FamilyRoute
from mock_em.resources.family import Family
from mock_em.wire import documents as doc
from mock_em.wire.cache import Doc, Listing, Whole, content_key


def _service(name: str) -> Body:
    def body(ask: Ask) -> Doc:
        return Whole(doc.service(ask.h, name, ask.who.session.session_id, ask.who.access, ask.release))

    body.__doc__ = f"The {name}: links to the collections under it the caller may read."
    body.__name__ = name
    return body


def listing(ask: Ask, family: Family, items: Sequence[Any]) -> Listing:
    """A list of a family's objects in the asked form; where the family keeps fragments, each
    item's bytes are kept (the 10,000-point list is joined from kept items)."""
    h, world, access, fragments, release = ask.h, ask.em.world, ask.who.access, ask.fragments, ask.release
    key = content_key(family.kind, world, fragments) if family.fragments and fragments is not None else None
    # The release is part of each item's variant: a cache serves one app, hence one release, but
    # an item's bytes depend on it (`Family.since_fields`), so kept fragments never mix releases.
    if ask.entity:
        return Listing(
            lambda nodes: doc.entity_list(family.list_name, nodes),
            items,
            lambda o: doc.entity(h, family, world, o, access, release, in_list=True),
            (family.list_name, h.api, access, release),
            key,
        )
    return Listing(
        doc.references,
        items,
        lambda o: doc.reference(h, family, world, o, access, release),
        ("Refs", family.name, h.api, access, release),
        key,
    )


def _collection(family: Family) -> Body:
    def body(ask: Ask) -> Doc:
        return listing(ask, family, visible(ask.em.world, family.kind, ask.who.access))

    body.__doc__ = f"Every {family.kind.noun} the caller may see ({family.name})."
    return body


def _item(family: Family) -> Body:
    def body(ask: Ask, object_id: str) -> Doc:
        world, access = ask.em.world, ask.who.access
        found = find(world, family.kind, access, parse_id(object_id, family.kind.what))
        if ask.entity:
            return Whole(doc.entity(ask.h, family, world, found, access, ask.release))
        return Whole(doc.reference(ask.h, family, world, found, access, ask.release, root=True))

    body.__doc__ = f"One {family.kind.noun} ({family.name})."
    return body


def _sub(route: FamilyRoute) -> Body:
    family, listed, sub = route.family, route.listed, route.sub
    assert sub is not None

    def body(ask: Ask, object_id: str) -> Doc:
        world, access = ask.em.world, ask.who.access
        parent = find(world, family.kind, access, parse_id(object_id, family.kind.what))
        return listing(ask, listed, visible(world, listed.kind, access, sub.members(world, parent.id)))

    body.__doc__ = f"The {listed.kind.plural} of one {family.kind.noun}."
    return body


def register(router: APIRouter, route: FamilyRoute) -> None:
    """Serve one family route on `router`."""
    make = {"list": _collection, "item": _item}.get(route.shape)
    body = make(route.family) if make is not None else _sub(route)
    body.__name__ = f"{route.family.name}_{route.shape}" + (f"_{route.path.split('/')[-1]}" if route.sub else "")
    if route.sub is not None and route.path != f"{route.family.path}/{{id}}/{route.sub.segment}":
        body.__name__ += "_alias"
    get(router, "/api" + route.path.replace("{id}", "{object_id}"))(body)


@cache
def router_for(release: str) -> APIRouter:
    """The routes a release serves: its service documents, then its families' routes (one router
    per release, shared by the apps that emulate it). A path of a family the release lacks is
    left to the app's answer to any unknown path."""
    router = APIRouter()
    for name in registry.services(release):
        get(router, "/api" + doc.SERVICE_PATHS[name], session_bound=True, query=())(_service(name))
    for route in registry.routes(release):
        register(router, route)
    return router
