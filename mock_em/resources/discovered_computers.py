"""`/api/agents/discoveredComputers`: the computers the backup servers' protection groups
discovered (v10+), with their Veeam Agent's state. See `docs/agents.md`.

Links as the vendor's docs show them: Up to the backup server, Alternate, and (the entity form
only) Up to the computer's protection group. The vendor's own Href of a computer points at
`/backupTaskSessions/{id}`, a bug; mock-em's points at the computer (em-api-monitoring.md §5).
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from mock_em.importer.entity import Entity, Reading, Unreadable
from mock_em.model.access import Access
from mock_em.model.agents import AgentProtectionGroup, AgentStatus, DiscoveredComputer, HostStatus
from mock_em.model.fixture_records import records
from mock_em.model.ids import guid
from mock_em.model.kinds import ON_SERVER, PORTAL, ForeignKey, Kind
from mock_em.model.query_columns import (
    enum_field,
    identity_fields,
    query_for,
    ranked,
    string_field,
    uid_field,
    via,
)
from mock_em.model.query_columns import text as text_column
from mock_em.model.query_fields import QueryType
from mock_em.model.world import World
from mock_em.resources import agent_protection_groups as groups
from mock_em.resources.backup_servers import server_fields, up_to_server
from mock_em.resources.family import Down, Family, generation_part
from mock_em.resources.managed_servers import server_of
from mock_em.wire.links import Hrefs, Link

if TYPE_CHECKING:
    import random

    from mock_em.generator import Generation
    from mock_em.model.entities import BackupServer

PATH = "/agents/discoveredComputers"


def values(h: Hrefs, world: World, computer: DiscoveredComputer, access: Access) -> dict[str, Any]:
    """The computer's state as its backup server last saw it, in the vendor's order."""
    return {
        "HostStatus": computer.host_status.value,
        "AgentVersion": computer.agent_version,
        "AgentStatus": computer.agent_status.value,
        "OsVersion": computer.os_version,
        "IpAddress": computer.ip_address,
        "HierarchyObjRef": computer.hierarchy_obj_ref,
    }


def query(kind: Kind) -> QueryType:
    """The query type: the vendor's table of DiscoveredComputer fields (get_query_discoveredcomputer)."""

    def group_names(world: World) -> dict[int, str]:
        return {gid.int: group.name.casefold() for gid, group in world.all("AgentProtectionGroup").items()}

    return query_for(
        kind,
        *identity_fields("DiscoveredComputer"),
        *server_fields(),
        string_field("AgentVersion", text_column("agent_version")),
        enum_field("AgentStatus", ranked("agent_status", AgentStatus), (s.value for s in AgentStatus)),
        string_field("OsVersion", text_column("os_version")),
        string_field("IpAddress", text_column("ip_address")),
        uid_field("ProtectionGroupUid", "protection_group_id.int", "AgentProtectionGroup"),
        string_field("ProtectionGroupName", via("protection_group_id.int", group_names)),
    )


def up_to_group(h: Hrefs, world: World, computer: DiscoveredComputer, access: Access) -> list[Link]:
    """The entity links Up to the computer's protection group, after its Alternate link."""
    if not access.reads(groups.KIND):
        return []
    group = world.all("AgentProtectionGroup")[computer.protection_group_id]
    return [Link("Up", "AgentProtectionGroupReference", h.item(groups.PATH, group.id), group.name)]


# -- the import's reader ----------------------------------------------------------------------------


def reads(entity: Entity, reading: Reading) -> DiscoveredComputer:
    """A computer as its entity shows it: its group from its Up `AgentProtectionGroupReference`
    (its `HierarchyObjRef` follows from its id). A source that leaves the agent's version, OS or
    address out gives "" (as a computer without an agent shows its version)."""
    group = entity.link_id("AgentProtectionGroupReference", "Up")
    if group is None:
        raise Unreadable(f"{entity.name!r} links Up to no protection group")
    return DiscoveredComputer(
        entity.id, entity.name, server_of(entity), group,
        entity.member("HostStatus", HostStatus), entity.member("AgentStatus", AgentStatus),
        entity.get("AgentVersion", ""), entity.get("OsVersion", ""), entity.get("IpAddress", ""),
    )  # fmt: skip


# -- the generator's part ------------------------------------------------------------------------

