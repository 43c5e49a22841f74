"""`/api/managedServers`: the servers added to the backup servers connected to Enterprise Manager.

Each backup server lists itself (`Local`), the virtualization hosts it backs up from (a vCenter,
maybe a standalone ESXi host that takes replicas, and a Hyper-V host or cluster where it has
Hyper-V jobs) and the Windows and Linux servers it uses as backup proxies and repositories. A
server shows its `Description` and `ManagedServerType`, links Up to its backup server and, where it
is a virtualization host, its entity is Related to its hierarchy root (`hierarchy_roots.py`, same
id). Portal Administrators and Portal Users read them. See `docs/inventory.md`.
"""

from __future__ import annotations

import ipaddress
import random
from typing import TYPE_CHECKING, Any
from uuid import UUID

from mock_em.importer.entity import Entity, Reading
from mock_em.model.access import Access
from mock_em.model.entities import BackupServer, Platform
from mock_em.model.fixture_records import records
from mock_em.model.ids import guid
from mock_em.model.inventory import ROOT_KIND, ManagedServer, ManagedServerType
from mock_em.model.kinds import ON_SERVER, PORTAL, Kind
from mock_em.model.query_columns import identity_fields, query_for, string_field
from mock_em.model.query_columns import text as text_column
from mock_em.model.query_fields import QueryType
from mock_em.model.world import World
from mock_em.resources.backup_servers import up_to_server
from mock_em.resources.family import Down, Family, generation_part
from mock_em.wire.links import Hrefs, Link

if TYPE_CHECKING:
    from mock_em.generator import Generation

PATH = "/managedServers"
ROOTS_PATH = "/hierarchyRoots"  # hierarchy_roots.PATH (that module imports this one)


def values(h: Hrefs, world: World, server: ManagedServer, access: Access) -> dict[str, Any]:
    """The entity's own fields."""
    return {"Description": server.description, "ManagedServerType": server.managed_server_type.value}


def entity_downs(h: Hrefs, world: World, server: ManagedServer, access: Access) -> list[Link]:
    """A virtualization host's entity is Related to its hierarchy root (the same id), as the
    vendor's example shows, for callers who may read roots."""
    root = world.all(ROOT_KIND).get(server.id)
    if root is None or not access.reads(ROOT_KIND):
        return []
    return [Link("Related", ROOT_KIND, h.item(ROOTS_PATH, root.id, True), root.name)]


def query(kind: Kind) -> QueryType:
    """The query type: the vendor's table of ManagedServer fields (get_query_managedserver);
    `ManagedServerType` is a String there, compared as text."""
    return query_for(
        kind,
        *identity_fields("ManagedServer"),
        string_field("Description", text_column("description")),
        string_field("ManagedServerType", text_column("managed_server_type._value_")),
    )


# -- the import's reader ----------------------------------------------------------------------------


def server_of(entity: Entity) -> UUID:
    """The backup server an object of a backup server belongs to: its Up `BackupServerReference`."""
    return entity.up("BackupServerReference")


def reads(entity: Entity, reading: Reading) -> ManagedServer:
    """A managed server as its entity shows it (every attribute is shown)."""
    return ManagedServer(
        entity.id, entity.name, server_of(entity), entity.get("Description", ""),
        entity.member("ManagedServerType", ManagedServerType),
    )  # fmt: skip


# -- the generator's part ------------------------------------------------------------------------

DEFAULT_DOMAIN = "sp.example"  # where no backup server is named by a domain (em-api-monitoring.md §8)


class Namer:
    """Names for one backup server's servers, in its style: in its domain (`vc01.<domain>`) where
    it is named by FQDN, else by addresses in its /24, as a provider adds them. Numbers and
    addresses run on across the world, so no two servers share a name."""

    def __init__(self, rng: random.Random, taken: set[str], counters: dict[tuple[str, str], int]) -> None:
        self.rng, self.taken, self.counters = rng, taken, counters

    def name(self, server: BackupServer, prefix: str, domain: str) -> str:
        """A new name for one of `server`'s servers whose host name starts with `prefix`."""
        try:
            network = ipaddress.ip_network(f"{ipaddress.IPv4Address(server.name)}/24", strict=False)
        except ValueError:
            network = None
        if network is not None:
            while True:  # a /24 has 253 other addresses: a server never adds that many
                address = str(network.network_address + self.rng.randint(1, 254))
                if address not in self.taken:
                    self.taken.add(address)
                    return address
        parts = server.name.split(".", 1)
        where = parts[1] if len(parts) == 2 else domain
        number = self.counters.get((where, prefix), 0) + 1
        self.counters[(where, prefix)] = number
        name = f"{prefix}{number:02d}.{where}"
        self.taken.add(name)
        return name


def generate_managed_servers(g: Generation) -> None:
    """Each backup server's inventory, drawn from an RNG of its own (`inventory:{seed}`) after
    the jobs, whose platforms it follows: the server itself, a vCenter, one in three a standalone
    ESXi host, a Hyper-V host or cluster where it has Hyper-V jobs, one to three Windows proxies
    and up to two Linux repositories."""
    rng = random.Random(f"inventory:{g.seed}")
    servers = list(g.all("BackupServer").values())
    domains = [s.name.split(".", 1)[1] for s in servers if "." in s.name and not s.name[0].isdigit()]
    domain = domains[0] if domains else DEFAULT_DOMAIN
    namer = Namer(rng, {s.name for s in servers}, {})
    jobs = list(g.all("Job").values())

    def add(server: BackupServer, kind: ManagedServerType, description: str, name: str = "") -> None:
        name = name or namer.name(server, PREFIXES[kind], domain)
        g.add(ManagedServer(guid(rng), name, server.id, description, kind))

    for server in servers:
        platforms = {job.platform for job in jobs if job.backup_server_id == server.id}
        add(server, ManagedServerType.Local, "Backup server", server.name)
        add(server, ManagedServerType.VC, "vCenter Server")
        if rng.random() < 1 / 3:
            add(server, ManagedServerType.ESXi, "Standalone ESXi host for replicas")
        if Platform.HyperV in platforms:
            if rng.random() < 0.5:
                add(server, ManagedServerType.HvCluster, "Hyper-V failover cluster")
            else:
                add(server, ManagedServerType.HvServer, "Hyper-V host")
        for _ in range(rng.randint(1, 3)):
            add(server, ManagedServerType.Windows, "Backup proxy")
        for _ in range(rng.randint(0, 2)):
            add(server, ManagedServerType.Linux, "Hardened repository")


PREFIXES = {  # the host names a provider gives each kind of server
    ManagedServerType.VC: "vc",
    ManagedServerType.ESXi: "esx",
    ManagedServerType.HvServer: "hv",
    ManagedServerType.HvCluster: "hvclu",
    ManagedServerType.Windows: "proxy",
    ManagedServerType.Linux: "repo",
}


KIND = Kind(
    ManagedServer,
    noun="managed server",
    keys=(ON_SERVER,),
    readers=PORTAL,
    fixture=records("Id Name BackupServerId Description ManagedServerType", defaults={"Description": ""}),
    query=query,
    query_order=13,  # ties with BackupServer: listed right after it (registered later), as EntitiesType orders them
)

FAMILY = Family(
    KIND,
    PATH,
    values,
    ups=up_to_server,
    entity_downs=entity_downs,
    down=Down("LogonSession", 0.5),  # right after backup servers, as em12's LogonSession links them
    generates=generation_part(generate_managed_servers),
    reads=reads,
)
