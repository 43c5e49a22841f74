"""Which Enterprise Manager release a source runs, from what its `GET /api/` reports.

EM does not name its release on the wire; what tells them apart is the API versions its root
lists under `SupportedVersions` and its JSON notation (`mock_em.releases`, docs/releases.md):
9.5 U4 lists v1 to v1_4, 10 adds v1_5, 11 v1_6; 12 lists only v1_5 to v1_7 in PascalCase, 13 the
same in camelCase (`supportedVersions`). A source listing versions no release lists (a newer EM)
is taken as the newest release whose versions it still serves, with a warning.
"""

from __future__ import annotations

from typing import Any

from mock_em.releases import PROFILES, ReleaseProfile


class UnknownSource(ValueError):
    """A root answer that is no Enterprise Manager's."""


def api_versions(root: dict[str, Any]) -> tuple[tuple[str, ...], bool]:
    """The versions a root answer lists, oldest first as sent, and whether it is camelCase."""
    camel = "supportedVersions" in root
    outer = root.get("supportedVersions" if camel else "SupportedVersions")
    inner = outer.get("supportedVersions" if camel else "SupportedVersions") if isinstance(outer, dict) else None
    if not isinstance(inner, list):
        raise UnknownSource("its GET /api/ lists no SupportedVersions: is it Veeam Backup Enterprise Manager?")
    name = "name" if camel else "Name"
    versions = tuple(str(v.get(name)) for v in inner if isinstance(v, dict) and v.get(name))
    if not versions:
        raise UnknownSource("its GET /api/ lists no API version")
    return versions, camel


def detect_release(root: dict[str, Any]) -> tuple[ReleaseProfile, list[str]]:
    """The release profile a root answer (`GET /api/` as JSON) shows, and warnings."""
    versions, camel = api_versions(root)
    listed = {v.casefold() for v in versions}
    candidates = [p for p in PROFILES.values() if p.json.camel_case == camel]
    for candidate in candidates:
        if {v.casefold() for v in candidate.api_versions} == listed:
            return candidate, []
    serving = [p for p in candidates if p.latest.casefold() in listed]
    if not serving:
        raise UnknownSource(f"it lists API versions {', '.join(versions)}, which no release mock-em knows serves")
    chosen = serving[-1]
    return chosen, [f"the source lists API versions {', '.join(versions)}; read as release {chosen.name}"]
