"""What the model knows of a kind of object: its vendor name, its dataclass, its keys.

Each resource family (`mock_em.resources`) declares one `Kind`; the generic store (`World`), the
access policy (`mock_em.model.access`), fixtures and the query service read these declarations
instead of naming kinds one by one, so a new family needs no edit in the model's code.

The model may not import the families (they sit above it, beside the wire layer); `kinds()` finds
them on first use.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from functools import cache
from typing import TYPE_CHECKING, Any

from mock_em.model.entities import Role

if TYPE_CHECKING:
    from mock_em.model.query_fields import QueryType


@dataclass(frozen=True, slots=True)
class ForeignKey:
    """An attribute holding the id of an object of another kind. The referenced object must exist
    (`World.check`), and removing it removes this object too when `cascade` is set."""

    attr: str
    target: str  # the referenced kind's vendor name
    cascade: bool = True


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
class FixtureSection:
    """A kind's section of a fixture file (`CloudReplicas`): each object as JSON and back. `load`
    raises KeyError, TypeError or ValueError for data it cannot take; the fixture reader says where."""

    name: str
    dump: Callable[[Any], dict[str, Any]]
    load: Callable[[dict[str, Any]], Any]


@dataclass(frozen=True, slots=True)
class Kind:
    """A kind of object the world stores, named as the vendor names it (`CloudReplica`).

    `what` names one in messages (`Cloud replica 1234… was not found`); `plural` names the lot in
    the denial of a role that may not read them. `holds` are the lists of items that name objects
    of other kinds (`Held`). `readers` are the roles that may read the kind (None: every role).
    `tenant_key` is how an object leads to the Cloud Connect tenant it belongs to: `"id"` for a
    tenant itself, a foreign key's attribute (followed through its target kind's own
    `tenant_key`), or None for provider objects no tenant sees. `fixture` is its
    section of a fixture file; `query` builds its type in the query service (from the kind, whose
    readers and tenant path decide what a caller may query), `query_order` is where the query
    service lists it (the vendor's order).
    """

    name: str
    model: type
    what: str
    plural: str
    noun: str  # what a fixture check calls one (`replica 'X' names unknown tenant …`)
    keys: tuple[ForeignKey, ...] = ()
    holds: tuple[Held, ...] = ()
    readers: frozenset[Role] | None = None
    tenant_key: str | None = None
    fixture: FixtureSection | None = None
    query: Callable[[Kind], QueryType] | None = None
    query_order: int = 0

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
