"""Parse the optional `LoginSpec` body of a logon: Cloud Connect `TenantCredentials`, XML or JSON.

XML is parsed without DTDs, entity expansion or network access: a body that declares a DTD
(billion laughs, external entities) is refused, never resolved.
"""

from __future__ import annotations

from dataclasses import dataclass

import orjson
from lxml import etree

from mock_em.api.errors import VeeamError
from mock_em.wire.template import NS

MAX_BODY = 64 * 1024
_PARSER = etree.XMLParser(
    resolve_entities=False, no_network=True, load_dtd=False, dtd_validation=False, huge_tree=False
)


@dataclass(frozen=True, slots=True)
class TenantCredentials:
    """A tenant's name and password from a LoginSpec."""

    username: str
    password: str


def _bad(message: str) -> VeeamError:
    return VeeamError(400, f"Invalid LoginSpec: {message}")


def parse_login_spec(body: bytes, content_type: str | None) -> TenantCredentials | None:
    """TenantCredentials from a logon body; None for an empty body or a spec without them."""
    if not body.strip():
        return None
    if len(body) > MAX_BODY:
        raise _bad(f"the body is larger than {MAX_BODY} bytes")
    looks_json = body.lstrip()[:1] in (b"{", b"[")
    if "json" in (content_type or "").lower() or looks_json:
        return _from_json(body)
    return _from_xml(body)


def _from_json(body: bytes) -> TenantCredentials | None:
    try:
        data = orjson.loads(body)
    except orjson.JSONDecodeError as exc:
        raise _bad(f"the body is not valid JSON ({exc})") from None
    if not isinstance(data, dict):
        raise _bad("expected a JSON object")
    creds = data.get("TenantCredentials")
    if creds is None:
        return None
    if not isinstance(creds, dict):
        raise _bad("TenantCredentials must be an object with Username and Password")
    username, password = creds.get("Username"), creds.get("Password")
    if not isinstance(username, str) or not isinstance(password, str):
        raise _bad("TenantCredentials needs string Username and Password")
    return TenantCredentials(username, password)


def _from_xml(body: bytes) -> TenantCredentials | None:
    try:
        root = etree.fromstring(body, _PARSER)
    except etree.XMLSyntaxError as exc:
        raise _bad(f"the body is not well-formed XML ({exc.msg})") from None
    if root.getroottree().docinfo.doctype:
        raise _bad("document type declarations are not accepted")
    if root.tag != f"{{{NS}}}LoginSpec":
        raise _bad(f"expected a LoginSpec element in namespace {NS}")
    creds = root.find(f"{{{NS}}}TenantCredentials")
    if creds is None:
        return None
    username = creds.findtext(f"{{{NS}}}Username")
    password = creds.findtext(f"{{{NS}}}Password")
    if username is None or password is None:
        raise _bad("TenantCredentials needs Username and Password elements")
    return TenantCredentials(username, password)
