"""`/api/hierarchyRoots`: the virtualization hosts added to the backup servers connected to
Enterprise Manager, the roots of their virtual infrastructure.

A root is one of a backup server's managed servers (`managed_servers.py`) that is a vCenter, an
ESXi host, a Hyper-V host or cluster or an SCVMM, under the same id. It shows that id as
`HierarchyRootId`, the host's own `UniqueId` (a vCenter's InstanceUUID, a Hyper-V host's DNS
name) and its `HostType`; it links Up to its backup server and its entity is Related to its
managed server, as the vendor's examples show. The VMs of a server's jobs are named on its roots
(`mock_em.model.inventory`), and `/api/lookup?host=<root UID>` finds them. Portal
Administrators, Portal Users and Restore Operators (who restore from them) read roots. See
`docs/inventory.md`.
"""

from __future__ import annotations

import random
from typing import TYPE_CHECKING, Any
from urllib.parse import quote

from mock_em.importer.entity import Entity, Reading
from mock_em.model.access import Access
from mock_em.model.fixture_records import records
from mock_em.model.ids import guid
from mock_em.model.inventory import ROOT_TYPES, HierarchyRoot, HostType, ManagedServer
from mock_em.model.kinds import ON_SERVER, PORTAL_AND_RESTORE, Kind
from mock_em.model.query_columns import identity_fields, query_for, string_field
from mock_em.model.query_columns import text as text_column
from mock_em.model.query_fields import QueryType
from mock_em.model.world import World
from mock_em.resources import managed_servers
from mock_em.resources.backup_servers import server_fields, up_to_server
from mock_em.resources.family import Down, Family, generation_part
from mock_em.wire.links import Hrefs, Link

if TYPE_CHECKING:
    from mock_em.generator import Generation

PATH = managed_servers.ROOTS_PATH
MANAGED_SERVER = managed_servers.KIND.name


def values(h: Hrefs, world: World, root: HierarchyRoot, access: Access) -> dict[str, Any]:
    """The entity's own fields: its id again, the host's own id and the host's type."""
    return {"HierarchyRootId": str(root.id), "UniqueId": root.unique_id, "HostType": root.host_type.value}


def entity_downs(h: Hrefs, world: World, root: HierarchyRoot, access: Access) -> list[Link]:
    """The entity is Related to its managed server (the same id), for callers who may read those."""
    server = world.all(MANAGED_SERVER).get(root.id)
    if server is None or not access.reads(MANAGED_SERVER):
        return []
    return [Link("Related", MANAGED_SERVER, h.item(managed_servers.PATH, server.id, True), server.name)]


def query(kind: Kind) -> QueryType:
    """The query type: the vendor's table of HierarchyRoot fields (get_query_hierarchyroot);
    `HostType` is a String there, compared as text."""
    return query_for(
        kind,
        *identity_fields("HierarchyRoot"),
        string_field("UniqueId", text_column("unique_id")),
        string_field("HostType", text_column("host_type._value_")),
        *server_fields(),
    )


# -- the import's reader ----------------------------------------------------------------------------


# Where a root's reader leaves the names of the VMs the lookup found on it, by root id, in the
# reading's notes (`job_reading` gives them to the jobs whose VMs nothing else shows).
LOOKUP_VMS = "HierarchyRoot.Vms"


def lookup_url(root: Entity) -> str | None:
    """Where the source lists the VMs on a root (its lookup, the crawl's one read beside the
    families'): `/api/lookup?host=<root UID>&name=*&type=Vm`; None for a root without a UID."""
    uid = root.get("UID")
    return None if not uid else f"/api/lookup?host={quote(str(uid), safe=':')}&name=*&type=Vm"


def with_lookup(root: Entity, answer: Any) -> Entity:
    """A root's entity with the items its lookup answered (`HierarchyItemList`, in PascalCase)
    as `HierarchyItems`, which `reads` keeps for the jobs; the entity alone where the answer holds
    no list."""
    items = answer.get("HierarchyItems") if isinstance(answer, dict) else None
    if not isinstance(items, list):
        return root
    return Entity({**root.data, "HierarchyItems": items})


def reads(entity: Entity, reading: Reading) -> HierarchyRoot:
    """A root as its entity shows it (every attribute is shown). Roots keep the source's order:
    the first root of a server and platform is where its jobs' VMs live (`inventory.root_index`).

    The entity shows no VMs, but the lookup on the root does (`/api/lookup?host=<UID>&name=*&
    type=Vm`, `lookup_url`): where the crawl puts its answer's items in the entity as
    `HierarchyItems` (`with_lookup`), their VMs' names are kept (`LOOKUP_VMS`), in the lookup's
    order, for the jobs (`job_reading`)."""
    root = HierarchyRoot(
        entity.id, entity.name, managed_servers.server_of(entity), entity.get("UniqueId", ""),
        entity.member("HostType", HostType),
    )  # fmt: skip
    items = entity.items("HierarchyItems")
    if items:
        names = [i.get("ObjectName", "") for i in items if str(i.get("ObjectType", "")).casefold() == "vm"]
        reading.notes.setdefault(LOOKUP_VMS, {})[root.id] = names
    return root


# -- the generator's part ------------------------------------------------------------------------


def generate_roots(g: Generation) -> None:
    """A root for each managed server that is a virtualization host, under its id; a VMware
    host's `UniqueId` is drawn from an RNG of its own (`hierarchy:{seed}`), a Hyper-V host's is
    its name."""
    rng = random.Random(f"hierarchy:{g.seed}")
    server: ManagedServer
    for server in g.all(MANAGED_SERVER).values():
        host_type = ROOT_TYPES.get(server.managed_server_type)
        if host_type is None:
            continue
        hyper_v = host_type in (HostType.HvServer, HostType.HvCluster, HostType.Scvmm)
        unique_id = server.name if hyper_v else str(guid(rng))
        g.add(HierarchyRoot(server.id, server.name, server.backup_server_id, unique_id, host_type))


KIND = Kind(
    HierarchyRoot,
    noun="hierarchy root",
    keys=(ON_SERVER,),
    readers=PORTAL_AND_RESTORE,
    fixture=records("Id Name BackupServerId UniqueId HostType"),
    query=query,
    query_order=11,  # ties with ReplicaTaskSession: listed after it (registered later), as EntitiesType orders them
)

FAMILY = Family(
    KIND,
    PATH,
    values,
    ups=up_to_server,
    entity_downs=entity_downs,
    down=Down("LogonSession", 1.5),  # after jobs, before repositories, as em12's LogonSession links them
    generates=generation_part(generate_roots),
    reads=reads,
)
