"""The release an import reads is the one the source runs, told from its `GET /api/`; release
13's camelCase reads back to the vendor's PascalCase, member for member as 12 writes it."""

from __future__ import annotations

import io
import json
import random
from pathlib import Path
from typing import Any

import pytest

from mock_em.importer.client import Gentleness
from mock_em.importer.command import ImportOptions, Outcome, run_import
from mock_em.importer.progress import Progress
from mock_em.releases import has_arrived
from mock_em.resources import FAMILIES
from mock_em.testing.server import MockEmServer

ROOT = Path(__file__).resolve().parents[2]
SEED_FIXTURE = str(ROOT / "fixtures" / "seed-sample.json")
CLOCK = "2026-11-30T10:00:00Z"
FAST = Gentleness(rate=1000, burst=4, concurrency=2, retries=2, backoff=0.01, timeout=10)


def _import(release: str, out: Path) -> Outcome:
    with MockEmServer(fixture=SEED_FIXTURE, clock=CLOCK, release=release) as server:
        options = ImportOptions(url=server.url, user="Administrator", out=str(out), page_size=5, gentleness=FAST)
        quiet = Progress(io.StringIO(), quiet=True)
        return run_import(options, "P@ssw0rd", quiet, families=list(FAMILIES), jitter=random.Random(1))


@pytest.fixture(scope="module")
def imports(tmp_path_factory: pytest.TempPathFactory) -> dict[str, tuple[Outcome, dict[str, Any]]]:
    found = {}
    for release in ("9.5u4", "10", "12", "13"):
        out = tmp_path_factory.mktemp(release) / "world.json"
        found[release] = (_import(release, out), json.loads(out.read_text(encoding="utf-8")))
    return found


@pytest.mark.parametrize("release", ["9.5u4", "10", "12", "13"])
def test_the_release_is_told_and_kept(release: str, imports: dict[str, tuple[Outcome, dict[str, Any]]]) -> None:
    outcome, fixture = imports[release]
    assert outcome.release.name == release and fixture["Release"] == release
    served = {f.kind.name for f in FAMILIES if has_arrived(f.since, release)}
    assert set(outcome.crawled.entities) == served  # the agents' families from 10 on, not before
    assert outcome.warnings == []


def _shape(data: Any) -> Any:
    """Member names only, values left out (times and link escapes differ between 12 and 13)."""
    if isinstance(data, dict):
        return {key: _shape(value) for key, value in data.items()}
    if isinstance(data, list):
        return [_shape(item) for item in data]
    return None


def test_thirteen_reads_back_as_twelve_writes(imports: dict[str, tuple[Outcome, dict[str, Any]]]) -> None:
    twelve, thirteen = imports["12"][0].crawled.entities, imports["13"][0].crawled.entities
    assert twelve.keys() == thirteen.keys()
    for name in twelve:
        assert [_shape(e.data) for e in thirteen[name]] == [_shape(e.data) for e in twelve[name]], name
        assert [e.id for e in thirteen[name]] == [e.id for e in twelve[name]]
    sample = thirteen["CloudReplica"][0]
    assert sample.data["UID"].startswith("urn:veeam:CloudReplica:") and sample.link("BackupServerReference")
