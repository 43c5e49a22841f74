"""A canonical crawl of an EM: every answer a client can ask of what the world holds, by URL,
in XML and JSON, so that two EMs can be compared answer by answer.

It asks for the root and the service documents, every family's collection in both forms, every
item in both forms (every one for kinds of up to `ITEMS_PER_KIND` objects, an even sample of
that many otherwise, as every object's entity is in the query service's answers anyway), each
sampled item's sub-collections and members, the query service for every type in both formats
with all objects on one page and a small first page (paging links), the summary report and its
frames, and the lookup service for every hierarchy root. Logon sessions are left out: their ids
are the EM's own and never the world's.
"""

from __future__ import annotations

import base64
from collections.abc import Iterator
from typing import Any

from conftest import EmClient

from mock_em import registry
from mock_em.model.world import World

ITEMS_PER_KIND = 40
NOTATIONS = {"xml": {"Accept": "application/xml"}, "json": {"Accept": "application/json"}}
FRAMES = ("", "/overview", "/vms_overview", "/job_statistics", "/processed_vms", "/repository")


def sample(ids: list[Any], most: int = ITEMS_PER_KIND) -> list[Any]:
    """At most `most` ids, evenly spread over the list (its first and last among them)."""
    if len(ids) <= most:
        return ids
    step = (len(ids) - 1) / (most - 1)
    return [ids[round(i * step)] for i in range(most)]


def urls(world: World, release: str, whole_up_to: int | None = None) -> Iterator[tuple[str, tuple[str, ...]]]:
    """Every URL the crawl asks, for a world served in `release`, in a fixed order, with the
    notations it is asked in. A kind of more than `whole_up_to` objects (None: no bound) has its
    whole list asked once, as the query service's entities in JSON (every member of every
    object, written once), rather than in each of the eight views of a list (a big world's
    lists are a hundred megabytes each); its paged and item answers are asked as any other's."""
    for url in _urls(world, release):
        big = whole_up_to is not None and _whole_list_of(url, world) > whole_up_to
        if not big:
            yield url, tuple(NOTATIONS)
        elif "format=Entities" in url and "pageSize=1000000" in url:
            yield url, ("json",)


def _whole_list_of(url: str, world: World) -> int:
    """How many objects a whole-list URL answers with (0 for any other URL)."""
    path, _, query = url.partition("?")
    if "pageSize=1000000" in query:
        kind_name = query.split("type=", 1)[1].split("&", 1)[0]
        return len(world.all(kind_name))
    for route in registry.family_routes():
        if route.shape == "list" and path == f"/api{route.path}":
            return len(world.all(route.family.kind.name))
    return 0


def _urls(world: World, release: str) -> Iterator[str]:
    yield "/api/"
    yield "/api/querySvc"
    yield "/api/lookupSvc"
    for path in registry.service_paths(release):
        yield f"/api{path}"
    for route in registry.routes(release):
        ids = sample(list(world.all(route.family.kind.name)))
        if route.shape == "list":
            yield f"/api{route.path}"
            yield f"/api{route.path}?format=Entity"
            continue
        for obj_id in ids:
            path = f"/api{route.path}".replace("{id}", str(obj_id))
            yield path
            if route.shape == "item":
                yield f"{path}?format=Entity"
    for family, listed, item in registry.release_member_routes(release):
        for obj_id in sample(list(world.all(family.kind.name))):
            obj = world.all(family.kind.name)[obj_id]
            yield f"/api{listed}".replace("{id}", str(obj_id))
            for member in family.members.of(obj):  # type: ignore[union-attr]
                yield f"/api{item}".replace("{id}", str(obj_id)).replace("{member_id}", str(member.id))
    for kind_name in sorted(registry.kind_names(release)):
        kind = registry.family(kind_name).kind
        if kind.query is None:
            continue
        yield f"/api/query?type={kind_name}&pageSize=1000000"
        yield f"/api/query?type={kind_name}&format=Entities&pageSize=1000000"
        yield f"/api/query?type={kind_name}&format=Entities&pageSize=7&page=2"
    for frame in FRAMES:
        yield f"/api/reports/summary{frame}"
    for root_id in world.all("HierarchyRoot"):
        yield f"/api/lookup?host=urn:veeam:HierarchyRoot:{root_id}&name=*&type=Vm"


def crawl(
    client: EmClient, token: str, world: World, release: str, whole_up_to: int | None = None
) -> dict[str, tuple[int, str]]:
    """Each URL's status and body, in XML and JSON (`xml /api/...`, `json /api/...`), the
    caller's session id (which the lookup service links) written as `SESSION`."""
    session_id = base64.b64decode(token).decode()
    answers: dict[str, tuple[int, str]] = {}
    for url, notations in urls(world, release, whole_up_to):
        for notation in notations:
            response = client.get_as(token, url, headers=NOTATIONS[notation])
            answers[f"{notation} {url}"] = (response.status_code, response.text.replace(session_id, "SESSION"))
    return answers


def differences(a: dict[str, tuple[int, str]], b: dict[str, tuple[int, str]], most: int = 5) -> list[str]:
    """The first URLs whose answers differ, each with where the bodies part."""
    found = []
    for url in a:
        if a[url] != b.get(url):
            left, right = a[url], b.get(url, (0, ""))
            at = next((i for i, (x, y) in enumerate(zip(left[1], right[1], strict=False)) if x != y), 0)
            found.append(f"{url}: {left[0]} vs {right[0]}: …{left[1][max(0, at - 80) : at + 120]!r} vs "
                         f"…{right[1][max(0, at - 80) : at + 120]!r}")  # fmt: skip
            if len(found) >= most:
                break
    return found
