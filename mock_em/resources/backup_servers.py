"""`/api/backupServers`: the Veeam Backup & Replication servers connected to Enterprise Manager.

What a server reports depends on the release (em-api-monitoring.md §3, §7): its `Version` is the
release's product version (`ReleaseProfile.product_version`; in 9.5 U4 each server's own), and
from 12 on the entity adds the port EM collects data on (`WcfPort`, 9405 as the vendor's docs and
captures show) and the server's certificate thumbprint (`VbrCertificateThumbprint`, 40 upper-case
hex digits), after `Version` as the vendor's field table lists them.
"""

from __future__ import annotations

import hashlib
from operator import attrgetter
from typing import TYPE_CHECKING, Any
from uuid import UUID

from mock_em.importer.entity import Entity, Reading
from mock_em.model.access import Access
from mock_em.model.entities import BackupServer
from mock_em.model.fixture_records import records
from mock_em.model.ids import guid
from mock_em.model.kinds import PORTAL, Kind
from mock_em.model.query_columns import identity_fields, plain, query_for, reference_fields, string_field
from mock_em.model.query_columns import text as text_column
from mock_em.model.query_fields import Field as QueryField
from mock_em.model.query_fields import Kind as FieldKind
from mock_em.model.query_fields import QueryType
from mock_em.model.world import World
from mock_em.releases import ReleaseProfile
from mock_em.resources.cloud_import import number
from mock_em.resources.family import Down, Family, SubCollection, generation_part
from mock_em.wire.links import Hrefs, Link

if TYPE_CHECKING:
    from mock_em.generator import Generation

PATH = "/backupServers"


def server_up(h: Hrefs, world: World, server_id: UUID, access: Access) -> list[Link]:
    """The `Up` link of an object to its backup server, for callers who may read backup servers."""
    if not access.reads(KIND):
        return []
    server = world.backup_servers[server_id]
    return [Link("Up", "BackupServerReference", h.item(PATH, server.id), server.name)]


def up_to_server(h: Hrefs, world: World, obj: Any, access: Access) -> list[Link]:
    """The `ups` of every object made on a backup server (`backup_server_id`): Up to it."""
    return server_up(h, world, obj.backup_server_id, access)


WCF_PORT = 9405  # the vendor's default certificate port for servers of VBR 12 and later


def thumbprint(server: BackupServer) -> str:
    """The server's certificate thumbprint: a SHA-1 in upper-case hex, as Windows writes one, drawn
    from the server's id so that it stays the same across requests, restarts and workers."""
    return hashlib.sha1(server.id.bytes, usedforsecurity=False).hexdigest().upper()


def values(h: Hrefs, world: World, server: BackupServer, access: Access) -> dict[str, Any]:
    """The entity's own fields; `WcfPort` and `VbrCertificateThumbprint` from 12 on (`since_fields`)."""
    return {
        "Description": server.description,
        "Port": server.port,
        "Version": server.version,
        "WcfPort": WCF_PORT,
        "VbrCertificateThumbprint": thumbprint(server),
    }


def release_values(server: BackupServer, release: ReleaseProfile) -> dict[str, Any]:
    """The `Version` the release's servers run, where its profile names one (EM connects servers of
    its own release); else the server's own."""
    return {"Version": release.product_version or server.version}


JOBS = SubCollection("jobs", "Job", "backup_server_id")
REPOSITORIES = SubCollection("repositories", "Repository", "backup_server_id")


def entity_downs(h: Hrefs, world: World, server: BackupServer, access: Access) -> list[Link]:
    """The entity links Down to the server's jobs, then its repositories, as EM's does (of the
    vendor's Down links, the only collections mock-em serves), each for callers who may read it."""
    return [
        Link("Down", f"{sub.family}ReferenceList", h.sub(PATH, server.id, sub.segment))
        for sub in (JOBS, REPOSITORIES)
        if access.reads(sub.family)
    ]


def reads(entity: Entity, reading: Reading) -> BackupServer:
    """The server as EM lists it. Where the release shows its own product version for every
    server (`release_values`), the server's own is not shown: it keeps the shown one."""
    server = BackupServer(entity.id, entity.name, entity.get("Description", ""), number(entity, "Port", 9392))
    server.version = entity.get("Version", server.version)
    return server


# -- the generator's part ------------------------------------------------------------------------

VERSIONS = ("9.5.0.1922", "9.5.0.1922", "9.5.4.2615", "9.5.4.2866")  # 9.5 U3a (em-api.md §5.6) and U4, U4b


def generate_servers(g: Generation) -> None:
    """`size.backup_servers` servers named by private IP (as the seed's `172.17.53.48`) or by FQDN;
    first of all, as every tenant lives on one."""
    rng, fake = g.rng, g.fake
    domain = fake.domain_name()
    servers = g.all("BackupServer")
    used: set[str] = set()
    while len(servers) < g.size.backup_servers:
        if rng.random() < 0.5:
            name = f"172.{rng.randint(16, 31)}.{rng.randint(0, 255)}.{rng.randint(1, 254)}"
        else:
            name = f"vbr{len(used) + 1:02d}.{domain}"
        if name in used:
            continue
        used.add(name)
        role = rng.choice(("Cloud Connect backup server", "Veeam Backup & Replication server", "Service provider VBR"))
        g.add(BackupServer(guid(rng), name, f"{role}, {fake.city()} datacenter", 9392, rng.choice(VERSIONS)))


def server_fields() -> tuple[QueryField, QueryField]:
    """`BackupServerUid` and `BackupServerName` of a type whose objects hold `backup_server_id`."""
    return reference_fields("BackupServer", "backup_server_id", attrgetter("backup_servers"))


def query(kind: Kind) -> QueryType:
    """The query type: the vendor's table of BackupServer fields. `IpOrDnsName` is the server's
    Name: EM names a server by the address it was added with."""
    return query_for(
        kind,
        *identity_fields("BackupServer", attrgetter("backup_servers")),
        string_field("Description", text_column("description")),
        string_field("IpOrDnsName", text_column("name")),
        QueryField("Port", FieldKind.INT, plain("port")),
        string_field("Version", text_column("version")),  # a String in the vendor table: compared as text
    )


KIND = Kind(
    BackupServer,
    noun="backup server",
    readers=PORTAL,
    fixture=records(
        "Id Name Description Port Version",
        defaults={"Description": ""},
    ),
    query=query,
    query_order=13,
)
FAMILY = Family(
    KIND,
    PATH,
    values,
    subs=(JOBS, REPOSITORIES),
    entity_downs=entity_downs,
    down=Down("LogonSession", 0),
    generates=generation_part(generate_servers),
    since_fields={"WcfPort": "12", "VbrCertificateThumbprint": "12"},  # em-api-monitoring.md §7
    release_values=release_values,
    reads=reads,
)
