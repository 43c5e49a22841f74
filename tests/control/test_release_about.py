"""`/mock/about` names the release profile: its API versions, JSON notation and resource paths."""

from __future__ import annotations

import re
from collections.abc import Callable

import pytest
from conftest import EmClient

from mock_em import __version__

ABOUT_KEYS = {
    "name",
    "version",
    "release",
    "apiVersions",
    "seed",
    "world",
    "clock",
    "sessions",
    "deterministicSessions",
    "routes",
    "profile",
}
AGENTS = {
    "/api/agents",
    "/api/agents/discoveredComputers",
    "/api/agents/discoveredComputers/{id}",
    "/api/agents/protectionGroups",
    "/api/agents/protectionGroups/{id}",
    "/api/agents/protectionGroups/{id}/discoveredComputers",
}


def about(client: EmClient) -> dict:
    """`GET /mock/about`'s answer."""
    response = client.control("GET", "/mock/about")
    assert response.status_code == 200, response.text
    return response.json()


def templates(paths: list[str]) -> set[str]:
    """Paths with every `{placeholder}` written `{id}`, whatever its name."""
    return {re.sub(r"\{[^}]*\}", "{id}", path) for path in paths}


def test_default_release_profile(em_client: Callable[..., EmClient]) -> None:
    """9.5 U4: v1 to v1_4, latest v1_4, PascalCase without nulls; `/backupFiles` and
    the cloud, no `/agents`. The keys `about` had before stay as they were."""
    found = about(em_client())
    assert set(found) == ABOUT_KEYS
    assert (found["name"], found["version"], found["release"]) == ("mock-em", __version__, "9.5u4")
    assert found["apiVersions"] == ["v1", "v1_1", "v1_2", "v1_3", "v1_4"]
    profile = found["profile"]
    assert set(profile) == {"name", "apiVersions", "latest", "json", "routes"}
    assert profile["name"] == "9.5u4"
    assert profile["apiVersions"] == found["apiVersions"]
    assert profile["latest"] == "v1_4"
    assert profile["json"] == {"camelCase": False, "nulls": False, "timeDigits": 6}
    routes = profile["routes"]
    assert routes == sorted(set(routes))
    assert {"/api/backupFiles", "/api/backupFiles/{id}", "/api/cloud", "/api/cloud/tenants/{id}"} <= set(routes)
    assert [path for path in routes if path.startswith("/api/agents")] == []


@pytest.mark.parametrize(("release", "camel_case", "digits"), [("12", False, 3), ("13", True, 6)], ids=["12", "13"])
def test_newer_release_profiles(
    em_client: Callable[..., EmClient], release: str, camel_case: bool, digits: int
) -> None:
    """12 and 13: v1_5 to v1_7, latest v1_7, nulls written, their own fraction digits (13 camelCase);
    `/agents` and its families are served beside `/backupFiles`, and the backups' and restore
    points' own lists of files, which came with 10."""
    profile = about(em_client(release=release))["profile"]
    assert profile["name"] == release
    assert profile["apiVersions"] == ["v1_5", "v1_6", "v1_7"]
    assert profile["latest"] == "v1_7"
    assert profile["json"] == {"camelCase": camel_case, "nulls": True, "timeDigits": digits}
    assert AGENTS | {"/api/backupFiles", "/api/backupFiles/{id}"} <= set(profile["routes"])
    default = about(em_client())["profile"]["routes"]
    files = {"/api/backups/{id}/backupFiles", "/api/restorePoints/{id}/backupFiles"}
    assert set(profile["routes"]) - set(default) == AGENTS | files


@pytest.mark.parametrize("release", ["9.5u4", "10", "11", "12", "13"])
def test_profile_routes_are_served(em_client: Callable[..., EmClient], release: str) -> None:
    """Every path of the profile is a GET route of the app (the top-level `routes`, read from the
    app itself), so the profile names no path the release does not answer."""
    found = about(em_client(release=release))
    served = templates([route.removeprefix("GET ") for route in found["routes"] if route.startswith("GET ")])
    assert templates(found["profile"]["routes"]) <= served
