"""The registry: what follows from the resource families' declarations (`mock_em.resources`).

Everything that once listed the vendor's resources by hand reads it from here: the routes and
their canonical path segments, the collections whose next segment is an id, the Down links of the
LogonSession and of `/api/cloud`, the query types, `/mock/about`'s list of routes, and the URL
sets the tests walk. A family added to `mock_em.resources.FAMILIES` is served everywhere.
"""

from __future__ import annotations

from dataclasses import dataclass

from mock_em.resources import FAMILIES, NESTED
from mock_em.resources.family import Family, SubCollection

# The protocol's own path segments (entry point, logon, sessions, the Cloud Connect service and
# the query service, the lookup); the families add theirs.
PROTOCOL_SEGMENTS = ("api", "sessionMngr", "logonSessions", "cloud", "querySvc", "query", "lookupSvc", "lookup")
PROTOCOL_ID_COLLECTIONS = ("logonSessions",)

BY_NAME: dict[str, Family] = {f.name: f for f in FAMILIES}


def family(name: str) -> Family:
    """A family by its vendor type name (`CloudReplica`)."""
    return BY_NAME[name]


@dataclass(frozen=True, slots=True)
class FamilyRoute:
    """One vendor GET route a family serves: its collection (`list`), an item (`item`), or an
    item's sub-collection (`sub`, listing `sub.family`) at `path` (under `/api`, `{id}` for ids)."""

    path: str
    family: Family
    shape: str
    sub: SubCollection | None = None

    @property
    def listed(self) -> Family:
        """The family whose objects the route's answer shows."""
        return family(self.sub.family) if self.sub is not None else self.family


def family_routes() -> list[FamilyRoute]:
    """Every family's routes, in registry order: collection, item, then each sub-collection and
    its aliases."""
    routes: list[FamilyRoute] = []
    for f in FAMILIES:
        routes += [FamilyRoute(f.path, f, "list"), FamilyRoute(f"{f.path}/{{id}}", f, "item")]
        for sub in f.subs:
            for path in (f"{f.path}/{{id}}/{sub.segment}", *sub.aliases):
                routes.append(FamilyRoute(path, f, "sub", sub))
    return routes


ROUTES: tuple[FamilyRoute, ...] = tuple(family_routes())

# A tenant's nested resources (`mock_em.resources.tenant`): each one's list and item, under `/api`.
NESTED_ROUTES: tuple[str, ...] = tuple(path for n in NESTED for path in (n.list_path, n.item_path))


def member_routes() -> list[tuple[Family, str, str]]:
    """Each family's members (`Family.members`): (family, list path, item path) under `/api`."""
    found = []
    for f in FAMILIES:
        if f.members is not None:
            listed = f"{f.path}/{{id}}/{f.members.segment}"
            found.append((f, listed, f"{listed}/{{member_id}}"))
    return found


MEMBER_ROUTES: tuple[tuple[Family, str, str], ...] = tuple(member_routes())
_MEMBER_PATHS = tuple(path for _, *paths in MEMBER_ROUTES for path in paths)


def canonical_segments() -> dict[str, str]:
    """Every known path segment by its casefolded form (`backupservers` → `backupServers`), the
    summary report's (`Vms_Overview` → `vms_overview`) among them."""
    from mock_em.wire.reports import SEGMENTS  # the wire layer loads the families' templates: import it late

    segments = [*PROTOCOL_SEGMENTS, *SEGMENTS]
    for path in (*(route.path for route in ROUTES), *NESTED_ROUTES, *_MEMBER_PATHS):
        segments += [s for s in path.split("/") if s and not s.startswith("{")]
    return {s.casefold(): s for s in segments}


def id_collections() -> frozenset[str]:
    """The segments whose next segment is an object id (kept exactly as sent)."""
    found = set(PROTOCOL_ID_COLLECTIONS)
    for route in ROUTES:
        parts = route.path.split("/")
        found |= {parts[i - 1] for i, part in enumerate(parts) if part == "{id}"}
    for path in (*NESTED_ROUTES, *_MEMBER_PATHS):
        parts = path.split("/")
        found |= {parts[i - 1] for i, part in enumerate(parts) if part.startswith("{")}
    return frozenset(found)


def linked_from(document: str) -> list[Family]:
    """The families whose collections a document (`LogonSession`, `CloudConnectService`) links
    Down to, in the document's order."""
    found = [f for f in FAMILIES if f.down is not None and f.down.document == document]
    return sorted(found, key=lambda f: f.down.position)  # type: ignore[union-attr]


def vendor_paths() -> list[str]:
    """Every family route as `/api…` (for `/mock/about` and the tests)."""
    return [f"/api{route.path}" for route in ROUTES]


def edited_families() -> list[Family]:
    """The families the control plane edits under `/mock/world/{segment}` (`Family.edits`), in
    registry order; two may not share a segment."""
    found = [f for f in FAMILIES if f.edits is not None]
    segments = [f.edits.segment for f in found]  # type: ignore[union-attr]
    if len(set(segments)) != len(segments):
        raise ValueError(f"two families edit the same control path: {sorted(segments)}")
    return found
