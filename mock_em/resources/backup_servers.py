"""`/api/backupServers`: the Veeam Backup & Replication servers connected to Enterprise Manager."""

from __future__ import annotations

from operator import attrgetter
from typing import Any
from uuid import UUID

from mock_em.model.access import Access
from mock_em.model.entities import BackupServer, Role
from mock_em.model.fixture_values import number, text
from mock_em.model.kinds import FixtureSection, Kind
from mock_em.model.query_columns import own_uid_field, plain, query_for, string_field
from mock_em.model.query_columns import text as text_column
from mock_em.model.query_fields import Field, QueryType
from mock_em.model.query_fields import Kind as FieldKind
from mock_em.model.world import World
from mock_em.resources.family import Down, Family
from mock_em.wire.links import Hrefs, Link

PATH = "/backupServers"


def server_up(h: Hrefs, world: World, server_id: UUID, access: Access) -> list[Link]:
    """The `Up` link of an object to its backup server, for callers who may read backup servers."""
    if not access.reads(KIND):
        return []
    server = world.backup_servers[server_id]
    return [Link("Up", "BackupServerReference", h.item(PATH, server.id), server.name)]


def values(h: Hrefs, world: World, server: BackupServer, access: Access) -> dict[str, Any]:
    """The entity's own fields."""
    return {"Description": server.description, "Port": server.port, "Version": server.version}


def ups(h: Hrefs, world: World, server: BackupServer, access: Access) -> list[Link]:
    """A backup server links Up to the entry point."""
    return [Link("Up", "EnterpriseManager", h.root)]


def dump(s: BackupServer) -> dict[str, Any]:
    """A backup server as fixture JSON."""
    return {"Id": str(s.id), "Name": s.name, "Description": s.description, "Port": s.port, "Version": s.version}


def load(s: dict[str, Any]) -> BackupServer:
    """A backup server from fixture JSON."""
    return BackupServer(
        UUID(s["Id"]),
        text(s, "Name"),
        text(s, "Description", ""),
        number(s, "Port", 9392),
        text(s, "Version", "9.5.0.1922"),
    )


def query(kind: Kind) -> QueryType:
    """The query type: the vendor's table of BackupServer fields. `IpOrDnsName` is the server's
    Name: EM names a server by the address it was added with."""
    return query_for(
        kind,
        own_uid_field("BackupServer", attrgetter("backup_servers")),
        string_field("Name", text_column("name")),
        string_field("Description", text_column("description")),
        string_field("IpOrDnsName", text_column("name")),
        Field("Port", FieldKind.INT, plain("port")),
        string_field("Version", text_column("version")),  # a String in the vendor table: compared as text
    )


KIND = Kind(
    "BackupServer",
    BackupServer,
    what="Backup server",
    plural="backup servers",
    noun="backup server",
    readers=frozenset({Role.PortalAdministrator, Role.PortalUser}),
    fixture=FixtureSection("BackupServers", dump, load),
    query=query,
    query_order=3,
)
FAMILY = Family(
    kind=KIND,
    path=PATH,
    list_name="BackupServers",
    values=values,
    ups=ups,
    down=Down("LogonSession", 0),
)
