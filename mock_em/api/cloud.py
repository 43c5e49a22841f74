"""Cloud Connect resources: `/api/cloud`, tenants, replicas and their VM replica points.

Each route is a body function of an `Ask` returning the document to send (see `api.context.get`):
FastAPI and the fast path both answer from it.
"""

from __future__ import annotations

from fastapi import APIRouter

from mock_em.api.context import Ask, get, parse_id
from mock_em.model.entities import CloudVmReplicaPoint
from mock_em.wire import documents as doc
from mock_em.wire.cache import Doc, Listing, Whole, point_content

router = APIRouter()


@get(router, "/api/cloud", session_bound=True, query=())
def cloud_service(ask: Ask) -> Doc:
    """The Cloud Connect service: links to the collections the caller may read."""
    return Whole(doc.cloud_service(ask.h, ask.who.session.session_id, ask.who.scope))


def points_listing(ask: Ask, points: list[CloudVmReplicaPoint]) -> Listing:
    """A list of points in the asked form; each point's bytes are kept as a fragment."""
    h, world, scope = ask.h, ask.em.world, ask.who.scope
    fragments = ask.fragments
    key = point_content(world, fragments) if fragments is not None else None
    if ask.entity:
        return Listing(
            lambda items: doc.entity_list("CloudVmReplicaPoints", items),
            points,
            lambda p: doc.point_entity(h, world, p, scope, in_list=True),
            ("CloudVmReplicaPoints", h.api, scope),
            key,
        )
    return Listing(doc.references, points, lambda p: doc.point_ref(h, world, p, scope), ("Refs", h.api, scope), key)


@get(router, "/api/cloud/vmReplicaPoints")
def points(ask: Ask) -> Doc:
    """Every restore point of tenant replicas the caller may see (the seed request)."""
    return points_listing(ask, ask.em.points(ask.who.scope))


@get(router, "/api/cloud/vmReplicaPoints/{point_id}")
def point(ask: Ask, point_id: str) -> Doc:
    """One restore point."""
    found = ask.em.point(ask.who.scope, parse_id(point_id, "Cloud VM replica point"))
    if ask.entity:
        return Whole(doc.point_entity(ask.h, ask.em.world, found, ask.who.scope))
    return Whole(doc.point_ref(ask.h, ask.em.world, found, ask.who.scope, root=True))


@get(router, "/api/cloud/replicas/{replica_id}/vmReplicaPoints")
def replica_points(ask: Ask, replica_id: str) -> Doc:
    """The restore points of one replication job."""
    return points_listing(ask, ask.em.points(ask.who.scope, parse_id(replica_id, "Cloud replica")))


# Where API v1_2 (EM 9.0) kept a replica's points.
get(router, "/api/cloud/vmReplicaPoints/{replica_id}/vmReplicaPoints")(replica_points)


@get(router, "/api/cloud/replicas")
def replicas(ask: Ask) -> Doc:
    """Tenant replication jobs the caller may see."""
    h, world, scope = ask.h, ask.em.world, ask.who.scope
    found = ask.em.replicas(scope)
    if ask.entity:
        return Whole(doc.entity_list("CloudReplicas", (doc.replica_entity(h, world, r, scope) for r in found)))
    return Whole(doc.references(doc.replica_ref(h, world, r, scope) for r in found))


@get(router, "/api/cloud/replicas/{replica_id}")
def replica(ask: Ask, replica_id: str) -> Doc:
    """One replication job."""
    found = ask.em.replica(ask.who.scope, parse_id(replica_id, "Cloud replica"))
    if ask.entity:
        return Whole(doc.replica_entity(ask.h, ask.em.world, found, ask.who.scope))
    return Whole(doc.replica_ref(ask.h, ask.em.world, found, ask.who.scope, root=True))


@get(router, "/api/cloud/tenants")
def tenants(ask: Ask) -> Doc:
    """Cloud Connect tenants."""
    h, world, scope = ask.h, ask.em.world, ask.who.scope
    found = ask.em.tenants(scope)
    if ask.entity:
        return Whole(doc.entity_list("CloudTenants", (doc.tenant_entity(h, world, t, scope) for t in found)))
    return Whole(doc.references(doc.tenant_ref(h, world, t, scope) for t in found))


@get(router, "/api/cloud/tenants/{tenant_id}")
def tenant(ask: Ask, tenant_id: str) -> Doc:
    """One tenant."""
    found = ask.em.tenant(ask.who.scope, parse_id(tenant_id, "Cloud tenant"))
    if ask.entity:
        return Whole(doc.tenant_entity(ask.h, ask.em.world, found, ask.who.scope))
    return Whole(doc.tenant_ref(ask.h, ask.em.world, found, ask.who.scope, root=True))
