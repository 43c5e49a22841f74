"""A document's bytes in the notation the client asked for.

EM answers JSON when `application/json` appears anywhere in `Accept` (API v1_4 and later) and XML
otherwise: a missing `Accept`, `*/*`, `application/xml` and `text/xml` all get XML.
"""

from __future__ import annotations

from dataclasses import dataclass

import orjson
from lxml import etree

from mock_em.releases import JsonNotation
from mock_em.wire.template import PASCAL, Node

XML_TYPE = "application/xml; charset=utf-8"
JSON_TYPE = "application/json; charset=utf-8"
DECLARATION = b'<?xml version="1.0" encoding="utf-8"?>\n'


def wants_json(accept: str | None) -> bool:
    """True when the `Accept` header names JSON."""
    return bool(accept) and "application/json" in accept.lower()


@dataclass(frozen=True, slots=True)
class Notation:
    """What a response is written in: JSON or XML (`json`), as the app's release writes it
    (`style`: camelCase, nulls, the digits of times). True when JSON, so that it stands wherever
    a flag said "JSON" before (media types, cache keys: an app serves one release)."""

    json: bool
    style: JsonNotation = PASCAL

    def __bool__(self) -> bool:
        return self.json


def notation(accept: str | None, style: JsonNotation) -> Notation:
    """The notation of an answer to a request with this `Accept`, in the release's `style`."""
    return Notation(wants_json(accept), style)


def xml_bytes(node: Node, digits: int = PASCAL.time_digits) -> bytes:
    """The XML document EM sends: declaration, vendor namespace, `xsd`/`xsi` declarations."""
    return DECLARATION + etree.tostring(node.xml(digits), encoding="utf-8")


def json_bytes(node: Node, style: JsonNotation = PASCAL) -> bytes:
    """The JSON document EM sends."""
    return orjson.dumps(node.json(style))


def render(node: Node, json: bool | Notation) -> tuple[bytes, str]:
    """Body and content type (a bare flag: in the default release's notation)."""
    style = json.style if isinstance(json, Notation) else PASCAL
    if json:
        return json_bytes(node, style), JSON_TYPE
    return xml_bytes(node, style.time_digits), XML_TYPE
