"""Testing with mock-em: a control-plane client, a server in a thread, assertions, and (through
the `pytest11` entry point) the pytest plugin whose fixtures need no conftest."""

from __future__ import annotations

from mock_em.testing.assertions import (
    assert_all_sessions_logged_off,
    assert_no_unauthenticated_requests,
    assert_request_count,
)
from mock_em.testing.client import ClockState, MockEmClient, MockEmError, SessionInfo, WorldSummary
from mock_em.testing.server import MockEmServer

__all__ = [
    "ClockState",
    "MockEmClient",
    "MockEmError",
    "MockEmServer",
    "SessionInfo",
    "WorldSummary",
    "assert_all_sessions_logged_off",
    "assert_no_unauthenticated_requests",
    "assert_request_count",
]
