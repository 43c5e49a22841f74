"""How a resource family is declared: everything mock-em knows about one vendor resource, in one
place, in the vendor's names.

A family module (`cloud_replicas.py`, …) builds one `Family`; `mock_em.registry` reads them all
and derives the routes, canonical paths, Hrefs and Down links, query types, fixture sections,
`/mock/about` and the tests' URL sets. See `docs/adding-a-family.md`.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from enum import Enum
from typing import TYPE_CHECKING, Any, ClassVar, TypeVar
from uuid import UUID

from mock_em.model.kinds import Kind, plural

if TYPE_CHECKING:
    from pydantic import BaseModel

    from mock_em.generator import Generation
    from mock_em.importer.entity import Completes, Reads
    from mock_em.model.access import Access
    from mock_em.model.enterprise_manager import EnterpriseManager
    from mock_em.model.world import World
    from mock_em.releases import ReleaseProfile
    from mock_em.wire.links import Hrefs, Link
    from mock_em.wire.template import Node

Values = Callable[["Hrefs", "World", Any, "Access"], dict[str, Any]]
LinkSet = Callable[["Hrefs", "World", Any, "Access"], list["Link"]]
ReleaseValues = Callable[[Any, "ReleaseProfile"], dict[str, Any]]


def no_links(h: Hrefs, world: World, obj: Any, access: Access) -> list[Link]:
    """A family with no links of this kind."""
    return []


@dataclass(frozen=True, slots=True)
class SubCollection:
    """`{item}/{segment}`: the objects of another family whose foreign key `key` names the item
    (a replica's `vmReplicaPoints`), or, with `through` (a kind and its attribute naming the listed
    objects), those that the objects of that kind whose `key` names the item name in turn (a
    hardware plan's `tenants`: the tenants of the compute resources that subscribe to it).
    `aliases` are further path templates serving the same list, with `{id}` for the item's id
    (where an older API kept it). `since`: the first release that serves it (None: every release
    that serves both families); an older one answers its paths as unknown ones, and the item's
    Down link to it is gated alike (`Family.since_links`)."""

    segment: str
    family: str  # the listed family's kind name
    key: str
    aliases: tuple[str, ...] = ()
    through: tuple[str, str] | None = None
    since: str | None = None

    def members(self, world: World, item_id: UUID) -> list[Any]:
        """The listed family's objects under one item, in store order."""
        objects = world.all(self.family).values()
        if self.through is None:
            return [o for o in objects if getattr(o, self.key) == item_id]
        name, attr = self.through
        named = {getattr(o, attr) for o in world.all(name).values() if getattr(o, self.key) == item_id}
        return [o for o in objects if o.id in named]


@dataclass(frozen=True, slots=True)
class Members:
    """What each object of a family holds that is no entity of its own: items with their own Href
    but no `Name`, `UID` or reference form (a `ResourceType`: a failover plan's VMs). The entity
    shows them inside (its `values` place `node`s), and they are served at `{item}/{segment}` (the
    `list_name` list) and `{item}/{segment}/{memberId}`.

    `of(obj)` gives an object's members in order (each with an `id`); `node(h, obj, member,
    position)` is one member's document, the same alone, in its list and inside the entity."""

    segment: str
    name: str  # the member's element and template (`CloudFailoveredVm`)
    list_name: str  # the list's element and template (`CloudFailoveredVms`)
    what: str  # one in messages (`Failover plan VM 1234… was not found`)
    of: Callable[[Any], list[Any]]
    node: Callable[[Hrefs, Any, Any, int], Node]


@dataclass(frozen=True, slots=True)
class Down:
    """Where a family's collections are linked from: `LogonSession`, `CloudConnectService`
    (`/api/cloud`) or `AgentsService` (`/api/agents`), at which position among that document's
    family links (a sort key: a family placed between two others takes a fraction, so theirs need
    not move); `tenants`: whether a tenant's session is offered the link where it may read the
    family (EM's tenant `/cloud` links only its replicas, their points and its failover plans)."""

    document: str
    position: float
    tenants: bool = True


# -- control-plane edits (`/mock/world/{segment}`, built by `mock_em.control.edits`) ----------------

E = TypeVar("E", bound=Enum)


class BadEdit(ValueError):
    """An edit the control plane refuses with a 400 and this message (a model-level error, so that
    family modules need not know the web layer)."""


def guid_of(text: str, what: str) -> UUID:
    """A GUID from a body field or path, or BadEdit in the words the control plane always used."""
    try:
        return UUID(text)
    except (ValueError, TypeError):
        raise BadEdit(f"{what} {text!r} is not a GUID") from None


def member_of(enum: type[E], value: str, field_name: str) -> E:
    """An enum member by its value in any case, or BadEdit listing the values."""
    for member in enum:
        if member.value.casefold() == value.casefold():
            return member
    raise BadEdit(f"{field_name}: {value!r} is not one of {', '.join(m.value for m in enum)}")


def store_new(world: World, obj: Any) -> None:
    """How a new object is stored unless its family says otherwise: `World.put`'s checks."""
    world.put(obj)


@dataclass(frozen=True, slots=True)
class EditRoute:
    """A family's own control route under `{segment}/{<noun>_id}` (a replica's `/vms`,
    `/vms/{vm_name}`). `run(manager, object id, id as sent, body, other path parameters)` answers;
    it raises BadEdit (400) or NotFound (404). `body` is the optional body's model."""

    method: str
    path: str
    run: Callable[[EnterpriseManager, UUID, str, Any, dict[str, str]], dict[str, Any]]
    body: type[BaseModel] | None = None
    status: int = 200
    summary: str = ""


@dataclass(frozen=True, slots=True)
class Edits:
    """How the control plane edits a family's objects under `/mock/world/{segment}`.

    * `new` and `build`: the body of a POST and the object it makes (ids and passwords from the
      EM's seeded RNG, so edits replay alike); `build` raises BadEdit or NotFound before it stores;
    * `store`: how the new object enters the world (a KeyError names a missing key's target, a
      ValueError is a conflict);
    * `json`: the object as the control plane shows it (vendor field names, as in fixtures);
    * `removed`: what a DELETE's answer counts of what went with the object (`pointsRemoved`);
    * `change` and `apply`: the body of a PATCH and what it does (`apply` reads the body, refusing
      a bad one before the id is looked at, and returns the change to make to the object);
    * `routes`: further routes of the family's own.
    """

    segment: str
    new: type[BaseModel]
    build: Callable[[EnterpriseManager, Any], Any]
    json: Callable[[Any], dict[str, Any]]
    store: Callable[[World, Any], None] = store_new
    removed: tuple[tuple[str, str], ...] = ()  # (answer field, kind counted)
    change: type[BaseModel] | None = None
    apply: Callable[[Any], Callable[[Any], None]] | None = None
    routes: tuple[EditRoute, ...] = ()


# -- the generator's part (`mock_em.generator`) --------------------------------------------------


@dataclass(frozen=True, slots=True)
class Generates:
    """A family's part of the world generator, which draws from one seeded RNG: the order of the
    draws is the world, so the parts run in a fixed order. A part without `per` runs once, in
    registry order, as `part(generation)`; a part with `per` (a kind's name) runs as
    `part(generation, parent)` each time that kind's part calls `generation.each(parent)` (a
    tenant's replication jobs are drawn right after the tenant)."""

    part: Callable[..., None]
    per: str | None = None


def generation_part(part: Callable[[Generation], None]) -> Generates:
    """A part that runs once, after the parts of the families registered before it."""
    return Generates(part)


class OfKind:
    """What a family and a tenant's nested resources share: they go by their kind's name, and
    the element names they leave empty are that name with a suffix (`SUFFIXES`: a list of
    `CloudReplica` is `CloudReplicas`, the suffix `s` standing for the plural as the vendor spells
    it, `Repositories`), as the vendor names most of them."""

    __slots__ = ()
    kind: Kind
    SUFFIXES: ClassVar[dict[str, str]] = {"list_name": "s"}

    def __post_init__(self) -> None:
        for attr, suffix in self.SUFFIXES.items():
            if not getattr(self, attr):
                name = self.kind.name
                object.__setattr__(self, attr, plural(name) if suffix == "s" else name + suffix)

    @property
    def name(self) -> str:
        """The vendor's type name (`CloudReplica`)."""
        return self.kind.name


@dataclass(frozen=True, slots=True)
class Family(OfKind):
    """One vendor resource family.

    * `kind`: the model's declaration (type, store, foreign keys, readers, tenant path);
    * `path`: the collection's path under `/api` (`/cloud/replicas`); items are `{path}/{id}`;
    * `list_name`: the entity list element (`CloudReplicas`: the kind's plural by default), whose template is in
      `resources/templates`, as are the entity templates (`kind.name`, and `in_list` where the
      vendor names a list's items otherwise);
    * `values`: the entity's own fields, by template hole;
    * `ups` and `downs`: the object's links before and after its `Alternate` link; `entity_downs`
      follow them in the entity form only (EM links a tenant's resources from its entity alone),
      `reference_links` in the reference form only (a failover plan's reference is Related to its
      tenant, its entity is not);
    * `subs`: sub-collections of an item; `members`: what an item holds that is no entity (served
      under the item); `down`: where the collections are linked from;
    * `fragments`: lists of this family keep each item's rendered bytes (for big lists);
    * `edits`: how the control plane adds, changes and removes its objects (None: it does not);
    * `generates`: the family's part of the world generator (None: generated worlds hold none);
    * `since`: the first Enterprise Manager release that serves the family (`mock_em.releases`;
      None: every release). In older releases the registry leaves it out of everything it derives
      (routes, path segments, Down links, query types), so its paths answer as unknown ones;
      the world still holds its objects, as the backup servers do whatever EM shows of them;
    * `since_fields`: members of the entity that came with a later release than the family, by
      template hole, each with the first release that has it (`{"BackupType": "10"}`); in an older
      release the wire layer gives the hole `ABSENT`, so the member is left out of XML and JSON;
    * `since_links`: links that came with a later release, by link `Type`, each with the first
      release that has it (`{"BackupFileReferenceList": "10"}`); an older release leaves them
      out of both forms;
    * `release_values`: members whose value is the release's rather than the object's alone (a
      backup server's `Version`: what the release's backup servers run), from the object and the
      release's profile, merged over `values`;
    * `reads`: the inverse of `values`, for `mock-em import`: from the entity form a source EM
      sent (`mock_em.importer.entity.Entity`), the model object (or objects, where the entity
      nests others); None: the family is not imported. `completes`: once every family is read,
      what the family's objects need from other kinds (a replica's VMs, from its points).

    Route code never asks which release it serves: `mock_em.wire.documents` applies these three
    for the app's release (docs/catalogue.md, "Fields and links by release").

    The query service's type is the model's business: `Kind.query`.
    """

    kind: Kind
    path: str
    values: Values
    list_name: str = ""  # the kind's name in the plural unless the vendor says otherwise
    ups: LinkSet = no_links
    downs: LinkSet = no_links
    entity_downs: LinkSet = no_links  # Down links only the entity form carries (a tenant's resources)
    reference_links: LinkSet = no_links  # links only the reference form carries (a plan's tenant)
    in_list: str | None = None
    subs: tuple[SubCollection, ...] = ()
    members: Members | None = None
    down: Down | None = None
    fragments: bool = False
    edits: Edits | None = None
    generates: Generates | None = None
    since: str | None = None
    # left out of the hash: mappings are unhashable, and a family is known by its kind and path
    since_fields: Mapping[str, str] = field(default_factory=dict, hash=False)
    since_links: Mapping[str, str] = field(default_factory=dict, hash=False)
    release_values: ReleaseValues | None = None
    reads: Reads | None = None
    completes: Completes | None = None

    @property
    def reference_type(self) -> str:
        """The `Type` of the family's references (`CloudReplicaReference`)."""
        return f"{self.kind.name}Reference"
