"""The virtual infrastructure lookup: `GET /api/lookup?host=<root UID>&name=<name>&type=<type>`
or `GET /api/lookup?hierarchyRef=<reference>` (`hierachyRef`, as veeam-em spells it, too), and the
lookup service, `GET /api/lookupSvc`, which links the VMs of each hierarchy root.

The roles that read hierarchy roots use it (Portal Administrators, Portal Users and Restore
Operators, who restore); tenants get a 403. What is found is `mock_em.model.lookup`'s; a missing
or malformed parameter is a 400.
"""

from __future__ import annotations

from fastapi import APIRouter

from mock_em.api.context import Ask, get
from mock_em.api.errors import VeeamError
from mock_em.model.inventory import ROOT_KIND
from mock_em.model.kinds import kind
from mock_em.model.lookup import LookupQueryError, lookup_on_host, lookup_ref, roots
from mock_em.wire import lookup as doc
from mock_em.wire.cache import Doc, Whole

router = APIRouter()
REFERENCE_PARAMS = ("hierarchyRef", "hierachyRef")  # the vendor's name, and veeam-em's spelling of it


@get(router, f"/api/{doc.SERVICE_SEGMENT}", session_bound=True, query=())
def lookup_service(ask: Ask) -> Doc:
    """The lookup service: Up the caller's session, Down the VMs of each root."""
    ask.who.access.require(kind(ROOT_KIND))
    return Whole(doc.lookup_service(ask.h, ask.who.session.session_id, roots(ask.em.world)))


@get(router, f"/api/{doc.SEGMENT}", query=("host", "name", "type", *REFERENCE_PARAMS))
def lookup(ask: Ask) -> Doc:
    """The objects found by host, name and type, or by reference."""
    ask.who.access.require(kind(ROOT_KIND))
    reference = next((v for v in map(ask.param, REFERENCE_PARAMS) if v is not None), None)
    try:
        if reference is not None:
            found = lookup_ref(ask.em.world, reference)
        else:
            found = lookup_on_host(ask.em.world, ask.param("host"), ask.param("name"), ask.param("type"))
    except LookupQueryError as exc:
        raise VeeamError(400, str(exc)) from None
    return Whole(doc.hierarchy_items(ask.h, found))
