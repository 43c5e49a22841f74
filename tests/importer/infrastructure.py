"""For the infrastructure readers' tests: a served world imported back, and the same EM serving it.

The crawl reads each hierarchy root's lookup (`with_lookup`): the only place the wire shows the
VMs of a job that has not run in the source's history.

`imported_with_borrowed(client)` reads the served world's entities as an import does and makes
its objects with the families' readers; the kinds no family reads yet are taken from the served
world as they are (copies), so the readers under test are judged on their own: each family's
`completes` sees them as it will see what their readers make. The derived kinds (sessions and the
catalogue) are given to `completes` only, not to the world: the EM serving the result derives
them from the jobs read, so their answers test what the readers recovered of the jobs.
"""

from __future__ import annotations

import copy
import re
from typing import Any

from conftest import BASE, EmClient, check_response
from served import entities_of

from mock_em.app import create_app
from mock_em.importer.build import DERIVED, complete, read_entities
from mock_em.importer.entity import Entity, Reading
from mock_em.model.enterprise_manager import EnterpriseManager
from mock_em.model.kinds import kinds
from mock_em.model.world import World
from mock_em.releases import profile
from mock_em.resources import FAMILIES, hierarchy_roots

JSON = {"Accept": "application/json"}
TASK_KINDS = {"BackupTaskSession", "ReplicaTaskSession"}
LOGON_SESSION = re.compile(r"/logonSessions/[0-9a-f-]{36}")  # the caller's own session: each EM draws its id


def imported_with_borrowed(client: EmClient) -> tuple[World, list[str], set[str]]:
    """The world an import of this EM makes, the kinds without a reader taken from the served
    world; its warnings and the kinds borrowed."""
    token = client.logon()
    release = client.app.state.settings.release  # type: ignore[attr-defined]
    entities = entities_of(client, token)
    entities["HierarchyRoot"] = [with_lookup(client, token, root) for root in entities.get("HierarchyRoot", ())]
    source = client.em.world
    reading = Reading(profile(release))
    readable = {f.kind.name for f in FAMILIES if f.reads is not None}
    read_entities(entities, reading)
    borrowed = {name for name in kinds() if name not in readable and name not in reading.found}
    for name in borrowed:
        reading.found[name] = copy.deepcopy(dict(source.all(name)))
    for name in TASK_KINDS & borrowed:  # a task session's entity shows its VM's display name only
        for task in reading.found[name].values():
            task.vm_name = task.vm_display_name
    complete(reading)
    world = World.of(*([] if name in DERIVED else reading.found.get(name, {}).values() for name in kinds()))
    world.release = release
    return world, reading.warnings, borrowed


def with_lookup(client: EmClient, token: str, root: Entity) -> Entity:
    """A root's entity with the items of the lookup of its VMs, as the import's crawl reads
    them for the jobs whose VMs nothing else shows (`hierarchy_roots.lookup_url`, `with_lookup`)."""
    url = hierarchy_roots.lookup_url(root)
    assert url is not None
    response = client.get_as(token, url, headers=JSON)
    assert response.status_code == 200, response.text
    return hierarchy_roots.with_lookup(root, response.json())


def serving(world: World, like: EmClient) -> EmClient:
    """A checked client over an EM serving `world` as `like`'s does: its settings, seed and frozen
    clock instant."""
    settings = like.app.state.settings  # type: ignore[attr-defined]
    em = EnterpriseManager.create(
        world, settings.accounts, seed=like.em.seed, clock=like.em.clock, instants=settings.profile.instants
    )
    client = EmClient(create_app(em, settings), base_url=BASE)
    client.em = em
    client.event_hooks = {"request": [], "response": [check_response]}
    return client


def answers(client: EmClient, urls: list[str]) -> dict[str, Any]:
    """Each URL's status and body, in XML and in JSON (Hrefs name the same host in both EMs), the
    caller's logon session's id aside."""
    token = client.logon()
    found: dict[str, Any] = {}
    for url in urls:
        for form, headers in (("xml", {}), ("json", JSON)):
            response = client.get_as(token, url, headers=headers)
            found[f"{form} {url}"] = (response.status_code, LOGON_SESSION.sub("/logonSessions/…", response.text))
    return found
