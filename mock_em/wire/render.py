"""A document's bytes in the notation the client asked for.

EM answers JSON when `application/json` appears anywhere in `Accept` (API v1_4 and later) and XML
otherwise: a missing `Accept`, `*/*`, `application/xml` and `text/xml` all get XML.
"""

from __future__ import annotations

import orjson
from lxml import etree

from mock_em.wire.template import Node

XML_TYPE = "application/xml; charset=utf-8"
JSON_TYPE = "application/json; charset=utf-8"
DECLARATION = b'<?xml version="1.0" encoding="utf-8"?>\n'


def wants_json(accept: str | None) -> bool:
    """True when the `Accept` header names JSON."""
    return bool(accept) and "application/json" in accept.lower()


def xml_bytes(node: Node) -> bytes:
    """The XML document EM sends: declaration, vendor namespace, `xsd`/`xsi` declarations."""
    return DECLARATION + etree.tostring(node.xml(), encoding="utf-8")


def json_bytes(node: Node) -> bytes:
    """The JSON document EM sends."""
    return orjson.dumps(node.json())


def render(node: Node, json: bool) -> tuple[bytes, str]:
    """Body and content type."""
    if json:
        return json_bytes(node), JSON_TYPE
    return xml_bytes(node), XML_TYPE
