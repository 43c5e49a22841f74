"""The registry of resource families: every family module is registered, tested, served and
linked, its templates exist with the holes its values fill, and its foreign keys name kinds
registered before it. A family added without any of these fails here."""

from __future__ import annotations

import importlib
import pkgutil
from collections.abc import Callable
from pathlib import Path

import pytest
from conftest import BASE, EmClient
from xmlutil import API, body, logon

import mock_em.resources
from mock_em import registry
from mock_em.model.access import ADMIN
from mock_em.model.kinds import kind, kinds
from mock_em.registry import FamilyRoute
from mock_em.releases import has_arrived
from mock_em.resources import FAMILIES, NESTED
from mock_em.resources.family import Family
from mock_em.wire.links import Hrefs
from mock_em.wire.template import TEMPLATES

NOT_FAMILIES = {
    "family",
    "job_session_families",
    "catalogue_families",
    "job_edits",
    "job_reading",
    "__init__",
}  # what several families share
FAMILY_MODULES = sorted(
    m.name for m in pkgutil.iter_modules(mock_em.resources.__path__) if m.name not in NOT_FAMILIES and not m.ispkg
)
HERE = Path(__file__).resolve().parent
# What every entity template holds besides the family's own values.
ENTITY_HOLES = {"Href", "Name", "UID", "Links"}


def test_every_family_module_is_registered() -> None:
    """Each module of `mock_em.resources` declares a `FAMILY` that `FAMILIES` lists, and
    `FAMILIES` holds nothing else."""
    assert FAMILY_MODULES
    declared = [importlib.import_module(f"mock_em.resources.{name}").FAMILY for name in FAMILY_MODULES]
    for name, family in zip(FAMILY_MODULES, declared, strict=True):
        assert family in FAMILIES, f"mock_em/resources/{name}.py: add its FAMILY to mock_em.resources.FAMILIES"
    assert len(FAMILIES) == len(declared) == len({f.name for f in FAMILIES})


@pytest.mark.parametrize("module", FAMILY_MODULES)
def test_every_family_has_its_own_tests(module: str) -> None:
    """A family comes with `tests/resources/test_<module>.py` (copy a sibling's)."""
    assert (HERE / f"test_{module}.py").is_file(), f"add tests/resources/test_{module}.py"


@pytest.mark.parametrize("route", registry.ROUTES, ids=[r.path for r in registry.ROUTES])
def test_every_route_is_served(em_client: Callable[..., EmClient], route: FamilyRoute) -> None:
    """Each family route answers an administrator 200 in a release that serves it, in both
    forms, with a real id of the world for item and sub-collection routes; an item's Href is the
    route's own."""
    client = em_client(release=registry.route_release(route))
    token, _ = logon(client)
    ids = list(client.em.world.all(route.family.name))
    assert ids, f"the generated world has no {route.family.kind.plural}"
    url = f"/api{route.path}".format(id=ids[0])
    listed = client.em.world.all(route.listed.name).values()
    if route.sub is not None:
        listed = route.sub.members(client.em.world, ids[0])
    for suffix, list_root in (("", "EntityReferences"), ("?format=Entity", route.listed.list_name)):
        if route.shape == "item":
            root = body(client.get_as(token, url + suffix), 200, route.family.name if suffix else "EntityRef")
            assert root.get("Href") == f"{BASE}{url}{suffix}"
        else:
            assert len(body(client.get_as(token, url + suffix), 200, list_root)) == len(listed) > 0


def test_vendor_paths_are_the_routes() -> None:
    """`/mock/about` and the tests read the same routes: each family's collection and item first."""
    paths = registry.vendor_paths()
    assert len(paths) == len(set(paths)) == len(registry.ROUTES)
    for f in FAMILIES:
        assert {f"/api{f.path}", f"/api{f.path}/{{id}}"} <= set(paths)
        assert {f"/api{f.path}/{{id}}/{s.segment}" for s in f.subs} <= set(paths)


def test_canonical_segments_hold_every_path_segment() -> None:
    """Every segment of every route has its canonical camelCase spelling, and the segment before
    each `{id}` is known to be followed by an id (kept exactly as sent)."""
    canonical = registry.canonical_segments()
    for route in registry.ROUTES:
        parts = [p for p in route.path.split("/") if p]
        for i, part in enumerate(parts):
            if part == "{id}":
                assert parts[i - 1] in registry.id_collections(), route.path
            else:
                assert canonical[part.casefold()] == part, route.path


