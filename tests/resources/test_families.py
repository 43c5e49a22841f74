"""What every family shows alike, checked for each registered one: its collection in both forms
and notations, and its fixture section's round trip, in the generated and the seed worlds (the
seed sample holds the vendor's example of every family). A family's own module tests the rest."""

from __future__ import annotations

import pytest
from conftest import EmClient

from mock_em.model.catalogue import CATALOGUE_KINDS
from mock_em.model.job_sessions import SESSION_KINDS
from mock_em.registry import FAMILIES
from mock_em.resources.family import Family
from resources.family_checks import check_collection, check_fixture_round_trip


@pytest.mark.parametrize("family", FAMILIES, ids=lambda f: f.name)
def test_collection_in_both_forms_and_notations(client: EmClient, seed: EmClient, family: Family) -> None:
    """`/api{path}` lists every object, as references and as the family's entity list."""
    check_collection(client, family)
    check_collection(seed, family)


SESSION_KINDS_DERIVED = [*CATALOGUE_KINDS, *(name for pair in SESSION_KINDS.values() for name in pair)]
STORED = [f for f in FAMILIES if f.kind.section is not None]


def test_only_derived_families_have_no_fixture_section() -> None:
    """A fixture holds every family but those the EM derives from the jobs at its world time."""
    assert {f.name for f in FAMILIES if f.kind.section is None} == set(SESSION_KINDS_DERIVED)


@pytest.mark.parametrize("family", STORED, ids=lambda f: f.name)
def test_fixture_section_round_trips(client: EmClient, seed: EmClient, family: Family) -> None:
    """Every object goes through its fixture section as JSON and comes back equal."""
    check_fixture_round_trip(client, family)
    check_fixture_round_trip(seed, family)
