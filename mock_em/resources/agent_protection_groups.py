"""`/api/agents/protectionGroups`: the protection groups of the backup servers connected to
Enterprise Manager (v10+), each with its discovered computers at
`/api/agents/protectionGroups/{id}/discoveredComputers`. See `docs/agents.md`.

Links as the vendor's docs show them: Up to the backup server, Alternate, and Down to the group's
computers (the reference form to their references, the entity form to their entities).
"""

from __future__ import annotations

import random
from typing import TYPE_CHECKING, Any

from mock_em.importer.entity import Entity, Reading
from mock_em.model.access import Access
from mock_em.model.agents import AgentProtectionGroup
from mock_em.model.fixture_records import records
from mock_em.model.ids import guid
from mock_em.model.kinds import ON_SERVER, PORTAL, Kind
from mock_em.model.query_columns import identity_fields, query_for
from mock_em.model.query_fields import QueryType
from mock_em.model.world import World
from mock_em.resources.backup_servers import server_fields, up_to_server
from mock_em.resources.family import Down, Family, SubCollection, generation_part
from mock_em.resources.managed_servers import server_of
from mock_em.wire.links import ENTITY, Hrefs, Link

if TYPE_CHECKING:
    from mock_em.generator import Generation

PATH = "/agents/protectionGroups"
COMPUTERS = SubCollection("discoveredComputers", "DiscoveredComputer", "protection_group_id")
SINCE = "10"  # Veeam Agent management reached Enterprise Manager's REST API with v10 (em-api-monitoring.md §5)


def values(h: Hrefs, world: World, group: AgentProtectionGroup, access: Access) -> dict[str, Any]:
    """Whether the group rediscovers its computers on a schedule, and its hierarchy reference."""
    return {"RescanScheduleEnabled": group.rescan_schedule_enabled, "HierarchyObjRef": group.hierarchy_obj_ref}


def query(kind: Kind) -> QueryType:
    """The query type: the vendor's table of AgentProtectionGroup fields (get_query_agentprotectiongroup)."""
    return query_for(kind, *identity_fields("AgentProtectionGroup"), *server_fields())


def computers_reference(h: Hrefs, world: World, group: AgentProtectionGroup, access: Access) -> list[Link]:
    """The reference form links Down to its computers' references."""
    return [Link("Down", "DiscoveredComputerReferenceList", h.sub(PATH, group.id, COMPUTERS.segment))]


def computers_entity(h: Hrefs, world: World, group: AgentProtectionGroup, access: Access) -> list[Link]:
    """The entity form links Down to its computers' entities."""
    return [Link("Down", "DiscoveredComputerList", h.sub(PATH, group.id, COMPUTERS.segment) + ENTITY)]


# -- the import's reader ----------------------------------------------------------------------------


def reads(entity: Entity, reading: Reading) -> AgentProtectionGroup:
    """A protection group as its entity shows it (its `HierarchyObjRef` follows from its id);
    a source that leaves `RescanScheduleEnabled` out gives true, the vendor's default."""
    return AgentProtectionGroup(
        entity.id, entity.name, server_of(entity), bool(entity.get("RescanScheduleEnabled", True))
    )


# -- the generator's part ------------------------------------------------------------------------

RNG_NOTE = "agents_rng"  # the agents' own RNG, which the computers' part draws on after the groups'


def agents_rng(g: Generation) -> random.Random:
    """The agents' own RNG (`agents:<seed>`): no draw of an older family moves."""
    rng = g.notes.get(RNG_NOTE)
    if rng is None:
        rng = g.notes[RNG_NOTE] = random.Random(f"agents:{g.seed}")
    return rng


def generate_groups(g: Generation) -> None:
    """Each backup server's protection groups: `Physical Servers` always, often `Linux Servers`
    and `Workstations`, and now and then one for computers the provider backs up for a tenant
    on that server (still the provider's: tenants read no agent objects)."""
    rng = agents_rng(g)
    tenants = list(g.all("CloudTenant").values())
    for server in list(g.all("BackupServer").values()):
        names = ["Physical Servers"]
        if rng.random() < 0.5:
            names.append("Linux Servers")
        if rng.random() < 0.6:
            names.append("Workstations")
        for tenant in [t for t in tenants if t.backup_server_id == server.id][:2]:
            if rng.random() < 0.3:
                names.append(f"{tenant.name} Servers")
        for name in names:
            g.add(AgentProtectionGroup(guid(rng), name, server.id, rng.random() < 0.85))


KIND = Kind(
    AgentProtectionGroup,
    noun="protection group",
    keys=(ON_SERVER,),
    readers=PORTAL,
    fixture=records("Id Name BackupServerId RescanScheduleEnabled"),
    query=query,
    query_order=17,  # after the Cloud Connect types, as EM 12's query entities list AgentProtectionGroups
)

FAMILY = Family(
    KIND,
    PATH,
    values,
    ups=up_to_server,
    entity_downs=computers_entity,
    reference_links=computers_reference,
    subs=(COMPUTERS,),
    down=Down("AgentsService", 0),  # before the computers, as the vendor's `/api/agents` links them
    generates=generation_part(generate_groups),
    since=SINCE,
    reads=reads,
)
