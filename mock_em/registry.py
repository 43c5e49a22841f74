"""The registry: what follows from the resource families' declarations (`mock_em.resources`).

Everything that once listed the vendor's resources by hand reads it from here: the routes and
their canonical path segments, the collections whose next segment is an id, the Down links of the
LogonSession and of `/api/cloud`, the query types, `/mock/about`'s list of routes, and the URL
sets the tests walk. A family added to `mock_em.resources.FAMILIES` is served everywhere.

A release serves the families that have arrived by it (`Family.since`, `families(release)`):
what an app serves, links and lets a caller query is derived from that set, never from the
release's name, so an older release answers a newer family's paths as it answers any path it
lacks. `FAMILIES` and `ROUTES` are those of every release (the world's kinds, the checks that
every declaration is sound).
"""

from __future__ import annotations

from dataclasses import dataclass
from functools import cache

from mock_em.releases import DEFAULT_RELEASE, RELEASES, has_arrived
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


@cache
def families(release: str) -> tuple[Family, ...]:
    """The families a release serves (those whose `since` it has reached), in registry order."""
    return tuple(f for f in FAMILIES if has_arrived(f.since, release))


NEWEST_RELEASE = list(RELEASES)[-1]  # serves every family


def release_serving(f: Family) -> str:
    """A release that serves the family: the default one where it does, else the family's first."""
    return DEFAULT_RELEASE if has_arrived(f.since, DEFAULT_RELEASE) else str(f.since)


@cache
def kind_names(release: str) -> frozenset[str]:
    """The kinds a release serves, by name: the query service offers the types of these alone."""
    return frozenset(f.name for f in families(release))


# The service documents the LogonSession links, each where some family of the release links from it.
SERVICES = ("CloudConnectService", "AgentsService")


def services(release: str) -> list[str]:
    """The service documents (`/api/cloud`, `/api/agents`) a release serves: those from which a
    family it serves is linked."""
    return [s for s in SERVICES if linked_from(s, release)]


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


def family_routes(served: tuple[Family, ...] = FAMILIES, release: str | None = None) -> list[FamilyRoute]:
    """The families' routes in a release (None: any release), in registry order: collection,
    item, then each sub-collection and its aliases (a sub-collection only where the listed family
    is served too, and the release has the sub-collection: `SubCollection.since`)."""
    names = {f.name for f in served}
    routes: list[FamilyRoute] = []
    for f in served:
        routes += [FamilyRoute(f.path, f, "list"), FamilyRoute(f"{f.path}/{{id}}", f, "item")]
        arrived = (s for s in f.subs if release is None or has_arrived(s.since, release))
        for sub in (sub for sub in arrived if sub.family in names):
            for path in (f"{f.path}/{{id}}/{sub.segment}", *sub.aliases):
                routes.append(FamilyRoute(path, f, "sub", sub))
    return routes


ROUTES: tuple[FamilyRoute, ...] = tuple(family_routes())


@cache
def routes(release: str) -> tuple[FamilyRoute, ...]:
    """The family routes a release serves."""
    return tuple(family_routes(families(release), release))


def route_release(route: FamilyRoute) -> str:
    """A release that serves the route: the default one where it does, else the first that does
    (a sub-collection may come later than its family: `SubCollection.since`)."""
    candidates = (DEFAULT_RELEASE, *RELEASES)
    return next(r for r in candidates if any(served.path == route.path for served in routes(r)))


# A tenant's nested resources (`mock_em.resources.tenant`): each one's list and item, under `/api`.
NESTED_ROUTES: tuple[str, ...] = tuple(path for n in NESTED for path in (n.list_path, n.item_path))


def member_routes(served: tuple[Family, ...] = FAMILIES) -> list[tuple[Family, str, str]]:
    """Each family's members (`Family.members`): (family, list path, item path) under `/api`."""
    found = []
    for f in served:
        if f.members is not None:
            listed = f"{f.path}/{{id}}/{f.members.segment}"
            found.append((f, listed, f"{listed}/{{member_id}}"))
    return found


