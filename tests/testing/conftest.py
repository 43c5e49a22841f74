"""Markers of the plugin's own tests."""

from __future__ import annotations

import pytest


def pytest_configure(config: pytest.Config) -> None:
    """`slow`: a test that installs packages (tens of seconds); it runs in the suite all the same,
    and `-m "not slow"` leaves it out of a quick run."""
    config.addinivalue_line("markers", "slow: installs packages into a fresh virtual environment (tens of seconds)")
