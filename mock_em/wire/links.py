"""Hrefs and the link sets of every resource, built once for XML and JSON alike.

Hrefs are absolute: clients follow them verbatim (paging links, the logon link of `GET /api/`,
`Alternate` links), so they are built from the base URL the client used, or a configured public
URL. A link is only ever made to something mock-em serves to that caller: every Href resolves.
"""

from __future__ import annotations

import re
from typing import NamedTuple
from uuid import UUID

ENTITY = "?format=Entity"


class Link(NamedTuple):
    """One `<Link>`: attributes in the vendor's order (Rel, Type, Href, Name); None = absent."""

    Rel: str
    Type: str | None
    Href: str
    Name: str | None = None


def uid(type_name: str, object_id: UUID) -> str:
    """`urn:veeam:<Type>:<guid>`, the vendor's UID form (clients split it on `:`)."""
    return f"urn:veeam:{type_name}:{object_id}"


class Hrefs:
    """Every URL mock-em hands out, under one base (`http://host:9399`). A family's collection and
    items are found from its path (`/cloud/replicas`), so a new family needs no method here."""

    __slots__ = ("api", "cloud", "logon_sessions", "query_svc", "root", "summary_report")

    def __init__(self, base: str) -> None:
        self.api = base.rstrip("/") + "/api"
        # The protocol's fixed documents, worked out once (one Hrefs serves every request of a base URL).
        self.root = self.api + "/"
        self.logon_sessions = self.api + "/logonSessions"
        self.cloud = self.api + "/cloud"
        self.query_svc = self.api + "/querySvc"
        self.summary_report = self.api + "/reports/summary"

    def logon(self, version: str) -> str:
        return f"{self.api}/sessionMngr/?v={version}"

    def logon_session(self, session_id: UUID) -> str:
        return f"{self.api}/logonSessions/{session_id}"

    def report_frame(self, segment: str) -> str:
        """One frame of the summary report (`/reports/summary/vms_overview`)."""
        return f"{self.summary_report}/{segment}"

    def collection(self, path: str, entity: bool = False) -> str:
        """A family's collection (`/cloud/replicas`), in reference or entity form."""
        return self.api + path + (ENTITY if entity else "")

    def item(self, path: str, object_id: UUID, entity: bool = False) -> str:
        """One object of a family (`/cloud/replicas/{id}`), in reference or entity form."""
        return f"{self.api}{path}/{object_id}" + (ENTITY if entity else "")

    def sub(self, path: str, object_id: UUID, segment: str) -> str:
        """An object's sub-collection (`/cloud/replicas/{id}/vmReplicaPoints`)."""
        return f"{self.api}{path}/{object_id}/{segment}"

    def query(self, query_string: str) -> str:
        return f"{self.api}/query?{query_string}"


# -- link sets -------------------------------------------------------------------------------


def root_links(h: Hrefs) -> list[Link]:
    """`GET /api/`: the sessions collection and the `?v=latest` logon (clients take the last)."""
    return [
        Link("Down", "LogonSessionList", h.logon_sessions),
        Link("Create", "LogonSession", h.logon("latest")),
    ]


def query_svc_links(h: Hrefs, session_id: UUID, type_names: list[str]) -> list[Link]:
    """`GET /api/querySvc`: Up the caller's session, Down a preset query per type it may read
    (the vendor's presets: entities sorted by name, 15 a page)."""
    links = [Link("Up", "LogonSession", h.logon_session(session_id))]
    links += [
        Link("Down", f"{name}List", h.query(f"type={name}&format=Entities&sortAsc=name&pageSize=15&page=1"))
        for name in type_names
    ]
    return links


def with_params(query_string: str, **params: int) -> str:
    """The client's query string with `params` replaced where present (names matched case-insensitively,
    kept in place) or appended, so paging links repeat the original query."""
    parts = [p for p in query_string.split("&") if p] if query_string else []
    for name, value in params.items():
        wanted = name.casefold()
        for i, part in enumerate(parts):
            if part.split("=", 1)[0].casefold() == wanted:
                parts[i] = f"{part.split('=', 1)[0]}={value}"
                break
        else:
            parts.append(f"{name}={value}")
    return "&".join(parts)


_ESCAPE = re.compile("%[0-9A-Fa-f]{2}")


def _upper(match: re.Match[str]) -> str:
    return match.group().upper()


def _lower(match: re.Match[str]) -> str:
    return match.group().lower()


def paging_links(
    h: Hrefs, query_string: str, page: int, page_size: int, pages_count: int, *, upper_escapes: bool = False
) -> list[Link]:
    """First, Previous (past page 1), Next (before the last page) and Last: Rel only, no Type. The
    query's percent-escapes are written in the release's case: lower-case hex up to 12
    (`%3e%3d`), upper-case in 13 (`%3E%3D`; em-api-monitoring.md §7)."""
    query_string = _ESCAPE.sub(_upper if upper_escapes else _lower, query_string)

    def at(number: int) -> str:
        return h.query(with_params(query_string, pageSize=page_size, page=number))

    links = [Link("First", None, at(1))]
    if 1 < page <= pages_count + 1:
        links.append(Link("Previous", None, at(min(page - 1, pages_count))))
    if page < pages_count:
        links.append(Link("Next", None, at(page + 1)))
    links.append(Link("Last", None, at(pages_count)))
    return links
