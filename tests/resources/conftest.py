"""The world most family tests read: two backup servers and six tenants, one account of each role,
enough for every provider object (plans of both platforms on each server, repositories, public IP
addresses). A module that needs another world defines its own `roles`."""

from __future__ import annotations

from collections.abc import Iterator

import pytest
from conftest import EmClient, make_client

from mock_em.settings import Settings
from resources.family_checks import USERS


@pytest.fixture(scope="module")
def roles() -> Iterator[EmClient]:
    """A generated world of two backup servers and six tenants with one account of each role."""
    client = make_client(Settings(user=USERS, backup_servers=2, tenants=6))
    yield client
    client.close()
