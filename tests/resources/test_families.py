"""What every family shows alike, checked for each registered one: its collection in both forms
and notations, and its fixture section's round trip, in the generated and the seed worlds (the
seed sample holds the vendor's example of every family). A family's own module tests the rest."""

from __future__ import annotations

from collections.abc import Callable

import pytest
from conftest import SEED_FIXTURE, EmClient

from mock_em.model.catalogue import CATALOGUE_KINDS
from mock_em.model.job_sessions import SESSION_KINDS
from mock_em.registry import FAMILIES, release_serving
from mock_em.releases import DEFAULT_RELEASE
from mock_em.resources.family import Family
from resources.family_checks import USERS, check_collection, check_fixture_round_trip


def serving(
    em_client: Callable[..., EmClient], client: EmClient, seed: EmClient, family: Family
) -> tuple[EmClient, EmClient]:
    """The generated and the seed worlds in a release that serves the family: the default one,
    or else the family's first."""
    release = release_serving(family)
    if release == DEFAULT_RELEASE:
        return client, seed
    return em_client(release=release), em_client(release=release, fixture=str(SEED_FIXTURE), user=USERS)


@pytest.mark.parametrize("family", FAMILIES, ids=lambda f: f.name)
def test_collection_in_both_forms_and_notations(
    em_client: Callable[..., EmClient], client: EmClient, seed: EmClient, family: Family
) -> None:
    """`/api{path}` lists every object, as references and as the family's entity list."""
    for world in serving(em_client, client, seed, family):
        check_collection(world, family)


SESSION_KINDS_DERIVED = [*CATALOGUE_KINDS, *(name for pair in SESSION_KINDS.values() for name in pair)]
STORED = [f for f in FAMILIES if f.kind.section is not None]


def test_derived_families_are_written_for_recorded_worlds_alone() -> None:
    """A fixture holds every family; those the EM derives from the jobs at its world time only
    when the world is recorded (an import's: `World.recorded`)."""
    assert all(f.kind.section is not None for f in FAMILIES)
    assert {f.name for f in FAMILIES if f.kind.section.recorded} == set(SESSION_KINDS_DERIVED)  # type: ignore[union-attr]


@pytest.mark.parametrize("family", STORED, ids=lambda f: f.name)
def test_fixture_section_round_trips(
    em_client: Callable[..., EmClient], client: EmClient, seed: EmClient, family: Family
) -> None:
    """Every object goes through its fixture section as JSON and comes back equal."""
    for world in serving(em_client, client, seed, family):
        check_fixture_round_trip(world, family)
