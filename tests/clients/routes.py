"""Which vendor paths mock-em has a GET route for, read from the routes of an app it builds.

Tests of a client that reads a resource mock-em does not serve yet skip on `serves(path)` and
run by themselves once the route exists; a client's request for a path without a route is
expected to get EM's 404."""

from __future__ import annotations

from functools import cache
from typing import Any

from starlette.routing import Match

from mock_em.app import create_app
from mock_em.server import build_em
from mock_em.settings import Settings


@cache
def get_routes() -> tuple[Any, ...]:
    """The GET routes of a mock-em app (an empty world's), nested routers included."""
    settings = Settings(tenants=0, backup_servers=0)
    found: list[Any] = []

    def walk(routes: list[Any]) -> None:
        for route in routes:
            inner = getattr(route, "original_router", None)
            if inner is not None:
                walk(inner.routes)
            elif "GET" in (getattr(route, "methods", None) or ()):
                found.append(route)

    walk(create_app(build_em(settings), settings).routes)
    return tuple(found)


def serves(path: str) -> bool:
    """Whether mock-em has a GET route for this (canonical) vendor path."""
    scope = {"type": "http", "method": "GET", "path": path}
    return any(route.matches(scope)[0] is Match.FULL for route in get_routes())
