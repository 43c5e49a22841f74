"""Hrefs and the link sets of every resource, built once for XML and JSON alike.

Hrefs are absolute: clients follow them verbatim (paging links, the logon link of `GET /api/`,
`Alternate` links), so they are built from the base URL the client used, or a configured public
URL. A link is only ever made to something mock-em serves to that caller: every Href resolves.
"""

from __future__ import annotations

from typing import NamedTuple
from uuid import UUID

from mock_em.model.entities import BackupServer, CloudReplica, CloudTenant, CloudVmReplicaPoint
from mock_em.model.scope import Scope
from mock_em.model.world import World

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
    """Every URL mock-em hands out, under one base (`http://host:9399`)."""

    def __init__(self, base: str) -> None:
        self.api = base.rstrip("/") + "/api"

    @property
    def root(self) -> str:
        return self.api + "/"

    def logon(self, version: str) -> str:
        return f"{self.api}/sessionMngr/?v={version}"

    @property
    def logon_sessions(self) -> str:
        return f"{self.api}/logonSessions"

    def logon_session(self, session_id: UUID) -> str:
        return f"{self.api}/logonSessions/{session_id}"

    def backup_servers(self, entity: bool = False) -> str:
        return f"{self.api}/backupServers" + (ENTITY if entity else "")

    def backup_server(self, server_id: UUID, entity: bool = False) -> str:
        return f"{self.api}/backupServers/{server_id}" + (ENTITY if entity else "")

    @property
    def cloud(self) -> str:
        return f"{self.api}/cloud"

    def tenants(self, entity: bool = False) -> str:
        return f"{self.api}/cloud/tenants" + (ENTITY if entity else "")

    def tenant(self, tenant_id: UUID, entity: bool = False) -> str:
        return f"{self.api}/cloud/tenants/{tenant_id}" + (ENTITY if entity else "")

    def replicas(self, entity: bool = False) -> str:
        return f"{self.api}/cloud/replicas" + (ENTITY if entity else "")

    def replica(self, replica_id: UUID, entity: bool = False) -> str:
        return f"{self.api}/cloud/replicas/{replica_id}" + (ENTITY if entity else "")

    def replica_points(self, replica_id: UUID, entity: bool = False) -> str:
        return f"{self.api}/cloud/replicas/{replica_id}/vmReplicaPoints" + (ENTITY if entity else "")

    def points(self, entity: bool = False) -> str:
        return f"{self.api}/cloud/vmReplicaPoints" + (ENTITY if entity else "")

    def point(self, point_id: UUID, entity: bool = False) -> str:
        return f"{self.api}/cloud/vmReplicaPoints/{point_id}" + (ENTITY if entity else "")

    @property
    def query_svc(self) -> str:
        return f"{self.api}/querySvc"

    def query(self, query_string: str) -> str:
        return f"{self.api}/query?{query_string}"


# -- link sets -------------------------------------------------------------------------------


def root_links(h: Hrefs) -> list[Link]:
    """`GET /api/`: the sessions collection and the `?v=latest` logon (clients take the last)."""
    return [
        Link("Down", "LogonSessionList", h.logon_sessions),
        Link("Create", "LogonSession", h.logon("latest")),
    ]


def logon_session_links(h: Hrefs, session_id: UUID, scope: Scope) -> list[Link]:
    """A LogonSession links Up to the root, Down to what the caller may use, and to its Delete."""
    links = [Link("Up", "EnterpriseManager", h.root)]
    if scope.reads_backup_servers:
        links.append(Link("Down", "BackupServerReferenceList", h.backup_servers()))
    links.append(Link("Down", "CloudConnectService", h.cloud))
    if not scope.is_tenant:
        links.append(Link("Down", "QueryService", h.query_svc))
        links.append(Link("Down", "LogonSessionList", h.logon_sessions))
    # The vendor's tenant sessions type their Delete link; its administrator sessions do not.
    links.append(Link("Delete", "LogonSession" if scope.is_tenant else None, h.logon_session(session_id)))
    return links


