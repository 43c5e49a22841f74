"""The lookup's documents: the lookup service (`GET /api/lookupSvc`), a link per hierarchy root,
and a lookup's answer (`GET /api/lookup`), `<HierarchyItems>` of `<HierarchyItem>`.

Each item's `Href` (which the schema requires of every resource) is the lookup of its own
reference, `/api/lookup?hierarchyRef=<ObjectRef>`, which answers with that item alone.
"""

from __future__ import annotations

from collections.abc import Iterable
from urllib.parse import quote
from uuid import UUID

from mock_em.model.inventory import ROOT_URN, HierarchyRoot
from mock_em.model.lookup import VM_TYPE, HierarchyItem
from mock_em.wire.documents import LOOKUP_SERVICE_SEGMENT, link_elements
from mock_em.wire.links import Hrefs, Link
from mock_em.wire.template import TEMPLATES, Node

SEGMENT = "lookup"  # the routes' path segments, for path canonicalisation
SERVICE_SEGMENT = LOOKUP_SERVICE_SEGMENT
ITEM_LIST = "HierarchyItemList"


def lookup_href(h: Hrefs, object_ref: str) -> str:
    """The lookup of one reference."""
    return f"{h.api}/{SEGMENT}?hierarchyRef={quote(object_ref, safe='')}"


def service_href(h: Hrefs) -> str:
    """The lookup service."""
    return f"{h.api}/{SERVICE_SEGMENT}"


def vms_href(h: Hrefs, root_id: UUID) -> str:
    """Every VM on a root, as EM's lookup service links it: the root's UID encoded, `name=\\*`."""
    return f"{h.api}/{SEGMENT}?host={quote(f'{ROOT_URN}{root_id}', safe='')}&name=\\*&type={VM_TYPE}"


def lookup_service(h: Hrefs, session_id: UUID, roots: Iterable[HierarchyRoot]) -> Node:
    """`<LookupSvc>`: Up to the caller's session, Down to the VMs of each hierarchy root (the one
    object type mock-em knows on a root; EM adds a VMware root's tags and storage pods)."""
    found = [Link("Up", "LogonSession", h.logon_session(session_id))]
    found += [Link("Down", ITEM_LIST, vms_href(h, root.id)) for root in roots]
    return TEMPLATES.node("LookupSvc", Href=service_href(h), Links=link_elements(found))


def hierarchy_items(h: Hrefs, items: Iterable[HierarchyItem]) -> Node:
    """The objects found, in the order found."""
    return TEMPLATES.node(
        "HierarchyItems",
        Items=[
            TEMPLATES.node(
                "HierarchyItem",
                Href=lookup_href(h, item.object_ref),
                ObjectRef=item.object_ref,
                ObjectType=item.object_type,
                ObjectName=item.object_name,
            )
            for item in items
        ],
    )
