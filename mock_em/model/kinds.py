"""What the model knows of a kind of object: its vendor name, its dataclass, its keys.

Each resource family (`mock_em.resources`) declares one `Kind`; the generic store (`World`), the
access policy (`mock_em.model.access`), fixtures and the query service read these declarations
instead of naming kinds one by one, so a new family needs no edit in the model's code.

The model may not import the families (they sit above it, beside the wire layer); `kinds()` finds
them on first use.
"""

from __future__ import annotations

import re
from collections.abc import Callable
from dataclasses import dataclass, field
from functools import cache
from typing import TYPE_CHECKING, Any

from mock_em.model.entities import Role
from mock_em.model.fixture_records import FixtureSection, Records

ACRONYMS = {"Vm": "VM", "Ip": "IP"}  # words the vendor spells in capitals inside a kind's name

PORTAL = frozenset({Role.PortalAdministrator, Role.PortalUser})  # provider staff: no restore operators
PORTAL_AND_TENANTS = PORTAL | {Role.CloudTenant}  # and each tenant, for what is its own
PORTAL_AND_RESTORE = PORTAL | {Role.RestoreOperator}  # and restore operators: the backup catalogue

if TYPE_CHECKING:
    from mock_em.model.query_fields import QueryType


def plural(word: str) -> str:
    """A vendor noun in the plural, as the vendor spells it (`CloudTenants`, `Repositories`,
    `CloudPublicIpAddresses`)."""
    if word.endswith("y") and word[-2:-1] not in ("a", "e", "o", "u"):
        return word[:-1] + "ies"
    return word + ("es" if word.endswith("s") else "s")


@dataclass(frozen=True, slots=True)
class ForeignKey:
    """An attribute holding the id of an object of another kind. The referenced object must exist
    (`World.check`), and removing it removes this object too when `cascade` is set."""

    attr: str
    target: str  # the referenced kind's vendor name
    cascade: bool = True


ON_SERVER = ForeignKey("backup_server_id", "BackupServer")  # what a backup server holds goes with it
OF_TENANT = ForeignKey("tenant_id", "CloudTenant")  # what a tenant owns goes with it


@dataclass(frozen=True, slots=True)
class Held:
    """Items an object holds in a list attribute (`items`), each naming an object of another kind
    by its attribute `attr` (a failover plan's VMs name their replicas). Each must name an existing
    object (`World.check`); removing that object drops the items that name it from the list, and
    the holder stays."""

    items: str
    attr: str
    target: str  # the named kind's vendor name


@dataclass(frozen=True, slots=True)
class Kind:
    """A kind of object the world stores, named as the vendor names it: by its dataclass's name
    (`CloudReplica`).

    `noun` is what a fixture check calls one (`replica 'X' names unknown tenant …`); messages
    name one by `what` (`Cloud replica 1234… was not found`) and the lot by `plural` (the denial
    of a role that may not read them), both spelled from the name. `holds` are the lists of items
    that name objects of other kinds (`Held`). `readers` are the roles that may read the kind
    (None: every role). `tenant_key` is how an object leads to the Cloud Connect tenant it
    belongs to: `"id"` for a tenant itself, a foreign key's attribute (followed through its
    target kind's own `tenant_key`), or None for provider objects no tenant sees.
    `shared_through` names a tenant's own kind and its attribute that names objects of this kind:
    a provider object that many tenants use (a hardware plan, through the compute resources that
    subscribe to it) is seen by each of them, and by no other tenant.
    `fixture` is its section of a fixture file (`CloudReplicas`, the name's plural); `query`
    builds its type in the query service (from the kind, whose readers and tenant path decide
    what a caller may query), `query_order` is where the query service lists it (the vendor's
    order).
    """

    model: type
    noun: str
    keys: tuple[ForeignKey, ...] = ()
    holds: tuple[Held, ...] = ()
    readers: frozenset[Role] | None = None
    tenant_key: str | None = None
    shared_through: tuple[str, str] | None = None
    fixture: Records | None = None
    query: Callable[[Kind], QueryType] | None = None
    query_order: int = 0
    name: str = field(init=False)
    what: str = field(init=False)
    plural: str = field(init=False)
    section: FixtureSection | None = field(init=False)

    def __post_init__(self) -> None:
        name = self.model.__name__
        words = [ACRONYMS.get(w, w.lower()) for w in re.findall(r"[A-Z][a-z0-9]*", name)]
        what = " ".join(words)
        object.__setattr__(self, "name", name)
        object.__setattr__(self, "what", what[0].upper() + what[1:])
        object.__setattr__(self, "plural", plural(what))
        section = None if self.fixture is None else self.fixture.section(plural(name), self.model)
        object.__setattr__(self, "section", section)

    @property
    def denied(self) -> str:
        """The message of a 403 for a role that may not read this kind."""
        return f"Access denied: your role may not read {self.plural}"

    def key(self, attr: str) -> ForeignKey:
        """The foreign key held in `attr`."""
        for key in self.keys:
            if key.attr == attr:
                return key
        raise KeyError(attr)


@cache
def kinds() -> dict[str, Kind]:
    """Every kind, by vendor name, in the order the families are registered (the order of a
    world's sections in fixtures, and of checks), then the kinds a tenant's entity nests
    (`mock_em.resources.tenant`)."""
    from mock_em.resources import FAMILIES, NESTED  # the families sit above the model: found on first use

    found = {family.kind.name: family.kind for family in FAMILIES}
    found.update((nested.kind.name, nested.kind) for nested in NESTED)
    return found


def kind(name: str) -> Kind:
    """A kind by vendor name."""
    return kinds()[name]


def kind_of(obj: Any) -> Kind:
    """The kind of a model object."""
    return _by_model()[type(obj)]


@cache
def _by_model() -> dict[type, Kind]:
    return {k.model: k for k in kinds().values()}
