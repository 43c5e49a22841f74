"""The one access policy: what a logged-on caller may read, asked by reads, queries, links and
the control plane alike.

Two rules, both read from the kinds' declarations (`mock_em.model.kinds`):

* a role may read a kind or not at all (`Kind.readers`): a Restore Operator reads restore points
  and the replicas they belong to, never the provider's configuration (403, `Forbidden`);
* a Cloud Connect tenant sees only what leads to itself through the kinds' foreign keys
  (`Kind.tenant_key`), or the provider's objects its own objects name (`Kind.shared_through`: the
  hardware plans it subscribes to), and learns nothing of other tenants: another tenant's id is
  simply not found (404, `NotFound`).
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from operator import attrgetter
from typing import Any
from uuid import UUID

from mock_em.model.entities import Account, Role
from mock_em.model.kinds import Kind, kind
from mock_em.model.world import World


class NotFound(LookupError):
    """The object does not exist, or the caller may not know that it does."""


class Forbidden(PermissionError):
    """The caller's role may not read this kind of resource."""


@dataclass(frozen=True, slots=True)
class Access:
    """The view of the world that one session has: its role, and its tenant if it is one."""

    role: Role
    tenant_id: UUID | None = None

    @classmethod
    def of(cls, account: Account) -> Access:
        """The access of an account."""
        return cls(account.role, account.tenant_id)

    @property
    def is_tenant(self) -> bool:
        """A Cloud Connect tenant's own logon."""
        return self.tenant_id is not None

    @property
    def sees_all_sessions(self) -> bool:
        """Sees every live session under `/logonSessions`, not only its own."""
        return self.role is Role.PortalAdministrator

    def reads(self, what: Kind | str) -> bool:
        """May read objects of this kind at all."""
        readers = (kind(what) if isinstance(what, str) else what).readers
        return readers is None or self.role in readers

    def require(self, what: Kind) -> None:
        """Forbidden unless this role may read the kind."""
        if not self.reads(what):
            raise Forbidden(what.denied)


ADMIN = Access(Role.PortalAdministrator)


def tenant_ids(world: World, what: Kind, tenant_id: UUID) -> set[UUID] | None:
    """The ids of the objects of a kind that lead to `tenant_id`, worked out once per kind along
    the foreign keys (a million points need one set of replica ids, not a million walks); None
    when every object of the kind belongs to no tenant."""
    key = what.tenant_key
    if what.shared_through is not None:
        return _shared_ids(world, what.shared_through, tenant_id)
    if key is None:
        return None
    objects = world.all(what.name)
    if key == "id":
        return {tenant_id} if tenant_id in objects else set()
    target = kind(what.key(key).target)
    if target.tenant_key == "id":
        return {o.id for o in objects.values() if getattr(o, key) == tenant_id}
    parents = tenant_ids(world, target, tenant_id) or set()
    return {o.id for o in objects.values() if getattr(o, key) in parents}


def _shared_ids(world: World, through: tuple[str, str], tenant_id: UUID) -> set[UUID]:
    """The ids that a tenant's own objects of the kind `through` names hold in its attribute."""
    name, attr = through
    own = tenant_ids(world, kind(name), tenant_id) or set()
    objects = world.all(name)
    return {getattr(objects[i], attr) for i in own}


def visible(world: World, what: Kind, access: Access, objects: Iterable[Any] | None = None) -> list[Any]:
    """The objects of a kind (or those of `objects`) the caller sees, in store order; Forbidden for
    a role that may not read the kind."""
    access.require(what)
    items = world.all(what.name).values() if objects is None else objects
    tenant_id, key = access.tenant_id, what.tenant_key
    if tenant_id is None:
        return list(items)
    if what.shared_through is not None:
        shared = _shared_ids(world, what.shared_through, tenant_id)
        return [o for o in items if o.id in shared]
    if key is None:
        return []
    if key == "id":
        return [o for o in items if o.id == tenant_id]
    parents, get = _parent_ids(world, what, tenant_id), attrgetter(key)
    return [o for o in items if get(o) in parents]


def _parent_ids(world: World, what: Kind, tenant_id: UUID) -> set[UUID]:
    """The ids an object's tenant key may hold for it to belong to `tenant_id`."""
    assert what.tenant_key is not None
    target = kind(what.key(what.tenant_key).target)
    return {tenant_id} if target.tenant_key == "id" else tenant_ids(world, target, tenant_id) or set()


def sees(world: World, what: Kind, access: Access, obj: Any) -> bool:
    """Whether the caller sees this one object (its role may read the kind)."""
    if not access.reads(what):
        return False
    return access.tenant_id is None or belongs_to(world, what, obj, access.tenant_id)


def belongs_to(world: World, what: Kind, obj: Any, tenant_id: UUID) -> bool:
    """Whether a tenant sees this object: it leads to the tenant, or the tenant's own objects name
    it (`Kind.shared_through`)."""
    if what.shared_through is not None:
        return obj.id in _shared_ids(world, what.shared_through, tenant_id)
    return owner(world, what, obj) == tenant_id


def owner(world: World, what: Kind, obj: Any) -> UUID | None:
    """The tenant an object belongs to, following its foreign keys; None for provider objects
    (those that tenants share too)."""
    key = what.tenant_key
    while key is not None:
        if key == "id":
            return obj.id
        target = kind(what.key(key).target)
        obj = world.all(target.name).get(getattr(obj, key))
        if obj is None:
            return None
        what, key = target, target.tenant_key
    return None


def find(world: World, what: Kind, access: Access, object_id: UUID) -> Any:
    """One object the caller may see: Forbidden for a role that may not read the kind, NotFound
    for an unknown id or another tenant's object."""
    access.require(what)
    obj = world.all(what.name).get(object_id)
    if obj is None or not sees(world, what, access, obj):
        raise NotFound(f"{what.what} {object_id} was not found")
    return obj