def cloud_links(h: Hrefs, session_id: UUID, scope: Scope) -> list[Link]:
    """`GET /api/cloud`: Up the caller's session, Down each served collection in both forms."""
    links = [Link("Up", "LogonSession", h.logon_session(session_id))]
    collections = []
    if scope.reads_tenants:
        collections.append(("CloudTenant", h.tenants))
    collections += [("CloudVmReplicaPoint", h.points), ("CloudReplica", h.replicas)]
    links += [Link("Down", f"{name}ReferenceList", href()) for name, href in collections]
    links += [Link("Down", f"{name}List", href(True)) for name, href in collections]
    return links


def _server_up(h: Hrefs, server: BackupServer, scope: Scope) -> list[Link]:
    if not scope.reads_backup_servers:
        return []
    return [Link("Up", "BackupServerReference", h.backup_server(server.id), server.name)]


def point_links(h: Hrefs, world: World, point: CloudVmReplicaPoint, scope: Scope, entity: bool) -> list[Link]:
    """Up to its backup server and replica, Alternate to the other form."""
    replica = world.replicas[point.replica_id]
    server = world.backup_servers[replica.backup_server_id]
    links = _server_up(h, server, scope)
    links.append(Link("Up", "CloudReplicaReference", h.replica(replica.id), replica.name))
    if entity:
        links.append(Link("Alternate", "CloudVmReplicaPointReference", h.point(point.id), point.name))
    else:
        links.append(Link("Alternate", "CloudVmReplicaPoint", h.point(point.id, True), point.name))
    return links


def replica_links(h: Hrefs, world: World, replica: CloudReplica, scope: Scope, entity: bool) -> list[Link]:
    """Up to its backup server, Alternate to the other form, Down to its restore points."""
    links = _server_up(h, world.backup_servers[replica.backup_server_id], scope)
    if entity:
        links.append(Link("Alternate", "CloudReplicaReference", h.replica(replica.id), replica.name))
    else:
        links.append(Link("Alternate", "CloudReplica", h.replica(replica.id, True), replica.name))
    links.append(Link("Down", "CloudVmReplicaPointReferenceList", h.replica_points(replica.id)))
    return links


def tenant_links(h: Hrefs, world: World, tenant: CloudTenant, scope: Scope, entity: bool) -> list[Link]:
    """Up to its backup server, Alternate to the other form."""
    links = _server_up(h, world.backup_servers[tenant.backup_server_id], scope)
    if entity:
        links.append(Link("Alternate", "CloudTenantReference", h.tenant(tenant.id), tenant.name))
    else:
        links.append(Link("Alternate", "CloudTenant", h.tenant(tenant.id, True), tenant.name))
    return links


def backup_server_links(h: Hrefs, server: BackupServer, entity: bool) -> list[Link]:
    """Up to the root, Alternate to the other form."""
    links = [Link("Up", "EnterpriseManager", h.root)]
    if entity:
        links.append(Link("Alternate", "BackupServerReference", h.backup_server(server.id), server.name))
    else:
        links.append(Link("Alternate", "BackupServer", h.backup_server(server.id, True), server.name))
    return links


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


def paging_links(h: Hrefs, query_string: str, page: int, page_size: int, pages_count: int) -> list[Link]:
    """First, Previous (past page 1), Next (before the last page) and Last: Rel only, no Type."""

    def at(number: int) -> str:
        return h.query(with_params(query_string, pageSize=page_size, page=number))

    links = [Link("First", None, at(1))]
    if 1 < page <= pages_count + 1:
        links.append(Link("Previous", None, at(min(page - 1, pages_count))))
    if page < pages_count:
        links.append(Link("Next", None, at(page + 1)))
    links.append(Link("Last", None, at(pages_count)))
    return links