# Veeam Agent for Windows and for Linux, as each backup server release ships them, by the
# server's version prefix (the newest prefix that matches).
AGENT_VERSIONS = (
    ("9.5.0", "2.2.0.589", "2.0.1.665"),
    ("9.5.4", "3.0.2.1170", "3.0.2.1185"),
    ("10.", "4.0.0.1811", "4.0.0.2359"),
    ("11.", "5.0.0.4301", "5.0.0.4318"),
    ("12.", "6.0.0.960", "6.0.0.1060"),
    ("13.", "13.0.0.4967", "13.0.0.1947"),
)
WINDOWS_SERVERS = (
    "Microsoft Windows Server 2016 (1607, 64-bit)",
    "Microsoft Windows Server 2019 (1809, 64-bit)",
    "Microsoft Windows Server 2022 (21H2, 64-bit)",
)
WORKSTATIONS = ("Microsoft Windows 10 Pro (22H2, 64-bit)", "Microsoft Windows 11 Enterprise (23H2, 64-bit)")
LINUX = (
    "Ubuntu 20.04.6 LTS (64-bit)",
    "Ubuntu 22.04.4 LTS (64-bit)",
    "Red Hat Enterprise Linux 8.9 (64-bit)",
    "Red Hat Enterprise Linux 9.3 (64-bit)",
)
UNSUPPORTED = {False: "Microsoft Windows Server 2008 R2 (7601, 64-bit)", True: "CentOS 6.10 (64-bit)"}  # by linux
SERVER_ROLES = ("app", "sql", "fs", "dc", "web", "exch", "erp", "print")
LINUX_ROLES = ("web", "db", "k8s-node", "proxy", "mail", "git")
STATUSES = (  # the agent's state and its weight: most installed, some not yet, a few failed or excluded
    (AgentStatus.Installed, 80),
    (AgentStatus.NotInstalled, 10),
    (AgentStatus.Failed, 4),
    (AgentStatus.UnsupportedOs, 3),
    (AgentStatus.Exclude, 3),
)


def agent_version(server: BackupServer, linux: bool) -> str:
    """The agent a server of this version deploys (that of the newest known release before an
    unknown version)."""
    found = AGENT_VERSIONS[-1]
    for row in AGENT_VERSIONS:
        if server.version.startswith(row[0]):
            found = row
    return found[2 if linux else 1]


def domain_of(server: BackupServer) -> str:
    """The DNS domain of a server's computers: the server's own, or `corp.local` for a server
    named by its IP address."""
    first, _, rest = server.name.partition(".")
    return rest if rest and not first.isdigit() else "corp.local"


def draw_computer(
    rng: random.Random, server: BackupServer, group: AgentProtectionGroup, subnet: str, taken: set[str]
) -> DiscoveredComputer:
    """One computer of a group: its name and OS by what the group protects, its address in the
    server's private subnet, most online with an installed agent."""
    linux = group.name == "Linux Servers" or (group.name != "Workstations" and rng.random() < 0.2)
    while True:
        if group.name == "Workstations":
            name = f"WS-{rng.randint(1000, 9999)}"
            os_version = rng.choice(WORKSTATIONS)
        elif linux:
            name = f"{rng.choice(LINUX_ROLES)}{rng.randint(1, 20):02d}"
            if rng.random() < 0.5:
                name += f".{domain_of(server)}"
            os_version = rng.choice(LINUX)
        else:
            name = f"{rng.choice(SERVER_ROLES)}{rng.randint(1, 20):02d}.{domain_of(server)}"
            os_version = rng.choice(WINDOWS_SERVERS)
        address = f"{subnet}.{rng.randint(2, 254)}"
        if name not in taken and address not in taken:
            taken.update((name, address))
            break
    status = rng.choices([s for s, _ in STATUSES], [w for _, w in STATUSES])[0]
    if status is AgentStatus.UnsupportedOs:
        os_version = UNSUPPORTED[linux]  # an OS older than the agent supports, of the same family
    online = HostStatus.Online if rng.random() < 0.85 else HostStatus.Offline
    version = agent_version(server, linux) if status in (AgentStatus.Installed, AgentStatus.Failed) else ""
    return DiscoveredComputer(guid(rng), name, server.id, group.id, online, status, version, os_version, address)


def generate_computers(g: Generation) -> None:
    """Up to 12 computers per backup server (at least 3 on the first, so every world shows
    some), each in one of the server's protection groups, drawn after the groups from the
    agents' own RNG."""
    rng = groups.agents_rng(g)
    by_server: dict[Any, list[AgentProtectionGroup]] = {}
    for group in g.all("AgentProtectionGroup").values():
        by_server.setdefault(group.backup_server_id, []).append(group)
    for number, server in enumerate(g.all("BackupServer").values()):
        if not by_server.get(server.id):
            continue
        subnet = rng.choice((f"10.{rng.randint(0, 255)}.{rng.randint(0, 255)}", f"192.168.{rng.randint(0, 255)}"))
        taken: set[str] = set()
        for _ in range(rng.randint(3 if number == 0 else 0, 12)):
            group = rng.choice(by_server[server.id])
            g.add(draw_computer(rng, server, group, subnet, taken))


KIND = Kind(
    DiscoveredComputer,
    noun="discovered computer",
    keys=(ON_SERVER, ForeignKey("protection_group_id", "AgentProtectionGroup")),
    readers=PORTAL,
    fixture=records("Id Name BackupServerId ProtectionGroupId HostStatus AgentStatus AgentVersion OsVersion IpAddress"),
    query=query,
    query_order=18,  # right after AgentProtectionGroup, as EM 12's query entities list DiscoveredComputers
)

FAMILY = Family(
    KIND,
    PATH,
    values,
    ups=up_to_server,
    entity_downs=up_to_group,
    down=Down("AgentsService", 1),
    generates=generation_part(generate_computers),
    since=groups.SINCE,
    reads=reads,
)
