"""`mock-em import --anonymize`: serve world A, import it anonymized with the command, serve the
fixture as B at the same instant. B must show the same structure, counts, states, times and
sizes as A, and not one of A's names, addresses or GUIDs: not in any answer, not in the fixture
file, not in the anonymizer's report.

B's ids are new (GUIDs are remapped), so its URLs are not A's, and the two are compared answer
by answer where they can be paired without ids: each query type's full entity list, each family
collection in entity form, the summary report and its five frames, all in JSON, leaf by leaf
(`skeleton.Skeleton`): the same keys at every path, the same list lengths and types, every number,
boolean and null the same, every string the same but for the names and GUIDs in it (a restore
point's `srv39@2015-12-25 20:00:47` keeps its time), and A's GUIDs mapped to B's one to one.

The originals are then looked for in a broad crawl of B (`skeleton.broad_urls`, XML and JSON),
in the fixture's text and in the report's: every atom of A's world (`skeleton.atoms_of`) of at
least four characters, as a whole token in any case. Shorter names (a VM named `dc1`, a tenant
`AB`) are left out of that search: two or three letters occur in words, units and encodings of
any text by chance (`GB` in a size, `dc` in a path), so that finding one says nothing; the
anonymizer replaces them where they stand as values, which the leaf comparison sees (B's string
differs where A's holds one). Whole tokens, because a name may be part of a longer word that
is not it (a VM `srv1` in `srv10`, which is an atom of its own).
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest
from conftest import SEED_FIXTURE, EmClient, make_client
from skeleton import SHORTEST_CHECKED, Skeleton, atoms_of, broad_urls, leaks, token_pattern
from test_round_trip import AT, SMALL, import_world

from mock_em import registry
from mock_em.model.clock import Clock
from mock_em.model.fixture import world_to_dict
from mock_em.settings import Settings

JSON = {"Accept": "application/json"}
XML = {"Accept": "application/xml"}
SEED = "11"
FRAMES = ("", "/overview", "/vms_overview", "/job_statistics", "/processed_vms", "/repository")

WORLDS = [
    pytest.param({"fixture": str(SEED_FIXTURE)}, "9.5u4", id="seed-9.5u4"),
    pytest.param({"fixture": str(SEED_FIXTURE)}, "13", id="seed-13"),
    pytest.param({}, "9.5u4", id="generated-9.5u4"),
    pytest.param({}, "12", id="generated-12"),
    pytest.param({"seed": 5, **SMALL}, "9.5u4", id="seed5-9.5u4"),
    pytest.param({"seed": 5, **SMALL}, "13", id="seed5-13"),
]


def paired_urls(release: str) -> list[str]:
    """The answers A and B can be paired by without ids: each query type's entities, each family's
    collection in entity form, the summary report and its frames."""
    found = [
        f"/api/query?type={name}&format=Entities&pageSize=1000000"
        for name in sorted(registry.kind_names(release))
        if registry.family(name).kind.query is not None
    ]
    found += [f"/api{route.path}?format=Entity" for route in registry.routes(release) if route.shape == "list"]
    return found + [f"/api/reports/summary{frame}" for frame in FRAMES]


def body(client: EmClient, token: str, url: str) -> Any:
    response = client.get_as(token, url, headers=JSON)
    assert response.status_code == 200, f"{url}: {response.status_code} {response.text[:200]}"
    return response.json()


@pytest.mark.parametrize(("world", "release"), WORLDS)
def test_an_anonymized_import_keeps_all_but_the_names(world: dict[str, Any], release: str, tmp_path: Path) -> None:
    fixture = import_world(world, release, tmp_path / "world.json", "--anonymize", "--seed", SEED)
    report = tmp_path / "world.json.report.json"
    a = make_client(Settings(release=release, **world), Clock(AT, frozen=True))
    b = make_client(Settings.from_sources({"fixture": str(fixture)}, environ={}), Clock(AT, frozen=True))
    try:
        assert b.app.state.settings.release == release  # type: ignore[attr-defined]
        atoms = atoms_of(world_to_dict(a.em.world, a.em.seed))
        token_a, token_b = a.logon(), b.logon()

        same = Skeleton(atoms)
        compared = 0
        for url in paired_urls(release):
            left, right = body(a, token_a, url), body(b, token_b, url)
            same.compare(left, right, url)
            compared += 1
        assert same.found == [], "\n".join(same.found[:10])
        assert len(same.guids) >= len(a.em.world.all("CloudReplica")) + len(a.em.world.all("Job"))
        assert compared > 20

        checked = token_pattern(atom for atom in atoms if len(atom) >= SHORTEST_CHECKED)
        left: dict[str, set[str]] = {}
        for url in dict.fromkeys(broad_urls(b.em.world, release)):
            for headers in (XML, JSON):
                response = b.get_as(token_b, url, headers=headers)
                assert response.status_code in (200, 403, 404), f"{url}: {response.status_code}"
                found = leaks(checked, response.text)
                if found:
                    left[f"{headers['Accept']} {url}"] = found
        left["the fixture"] = leaks(checked, fixture.read_text(encoding="utf-8"))
        left["the report"] = leaks(checked, report.read_text(encoding="utf-8"))
        assert {where: found for where, found in left.items() if found} == {}
        assert json.loads(report.read_text(encoding="utf-8"))["Seed"] == int(SEED)
    finally:
        a.close()
        b.close()
