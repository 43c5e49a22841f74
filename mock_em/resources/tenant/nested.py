"""How a tenant's nested resources are declared: objects EM shows inside a Cloud Connect tenant's
entity and under `/cloud/tenants/{id}/<segment>`, `/{id}/<segment>/{itemId}` (backup resources,
compute resources).

They are no entities (no `Name`, no `UID`, no reference form): a `ResourceType` with an `Id`
attribute, so they are no `Family`. The model stores them as a kind of their own (foreign key to
the tenant, so a tenant's logon sees its own and removing a tenant removes them); the registry
serves their routes and knows their path segments (`mock_em.registry.NESTED_ROUTES`).
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any, ClassVar

from mock_em.model.kinds import Kind
from mock_em.resources.family import OfKind

if TYPE_CHECKING:
    from mock_em.model.access import Access
    from mock_em.model.world import World
    from mock_em.wire.links import Hrefs, Link
    from mock_em.wire.template import Node

Values = Callable[["Hrefs", "World", Any, "Access"], dict[str, Any]]

PARENT_PATH = "/cloud/tenants"


@dataclass(frozen=True, slots=True)
class Nested(OfKind):
    """One kind of a tenant's nested resources.

    * `kind`: the model's declaration (its tenant key names the tenant);
    * `segment`: the path segment under a tenant (`resources`);
    * `list_name`: the list element (`CloudTenantResources`, by default the kind's plural), whose template is in
      `resources/templates` beside the item's (`kind.name`) and the item as the tenant's entity
      holds it (`in_tenant`, by default `…InTenant`: no links there, as EM writes it);
    * `values`: the item's own fields, by template hole (`Href`, `Type`, `Links` are filled here).
    """

    kind: Kind
    segment: str
    values: Values
    list_name: str = ""
    in_tenant: str = ""

    SUFFIXES: ClassVar[dict[str, str]] = {"list_name": "s", "in_tenant": "InTenant"}

    @property
    def list_path(self) -> str:
        """The list's route under `/api`, with `{id}` for the tenant."""
        return f"{PARENT_PATH}/{{id}}/{self.segment}"

    @property
    def item_path(self) -> str:
        """One item's route under `/api`."""
        return f"{self.list_path}/{{item_id}}"


def item_href(h: Hrefs, nested: Nested, obj: Any) -> str:
    """`…/api/cloud/tenants/{tenant}/<segment>/{id}`: where one nested resource is served."""
    return f"{h.api}{PARENT_PATH}/{obj.tenant_id}/{nested.segment}/{obj.id}"


def list_href(h: Hrefs, nested: Nested, tenant_id: Any) -> str:
    """`…/api/cloud/tenants/{tenant}/<segment>`: a tenant's list of them."""
    return f"{h.api}{PARENT_PATH}/{tenant_id}/{nested.segment}"


def node(h: Hrefs, nested: Nested, world: World, obj: Any, access: Access, links: list[Link] | None = None) -> Node:
    """One nested resource's document: alone or in its list (with `links`), or as the tenant's
    entity holds it (`links` None: no `<Links>` in XML, `"Links": null` in JSON, as EM writes a
    list it has not filled)."""
    from mock_em.wire.documents import link_elements
    from mock_em.wire.template import TEMPLATES

    fields = nested.values(h, world, obj, access)
    if links is None:
        return TEMPLATES.node(nested.in_tenant, Href=item_href(h, nested, obj), Links=None, **fields)
    return TEMPLATES.node(nested.kind.name, Href=item_href(h, nested, obj), Links=link_elements(links), **fields)
