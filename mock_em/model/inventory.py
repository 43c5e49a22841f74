"""The backup servers' inventory: the servers each has added (`/api/managedServers`), the
virtualization hosts among them that are the roots of its virtual infrastructure
(`/api/hierarchyRoots`), and how a VM on such a host is named (its `HierarchyObjRef`).

The vendor names a VM `urn:<Platform>:Vm:<HierarchyRootId>.<ObjectRef>` ("Constructing
HierarchyObjRefType"): the id of the host it lives on (a vCenter, a standalone ESXi, a Hyper-V
host or cluster), then the host's own id of the VM (a vSphere managed object id `vm-<n>`, a
Hyper-V VM's GUID). The VMs of a backup server's jobs of one platform live on the first of the
server's roots of that platform, in store order, so the VM restore points, `/api/lookup` and the
roots agree. A server with jobs of a platform but no root of it (a fixture written before the
inventory, or a job added later) names its VMs by the backup server's id instead, as mock-em
did before it had an inventory.

The catalogue names a VM up to a million times per world (once per VM restore point): it looks
each VM's reference up once per job, on the world's `roots_of`, and a reference is built once per
(root, platform, VM) across derivations (`ref_on`).
"""

from __future__ import annotations

import enum
from collections.abc import Mapping
from dataclasses import dataclass
from functools import lru_cache
from typing import Any
from uuid import UUID

from mock_em.model.day_random import DayRandom
from mock_em.model.entities import Platform
from mock_em.model.ids import guid


class ManagedServerType(enum.Enum):
    """`ManagedServerType`, in the order the vendor's query table lists its values
    (get_query_managedserver); `Local` is the backup server itself."""

    ESX = "ESX"
    VC = "VC"
    Linux = "Linux"
    Local = "Local"
    Windows = "Windows"
    ESXi = "ESXi"
    HvServer = "HvServer"
    HvCluster = "HvCluster"
    Scvmm = "Scvmm"
    BackupServer = "BackupServer"
    SanHost = "SanHost"
    SmbServer = "SmbServer"
    SmbCluster = "SmbCluster"
    VcdSystem = "VcdSystem"
    Cloud = "Cloud"
    AzureWinServer = "AzureWinServer"
    VmSnapshotStorageHost = "VmSnapshotStorageHost"
    ConfigurationService = "ConfigurationService"
    ExternalInfrastructureProxy = "ExternalInfrastructureProxy"
    NdmpServer = "NdmpServer"
    ExternalInfrastructureServer = "ExternalInfrastructureServer"


class HostType(enum.Enum):
    """A hierarchy root's `HostType`, in the order of the vendor's query table (get_query_hierarchyroot)."""

    ESX = "ESX"
    VC = "VC"
    ESXi = "ESXi"
    HvServer = "HvServer"
    HvCluster = "HvCluster"
    Scvmm = "Scvmm"
    VcdSystem = "VcdSystem"


# The platform whose VMs a host holds (a Cloud Director system's VMs are vCloud's).
HOST_PLATFORM = {
    HostType.ESX: Platform.VMware,
    HostType.VC: Platform.VMware,
    HostType.ESXi: Platform.VMware,
    HostType.HvServer: Platform.HyperV,
    HostType.HvCluster: Platform.HyperV,
    HostType.Scvmm: Platform.HyperV,
    HostType.VcdSystem: Platform.vCloud,
}
# The managed server types that are virtualization hosts, and so hierarchy roots, by the root's host type.
ROOT_TYPES = {ManagedServerType(t.value): t for t in HostType}


@dataclass(slots=True)
class ManagedServer:
    """A server added to a backup server: the backup server itself (`Local`), the virtualization
    hosts it backs up from and the Windows and Linux servers it uses as proxies and repositories.
    `name` is the DNS name or IP address it was added by."""

    id: UUID
    name: str
    backup_server_id: UUID
    description: str
    managed_server_type: ManagedServerType


@dataclass(slots=True)
class HierarchyRoot:
    """A virtualization host added to a backup server at the top of its virtual infrastructure.
    Its id is its managed server's id, as EM shows them (`HierarchyRootId`); `unique_id` is the
    host's own (a vCenter's InstanceUUID, a Hyper-V host's DNS name)."""

    id: UUID
    name: str
    backup_server_id: UUID
    unique_id: str
    host_type: HostType

    @property
    def platform(self) -> Platform:
        """The platform whose VMs this host holds."""
        return HOST_PLATFORM[self.host_type]


ROOT_KIND = "HierarchyRoot"
ROOT_URN = "urn:veeam:HierarchyRoot:"
# The object types the vendor's lookup takes, by platform, in its words ("Lookup Query").
LOOKUP_TYPES = {
    Platform.VMware: ("VM", "Host", "Cluster", "Template", "VirtualApp", "Vc", "Datacenter", "Folder", "Datastore",
                      "ComputeResource", "ResourcePool", "Tag", "Category", "StoragePod"),
    Platform.HyperV: ("Vm", "Host", "Cluster", "Scvmm", "HostGroup", "VmGroup"),
    Platform.vCloud: ("VcdSystem", "Organization", "OrgVdc", "Vapp", "Vm", "VappTemplate", "VmTemplate"),
}  # fmt: skip
URN_PLATFORMS = {"vmware": Platform.VMware, "hyperv": Platform.HyperV, "vcloud": Platform.vCloud}

# -- which root a VM lives on ---------------------------------------------------------------------

RootIndex = Mapping[tuple[UUID, Platform], UUID]


def root_index(roots: Mapping[UUID, HierarchyRoot]) -> dict[tuple[UUID, Platform], UUID]:
    """The root the VMs of each (backup server, platform) live on: the first such root in store order."""
    index: dict[tuple[UUID, Platform], UUID] = {}
    for root in roots.values():
        index.setdefault((root.backup_server_id, root.platform), root.id)
    return index


def roots_of(world: Any) -> dict[tuple[UUID, Platform], UUID]:
    """`root_index` of a world's hierarchy roots."""
    return root_index(world.all(ROOT_KIND))


def vm_ref(backup_server_id: UUID, platform: Platform, vm_name: str, index: RootIndex) -> str:
    """The `HierarchyObjRef` of a VM of a backup server's jobs of one platform: on the root the
    `index` (`roots_of`) gives, else on the backup server itself."""
    return ref_on(index.get((backup_server_id, platform), backup_server_id), platform, vm_name)


@lru_cache(maxsize=1 << 17)
def ref_on(root_id: UUID, platform: Platform, vm_name: str) -> str:
    """A VM's reference on a root. The host's id of the VM (a vSphere `vm-<n>`, a Hyper-V GUID) is
    drawn from the root and the VM's name alone, so every job and point of the VM names it alike,
    and a VM moved to another root gets another id, as a real move does."""
    rng = DayRandom(f"{root_id}:{vm_name}:moref")
    if platform is Platform.HyperV:
        return f"urn:HyperV:Vm:{root_id}.{guid(rng)}"
    return f"urn:{platform.value}:Vm:{root_id}.vm-{rng.randint(100, 99_999)}"
