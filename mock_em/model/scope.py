"""What one logged-on account may see and use: the model's answer to "may this caller read that?".

Tenants see only their own cloud resources (and learn nothing of other tenants: another tenant's
id is simply not found). Restore Operators may read restore points and the replicas they belong
to, but not the provider's configuration (backup servers, tenants).
"""

from __future__ import annotations

from dataclasses import dataclass
from uuid import UUID

from mock_em.model.entities import Account, Role


@dataclass(frozen=True, slots=True)
class Scope:
    """The view of the world that one session has."""

    role: Role
    tenant_id: UUID | None = None

    @classmethod
    def of(cls, account: Account) -> Scope:
        """The scope of an account."""
        return cls(account.role, account.tenant_id)

    @property
    def is_tenant(self) -> bool:
        """A Cloud Connect tenant's own logon."""
        return self.tenant_id is not None

    @property
    def reads_backup_servers(self) -> bool:
        """May list and read `/backupServers`."""
        return self.role in (Role.PortalAdministrator, Role.PortalUser)

    @property
    def reads_tenants(self) -> bool:
        """May list and read `/cloud/tenants`."""
        return self.role in (Role.PortalAdministrator, Role.PortalUser)

    @property
    def sees_all_sessions(self) -> bool:
        """Sees every live session under `/logonSessions`, not only its own."""
        return self.role is Role.PortalAdministrator


ADMIN = Scope(Role.PortalAdministrator)
