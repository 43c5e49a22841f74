"""Who may log on, and how a presented name and password are checked.

EM users log on with HTTP Basic; user names compare case-insensitively (they are Windows
accounts) and may carry the machine or domain prefix (`EM01\\Administrator`). Passwords are
compared in constant time so that the mock does not teach clients timing habits.
"""

from __future__ import annotations

import hmac
from collections.abc import Iterable

from mock_em.model.entities import Account, CloudTenant, Role


def _same(a: str, b: str) -> bool:
    return hmac.compare_digest(a.encode("utf-8", "surrogatepass"), b.encode("utf-8", "surrogatepass"))


def bare_name(user_name: str) -> str:
    """`EM01\\Administrator` and `administrator@em01` both mean `administrator`."""
    name = user_name.rsplit("\\", 1)[-1]
    name = name.split("@", 1)[0]
    return name.casefold()


class Accounts:
    """The EM user accounts (from settings) that may log on with HTTP Basic."""

    def __init__(self, accounts: Iterable[Account], machine_name: str = "EM01") -> None:
        self._by_name = {bare_name(a.user_name): a for a in accounts}
        self.machine_name = machine_name

    def __iter__(self):
        return iter(self._by_name.values())

    def authenticate(self, user_name: str, password: str) -> Account | None:
        """The account these Basic credentials belong to, or None."""
        account = self._by_name.get(bare_name(user_name))
        # Compare even when the name is unknown, so the time taken does not tell names apart.
        expected = account.password if account else "\0" * max(len(password), 1)
        ok = _same(password, expected)
        return account if ok and account is not None else None

    def display_name(self, account: Account) -> str:
        """The `UserName` EM shows in a LogonSession: `MACHINE\\user` for EM users."""
        if account.tenant_id is not None or "\\" in account.user_name:
            return account.user_name
        return f"{self.machine_name}\\{account.user_name}"


def authenticate_tenant(tenants: Iterable[CloudTenant], username: str, password: str) -> Account | None:
    """The tenant account for Cloud Connect `TenantCredentials`, or None.

    Tenant names compare case-insensitively, as Veeam's do; a disabled tenant cannot log on.
    """
    wanted = username.casefold()
    for tenant in tenants:
        if tenant.username.casefold() == wanted:
            if _same(password, tenant.password) and tenant.enabled:
                return Account(tenant.username, tenant.password, Role.CloudTenant, tenant.id)
            return None
    _same(password, "\0" * max(len(password), 1))
    return None


def parse_user_spec(spec: str, role: Role = Role.PortalAdministrator) -> Account:
    """`NAME:PASSWORD[:ROLE]` (the `--user` flag) as an Account; ValueError when malformed."""
    name, sep, rest = spec.partition(":")
    if not sep or not name:
        raise ValueError(f"--user expects NAME:PASSWORD, got {spec!r}")
    password, sep, role_text = rest.rpartition(":")
    if sep and role_text in {r.value for r in Role if r is not Role.CloudTenant}:
        role = Role(role_text)
    else:
        password = rest
    return Account(name, password, role)
