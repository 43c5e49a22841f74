"""Helpers shared by the wire-level API tests: parse EM XML, find links, check Error bodies."""

from __future__ import annotations

import base64
import re
from dataclasses import dataclass
from uuid import UUID

import httpx
from lxml import etree

NS = "http://www.veeam.com/ent/v1.0"
NSMAP = {"v": NS}
BASE = "http://localhost:9399"
API = BASE + "/api"
SESSION_HEADER = "X-RestSvcSessionId"
UNKNOWN_GUID = "00000000-0000-4000-8000-000000000000"
POINT_NAME = re.compile(r"^srv\d+@\d{4}-\d\d-\d\d \d\d:\d\d:\d\d$")
UTC_TIME = re.compile(r"^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d(\.\d*[1-9])?Z$")


def q(name: str) -> str:
    """The Clark name of an element in the vendor namespace."""
    return f"{{{NS}}}{name}"


def local(element: etree._Element) -> str:
    """An element's name without its namespace."""
    return etree.QName(element).localname


def parse(response: httpx.Response) -> etree._Element:
    """The root element of an XML response body."""
    return etree.fromstring(response.content)


def body(response: httpx.Response, status: int = 200, root: str | None = None) -> etree._Element:
    """Assert the status (and root element name), return the parsed root."""
    assert response.status_code == status, (response.status_code, response.text[:500])
    element = parse(response)
    assert etree.QName(element).namespace == NS
    if root is not None:
        assert local(element) == root, local(element)
    return element


@dataclass(frozen=True)
class Link:
    """One `<Link>` as attribute values (None when absent)."""

    Rel: str | None
    Type: str | None
    Href: str | None
    Name: str | None = None


def links(element: etree._Element) -> list[Link]:
    """The `<Link>`s of an element's own `<Links>` child, in document order."""
    found = element.find(q("Links"))
    if found is None:
        return []
    return [Link(li.get("Rel"), li.get("Type"), li.get("Href"), li.get("Name")) for li in found.findall(q("Link"))]


def link(element: etree._Element, rel: str, type_: str | None) -> Link:
    """The one link with this Rel and Type (Type None = no Type attribute)."""
    matches = [li for li in links(element) if li.Rel == rel and li.Type == type_]
    assert len(matches) == 1, (rel, type_, links(element))
    return matches[0]


def children(element: etree._Element, name: str) -> list[etree._Element]:
    """Direct children with this local name."""
    return element.findall(q(name))


def child_names(element: etree._Element) -> list[str]:
    """Local names of all direct children, in order."""
    return [local(c) for c in element]


def text(element: etree._Element, name: str) -> str | None:
    """Text of the direct child `name` ('' for an empty element); AssertionError if absent."""
    found = element.find(q(name))
    assert found is not None, f"no <{name}> in <{local(element)}>"
    return found.text or ""


def hrefs(element: etree._Element) -> list[str]:
    """Every Href attribute anywhere in the document."""
    return [str(h) for h in element.xpath("//@Href")]


def assert_error(response: httpx.Response, status: int, status_name: str) -> etree._Element:
    """A Veeam `<Error>` with this StatusCode and Status, and a non-empty Message."""
    assert response.status_code == status, (response.status_code, response.text[:500])
    assert response.headers["content-type"] == "application/xml; charset=utf-8"
    assert b'"detail"' not in response.content
    assert b"Traceback" not in response.content
    root = body(response, status, "Error")
    assert root.get("StatusCode") == str(status)
    assert root.get("Status") == status_name
    assert root.get("Message")
    return root


def decode_token(token: str) -> UUID:
    """The GUID whose text a session token is the base64 of (ValueError otherwise)."""
    return UUID(base64.b64decode(token, validate=True).decode("ascii"))


def basic(user: str, password: str) -> str:
    """An HTTP Basic `Authorization` header value."""
    return "Basic " + base64.b64encode(f"{user}:{password}".encode()).decode("ascii")


def logon(client: httpx.Client, user: str = "Administrator", password: str = "P@ssw0rd") -> tuple[str, str]:
    """Log on; return (token, SessionId). Clears the cookie jar so later requests choose their token."""
    response = client.post("/api/sessionMngr/?v=latest", auth=(user, password))
    assert response.status_code == 201, response.text
    client.cookies.clear()
    return response.headers[SESSION_HEADER], text(parse(response), "SessionId") or ""