@pytest.mark.parametrize("family", FAMILIES, ids=[f.name for f in FAMILIES])
def test_templates_exist_with_the_holes_the_values_fill(client: EmClient, family: Family) -> None:
    """The entity template (`name`, and `in_list` where given) is a `family.name` of the vendor
    whose holes are the family's values and the entity's own; the list template (`list_name`)
    holds its items."""
    obj = next(iter(client.em.world.all(family.name).values()))
    values = family.values(Hrefs(BASE), client.em.world, obj, ADMIN)
    for name in {family.name, family.in_list or family.name}:
        template = TEMPLATES[name]
        assert template.keys == ENTITY_HOLES | set(values), name
    assert TEMPLATES[family.name].root_name == family.name
    assert TEMPLATES[family.list_name].root_name == family.list_name
    assert TEMPLATES[family.list_name].keys == {"Items"}


@pytest.mark.parametrize("family", FAMILIES, ids=[f.name for f in FAMILIES])
def test_foreign_keys_name_registered_kinds_declared_before(family: Family) -> None:
    """Every foreign key names a registered kind, registered before this one (fixtures and checks
    read kinds in this order); the tenant key is `id` or one of the kind's foreign keys; each
    sub-collection lists a registered family by a foreign key naming this one."""
    order = list(kinds())
    assert order == [f.name for f in FAMILIES] + [n.name for n in NESTED]  # a tenant's nested kinds last
    for key in family.kind.keys:
        assert key.target in order, f"{family.name}.{key.attr} names unknown kind {key.target}"
        assert order.index(key.target) < order.index(family.name), f"{family.name} must come after {key.target}"
        assert key.attr in family.kind.model.__dataclass_fields__, f"{family.name} has no attribute {key.attr}"
    if family.kind.tenant_key not in (None, "id"):
        family.kind.key(family.kind.tenant_key)  # KeyError: not a foreign key
    for sub in family.subs:  # the key names the item, from the listed kind or the kind between
        holder = kind(sub.through[0]) if sub.through else registry.family(sub.family).kind
        assert holder.key(sub.key).target == family.name, sub
        if sub.through:
            assert holder.key(sub.through[1]).target == sub.family, sub


def test_down_links_hold_every_family_once(em_client: Callable[..., EmClient]) -> None:
    """Each family's collection is linked from one document (the LogonSession, `/api/cloud` or
    `/api/agents`), at a position no other family of that document takes, and an administrator
    of the newest release (which serves every family) sees the link, and each service document
    from the LogonSession."""
    client = em_client(release=registry.NEWEST_RELEASE)
    token, session_id = logon(client)
    for document in ("LogonSession", *registry.SERVICES):
        positions = [f.down.position for f in registry.linked_from(document) if f.down is not None]
        assert len(positions) == len(set(positions)), document
    assert all(f.down is not None for f in FAMILIES), "a family without `down` is linked from nowhere"
    session = body(client.get_as(token, f"/api/logonSessions/{session_id}"))
    services = [f"{API}{path}" for path in registry.service_paths(registry.NEWEST_RELEASE)]
    assert set(services) <= set(session.xpath("//@Href"))
    documents = [session, *(body(client.get_as(token, href.removeprefix(BASE))) for href in services)]
    linked = {h for root in documents for h in root.xpath("//@Href")}
    assert {f"{API}{f.path}" for f in FAMILIES} <= linked


@pytest.mark.parametrize("release", ["9.5u4", "10", "12"])
def test_a_release_serves_and_links_the_families_it_has(em_client: Callable[..., EmClient], release: str) -> None:
    """What a release serves follows `Family.since` (and `SubCollection.since`) alone: every route
    of a family it has answers, every route of a newer family or sub-collection answers as an
    unknown path (404 naming the path as sent), its service documents are linked only where it has
    families under them, and the query service offers the types of its own families only."""
    client = em_client(release=release)
    token, session_id = logon(client)
    world = client.em.world
    served = {f.name for f in registry.families(release)}

    def has(route: FamilyRoute) -> bool:
        arrived = route.sub is None or has_arrived(route.sub.since, release)
        return route.family.name in served and route.listed.name in served and arrived

    assert served and [r.path for r in registry.routes(release)] == [r.path for r in registry.ROUTES if has(r)]
    for route in registry.ROUTES:
        object_id = next(iter(world.all(route.family.name)))
        url = f"/api{route.path}".format(id=object_id)
        response = client.get_as(token, url)
        if has(route):
            assert response.status_code == 200, url
        else:
            assert response.status_code == 404, url
            assert body(response, 404).get("Message") == f"The resource '{url}' was not found"
    session_links = set(body(client.get_as(token, f"/api/logonSessions/{session_id}")).xpath("//@Href"))
    for name in registry.SERVICES:
        path = registry.service_paths(None)[registry.SERVICES.index(name)]
        has = name in registry.services(release)
        assert (f"{API}{path}" in session_links) == has, name
        assert client.get_as(token, f"/api{path}").status_code == (200 if has else 404), name
    query_types = {
        href.split("type=")[1].split("&")[0]
        for href in body(client.get_as(token, "/api/querySvc")).xpath("//@Href")
        if "type=" in href
    }
    assert query_types == {name for name in served if registry.family(name).kind.query is not None}
