"""Veeam Agent management as Enterprise Manager shows it (v10+, `/api/agents`): the protection
groups of each backup server and the computers they discovered.

A computer belongs to one protection group of its own backup server; both belong to the
provider (no Cloud Connect tenant reads them). See `docs/agents.md`.
"""

from __future__ import annotations

import enum
from dataclasses import dataclass
from uuid import UUID

# The first part of the vendor's HierarchyObjRef of agent objects (`urn:AgentForWindows:VeeamAgent:
# 00000000-0000-0000-0000-000000000000.<id>`): the docs write it so for every protected computer.
AGENT_HOST = "urn:AgentForWindows"
NO_HOST = UUID(int=0)


class HostStatus(enum.Enum):
    """`HostStatus`: whether the backup server reached the computer at its last rescan."""

    Online = "Online"
    Offline = "Offline"


class AgentStatus(enum.Enum):
    """`AgentStatus`: the Veeam Agent's installation state, in the vendor's order."""

    NotInstalled = "NotInstalled"
    Installed = "Installed"
    UnsupportedOs = "UnsupportedOs"
    Failed = "Failed"
    Exclude = "Exclude"


@dataclass(slots=True)
class AgentProtectionGroup:
    """A protection group of a backup server: the computers it discovers get Veeam Agents;
    `rescan_schedule_enabled` is whether it rediscovers them on a schedule."""

    id: UUID
    name: str
    backup_server_id: UUID
    rescan_schedule_enabled: bool = True

    @property
    def hierarchy_obj_ref(self) -> str:
        """The group as the vendor's docs reference it."""
        return f"{AGENT_HOST}:AgentProtectionGroup:{NO_HOST}.{self.id}"


@dataclass(slots=True)
class DiscoveredComputer:
    """A computer a protection group discovered (`name`: its FQDN or host name). `agent_version`
    is empty where no agent is installed."""

    id: UUID
    name: str
    backup_server_id: UUID
    protection_group_id: UUID
    host_status: HostStatus
    agent_status: AgentStatus
    agent_version: str
    os_version: str
    ip_address: str

    @property
    def hierarchy_obj_ref(self) -> str:
        """The computer as the vendor's docs reference it: its id after the agent host's."""
        return f"{AGENT_HOST}:VeeamAgent:{NO_HOST}.{self.id}"