MEMBER_ROUTES: tuple[tuple[Family, str, str], ...] = tuple(member_routes())


@cache
def release_member_routes(release: str) -> tuple[tuple[Family, str, str], ...]:
    """The member routes of the families a release serves."""
    return tuple(member_routes(families(release)))


def _member_paths(release: str | None) -> list[str]:
    served = MEMBER_ROUTES if release is None else release_member_routes(release)
    return [path for _, *paths in served for path in paths]


def service_paths(release: str | None) -> list[str]:
    """The service documents' paths (`/cloud`, `/agents`) a release serves (None: any release)."""
    from mock_em.wire.documents import SERVICE_PATHS  # the wire layer loads the templates: import it late

    return [SERVICE_PATHS[s] for s in (SERVICES if release is None else services(release))]


@cache
def canonical_segments(release: str | None = None) -> dict[str, str]:
    """Every path segment a release knows (None: any release) by its casefolded form
    (`backupservers` → `backupServers`), the summary report's (`Vms_Overview` → `vms_overview`)
    among them. A segment no family of the release has stays as sent, as any unknown one."""
    from mock_em.wire.reports import SEGMENTS  # the wire layer loads the families' templates: import it late

    served = ROUTES if release is None else routes(release)
    segments = [*PROTOCOL_SEGMENTS, *SEGMENTS]
    for path in (*(route.path for route in served), *service_paths(release), *NESTED_ROUTES, *_member_paths(release)):
        segments += [s for s in path.split("/") if s and not s.startswith("{")]
    return {s.casefold(): s for s in segments}


@cache
def id_collections(release: str | None = None) -> frozenset[str]:
    """The segments whose next segment is an object id (kept exactly as sent), in a release
    (None: any release)."""
    found = set(PROTOCOL_ID_COLLECTIONS)
    for route in ROUTES if release is None else routes(release):
        parts = route.path.split("/")
        found |= {parts[i - 1] for i, part in enumerate(parts) if part == "{id}"}
    for path in (*NESTED_ROUTES, *_member_paths(release)):
        parts = path.split("/")
        found |= {parts[i - 1] for i, part in enumerate(parts) if part.startswith("{")}
    return frozenset(found)


def linked_from(document: str, release: str | None = None) -> list[Family]:
    """The families whose collections a document (`LogonSession`, `CloudConnectService`,
    `AgentsService`) links Down to in a release (None: any release), in the document's order."""
    served = FAMILIES if release is None else families(release)
    found = [f for f in served if f.down is not None and f.down.document == document]
    return sorted(found, key=lambda f: f.down.position)  # type: ignore[union-attr]


def vendor_paths(release: str | None = None) -> list[str]:
    """Every family route of a release (None: any release) as `/api…` (for `/mock/about` and the
    tests)."""
    return [f"/api{route.path}" for route in (ROUTES if release is None else routes(release))]


def release_paths(release: str) -> list[str]:
    """The resource paths a release serves, sorted, as `/api…` templates (`{id}` for ids): its
    families' routes, their members, tenants' nested resources and the service documents
    (`/api/cloud`, `/api/agents`). The protocol's own paths (root, logon, sessions, query, lookup,
    reports) are the same in every release and not listed. For `/mock/about`'s profile."""
    served = (route.path for route in routes(release))
    paths = {*served, *_member_paths(release), *NESTED_ROUTES, *service_paths(release)}
    return sorted(f"/api{path}" for path in paths)


def edited_families() -> list[Family]:
    """The families the control plane edits under `/mock/world/{segment}` (`Family.edits`), in
    registry order; two may not share a segment."""
    found = [f for f in FAMILIES if f.edits is not None]
    segments = [f.edits.segment for f in found]  # type: ignore[union-attr]
    if len(set(segments)) != len(segments):
        raise ValueError(f"two families edit the same control path: {sorted(segments)}")
    return found
