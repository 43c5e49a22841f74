"""mock-em over the clients' world (`em_world.py`) on a real socket, and the test's own session."""

from __future__ import annotations

from collections.abc import Iterator

import pytest

from clients.em_world import CLOCK, HOST, WORLD, Em
from mock_em.testing import MockEmServer


@pytest.fixture(scope="module")
def server() -> Iterator[MockEmServer]:
    """mock-em over the generated world, frozen at CLOCK, on a free port."""
    with MockEmServer(clock=CLOCK, host=HOST, port=0, **WORLD) as running:
        yield running


@pytest.fixture(scope="module")
def em(server: MockEmServer) -> Iterator[Em]:
    """The test's own client of mock-em and its session token (JSON reads, control plane)."""
    with server.client() as client:
        yield client, client.logon()
