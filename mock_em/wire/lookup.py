"""The lookup's answer (`GET /api/lookup`): `<HierarchyItems>` of `<HierarchyItem>`.

Each item's `Href` (which the schema requires of every resource) is the lookup of its own
reference, `/api/lookup?hierarchyRef=<ObjectRef>`, which answers with that item alone.
"""

from __future__ import annotations

from collections.abc import Iterable
from urllib.parse import quote

from mock_em.model.lookup import HierarchyItem
from mock_em.wire.links import Hrefs
from mock_em.wire.template import TEMPLATES, Node

SEGMENT = "lookup"  # the route's path segment, for path canonicalisation


def lookup_href(h: Hrefs, object_ref: str) -> str:
    """The lookup of one reference."""
    return f"{h.api}/{SEGMENT}?hierarchyRef={quote(object_ref, safe='')}"


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
