"""The worlds family tests read, each with one account of each role: `roles`, two backup servers
and six tenants, enough for every provider object (plans of both platforms on each server,
repositories, public IP addresses, jobs); `seed`, the seed sample. A module that needs another
world defines its own."""

from __future__ import annotations

from collections.abc import Iterator

import pytest
from conftest import SEED_FIXTURE, EmClient, make_client

from mock_em.settings import Settings
from resources.family_checks import USERS


@pytest.fixture(scope="module")
def roles() -> Iterator[EmClient]:
    """A generated world of two backup servers and six tenants with one account of each role."""
    client = make_client(Settings(user=USERS, backup_servers=2, tenants=6))
    yield client
    client.close()


@pytest.fixture(scope="module")
def seed() -> Iterator[EmClient]:
    """The seed sample's world (the vendor's examples of every family)."""
    client = make_client(Settings(fixture=str(SEED_FIXTURE), user=USERS))
    yield client
    client.close()
