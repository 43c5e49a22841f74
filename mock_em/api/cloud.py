"""Cloud Connect resources: `/api/cloud`, tenants, replicas and their VM replica points."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Depends, Request
from starlette.responses import Response

from mock_em.api.context import Caller, caller, em, hrefs, parse_id, respond, wants_entity
from mock_em.wire import documents as doc

router = APIRouter()
Who = Annotated[Caller, Depends(caller)]


@router.get("/api/cloud")
async def cloud_service(request: Request, who: Who) -> Response:
    """The Cloud Connect service: links to the collections the caller may read."""
    return respond(request, doc.cloud_service(hrefs(request), who.session.session_id, who.scope))


def _points_response(request: Request, who: Caller, points: list) -> Response:
    h, world = hrefs(request), em(request).world
    if wants_entity(request):
        items = [doc.point_entity(h, world, p, who.scope, in_list=True) for p in points]
        return respond(request, doc.entity_list("CloudVmReplicaPoints", items))
    return respond(request, doc.references(doc.point_ref(h, world, p, who.scope) for p in points))


@router.get("/api/cloud/vmReplicaPoints")
async def points(request: Request, who: Who) -> Response:
    """Every restore point of tenant replicas the caller may see (the seed request)."""
    return _points_response(request, who, em(request).points(who.scope))


@router.get("/api/cloud/vmReplicaPoints/{point_id}")
async def point(request: Request, point_id: str, who: Who) -> Response:
    """One restore point."""
    found = em(request).point(who.scope, parse_id(point_id, "Cloud VM replica point"))
    h, world = hrefs(request), em(request).world
    if wants_entity(request):
        return respond(request, doc.point_entity(h, world, found, who.scope))
    return respond(request, doc.point_ref(h, world, found, who.scope, root=True))


@router.get("/api/cloud/replicas/{replica_id}/vmReplicaPoints")
@router.get("/api/cloud/vmReplicaPoints/{replica_id}/vmReplicaPoints")  # where API v1_2 (EM 9.0) kept it
async def replica_points(request: Request, replica_id: str, who: Who) -> Response:
    """The restore points of one replication job."""
    found = em(request).points(who.scope, parse_id(replica_id, "Cloud replica"))
    return _points_response(request, who, found)


@router.get("/api/cloud/replicas")
async def replicas(request: Request, who: Who) -> Response:
    """Tenant replication jobs the caller may see."""
    h, world = hrefs(request), em(request).world
    found = em(request).replicas(who.scope)
    if wants_entity(request):
        return respond(
            request, doc.entity_list("CloudReplicas", (doc.replica_entity(h, world, r, who.scope) for r in found))
        )
    return respond(request, doc.references(doc.replica_ref(h, world, r, who.scope) for r in found))


@router.get("/api/cloud/replicas/{replica_id}")
async def replica(request: Request, replica_id: str, who: Who) -> Response:
    """One replication job."""
    found = em(request).replica(who.scope, parse_id(replica_id, "Cloud replica"))
    h, world = hrefs(request), em(request).world
    if wants_entity(request):
        return respond(request, doc.replica_entity(h, world, found, who.scope))
    return respond(request, doc.replica_ref(h, world, found, who.scope, root=True))


@router.get("/api/cloud/tenants")
async def tenants(request: Request, who: Who) -> Response:
    """Cloud Connect tenants."""
    h, world = hrefs(request), em(request).world
    found = em(request).tenants(who.scope)
    if wants_entity(request):
        return respond(
            request, doc.entity_list("CloudTenants", (doc.tenant_entity(h, world, t, who.scope) for t in found))
        )
    return respond(request, doc.references(doc.tenant_ref(h, world, t, who.scope) for t in found))


@router.get("/api/cloud/tenants/{tenant_id}")
async def tenant(request: Request, tenant_id: str, who: Who) -> Response:
    """One tenant."""
    found = em(request).tenant(who.scope, parse_id(tenant_id, "Cloud tenant"))
    h, world = hrefs(request), em(request).world
    if wants_entity(request):
        return respond(request, doc.tenant_entity(h, world, found, who.scope))
    return respond(request, doc.tenant_ref(h, world, found, who.scope, root=True))
