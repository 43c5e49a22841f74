"""How a resource family is declared: everything mock-em knows about one vendor resource, in one
place, in the vendor's names.

A family module (`cloud_replicas.py`, …) builds one `Family`; `mock_em.registry` reads them all
and derives the routes, canonical paths, Hrefs and Down links, query types, fixture sections,
`/mock/about` and the tests' URL sets. See `docs/adding-a-family.md`.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

from mock_em.model.kinds import Kind

if TYPE_CHECKING:
    from mock_em.model.access import Access
    from mock_em.model.world import World
    from mock_em.wire.links import Hrefs, Link

Values = Callable[["Hrefs", "World", Any, "Access"], dict[str, Any]]
LinkSet = Callable[["Hrefs", "World", Any, "Access"], list["Link"]]


def no_links(h: Hrefs, world: World, obj: Any, access: Access) -> list[Link]:
    """A family with no links of this kind."""
    return []


@dataclass(frozen=True, slots=True)
class SubCollection:
    """`{item}/{segment}`: the objects of another family whose foreign key `key` names the item
    (a replica's `vmReplicaPoints`). `aliases` are further path templates serving the same list,
    with `{id}` for the item's id (where an older API kept it)."""

    segment: str
    family: str  # the listed family's kind name
    key: str
    aliases: tuple[str, ...] = ()


@dataclass(frozen=True, slots=True)
class Down:
    """Where a family's collections are linked from: `LogonSession` or `CloudConnectService`
    (`/api/cloud`), at which position among that document's family links."""

    document: str
    position: int


@dataclass(frozen=True, slots=True)
class Family:
    """One vendor resource family.

    * `kind`: the model's declaration (type, store, foreign keys, readers, tenant path);
    * `path`: the collection's path under `/api` (`/cloud/replicas`); items are `{path}/{id}`;
    * `list_name`: the entity list element (`CloudReplicas`), whose template is in
      `resources/templates`, as are the entity templates (`kind.name`, and `in_list` where the
      vendor names a list's items otherwise);
    * `values`: the entity's own fields, by template hole;
    * `ups` and `downs`: the object's links before and after its `Alternate` link; `entity_downs`
      follow them in the entity form only (EM links a tenant's resources from its entity alone);
    * `subs`: sub-collections of an item; `down`: where the collections are linked from;
    * `fragments`: lists of this family keep each item's rendered bytes (for big lists).

    The query service's type is the model's business: `Kind.query`.
    """

    kind: Kind
    path: str
    list_name: str
    values: Values
    ups: LinkSet = no_links
    downs: LinkSet = no_links
    entity_downs: LinkSet = no_links  # Down links only the entity form carries (a tenant's resources)
    in_list: str | None = None
    subs: tuple[SubCollection, ...] = ()
    down: Down | None = None
    fragments: bool = False

    @property
    def name(self) -> str:
        """The vendor's type name (`CloudReplica`)."""
        return self.kind.name

    @property
    def reference_type(self) -> str:
        """The `Type` of the family's references (`CloudReplicaReference`)."""
        return f"{self.kind.name}Reference"

    @property
    def segments(self) -> tuple[str, ...]:
        """The path's segments (`cloud`, `replicas`)."""
        return tuple(s for s in self.path.split("/") if s)
