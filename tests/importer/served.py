"""A served world's entities as an import reads them, and the world they make back.

For the readers' tests: every family's entities in entity form, through the query service where
the family has a query type (following its `Next` links) and its collection otherwise, from an
in-process EM; then `build_world` over them, as `mock-em import` does.
"""

from __future__ import annotations

from typing import Any

from conftest import EmClient

from mock_em.importer.build import build_world
from mock_em.importer.entity import Entity
from mock_em.model.world import World
from mock_em.resources import FAMILIES

JSON = {"Accept": "application/json"}
PAGE_SIZE = 1000


def entities_of(client: EmClient, token: str) -> dict[str, list[Entity]]:
    """Every family's entities the session may read (a 403 or 404 reads as none), by kind."""
    found: dict[str, list[Entity]] = {}
    for family in FAMILIES:
        if family.reads is None:
            continue
        name = family.kind.name
        if family.kind.query is not None:
            url: str | None = f"/api/query?type={name}&format=Entities&pageSize={PAGE_SIZE}"
            items: list[dict[str, Any]] = []
            while url:
                response = client.get_as(token, url, headers=JSON)
                if response.status_code in (400, 403, 404):
                    break
                assert response.status_code == 200, response.text
                body = response.json()
                lists = [v for v in body["Entities"].values() if isinstance(v, dict)]
                items.extend(lists[0][next(iter(lists[0]))] if lists else [])
                url = next((link["Href"] for link in body["PagingInfo"]["Links"] if link["Rel"] == "Next"), None)
        else:
            response = client.get_as(token, f"/api{family.path}?format=Entity", headers=JSON)
            if response.status_code in (403, 404):
                continue
            assert response.status_code == 200, response.text
            items = next(iter(response.json().values())) or []
        found[name] = [Entity(item) for item in items]
    return found


def imported(client: EmClient, token: str | None = None) -> tuple[World, list[str]]:
    """The world an import of this EM makes, and its warnings."""
    token = token or client.logon()
    release = client.app.state.settings.release  # type: ignore[attr-defined]
    return build_world(entities_of(client, token), release)
